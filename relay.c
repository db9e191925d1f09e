/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * relay.r: the forward builtin's TCP connections (struct relay), each a
 * client and its connection to the target, relayed both ways by the
 * daemon.  The table of connections, the counts by client address for
 * the default limits, the pipes and their budget, the connect and idle
 * deadlines.
 *
 * A connection moves bulk data with splice(2) through a pipe, taken
 * from a small pool only while data is in flight, so those bytes never
 * pass through user space; a short message, the common case, takes one
 * recv() and one send() through a shared buffer of 16 kilobytes
 * instead.  An idle connection holds two sockets and nothing else.  The
 * sockets are edge-triggered; each pass of the loop does a bounded
 * amount of work per connection, and a connection with more to do is
 * queued for the next pass, so that none can hold up the others.
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "event.h"
#include "forward.h"
#include "fwd.h"
#include "log.h"
#include "proxy.h"
#include "ratelimit.h"
#include "stats.h"
#include "util.h"

#define FORWARD_PIPE_SIZE	(256 * 1024)	/* in flight, each way */
#define FORWARD_PIPE_POOL	64	/* idle pipes kept for reuse */
/*
 * Each stalled direction could pin FORWARD_PIPE_SIZE of kernel memory in
 * its pipe: 8 GiB for a full table.  All pipes together hold at most
 * this much; past it, a direction with nothing in flight copies only
 * what its destination takes at once (flow_peek), and what is left
 * waits in the source's socket, bounded by TCP's own limits.
 */
#define FORWARD_PIPE_BUDGET	(64 * 1024 * 1024)	/* bytes */
/*
 * Read at once through user space; also the most a partial send leaves
 * to put in a pipe, so it is no more than an empty pooled pipe (of
 * FORWARD_PIPE_SIZE) takes.
 */
#define FORWARD_COPY_SIZE	(16 * 1024)
#define FORWARD_STEP_ROUNDS	4	/* reads a direction a pass */
/*
 * All TCP entries share one table of connections.  Where the entry sets
 * no limit of its own, one entry may fill at most half of it (its
 * default max-child), and one client address at most an eighth (its
 * connections through all such entries), so that neither can starve
 * the others.
 */
#define FORWARD_ENTRY_SHARE	2	/* an entry: 1/2 of the table */
#define FORWARD_PEER_SHARE	8	/* an address: 1/8 of the table */
#define FORWARD_PEER_HASH	4096	/* buckets of the address counts */

#define CAN_READ	0x1
#define CAN_WRITE	0x2
#define PEER_FIN	0x4	/* EPOLLRDHUP: its FIN follows its data */

#define RELAY_EVENTS	(EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)

/* One direction of a connection: bytes from one side to the other. */
struct flow {
	int		 fl_pipe[2];	/* -1 while no data is in flight */
	size_t		 fl_inpipe;	/* bytes in the pipe */
	uint64_t	 fl_bytes;	/* delivered */
	uint8_t		 fl_eof;	/* the source has sent its FIN */
	uint8_t		 fl_shut;	/* and it was passed on */
	uint8_t		 fl_full;	/* the pipe took no more */
	uint8_t		 fl_bulk;	/* a read filled the buffer: splice */
	uint8_t		 fl_pipe_sized;	/* the pipe holds FORWARD_PIPE_SIZE */
};

/*
 * A forwarded TCP connection.  The loop's run queue (through the client
 * side's handler) and the wait for a pipe link slots rather than
 * connections: a slot freed while queued stays queued, and whoever
 * takes it next is merely looked at once more.
 */
struct relay {
	struct forward	*r_fw;		/* NULL: slot free */
	struct servtab	*r_sep;		/* counted in; NULL once removed */
	struct handler	 r_handler[2];	/* by side, in the loop */
	int		 r_fd[2];	/* by enum side */
	uint8_t		 r_ready[2];	/* CAN_READ, CAN_WRITE by side */
	uint8_t		 r_connecting;
	uint8_t		 r_nodelay;	/* TCP_NODELAY set on the target */
	uint8_t		 r_outwatch;	/* 1 << side: watched for EPOLLOUT */
	uint8_t		 r_first_eof;	/* 1 + side that closed first */
	uint8_t		 r_pipewait;
	struct flow	 r_flow[2];	/* by source side */
	int64_t		 r_start;	/* ms */
	int64_t		 r_active;	/* ms, last data */
	union sockaddr_any r_peer;	/* family 0: not an IP client */
	int		 r_peerslot;	/* its address's count: slot + 1 */
	int		 r_next;	/* free lists */
	int		 r_waitnext;	/* pipe wait list */
};

/*
 * The TCP connections open from one client address, through all the
 * entries, for the default limit of an address (FORWARD_PEER_SHARE).
 */
struct peer_count {
	struct peer_addr pc_addr;
	int		 pc_conns;
	int		 pc_next;	/* hash chain, free list: slot + 1 */
};

