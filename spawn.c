/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spawn.c: everything between fork and execve.
 *
 * The child of a connection gets the socket on 0, 1 and 2 and no other
 * descriptor of the daemon's, the signal dispositions and mask of a
 * new process, a session of its own and umask 022, the entry's user
 * and groups, and an environment describing its connection; then it
 * runs the entry's server, or its builtin or TCP wrappers' check.  A
 * server that needs nothing of inetd's code in its child is started
 * with vfork(): the daemon makes its environment beforehand.  What this
 * needs of the daemon comes once, in struct spawn_options; the entry
 * list comes with each child that may need it (tcpmux's).
 *
 * A child that fails exits with one of the codes of spawn.h.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "builtin.h"
#include "config.h"
#include "forward.h"
#include "handback.h"
#include "log.h"
#include "options.h"
#include "sandbox.h"
#include "spawn.h"
#include "tcpmux.h"
#include "util.h"
#include "wrap.h"

#define SERVER_UMASK	022	/* whatever umask inetd was started with */
/* Servers' PATH without -E: Debian's default, never inetd's own. */
#define SERVER_PATH	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:" \
			    "/sbin:/bin"

static struct spawn_options sopts;
static uid_t		 euid;		/* the daemon's */

/*
 * The signals whose disposition a child must set back to the default:
 * those inetd catches or ignores, and those ignored by whoever started
 * it.  Known once, so that a child makes a few calls, not one a signal.
 */
static int		 changed_signals[NSIG];
static int		 nchanged_signals;

static void
note_changed_signals(void)
{
	struct sigaction sa;
	int sig;

	for (sig = 1; sig < NSIG; sig++)
		if (sigaction(sig, NULL, &sa) == 0 &&
		    sa.sa_handler != SIG_DFL)
			changed_signals[nchanged_signals++] = sig;
}

/*
 * While a child of vfork() runs on the daemon's memory, the daemon
 * waits; what failed in the child is left here for it to report.
 */
static struct {
	int		 active;	/* set by the daemon around vfork() */
	const char	*what;
	int		 error;
} vfork_child;

/* "FILE:LINE: SERVICE/PROTO: what: error" */
static void
spawn_report(const struct servtab *sep, const char *what, int error)
{
	char where[SVC_WHERE_MAX];

	logmsg(LOG_ERR, "%s: %s: %s", servtab_where(sep, where,
	    sizeof(where)), what, strerror(error));
}

/* A system call failed in the child, which exits with status (spawn.h). */
static void
child_fail(const struct servtab *sep, const char *what, int status)
{
	int saved_errno = errno;

	if (vfork_child.active) {
		vfork_child.what = what;
		vfork_child.error = saved_errno;
		_exit(status);
	}
	spawn_report(sep, what, saved_errno);
	_exit(status);
}

/*
 * All but stderr for -d and the hand-back channel, which the children
 * of tcpmux and of forward entries need: both are close-on-exec, so
 * that the server never sees them.
 */
static void
close_daemon_fds(void)
{
	int debug_fd = sopts.so_debug_fd, handback_fd = sopts.so_handback_fd;
	int keep[2], lowest = STDERR_FILENO + 1, i;

	keep[0] = debug_fd < handback_fd ? debug_fd : handback_fd;
	keep[1] = debug_fd < handback_fd ? handback_fd : debug_fd;
	for (i = 0; i < 2; i++) {
		if (keep[i] < lowest)
			continue;
		if (keep[i] > lowest)
			(void)close_range(lowest, keep[i] - 1, 0);
		lowest = keep[i] + 1;
	}
	closefrom(lowest);
}

/* The server sees the socket on 0, 1 and 2, and nothing else. */
static void
child_setup_fds(const struct servtab *sep, int fd)
{
	int flags;

	if ((fd != STDIN_FILENO && dup2(fd, STDIN_FILENO) == -1) ||
	    dup2(STDIN_FILENO, STDOUT_FILENO) == -1 ||
	    dup2(STDIN_FILENO, STDERR_FILENO) == -1)
		child_fail(sep, "dup2", EX_OSERR);
	close_daemon_fds();
	if ((flags = fcntl(STDIN_FILENO, F_GETFL)) == -1 ||
	    fcntl(STDIN_FILENO, F_SETFL, flags & ~O_NONBLOCK) == -1)
		child_fail(sep, "fcntl", EX_OSERR);
}

static void
child_reset_signals(const struct servtab *sep)
{
	struct sigaction sa;
	sigset_t empty;
	int i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < nchanged_signals; i++)
		(void)sigaction(changed_signals[i], &sa, NULL);
	sigemptyset(&empty);
	if (sigprocmask(SIG_SETMASK, &empty, NULL) == -1)
		child_fail(sep, "sigprocmask", EX_OSERR);
}

