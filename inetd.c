/*
 * inetd: the Internet super-server.
 *
 * One process and one select() loop: a socket per inetd.conf(5) entry,
 * a self-pipe for signals, and the connections of the builtins that the
 * daemon serves itself.  Each event (accept, spawn, reap, retry, die)
 * is its own function below; main() only sets them up.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libutil.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "inetd.h"

#define DEFAULT_CONFIG	"/etc/inetd.conf"
#define DEFAULT_PIDFILE	"/var/run/inetd.pid"
#define RETRYTIME	600	/* s before a failed bind is retried */
#define LISTEN_BACKLOG	1024
#define MAXCHILDREN	16384	/* children tracked at once */
#define BACKOFF_SECONDS	1	/* pause after EMFILE or a failed fork */

struct child {
	pid_t		 ch_pid;
	struct servtab	*ch_sep;
};

static int		 debug;		/* -d */
static int		 log_connections; /* -l */
static const char	*bind_default;	/* -a */
static const char	*pidfile_path = DEFAULT_PIDFILE;
static int		 pidfile_given;
static const char	*config_path = DEFAULT_CONFIG;

static uid_t		 euid;
static int		 retrytime = RETRYTIME;
static struct servtab	*services;
static struct pidfh	*pidfh;
static int		 sigpipe[2] = { -1, -1 };
static int		 debug_fd = -1;	/* stderr kept for children's errors */
static time_t		 retry_at;	/* 0: no socket waits for a retry */
static time_t		 backoff_until;	/* listeners ignored until then */
static struct child	 children[MAXCHILDREN];
static int		 nchildren;
static int		 children_full_logged;

static void	usage(void) __attribute__((noreturn));
static void	parse_flags(int argc, char *argv[]);
static void	open_log(int to_stderr);
static void	load_services(void);
static void	open_pidfile(void);
static void	catch_signals(void);
static int	open_services(void);
static void	serve_forever(void) __attribute__((noreturn));
static void	die(void) __attribute__((noreturn));