static int		 capacity = FORWARD_MAXCONN;
static struct relay	 relays[FORWARD_MAXCONN];	/* touched as used */
static int		 relays_used;	/* slots ever used */
/* Each connection in use, in slot order, as queue(3)'s FOREACH. */
#define RELAY_FOREACH(r)						\
	for ((r) = relays; (r) < relays + relays_used; (r)++)		\
		if ((r)->r_fw != NULL)
static int		 relays_free = -1;
/*
 * Slots freed during this pass of the loop, free for the next: events
 * of the same wake-up may still name them, and must not find another
 * connection there.
 */
static int		 relays_freed = -1;
static int		 nrelays;
static int		 pipewait_head = -1, pipewait_tail = -1;
static int		 pipe_pool[FORWARD_PIPE_POOL][2];
static int		 npipes_pooled;
static size_t		 pipe_budget = FORWARD_PIPE_BUDGET;
static size_t		 pipe_bytes;	/* held in all pipes */
static time_t		 full_quiet_until;
static unsigned		 full_missed;

/* Linked by slot + 1, as the associations: zeroed bss is empty. */
static struct peer_count peers[FORWARD_MAXCONN];
static int		 peers_used;
static int		 peers_free;
static int		 peer_hash[FORWARD_PEER_HASH];
static uint64_t		 peer_seed;	/* keys the hash against collisions */
static char		 copybuf[FORWARD_COPY_SIZE];

static void	relay_end(struct relay *, enum result);
static void	relay_refuse(struct relay *, enum result, int);
static void	client_ready(struct handler *, uint32_t);
static void	target_ready(struct handler *, uint32_t);

/* ----------------------------------------------------------- logging */

static void
log_relay_end(const struct relay *r, enum result result)
{
	char from[LOG_CLIENT_MAX], to[INET6_ADDRSTRLEN + 32];
	struct log_event ev;
	int64_t ms;

	forward_end_event(&ev, r->r_fw, &r->r_peer, r->r_start,
	    r->r_flow[CLIENT].fl_bytes, r->r_flow[TARGET].fl_bytes);
	ms = ev.le_ms;

	logevent(LOG_INFO, &ev, "%s from %s to %s: %s, %llu bytes in, %llu "
	    "bytes out, %lld.%03lld s", r->r_fw->fw_service,
	    log_client(&r->r_peer.sa, from, sizeof(from)),
	    addr_text(&r->r_fw->fw_addr, to, sizeof(to)),
	    result_words[result], ev.le_bytes_in, ev.le_bytes_out,
	    (long long)(ms / 1000), (long long)(ms % 1000));
}

/* Connections beyond what the descriptors allow are refused. */
static void
set_capacity(void)
{
	struct rlimit rl;
	rlim_t room;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur ==
	    RLIM_INFINITY)
		return;
	room = rl.rlim_cur > FORWARD_FD_KEPT ?
	    (rl.rlim_cur - FORWARD_FD_KEPT) / 2 : 0;
	if (room < (rlim_t)capacity)
		capacity = room > 0 ? (int)room : 1;
}

/* ------------------------------------------------------------- pipes */

/* n bytes of f reached its destination: for -l, and the entry's count. */
static void
flow_delivered(struct relay *r, struct flow *f, size_t n)
{
	f->fl_bytes += n;
	stats_forwarded(r->r_sep, f == &r->r_flow[CLIENT] ? STATS_IN :
	    STATS_OUT, n);
}

/* The bytes in f's pipe change by delta, and those of all pipes. */
static void
flow_held(struct flow *f, ssize_t delta)
{
	f->fl_inpipe += delta;
	pipe_bytes += delta;
}

static size_t
pipe_room(void)
{
	return pipe_bytes < pipe_budget ? pipe_budget - pipe_bytes : 0;
}

/*
 * Documented for tests (INETD_PIPE_BUDGET): a smaller budget, so that
 * a few stalled connections reach it.
 */
int
forward_set_pipe_budget(const char *bytes, const char **errstr)
{
	long long n;

	n = strtonum(bytes, FORWARD_COPY_SIZE, FORWARD_PIPE_BUDGET, errstr);
	if (*errstr != NULL)
		return -1;
	pipe_budget = n;
	return 0;
}

static int
open_pipe(struct flow *f)
{
	int *p = f->fl_pipe;

	if (npipes_pooled > 0) {
		npipes_pooled--;
		p[0] = pipe_pool[npipes_pooled][0];
		p[1] = pipe_pool[npipes_pooled][1];
		f->fl_pipe_sized = 1;
		return 0;
	}
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) == -1)
		return -1;
	/* A smaller pipe still works, in smaller steps, but is not pooled. */
	f->fl_pipe_sized = fcntl(p[0], F_SETPIPE_SZ, FORWARD_PIPE_SIZE) != -1;
	return 0;
}

static void
pipewait_wake(void);

