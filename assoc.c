/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * assoc.c: the forward builtin's UDP clients.  A client gets an
 * association: a socket of its own connected to the target, so that the
 * target's replies can be told apart and sent back to that client from
 * the service's socket, from the address the client sent to (pktinfo).
 * Associations are found by a hash of the client's address, and the one
 * idle longest (LRU) makes room for a new client when the table is
 * full.  A datagram that may be the echo of one relayed before (a loop)
 * is dropped.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "dgram.h"
#include "event.h"
#include "forward.h"
#include "fwd.h"
#include "log.h"
#include "proxy.h"
#include "stats.h"
#include "util.h"

#define FORWARD_DGRAM_BATCH	16	/* datagrams a socket a pass */
#define FORWARD_HASH_SIZE	4096	/* buckets of the association table */

/* A UDP client of a forward entry, and its socket to the target. */
struct assoc {
	struct forward	*a_fw;		/* NULL: slot free */
	struct servtab	*a_sep;
	struct handler	 a_handler;	/* a_fd's, in the loop */
	int		 a_fd;		/* connected to the target */
	int		 a_listen_fd;	/* the entry's socket, the key */
	union sockaddr_any a_peer;
	socklen_t	 a_peerlen;
	/*
	 * The entry's address the client last sent to: the destination in
	 * PROXY headers, and the source of the replies.
	 */
	union sockaddr_any a_local;
	int		 a_hnext;	/* hash chain, free list: slot + 1 */
	int		 a_older, a_newer;	/* by last activity */
	int64_t		 a_start;
	int64_t		 a_active;
	uint64_t	 a_bytes[2];	/* by source side */
	uint64_t	 a_dgrams[2];
};

static struct assoc	 assocs[FORWARD_MAXASSOC];
static int		 assocs_used;
/* Each association in use, in slot order, as queue(3)'s FOREACH. */
#define ASSOC_FOREACH(a)						\
	for ((a) = assocs; (a) < assocs + assocs_used; (a)++)		\
		if ((a)->a_fw != NULL)
/*
 * The hash chains and the free list link slot + 1, so that 0 ends them and
 * the hash, zeroed as bss, costs no memory until a UDP client comes.
 */
static int		 assocs_free;
static int		 nassocs;
static int		 assoc_hash[FORWARD_HASH_SIZE];
static int		 lru_oldest = -1, lru_newest = -1;
static time_t		 evict_quiet_until;
static unsigned		 evict_missed;
static char		 dgram[BUILTIN_DGRAMMAX];	/* kept off the stack */

static void	assoc_end(struct assoc *, enum result);
static void	assoc_ready(struct handler *, uint32_t);

/* ------------------------------------------------------- the clients */

static int
same_target(const struct forward *a, const struct forward *b)
{
	return a != NULL && b != NULL && a->fw_socktype == b->fw_socktype &&
	    a->fw_proxy == b->fw_proxy && a->fw_addrlen == b->fw_addrlen &&
	    memcmp(&a->fw_addr, &b->fw_addr, a->fw_addrlen) == 0;
}

static int64_t
assoc_deadline(const struct assoc *a)
{
	return a->a_active + (int64_t)a->a_fw->fw_timeout * 1000;
}

static unsigned
assoc_hash_of(int listen_fd, const union sockaddr_any *peer)
{
	const unsigned char *p;
	size_t i, len;
	uint32_t h = 2166136261u ^ (uint32_t)listen_fd;	/* FNV-1a */

	if (peer->sa.sa_family == AF_INET) {
		p = (const unsigned char *)&peer->sin.sin_addr;
		len = 4;
	} else {
		p = (const unsigned char *)&peer->sin6.sin6_addr;
		len = 16;
	}
	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	h = (h ^ (uint32_t)sockaddr_port(&peer->sa)) * 16777619u;
	return h % FORWARD_HASH_SIZE;
}

static int
same_peer(const union sockaddr_any *a, const union sockaddr_any *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return 0;
	if (a->sa.sa_family == AF_INET)
		return a->sin.sin_port == b->sin.sin_port &&
		    a->sin.sin_addr.s_addr == b->sin.sin_addr.s_addr;
	return a->sin6.sin6_port == b->sin6.sin6_port &&
	    IN6_ARE_ADDR_EQUAL(&a->sin6.sin6_addr, &b->sin6.sin6_addr) &&
	    a->sin6.sin6_scope_id == b->sin6.sin6_scope_id;
}

