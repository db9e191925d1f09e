/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * inetd: the Internet super-server.
 *
 * One process and one wait (event.c's epoll set): a socket per
 * inetd.conf(5) entry, a self-pipe for signals, and the connections of
 * the builtins that the daemon serves itself.  Each event (accept,
 * spawn, reap, retry, die) is its own function below; main() only sets
 * them up.
 */
#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <net/if.h>
#include <netinet/in.h>

#include <dlfcn.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libutil.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sysexits.h>
#include <tcpd.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "event.h"
#include "inetd.h"
#include "log.h"
#include "load.h"
#include "lookup.h"
#include "ratelimit.h"
#include "util.h"

#define DEFAULT_CONFIG	"/etc/inetd.conf"
#define DEFAULT_INCLUDEDIR "/etc/inetd.d" /* read with the default config */
#define DEFAULT_PIDFILE	"/var/run/inetd.pid"
#define RETRYTIME	600	/* s before a failed bind is retried */
#define LISTEN_BACKLOG	1024
#define MAXCHILDREN	16384	/* children tracked at once */
#define BACKOFF_SECONDS	1	/* pause after EMFILE or a failed fork */
#define BACKOFF_LOG_SECONDS 60	/* between two messages about pausing */
#define WRAP_REFUSALS_MAX 16	/* refused datagrams a child drops, -w/-W */
#define WRAP_LINGER_MS	1000	/* a -W datagram child waits for more */
#define MUX_BATCH	16	/* tcpmux connections taken back a wake-up */
#define MUX_DRAIN_READS	4	/* of what a turned-away client sent */
#define MUX_SEND_SECONDS 10	/* a tcpmux child waits for the daemon */
#define SERVER_UMASK	022	/* whatever umask inetd was started with */
/* Servers' PATH without -E: Debian's default, never inetd's own. */
#define SERVER_PATH	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:" \
			    "/sbin:/bin"

struct child {
	pid_t		 ch_pid;
	struct servtab	*ch_sep;
	struct peer_addr ch_peer;	/* its client, for max-child-per-ip */
	long long	 ch_started_ms;	/* monotonic: did it fail at once? */
	uint64_t	 ch_datagram;	/* the one it was started for, or 0 */
};

static int		 debug;		/* -d */
static int		 foreground;	/* -i */
static int		 log_connections; /* -l */
static int		 wrap_programs;	/* -w: TCP wrappers for servers */
static int		 wrap_builtins;	/* -W: TCP wrappers for builtins */
static int		 keep_environment; /* -E */
static int		 in_child;	/* a child of the daemon's, see log_msg */
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
static int		 mux_channel[2] = { -1, -1 }; /* daemon's, children's */
static time_t		 retry_at;	/* 0: no socket waits for a retry */
static time_t		 backoff_until;	/* listeners ignored until then */
static time_t		 backoff_quiet_until; /* no message about it till */
static struct child	 children[MAXCHILDREN];
static int		 nchildren;
static int		 children_full_logged;
static int		 check_only;	/* -t */
static struct limit_defaults limit_defaults = {	/* -c, -C, -s, -R */
	.ld_maxrate = DEFAULT_MAXRATE
};
static struct addr_table *addrtab;	/* per-address rates */
static uint64_t		 service_ids;	/* the last one given to an entry */
static int		 conf_errors;	/* reported by the file being loaded */

/* systemd's notification socket ($NOTIFY_SOCKET), see sd_notify(3). */
static int		 notify_fd = -1;
static struct sockaddr_un notify_addr;
static socklen_t	 notify_addrlen;
static int		 notify_failed_logged;
static uint64_t		 watchdog_usec;	/* ping interval, 0: none */
static uint64_t		 watchdog_due;	/* next ping, monotonic us */

static void	usage(void) __attribute__((noreturn));
static void	parse_flags(int argc, char *argv[]);
static void	open_log(int to_stderr);
static int	check_config(void);
static void	make_addr_table(void);
static void	load_services(void);
static void	open_pidfile(void);
static void	catch_signals(void);
static void	open_wait_set(void);
static int	open_services(void);
static void	serve_forever(void) __attribute__((noreturn));
static void	die(void) __attribute__((noreturn));
static void	notify_open(void);
static void	prepare_server_env(void);
static void	wrap_load(void);
static void	log_connection(const struct servtab *sep,
		    const struct sockaddr *peer);
static void	notify(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));