/* An empty pipe goes back to the pool; one with data in it is closed. */
static void
flow_drop_pipe(struct flow *f)
{
	if (f->fl_pipe[0] == -1)
		return;
	if (f->fl_inpipe == 0 && f->fl_pipe_sized &&
	    npipes_pooled < FORWARD_PIPE_POOL) {
		pipe_pool[npipes_pooled][0] = f->fl_pipe[0];
		pipe_pool[npipes_pooled][1] = f->fl_pipe[1];
		npipes_pooled++;
	} else {
		close(f->fl_pipe[0]);
		close(f->fl_pipe[1]);
	}
	f->fl_pipe[0] = f->fl_pipe[1] = -1;
	flow_held(f, -(ssize_t)f->fl_inpipe);
	pipewait_wake();
}

/* ------------------------------------------------------------ limits */

static int *
peer_chain(const struct peer_addr *pa)
{
	return &peer_hash[peer_addr_hash(peer_seed, pa) % FORWARD_PEER_HASH];
}

/* The count of pa's connections, as slot + 1; 0 when it has none. */
static int
peer_find(const struct peer_addr *pa)
{
	int i;

	for (i = *peer_chain(pa); i != 0; i = peers[i - 1].pc_next)
		if (peer_addr_equal(&peers[i - 1].pc_addr, pa))
			return i;
	return 0;
}

/*
 * One more connection from r's address.  A count has a connection at
 * least, so there are never more counts than connections.
 */
static void
peer_count_in(struct relay *r)
{
	struct peer_addr pa;
	int *chain, i;

	if (peer_addr_set(&pa, &r->r_peer.sa) == -1)
		return;		/* a UNIX client: no address to count */
	if ((i = peer_find(&pa)) == 0) {
		if (peers_free != 0) {
			i = peers_free;
			peers_free = peers[i - 1].pc_next;
		} else
			i = ++peers_used;
		chain = peer_chain(&pa);
		peers[i - 1].pc_addr = pa;
		peers[i - 1].pc_conns = 0;
		peers[i - 1].pc_next = *chain;
		*chain = i;
	}
	peers[i - 1].pc_conns++;
	r->r_peerslot = i;
}

static void
peer_count_out(struct relay *r)
{
	struct peer_count *pc;
	int *link;

	if (r->r_peerslot == 0)
		return;
	pc = &peers[r->r_peerslot - 1];
	if (--pc->pc_conns == 0) {
		link = peer_chain(&pc->pc_addr);
		while (*link != r->r_peerslot)
			link = &peers[*link - 1].pc_next;
		*link = pc->pc_next;
		pc->pc_next = peers_free;
		peers_free = r->r_peerslot;
	}
	r->r_peerslot = 0;
}

/* The default limits: shares of the table, never less than one. */
static int
forward_peer_limit(void)
{
	return capacity >= FORWARD_PEER_SHARE ?
	    capacity / FORWARD_PEER_SHARE : 1;
}

static int
forward_entry_limit(void)
{
	return capacity >= FORWARD_ENTRY_SHARE ?
	    capacity / FORWARD_ENTRY_SHARE : 1;
}

/*
 * Whether peer may open one more connection through the TCP entry sep:
 * 0 when the entry sets no max-child-per-ip and the address holds its
 * share of the table (*limit) already.
 */
int
forward_peer_admit(const struct servtab *sep, const struct sockaddr *peer,
    int *limit)
{
	struct peer_addr pa;
	int i;

	*limit = forward_peer_limit();
	if (sep->se_maxperip > 0 || peer_addr_set(&pa, peer) == -1 ||
	    (i = peer_find(&pa)) == 0)
		return 1;
	return peers[i - 1].pc_conns < *limit;
}

/*
 * A TCP entry without max-child holds its share of the table (*limit):
 * it waits.
 */
int
forward_entry_full(const struct servtab *sep, int *limit)
{
	*limit = forward_entry_limit();
	return sep->se_maxchild == 0 && sep->se_children >= *limit;
}

/* ------------------------------------------------------------- slots */

static void
runq_push(struct relay *r)
{
	event_queue(&r->r_handler[CLIENT]);
}

static void
pipewait_push(struct relay *r)
{
	int slot = r - relays;

	if (r->r_pipewait)
		return;
	r->r_pipewait = 1;
	r->r_waitnext = -1;
	if (pipewait_tail == -1)
		pipewait_head = slot;
	else
		relays[pipewait_tail].r_waitnext = slot;
	pipewait_tail = slot;
}

/* A pipe came free: the connection waiting longest tries again. */
static void
pipewait_wake(void)
{
	struct relay *r;

	if (pipewait_head == -1)
		return;
	r = &relays[pipewait_head];
	if ((pipewait_head = r->r_waitnext) == -1)
		pipewait_tail = -1;
	r->r_pipewait = 0;
	if (r->r_fw != NULL)
		runq_push(r);
}