static void
svc_log(const struct servtab *sep, int priority, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

int
main(int argc, char *argv[])
{
	int listening;

	setproctitle_init(argc, argv, environ);
	parse_flags(argc, argv);
	euid = geteuid();
	open_log(1);
	load_services();
	open_pidfile();
	catch_signals();
	listening = open_services();
	if (!debug) {
		if (daemon(0, 0) == -1)
			err(EX_OSERR, "daemon");
		open_log(0);
	}
	if (pidfh != NULL && pidfile_write(pidfh) == -1)
		syslog(LOG_WARNING, "cannot write pidfile %s: %m",
		    pidfile_path);
	syslog(LOG_INFO, "ready: %d services listening", listening);
	serve_forever();
}

static void
usage(void)
{
	fprintf(stderr, "usage: inetd [-dl] [-a address] [-p pidfile] "
	    "[configuration_file]\n");
	exit(EX_USAGE);
}

static void
parse_flags(int argc, char *argv[])
{
	const char *env;
	const char *errstr;
	int ch;

	while ((ch = getopt(argc, argv, "a:dlp:")) != -1) {
		switch (ch) {
		case 'a':
			bind_default = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		case 'l':
			log_connections = 1;
			break;
		case 'p':
			pidfile_path = optarg;
			pidfile_given = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		usage();
	if (argc == 1)
		config_path = argv[0];
	/* Detached, inetd runs in "/": a reload must find the same file. */
	if (!debug && config_path[0] != '/' &&
	    (config_path = realpath(config_path, NULL)) == NULL)
		err(EX_NOINPUT, "%s", argv[0]);

	/* Documented for tests: shortens every retry and pause. */
	if ((env = getenv("INETD_RETRY_SECONDS")) != NULL) {
		retrytime = strtonum(env, 1, INT_MAX, &errstr);
		if (errstr != NULL)
			errx(EX_USAGE, "INETD_RETRY_SECONDS=%s is %s", env,
			    errstr);
	}
}

/*
 * Until the daemon detaches, and always with -d, messages also go to
 * stderr, so that a sysadmin starting it sees what is wrong at once.
 */
static void
open_log(int to_stderr)
{
	closelog();
	openlog("inetd", LOG_PID | LOG_NDELAY | (to_stderr || debug ?
	    LOG_PERROR : 0), LOG_DAEMON);
}

static void
svc_log(const struct servtab *sep, int priority, const char *fmt, ...)
{
	char name[PATH_MAX + 16], msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	syslog(priority, "%s:%d: %s: %s", sep->se_file, sep->se_line,
	    servtab_name(sep, name, sizeof(name)), msg);
}

static void
load_services(void)
{
	int error;

	services = config_load(config_path, bind_default, euid, syslog,
	    &error);
	if (services == NULL && error != 0) {
		errno = error;
		err(EX_NOINPUT, "%s", config_path);
	}
	if (services == NULL)
		syslog(LOG_WARNING, "%s: no services configured",
		    config_path);
}

/*
 * The pidfile also keeps a second inetd from starting.  Unprivileged
 * users running inetd on high ports cannot write the default one, and
 * need not.
 */
static void
open_pidfile(void)
{
	pid_t other;

	pidfh = pidfile_open(pidfile_path, 0600, &other);
	if (pidfh != NULL)
		return;
	if (errno == EEXIST)
		errx(EX_UNAVAILABLE, "already running, pid %d (%s)",
		    (int)other, pidfile_path);
	if (euid == 0 || pidfile_given)
		err(EX_CANTCREAT, "pidfile %s", pidfile_path);
	syslog(LOG_WARNING, "cannot create pidfile %s: %m, continuing",
	    pidfile_path);
}

/* Signal handlers only note the signal; the main loop does the work. */
static void
note_signal(int sig)
{
	int saved_errno = errno;
	unsigned char c = (unsigned char)sig;

	(void)write(sigpipe[1], &c, 1);
	errno = saved_errno;
}

static void
catch_signals(void)
{
	static const int caught[] = { SIGCHLD, SIGHUP, SIGTERM, SIGINT };
	struct sigaction sa;
	size_t i;

	if (pipe2(sigpipe, O_NONBLOCK | O_CLOEXEC) == -1)
		err(EX_OSERR, "pipe");
	if (debug && (debug_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC,
	    sigpipe[1] + 1)) == -1)
		err(EX_OSERR, "dup");
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = note_signal;
	for (i = 0; i < sizeof(caught) / sizeof(caught[0]); i++)
		if (sigaction(caught[i], &sa, NULL) == -1)
			err(EX_OSERR, "sigaction");
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1)
		err(EX_OSERR, "sigaction");
}

/*
 * A wait service's socket belongs to its one child until it exits.  An
 * exec'd dgram service is always one: as nowait, a server slow to read
 * its datagram would have inetd start another for it, without end.
 */
static int
svc_is_wait(const struct servtab *sep)
{
	return sep->se_bi == NULL &&
	    (sep->se_wait || sep->se_socktype == SOCK_DGRAM);
}

static int
svc_port(const struct servtab *sep)
{
	switch (sep->se_family) {
	case AF_INET:
		return ntohs(sep->se_ctrladdr.sin.sin_port);
	case AF_INET6:
		return ntohs(sep->se_ctrladdr.sin6.sin6_port);
	default:
		return 0;
	}
}

static time_t
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void
schedule_retry(void)
{
	time_t when = now() + retrytime;

	if (retry_at == 0 || when < retry_at)
		retry_at = when;
}

static void
bind_failed(struct servtab *sep, int fd, const char *what)
{
	char addr[INET6_ADDRSTRLEN + 1];

	if (sep->se_family == AF_UNIX)
		svc_log(sep, LOG_ERR, "%s %s: %m, retrying in %d s", what,
		    sep->se_ctrladdr.sun.sun_path, retrytime);
	else
		svc_log(sep, LOG_ERR, "%s %s port %d: %m, retrying in %d s",
		    what, sockaddr_str(&sep->se_ctrladdr.sa, addr,
		    sizeof(addr)), svc_port(sep), retrytime);
	if (fd != -1)
		close(fd);
	sep->se_bind_failed = 1;
	schedule_retry();
}

/* A stale socket left by an earlier run would make bind() fail. */
static void
unlink_stale_socket(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		(void)unlink(path);
}

static int
set_socket_options(struct servtab *sep, int fd)
{
	int on = 1, v6only = sep->se_v6only;

	if (sep->se_family != AF_UNIX && setsockopt(fd, SOL_SOCKET,
	    SO_REUSEADDR, &on, sizeof(on)) == -1)
		return -1;
	if (sep->se_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &v6only, sizeof(v6only)) == -1)
		return -1;
	return 0;
}

