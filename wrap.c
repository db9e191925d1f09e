/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * wrap.c: TCP wrappers (-w, -W), hosts.allow and hosts.deny.
 *
 * hosts_access(3) may read files and look names up for as long as it
 * likes, so it runs only in a child, before the server or builtin: the
 * main loop never waits for it.  The daemon only asks wrap_wanted()
 * whether an entry's clients are to be checked, which decides whether
 * its child can be a vfork() and whether its datagram service is a wait
 * one; spawn.c calls wrap_child() in the child.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <dlfcn.h>
#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <tcpd.h>
#include <unistd.h>

#include "access.h"
#include "builtin.h"
#include "config.h"
#include "log.h"
#include "options.h"
#include "util.h"
#include "wrap.h"

#define WRAP_REFUSALS_MAX 16	/* refused datagrams a child drops, -w/-W */
#define WRAP_LINGER_MS	1000	/* a -W datagram child waits for more */
#define WRAP_PAUSE_SECONDS 1	/* a child flooded by refused senders */

static struct wrap_options wopts;

/*
 * -w and -W: whether TCP wrappers check the clients of the entry.  That
 * needs a client address, which a UNIX socket has not, nor the listening
 * socket of a stream wait server, which accepts its clients itself.
 */
int
wrap_wanted(const struct servtab *sep)
{
	if (sep->se_family == AF_UNIX)
		return 0;
	if (sep->se_bi != NULL)
		return wopts.wo_builtins && builtin_wrapped(sep);
	return wopts.wo_programs &&
	    !(sep->se_wait && sep->se_socktype == SOCK_STREAM);
}

/*
 * A wait service's socket belongs to its one child until it exits.  An
 * exec'd dgram service is always one: as nowait, a server slow to read
 * its datagram would have inetd start another for it, without end.  So
 * is a dgram builtin under -W, whose child checks each sender.
 */
int
svc_is_wait(const struct servtab *sep)
{
	if (sep->se_bi != NULL)
		return sep->se_socktype == SOCK_DGRAM && wrap_wanted(sep);
	return sep->se_wait || sep->se_socktype == SOCK_DGRAM;
}

static int	wrap_refused;	/* datagrams this child refused */

/*
 * libwrap, with the RPC and Kerberos libraries it needs, is mapped only
 * under -w or -W: without them the daemon is 0.8 MB smaller, and has ten
 * libraries fewer in a root process that listens on the network.  It is
 * loaded at startup, so that a child never waits for it.
 */
#define LIBWRAP		"libwrap.so.0"

static struct {
	int		 (*hosts_access)(struct request_info *);
	struct request_info *(*request_init)(struct request_info *, ...);
	struct request_info *(*request_set)(struct request_info *, ...);
	void		 (*sock_hostname)(struct host_info *);
	void		 (*sock_hostaddr)(struct host_info *);
	char		**hosts_allow_table;
	char		**hosts_deny_table;
	int		*dry_run;	/* rules matched, options not run */
	int		*resident;	/* > 0: twist is refused */
} libwrap;

static void *
wrap_symbol(void *lib, const char *name)
{
	void *sym;

	if ((sym = dlsym(lib, name)) == NULL)
		errx(EX_OSFILE, "%s: %s", LIBWRAP, dlerror());
	return sym;
}

void
wrap_init(const struct wrap_options *options)
{
	void *lib;

	wopts = *options;
	if (!wopts.wo_programs && !wopts.wo_builtins)
		return;
	if ((lib = dlopen(LIBWRAP, RTLD_NOW)) == NULL)
		errx(EX_OSFILE, "-w, -W: %s", dlerror());
	libwrap.hosts_access = wrap_symbol(lib, "hosts_access");
	libwrap.request_init = wrap_symbol(lib, "request_init");
	libwrap.request_set = wrap_symbol(lib, "request_set");
	libwrap.sock_hostname = wrap_symbol(lib, "sock_hostname");
	libwrap.sock_hostaddr = wrap_symbol(lib, "sock_hostaddr");
	libwrap.hosts_allow_table = wrap_symbol(lib, "hosts_allow_table");
	libwrap.hosts_deny_table = wrap_symbol(lib, "hosts_deny_table");
	libwrap.dry_run = wrap_symbol(lib, "dry_run");
	libwrap.resident = wrap_symbol(lib, "resident");
}