static struct relay *
relay_alloc(void)
{
	struct relay *r;

	if (nrelays >= capacity)
		return NULL;
	if (relays_free != -1) {
		r = &relays[relays_free];
		relays_free = r->r_next;
	} else if (relays_used < FORWARD_MAXCONN)
		r = &relays[relays_used++];
	else
		return NULL;	/* the rest are freed this pass */
	nrelays++;
	/* Queue links belong to the slot (see struct relay). */
	r->r_fd[CLIENT] = r->r_fd[TARGET] = -1;
	r->r_ready[CLIENT] = r->r_ready[TARGET] = 0;
	r->r_connecting = 1;
	r->r_nodelay = 0;
	r->r_outwatch = 0;
	r->r_first_eof = 0;
	memset(r->r_flow, 0, sizeof(r->r_flow));
	r->r_flow[CLIENT].fl_pipe[0] = r->r_flow[CLIENT].fl_pipe[1] = -1;
	r->r_flow[TARGET].fl_pipe[0] = r->r_flow[TARGET].fl_pipe[1] = -1;
	r->r_start = r->r_active = forward_now_ms;
	memset(&r->r_peer, 0, sizeof(r->r_peer));
	r->r_peerslot = 0;
	return r;
}

/* An RST tells the other side that its data will not arrive. */
static void
close_reset(int fd)
{
	struct linger lg = { 1, 0 };

	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	(void)event_close(fd);
}

static void
relay_end(struct relay *r, enum result result)
{
	int reset = result == R_CLIENT_RESET || result == R_TARGET_RESET;
	int side;

	if (forward_log_each)
		log_relay_end(r, result);
	for (side = CLIENT; side <= TARGET; side++) {
		if (r->r_fd[side] != -1) {
			if (reset)
				close_reset(r->r_fd[side]);
			else
				(void)event_close(r->r_fd[side]);
		}
		flow_drop_pipe(&r->r_flow[side]);
	}
	if (r->r_sep != NULL)
		r->r_sep->se_children--;
	peer_count_out(r);
	forward_unref(r->r_fw);
	r->r_fw = NULL;
	r->r_sep = NULL;
	r->r_next = relays_freed;
	relays_freed = r - relays;
	nrelays--;
}

/* The slots freed this pass are free for the next (relays_freed). */
void
relays_release(void)
{
	struct relay *r;

	while (relays_freed != -1) {
		r = &relays[relays_freed];
		relays_freed = r->r_next;
		r->r_next = relays_free;
		relays_free = r - relays;
	}
}

/*
 * A client whose target cannot be reached is closed with a FIN: what
 * it sent is thrown away first, since closing a socket with unread
 * data sends an RST.
 */
static void
relay_refuse(struct relay *r, enum result result, int error)
{
	char to[INET6_ADDRSTRLEN + 32];

	rule_log(r->r_fw, LOG_WARNING, "connect to %s: %s", addr_text(
	    &r->r_fw->fw_addr, to, sizeof(to)), result == R_CONNECT_TIMEOUT ?
	    "no answer" : strerror(error));
	(void)recv(r->r_fd[CLIENT], NULL, INT_MAX, MSG_DONTWAIT | MSG_TRUNC);
	relay_end(r, result);
}

static int64_t
relay_deadline(const struct relay *r)
{
	if (r->r_connecting)
		return r->r_start + (int64_t)r->r_fw->fw_connect_timeout * 1000;
	if (r->r_fw->fw_timeout > 0)
		return r->r_active + (int64_t)r->r_fw->fw_timeout * 1000;
	return 0;
}

/* ------------------------------------------------------------- PROXY */

/* An IP address as it is; of another family, only the family. */
static void
addr_copy(union sockaddr_any *a, const struct sockaddr *sa)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET || sa->sa_family == AF_INET6)
		memcpy(a, sa, sa->sa_family == AF_INET ? sizeof(a->sin) :
		    sizeof(a->sin6));
	else
		a->sa.sa_family = sa->sa_family;
}

static int
sockname(int fd, union sockaddr_any *a, int peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if ((peer ? getpeername(fd, (struct sockaddr *)&ss, &len) :
	    getsockname(fd, (struct sockaddr *)&ss, &len)) == -1) {
		memset(a, 0, sizeof(*a));
		return -1;
	}
	addr_copy(a, (struct sockaddr *)&ss);
	return 0;
}

/* Before any data: a fresh socket always has room for it. */
static int
send_proxy_header(struct relay *r)
{
	char buf[PROXY_V1_MAX + 1];
	union sockaddr_any local;
	size_t len;

	if (sockname(r->r_fd[CLIENT], &local, 0) == -1)
		return -1;
	len = proxy_header(buf, sizeof(buf), r->r_fw->fw_proxy, SOCK_STREAM,
	    r->r_peer, local);
	if (len == 0 || send(r->r_fd[TARGET], buf, len, MSG_DONTWAIT |
	    MSG_NOSIGNAL) != (ssize_t)len)
		return -1;
	return 0;
}

/* ---------------------------------------------------------- relaying */

/*
 * A side known to be writable (relay_early) is watched without
 * EPOLLOUT, which would only wake the loop to say so, until a write to
 * it does not go through whole.  -1 when epoll fails.
 */
static int
wait_writable(struct relay *r, enum side side)
{
	r->r_ready[side] &= ~CAN_WRITE;
	if (r->r_outwatch & (1 << side))
		return 0;
	if (event_mod(r->r_fd[side], RELAY_EVENTS, &r->r_handler[side]) == -1)
		return -1;
	r->r_outwatch |= 1 << side;
	return 0;
}