static void
open_service(struct servtab *sep)
{
	const char *path = sep->se_ctrladdr.sun.sun_path;
	int fd;

	sep->se_bind_failed = 0;
	fd = socket(sep->se_family, sep->se_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1) {
		bind_failed(sep, -1, "socket for");
		return;
	}
	if (fd >= FD_SETSIZE) {
		errno = EMFILE;
		bind_failed(sep, fd, "descriptor too large for select() for");
		return;
	}
	if (set_socket_options(sep, fd) == -1) {
		bind_failed(sep, fd, "socket options for");
		return;
	}
	if (sep->se_family == AF_UNIX)
		unlink_stale_socket(path);
	if (bind(fd, &sep->se_ctrladdr.sa, sep->se_ctrladdr_size) == -1) {
		bind_failed(sep, fd, "bind");
		return;
	}
	if (sep->se_family == AF_UNIX && (chown(path, sep->se_sockuid,
	    sep->se_sockgid) == -1 || chmod(path, sep->se_sockmode) == -1)) {
		bind_failed(sep, fd, "owner and mode of");
		return;
	}
	if (sep->se_socktype == SOCK_STREAM &&
	    listen(fd, LISTEN_BACKLOG) == -1) {
		bind_failed(sep, fd, "listen on");
		return;
	}
	sep->se_fd = fd;
}

static void
close_service(struct servtab *sep)
{
	if (sep->se_fd == -1)
		return;
	close(sep->se_fd);
	sep->se_fd = -1;
	if (sep->se_family == AF_UNIX)
		(void)unlink(sep->se_ctrladdr.sun.sun_path);
}

static int
open_services(void)
{
	struct servtab *sep;
	int listening = 0;

	for (sep = services; sep != NULL; sep = sep->se_next) {
		if (sep->se_fd == -1)
			open_service(sep);
		if (sep->se_fd != -1)
			listening++;
	}
	return listening;
}

static void
retry_services(void)
{
	struct servtab *sep;

	if (retry_at == 0 || now() < retry_at)
		return;
	retry_at = 0;
	for (sep = services; sep != NULL; sep = sep->se_next)
		if (sep->se_bind_failed)
			open_service(sep);
}

/*
 * Out of descriptors or processes: stop looking at the listeners for a
 * moment instead of spinning on a socket we cannot serve.
 */
static void
back_off(const char *why)
{
	if (backoff_until == 0)
		syslog(LOG_ERR, "%s: %m, pausing for %d s", why,
		    BACKOFF_SECONDS);
	backoff_until = now() + BACKOFF_SECONDS;
}

static int
children_full(void)
{
	if (nchildren < MAXCHILDREN) {
		children_full_logged = 0;
		return 0;
	}
	if (!children_full_logged)
		syslog(LOG_ERR, "%d children running, the most inetd tracks; "
		    "new connections wait", MAXCHILDREN);
	children_full_logged = 1;
	return 1;
}

static void
child_add(pid_t pid, struct servtab *sep)
{
	children[nchildren].ch_pid = pid;
	children[nchildren].ch_sep = sep;
	nchildren++;
	sep->se_children++;
}