static struct assoc *
assoc_find(int listen_fd, const union sockaddr_any *peer)
{
	struct assoc *a;
	int link;

	for (link = assoc_hash[assoc_hash_of(listen_fd, peer)]; link != 0;
	    link = a->a_hnext) {
		a = &assocs[link - 1];
		if (a->a_listen_fd == listen_fd && same_peer(&a->a_peer, peer))
			return a;
	}
	return NULL;
}

static void
lru_unlink(struct assoc *a)
{
	if (a->a_older != -1)
		assocs[a->a_older].a_newer = a->a_newer;
	else
		lru_oldest = a->a_newer;
	if (a->a_newer != -1)
		assocs[a->a_newer].a_older = a->a_older;
	else
		lru_newest = a->a_older;
}

static void
lru_make_newest(struct assoc *a)
{
	int slot = a - assocs;

	a->a_older = lru_newest;
	a->a_newer = -1;
	if (lru_newest != -1)
		assocs[lru_newest].a_newer = slot;
	else
		lru_oldest = slot;
	lru_newest = slot;
}

static void
assoc_touch(struct assoc *a)
{
	a->a_active = forward_now_ms;
	if (lru_newest != a - assocs) {
		lru_unlink(a);
		lru_make_newest(a);
	}
}

static void
log_assoc_end(const struct assoc *a, enum result result)
{
	char from[LOG_CLIENT_MAX], to[INET6_ADDRSTRLEN + 32];
	struct log_event ev;
	int64_t ms;

	forward_end_event(&ev, a->a_fw, &a->a_peer, a->a_start,
	    a->a_bytes[CLIENT], a->a_bytes[TARGET]);
	ms = ev.le_ms;

	logevent(LOG_INFO, &ev, "%s from %s to %s: %s, %llu datagrams %llu "
	    "bytes in, %llu datagrams %llu bytes out, %lld.%03lld s",
	    a->a_fw->fw_service, log_client(&a->a_peer.sa, from, sizeof(from)),
	    addr_text(&a->a_fw->fw_addr, to, sizeof(to)), result_words[result],
	    (unsigned long long)a->a_dgrams[CLIENT], ev.le_bytes_in,
	    (unsigned long long)a->a_dgrams[TARGET], ev.le_bytes_out,
	    (long long)(ms / 1000), (long long)(ms % 1000));
}

static void
assoc_end(struct assoc *a, enum result result)
{
	int slot = a - assocs, *link;

	if (forward_log_each)
		log_assoc_end(a, result);
	for (link = &assoc_hash[assoc_hash_of(a->a_listen_fd, &a->a_peer)];
	    *link != slot + 1; link = &assocs[*link - 1].a_hnext)
		continue;
	*link = a->a_hnext;
	lru_unlink(a);
	(void)event_close(a->a_fd);
	forward_unref(a->a_fw);
	a->a_fw = NULL;
	a->a_sep = NULL;
	a->a_hnext = assocs_free;
	assocs_free = slot + 1;
	nassocs--;
}

static void
log_evicted(const struct servtab *sep)
{
	char where[SVC_WHERE_MAX], more[64];

	if (quiet_take(&evict_quiet_until, &evict_missed, more, sizeof(more)))
		logmsg(LOG_WARNING, "%s: %d UDP clients forwarded, the most "
		    "this inetd keeps: the one idle longest was forgotten%s",
		    servtab_where(sep, where, sizeof(where)), FORWARD_MAXASSOC,
		    more);
}

/* A slot for a new client; when all are taken, the one idle longest. */
static struct assoc *
assoc_alloc(struct servtab *sep)
{
	struct assoc *a;

	if (nassocs == FORWARD_MAXASSOC) {
		log_evicted(sep);
		assoc_end(&assocs[lru_oldest], R_EVICTED);
	}
	if (assocs_free != 0) {
		a = &assocs[assocs_free - 1];
		assocs_free = a->a_hnext;
	} else
		a = &assocs[assocs_used++];
	nassocs++;
	return a;
}