/*
 * 1: connected, 0: not yet, -1: failed and ended.  A failed connect
 * comes as EPOLLERR (relay_error), so writable means connected.
 */
static int
relay_check_connected(struct relay *r)
{
	if (!(r->r_ready[TARGET] & CAN_WRITE))
		return 0;
	if (r->r_fw->fw_proxy != 0 && send_proxy_header(r) == -1) {
		relay_refuse(r, R_CONNECT_FAILED, errno != 0 ? errno : EIO);
		return -1;
	}
	r->r_connecting = 0;
	r->r_active = forward_now_ms;
	timer_want(relay_deadline(r));
	return 1;
}

static int
flow_wants_input(const struct flow *f)
{
	return !f->fl_eof && !f->fl_full && f->fl_inpipe < FORWARD_PIPE_SIZE;
}

static void
flow_saw_eof(struct relay *r, enum side from)
{
	r->r_flow[from].fl_eof = 1;
	if (r->r_first_eof == 0)
		r->r_first_eof = 1 + from;
}

/*
 * Nagle's algorithm holds back a small write while an earlier one is
 * unacknowledged, and relayed writes are whole messages, so it would
 * only delay them.  The first write of a connection is never held back:
 * a request and its answer need no system call for it.
 */
static void
target_nodelay(struct relay *r)
{
	int on = 1;

	if (r->r_nodelay || (r->r_flow[CLIENT].fl_bytes == 0 &&
	    r->r_fw->fw_proxy == 0))
		return;
	(void)setsockopt(r->r_fd[TARGET], IPPROTO_TCP, TCP_NODELAY, &on,
	    sizeof(on));
	r->r_nodelay = 1;
}

/*
 * Small exchanges, the most common, go through user space: a recv() and
 * a send() cost fewer system calls than splicing in and out of a pipe.
 * Only when the pipe pool, and the budget, can take over what the
 * destination does not accept at once, since the buffer is shared.
 */
static int
copy_can_spill(void)
{
	return npipes_pooled > 0 && pipe_room() >= FORWARD_COPY_SIZE;
}

static int
flow_can_copy(const struct relay *r, enum side from)
{
	const struct flow *f = &r->r_flow[from];
	enum side to = from == CLIENT ? TARGET : CLIENT;

	return f->fl_pipe[0] == -1 && !f->fl_bulk && copy_can_spill() &&
	    (r->r_ready[to] & CAN_WRITE);
}

/*
 * With too little room in the budget to start a pipe, a direction with
 * nothing in flight moves data only while its destination is writable.
 */
static int
flow_must_peek(const struct relay *r, enum side from)
{
	const struct flow *f = &r->r_flow[from];
	enum side to = from == CLIENT ? TARGET : CLIENT;

	return f->fl_pipe[0] == -1 && pipe_room() < FORWARD_COPY_SIZE &&
	    (r->r_ready[to] & CAN_WRITE);
}

/*
 * A read into the buffer: its length, or 0 when none (an EOF, or
 * nothing yet), or -1 - from when the socket failed.
 */
static ssize_t
flow_read(struct relay *r, enum side from, int flags)
{
	ssize_t n;

	n = recv(r->r_fd[from], copybuf, sizeof(copybuf), MSG_DONTWAIT |
	    flags);
	if (n > 0)
		return n;
	if (n == 0)
		flow_saw_eof(r, from);
	else if (errno == EAGAIN)
		r->r_ready[from] &= ~CAN_READ;
	else if (errno != EINTR)
		return -1 - from;
	return 0;
}

/*
 * A read shorter than the buffer emptied the socket.  A FIN that came
 * before it ends the data, with no recv() to learn it; the FIN passed
 * on leaves in the same segment as the data (MSG_MORE, returned).
 */
static int
flow_emptied(struct relay *r, enum side from)
{
	r->r_ready[from] &= ~CAN_READ;
	if (!(r->r_ready[from] & PEER_FIN))
		return 0;
	flow_saw_eof(r, from);
	return MSG_MORE;
}

static ssize_t
flow_send(struct relay *r, enum side to, size_t n, int flags)
{
	ssize_t sent;

	if (to == TARGET)
		target_nodelay(r);
	if ((sent = send(r->r_fd[to], copybuf, n, MSG_DONTWAIT |
	    MSG_NOSIGNAL | flags)) == -1)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	return sent;
}

/*
 * One read through the buffer and its send: 1 when data moved, 0 when
 * not, or -1 - the side whose socket failed.  A read that fills the
 * buffer means bulk, which goes on through a pipe; a shorter one
 * emptied the socket, and edge-triggered epoll tells when more comes.
 */