/*
 * A session of its own, as FreeBSD's inetd gives it: no signal meant
 * for inetd's process group or session reaches it, nor one of its own
 * the daemon.  And the file mode mask a server expects, not the one
 * inetd was started with.
 */
static void
child_new_session(const struct servtab *sep)
{
	if (setsid() == -1)
		child_fail(sep, "setsid", EX_OSERR);
	(void)umask(SERVER_UMASK);
}

static void
child_set_credentials(const struct servtab *sep)
{
	if (euid != 0)
		return;		/* config_resolve allowed only our own uid */
	if (setgroups(sep->se_ngroups, sep->se_groups) == -1)
		child_fail(sep, "setgroups", EX_NOPERM);
	if (setgid(sep->se_gid) == -1)
		child_fail(sep, "setgid", EX_NOPERM);
	if (setuid(sep->se_uid) == -1)
		child_fail(sep, "setuid", EX_NOPERM);
}

/*
 * The server's limits, user and sandbox (sandbox.h): what needs the
 * daemon's privileges comes before its user is taken.  An entry without
 * options makes no call for them.
 */
static void
child_become_server(const struct servtab *sep)
{
	const char *what;

	forward_restore_limits();
	if (sep->se_opts != NULL &&
	    sandbox_enter(sep->se_opts, sep->se_uid, &what) == -1)
		child_fail(sep, what, EX_OSERR);
	child_set_credentials(sep);
	if (sep->se_opts != NULL &&
	    sandbox_finish(sep->se_opts, sep->se_uid, &what) == -1)
		child_fail(sep, what, EX_OSERR);
}

/*
 * The environment of servers: what inetd itself got is theirs with -E,
 * else only a fixed PATH (inetd's own may name root's directories);
 * for an entry with env or passenv (inetd.conf(5)), those; then what
 * describes the connection, as systemd and the UCSPI tools (tcpserver)
 * say it.  The base is fixed at startup; the variables of a connection
 * go in fixed buffers, so that they can be made in a child, or in the
 * daemon just before a vfork().
 */
#define CONN_VARS_MAX	11	/* see server_environment() */
#define CONN_VAR_SIZE	(sizeof("TCP6REMOTEPORT=") + INET6_ADDRSTRLEN + \
			    IF_NAMESIZE)

static char		 fixed_path[] = "PATH=" SERVER_PATH;
static char		**server_env;	/* base, connection, NULL */
static size_t		 server_env_base;
static char		**entry_env;	/* the same for an entry's options */
static char		 conn_vars[CONN_VARS_MAX][CONN_VAR_SIZE];

/* An environment being made: eb_n entries, eb_conn of conn_vars used. */
struct env_build {
	char		**eb_env;
	size_t		 eb_n;
	size_t		 eb_conn;
};

static int
is_conn_var(const char *entry)
{
	return conn_var_name(entry, strcspn(entry, "="));
}

static void
prepare_server_env(void)
{
	size_t n = 1;
	char **ep;

	for (ep = environ; sopts.so_keep_environment && *ep != NULL; ep++)
		n++;
	server_env = reallocarray(NULL, n + CONN_VARS_MAX + 1,
	    sizeof(*server_env));
	entry_env = reallocarray(NULL, n + 1 + OPTIONS_ENV_MAX +
	    CONN_VARS_MAX + 1, sizeof(*entry_env));
	if (server_env == NULL || entry_env == NULL) {
		logmsg(LOG_ERR, "environment for servers: %m");
		exit(EX_OSERR);
	}
	if (!sopts.so_keep_environment)
		server_env[server_env_base++] = fixed_path;
	for (ep = environ; sopts.so_keep_environment && *ep != NULL; ep++)
		if (!is_conn_var(*ep))
			server_env[server_env_base++] = *ep;
	server_env[server_env_base] = NULL;
}

/* inetd's own variable name, or NULL. */
static char *
inherited_var(const char *name)
{
	size_t len = strlen(name);
	char **ep;

	for (ep = environ; *ep != NULL; ep++)
		if (strncmp(*ep, name, len) == 0 && (*ep)[len] == '=')
			return *ep;
	return NULL;
}