static void
svc_log(const struct servtab *sep, int priority, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

int
main(int argc, char *argv[])
{
	int listening;

	if (argc == 4 && strcmp(argv[1], LOOKUP_ARG) == 0)
		return lookup_serve(argv[2], argv[3]);
	setproctitle_init(argc, argv, environ);
	config_set_builtins(&builtin_config);
	parse_flags(argc, argv);
	euid = geteuid();
	if (check_only)
		exit(check_config());
	open_log(1);
	wrap_load();
	make_addr_table();
	load_services();
	open_pidfile();
	catch_signals();
	open_wait_set();
	listening = open_services();
	if (!debug && !foreground && daemon(0, 0) == -1)
		err(EX_OSERR, "daemon");
	if (!debug)
		open_log(0);
	if (pidfh != NULL && pidfile_write(pidfh) == -1)
		logmsg(LOG_WARNING, "cannot write pidfile %s: %m",
		    pidfile_path);
	logmsg(LOG_INFO, "ready: %d services listening", listening);
	notify_open();
	notify("READY=1\nMAINPID=%d\nSTATUS=%d services listening",
	    (int)getpid(), listening);
	prepare_server_env();
	serve_forever();
}

static void
usage(void)
{
	fprintf(stderr, "usage: inetd [-dEiltWw] [-a address] [-C rate] "
	    "[-c maximum] [-p pidfile]\n"
	    "             [-R rate] [-s maximum] [configuration_file]\n");
	exit(EX_USAGE);
}

/* The value of -c, -C, -R or -s: from 0, meaning no limit, to max. */
static int
limit_flag(int flag, const char *value, int max)
{
	const char *errstr;
	int n;

	n = strtonum(value, 0, max, &errstr);
	if (errstr != NULL) {
		warnx("-%c %s: %s (0 to %d)", flag, value, errstr, max);
		usage();
	}
	return n;
}

static void
parse_flags(int argc, char *argv[])
{
	const char *env;
	const char *errstr;
	int ch;

	while ((ch = getopt(argc, argv, "a:C:c:dEilp:R:s:tWw")) != -1) {
		switch (ch) {
		case 'a':
			bind_default = optarg;
			break;
		case 'C':
			limit_defaults.ld_maxcpm = limit_flag(ch, optarg,
			    INT_MAX);
			break;
		case 'c':
			limit_defaults.ld_maxchild = limit_flag(ch, optarg,
			    CONF_MAXCHILD);
			break;
		case 'R':
			limit_defaults.ld_maxrate = limit_flag(ch, optarg,
			    INT_MAX);
			break;
		case 's':
			limit_defaults.ld_maxperip = limit_flag(ch, optarg,
			    INT_MAX);
			break;
		case 't':
			check_only = 1;
			break;
		case 'd':
			debug = 1;
			break;
		case 'E':
			keep_environment = 1;
			break;
		case 'i':
			foreground = 1;
			break;
		case 'l':
			log_connections = 1;
			break;
		case 'p':
			pidfile_path = optarg;
			pidfile_given = 1;
			break;
		case 'W':
			wrap_builtins = 1;
			break;
		case 'w':
			wrap_programs = 1;
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
	else
		config_set_includedir(DEFAULT_INCLUDEDIR);
	/* Detached, inetd runs in "/": a reload must find the same file. */
	if (!debug && !check_only && config_path[0] != '/' &&
	    (config_path = realpath(config_path, NULL)) == NULL)
		err(EX_NOINPUT, "%s", argv[0]);

	/* Documented for tests: shortens every retry and pause. */
	if ((env = getenv("INETD_RETRY_SECONDS")) != NULL) {
		retrytime = strtonum(env, 1, INT_MAX, &errstr);
		if (errstr != NULL)
			errx(EX_USAGE, "INETD_RETRY_SECONDS=%s is %s", env,
			    errstr);
	}
	/* Documented for tests: a smaller budget of forwarding pipes. */
	if ((env = getenv("INETD_PIPE_BUDGET")) != NULL &&
	    forward_set_pipe_budget(env, &errstr) == -1)
		errx(EX_USAGE, "INETD_PIPE_BUDGET=%s is %s", env, errstr);
	/* And the idle timeout of the stream builtins. */
	if ((env = getenv("INETD_IDLE_SECONDS")) != NULL) {
		builtin_set_idle_timeout(strtonum(env, 1, INT_MAX / 1000,
		    &errstr));
		if (errstr != NULL)
			errx(EX_USAGE, "INETD_IDLE_SECONDS=%s is %s", env,
			    errstr);
	}
	/* Documented for tests: shortens the bound on a load's look-ups. */
	if ((env = getenv("INETD_LOOKUP_SECONDS")) != NULL) {
		lookup_seconds = strtonum(env, 1, 30, &errstr);
		if (errstr != NULL)
			errx(EX_USAGE, "INETD_LOOKUP_SECONDS=%s is %s", env,
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
	logclose();
	logopen("inetd", LOG_PID | LOG_NDELAY | (to_stderr || debug ?
	    LOG_PERROR : 0), LOG_DAEMON);
}

static void
svc_log(const struct servtab *sep, int priority, const char *fmt, ...)
{
	char where[SVC_WHERE_MAX], msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	logmsg(priority, "%s: %s", servtab_where(sep, where, sizeof(where)),
	    msg);
}

/* Limits from the flags, and a name in the per-address table. */
static void
prepare_services(struct servtab *list)
{
	struct servtab *sep;

	for (sep = list; sep != NULL; sep = sep->se_next) {
		limits_set_defaults(sep, &limit_defaults);
		sep->se_limits.sl_id = ++service_ids;
	}
}

static void
load_services(void)
{
	int error;

	services = config_load(config_path, bind_default, euid, logmsg,
	    &error);
	if (services == NULL && error != 0) {
		errno = error;
		err(EX_NOINPUT, "%s", config_path);
	}
	if (services == NULL)
		logmsg(LOG_WARNING, "%s: no services configured",
		    config_path);
	prepare_services(services);
	builtin_own_ports(services);
}

/* The table is made once: no client can make it grow. */
static void
make_addr_table(void)
{
	uint64_t seed = (uint64_t)arc4random() << 32 | arc4random();

	if ((addrtab = addrtab_new(ADDRTAB_SIZE, seed)) == NULL)
		err(EX_OSERR, "table of client addresses");
}

/* syslog, counting the errors: a reload is refused for one. */
static void
reload_report(int priority, const char *fmt, ...)
{
	va_list ap;

	if (priority <= LOG_ERR)
		conf_errors++;
	va_start(ap, fmt);
	vlogmsg(priority, fmt, ap);
	va_end(ap);
}

/* -t: the same messages, on the standard error only. */
static void
check_report(int priority, const char *fmt, ...)
{
	va_list ap;

	if (priority > LOG_WARNING)
		return;
	if (priority <= LOG_ERR)
		conf_errors++;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * -t: load the file as a reload would, binding nothing and writing no
 * pidfile.  Returns the exit status: 0 when the file has no error.
 */
static int
check_config(void)
{
	struct servtab *list, *sep;
	int error, n = 0;

	list = config_load(config_path, bind_default, euid, check_report,
	    &error);
	if (list == NULL && error != 0) {
		fprintf(stderr, "inetd: %s: %s\n", config_path,
		    strerror(error));
		return 1;
	}
	for (sep = list; sep != NULL; sep = sep->se_next)
		n++;
	config_free(list);
	if (conf_errors > 0) {
		fprintf(stderr, "inetd: %s: %d error%s\n", config_path,
		    conf_errors, conf_errors == 1 ? "" : "s");
		return 1;
	}
	fprintf(stderr, "inetd: %s: %d service%s, no errors\n", config_path,
	    n, n == 1 ? "" : "s");
	return 0;
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
	logmsg(LOG_WARNING, "cannot create pidfile %s: %m, continuing",
	    pidfile_path);
}

/* Signal handlers only note the signal; the main loop does the work. */
static void
note_signal(int sig)
{
	int saved_errno = errno;
	unsigned char c = (unsigned char)sig;
	ssize_t written;

	/* A full pipe already holds a wake-up: losing this byte is fine. */
	written = write(sigpipe[1], &c, 1);
	(void)written;
	errno = saved_errno;
}

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

static void
catch_signals(void)
{
	static const int caught[] = {
		SIGCHLD, SIGHUP, SIGTERM, SIGINT, SIGUSR1
	};
	struct sigaction sa;
	sigset_t empty;
	size_t i;

	/* Whoever started inetd may have blocked what it must catch. */
	sigemptyset(&empty);
	if (sigprocmask(SIG_SETMASK, &empty, NULL) == -1)
		err(EX_OSERR, "sigprocmask");
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
	note_changed_signals();
}

/*
 * -w and -W: whether TCP wrappers check the clients of the entry.  That
 * needs a client address, which a UNIX socket has not, nor the listening
 * socket of a stream wait server, which accepts its clients itself.
 */
static int
wrap_wanted(const struct servtab *sep)
{
	if (sep->se_family == AF_UNIX)
		return 0;
	if (sep->se_bi != NULL)
		return wrap_builtins && builtin_wrapped(sep);
	return wrap_programs &&
	    !(sep->se_wait && sep->se_socktype == SOCK_STREAM);
}

/*
 * A wait service's socket belongs to its one child until it exits.  An
 * exec'd dgram service is always one: as nowait, a server slow to read
 * its datagram would have inetd start another for it, without end.  So
 * is a dgram builtin under -W, whose child checks each sender.
 */
static int
svc_is_wait(const struct servtab *sep)
{
	if (sep->se_bi != NULL)
		return sep->se_socktype == SOCK_DGRAM && wrap_wanted(sep);
	return sep->se_wait || sep->se_socktype == SOCK_DGRAM;
}

static void
schedule_retry_at(time_t when)
{
	if (retry_at == 0 || when < retry_at)
		retry_at = when;
}

static void
schedule_retry(void)
{
	schedule_retry_at(monotonic_seconds() + retrytime);
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
		    sizeof(addr)), sockaddr_port(&sep->se_ctrladdr.sa),
		    retrytime);
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

/*
 * SO_REUSEADDR lets a listener bind again while connections of an
 * earlier run linger in TIME_WAIT.  Datagram sockets have none, and on
 * Linux the option would let any user bind the same address and port
 * and take the service's datagrams: they never get it, nor any socket
 * SO_REUSEPORT.
 */
static int
set_socket_options(struct servtab *sep, int fd)
{
	int on = 1, v6only = sep->se_v6only;

	if (sep->se_family != AF_UNIX && sep->se_socktype == SOCK_STREAM &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		return -1;
	if (sep->se_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &v6only, sizeof(v6only)) == -1)
		return -1;
	return builtin_socket_options(sep, NULL, fd);
}

/*
 * Every descriptor the loop waits on is in the one epoll set of event.c,
 * with the handler of its owner: the listeners (se_handler), the
 * self-pipe, the hand-back channel, and the connections that internal.c
 * and forward.c serve.  A listener that is not to be served now
 * (paused, at a limit, backing off) is disarmed on its next event and
 * parked until it may be again.  The self-pipe and the channel only
 * note that they are ready: serve_forever() serves them after the
 * others, since a reload frees the entries whose events came with them.
 */
static struct servtab	**parked;
static size_t		 nparked, parked_size;
static int		 signals_pending, mux_pending;

static void
signals_ready(struct handler *h, uint32_t events)
{
	(void)h;
	(void)events;
	signals_pending = 1;
}

static void
mux_ready(struct handler *h, uint32_t events)
{
	(void)h;
	(void)events;
	mux_pending = 1;
}

static struct handler	 sigpipe_handler = { .h_ready = signals_ready };
static struct handler	 mux_handler = { .h_ready = mux_ready };

/*
 * Children hand connections back on this channel (see hand_back());
 * the daemon's end waits among the listeners.
 */
static void
open_mux_channel(void)
{
	struct timeval patience = { MUX_SEND_SECONDS, 0 };

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
	    mux_channel) == -1 ||
	    fcntl(mux_channel[0], F_SETFL, O_NONBLOCK) == -1 ||
	    setsockopt(mux_channel[1], SOL_SOCKET, SO_SNDTIMEO, &patience,
	    sizeof(patience)) == -1)
		err(EX_OSERR, "hand-back channel");
	if (event_add(mux_channel[0], EPOLLIN, &mux_handler) == -1)
		err(EX_OSERR, "epoll_ctl");
}

static void
open_wait_set(void)
{
	if (event_open() == -1)
		err(EX_OSERR, "epoll");
	if (event_add(sigpipe[0], EPOLLIN, &sigpipe_handler) == -1)
		err(EX_OSERR, "epoll_ctl");
	open_mux_channel();
	forward_init(log_connections);
}

static void	listener_ready(struct servtab *sep);

static void
listener_event(struct handler *h, uint32_t events)
{
	(void)events;
	listener_ready(container_of(h, struct servtab, se_handler));
}

/* The first time with add, then to disarm (0) or arm (EPOLLIN) it. */
static int
listener_arm(struct servtab *sep, int add, uint32_t events)
{
	sep->se_handler.h_ready = listener_event;
	if (add)
		return event_add(sep->se_fd, events, &sep->se_handler);
	return event_mod(sep->se_fd, events, &sep->se_handler);
}

static void
listener_forget(struct servtab *sep)
{
	size_t i;

	(void)event_del(sep->se_fd);
	for (i = 0; i < nparked; i++)
		if (parked[i] == sep) {
			parked[i] = parked[--nparked];
			break;
		}
}

/* Room to park every listener of the list. */
static void
parked_reserve(const struct servtab *list)
{
	struct servtab **bigger;
	size_t n = 0;

	for (; list != NULL; list = list->se_next)
		n++;
	if (n <= parked_size)
		return;
	if ((bigger = reallocarray(parked, n, sizeof(*parked))) == NULL) {
		logmsg(LOG_ERR, "table of listeners: %m");
		return;
	}
	parked = bigger;
	parked_size = n;
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
	if (listener_arm(sep, 1, EPOLLIN) == -1) {
		sep->se_fd = -1;
		bind_failed(sep, fd, "epoll_ctl for");
	}
}

static void
close_service(struct servtab *sep)
{
	if (sep->se_fd == -1)
		return;
	listener_forget(sep);
	close(sep->se_fd);
	sep->se_fd = -1;
	if (sep->se_family == AF_UNIX)
		(void)unlink(sep->se_ctrladdr.sun.sun_path);
}

static int
open_services(void)
{
	struct servtab *sep;
	time_t t = monotonic_seconds();
	int listening = 0;

	/* After a reload the parked entries are gone: all are armed. */
	nparked = 0;
	parked_reserve(services);
	for (sep = services; sep != NULL; sep = sep->se_next) {
		if (svc_throttled(sep, t))	/* kept across the reload */
			schedule_retry_at(sep->se_limits.sl_throttled_until);
		if (sep->se_tcpmux != TCPMUX_NONE)
			continue;	/* the tcpmux builtin offers it */
		if (sep->se_fd == -1)
			open_service(sep);
		else	/* taken over: its events are for this entry now */
			(void)listener_arm(sep, 0, EPOLLIN);
		if (sep->se_fd != -1)
			listening++;
	}
	return listening;
}

/* The time is up for a looping service, or it is rescheduled. */
static void
end_looping(struct servtab *sep, time_t t)
{
	if (!svc_looping_over(sep, t)) {
		schedule_retry_at(sep->se_limits.sl_looping_until);
		return;
	}
	svc_looping_end(sep);
	if (sep->se_tcpmux != TCPMUX_NONE) {
		svc_log(sep, LOG_INFO, "offered by tcpmux again after looping");
		return;
	}
	open_service(sep);
	if (sep->se_fd != -1)
		svc_log(sep, LOG_INFO, "listening again after looping");
}

static void
retry_services(void)
{
	struct servtab *sep;
	time_t t = monotonic_seconds();

	if (retry_at == 0 || t < retry_at)
		return;
	retry_at = 0;
	for (sep = services; sep != NULL; sep = sep->se_next) {
		if (sep->se_bind_failed)
			open_service(sep);
		else if (svc_looping(sep))
			end_looping(sep, t);
		else if (svc_throttled(sep, t))
			schedule_retry_at(sep->se_limits.sl_throttled_until);
	}
}

/*
 * Out of descriptors or processes: stop looking at the listeners for a
 * moment instead of spinning on a socket we cannot serve.  While that
 * lasts, a message a second would flood the log: one a minute says it.
 */
static void
back_off(const char *why)
{
	time_t t = monotonic_seconds();

	if (t >= backoff_quiet_until) {
		logmsg(LOG_ERR, "%s: %m, pausing for %d s (logged at most "
		    "once a minute)", why, BACKOFF_SECONDS);
		backoff_quiet_until = t + BACKOFF_LOG_SECONDS;
	}
	backoff_until = t + BACKOFF_SECONDS;
}

static int
children_full(void)
{
	if (nchildren < MAXCHILDREN) {
		children_full_logged = 0;
		return 0;
	}
	if (!children_full_logged)
		logmsg(LOG_ERR, "%d children running, the most inetd tracks; "
		    "new connections wait", MAXCHILDREN);
	children_full_logged = 1;
	return 1;
}

static void
child_add(pid_t pid, struct servtab *sep, const struct sockaddr *peer)
{
	struct child *ch = &children[nchildren];

	ch->ch_pid = pid;
	ch->ch_sep = sep;
	ch->ch_started_ms = monotonic_ms();
	ch->ch_datagram = 0;
	if (peer == NULL)
		memset(&ch->ch_peer, 0, sizeof(ch->ch_peer));
	else
		(void)peer_addr_set(&ch->ch_peer, peer);
	nchildren++;
	sep->se_children++;
}

/* Children of the entry serving that client, for max-child-per-ip. */
static int
children_of_peer(const struct servtab *sep, const struct peer_addr *pa)
{
	int i, n = 0;

	for (i = 0; i < nchildren; i++)
		if (children[i].ch_sep == sep &&
		    peer_addr_equal(&children[i].ch_peer, pa))
			n++;
	return n;
}

/* The child's entry, NULL if none; *ch: what was known of it. */
static struct servtab *
child_remove(pid_t pid, struct child *ch)
{
	int i;

	for (i = 0; i < nchildren; i++) {
		if (children[i].ch_pid != pid)
			continue;
		*ch = children[i];
		children[i] = children[--nchildren];
		return ch->ch_sep;
	}
	return NULL;
}

/*
 * syslog(3); in a child with -d, also the daemon's stderr, which
 * LOG_PERROR would miss: the child's own stderr is its client.
 */
static void
log_msg(int priority, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	logmsg(priority, "%s", msg);
	if (in_child && debug_fd != -1)
		dprintf(debug_fd, "inetd[%d]: %s\n", (int)getpid(), msg);
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

static void
child_fail(const struct servtab *sep, const char *what)
{
	char where[SVC_WHERE_MAX];
	int saved_errno = errno;

	if (vfork_child.active) {
		vfork_child.what = what;
		vfork_child.error = saved_errno;
		_exit(EX_OSERR);
	}
	log_msg(LOG_ERR, "%s: %s: %s", servtab_where(sep, where,
	    sizeof(where)), what, strerror(saved_errno));
	_exit(EX_OSERR);
}

/*
 * All but stderr for -d and the hand-back channel, which the children
 * of tcpmux and of forward entries need: both are close-on-exec, so
 * that the server never sees them.
 */
static void
close_daemon_fds(void)
{
	int keep[2], lowest = STDERR_FILENO + 1, i;

	keep[0] = debug_fd < mux_channel[1] ? debug_fd : mux_channel[1];
	keep[1] = debug_fd < mux_channel[1] ? mux_channel[1] : debug_fd;
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
		child_fail(sep, "dup2");
	close_daemon_fds();
	if ((flags = fcntl(STDIN_FILENO, F_GETFL)) == -1 ||
	    fcntl(STDIN_FILENO, F_SETFL, flags & ~O_NONBLOCK) == -1)
		child_fail(sep, "fcntl");
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
		child_fail(sep, "sigprocmask");
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
		child_fail(sep, "setsid");
	(void)umask(SERVER_UMASK);
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

/*
 * The environment of servers: what inetd itself got is theirs with -E,
 * else only a fixed PATH (inetd's own may name root's directories);
 * then what describes the connection, as systemd and the UCSPI tools
 * (tcpserver) say it.  The base is fixed at startup;
 * the variables of a connection go in fixed buffers, so that they can
 * be made in a child, or in the daemon just before a vfork().
 */
#define CONN_VARS_MAX	11	/* see server_environment() */
#define CONN_VAR_SIZE	(sizeof("TCP6REMOTEPORT=") + INET6_ADDRSTRLEN + \
			    IF_NAMESIZE)

static const char *const conn_var_names[CONN_VARS_MAX] = {
	"REMOTE_ADDR", "REMOTE_PORT", "PROTO",
	"TCPREMOTEIP", "TCPREMOTEPORT", "TCPLOCALIP", "TCPLOCALPORT",
	"TCP6REMOTEIP", "TCP6REMOTEPORT", "TCP6LOCALIP", "TCP6LOCALPORT",
};

static char		**server_env;	/* base, connection, NULL */
static size_t		 server_env_base;
static char		 conn_vars[CONN_VARS_MAX][CONN_VAR_SIZE];

/* Inherited, such a variable would describe some other connection. */
static int
is_conn_var(const char *entry)
{
	size_t i, len = strcspn(entry, "=");

	for (i = 0; i < CONN_VARS_MAX; i++)
		if (strlen(conn_var_names[i]) == len &&
		    strncmp(entry, conn_var_names[i], len) == 0)
			return 1;
	return 0;
}

static void
prepare_server_env(void)
{
	static char path[] = "PATH=" SERVER_PATH;
	size_t n = 1;
	char **ep;

	for (ep = environ; keep_environment && *ep != NULL; ep++)
		n++;
	if ((server_env = reallocarray(NULL, n + CONN_VARS_MAX + 1,
	    sizeof(*server_env))) == NULL) {
		logmsg(LOG_ERR, "environment for servers: %m");
		exit(EX_OSERR);
	}
	if (!keep_environment)
		server_env[server_env_base++] = path;
	for (ep = environ; keep_environment && *ep != NULL; ep++)
		if (!is_conn_var(*ep))
			server_env[server_env_base++] = *ep;
	server_env[server_env_base] = NULL;
}

static size_t
set_conn_var(size_t n, const char *name, const char *value)
{
	char *var = conn_vars[n - server_env_base];

	snprintf(var, CONN_VAR_SIZE, "%s=%s", name, value);
	server_env[n] = var;
	return n + 1;
}

/* PREFIX SIDE IP and PORT, as in TCPREMOTEIP and TCPREMOTEPORT. */
static size_t
set_end_vars(size_t n, const char *prefix, const char *side,
    const struct sockaddr *sa)
{
	char name[sizeof("TCP6REMOTEPORT")];
	char addr[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
	char port[sizeof("65535")];

	sockaddr_str(sa, addr, sizeof(addr));
	snprintf(port, sizeof(port), "%d", sockaddr_port(sa));
	snprintf(name, sizeof(name), "%s%sIP", prefix, side);
	n = set_conn_var(n, name, addr);
	snprintf(name, sizeof(name), "%s%sPORT", prefix, side);
	return set_conn_var(n, name, port);
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
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	char addr[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
	char port[sizeof("65535")];
	size_t n = server_env_base;
	int v6;

	if (!svc_is_wait(sep) && peer != NULL &&
	    (peer->sa_family == AF_INET || peer->sa_family == AF_INET6)) {
		v6 = peer->sa_family == AF_INET6 && !IN6_IS_ADDR_V4MAPPED(
		    &((const struct sockaddr_in6 *)(const void *)peer)->
		    sin6_addr);
		snprintf(port, sizeof(port), "%d", sockaddr_port(peer));
		n = set_conn_var(n, "REMOTE_ADDR",
		    sockaddr_str(peer, addr, sizeof(addr)));
		n = set_conn_var(n, "REMOTE_PORT", port);
		n = set_conn_var(n, "PROTO", v6 ? "TCP6" : "TCP");
		n = set_end_vars(n, "TCP", "REMOTE", peer);
		if (v6)
			n = set_end_vars(n, "TCP6", "REMOTE", peer);
		if (getsockname(fd, (struct sockaddr *)&local, &len) == 0 &&
		    local.ss_family == peer->sa_family) {
			n = set_end_vars(n, "TCP", "LOCAL",
			    (struct sockaddr *)&local);
			if (v6)
				n = set_end_vars(n, "TCP6", "LOCAL",
				    (struct sockaddr *)&local);
		}
	}
	server_env[n] = NULL;
	return server_env;
}

/*
 * TCP wrappers (-w, -W).  hosts_access(3) may read files and look names
 * up for as long as it likes, so it runs only in a child, before the
 * server or builtin: the main loop never waits for it.
 */

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
	int		*dry_run;	/* rules matched, their options not run */
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

static void
wrap_load(void)
{
	void *lib;

	if (!wrap_programs && !wrap_builtins)
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
	char addr[INET6_ADDRSTRLEN + 1];
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
	sockaddr_str(peer, addr, sizeof(addr));
	if (!libwrap.hosts_access(&req)) {
		log_msg(LOG_AUTH | LOG_WARNING, "refused connection from %s, "
		    "service %s (%s)", addr, name, program);
		return 0;
	}
	if (log_connections)
		log_msg(LOG_AUTH | LOG_INFO, "connection from %s, service %s "
		    "(%s)", addr, name, program);
	return 1;
}

/* Refused senders keep coming: hold the socket a while, then exit. */
static void
wrap_flood_pause(void)
{
	sleep(BACKOFF_SECONDS);
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

/* builtin_dgram()'s question, for the child of a -W datagram builtin. */
static int
wrap_admit_datagram(struct servtab *sep, const struct sockaddr *from)
{
	if (wrap_allows(sep, sep->se_fd, from))
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

/* In the child, before anything runs: exits unless the client may use it. */
static void
wrap_child(const struct servtab *sep, const struct sockaddr *peer)
{
	if (sep->se_socktype == SOCK_STREAM) {
		if (!wrap_allows(sep, STDIN_FILENO, peer))
			_exit(0);
	} else if (sep->se_bi != NULL)
		wrap_serve_dgram(sep);
	else
		wrap_dgram_head(sep, STDIN_FILENO);
}

/*
 * A child gives its connection back to the daemon on the channel:
 * tcpmux's once its client has named an entry, which then serves it
 * with that entry's limits (see tcpmux_serve_chosen()), and a forward
 * entry's once tcp_wrappers let the client in, so that the daemon
 * forwards it with no process (see forward_take_back()).  A message is
 * a kind, then what names the entry: the service field of the tcpmux
 * entry, the identity of the forward entry, which a reload keeps.  The
 * descriptor rides with it.
 */
enum mux_kind { MUX_TCPMUX = 'm', MUX_FORWARD = 'f' };

#define MUX_MESSAGE_MAX	(1 + TCPMUX_NAME_MAX + sizeof("tcpmux/+"))

union mux_control {
	struct cmsghdr	 hdr;
	char		 buf[CMSG_SPACE(sizeof(int))];	/* one descriptor */
};

/* A message of the channel: its text and a descriptor. */
static void
mux_message(struct msghdr *msg, struct iovec *iov, char *text,
    size_t len, union mux_control *control)
{
	memset(msg, 0, sizeof(*msg));
	memset(control, 0, sizeof(*control));
	iov->iov_base = text;
	iov->iov_len = len;
	msg->msg_iov = iov;
	msg->msg_iovlen = 1;
	msg->msg_control = control->buf;
	msg->msg_controllen = sizeof(control->buf);
}

/* The connection on 0 goes back to the daemon; the child is done. */
static void __attribute__((noreturn))
hand_back(const struct servtab *sep, enum mux_kind kind, const void *what,
    size_t len)
{
	char text[MUX_MESSAGE_MAX];
	union mux_control control;
	struct msghdr msg;
	struct cmsghdr *cmsg;
	struct iovec iov;
	int fd = STDIN_FILENO;

	if (len >= sizeof(text))
		_exit(EX_SOFTWARE);	/* the parser bounds tcpmux names */
	text[0] = kind;
	memcpy(text + 1, what, len);
	mux_message(&msg, &iov, text, 1 + len, &control);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(fd));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(fd));
	if (sendmsg(mux_channel[1], &msg, MSG_NOSIGNAL) == -1) {
		log_msg(LOG_ERR, "%s:%d: %s: handing the connection back to "
		    "inetd: %m", sep->se_file, sep->se_line, sep->se_service);
		_exit(EX_OSERR);
	}
	_exit(0);
}

static void __attribute__((noreturn))
tcpmux_hand_back(const struct servtab *chosen)
{
	hand_back(chosen, MUX_TCPMUX, chosen->se_service,
	    strlen(chosen->se_service));
}

/* See builtin_serve(): sep itself, or the entry tcpmux chose. */
static void __attribute__((noreturn))
builtin_hand_back(const struct servtab *sep, const struct servtab *chosen)
{
	if (chosen != sep)
		tcpmux_hand_back(chosen);
	hand_back(sep, MUX_FORWARD, &sep->se_limits.sl_id,
	    sizeof(sep->se_limits.sl_id));
}

static void
run_child(const struct servtab *sep, int fd, const struct sockaddr *peer)
{
	char addr[INET6_ADDRSTRLEN + 1];

	in_child = 1;
	/* The log socket must not stay open in the server, nor stderr. */
	logclose();
	logopen("inetd", LOG_PID, LOG_DAEMON);
	child_setup_fds(sep, fd);
	child_reset_signals(sep);
	child_new_session(sep);
	if (wrap_wanted(sep))
		wrap_child(sep, peer);
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
	child_set_credentials(sep);
	forward_restore_limits();
	execve(sep->se_server, sep->se_argv,
	    server_environment(sep, STDIN_FILENO, peer));
	child_fail(sep, sep->se_server);
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
	child_set_credentials(sep);
	forward_restore_limits();
	execve(sep->se_server, sep->se_argv, env);
	child_fail(sep, sep->se_server);
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
	if (pid != -1 && vfork_child.what != NULL) {
		errno = vfork_child.error;
		svc_log(sep, LOG_ERR, "%s: %m", vfork_child.what);
	}
	return pid;
}

static pid_t
start_child(const struct servtab *sep, int fd, const struct sockaddr *peer)
{
	pid_t pid;

	if (sep->se_bi == NULL && !wrap_wanted(sep))
		return vfork_server(sep, fd, peer);
	if ((pid = fork()) == 0)
		run_child(sep, fd, peer);
	return pid;
}

/* " (N more since the last such message)", or nothing. */
static const char *
missed_text(unsigned missed, char *buf, size_t size)
{
	if (missed == 0)
		return "";
	snprintf(buf, size, " (%u more since the last such message)", missed);
	return buf;
}

/*
 * Once for each time it is reached, and at most once a minute.  An entry
 * offered by tcpmux has no queue: its clients are turned away.
 */
static void
log_max_child(struct servtab *sep)
{
	char more[64];
	unsigned missed;

	if (log_quota_take(&sep->se_limits.sl_log_maxchild,
	    monotonic_seconds(), &missed))
		svc_log(sep, LOG_WARNING, "max-child %d reached, %s%s",
		    sep->se_maxchild, sep->se_tcpmux == TCPMUX_NONE ?
		    "new connections wait in the queue" :
		    "tcpmux clients are turned away",
		    missed_text(missed, more, sizeof(more)));
}

/* A forward entry without max-child at its share of the table. */
static void
log_forward_share(struct servtab *sep)
{
	char more[64];
	unsigned missed;
	int limit;

	if (builtin_entry_full(sep, &limit) && log_quota_take(
	    &sep->se_limits.sl_log_maxchild, monotonic_seconds(), &missed))
		svc_log(sep, LOG_WARNING, "%d connections forwarded, the "
		    "default max-child of a forward entry (half of what the "
		    "forwarder serves): new connections wait in the queue%s",
		    limit, missed_text(missed, more, sizeof(more)));
}

/*
 * As many servers of the entry failed in a minute as it may start: the
 * server fails at once, or answers its own requests.  Rather than spin,
 * close the socket for RETRYTIME; its children are still counted.
 */
static void
stop_looping_service(struct servtab *sep)
{
	char where[SVC_WHERE_MAX], span[32];

	if (retrytime % 60 == 0)
		snprintf(span, sizeof(span), "%d min", retrytime / 60);
	else
		snprintf(span, sizeof(span), "%d s", retrytime);
	logmsg(LOG_ERR, "%s server failing (looping), service terminated "
	    "for %s", servtab_where(sep, where, sizeof(where)), span);
	close_service(sep);
	sep->se_stats.st_looping++;
	svc_looping_start(sep, monotonic_seconds() + retrytime);
	schedule_retry_at(sep->se_limits.sl_looping_until);
}

/*
 * As many servers started in a minute as the entry allows, and they
 * work: the entry is busy, not broken.  It starts none until its window
 * allows one more; its clients wait in the listen queue meanwhile.
 * Logged once a window at most.
 */
static void
throttle_service(struct servtab *sep, time_t t)
{
	char more[64];
	unsigned missed;

	svc_throttle_start(sep, t);
	schedule_retry_at(sep->se_limits.sl_throttled_until);
	if (log_quota_take(&sep->se_limits.sl_log_throttled, t, &missed))
		svc_log(sep, LOG_WARNING, "%d servers started in a minute, "
		    "throttling: %s for up to %lld s%s", sep->se_maxrate,
		    sep->se_tcpmux == TCPMUX_NONE ?
		    "new connections wait in the queue" :
		    "tcpmux clients are turned away",
		    (long long)(sep->se_limits.sl_throttled_until - t),
		    missed_text(missed, more, sizeof(more)));
}

/* Past the invocation rate: looping if its servers fail, else busy. */
static void
start_refused(struct servtab *sep)
{
	time_t t = monotonic_seconds();

	if (svc_failing(sep, t))
		stop_looping_service(sep);
	else
		throttle_service(sep, t);
}

/* A server for the connection (or the datagram) on fd; 0 if none. */
static int
spawn(struct servtab *sep, int fd, const struct sockaddr *peer)
{
	pid_t pid;

	if (children_full())
		return 0;
	/*
	 * A forward entry's child only asks tcp_wrappers and hands the
	 * connection back: no server, so not counted by -R.
	 */
	if (!builtin_counts_own(sep) &&
	    !svc_start_admit(sep, monotonic_seconds())) {
		start_refused(sep);
		return 0;
	}
	if ((pid = start_child(sep, fd, peer)) == -1) {
		back_off("fork");
		return 0;
	}
	child_add(pid, sep, peer);
	if (svc_is_wait(sep))
		sep->se_paused = 1;
	else if (svc_at_limit(sep) && sep->se_tcpmux == TCPMUX_NONE)
		log_max_child(sep);
	return 1;
}

static void
log_connection(const struct servtab *sep, const struct sockaddr *peer)
{
	char addr[INET6_ADDRSTRLEN + 1];

	if (log_connections)
		log_msg(LOG_INFO, "%s from %s", sep->se_service,
		    sockaddr_str(peer, addr, sizeof(addr)));
}

/*
 * Clients from more addresses than the table holds: each new one takes
 * the place of the one seen least recently, whose count is lost.
 */
static void
log_addrtab_full(void)
{
	static struct log_quota quota;
	static unsigned long evictions;
	unsigned missed;

	if (addrtab_evictions(addrtab) == evictions)
		return;
	evictions = addrtab_evictions(addrtab);
	if (log_quota_take(&quota, monotonic_seconds(), &missed))
		logmsg(LOG_WARNING, "table of client addresses full (%zu "
		    "entries): the least recently seen are forgotten, %lu so "
		    "far", addrtab_capacity(addrtab), evictions);
}

/* FreeBSD's words, at most once a minute per entry and limit. */
static void
log_peer_refused(const struct servtab *sep, struct log_quota *quota,
    const struct sockaddr *peer, const char *counts, int limit,
    const char *unit)
{
	char addr[INET6_ADDRSTRLEN + 1], more[64];
	unsigned missed;

	if (log_quota_take(quota, monotonic_seconds(), &missed))
		logmsg(LOG_WARNING, "%s:%d: %s from %s exceeded %s (limit "
		    "%d%s)%s", sep->se_file, sep->se_line, sep->se_service,
		    sockaddr_str(peer, addr, sizeof(addr)), counts, limit,
		    unit, missed_text(missed, more, sizeof(more)));
}

/* The forwarder's default share of an address (forward_peer_admit()). */
static int
admit_forwarded(struct servtab *sep, const struct sockaddr *peer)
{
	int limit;

	if (builtin_peer_admit(sep, peer, &limit))
		return 1;
	sep->se_stats.st_refused_perip++;
	log_peer_refused(sep, &sep->se_limits.sl_log_perip_children, peer,
	    "forwarded connections", limit,
	    ", the default of an address");
	return 0;
}

/*
 * max-child-per-ip and max-connections-per-ip-per-minute: a client past
 * either is closed at once, or its datagram dropped, without running
 * anything.  A connection refused is not counted.
 */
static int
admit_peer(struct servtab *sep, const struct sockaddr *peer)
{
	struct peer_addr pa;
	int admitted;

	if (peer_addr_set(&pa, peer) == -1)
		return 1;	/* a UNIX-domain client has no address */
	if (sep->se_maxperip > 0 &&
	    svc_peer_at_limit(sep, children_of_peer(sep, &pa) +
	    builtin_peer_count(sep, peer))) {
		sep->se_stats.st_refused_perip++;
		log_peer_refused(sep, &sep->se_limits.sl_log_perip_children,
		    peer, "counts", sep->se_maxperip, "");
		return 0;
	}
	if (!admit_forwarded(sep, peer))
		return 0;
	admitted = addrtab_admit(addrtab, sep->se_limits.sl_id, &pa,
	    sep->se_maxcpm, monotonic_seconds());
	log_addrtab_full();
	if (!admitted) {
		sep->se_stats.st_refused_rate++;
		log_peer_refused(sep, &sep->se_limits.sl_log_perip_rate, peer,
		    "counts/min", sep->se_maxcpm, "/min");
	}
	return admitted;
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
	if (!admit_peer(sep, (struct sockaddr *)&peer)) {
		close(fd);
		return;
	}
	sep->se_stats.st_accepted++;
	log_connection(sep, (struct sockaddr *)&peer);
	if (sep->se_bi != NULL && !wrap_wanted(sep) &&
	    builtin_accept(sep, fd, (struct sockaddr *)&peer) == 0) {
		log_forward_share(sep);
		return;
	}
	spawn(sep, fd, (struct sockaddr *)&peer);
	close(fd);
}

/*
 * The sender of the datagram waiting on the socket, and its
 * fingerprint (see datagram_fingerprint); 0 if none.
 */
static uint64_t
peek_datagram(const struct servtab *sep, struct sockaddr_storage *peer)
{
	static char buf[BUILTIN_DGRAMMAX];	/* kept off the stack */
	socklen_t len = sizeof(*peer);
	ssize_t n;

	memset(peer, 0, sizeof(*peer));
	if ((n = recvfrom(sep->se_fd, buf, sizeof(buf), MSG_PEEK |
	    MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)peer, &len)) == -1)
		return 0;
	return datagram_fingerprint(peer, len < sizeof(*peer) ? len :
	    sizeof(*peer), buf, n, (size_t)n < sizeof(buf) ? (size_t)n :
	    sizeof(buf));
}

/*
 * A wait service's child gets the listening socket itself.  For a
 * datagram service the limits look at the sender of the datagram that
 * starts it; one refused is read and dropped.
 */
static void
hand_over_socket(struct servtab *sep)
{
	struct sockaddr_storage peer;
	const struct sockaddr *sender = NULL;
	uint64_t datagram = 0;
	char byte;

	if (sep->se_socktype == SOCK_DGRAM &&
	    (datagram = peek_datagram(sep, &peer)) != 0) {
		sender = (struct sockaddr *)&peer;
		if (!admit_peer(sep, sender)) {
			(void)recv(sep->se_fd, &byte, sizeof(byte),
			    MSG_DONTWAIT);
			return;
		}
		log_connection(sep, sender);
	}
	sep->se_stats.st_accepted++;
	/* spawn() adds the child last: what it was started for, to judge it. */
	if (spawn(sep, sep->se_fd, sender))
		children[nchildren - 1].ch_datagram = datagram;
}

static void
service_ready(struct servtab *sep)
{
	if (sep->se_socktype == SOCK_DGRAM && sep->se_bi != NULL &&
	    !svc_is_wait(sep))
		builtin_dgram(sep, admit_peer);
	else if (svc_is_wait(sep))
		hand_over_socket(sep);
	else
		accept_connection(sep);
}

/* The entry offered under that service field ("tcpmux/+NAME"), now. */
static struct servtab *
tcpmux_entry(const char *service)
{
	struct servtab *sep;

	for (sep = services; sep != NULL; sep = sep->se_next)
		if (sep->se_tcpmux != TCPMUX_NONE &&
		    strcmp(sep->se_service, service) == 0)
			return sep;
	return NULL;
}

/*
 * A tcpmux client the daemon turns away: the reply, then a FIN, and
 * what the client sent past its name is read, so that the close does
 * not reset the connection and lose the reply.  Nothing here may wait.
 */
static void
tcpmux_refuse_now(int fd, const char *reply)
{
	char buf[4096];
	int i;

	(void)send(fd, reply, strlen(reply), MSG_DONTWAIT | MSG_NOSIGNAL);
	(void)shutdown(fd, SHUT_WR);
	for (i = 0; i < MUX_DRAIN_READS; i++)
		if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
			break;
}

/*
 * A connection named to a "tcpmux/NAME" entry is served as one of that
 * entry's: its limits apply, it is logged under its name, and its
 * server is a child of its own.  The entry may have gone in a reload
 * since the client named it.
 */
static void
tcpmux_serve_chosen(const char *service, int fd)
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	struct servtab *sep;

	memset(&peer, 0, sizeof(peer));
	if (getpeername(fd, (struct sockaddr *)&peer, &len) == -1)
		return;		/* the client has gone */
	if ((sep = tcpmux_entry(service)) == NULL || svc_looping(sep)) {
		tcpmux_refuse_now(fd, "-Service not available\r\n");
		return;
	}
	if (!admit_peer(sep, (struct sockaddr *)&peer) ||
	    svc_at_limit(sep) || children_full()) {
		if (svc_at_limit(sep))
			log_max_child(sep);
		tcpmux_refuse_now(fd, "-Service busy\r\n");
		return;
	}
	sep->se_stats.st_accepted++;
	log_connection(sep, (struct sockaddr *)&peer);
	if (!spawn(sep, fd, (struct sockaddr *)&peer))
		tcpmux_refuse_now(fd, "-Service not available\r\n");
}

/*
 * A client of a forward entry that tcp_wrappers let in, back from the
 * child that checked it, is forwarded by the daemon.  It was admitted
 * and counted when it was accepted; only its address's share is looked
 * at again, since more of its connections may have come in meanwhile.
 * Its entry may have gone in a reload since.
 */
static void
forward_take_back(uint64_t id, int fd)
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	struct servtab *sep;
	int flags;

	for (sep = services; sep != NULL; sep = sep->se_next)
		if (builtin_counts_own(sep) && sep->se_limits.sl_id == id)
			break;
	memset(&peer, 0, sizeof(peer));
	/* The child made the socket blocking for itself. */
	if (sep == NULL || getpeername(fd, (struct sockaddr *)&peer,
	    &len) == -1 || !admit_forwarded(sep, (struct sockaddr *)&peer) ||
	    (flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1) {
		close(fd);
		return;
	}
	if (builtin_accept(sep, fd, (struct sockaddr *)&peer) == -1)
		close(fd);
	else
		log_forward_share(sep);
}

/* What a child handed back (see hand_back()); fd is taken care of. */
static void
take_back_one(char *text, size_t len, int fd)
{
	uint64_t id;

	if (len > 1 && text[0] == MUX_TCPMUX) {
		text[len] = '\0';
		tcpmux_serve_chosen(text + 1, fd);
	} else if (len == 1 + sizeof(id) && text[0] == MUX_FORWARD) {
		memcpy(&id, text + 1, sizeof(id));
		forward_take_back(id, fd);
		return;
	}
	close(fd);
}

/* The connections children have handed back, a few at a time. */
static void
mux_take_back(void)
{
	char text[MUX_MESSAGE_MAX + 1];
	union mux_control control;
	struct msghdr msg;
	struct cmsghdr *cmsg;
	struct iovec iov;
	ssize_t n;
	int fd, i;

	for (i = 0; i < MUX_BATCH; i++) {
		mux_message(&msg, &iov, text, sizeof(text) - 1, &control);
		if ((n = recvmsg(mux_channel[0], &msg, MSG_DONTWAIT |
		    MSG_CMSG_CLOEXEC)) == -1)
			return;
		cmsg = CMSG_FIRSTHDR(&msg);
		if (cmsg == NULL || cmsg->cmsg_type != SCM_RIGHTS ||
		    cmsg->cmsg_len != CMSG_LEN(sizeof(fd)))
			continue;
		memcpy(&fd, CMSG_DATA(cmsg), sizeof(fd));
		if (msg.msg_flags & MSG_TRUNC)
			close(fd);
		else
			take_back_one(text, n, fd);
	}
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

/*
 * A server that failed at once counts toward looping: when as many
 * failed in a minute as the entry may start, and one more was to start
 * (the entry is throttled), it is closed.
 */
static void
judge_start(struct servtab *sep, const struct child *ch, int status)
{
	struct sockaddr_storage peer;
	long long lived_ms = monotonic_ms() - ch->ch_started_ms;
	time_t t = monotonic_seconds();
	int unread;

	unread = ch->ch_datagram != 0 && lived_ms < START_FAIL_MS &&
	    sep->se_fd != -1 && peek_datagram(sep, &peer) == ch->ch_datagram;
	if (!start_failed(status, lived_ms, unread))
		return;
	svc_note_failure(sep, t);
	if (svc_failing(sep, t) && svc_throttled(sep, t))
		stop_looping_service(sep);
}

static void
reap_children(void)
{
	struct servtab *sep;
	struct child ch;
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((sep = child_remove(pid, &ch)) == NULL)
			continue;	/* its entry was removed by a reload */
		sep->se_children--;
		report_child_status(sep, pid, status);
		judge_start(sep, &ch, status);
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

/*
 * The running entries by socket, each with the new entry that takes it
 * over, so that a reload takes time in proportion to the entries.
 */
struct handover {
	struct servtab	*ho_old;
	struct servtab	*ho_new;	/* NULL: none (yet) */
};

struct handover_table {
	struct handover	*ht_slot;	/* open addressing, half empty */
	size_t		 ht_mask;
};

/* FNV-1a of what same_socket() compares. */
static size_t
socket_hash(const struct servtab *sep)
{
	const unsigned char *p = (const unsigned char *)&sep->se_ctrladdr;
	uint64_t h = 14695981039346656037ULL;
	const uint64_t prime = 1099511628211ULL;
	socklen_t i;

	h = (h ^ (unsigned)sep->se_family) * prime;
	h = (h ^ (unsigned)sep->se_socktype) * prime;
	h = (h ^ (unsigned)sep->se_v6only) * prime;
	for (i = 0; i < sep->se_ctrladdr_size; i++)
		h = (h ^ p[i]) * prime;
	return h;
}

static int
handover_init(struct handover_table *ht, struct servtab *list)
{
	struct servtab *sep;
	size_t n = 0, size = 16, i;

	for (sep = list; sep != NULL; sep = sep->se_next)
		n++;
	while (size < 2 * n)
		size *= 2;
	if ((ht->ht_slot = calloc(size, sizeof(*ht->ht_slot))) == NULL)
		return -1;
	ht->ht_mask = size - 1;
	for (sep = list; sep != NULL; sep = sep->se_next) {
		for (i = socket_hash(sep) & ht->ht_mask;
		    ht->ht_slot[i].ho_old != NULL; i = (i + 1) & ht->ht_mask)
			continue;
		ht->ht_slot[i].ho_old = sep;
	}
	return 0;
}

/*
 * A running entry with the socket sep asks for, not taken over yet; of
 * two such (a duplicate line), the one whose socket is open.
 */
static struct handover *
handover_find(struct handover_table *ht, const struct servtab *sep)
{
	struct handover *ho, *found = NULL;
	size_t i;

	for (i = socket_hash(sep) & ht->ht_mask;
	    (ho = &ht->ht_slot[i])->ho_old != NULL; i = (i + 1) & ht->ht_mask) {
		if (ho->ho_new != NULL || !same_socket(ho->ho_old, sep))
			continue;
		if (ho->ho_old->se_fd != -1)
			return ho;
		if (found == NULL)
			found = ho;
	}
	return found;
}

/* The entry that took over old, NULL if none did. */
static struct servtab *
handover_successor(const struct handover_table *ht,
    const struct servtab *old)
{
	const struct handover *ho;
	size_t i;

	for (i = socket_hash(old) & ht->ht_mask;
	    (ho = &ht->ht_slot[i])->ho_old != NULL; i = (i + 1) & ht->ht_mask)
		if (ho->ho_old == old)
			return ho->ho_new;
	return NULL;
}

/*
 * The new entry inherits the socket and its backlog, the count of its
 * children, and what its limits have counted; a looping entry is
 * opened again.
 */
static void
take_over(struct servtab *sep, struct servtab *old)
{
	sep->se_fd = old->se_fd;
	sep->se_paused = old->se_paused;
	sep->se_children = old->se_children;
	sep->se_limits = old->se_limits;
	sep->se_stats = old->se_stats;
	svc_looping_end(sep);
	old->se_fd = -1;
	if (sep->se_fd != -1 &&
	    builtin_socket_options(sep, old, sep->se_fd) == -1)
		svc_log(sep, LOG_WARNING, "socket options: %m");
	builtin_take_over(old, sep);
}

/* Children of removed entries are reaped, but count for nothing. */
static void
hand_over_children(const struct handover_table *ht)
{
	int i;

	for (i = 0; i < nchildren; i++)
		if (children[i].ch_sep != NULL)
			children[i].ch_sep = handover_successor(ht,
			    children[i].ch_sep);
}

/*
 * The new list in *freshp, or -1: a file with any error changes
 * nothing, it is refused as a whole.
 */
static int
reload_load(struct servtab **freshp)
{
	struct servtab *fresh;
	int error;

	conf_errors = 0;
	fresh = config_load(config_path, bind_default, euid, reload_report,
	    &error);
	if (fresh == NULL && error != 0) {
		logmsg(LOG_ERR, "%s: %s, configuration not reloaded",
		    config_path, strerror(error));
		return -1;
	}
	if (conf_errors > 0) {
		logmsg(LOG_ERR, "%s: %d error%s, configuration not reloaded: "
		    "the running one stays in force", config_path,
		    conf_errors, conf_errors == 1 ? "" : "s");
		config_free(fresh);
		return -1;
	}
	if (fresh == NULL)
		logmsg(LOG_WARNING, "%s: no services configured",
		    config_path);
	*freshp = fresh;
	return 0;
}

/*
 * SIGHUP: read the file again.  An entry whose socket is unchanged
 * keeps it, so nothing waiting in its backlog is lost, and keeps its
 * children and counters; the next connection gets the new program,
 * user and limits.  A file that cannot be read, or has any error,
 * leaves the running services as they are.
 */
static void
reload(void)
{
	struct handover_table ht;
	struct handover *ho;
	struct servtab *fresh, *sep, *old, *next;

	if (reload_load(&fresh) == -1)
		return;
	if (handover_init(&ht, services) == -1) {
		logmsg(LOG_ERR, "%s: out of memory, configuration not "
		    "reloaded", config_path);
		config_free(fresh);
		return;
	}
	prepare_services(fresh);
	for (sep = fresh; sep != NULL; sep = sep->se_next)
		if ((ho = handover_find(&ht, sep)) != NULL) {
			ho->ho_new = sep;
			take_over(sep, ho->ho_old);
		}
	hand_over_children(&ht);
	free(ht.ht_slot);
	for (old = services; old != NULL; old = next) {
		next = old->se_next;
		builtin_forget(old);
		close_service(old);
		servtab_free(old);
	}
	services = fresh;
	builtin_own_ports(services);
	retry_at = 0;
	logmsg(LOG_INFO, "reloaded %s: %d services listening", config_path,
	    open_services());
}

static const char *
svc_state(const struct servtab *sep, char *buf, size_t size)
{
	if (sep->se_fd == -1 && svc_looping(sep))
		snprintf(buf, size, "looping, closed for %lld s more",
		    (long long)(sep->se_limits.sl_looping_until -
		    monotonic_seconds()));
	else if (sep->se_fd == -1 && sep->se_bind_failed)
		snprintf(buf, size, "not bound, bind retried");
	else if (sep->se_fd == -1 && sep->se_tcpmux != TCPMUX_NONE)
		snprintf(buf, size, "offered by tcpmux");
	else if (sep->se_fd == -1)
		snprintf(buf, size, "closed");
	else if (sep->se_paused)
		snprintf(buf, size, "its wait server runs");
	else if (svc_throttled(sep, monotonic_seconds()))
		snprintf(buf, size, "throttled, clients wait");
	else if (svc_at_limit(sep))
		snprintf(buf, size, "at max-child, clients wait");
	else
		snprintf(buf, size, "listening");
	return buf;
}

/*
 * SIGUSR1: what each entry is doing, so that an admin can see it in the
 * log without a debugger.  Refusals by TCP wrappers happen in children
 * and are logged there, not counted here.
 */
static void
dump_services(void)
{
	const struct servtab *sep;
	char state[64], maxchild[32];
	int n = 0;

	for (sep = services; sep != NULL; sep = sep->se_next)
		n++;
	logmsg(LOG_INFO, "service table: %d entries, %d children running",
	    n, nchildren);
	for (sep = services; sep != NULL; sep = sep->se_next) {
		if (sep->se_maxchild > 0)
			snprintf(maxchild, sizeof(maxchild), " of %d",
			    sep->se_maxchild);
		else
			maxchild[0] = '\0';
		svc_log(sep, LOG_INFO, "%s; children %d%s; connections %lu; "
		    "refused: %lu over max-connections-per-ip-per-minute, %lu "
		    "over max-child-per-ip; looping %lu times",
		    svc_state(sep, state, sizeof(state)), sep->se_children,
		    maxchild, sep->se_stats.st_accepted,
		    sep->se_stats.st_refused_rate,
		    sep->se_stats.st_refused_perip, sep->se_stats.st_looping);
	}
}

/*
 * The watchdog of a systemd unit with WatchdogSec= wants WATCHDOG=1 at
 * least every WATCHDOG_USEC, unless WATCHDOG_PID names another process.
 */
static void
watchdog_open(void)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	const char *errstr;
	long long n;

	if (usec == NULL || (pid != NULL &&
	    strtonum(pid, 1, INT_MAX, &errstr) != getpid()))
		return;
	n = strtonum(usec, 1, LLONG_MAX, &errstr);
	if (errstr != NULL) {
		logmsg(LOG_WARNING, "WATCHDOG_USEC=%s is %s, no watchdog",
		    usec, errstr);
		return;
	}
	/* Half the period, as sd_watchdog_enabled(3) advises. */
	watchdog_usec = (uint64_t)n / 2 > 0 ? (uint64_t)n / 2 : 1;
	watchdog_due = monotonic_usec();
}

/*
 * systemd's notification protocol (sd_notify(3)) without libsystemd:
 * each change of state is one datagram of "KEY=value" lines to the
 * UNIX socket named by $NOTIFY_SOCKET, '@' standing for the abstract
 * namespace.  The variables go, so that no server inetd starts speaks
 * to systemd in its name.
 */
static void
notify_open(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;

	if (path != NULL && (len = strlen(path)) > 0) {
		if ((path[0] != '/' && path[0] != '@') ||
		    len >= sizeof(notify_addr.sun_path))
			logmsg(LOG_WARNING, "NOTIFY_SOCKET=%s: not a UNIX "
			    "socket address, ignored", path);
		else if ((notify_fd = socket(AF_UNIX, SOCK_DGRAM |
		    SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) == -1)
			logmsg(LOG_WARNING, "NOTIFY_SOCKET: socket: %m");
		else {
			notify_addr.sun_family = AF_UNIX;
			memcpy(notify_addr.sun_path, path, len);
			if (path[0] == '@')
				notify_addr.sun_path[0] = '\0';
			notify_addrlen = offsetof(struct sockaddr_un,
			    sun_path) + len;
			watchdog_open();
		}
	}
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

static void
notify(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (notify_fd == -1)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (sendto(notify_fd, msg, strlen(msg), MSG_NOSIGNAL,
	    (struct sockaddr *)&notify_addr, notify_addrlen) == -1) {
		if (!notify_failed_logged)
			logmsg(LOG_WARNING, "NOTIFY_SOCKET: %m");
		notify_failed_logged = 1;
	} else
		notify_failed_logged = 0;
}

/* When the loop must ping the watchdog next, in monotonic ms; 0: never. */
static long long
watchdog_deadline_ms(void)
{
	if (watchdog_usec == 0)
		return 0;
	/* Rounded up: waking before the ping is due would only spin. */
	return (long long)((watchdog_due + 999) / 1000);
}

/* From the main loop: a loop that hangs stops pinging. */
static void
watchdog_ping(void)
{
	uint64_t now_usec;

	if (watchdog_usec == 0 || (now_usec = monotonic_usec()) < watchdog_due)
		return;
	notify("WATCHDOG=1");
	watchdog_due = now_usec + watchdog_usec;
}

static void
die(void)
{
	struct servtab *sep, *next;

	notify("STOPPING=1");
	builtin_closeall();
	for (sep = services; sep != NULL; sep = next) {
		next = sep->se_next;
		close_service(sep);
		servtab_free(sep);
	}
	if (pidfh != NULL)
		pidfile_remove(pidfh);
	logmsg(LOG_INFO, "exiting");
	exit(0);
}

static void
handle_signals(void)
{
	unsigned char sigs[64];
	ssize_t i, n;
	int reap = 0, reread = 0, quit = 0, dump = 0;

	while ((n = read(sigpipe[0], sigs, sizeof(sigs))) > 0)
		for (i = 0; i < n; i++) {
			if (sigs[i] == SIGCHLD)
				reap = 1;
			else if (sigs[i] == SIGHUP)
				reread = 1;
			else if (sigs[i] == SIGUSR1)
				dump = 1;
			else
				quit = 1;
		}
	if (reap)
		reap_children();
	if (dump)
		dump_services();
	if (quit)
		die();
	if (reread) {
		notify("RELOADING=1\nMONOTONIC_USEC=%llu",
		    (unsigned long long)monotonic_usec());
		reload();
		notify("READY=1");
	}
}

static int
backing_off(void)
{
	if (backoff_until != 0 && monotonic_seconds() >= backoff_until)
		backoff_until = 0;
	return backoff_until != 0;
}

/*
 * Whether the next client of the entry gets a child: the invocation
 * rate then applies.  A stream builtin served in the daemon forks only
 * when its table is full.
 */
static int
svc_next_forks(const struct servtab *sep)
{
	if (sep->se_bi == NULL || svc_is_wait(sep) || wrap_wanted(sep))
		return 1;
	if (sep->se_socktype == SOCK_DGRAM)
		return 0;
	return builtin_forks(sep);
}

/* Throttled, and the next client would need a child: it waits. */
static int
svc_waits_for_rate(const struct servtab *sep)
{
	return sep->se_limits.sl_throttled_until != 0 &&
	    svc_throttled(sep, monotonic_seconds()) && svc_next_forks(sep);
}

static int
svc_accepting(const struct servtab *sep)
{
	int limit;

	if (sep->se_fd == -1 || sep->se_paused)
		return 0;
	if (sep->se_bi != NULL && sep->se_socktype == SOCK_DGRAM &&
	    !svc_is_wait(sep))
		return 1;
	return !svc_at_limit(sep) && !builtin_entry_full(sep, &limit) &&
	    !children_full() && !svc_waits_for_rate(sep);
}

/*
 * Before a client is accepted: one that would get a child past the
 * invocation rate is left in the queue (or the entry is looping).
 */
static int
svc_start_allowed(struct servtab *sep)
{
	if (!svc_next_forks(sep) || svc_start_room(sep, monotonic_seconds()))
		return 1;
	start_refused(sep);
	return 0;
}

/* A listener's event while it is not to be served: disarm it. */
static void
park(struct servtab *sep)
{
	if (nparked == parked_size ||
	    listener_arm(sep, 0, 0) == -1)
		return;		/* out of memory: it stays armed */
	parked[nparked++] = sep;
}

/* Before each wait: arm again the listeners that may be served. */
static void
unpark(void)
{
	size_t i = 0;

	if (backing_off())
		return;
	while (i < nparked) {
		if (!svc_accepting(parked[i]) ||
		    listener_arm(parked[i], 0, EPOLLIN) == -1)
			i++;
		else
			parked[i] = parked[--nparked];
	}
}

static void
listener_ready(struct servtab *sep)
{
	if (sep->se_fd == -1)
		return;		/* closed since the wake-up (looping) */
	if (backing_off() || !svc_accepting(sep))
		park(sep);
	else if (!svc_start_allowed(sep)) {
		if (sep->se_fd != -1)
			park(sep);
	} else
		service_ready(sep);
}

/* A deadline in monotonic ms (0: none) shortens the wait to left ms. */
static void
sooner(long long *left, long long deadline, long long t)
{
	long long ms;

	if (deadline == 0)
		return;
	ms = deadline > t ? deadline - t : 0;
	if (*left == -1 || ms < *left)
		*left = ms;
}

/*
 * The wait ends for the next retry, the end of a back-off or of a
 * throttle, the watchdog's ping, and whatever internal.c and forward.c
 * have to do next (an idle connection to close, work queued); in ms,
 * -1 for none.
 */
static int
next_timeout(void)
{
	time_t wake = retry_at;
	long long left = -1, t = monotonic_ms();

	if (backoff_until != 0 && (wake == 0 || backoff_until < wake))
		wake = backoff_until;
	if (wake != 0)
		left = wake > monotonic_seconds() ?
		    (long long)(wake - monotonic_seconds()) * 1000 : 0;
	sooner(&left, builtin_deadline(), t);
	sooner(&left, forward_deadline(), t);
	sooner(&left, watchdog_deadline_ms(), t);
	return left > INT_MAX ? INT_MAX : (int)left;
}

/*
 * One wait for everything: the handlers of the descriptors that are
 * ready run from event_wait().
 */
static void
wait_for_events(void)
{
	if (event_wait(next_timeout()) == -1 && errno != EINTR) {
		logmsg(LOG_ERR, "waiting for events: %m");
		sleep(BACKOFF_SECONDS);
	}
}

/* Wait, serve what is ready, then what is due. */
static void
serve_forever(void)
{
	for (;;) {
		unpark();
		wait_for_events();
		builtin_run();
		forward_run();
		if (mux_pending) {
			mux_pending = 0;
			mux_take_back();
		}
		retry_services();
		watchdog_ping();
		/* Last: a reload frees the entries looked at above. */
		if (signals_pending) {
			signals_pending = 0;
			handle_signals();
		}
	}
}
