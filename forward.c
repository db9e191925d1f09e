/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * forward.c: the forward builtin, a TCP and UDP port forwarder served
 * by the daemon itself, with no process per connection.
 *
 * Every forwarded socket is registered in the loop's one epoll set
 * (event.h), with a handler embedded in its connection or association:
 * one wait a wake-up serves them and the listeners alike, and the
 * number of connections is bounded by the table only.  Their deadlines
 * are not in the set: the loop asks forward_deadline() how long it may
 * wait.  A TCP connection moves bulk data with
 * splice(2) through a pipe, taken from a small pool only while data is
 * in flight, so those bytes never pass through user space; a short
 * message, the common case, takes one recv() and one send() through a
 * shared buffer of 16 kilobytes instead.  An idle connection holds two
 * sockets and nothing else.  The sockets are edge-triggered; each pass
 * of the loop does a bounded amount of work per connection, and a
 * connection with more to do is queued for the next pass, so that none
 * can hold up the others.
 *
 * A UDP client gets an association: a socket of its own connected to
 * the target, so that the target's replies can be told apart and sent
 * back to that client from the service's socket.
 *
 * Connections and associations refer to their entry's settings (struct
 * forward) by a reference of their own, since a reload may free the
 * entry while they run.  inetd.c tells this file which entry takes over
 * a socket (forward_take_over) and which goes (forward_forget).
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "builtin.h"
#include "config.h"
#include "event.h"
#include "inetd.h"
#include "log.h"
#include "ratelimit.h"
#include "util.h"

#define FORWARD_CONNECT_TIMEOUT	10	/* s, default connect-timeout= */
#define FORWARD_UDP_TIMEOUT	60	/* s, default timeout= for UDP */
/*
 * An idle TCP connection holds two descriptors and a slot of the table
 * for good: without a timeout= of its own, it is closed after an hour.
 */
#define FORWARD_TCP_TIMEOUT	3600	/* s, default timeout= for TCP */
#define FORWARD_TIMEOUT_MAX	(7 * 24 * 3600)	/* largest timeout= */
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
#define FORWARD_DGRAM_BATCH	16	/* datagrams a socket a pass */
#define FORWARD_LOG_INTERVAL	10	/* s between like messages of a rule */
#define FORWARD_HASH_SIZE	4096	/* buckets of the association table */
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
/*
 * Descriptors left to the rest of the daemon (listeners, builtin
 * connections, children's pipes), so that a reload can still open
 * listeners while thousands of connections are forwarded.
 */
#define FORWARD_FD_KEPT		1024
/* Descriptors the forwarder may need: two sockets and two pipes each. */
#define FORWARD_NOFILE		(4 * FORWARD_MAXCONN + FORWARD_MAXASSOC + \
				 FORWARD_FD_KEPT)

/* The settings of one forward entry, shared by its connections. */
struct forward {
	int		 fw_refs;
	int		 fw_socktype;
	int		 fw_proxy;	/* PROXY protocol version, 0: none */
	int		 fw_timeout;	/* idle s, 0: none */
	int		 fw_connect_timeout;	/* s */
	char		*fw_host;	/* the target as written */
	char		*fw_port;
	union sockaddr_any fw_addr;	/* resolved target */
	socklen_t	 fw_addrlen;
	char		*fw_label;	/* "FILE:LINE: SVC/PROTO" */
	char		*fw_service;	/* the service field, for -l */
	char		*fw_wrapname;	/* daemon name for tcp_wrappers */
	int		 fw_nodelay_fd; /* listener given TCP_NODELAY, or -1 */
	time_t		 fw_quiet_until; /* failures not logged before */
	unsigned	 fw_quiet_missed;
};

/* How a connection ended, in rinetd's words where it has them. */
enum result {
	R_NONE,
	R_CLIENT_CLOSED,	/* the client closed first */
	R_TARGET_CLOSED,	/* the target closed first */
	R_CLIENT_RESET,
	R_TARGET_RESET,
	R_CONNECT_FAILED,
	R_CONNECT_TIMEOUT,
	R_SOCKET_FAILED,
	R_IDLE_TIMEOUT,
	R_EXPIRED,		/* UDP association idle */
	R_EVICTED,		/* UDP association made room for another */
	R_REPLACED		/* its entry's target changed on reload */
};

static const char *const result_words[] = {
	[R_NONE] = "closed",
	[R_CLIENT_CLOSED] = "done-remote-closed",
	[R_TARGET_CLOSED] = "done-local-closed",
	[R_CLIENT_RESET] = "remote-reset",
	[R_TARGET_RESET] = "local-reset",
	[R_CONNECT_FAILED] = "local-connect-failed",
	[R_CONNECT_TIMEOUT] = "local-connect-timeout",
	[R_SOCKET_FAILED] = "local-socket-failed",
	[R_IDLE_TIMEOUT] = "idle-timeout",
	[R_EXPIRED] = "expired",
	[R_EVICTED] = "evicted",
	[R_REPLACED] = "reconfigured",
};

enum side { CLIENT, TARGET };

#define CAN_READ	0x1
#define CAN_WRITE	0x2
#define PEER_FIN	0x4	/* EPOLLRDHUP: its FIN follows its data */