static struct servtab *
child_remove(pid_t pid)
{
	struct servtab *sep;
	int i;

	for (i = 0; i < nchildren; i++) {
		if (children[i].ch_pid != pid)
			continue;
		sep = children[i].ch_sep;
		children[i] = children[--nchildren];
		return sep;
	}
	return NULL;
}

/* Report from the child: syslog, and the daemon's stderr with -d. */
static void
child_fail(const struct servtab *sep, const char *what)
{
	char name[PATH_MAX + 16];
	int saved_errno = errno;

	svc_log(sep, LOG_ERR, "%s: %m", what);
	if (debug_fd != -1)
		dprintf(debug_fd, "inetd[%d]: %s:%d: %s: %s: %s\n",
		    (int)getpid(), sep->se_file, sep->se_line,
		    servtab_name(sep, name, sizeof(name)), what,
		    strerror(saved_errno));
	_exit(EX_OSERR);
}

/* The server sees the socket on 0, 1 and 2, and nothing else. */
static void
child_setup_fds(const struct servtab *sep, int fd)
{
	int flags, i;

	if ((fd != STDIN_FILENO && dup2(fd, STDIN_FILENO) == -1) ||
	    dup2(STDIN_FILENO, STDOUT_FILENO) == -1 ||
	    dup2(STDIN_FILENO, STDERR_FILENO) == -1)
		child_fail(sep, "dup2");
	if (debug_fd == -1)
		closefrom(STDERR_FILENO + 1);
	else {
		/* debug_fd is close-on-exec: the server never sees it. */
		for (i = STDERR_FILENO + 1; i < debug_fd; i++)
			(void)close(i);
		closefrom(debug_fd + 1);
	}
	if ((flags = fcntl(STDIN_FILENO, F_GETFL)) == -1 ||
	    fcntl(STDIN_FILENO, F_SETFL, flags & ~O_NONBLOCK) == -1)
		child_fail(sep, "fcntl");
}

static void
child_reset_signals(const struct servtab *sep)
{
	struct sigaction sa;
	sigset_t empty;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);	/* KILL, STOP fail */
	sigemptyset(&empty);
	if (sigprocmask(SIG_SETMASK, &empty, NULL) == -1)
		child_fail(sep, "sigprocmask");
}

static void
child_set_credentials(const struct servtab *sep)
{
	if (euid != 0)
		return;		/* config_resolve allowed only our own uid */
	if (setgroups(sep->se_ngroups, sep->se_groups) == -1)
		child_fail(sep, "setgroups");
	if (setgid(sep->se_gid) == -1)
		child_fail(sep, "setgid");
	if (setuid(sep->se_uid) == -1)
		child_fail(sep, "setuid");
}

static void
run_child(const struct servtab *sep, int fd, const struct sockaddr *peer)
{
	char addr[INET6_ADDRSTRLEN + 1];

	/* The log socket must not stay open in the server, nor stderr. */
	closelog();
	openlog("inetd", LOG_PID, LOG_DAEMON);
	child_setup_fds(sep, fd);
	child_reset_signals(sep);
	child_set_credentials(sep);
	if (sep->se_bi != NULL) {
		setproctitle("%s [%s]", builtin_name(sep->se_bi),
		    peer != NULL ? sockaddr_str(peer, addr, sizeof(addr)) :
		    "");
		builtin_serve(sep, STDIN_FILENO);
	}
	execv(sep->se_server, sep->se_argv);
	child_fail(sep, sep->se_server);
}

static void
spawn(struct servtab *sep, int fd, const struct sockaddr *peer)
{
	pid_t pid;

	if (children_full())
		return;
	if ((pid = fork()) == -1) {
		back_off("fork");
		return;
	}
	if (pid == 0)
		run_child(sep, fd, peer);
	child_add(pid, sep);
	if (svc_is_wait(sep))
		sep->se_paused = 1;
}

static void
log_connection(const struct servtab *sep, const struct sockaddr *peer)
{
	char addr[INET6_ADDRSTRLEN + 1];

	if (log_connections)
		syslog(LOG_INFO, "%s from %s", sep->se_service,
		    sockaddr_str(peer, addr, sizeof(addr)));
}