static struct assoc *
assoc_new(struct servtab *sep, const union sockaddr_any *peer,
    socklen_t peerlen)
{
	struct forward *fw = forward_settings(sep);
	struct assoc *a;
	unsigned h;
	int fd;

	if ((fd = socket(fw->fw_addr.sa.sa_family, SOCK_DGRAM |
	    SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1) {
		rule_log(fw, LOG_ERR, "socket: %s", strerror(errno));
		return NULL;
	}
	if (connect(fd, &fw->fw_addr.sa, fw->fw_addrlen) == -1) {
		rule_log(fw, LOG_WARNING, "connect: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	a = assoc_alloc(sep);
	a->a_handler.h_ready = assoc_ready;
	if (event_add(fd, EPOLLIN, &a->a_handler) == -1) {
		rule_log(fw, LOG_ERR, "epoll_ctl: %s", strerror(errno));
		close(fd);
		a->a_hnext = assocs_free;
		assocs_free = a - assocs + 1;
		nassocs--;
		return NULL;
	}
	a->a_fw = fw;
	forward_ref(fw);
	a->a_sep = sep;
	a->a_fd = fd;
	a->a_listen_fd = sep->se_fd;
	a->a_peer = *peer;
	a->a_peerlen = peerlen;
	a->a_start = a->a_active = forward_now_ms;
	memset(a->a_bytes, 0, sizeof(a->a_bytes));
	memset(a->a_dgrams, 0, sizeof(a->a_dgrams));
	h = assoc_hash_of(a->a_listen_fd, peer);
	a->a_hnext = assoc_hash[h];
	assoc_hash[h] = a - assocs + 1;
	lru_make_newest(a);
	timer_want(assoc_deadline(a));
	return a;
}

static void
log_new_client(const struct servtab *sep, const union sockaddr_any *peer)
{
	struct log_event ev = { .le_service = sep->se_service,
	    .le_peer = &peer->sa };
	char addr[LOG_CLIENT_MAX];

	logevent(LOG_INFO, &ev, "%s from %s", sep->se_service,
	    log_client_addr(&peer->sa, addr, sizeof(addr)));
}

/* The datagram goes to the target, after a PROXY header if asked. */
static void
assoc_send(struct assoc *a, const char *data, size_t len)
{
	char header[PROXY_V2_MAX];
	struct iovec iov[2];
	struct msghdr msg;
	size_t hlen = 0;

	if (a->a_fw->fw_proxy != 0)
		hlen = proxy_header(header, sizeof(header), 2, SOCK_DGRAM,
		    a->a_peer, a->a_local);
	memset(&msg, 0, sizeof(msg));
	iov[0].iov_base = header;
	iov[0].iov_len = hlen;
	iov[1].iov_base = (void *)data;
	iov[1].iov_len = len;
	msg.msg_iov = iov;
	msg.msg_iovlen = 2;
	/* A full socket or an ICMP error loses the datagram, as UDP may. */
	if (sendmsg(a->a_fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) != -1) {
		a->a_dgrams[CLIENT]++;
		a->a_bytes[CLIENT] += len;
		stats_forwarded(a->a_sep, STATS_IN, len);
	}
}

/* ----------------------------------------------------------- pktinfo */

/*
 * The entry's socket tells the address each datagram was sent to
 * (dgram.h): the source of the replies, and the destination of PROXY
 * headers (getsockname() would say 0.0.0.0 on a socket bound to every
 * address).  Set for a UDP forward entry's socket, cleared for another
 * entry's that takes it over at a reload.
 */
int
forward_socket_options(const struct servtab *sep, int fd, int on)
{
	if (sep->se_socktype != SOCK_DGRAM)
		return 0;
	return dgram_dest_option(fd, sep->se_family, sep->se_v6only, on);
}

/* ------------------------------------------------------------- loops */

/*
 * The target itself, on its port: when it is on a loopback address,
 * any loopback address, since a server bound to every address may
 * answer from any of them.
 */
static int
is_target(const struct forward *fw, union sockaddr_any a)
{
	sockaddr_unmap(&a);
	if (sockaddr_port(&a.sa) != sockaddr_port(&fw->fw_addr.sa))
		return 0;
	if (is_loopback(&a) && (is_loopback(&fw->fw_addr) ||
	    is_any_address(&fw->fw_addr)))
		return 1;
	return same_host(a, fw->fw_addr);
}

/*
 * A client that is the target, or on a port of this daemon's own
 * datagram services, may be the echo of a datagram relayed before:
 * relaying it could start the two answering each other for ever.
 */
static int
loop_source(struct forward *fw, const union sockaddr_any *peer,
    loop_port_fn *loop_port)
{
	char addr[LOG_CLIENT_MAX];

	if (!loop_port(sockaddr_port(&peer->sa)) && !is_target(fw, *peer))
		return 0;
	rule_log(fw, LOG_WARNING, "loop request REFUSED from %s",
	    log_client(&peer->sa, addr, sizeof(addr)));
	return 1;
}

/* Datagrams waiting on a forward entry's socket, a bounded batch. */
void
forward_dgram(struct servtab *sep, dgram_admit_fn *admit,
    loop_port_fn *loop_port)
{
	union sockaddr_any peer, local;
	struct assoc *a;
	socklen_t peerlen;
	ssize_t n;
	int i;

	forward_now_ms = monotonic_ms();
	for (i = 0; i < FORWARD_DGRAM_BATCH; i++) {
		if ((n = dgram_recv(sep->se_fd, dgram, sizeof(dgram),
		    &sep->se_ctrladdr.sa, &peer, &peerlen, &local)) == -1)
			return;
		if ((size_t)n > sizeof(dgram) || peer.sa.sa_family == 0)
			continue;
		if (loop_source(forward_settings(sep), &peer, loop_port)) {
			stats_refused(sep, REFUSED_LOOPING);
			continue;
		}
		if ((a = assoc_find(sep->se_fd, &peer)) == NULL) {
			/* Limits count clients, not each datagram. */
			if (admit != NULL && !admit(sep, &peer.sa))
				continue;
			if ((a = assoc_new(sep, &peer, peerlen)) == NULL)
				continue;
			if (forward_log_each)
				log_new_client(sep, &peer);
		}
		a->a_local = local;
		assoc_touch(a);
		assoc_send(a, dgram, n);
	}
}

/* Replies of the target, back to the client from the entry's socket. */
static void
assoc_event(struct assoc *a)
{
	ssize_t n;
	int i;

	for (i = 0; i < FORWARD_DGRAM_BATCH; i++) {
		n = recv(a->a_fd, dgram, sizeof(dgram), MSG_DONTWAIT |
		    MSG_TRUNC);
		if (n == -1) {
			if (errno == EAGAIN)
				return;
			continue;	/* an ICMP error: the target is down */
		}
		if ((size_t)n > sizeof(dgram))
			continue;
		/* The entry's socket was closed (looping) or reopened. */
		if (a->a_sep == NULL || a->a_sep->se_fd != a->a_listen_fd)
			return;
		assoc_touch(a);
		if (dgram_reply(a->a_listen_fd, dgram, n, &a->a_peer,
		    a->a_peerlen, &a->a_local) != -1) {
			a->a_dgrams[TARGET]++;
			a->a_bytes[TARGET] += n;
			stats_forwarded(a->a_sep, STATS_OUT, n);
		}
	}
}

static void
assoc_ready(struct handler *h, uint32_t events)
{
	struct assoc *a = container_of(h, struct assoc, a_handler);

	(void)events;
	forward_now_ms = event_now_ms();
	if (a->a_fw != NULL)
		assoc_event(a);
}

void
assoc_expire(int64_t *soonest)
{
	struct assoc *a;
	int64_t at;

	ASSOC_FOREACH(a) {
		if ((at = assoc_deadline(a)) > forward_now_ms)
			earliest(soonest, at);
		else
			assoc_end(a, R_EXPIRED);
	}
}

/* The clients follow sep when fw, its settings, has the same target. */
void
assoc_take_over(struct servtab *old, struct servtab *sep,
    struct forward *fw)
{
	struct assoc *a;

	if (nassocs == 0)
		return;		/* a reload of many entries stays linear */
	ASSOC_FOREACH(a) {
		if (a->a_sep != old)
			continue;
		if (!same_target(a->a_fw, fw)) {
			forward_now_ms = monotonic_ms();
			assoc_end(a, R_REPLACED);
			continue;
		}
		forward_ref(fw);
		forward_unref(a->a_fw);
		a->a_fw = fw;
		a->a_sep = sep;
	}
}

void
assoc_forget(struct servtab *old)
{
	struct assoc *a;

	if (nassocs == 0)
		return;
	forward_now_ms = monotonic_ms();
	ASSOC_FOREACH(a)
		if (a->a_sep == old)
			assoc_end(a, R_REPLACED);
}

int
assoc_count(void)
{
	return nassocs;
}

void
assoc_closeall(void)
{
	struct assoc *a;

	ASSOC_FOREACH(a)
		assoc_end(a, R_NONE);
}
