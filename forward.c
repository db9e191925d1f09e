/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * forward.c: the forward builtin, a TCP and UDP port forwarder served
 * by the daemon itself, with no process per connection.  This file
 * holds the hooks of its two rows of the builtins table: an entry's
 * settings (struct forward) as parsed and resolved, accept, reload,
 * and what the loop calls (forward_deadline, forward_run); and the
 * descriptor limit.  TCP connections are relayed by relay.c, UDP
 * clients by assoc.c; what all three share is in fwd.c (fwd.h), and the
 * PROXY headers are written by proxy.c.
 *
 * Every forwarded socket is registered in the loop's one epoll set
 * (event.h), with a handler embedded in its connection or association:
 * one wait a wake-up serves them and the listeners alike, and the
 * number of connections is bounded by the table only.  Their deadlines
 * are not in the set: the loop asks forward_deadline() how long it may
 * wait.
 *
 * Connections and associations refer to their entry's settings (struct
 * forward) by a reference of their own, since a reload may free the
 * entry while they run.  The daemon tells this file, through the
 * builtins table, which entry takes over a socket (forward_take_over)
 * and which goes (forward_forget).
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "config.h"
#include "event.h"
#include "forward.h"
#include "fwd.h"
#include "proxy.h"
#include "util.h"

#define FORWARD_CONNECT_TIMEOUT	10	/* s, default connect-timeout= */
#define FORWARD_UDP_TIMEOUT	60	/* s, default timeout= for UDP */
/*
 * An idle TCP connection holds two descriptors and a slot of the table
 * for good: without a timeout= of its own, it is closed after an hour.
 */
#define FORWARD_TCP_TIMEOUT	3600	/* s, default timeout= for TCP */
#define FORWARD_TIMEOUT_MAX	(7 * 24 * 3600)	/* largest timeout= */
/* Descriptors the forwarder may need: two sockets and two pipes each. */
#define FORWARD_NOFILE		(4 * FORWARD_MAXCONN + FORWARD_MAXASSOC + \
				 FORWARD_FD_KEPT)

static struct rlimit	 nofile_orig;	/* restored for servers */
static int		 nofile_changed;

/* ---------------------------------------------------------- settings */

void
forward_free(void *private)
{
	forward_unref(private);
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
forward_relays_to(const struct servtab *sep, const struct servtab *other)
{
	const struct forward *fw = forward_settings(sep);

	return other->se_socktype == fw->fw_socktype &&
	    targets_itself(other, fw);
}

int
forward_target(const struct servtab *sep, const char **host,
    const char **port, int *socktype)
{
	const struct forward *fw = forward_settings(sep);

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
	struct forward *fw = forward_settings(sep);
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
	forward_free_names(fw);
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
	return forward_settings(sep)->fw_wrapname;
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

/*
 * The connection fd, accepted from peer on sep's socket, counts as its
 * child.
 */
void
forward_accept(struct servtab *sep, int fd, const struct sockaddr *peer)
{
	struct forward *fw = forward_settings(sep);
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
	relay_start(fw, sep, fd, peer);
}

/* ----------------------------------------------------------- logging */

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

void
forward_restore_limits(void)
{
	if (nofile_changed)
		(void)setrlimit(RLIMIT_NOFILE, &nofile_orig);
}

/* ------------------------------------------------------------ timers */

/*
 * Deadlines only move later as data flows, so the earliest is known
 * when a connection starts, and found again here when it is reached:
 * one pass over the tables, only then.
 */
static void
timer_expired(void)
{
	int64_t soonest = 0;

	timer_reset();
	relay_expire(&soonest);
	assoc_expire(&soonest);
	timer_want(soonest);
}

/* ---------------------------------------------------------- the loop */

void
forward_init(int log_connections)
{
	forward_log_each = log_connections;
	raise_nofile_limit();
	relay_init();
}

long long
forward_deadline(void)
{
	return timer_deadline();
}

int
forward_open_count(void)
{
	return relay_count() + assoc_count();
}

/* After the loop's wait: the deadlines reached, the slots freed. */
void
forward_run(void)
{
	forward_now_ms = event_now_ms();
	if (timer_due())
		timer_expired();
	relays_release();
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
	relay_take_over(old, sep);
	assoc_take_over(old, sep, sep->se_bi == old->se_bi ?
	    forward_settings(sep) : NULL);
}

/* An entry removed at a reload: its connections run on, uncounted. */
void
forward_forget(struct servtab *old)
{
	relay_forget(old);
	assoc_forget(old);
}

void
forward_closeall(void)
{
	forward_log_each = 0;	/* exiting: not worth a message each */
	relay_closeall();
	assoc_closeall();
}