/*
 * As tcpd(8): a server is checked under the name it runs as, the
 * basename of its argv[0]; a builtin under its own name.
 */
static const char *
wrap_daemon_name(const struct servtab *sep)
{
	const char *slash;

	if (sep->se_bi != NULL)
		return builtin_wrap_name(sep);
	slash = strrchr(sep->se_argv[0], '/');
	return slash != NULL ? slash + 1 : sep->se_argv[0];
}

/* What a table says of a name: no rule for it, or its first rule's word. */
enum wrap_answer { WRAP_NO_RULE, WRAP_GRANTS, WRAP_REFUSES };

/*
 * hosts_access() with other tables, in dry-run mode, and not counted as
 * a check of this process: libwrap refuses twist in a process that has
 * checked before, as a resident daemon would.
 */
static int
wrap_dry_access(struct request_info *req, const char *allow,
    const char *deny)
{
	char *saved_allow = *libwrap.hosts_allow_table;
	char *saved_deny = *libwrap.hosts_deny_table;
	int granted, saved_resident = *libwrap.resident;

	*libwrap.hosts_allow_table = (char *)allow;
	*libwrap.hosts_deny_table = (char *)deny;
	*libwrap.dry_run = 1;
	granted = libwrap.hosts_access(req);
	*libwrap.dry_run = 0;
	*libwrap.resident = saved_resident;
	*libwrap.hosts_allow_table = saved_allow;
	*libwrap.hosts_deny_table = saved_deny;
	return granted;
}

/*
 * hosts.allow's answer for the daemon name of req.  Behind a table that
 * refuses all, a grant can only come from hosts.allow; with no table
 * behind, a refusal only from a rule of hosts.allow ending in DENY.
 */
static enum wrap_answer
wrap_allow_answer(struct request_info *req, const char *deny_all)
{
	if (wrap_dry_access(req, *libwrap.hosts_allow_table, deny_all))
		return WRAP_GRANTS;
	if (!wrap_dry_access(req, *libwrap.hosts_allow_table, "/dev/null"))
		return WRAP_REFUSES;
	return WRAP_NO_RULE;
}

/* A table of one rule, refusing everything, readable by its path. */
static int
wrap_deny_all_table(char *path, size_t size)
{
	static const char rule[] = "ALL: ALL\n";
	int fd;

	if ((fd = memfd_create("inetd-deny-all", MFD_CLOEXEC)) == -1)
		return -1;
	if (write(fd, rule, sizeof(rule) - 1) != sizeof(rule) - 1) {
		close(fd);
		return -1;
	}
	snprintf(path, size, "/proc/self/fd/%d", fd);
	return fd;
}

/*
 * A server is checked under its program's name, as tcpd(8) would, and
 * under its service name (inetd.conf's first field), as xinetd names
 * it: the rules are matched as if each rule for one also named the
 * other.  So hosts.allow decides if it has a rule for either name, else
 * hosts.deny; in a table, the program's rule comes first, and when the
 * two names' rules disagree, the one that refuses wins.  libwrap runs
 * the options of the rule it matches (banners, spawn, twist), so the
 * tables are first read in its dry-run mode to find the deciding name,
 * under which they are then read once for real.
 */
static const char *
wrap_deciding_name(const struct servtab *sep, struct request_info *req)
{
	const char *names[2] = { wrap_daemon_name(sep), sep->se_service };
	enum wrap_answer answer[2];
	char deny_all[32];
	int fd, i;

	if (sep->se_bi != NULL || strcmp(names[0], names[1]) == 0 ||
	    (fd = wrap_deny_all_table(deny_all, sizeof(deny_all))) == -1)
		return names[0];
	for (i = 0; i < 2; i++) {
		libwrap.request_set(req, RQ_DAEMON, names[i], 0);
		answer[i] = wrap_allow_answer(req, deny_all);
	}
	close(fd);
	for (i = 0; i < 2; i++)
		if (answer[i] == WRAP_REFUSES)
			return names[i];
	for (i = 0; i < 2; i++)
		if (answer[i] == WRAP_GRANTS)
			return names[i];
	for (i = 0; i < 2; i++) {
		libwrap.request_set(req, RQ_DAEMON, names[i], 0);
		if (!wrap_dry_access(req, "/dev/null",
		    *libwrap.hosts_deny_table))
			return names[i];
	}
	return names[0];
}