/*
 * An entry's env and passenv: with passenv, the fixed PATH and the
 * variables it names, instead of inetd's whole environment (-E); env
 * sets its own, in place of any of the same name.
 */
static void
entry_environment(struct env_build *eb, const struct svc_options *o)
{
	char **base = o->so_passenv_given ? (char *[]){ fixed_path } :
	    server_env;
	size_t nbase = o->so_passenv_given ? 1 : server_env_base, i;
	char *var;
	int j;

	eb->eb_env = entry_env;
	eb->eb_n = 0;
	for (i = 0; i < nbase; i++)
		if (!options_env_named(o, base[i], strcspn(base[i], "=")))
			entry_env[eb->eb_n++] = base[i];
	for (j = 0; j < o->so_npassenv; j++)
		if ((var = inherited_var(o->so_passenv[j])) != NULL)
			entry_env[eb->eb_n++] = var;
	for (j = 0; j < o->so_nenv; j++)
		entry_env[eb->eb_n++] = o->so_env[j];
}

static void
set_conn_var(struct env_build *eb, const char *name, const char *value)
{
	char *var = conn_vars[eb->eb_conn++];

	snprintf(var, CONN_VAR_SIZE, "%s=%s", name, value);
	eb->eb_env[eb->eb_n++] = var;
}