static int
flow_copy(struct relay *r, enum side from)
{
	struct flow *f = &r->r_flow[from];
	enum side to = from == CLIENT ? TARGET : CLIENT;
	ssize_t n, sent;
	int more = 0;

	if ((n = flow_read(r, from, 0)) <= 0)
		return n;
	r->r_active = forward_now_ms;
	if ((size_t)n == sizeof(copybuf))
		f->fl_bulk = 1;
	else
		more = flow_emptied(r, from);
	if ((sent = flow_send(r, to, n, more)) == -1)
		return -1 - to;
	flow_delivered(r, f, sent);
	if (sent == n)
		return 1;
	/* From the pool (flow_can_copy), empty: it takes all at once. */
	if (wait_writable(r, to) == -1 || open_pipe(f) == -1 ||
	    write(f->fl_pipe[1], copybuf + sent, n - sent) != n - sent)
		return -1 - to;
	flow_held(f, n - sent);
	return 1;
}

/*
 * As flow_copy(), for a direction that may not start a pipe
 * (flow_must_peek): the data is read without being taken, and only
 * what the destination accepted is then taken from the source, so
 * nothing is held in between.
 */
static int
flow_peek(struct relay *r, enum side from)
{
	struct flow *f = &r->r_flow[from];
	enum side to = from == CLIENT ? TARGET : CLIENT;
	ssize_t n, sent;

	if ((n = flow_read(r, from, MSG_PEEK)) <= 0)
		return n;
	if ((sent = flow_send(r, to, n, 0)) == -1)
		return -1 - to;
	if (sent > 0) {
		if (recv(r->r_fd[from], NULL, sent, MSG_DONTWAIT |
		    MSG_TRUNC) != sent)
			return -1 - from;
		r->r_active = forward_now_ms;
		flow_delivered(r, f, sent);
	}
	if (sent < n)
		return wait_writable(r, to) == -1 ? -1 - to : sent > 0;
	if ((size_t)n < sizeof(copybuf))
		(void)flow_emptied(r, from);
	return 1;
}

/*
 * What the budget lets f's pipe take, at most *room: 0 when nothing,
 * and a pipe is only started with room for a buffer's worth.
 */
static int
flow_pipe_room(const struct flow *f, size_t *room)
{
	size_t left = pipe_room();

	if (f->fl_pipe[0] == -1 && left < FORWARD_COPY_SIZE)
		return 0;
	if (left < *room)
		*room = left;
	return *room > 0;
}