/*
 * Whether hosts.allow and hosts.deny let peer use the service on fd.
 * The request is made of what inetd knows, so that libwrap never reads
 * from the socket; the log names the client by its address only.
 */
static int
wrap_allows(const struct servtab *sep, int fd, const struct sockaddr *peer)
{
	const char *program = sep->se_bi != NULL ? "internal" :
	    sep->se_server;
	const char *name;
	char addr[LOG_CLIENT_MAX];
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	struct request_info req;

	memset(&local, 0, sizeof(local));
	(void)getsockname(fd, (struct sockaddr *)&local, &len);
	libwrap.request_init(&req, RQ_FILE, fd, RQ_CLIENT_SIN, peer,
	    RQ_SERVER_SIN, &local, 0);
	req.hostname = libwrap.sock_hostname;
	req.hostaddr = libwrap.sock_hostaddr;
	name = wrap_deciding_name(sep, &req);
	libwrap.request_set(&req, RQ_DAEMON, name, 0);
	log_client_addr(peer, addr, sizeof(addr));
	if (!libwrap.hosts_access(&req)) {
		logmsg(LOG_AUTH | LOG_WARNING, "refused connection from %s, "
		    "service %s (%s)", addr, name, program);
		return 0;
	}
	if (wopts.wo_log_connections)
		logmsg(LOG_AUTH | LOG_INFO, "connection from %s, service %s "
		    "(%s)", addr, name, program);
	return 1;
}

/* Refused senders keep coming: hold the socket a while, then exit. */
static void
wrap_flood_pause(void)
{
	sleep(WRAP_PAUSE_SECONDS);
	_exit(0);
}

/*
 * A datagram server is started for the datagram at the head of the
 * queue, so one from a refused sender is read and dropped: else the
 * daemon would see it waiting and start a child for it again and again.
 * Returns when the head may be served; exits when the queue is empty.
 */
static void
wrap_dgram_head(const struct servtab *sep, int fd)
{
	struct sockaddr_storage peer;
	socklen_t len;
	char byte;

	while (wrap_refused < WRAP_REFUSALS_MAX) {
		memset(&peer, 0, sizeof(peer));
		len = sizeof(peer);
		if (recvfrom(fd, &byte, sizeof(byte), MSG_PEEK | MSG_DONTWAIT,
		    (struct sockaddr *)&peer, &len) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				_exit(0);
			wrap_refused++;	/* an ICMP error, taken by this read */
			continue;
		}
		if (wrap_allows(sep, fd, (struct sockaddr *)&peer))
			return;
		(void)recv(fd, &byte, sizeof(byte), MSG_DONTWAIT);
		wrap_refused++;
	}
	wrap_flood_pause();
}

/*
 * builtin_dgram()'s question, for the child of a -W datagram builtin:
 * the entry's only_from and no_access first, as the daemon asks them
 * of the sender that started the child.
 */
static int
wrap_admit_datagram(struct servtab *sep, const struct sockaddr *from)
{
	if ((sep->se_opts == NULL ||
	    access_allows(sep->se_opts->so_access, from)) &&
	    wrap_allows(sep, sep->se_fd, from))
		return 1;
	wrap_refused++;
	return 0;
}

static int
datagram_within(int fd, int msec)
{
	struct pollfd pfd;

	pfd.fd = fd;
	pfd.events = POLLIN;
	return poll(&pfd, 1, msec) > 0;
}

/*
 * -W: a datagram builtin's child answers the datagrams the rules allow,
 * as the daemon would, and lingers a moment for more, so that a steady
 * trickle of clients does not make one child each.
 */
static void
wrap_serve_dgram(const struct servtab *sep)
{
	struct servtab own = *sep;

	own.se_fd = STDIN_FILENO;
	while (wrap_refused < WRAP_REFUSALS_MAX &&
	    datagram_within(own.se_fd, WRAP_LINGER_MS))
		builtin_dgram(&own, wrap_admit_datagram);
	if (wrap_refused >= WRAP_REFUSALS_MAX)
		wrap_flood_pause();
	_exit(0);
}

int
wrap_child(const struct servtab *sep, const struct sockaddr *peer)
{
	if (sep->se_socktype == SOCK_STREAM)
		return wrap_allows(sep, STDIN_FILENO, peer) ? 0 : -1;
	if (sep->se_bi != NULL)
		wrap_serve_dgram(sep);
	else
		wrap_dgram_head(sep, STDIN_FILENO);
	return 0;
}