#define CONN_EVENTS	(EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)

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
struct conn {
	struct forward	*c_fw;		/* NULL: slot free */
	struct servtab	*c_sep;		/* counted in; NULL once removed */
	struct handler	 c_handler[2];	/* by side, in the loop */
	int		 c_fd[2];	/* by enum side */
	uint8_t		 c_ready[2];	/* CAN_READ, CAN_WRITE by side */
	uint8_t		 c_connecting;
	uint8_t		 c_nodelay;	/* TCP_NODELAY set on the target */
	uint8_t		 c_outwatch;	/* 1 << side: watched for EPOLLOUT */
	uint8_t		 c_first_eof;	/* 1 + side that closed first */
	uint8_t		 c_pipewait;
	struct flow	 c_flow[2];	/* by source side */
	int64_t		 c_start;	/* ms */
	int64_t		 c_active;	/* ms, last data */
	union sockaddr_any c_peer;	/* family 0: not an IP client */
	int		 c_peerslot;	/* its address's count: slot + 1 */
	int		 c_next;	/* free lists */
	int		 c_waitnext;	/* pipe wait list */
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

static int		 log_each;	/* inetd -l */
/* The earliest deadline of the tables, or sooner; 0: none. */
static int64_t		 timer_at;
static int64_t		 now_ms;	/* of this pass */
static struct rlimit	 nofile_orig;	/* restored for servers */
static int		 nofile_changed;
static int		 capacity = FORWARD_MAXCONN;

static struct conn	 conns[FORWARD_MAXCONN];	/* touched as used */
static int		 conns_used;	/* slots ever used */
static int		 conns_free = -1;
/*
 * Slots freed during this pass of the loop, free for the next: events
 * of the same wake-up may still name them, and must not find another
 * connection there.
 */
static int		 conns_freed = -1;
static int		 nconns;
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

static struct assoc	 assocs[FORWARD_MAXASSOC];
static int		 assocs_used;
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
static char		 copybuf[FORWARD_COPY_SIZE];

static void	conn_end(struct conn *, enum result);
static void	conn_refuse(struct conn *, enum result, int);
static void	assoc_end(struct assoc *, enum result);
static void	client_ready(struct handler *, uint32_t);
static void	target_ready(struct handler *, uint32_t);
static void	assoc_ready(struct handler *, uint32_t);
static void	rule_log(struct forward *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* ---------------------------------------------------------- settings */

static void
forward_ref(struct forward *fw)
{
	fw->fw_refs++;
}

/* The settings go with their last user: entry, connection or client. */
static void
forward_unref(struct forward *fw)
{
	if (fw == NULL || --fw->fw_refs > 0)
		return;
	free(fw->fw_host);
	free(fw->fw_port);
	free(fw->fw_label);
	free(fw->fw_service);
	free(fw->fw_wrapname);
	free(fw);
}

void
forward_free(void *private)
{
	forward_unref(private);
}

/* The settings of a forward entry, as forward_parse() made them. */
static struct forward *
settings(const struct servtab *sep)
{
	return sep->se_private;
}

/* "HOST:PORT" or "[IPv6]:PORT" into the two strings it names. */
static int
parse_target(struct forward *fw, const char *target, char *err,
    size_t errsize)
{
	const char *host, *port, *end;
	size_t hostlen;

	if (target[0] == '[') {
		host = target + 1;
		if ((end = strchr(host, ']')) == NULL || end[1] != ':') {
			snprintf(err, errsize, "bad forward target '%s': "
			    "expected [IPv6-address]:PORT", target);
			return -1;
		}
		port = end + 2;
	} else {
		host = target;
		if ((end = strrchr(target, ':')) == NULL) {
			snprintf(err, errsize, "bad forward target '%s': "
			    "expected HOST:PORT", target);
			return -1;
		}
		if (memchr(target, ':', end - target) != NULL) {
			snprintf(err, errsize, "bad forward target '%s': an "
			    "IPv6 address goes in brackets, [ADDRESS]:PORT",
			    target);
			return -1;
		}
		port = end + 1;
	}
	hostlen = end - host;
	if (hostlen == 0 || *port == '\0') {
		snprintf(err, errsize, "bad forward target '%s': missing %s",
		    target, hostlen == 0 ? "host" : "port");
		return -1;
	}
	if ((fw->fw_host = strndup(host, hostlen)) == NULL ||
	    (fw->fw_port = strdup(port)) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	return 0;
}

static int
parse_seconds(const char *option, const char *value, int *seconds,
    char *err, size_t errsize)
{
	const char *errstr;

	*seconds = strtonum(value, 1, FORWARD_TIMEOUT_MAX, &errstr);
	if (errstr == NULL)
		return 0;
	snprintf(err, errsize, "bad forward option '%s': seconds from 1 to "
	    "%d expected", option, FORWARD_TIMEOUT_MAX);
	return -1;
}

static int
parse_option(struct forward *fw, const char *option, int *connect_given,
    char *err, size_t errsize)
{
	int version = 0;

	if (strcmp(option, "proxy-v1") == 0)
		version = 1;
	else if (strcmp(option, "proxy-v2") == 0)
		version = 2;
	else if (strncmp(option, "timeout=", 8) == 0)
		return parse_seconds(option, option + 8, &fw->fw_timeout, err,
		    errsize);
	else if (strncmp(option, "connect-timeout=", 16) == 0) {
		*connect_given = 1;
		return parse_seconds(option, option + 16,
		    &fw->fw_connect_timeout, err, errsize);
	} else {
		snprintf(err, errsize, "unknown forward option '%s' (expected "
		    "proxy-v1, proxy-v2, timeout=SECONDS or "
		    "connect-timeout=SECONDS)", option);
		return -1;
	}
	if (fw->fw_proxy != 0 && fw->fw_proxy != version) {
		snprintf(err, errsize, "proxy-v1 and proxy-v2 exclude each "
		    "other");
		return -1;
	}
	if (version == 1 && fw->fw_socktype == SOCK_DGRAM) {
		snprintf(err, errsize, "proxy-v1 is for stream entries; "
		    "datagrams can carry proxy-v2");
		return -1;
	}
	fw->fw_proxy = version;
	return 0;
}

static struct forward *
parse_settings(int socktype, char *const args[], int nargs, char *err,
    size_t errsize)
{
	struct forward *fw;
	int i, connect_given = 0;

	if (nargs < 1) {
		snprintf(err, errsize, "forward needs a target: internal "
		    "forward HOST:PORT [options]");
		return NULL;
	}
	if ((fw = calloc(1, sizeof(*fw))) == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	fw->fw_refs = 1;
	fw->fw_nodelay_fd = -1;
	fw->fw_socktype = socktype;
	fw->fw_connect_timeout = FORWARD_CONNECT_TIMEOUT;
	fw->fw_timeout = socktype == SOCK_DGRAM ? FORWARD_UDP_TIMEOUT :
	    FORWARD_TCP_TIMEOUT;
	if (parse_target(fw, args[0], err, errsize) == -1)
		goto fail;
	for (i = 1; i < nargs; i++)
		if (parse_option(fw, args[i], &connect_given, err,
		    errsize) == -1)
			goto fail;
	if (connect_given && socktype == SOCK_DGRAM) {
		snprintf(err, errsize, "connect-timeout= is for stream "
		    "entries");
		goto fail;
	}
	return fw;
fail:
	forward_unref(fw);
	return NULL;
}

/*
 * The arguments follow the builtin's name, or start the argument list
 * when the service field named the builtin.
 */
int
forward_parse(struct servtab *sep, char *err, size_t errsize)
{
	int first;

	first = sep->se_argc > 0 &&
	    strcmp(sep->se_argv[0], FORWARD_NAME) == 0 ? 1 : 0;
	sep->se_private = parse_settings(sep->se_socktype, sep->se_argv +
	    first, sep->se_argc - first, err, errsize);
	return sep->se_private == NULL ? -1 : 0;
}

static int
is_any_address(const union sockaddr_any *a)
{
	if (a->sa.sa_family == AF_INET)
		return a->sin.sin_addr.s_addr == htonl(INADDR_ANY);
	return a->sa.sa_family == AF_INET6 &&
	    IN6_IS_ADDR_UNSPECIFIED(&a->sin6.sin6_addr);
}

static int
is_loopback(const union sockaddr_any *a)
{
	if (a->sa.sa_family == AF_INET)
		return (ntohl(a->sin.sin_addr.s_addr) >> 24) == 127;
	return a->sa.sa_family == AF_INET6 &&
	    IN6_IS_ADDR_LOOPBACK(&a->sin6.sin6_addr);
}

/*
 * An entry forwarding to its own socket would connect to itself, and
 * each such connection would make another, until a limit stopped it.
 */
static int
targets_itself(const struct servtab *sep, const struct forward *fw)
{
	const union sockaddr_any *bind =
	    (const union sockaddr_any *)&sep->se_ctrladdr;

	if (sep->se_family == AF_UNIX || sockaddr_port(&bind->sa) !=
	    sockaddr_port(&fw->fw_addr.sa))
		return 0;
	if (is_any_address(bind))
		return is_loopback(&fw->fw_addr) ||
		    is_any_address(&fw->fw_addr);
	return bind->sa.sa_family == fw->fw_addr.sa.sa_family &&
	    (bind->sa.sa_family == AF_INET ?
	    bind->sin.sin_addr.s_addr == fw->fw_addr.sin.sin_addr.s_addr :
	    IN6_ARE_ADDR_EQUAL(&bind->sin6.sin6_addr,
	    &fw->fw_addr.sin6.sin6_addr));
}

int
forward_target(const struct servtab *sep, const char **host,
    const char **port, int *socktype)
{
	const struct forward *fw = settings(sep);

	*host = fw->fw_host;
	*port = fw->fw_port;
	*socktype = fw->fw_socktype;
	return 1;
}

/* config.c looked the target up (forward_target()) as it looks up all. */
int
forward_resolve(struct servtab *sep, const struct sockaddr *addr,
    socklen_t addrlen, char *err, size_t errsize)
{
	struct forward *fw = settings(sep);
	char label[SVC_WHERE_MAX], name[SVC_NAME_MAX];

	if (addrlen > sizeof(fw->fw_addr)) {
		snprintf(err, errsize, "address of forward target %s is too "
		    "long", fw->fw_host);
		return -1;
	}
	memcpy(&fw->fw_addr, addr, addrlen);
	fw->fw_addrlen = addrlen;
	if (targets_itself(sep, fw)) {
		snprintf(err, errsize, "forward target %s port %s is the "
		    "entry's own address", fw->fw_host, fw->fw_port);
		return -1;
	}
	servtab_where(sep, label, sizeof(label));
	free(fw->fw_label);
	free(fw->fw_service);
	free(fw->fw_wrapname);
	fw->fw_wrapname = NULL;
	/* libwrap never matches a daemon name made of digits. */
	if (strspn(sep->se_service, "0123456789") == strlen(sep->se_service))
		snprintf(name, sizeof(name), "%s-%s", FORWARD_NAME,
		    sep->se_service);
	else
		strlcpy(name, sep->se_service, sizeof(name));
	if ((fw->fw_label = strdup(label)) == NULL ||
	    (fw->fw_service = strdup(sep->se_service)) == NULL ||
	    (fw->fw_wrapname = strdup(name)) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	return 0;
}

const char *
forward_wrap_name(const struct servtab *sep)
{
	return settings(sep)->fw_wrapname;
}

/*
 * -W: the child of the entry let the client in; the daemon forwards the
 * connection, which the child gives back (see builtin_serve()).
 */
const struct servtab *
forward_child(const struct servtab *sep, int fd,
    const struct servtab *services)
{
	(void)fd;
	(void)services;
	return sep;
}

static int
same_target(const struct forward *a, const struct forward *b)
{
	return a != NULL && b != NULL && a->fw_socktype == b->fw_socktype &&
	    a->fw_proxy == b->fw_proxy && a->fw_addrlen == b->fw_addrlen &&
	    memcmp(&a->fw_addr, &b->fw_addr, a->fw_addrlen) == 0;
}

/* ----------------------------------------------------------- logging */

/* "ADDR port N"; an address not looked up, or a UNIX one, by name. */
static const char *
addr_text(const union sockaddr_any *a, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN + 1];

	if (a->sa.sa_family != AF_INET && a->sa.sa_family != AF_INET6) {
		snprintf(buf, size, "%s", a->sa.sa_family == AF_UNIX ?
		    "a UNIX socket" : "an unknown address");
		return buf;
	}
	snprintf(buf, size, "%s port %d", sockaddr_str(&a->sa, host,
	    sizeof(host)), sockaddr_port(&a->sa));
	return buf;
}

/*
 * Failures of a rule (a target down, descriptors short) come with each
 * connection: at most one message every FORWARD_LOG_INTERVAL seconds,
 * saying how many were left out.
 */
static int
quiet_take(time_t *until, unsigned *missed, char *more, size_t size)
{
	time_t now = now_ms / 1000;

	more[0] = '\0';
	if (now < *until) {
		(*missed)++;
		return 0;
	}
	if (*missed > 0)
		snprintf(more, size, " (%u more like it not logged)", *missed);
	*missed = 0;
	*until = now + FORWARD_LOG_INTERVAL;
	return 1;
}

static void
rule_log(struct forward *fw, int priority, const char *fmt, ...)
{
	char msg[512], more[64];
	va_list ap;

	if (!quiet_take(&fw->fw_quiet_until, &fw->fw_quiet_missed, more,
	    sizeof(more)))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	logmsg(priority, "%s: %s%s", fw->fw_label, msg, more);
}

static void
log_conn_end(const struct conn *c, enum result result)
{
	char from[INET6_ADDRSTRLEN + 32], to[INET6_ADDRSTRLEN + 32];
	int64_t ms = now_ms - c->c_start;

	logmsg(LOG_INFO, "%s from %s to %s: %s, %llu bytes in, %llu bytes "
	    "out, %lld.%03lld s", c->c_fw->fw_service,
	    addr_text(&c->c_peer, from, sizeof(from)),
	    addr_text(&c->c_fw->fw_addr, to, sizeof(to)),
	    result_words[result],
	    (unsigned long long)c->c_flow[CLIENT].fl_bytes,
	    (unsigned long long)c->c_flow[TARGET].fl_bytes,
	    (long long)(ms / 1000), (long long)(ms % 1000));
}

/* --------------------------------------------------------- resources */

/*
 * Thousands of connections need more descriptors than a process gets
 * by default.  Servers inetd starts get the limit it was given back
 * (forward_restore_limits), since old programs loop up to it.
 */
static void
raise_nofile_limit(void)
{
	struct rlimit rl;
	rlim_t want = FORWARD_NOFILE;

	if (getrlimit(RLIMIT_NOFILE, &nofile_orig) == -1)
		return;
	rl = nofile_orig;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
		/* Only root may raise the hard limit. */
		rl.rlim_cur = rl.rlim_max = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0) {
			nofile_changed = 1;
			return;
		}
		rl = nofile_orig;
	}
	if (rl.rlim_cur == rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
		nofile_changed = 1;
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

void
forward_restore_limits(void)
{
	if (nofile_changed)
		(void)setrlimit(RLIMIT_NOFILE, &nofile_orig);
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

/* ----------------------------------------------------------- timers */

/* The loop wakes up at the earliest deadline, or sooner. */
static void
timer_want(int64_t at)
{
	if (at != 0 && (timer_at == 0 || at < timer_at))
		timer_at = at;
}

static int64_t
conn_deadline(const struct conn *c)
{
	if (c->c_connecting)
		return c->c_start + (int64_t)c->c_fw->fw_connect_timeout * 1000;
	if (c->c_fw->fw_timeout > 0)
		return c->c_active + (int64_t)c->c_fw->fw_timeout * 1000;
	return 0;
}

static int64_t
assoc_deadline(const struct assoc *a)
{
	return a->a_active + (int64_t)a->a_fw->fw_timeout * 1000;
}

static void
earliest(int64_t *soonest, int64_t at)
{
	if (at != 0 && (*soonest == 0 || at < *soonest))
		*soonest = at;
}

/*
 * Deadlines only move later as data flows, so the earliest is known
 * when a connection starts, and found again here when it is reached:
 * one pass over the tables, only then.
 */
static void
timer_expired(void)
{
	struct conn *c;
	struct assoc *a;
	int64_t at, soonest = 0;
	int i;

	timer_at = 0;
	for (i = 0; i < conns_used; i++) {
		c = &conns[i];
		if (c->c_fw == NULL || (at = conn_deadline(c)) == 0)
			continue;
		if (at > now_ms)
			earliest(&soonest, at);
		else if (c->c_connecting)
			conn_refuse(c, R_CONNECT_TIMEOUT, ETIMEDOUT);
		else
			conn_end(c, R_IDLE_TIMEOUT);
	}
	for (i = 0; i < assocs_used; i++) {
		a = &assocs[i];
		if (a->a_fw == NULL)
			continue;
		if ((at = assoc_deadline(a)) > now_ms)
			earliest(&soonest, at);
		else
			assoc_end(a, R_EXPIRED);
	}
	timer_want(soonest);
}

/* ------------------------------------------------------ TCP: limits */

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
 * One more connection from c's address.  A count has a connection at
 * least, so there are never more counts than connections.
 */
static void
peer_count_in(struct conn *c)
{
	struct peer_addr pa;
	int *chain, i;

	if (peer_addr_set(&pa, &c->c_peer.sa) == -1)
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
	c->c_peerslot = i;
}

static void
peer_count_out(struct conn *c)
{
	struct peer_count *pc;
	int *link;

	if (c->c_peerslot == 0)
		return;
	pc = &peers[c->c_peerslot - 1];
	if (--pc->pc_conns == 0) {
		link = peer_chain(&pc->pc_addr);
		while (*link != c->c_peerslot)
			link = &peers[*link - 1].pc_next;
		*link = pc->pc_next;
		pc->pc_next = peers_free;
		peers_free = c->c_peerslot;
	}
	c->c_peerslot = 0;
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

/* ------------------------------------------------------ TCP: slots */

static void
runq_push(struct conn *c)
{
	event_queue(&c->c_handler[CLIENT]);
}

static void
pipewait_push(struct conn *c)
{
	int slot = c - conns;

	if (c->c_pipewait)
		return;
	c->c_pipewait = 1;
	c->c_waitnext = -1;
	if (pipewait_tail == -1)
		pipewait_head = slot;
	else
		conns[pipewait_tail].c_waitnext = slot;
	pipewait_tail = slot;
}

/* A pipe came free: the connection waiting longest tries again. */
static void
pipewait_wake(void)
{
	struct conn *c;

	if (pipewait_head == -1)
		return;
	c = &conns[pipewait_head];
	if ((pipewait_head = c->c_waitnext) == -1)
		pipewait_tail = -1;
	c->c_pipewait = 0;
	if (c->c_fw != NULL)
		runq_push(c);
}

static struct conn *
conn_alloc(void)
{
	struct conn *c;

	if (nconns >= capacity)
		return NULL;
	if (conns_free != -1) {
		c = &conns[conns_free];
		conns_free = c->c_next;
	} else if (conns_used < FORWARD_MAXCONN)
		c = &conns[conns_used++];
	else
		return NULL;	/* the rest are freed this pass */
	nconns++;
	/* Queue links belong to the slot (see struct conn). */
	c->c_fd[CLIENT] = c->c_fd[TARGET] = -1;
	c->c_ready[CLIENT] = c->c_ready[TARGET] = 0;
	c->c_connecting = 1;
	c->c_nodelay = 0;
	c->c_outwatch = 0;
	c->c_first_eof = 0;
	memset(c->c_flow, 0, sizeof(c->c_flow));
	c->c_flow[CLIENT].fl_pipe[0] = c->c_flow[CLIENT].fl_pipe[1] = -1;
	c->c_flow[TARGET].fl_pipe[0] = c->c_flow[TARGET].fl_pipe[1] = -1;
	c->c_start = c->c_active = now_ms;
	memset(&c->c_peer, 0, sizeof(c->c_peer));
	c->c_peerslot = 0;
	return c;
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
conn_end(struct conn *c, enum result result)
{
	int reset = result == R_CLIENT_RESET || result == R_TARGET_RESET;
	int side;

	if (log_each)
		log_conn_end(c, result);
	for (side = CLIENT; side <= TARGET; side++) {
		if (c->c_fd[side] != -1) {
			if (reset)
				close_reset(c->c_fd[side]);
			else
				(void)event_close(c->c_fd[side]);
		}
		flow_drop_pipe(&c->c_flow[side]);
	}
	if (c->c_sep != NULL)
		c->c_sep->se_children--;
	peer_count_out(c);
	forward_unref(c->c_fw);
	c->c_fw = NULL;
	c->c_sep = NULL;
	c->c_next = conns_freed;
	conns_freed = c - conns;
	nconns--;
}

/* The slots freed this pass are free for the next (conns_freed). */
static void
conns_release(void)
{
	struct conn *c;

	while (conns_freed != -1) {
		c = &conns[conns_freed];
		conns_freed = c->c_next;
		c->c_next = conns_free;
		conns_free = c - conns;
	}
}

/*
 * A client whose target cannot be reached is closed with a FIN: what
 * it sent is thrown away first, since closing a socket with unread
 * data sends an RST.
 */
static void
conn_refuse(struct conn *c, enum result result, int error)
{
	char to[INET6_ADDRSTRLEN + 32];

	rule_log(c->c_fw, LOG_WARNING, "connect to %s: %s", addr_text(
	    &c->c_fw->fw_addr, to, sizeof(to)), result == R_CONNECT_TIMEOUT ?
	    "no answer" : strerror(error));
	(void)recv(c->c_fd[CLIENT], NULL, INT_MAX, MSG_DONTWAIT | MSG_TRUNC);
	conn_end(c, result);
}

/* ------------------------------------------------------ TCP: PROXY */

/* An IPv4 client of a dual-stack socket, as the IPv4 address it is. */
static void
unmap(union sockaddr_any *a)
{
	struct sockaddr_in sin;

	if (a->sa.sa_family != AF_INET6 ||
	    !IN6_IS_ADDR_V4MAPPED(&a->sin6.sin6_addr))
		return;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = a->sin6.sin6_port;
	memcpy(&sin.sin_addr, &a->sin6.sin6_addr.s6_addr[12], 4);
	a->sin = sin;
}

/*
 * An address as a PROXY v1 header writes it: without the "%scope" of
 * a link-local IPv6 address, which the protocol does not allow.
 */
static const char *
proxy_v1_addr(const union sockaddr_any *a, char *buf, size_t size)
{
	return inet_ntop(a->sa.sa_family, a->sa.sa_family == AF_INET ?
	    (const void *)&a->sin.sin_addr : (const void *)&a->sin6.sin6_addr,
	    buf, size);
}

/* The PROXY protocol header (version 1 or 2) for src talking to dst. */
size_t
proxy_header(char *buf, size_t size, int version, int socktype,
    union sockaddr_any src, union sockaddr_any dst)
{
	static const char v2sig[12] = "\r\n\r\n\0\r\nQUIT\n";
	char s[INET6_ADDRSTRLEN + 1], d[INET6_ADDRSTRLEN + 1];
	unsigned char *p = (unsigned char *)buf;
	int family, n;
	size_t len;

	unmap(&src);
	unmap(&dst);
	family = src.sa.sa_family == dst.sa.sa_family &&
	    (src.sa.sa_family == AF_INET || src.sa.sa_family == AF_INET6) ?
	    src.sa.sa_family : AF_UNSPEC;
	if (version == 1) {
		if (family == AF_UNSPEC)
			n = snprintf(buf, size, "PROXY UNKNOWN\r\n");
		else if (proxy_v1_addr(&src, s, sizeof(s)) == NULL ||
		    proxy_v1_addr(&dst, d, sizeof(d)) == NULL)
			n = -1;
		else
			n = snprintf(buf, size, "PROXY %s %s %s %d %d\r\n",
			    family == AF_INET ? "TCP4" : "TCP6", s, d,
			    sockaddr_port(&src.sa), sockaddr_port(&dst.sa));
		return n > 0 && (size_t)n < size ? (size_t)n : 0;
	}
	len = family == AF_INET ? 12 : family == AF_INET6 ? 36 : 0;
	if (size < 16 + len)
		return 0;
	memcpy(p, v2sig, sizeof(v2sig));
	p[12] = 0x21;		/* version 2, PROXY */
	p[13] = family == AF_UNSPEC ? 0x00 :
	    (family == AF_INET ? 0x10 : 0x20) |
	    (socktype == SOCK_STREAM ? 0x01 : 0x02);
	p[14] = len >> 8;
	p[15] = len & 0xff;
	p += 16;
	if (family == AF_INET) {
		memcpy(p, &src.sin.sin_addr, 4);
		memcpy(p + 4, &dst.sin.sin_addr, 4);
		memcpy(p + 8, &src.sin.sin_port, 2);
		memcpy(p + 10, &dst.sin.sin_port, 2);
	} else if (family == AF_INET6) {
		memcpy(p, &src.sin6.sin6_addr, 16);
		memcpy(p + 16, &dst.sin6.sin6_addr, 16);
		memcpy(p + 32, &src.sin6.sin6_port, 2);
		memcpy(p + 34, &dst.sin6.sin6_port, 2);
	}
	return 16 + len;
}

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
send_proxy_header(struct conn *c)
{
	char buf[PROXY_V1_MAX + 1];
	union sockaddr_any local;
	size_t len;

	if (sockname(c->c_fd[CLIENT], &local, 0) == -1)
		return -1;
	len = proxy_header(buf, sizeof(buf), c->c_fw->fw_proxy, SOCK_STREAM,
	    c->c_peer, local);
	if (len == 0 || send(c->c_fd[TARGET], buf, len, MSG_DONTWAIT |
	    MSG_NOSIGNAL) != (ssize_t)len)
		return -1;
	return 0;
}

/* ----------------------------------------------------- TCP: relaying */


/*
 * A side known to be writable (conn_relay_early) is watched without
 * EPOLLOUT, which would only wake the loop to say so, until a write to
 * it does not go through whole.  -1 when epoll fails.
 */
static int
wait_writable(struct conn *c, enum side side)
{
	c->c_ready[side] &= ~CAN_WRITE;
	if (c->c_outwatch & (1 << side))
		return 0;
	if (event_mod(c->c_fd[side], CONN_EVENTS, &c->c_handler[side]) == -1)
		return -1;
	c->c_outwatch |= 1 << side;
	return 0;
}

/*
 * 1: connected, 0: not yet, -1: failed and ended.  A failed connect
 * comes as EPOLLERR (conn_error), so writable means connected.
 */
static int
conn_check_connected(struct conn *c)
{
	if (!(c->c_ready[TARGET] & CAN_WRITE))
		return 0;
	if (c->c_fw->fw_proxy != 0 && send_proxy_header(c) == -1) {
		conn_refuse(c, R_CONNECT_FAILED, errno != 0 ? errno : EIO);
		return -1;
	}
	c->c_connecting = 0;
	c->c_active = now_ms;
	timer_want(conn_deadline(c));
	return 1;
}

static int
flow_wants_input(const struct flow *f)
{
	return !f->fl_eof && !f->fl_full && f->fl_inpipe < FORWARD_PIPE_SIZE;
}

static void
flow_saw_eof(struct conn *c, enum side from)
{
	c->c_flow[from].fl_eof = 1;
	if (c->c_first_eof == 0)
		c->c_first_eof = 1 + from;
}

/*
 * Nagle's algorithm holds back a small write while an earlier one is
 * unacknowledged, and relayed writes are whole messages, so it would
 * only delay them.  The first write of a connection is never held back:
 * a request and its answer need no system call for it.
 */
static void
target_nodelay(struct conn *c)
{
	int on = 1;

	if (c->c_nodelay || (c->c_flow[CLIENT].fl_bytes == 0 &&
	    c->c_fw->fw_proxy == 0))
		return;
	(void)setsockopt(c->c_fd[TARGET], IPPROTO_TCP, TCP_NODELAY, &on,
	    sizeof(on));
	c->c_nodelay = 1;
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
flow_can_copy(const struct conn *c, enum side from)
{
	const struct flow *f = &c->c_flow[from];
	enum side to = from == CLIENT ? TARGET : CLIENT;

	return f->fl_pipe[0] == -1 && !f->fl_bulk && copy_can_spill() &&
	    (c->c_ready[to] & CAN_WRITE);
}

/*
 * With too little room in the budget to start a pipe, a direction with
 * nothing in flight moves data only while its destination is writable.
 */
static int
flow_must_peek(const struct conn *c, enum side from)
{
	const struct flow *f = &c->c_flow[from];
	enum side to = from == CLIENT ? TARGET : CLIENT;

	return f->fl_pipe[0] == -1 && pipe_room() < FORWARD_COPY_SIZE &&
	    (c->c_ready[to] & CAN_WRITE);
}

/*
 * A read into the buffer: its length, or 0 when none (an EOF, or
 * nothing yet), or -1 - from when the socket failed.
 */
static ssize_t
flow_read(struct conn *c, enum side from, int flags)
{
	ssize_t n;

	n = recv(c->c_fd[from], copybuf, sizeof(copybuf), MSG_DONTWAIT |
	    flags);
	if (n > 0)
		return n;
	if (n == 0)
		flow_saw_eof(c, from);
	else if (errno == EAGAIN)
		c->c_ready[from] &= ~CAN_READ;
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
flow_emptied(struct conn *c, enum side from)
{
	c->c_ready[from] &= ~CAN_READ;
	if (!(c->c_ready[from] & PEER_FIN))
		return 0;
	flow_saw_eof(c, from);
	return MSG_MORE;
}

static ssize_t
flow_send(struct conn *c, enum side to, size_t n, int flags)
{
	ssize_t sent;

	if (to == TARGET)
		target_nodelay(c);
	if ((sent = send(c->c_fd[to], copybuf, n, MSG_DONTWAIT |
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
flow_copy(struct conn *c, enum side from)
{
	struct flow *f = &c->c_flow[from];
	enum side to = from == CLIENT ? TARGET : CLIENT;
	ssize_t n, sent;
	int more = 0;

	if ((n = flow_read(c, from, 0)) <= 0)
		return n;
	c->c_active = now_ms;
	if ((size_t)n == sizeof(copybuf))
		f->fl_bulk = 1;
	else
		more = flow_emptied(c, from);
	if ((sent = flow_send(c, to, n, more)) == -1)
		return -1 - to;
	f->fl_bytes += sent;
	if (sent == n)
		return 1;
	/* From the pool (flow_can_copy), empty: it takes all at once. */
	if (wait_writable(c, to) == -1 || open_pipe(f) == -1 ||
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
flow_peek(struct conn *c, enum side from)
{
	struct flow *f = &c->c_flow[from];
	enum side to = from == CLIENT ? TARGET : CLIENT;
	ssize_t n, sent;

	if ((n = flow_read(c, from, MSG_PEEK)) <= 0)
		return n;
	if ((sent = flow_send(c, to, n, 0)) == -1)
		return -1 - to;
	if (sent > 0) {
		if (recv(c->c_fd[from], NULL, sent, MSG_DONTWAIT |
		    MSG_TRUNC) != sent)
			return -1 - from;
		c->c_active = now_ms;
		f->fl_bytes += sent;
	}
	if (sent < n)
		return wait_writable(c, to) == -1 ? -1 - to : sent > 0;
	if ((size_t)n < sizeof(copybuf))
		(void)flow_emptied(c, from);
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
flow_in(struct conn *c, enum side from)
{
	struct flow *f = &c->c_flow[from];
	ssize_t n;

	size_t room = FORWARD_PIPE_SIZE - f->fl_inpipe;

	if (!flow_wants_input(f) || !(c->c_ready[from] & CAN_READ) ||
	    c->c_pipewait || !flow_pipe_room(f, &room))
		return 0;
	if (f->fl_pipe[0] == -1 && open_pipe(f) == -1) {
		rule_log(c->c_fw, LOG_ERR, "pipe: %s, forwarding waits",
		    strerror(errno));
		pipewait_push(c);
		return 0;
	}
	n = splice(c->c_fd[from], NULL, f->fl_pipe[1], NULL, room,
	    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	if (n > 0) {
		flow_held(f, n);
		c->c_active = now_ms;
		return 1;
	}
	if (n == 0)
		flow_saw_eof(c, from);
	else if (errno == EAGAIN) {
		/* With data in the pipe, the pipe may be full. */
		if (f->fl_inpipe > 0)
			f->fl_full = 1;
		else {
			c->c_ready[from] &= ~CAN_READ;
			f->fl_bulk = 0;
		}
	} else if (errno != EINTR)
		return -1;
	return 0;
}

/* One splice out, as flow_in(). */
static int
flow_out(struct conn *c, enum side to, struct flow *f)
{
	ssize_t n;

	if (f->fl_inpipe == 0 || !(c->c_ready[to] & CAN_WRITE))
		return 0;
	if (to == TARGET)
		target_nodelay(c);
	n = splice(f->fl_pipe[0], NULL, c->c_fd[to], NULL, f->fl_inpipe,
	    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	if (n > 0) {
		flow_held(f, -n);
		f->fl_bytes += n;
		f->fl_full = 0;
		return 1;
	}
	if (n == 0 || errno == EAGAIN)
		return wait_writable(c, to);
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
flow_step(struct conn *c, enum side from)
{
	struct flow *f = &c->c_flow[from];
	enum side to = from == CLIENT ? TARGET : CLIENT;
	int round, in, out;

	for (round = 0; round < FORWARD_STEP_ROUNDS; round++) {
		if (flow_wants_input(f) && (c->c_ready[from] & CAN_READ) &&
		    (flow_can_copy(c, from) || flow_must_peek(c, from))) {
			in = flow_can_copy(c, from) ? flow_copy(c, from) :
			    flow_peek(c, from);
			if (in < 0)
				return -in;
			if (in == 0)
				break;
			continue;
		}
		if ((in = flow_in(c, from)) == -1)
			return 1 + from;
		if ((out = flow_out(c, to, f)) == -1)
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
		if (!c->c_flow[to].fl_shut)
			(void)shutdown(c->c_fd[to], SHUT_WR);
		f->fl_shut = 1;
	}
	return 0;
}

static int
flow_has_work(const struct conn *c, enum side from)
{
	const struct flow *f = &c->c_flow[from];
	enum side to = from == CLIENT ? TARGET : CLIENT;

	size_t room = FORWARD_PIPE_SIZE - f->fl_inpipe;

	return (flow_wants_input(f) && (c->c_ready[from] & CAN_READ) &&
	    !c->c_pipewait && (flow_pipe_room(f, &room) ||
	    flow_must_peek(c, from))) ||
	    (f->fl_inpipe > 0 && (c->c_ready[to] & CAN_WRITE));
}

/*
 * A failed side makes the connection end.  A side that had sent its FIN
 * and then refuses data merely closed; otherwise it was reset.
 */
static enum result
failure_result(const struct conn *c, enum side side)
{
	if (c->c_flow[side].fl_eof)
		return c->c_first_eof == 1 + CLIENT ? R_CLIENT_CLOSED :
		    R_TARGET_CLOSED;
	return side == CLIENT ? R_CLIENT_RESET : R_TARGET_RESET;
}

static void
conn_step(struct conn *c)
{
	int failed;

	if (c->c_connecting && conn_check_connected(c) != 1)
		return;
	if ((failed = flow_step(c, CLIENT)) != 0 ||
	    (failed = flow_step(c, TARGET)) != 0) {
		conn_end(c, failure_result(c, failed - 1));
		return;
	}
	if (c->c_flow[CLIENT].fl_shut && c->c_flow[TARGET].fl_shut) {
		conn_end(c, c->c_first_eof == 1 + CLIENT ? R_CLIENT_CLOSED :
		    R_TARGET_CLOSED);
		return;
	}
	if (flow_has_work(c, CLIENT) || flow_has_work(c, TARGET))
		runq_push(c);
}

/* An error on a socket, as the result it gives the connection. */
static void
conn_error(struct conn *c, enum side side)
{
	socklen_t len = sizeof(int);
	int error = 0;

	if (getsockopt(c->c_fd[side], SOL_SOCKET, SO_ERROR, &error,
	    &len) == -1)
		error = errno;
	if (c->c_connecting && side == TARGET)
		conn_refuse(c, R_CONNECT_FAILED, error != 0 ? error :
		    ECONNREFUSED);
	else if (error != 0)
		conn_end(c, failure_result(c, side));
	else {
		/* Already reported: the next splice will see how it ends. */
		c->c_ready[side] |= CAN_READ | CAN_WRITE;
		conn_step(c);
	}
}

static void
conn_event(struct conn *c, enum side side, uint32_t events)
{
	if (events & EPOLLERR) {
		conn_error(c, side);
		return;
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))
		c->c_ready[side] |= CAN_READ;
	if (events & EPOLLRDHUP)
		c->c_ready[side] |= PEER_FIN;
	if (events & (EPOLLOUT | EPOLLHUP))
		c->c_ready[side] |= CAN_WRITE;
	conn_step(c);
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
conn_relay_early(struct conn *c)
{
	const struct flow *f = &c->c_flow[CLIENT];
	int moved;

	if (c->c_fw->fw_proxy != 0 || !is_loopback(&c->c_fw->fw_addr) ||
	    !copy_can_spill())
		return 0;
	c->c_ready[CLIENT] = CAN_READ;
	c->c_ready[TARGET] = CAN_WRITE;
	if ((moved = flow_copy(c, CLIENT)) == -1 - TARGET) {
		conn_refuse(c, R_CONNECT_FAILED, errno);
		return -1;
	}
	if (moved < 0) {
		conn_end(c, failure_result(c, CLIENT));
		return -1;
	}
	c->c_ready[CLIENT] = c->c_ready[TARGET] = 0;
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
static void
conn_start(struct forward *fw, struct servtab *count_in, int fd,
    const struct sockaddr *peer)
{
	struct conn *c;
	int early;
	uint32_t events = CONN_EVENTS;

	now_ms = monotonic_ms();
	if ((c = conn_alloc()) == NULL) {
		log_full(fw);
		close(fd);
		return;
	}
	c->c_fw = fw;
	forward_ref(fw);
	if ((c->c_sep = count_in) != NULL)
		count_in->se_children++;
	c->c_fd[CLIENT] = fd;
	addr_copy(&c->c_peer, peer);
	peer_count_in(c);
	if ((c->c_fd[TARGET] = socket(fw->fw_addr.sa.sa_family, SOCK_STREAM |
	    SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1) {
		rule_log(fw, LOG_ERR, "socket: %s", strerror(errno));
		conn_end(c, R_SOCKET_FAILED);
		return;
	}
	if (connect(c->c_fd[TARGET], &fw->fw_addr.sa, fw->fw_addrlen) == -1 &&
	    errno != EINPROGRESS) {
		conn_refuse(c, R_CONNECT_FAILED, errno);
		return;
	}
	if ((early = conn_relay_early(c)) == -1)
		return;
	if (early) {
		/* Both writable, as they would say at once. */
		c->c_ready[CLIENT] = c->c_ready[TARGET] = CAN_WRITE;
		c->c_connecting = 0;
		events &= ~EPOLLOUT;
	} else
		c->c_outwatch = 1 << CLIENT | 1 << TARGET;
	c->c_handler[CLIENT].h_ready = client_ready;
	c->c_handler[TARGET].h_ready = target_ready;
	if (event_add(c->c_fd[CLIENT], events, &c->c_handler[CLIENT]) == -1 ||
	    event_add(c->c_fd[TARGET], events, &c->c_handler[TARGET]) == -1) {
		rule_log(fw, LOG_ERR, "epoll_ctl: %s", strerror(errno));
		conn_end(c, R_SOCKET_FAILED);
		return;
	}
	timer_want(conn_deadline(c));
}

static int
same_host(union sockaddr_any a, union sockaddr_any b)
{
	unmap(&a);
	unmap(&b);
	if (a.sa.sa_family != b.sa.sa_family)
		return 0;
	if (a.sa.sa_family == AF_INET)
		return a.sin.sin_addr.s_addr == b.sin.sin_addr.s_addr;
	return a.sa.sa_family == AF_INET6 &&
	    IN6_ARE_ADDR_EQUAL(&a.sin6.sin6_addr, &b.sin6.sin6_addr);
}

/* For max-child-per-ip: the connections of sep from peer's address. */
int
forward_peer_count(const struct servtab *sep, const struct sockaddr *peer)
{
	union sockaddr_any who;
	int i, n = 0;

	if ((peer->sa_family != AF_INET &&
	    peer->sa_family != AF_INET6))
		return 0;
	addr_copy(&who, peer);
	for (i = 0; i < conns_used; i++)
		if (conns[i].c_fw != NULL && conns[i].c_sep == sep &&
		    same_host(conns[i].c_peer, who))
			n++;
	return n;
}

/*
 * The connection fd, accepted from peer on sep's socket, counts as its
 * child.
 */
void
forward_accept(struct servtab *sep, int fd, const struct sockaddr *peer)
{
	struct forward *fw = settings(sep);
	int on = 1;

	/*
	 * Accepted sockets inherit TCP_NODELAY from their listener: one
	 * system call for the entry instead of one a connection.
	 */
	if (fw->fw_nodelay_fd != sep->se_fd && sep->se_family != AF_UNIX) {
		(void)setsockopt(sep->se_fd, IPPROTO_TCP, TCP_NODELAY, &on,
		    sizeof(on));
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on,
		    sizeof(on));
		fw->fw_nodelay_fd = sep->se_fd;
	}
	conn_start(fw, sep, fd, peer);
}

/* --------------------------------------------------------------- UDP */

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
	a->a_active = now_ms;
	if (lru_newest != a - assocs) {
		lru_unlink(a);
		lru_make_newest(a);
	}
}

static void
log_assoc_end(const struct assoc *a, enum result result)
{
	char from[INET6_ADDRSTRLEN + 32], to[INET6_ADDRSTRLEN + 32];
	int64_t ms = now_ms - a->a_start;

	logmsg(LOG_INFO, "%s from %s to %s: %s, %llu datagrams %llu bytes "
	    "in, %llu datagrams %llu bytes out, %lld.%03lld s",
	    a->a_fw->fw_service, addr_text(&a->a_peer, from, sizeof(from)),
	    addr_text(&a->a_fw->fw_addr, to, sizeof(to)), result_words[result],
	    (unsigned long long)a->a_dgrams[CLIENT],
	    (unsigned long long)a->a_bytes[CLIENT],
	    (unsigned long long)a->a_dgrams[TARGET],
	    (unsigned long long)a->a_bytes[TARGET],
	    (long long)(ms / 1000), (long long)(ms % 1000));
}

static void
assoc_end(struct assoc *a, enum result result)
{
	int slot = a - assocs, *link;

	if (log_each)
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
	struct forward *fw = settings(sep);
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
	a->a_start = a->a_active = now_ms;
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
	char addr[INET6_ADDRSTRLEN + 1];

	logmsg(LOG_INFO, "%s from %s", sep->se_service,
	    sockaddr_str(&peer->sa, addr, sizeof(addr)));
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
	}
}

/*
 * The entry's socket tells the address each datagram was sent to
 * (IP_PKTINFO, IPV6_RECVPKTINFO): with a socket bound to every address,
 * getsockname() would say 0.0.0.0, and a dual-stack one an IPv6
 * address to an IPv4 client.  Set for a UDP forward entry's socket,
 * cleared for another entry's that takes it over at a reload.
 */
int
forward_socket_options(const struct servtab *sep, int fd, int on)
{
	if (sep->se_socktype != SOCK_DGRAM ||
	    (sep->se_family != AF_INET && sep->se_family != AF_INET6))
		return 0;
	/* On a dual-stack socket, IPv4 datagrams come with both. */
	if ((sep->se_family == AF_INET || !sep->se_v6only) &&
	    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) == -1)
		return -1;
	if (sep->se_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_RECVPKTINFO, &on, sizeof(on)) == -1)
		return -1;
	return 0;
}

static void
set_local_v4(union sockaddr_any *a, int family, struct in_addr addr,
    in_port_t port)
{
	memset(a, 0, sizeof(*a));
	if (family == AF_INET) {
		a->sin.sin_family = AF_INET;
		a->sin.sin_addr = addr;
		a->sin.sin_port = port;
		return;
	}
	a->sin6.sin6_family = AF_INET6;	/* as the dual-stack socket's peers */
	a->sin6.sin6_addr.s6_addr[10] = 0xff;
	a->sin6.sin6_addr.s6_addr[11] = 0xff;
	memcpy(&a->sin6.sin6_addr.s6_addr[12], &addr, 4);
	a->sin6.sin6_port = port;
}

/*
 * Where the datagram of msg was sent, on the entry's port.  For IPv4
 * the kernel's specific destination: the address itself, or for a
 * broadcast the address of the interface, since no reply can come from
 * a broadcast address.  0, or -1 when the socket did not say.
 */
static int
local_of(struct msghdr *msg, const struct servtab *sep,
    union sockaddr_any *local)
{
	const union sockaddr_any *bound =
	    (const union sockaddr_any *)&sep->se_ctrladdr;
	in_port_t port = htons(sockaddr_port(&bound->sa));
	struct in6_pktinfo pi6;
	struct in_pktinfo pi;
	struct cmsghdr *cm;
	int found = -1;

	for (cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_PKTINFO) {
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			set_local_v4(local, sep->se_family, pi.ipi_spec_dst,
			    port);
			return 0;
		}
		if (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_PKTINFO) {
			memcpy(&pi6, CMSG_DATA(cm), sizeof(pi6));
			memset(local, 0, sizeof(*local));
			local->sin6.sin6_family = AF_INET6;
			local->sin6.sin6_addr = pi6.ipi6_addr;
			local->sin6.sin6_port = port;
			if (IN6_IS_ADDR_LINKLOCAL(&pi6.ipi6_addr))
				local->sin6.sin6_scope_id = pi6.ipi6_ifindex;
			found = 0;
		}
	}
	return found;
}

/*
 * The next datagram on the entry's socket, into dgram: its length, or
 * -1 when none is left.  *peer is its sender, of family 0 for one to
 * drop (too big, or not from an Internet address), and *local the
 * address it was sent to.
 */
static ssize_t
dgram_recv(const struct servtab *sep, union sockaddr_any *peer,
    socklen_t *peerlen, union sockaddr_any *local)
{
	union {
		struct cmsghdr	align;
		char		buf[CMSG_SPACE(sizeof(struct in_pktinfo)) +
				    CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} control;
	struct sockaddr_storage from;
	struct iovec iov;
	struct msghdr msg;
	ssize_t n;

	iov.iov_base = dgram;
	iov.iov_len = sizeof(dgram);
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &from;
	msg.msg_namelen = sizeof(from);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = &control;
	msg.msg_controllen = sizeof(control);
	/* With MSG_TRUNC, n is the datagram's size, not what fit. */
	if ((n = recvmsg(sep->se_fd, &msg, MSG_DONTWAIT | MSG_TRUNC)) == -1)
		return -1;
	memset(peer, 0, sizeof(*peer));
	if ((size_t)n > sizeof(dgram) || (from.ss_family != AF_INET &&
	    from.ss_family != AF_INET6))
		return n;
	memcpy(peer, &from, from.ss_family == AF_INET ? sizeof(peer->sin) :
	    sizeof(peer->sin6));
	*peerlen = msg.msg_namelen;
	if (local_of(&msg, sep, local) == -1)
		memcpy(local, &sep->se_ctrladdr, sizeof(*local));
	return n;
}

/*
 * The target itself, on its port: when it is on a loopback address,
 * any loopback address, since a server bound to every address may
 * answer from any of them.
 */
static int
is_target(const struct forward *fw, union sockaddr_any a)
{
	unmap(&a);
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
	char addr[INET6_ADDRSTRLEN + 32];

	if (!loop_port(sockaddr_port(&peer->sa)) && !is_target(fw, *peer))
		return 0;
	rule_log(fw, LOG_WARNING, "loop request REFUSED from %s",
	    addr_text(peer, addr, sizeof(addr)));
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

	now_ms = monotonic_ms();
	for (i = 0; i < FORWARD_DGRAM_BATCH; i++) {
		if ((n = dgram_recv(sep, &peer, &peerlen, &local)) == -1)
			return;
		if (peer.sa.sa_family == 0 ||
		    loop_source(settings(sep), &peer, loop_port))
			continue;
		if ((a = assoc_find(sep->se_fd, &peer)) == NULL) {
			/* Limits count clients, not each datagram. */
			if (admit != NULL && !admit(sep, &peer.sa))
				continue;
			if ((a = assoc_new(sep, &peer, peerlen)) == NULL)
				continue;
			if (log_each)
				log_new_client(sep, &peer);
		}
		a->a_local = local;
		assoc_touch(a);
		assoc_send(a, dgram, n);
	}
}

static size_t
put_cmsg(char *buf, int level, int type, const void *data, size_t len)
{
	struct cmsghdr *cm = (struct cmsghdr *)buf;

	cm->cmsg_level = level;
	cm->cmsg_type = type;
	cm->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(cm), data, len);
	return CMSG_SPACE(len);
}

/*
 * A reply goes to the client from the address the client sent to, as
 * the client expects, through IP_PKTINFO or IPV6_PKTINFO (which takes an
 * IPv4-mapped address for an IPv4 client of a dual-stack socket).
 */
static ssize_t
reply_send(const struct assoc *a, size_t len)
{
	union {
		struct cmsghdr	align;
		char		buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} control;
	const union sockaddr_any *from = &a->a_local;
	struct in6_pktinfo pi6;
	struct in_pktinfo pi;
	struct iovec iov;
	struct msghdr msg;

	iov.iov_base = dgram;
	iov.iov_len = len;
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = (void *)&a->a_peer;
	msg.msg_namelen = a->a_peerlen;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	memset(&control, 0, sizeof(control));
	if (from->sa.sa_family == AF_INET) {
		memset(&pi, 0, sizeof(pi));
		pi.ipi_spec_dst = from->sin.sin_addr;
		msg.msg_controllen = put_cmsg(control.buf, IPPROTO_IP,
		    IP_PKTINFO, &pi, sizeof(pi));
	} else if (from->sa.sa_family == AF_INET6 &&
	    !IN6_IS_ADDR_MULTICAST(&from->sin6.sin6_addr)) {
		memset(&pi6, 0, sizeof(pi6));
		pi6.ipi6_addr = from->sin6.sin6_addr;
		pi6.ipi6_ifindex = from->sin6.sin6_scope_id;
		msg.msg_controllen = put_cmsg(control.buf, IPPROTO_IPV6,
		    IPV6_PKTINFO, &pi6, sizeof(pi6));
	}
	if (msg.msg_controllen > 0)
		msg.msg_control = &control;
	return sendmsg(a->a_listen_fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
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
		if (reply_send(a, n) != -1) {
			a->a_dgrams[TARGET]++;
			a->a_bytes[TARGET] += n;
		}
	}
}

/* -------------------------------------------------------- the loop */

/*
 * The handlers of the loop.  A slot freed during the wake-up is not
 * reused before the next (conns_freed): an event for it finds it free.
 */
static void
side_ready(struct conn *c, enum side side, uint32_t events)
{
	now_ms = event_now_ms();
	if (c->c_fw != NULL)
		conn_event(c, side, events);
}

static void
client_ready(struct handler *h, uint32_t events)
{
	side_ready(container_of(h, struct conn, c_handler[CLIENT]), CLIENT,
	    events);
}

static void
target_ready(struct handler *h, uint32_t events)
{
	side_ready(container_of(h, struct conn, c_handler[TARGET]), TARGET,
	    events);
}

static void
assoc_ready(struct handler *h, uint32_t events)
{
	struct assoc *a = container_of(h, struct assoc, a_handler);

	(void)events;
	now_ms = event_now_ms();
	if (a->a_fw != NULL)
		assoc_event(a);
}

void
forward_init(int log_connections)
{
	log_each = log_connections;
	peer_seed = (uint64_t)arc4random() << 32 | arc4random();
	raise_nofile_limit();
	set_capacity();
}

long long
forward_deadline(void)
{
	return timer_at;
}

/* After the loop's wait: the deadlines reached, the slots freed. */
void
forward_run(void)
{
	now_ms = event_now_ms();
	if (timer_at != 0 && now_ms >= timer_at)
		timer_expired();
	conns_release();
}

/*
 * The entry that takes over a socket at a reload also counts the
 * connections of the one it replaces; the UDP clients follow it only
 * when the target is unchanged.
 */
void
forward_take_over(struct servtab *old, struct servtab *sep)
{
	/* The same row: sep forwards too (see internal.c). */
	struct forward *fw = sep->se_bi == old->se_bi ? settings(sep) : NULL;
	struct assoc *a;
	int i;

	if (nconns == 0 && nassocs == 0)
		return;		/* a reload of many entries stays linear */
	for (i = 0; i < conns_used; i++)
		if (conns[i].c_fw != NULL && conns[i].c_sep == old)
			conns[i].c_sep = sep;
	for (i = 0; i < assocs_used; i++) {
		a = &assocs[i];
		if (a->a_fw == NULL || a->a_sep != old)
			continue;
		if (!same_target(a->a_fw, fw)) {
			now_ms = monotonic_ms();
			assoc_end(a, R_REPLACED);
			continue;
		}
		forward_ref(fw);
		forward_unref(a->a_fw);
		a->a_fw = fw;
		a->a_sep = sep;
	}
}

/* An entry removed at a reload: its connections run on, uncounted. */
void
forward_forget(struct servtab *old)
{
	int i;

	if (nconns == 0 && nassocs == 0)
		return;
	for (i = 0; i < conns_used; i++)
		if (conns[i].c_fw != NULL && conns[i].c_sep == old)
			conns[i].c_sep = NULL;
	now_ms = monotonic_ms();
	for (i = 0; i < assocs_used; i++)
		if (assocs[i].a_fw != NULL && assocs[i].a_sep == old)
			assoc_end(&assocs[i], R_REPLACED);
}

void
forward_closeall(void)
{
	int i;

	log_each = 0;	/* exiting: not worth a message each */
	for (i = 0; i < conns_used; i++)
		if (conns[i].c_fw != NULL)
			conn_end(&conns[i], R_NONE);
	for (i = 0; i < assocs_used; i++)
		if (assocs[i].a_fw != NULL)
			assoc_end(&assocs[i], R_NONE);
	while (npipes_pooled > 0) {
		npipes_pooled--;
		close(pipe_pool[npipes_pooled][0]);
		close(pipe_pool[npipes_pooled][1]);
	}
}