/* One splice in: -1 when the socket failed, else whether data moved. */
static int
flow_in(struct relay *r, enum side from)
{
	struct flow *f = &r->r_flow[from];
	ssize_t n;

	size_t room = FORWARD_PIPE_SIZE - f->fl_inpipe;

	if (!flow_wants_input(f) || !(r->r_ready[from] & CAN_READ) ||
	    r->r_pipewait || !flow_pipe_room(f, &room))
		return 0;
	if (f->fl_pipe[0] == -1 && open_pipe(f) == -1) {
		rule_log(r->r_fw, LOG_ERR, "pipe: %s, forwarding waits",
		    strerror(errno));
		pipewait_push(r);
		return 0;
	}
	n = splice(r->r_fd[from], NULL, f->fl_pipe[1], NULL, room,
	    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	if (n > 0) {
		flow_held(f, n);
		r->r_active = forward_now_ms;
		return 1;
	}
	if (n == 0)
		flow_saw_eof(r, from);
	else if (errno == EAGAIN) {
		/* With data in the pipe, the pipe may be full. */
		if (f->fl_inpipe > 0)
			f->fl_full = 1;
		else {
			r->r_ready[from] &= ~CAN_READ;
			f->fl_bulk = 0;
		}
	} else if (errno != EINTR)
		return -1;
	return 0;
}

/* One splice out, as flow_in(). */
static int
flow_out(struct relay *r, enum side to, struct flow *f)
{
	ssize_t n;

	if (f->fl_inpipe == 0 || !(r->r_ready[to] & CAN_WRITE))
		return 0;
	if (to == TARGET)
		target_nodelay(r);
	n = splice(f->fl_pipe[0], NULL, r->r_fd[to], NULL, f->fl_inpipe,
	    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	if (n > 0) {
		flow_held(f, -n);
		flow_delivered(r, f, n);
		f->fl_full = 0;
		return 1;
	}
	if (n == 0 || errno == EAGAIN)
		return wait_writable(r, to);
	if (errno != EINTR)
		return -1;
	return 0;
}

/*
 * One step of one direction: a few rounds of a copy, or of a splice in
 * and a splice out, so a step moves at most FORWARD_STEP_ROUNDS pipes'
 * worth.  Returns 0, or 1 + the side whose socket failed.
 */
static int
flow_step(struct relay *r, enum side from)
{
	struct flow *f = &r->r_flow[from];
	enum side to = from == CLIENT ? TARGET : CLIENT;
	int round, in, out;

	for (round = 0; round < FORWARD_STEP_ROUNDS; round++) {
		if (flow_wants_input(f) && (r->r_ready[from] & CAN_READ) &&
		    (flow_can_copy(r, from) || flow_must_peek(r, from))) {
			in = flow_can_copy(r, from) ? flow_copy(r, from) :
			    flow_peek(r, from);
			if (in < 0)
				return -in;
			if (in == 0)
				break;
			continue;
		}
		if ((in = flow_in(r, from)) == -1)
			return 1 + from;
		if ((out = flow_out(r, to, f)) == -1)
			return 1 + to;
		if (in == 0 && out == 0)
			break;
	}
	if (f->fl_inpipe == 0)
		flow_drop_pipe(f);
	if (f->fl_eof && f->fl_inpipe == 0 && !f->fl_shut) {
		/*
		 * The half-close goes on, so protocols that need it work;
		 * when the other way is done too, the close says it.
		 */
		if (!r->r_flow[to].fl_shut)
			(void)shutdown(r->r_fd[to], SHUT_WR);
		f->fl_shut = 1;
	}
	return 0;
}

static int
flow_has_work(const struct relay *r, enum side from)
{
	const struct flow *f = &r->r_flow[from];
	enum side to = from == CLIENT ? TARGET : CLIENT;

	size_t room = FORWARD_PIPE_SIZE - f->fl_inpipe;

	return (flow_wants_input(f) && (r->r_ready[from] & CAN_READ) &&
	    !r->r_pipewait && (flow_pipe_room(f, &room) ||
	    flow_must_peek(r, from))) ||
	    (f->fl_inpipe > 0 && (r->r_ready[to] & CAN_WRITE));
}

/*
 * A failed side makes the connection end.  A side that had sent its FIN
 * and then refuses data merely closed; otherwise it was reset.
 */
static enum result
failure_result(const struct relay *r, enum side side)
{
	if (r->r_flow[side].fl_eof)
		return r->r_first_eof == 1 + CLIENT ? R_CLIENT_CLOSED :
		    R_TARGET_CLOSED;
	return side == CLIENT ? R_CLIENT_RESET : R_TARGET_RESET;
}

static void
relay_step(struct relay *r)
{
	int failed;

	if (r->r_connecting && relay_check_connected(r) != 1)
		return;
	if ((failed = flow_step(r, CLIENT)) != 0 ||
	    (failed = flow_step(r, TARGET)) != 0) {
		relay_end(r, failure_result(r, failed - 1));
		return;
	}
	if (r->r_flow[CLIENT].fl_shut && r->r_flow[TARGET].fl_shut) {
		relay_end(r, r->r_first_eof == 1 + CLIENT ? R_CLIENT_CLOSED :
		    R_TARGET_CLOSED);
		return;
	}
	if (flow_has_work(r, CLIENT) || flow_has_work(r, TARGET))
		runq_push(r);
}

/* An error on a socket, as the result it gives the connection. */
static void
relay_error(struct relay *r, enum side side)
{
	socklen_t len = sizeof(int);
	int error = 0;

	if (getsockopt(r->r_fd[side], SOL_SOCKET, SO_ERROR, &error,
	    &len) == -1)
		error = errno;
	if (r->r_connecting && side == TARGET)
		relay_refuse(r, R_CONNECT_FAILED, error != 0 ? error :
		    ECONNREFUSED);
	else if (error != 0)
		relay_end(r, failure_result(r, side));
	else {
		/* Already reported: the next splice will see how it ends. */
		r->r_ready[side] |= CAN_READ | CAN_WRITE;
		relay_step(r);
	}
}

static void
relay_event(struct relay *r, enum side side, uint32_t events)
{
	if (events & EPOLLERR) {
		relay_error(r, side);
		return;
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))
		r->r_ready[side] |= CAN_READ;
	if (events & EPOLLRDHUP)
		r->r_ready[side] |= PEER_FIN;
	if (events & (EPOLLOUT | EPOLLHUP))
		r->r_ready[side] |= CAN_WRITE;
	relay_step(r);
}

/*
 * On loopback the target has answered by the time connect() returns, so
 * what the client sent already can go at once, before the sockets are
 * watched: the target then finds the data with the connection, and no
 * pass of the loop is spent on it.  Where the guess is wrong the data
 * waits in a pipe, as for any destination that is not ready.  Returns
 * 1 when all went (the target is connected), -1 when the connection
 * ended, else 0.
 */
static int
relay_early(struct relay *r)
{
	const struct flow *f = &r->r_flow[CLIENT];
	int moved;

	if (r->r_fw->fw_proxy != 0 || !is_loopback(&r->r_fw->fw_addr) ||
	    !copy_can_spill())
		return 0;
	r->r_ready[CLIENT] = CAN_READ;
	r->r_ready[TARGET] = CAN_WRITE;
	if ((moved = flow_copy(r, CLIENT)) == -1 - TARGET) {
		relay_refuse(r, R_CONNECT_FAILED, errno);
		return -1;
	}
	if (moved < 0) {
		relay_end(r, failure_result(r, CLIENT));
		return -1;
	}
	r->r_ready[CLIENT] = r->r_ready[TARGET] = 0;
	return moved == 1 && f->fl_inpipe == 0;
}

static void
log_full(const struct forward *fw)
{
	char more[64];

	if (quiet_take(&full_quiet_until, &full_missed, more, sizeof(more)))
		logmsg(LOG_WARNING, "%s: %d connections forwarded, the most "
		    "this inetd serves at once: connection refused%s",
		    fw->fw_label, capacity, more);
}

/*
 * Starts forwarding the connection on fd from peer; it counts as a
 * child of count_in until it ends.
 */
void
relay_start(struct forward *fw, struct servtab *count_in, int fd,
    const struct sockaddr *peer)
{
	struct relay *r;
	int early;
	uint32_t events = RELAY_EVENTS;

	forward_now_ms = monotonic_ms();
	if ((r = relay_alloc()) == NULL) {
		log_full(fw);
		close(fd);
		return;
	}
	r->r_fw = fw;
	forward_ref(fw);
	if ((r->r_sep = count_in) != NULL)
		count_in->se_children++;
	r->r_fd[CLIENT] = fd;
	addr_copy(&r->r_peer, peer);
	peer_count_in(r);
	if ((r->r_fd[TARGET] = socket(fw->fw_addr.sa.sa_family, SOCK_STREAM |
	    SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1) {
		rule_log(fw, LOG_ERR, "socket: %s", strerror(errno));
		relay_end(r, R_SOCKET_FAILED);
		return;
	}
	if (connect(r->r_fd[TARGET], &fw->fw_addr.sa, fw->fw_addrlen) == -1 &&
	    errno != EINPROGRESS) {
		relay_refuse(r, R_CONNECT_FAILED, errno);
		return;
	}
	if ((early = relay_early(r)) == -1)
		return;
	if (early) {
		/* Both writable, as they would say at once. */
		r->r_ready[CLIENT] = r->r_ready[TARGET] = CAN_WRITE;
		r->r_connecting = 0;
		events &= ~EPOLLOUT;
	} else
		r->r_outwatch = 1 << CLIENT | 1 << TARGET;
	r->r_handler[CLIENT].h_ready = client_ready;
	r->r_handler[TARGET].h_ready = target_ready;
	if (event_add(r->r_fd[CLIENT], events, &r->r_handler[CLIENT]) == -1 ||
	    event_add(r->r_fd[TARGET], events, &r->r_handler[TARGET]) == -1) {
		rule_log(fw, LOG_ERR, "epoll_ctl: %s", strerror(errno));
		relay_end(r, R_SOCKET_FAILED);
		return;
	}
	timer_want(relay_deadline(r));
}

/* For max-child-per-ip: the connections of sep from peer's address. */
int
forward_peer_count(const struct servtab *sep, const struct sockaddr *peer)
{
	union sockaddr_any who;
	struct relay *r;
	int n = 0;

	if ((peer->sa_family != AF_INET &&
	    peer->sa_family != AF_INET6))
		return 0;
	addr_copy(&who, peer);
	RELAY_FOREACH(r)
		if (r->r_sep == sep && same_host(r->r_peer, who))
			n++;
	return n;
}

/* ---------------------------------------------------------- the loop */

/*
 * The handlers of the loop.  A slot freed during the wake-up is not
 * reused before the next (relays_freed): an event for it finds it free.
 */
static void
side_ready(struct relay *r, enum side side, uint32_t events)
{
	forward_now_ms = event_now_ms();
	if (r->r_fw != NULL)
		relay_event(r, side, events);
}

static void
client_ready(struct handler *h, uint32_t events)
{
	side_ready(container_of(h, struct relay, r_handler[CLIENT]), CLIENT,
	    events);
}

static void
target_ready(struct handler *h, uint32_t events)
{
	side_ready(container_of(h, struct relay, r_handler[TARGET]), TARGET,
	    events);
}

void
relay_init(void)
{
	peer_seed = (uint64_t)arc4random() << 32 | arc4random();
	set_capacity();
}

void
relay_expire(int64_t *soonest)
{
	struct relay *r;
	int64_t at;

	RELAY_FOREACH(r) {
		if ((at = relay_deadline(r)) == 0)
			continue;
		if (at > forward_now_ms)
			earliest(soonest, at);
		else if (r->r_connecting)
			relay_refuse(r, R_CONNECT_TIMEOUT, ETIMEDOUT);
		else
			relay_end(r, R_IDLE_TIMEOUT);
	}
}

/* The connections of old count as sep's. */
void
relay_take_over(struct servtab *old, struct servtab *sep)
{
	struct relay *r;

	if (nrelays == 0)
		return;		/* a reload of many entries stays linear */
	RELAY_FOREACH(r)
		if (r->r_sep == old)
			r->r_sep = sep;
}

/* An entry removed at a reload: its connections run on, uncounted. */
void
relay_forget(struct servtab *old)
{
	relay_take_over(old, NULL);
}

int
relay_count(void)
{
	return nrelays;
}

void
relay_closeall(void)
{
	struct relay *r;

	RELAY_FOREACH(r)
		relay_end(r, R_NONE);
	while (npipes_pooled > 0) {
		npipes_pooled--;
		close(pipe_pool[npipes_pooled][0]);
		close(pipe_pool[npipes_pooled][1]);
	}
}