static void
accept_connection(struct servtab *sep)
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	int fd;

	memset(&peer, 0, sizeof(peer));	/* an unnamed UNIX peer sets none */
	fd = accept4(sep->se_fd, (struct sockaddr *)&peer, &len,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM)
			back_off("accept");
		else if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			svc_log(sep, LOG_WARNING, "accept: %m");
		return;
	}
	log_connection(sep, (struct sockaddr *)&peer);
	if (sep->se_bi != NULL && builtin_accept(sep, fd) == 0)
		return;
	spawn(sep, fd, (struct sockaddr *)&peer);
	close(fd);
}

/* A wait service's child gets the listening socket itself. */
static void
hand_over_socket(struct servtab *sep)
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	char byte;

	memset(&peer, 0, sizeof(peer));
	if (log_connections && sep->se_socktype == SOCK_DGRAM &&
	    recvfrom(sep->se_fd, &byte, sizeof(byte), MSG_PEEK | MSG_DONTWAIT,
	    (struct sockaddr *)&peer, &len) != -1)
		log_connection(sep, (struct sockaddr *)&peer);
	spawn(sep, sep->se_fd, NULL);
}

static void
service_ready(struct servtab *sep)
{
	if (sep->se_socktype == SOCK_DGRAM && sep->se_bi != NULL)
		builtin_dgram(sep);
	else if (svc_is_wait(sep))
		hand_over_socket(sep);
	else
		accept_connection(sep);
}

static void
resume_service(struct servtab *sep)
{
	int flags;

	sep->se_paused = 0;
	/* The child made the shared socket blocking for itself. */
	if (sep->se_fd != -1 && (flags = fcntl(sep->se_fd, F_GETFL)) != -1)
		(void)fcntl(sep->se_fd, F_SETFL, flags | O_NONBLOCK);
}

static void
report_child_status(const struct servtab *sep, pid_t pid, int status)
{
	if (WIFSIGNALED(status))
		svc_log(sep, LOG_WARNING, "child %d killed by signal %d",
		    (int)pid, WTERMSIG(status));
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		svc_log(sep, LOG_WARNING, "child %d exited with status %d",
		    (int)pid, WEXITSTATUS(status));
}

static void
reap_children(void)
{
	struct servtab *sep;
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((sep = child_remove(pid)) == NULL)
			continue;	/* its entry was removed by a reload */
		sep->se_children--;
		report_child_status(sep, pid, status);
		if (sep->se_paused)
			resume_service(sep);
	}
}

static int
same_socket(const struct servtab *a, const struct servtab *b)
{
	return a->se_family == b->se_family &&
	    a->se_socktype == b->se_socktype &&
	    a->se_v6only == b->se_v6only &&
	    a->se_ctrladdr_size == b->se_ctrladdr_size &&
	    memcmp(&a->se_ctrladdr, &b->se_ctrladdr, a->se_ctrladdr_size) == 0;
}

/* The new entry inherits the socket, its backlog and its children. */
static void
take_over(struct servtab *sep, struct servtab *old)
{
	int i;

	sep->se_fd = old->se_fd;
	sep->se_paused = old->se_paused;
	sep->se_children = old->se_children;
	old->se_fd = -1;
	for (i = 0; i < nchildren; i++)
		if (children[i].ch_sep == old)
			children[i].ch_sep = sep;
}

static void
forget_service(struct servtab *old)
{
	int i;

	for (i = 0; i < nchildren; i++)
		if (children[i].ch_sep == old)
			children[i].ch_sep = NULL;
	close_service(old);
	servtab_free(old);
}

/*
 * SIGHUP: read the file again.  An entry whose socket is unchanged
 * keeps it, so nothing waiting in its backlog is lost; a file that
 * cannot be read leaves the running services as they are.
 */