/* PREFIX SIDE IP and PORT, as in TCPREMOTEIP and TCPREMOTEPORT. */
static void
set_end_vars(struct env_build *eb, const char *prefix, const char *side,
    const struct sockaddr *sa)
{
	char name[sizeof("TCP6REMOTEPORT")];
	char addr[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
	char port[sizeof("65535")];

	sockaddr_str(sa, addr, sizeof(addr));
	snprintf(port, sizeof(port), "%d", sockaddr_port(sa));
	snprintf(name, sizeof(name), "%s%sIP", prefix, side);
	set_conn_var(eb, name, addr);
	snprintf(name, sizeof(name), "%s%sPORT", prefix, side);
	set_conn_var(eb, name, port);
}

/*
 * A server of a TCP connection (peer, on fd) gets REMOTE_ADDR and
 * REMOTE_PORT, PROTO, and TCPREMOTEIP, TCPREMOTEPORT, TCPLOCALIP and
 * TCPLOCALPORT; over IPv6, PROTO=TCP6 and the same TCP6 ones too, as
 * ucspi-tcp6 does.  An IPv4 client of a tcp46 socket is IPv4.  A wait
 * service, which has no connection (its peer is only the sender of a
 * first datagram), or a UNIX socket gets none of them.
 */
static char **
server_environment(const struct servtab *sep, int fd,
    const struct sockaddr *peer)
{
	struct env_build eb = { server_env, server_env_base, 0 };
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	char addr[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
	char port[sizeof("65535")];
	int v6;

	if (sep->se_opts != NULL && (sep->se_opts->so_nenv > 0 ||
	    sep->se_opts->so_passenv_given))
		entry_environment(&eb, sep->se_opts);
	if (!svc_is_wait(sep) && peer != NULL &&
	    (peer->sa_family == AF_INET || peer->sa_family == AF_INET6)) {
		v6 = peer->sa_family == AF_INET6 && !IN6_IS_ADDR_V4MAPPED(
		    &((const struct sockaddr_in6 *)(const void *)peer)->
		    sin6_addr);
		snprintf(port, sizeof(port), "%d", sockaddr_port(peer));
		set_conn_var(&eb, "REMOTE_ADDR",
		    sockaddr_str(peer, addr, sizeof(addr)));
		set_conn_var(&eb, "REMOTE_PORT", port);
		set_conn_var(&eb, "PROTO", v6 ? "TCP6" : "TCP");
		set_end_vars(&eb, "TCP", "REMOTE", peer);
		if (v6)
			set_end_vars(&eb, "TCP6", "REMOTE", peer);
		if (getsockname(fd, (struct sockaddr *)&local, &len) == 0 &&
		    local.ss_family == peer->sa_family) {
			set_end_vars(&eb, "TCP", "LOCAL",
			    (struct sockaddr *)&local);
			if (v6)
				set_end_vars(&eb, "TCP6", "LOCAL",
				    (struct sockaddr *)&local);
		}
	}
	eb.eb_env[eb.eb_n] = NULL;
	return eb.eb_env;
}

static void __attribute__((noreturn))
tcpmux_hand_back(const struct servtab *chosen)
{
	handback_send(sopts.so_handback_fd, chosen, HANDBACK_TCPMUX,
	    chosen->se_service, strlen(chosen->se_service));
}

/* See builtin_serve(): sep itself, or the entry tcpmux chose. */
static void __attribute__((noreturn))
builtin_hand_back(const struct servtab *sep, const struct servtab *chosen)
{
	if (chosen != sep)
		tcpmux_hand_back(chosen);
	handback_send(sopts.so_handback_fd, sep, HANDBACK_FORWARD,
	    &sep->se_limits.sl_id, sizeof(sep->se_limits.sl_id));
}

static void
run_child(const struct servtab *sep, int fd, const struct sockaddr *peer,
    const struct servtab *services)
{
	char addr[INET6_ADDRSTRLEN + 1];

	/*
	 * The log socket must not stay open in the server, nor stderr,
	 * which becomes the client: with -d, messages go to the daemon's.
	 */
	logclose();
	logopen("inetd", LOG_PID |
	    (sopts.so_debug_fd != -1 ? LOG_PERROR : 0), LOG_DAEMON);
	logperror(sopts.so_debug_fd);
	child_setup_fds(sep, fd);
	child_reset_signals(sep);
	child_new_session(sep);
	/* A refusal goes back, for the daemon to count and close. */
	if (wrap_wanted(sep) && wrap_child(sep, peer) == -1)
		handback_send(sopts.so_handback_fd, sep, HANDBACK_REFUSED,
		    &sep->se_limits.sl_id, sizeof(sep->se_limits.sl_id));
	/* Builtins keep inetd's credentials: auth needs them. */
	if (sep->se_bi != NULL) {
		setproctitle("%s [%s]", builtin_name(sep->se_bi),
		    peer != NULL ? sockaddr_str(peer, addr, sizeof(addr)) :
		    "");
		builtin_hand_back(sep, builtin_serve(sep, STDIN_FILENO,
		    services));
	}
	if (tcpmux_go(sep, STDIN_FILENO) == -1)
		_exit(0);
	child_become_server(sep);
	execve(sep->se_server, sep->se_argv,
	    server_environment(sep, STDIN_FILENO, peer));
	child_fail(sep, sep->se_server, EX_OSERR);
}

/*
 * The child of vfork() for a server: until execve() it runs on the
 * daemon's memory, so it only makes system calls (each of the functions
 * above is async-signal-safe when child_fail() does not log), and its
 * environment is made by the daemon beforehand.
 */
static void
exec_server(const struct servtab *sep, int fd, char **env)
{
	child_setup_fds(sep, fd);
	child_reset_signals(sep);
	child_new_session(sep);
	if (tcpmux_go(sep, STDIN_FILENO) == -1)
		_exit(0);
	child_become_server(sep);
	execve(sep->se_server, sep->se_argv, env);
	child_fail(sep, sep->se_server, EX_OSERR);
}

/*
 * A server that needs nothing of inetd's code in its child (no builtin,
 * no TCP wrappers) is started with vfork(): no page of the daemon is
 * copied, which makes a connection to an exec'd service cheaper by the
 * cost of a fork() (see bench/RESULTS.md).  Signals wait while the
 * child borrows the daemon's memory, so that no handler runs there.
 */
static pid_t
vfork_server(const struct servtab *sep, int fd, const struct sockaddr *peer)
{
	char **env = server_environment(sep, fd, peer);
	sigset_t all, saved;
	pid_t pid;

	sigfillset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, &saved);
	vfork_child.active = 1;
	vfork_child.what = NULL;
	if ((pid = vfork()) == 0)
		exec_server(sep, fd, env);
	vfork_child.active = 0;
	(void)sigprocmask(SIG_SETMASK, &saved, NULL);
	if (pid != -1 && vfork_child.what != NULL)
		spawn_report(sep, vfork_child.what, vfork_child.error);
	return pid;
}

int
spawn_forks(const struct servtab *sep)
{
	return sep->se_bi != NULL || wrap_wanted(sep);
}

pid_t
spawn_child(const struct servtab *sep, int fd, const struct sockaddr *peer,
    const struct servtab *services)
{
	pid_t pid;

	if (!spawn_forks(sep))
		return vfork_server(sep, fd, peer);
	if ((pid = fork()) == 0)
		run_child(sep, fd, peer, services);
	return pid;
}

void
spawn_init(const struct spawn_options *options)
{
	sopts = *options;
	euid = geteuid();
	note_changed_signals();
	prepare_server_env();
}