static void
reload(void)
{
	struct servtab *fresh, *sep, *old, *next;
	int error;

	fresh = config_load(config_path, bind_default, euid, syslog, &error);
	if (fresh == NULL && error != 0) {
		syslog(LOG_ERR, "%s: %s, configuration not reloaded",
		    config_path, strerror(error));
		return;
	}
	for (sep = fresh; sep != NULL; sep = sep->se_next)
		for (old = services; old != NULL; old = old->se_next)
			if (old->se_fd != -1 && same_socket(old, sep)) {
				take_over(sep, old);
				break;
			}
	for (old = services; old != NULL; old = next) {
		next = old->se_next;
		forget_service(old);
	}
	services = fresh;
	retry_at = 0;
	syslog(LOG_INFO, "reloaded %s: %d services listening", config_path,
	    open_services());
}

static void
die(void)
{
	struct servtab *sep, *next;

	builtin_closeall();
	for (sep = services; sep != NULL; sep = next) {
		next = sep->se_next;
		close_service(sep);
		servtab_free(sep);
	}
	if (pidfh != NULL)
		pidfile_remove(pidfh);
	syslog(LOG_INFO, "exiting");
	exit(0);
}

static void
handle_signals(void)
{
	unsigned char sigs[64];
	ssize_t i, n;
	int reap = 0, reread = 0, quit = 0;

	while ((n = read(sigpipe[0], sigs, sizeof(sigs))) > 0)
		for (i = 0; i < n; i++) {
			if (sigs[i] == SIGCHLD)
				reap = 1;
			else if (sigs[i] == SIGHUP)
				reread = 1;
			else
				quit = 1;
		}
	if (reap)
		reap_children();
	if (quit)
		die();
	if (reread)
		reload();
}

static int
backing_off(void)
{
	if (backoff_until != 0 && now() >= backoff_until)
		backoff_until = 0;
	return backoff_until != 0;
}

static int
svc_accepting(const struct servtab *sep)
{
	if (sep->se_fd == -1 || sep->se_paused)
		return 0;
	if (sep->se_bi != NULL && sep->se_socktype == SOCK_DGRAM)
		return 1;
	return !children_full();
}

static int
fill_fdsets(fd_set *rfds, fd_set *wfds)
{
	struct servtab *sep;
	int maxfd = sigpipe[0], bfd;

	FD_ZERO(rfds);
	FD_ZERO(wfds);
	FD_SET(sigpipe[0], rfds);
	if (!backing_off())
		for (sep = services; sep != NULL; sep = sep->se_next)
			if (svc_accepting(sep)) {
				FD_SET(sep->se_fd, rfds);
				if (sep->se_fd > maxfd)
					maxfd = sep->se_fd;
			}
	if ((bfd = builtin_fdset(rfds, wfds)) > maxfd)
		maxfd = bfd;
	return maxfd;
}

/* Wake up for the next retry or the end of a back-off, if any. */
static struct timeval *
next_timeout(struct timeval *tv)
{
	time_t wake = retry_at;

	if (backoff_until != 0 && (wake == 0 || backoff_until < wake))
		wake = backoff_until;
	if (wake == 0)
		return NULL;
	tv->tv_sec = wake > now() ? wake - now() : 0;
	tv->tv_usec = 0;
	return tv;
}

static void
serve_forever(void)
{
	struct servtab *sep;
	struct timeval tv;
	fd_set rfds, wfds;
	int maxfd;

	for (;;) {
		maxfd = fill_fdsets(&rfds, &wfds);
		if (select(maxfd + 1, &rfds, &wfds, NULL,
		    next_timeout(&tv)) == -1) {
			if (errno != EINTR) {
				syslog(LOG_ERR, "select: %m");
				sleep(BACKOFF_SECONDS);
			}
			continue;
		}
		for (sep = services; sep != NULL; sep = sep->se_next)
			if (sep->se_fd != -1 && FD_ISSET(sep->se_fd, &rfds))
				service_ready(sep);
		builtin_run(&rfds, &wfds);
		retry_services();
		/* Last: a reload frees the entries looked at above. */
		if (FD_ISSET(sigpipe[0], &rfds))
			handle_signals();
	}
}
