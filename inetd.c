/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * inetd: the Internet super-server.
 *
 * One process and one wait (event.c's epoll set): a socket per
 * inetd.conf(5) entry, a self-pipe for signals, the hand-back channel,
 * and the connections of the builtins that the daemon serves itself.
 * Each event (accept, spawn, reap, retry, reload, die) is its own
 * function below; main() only sets them up, with the flags flags.c
 * parsed into struct inetd_options, and gives the other modules the part of
 * them each needs: a child's life before its server runs is spawn.c's,
 * TCP wrappers are wrap.c's, tcpmux is tcpmux.c's, and the table of
 * children is children.c's.
 */
#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <libutil.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "access.h"
#include "builtin.h"
#include "children.h"
#include "config.h"
#include "dump.h"
#include "event.h"
#include "exitlog.h"
#include "flags.h"
#include "forward.h"
#include "handback.h"
#include "journal.h"
#include "listen.h"
#include "load.h"
#include "log.h"
#include "lookup.h"
#include "notify.h"
#include "options.h"
#include "ratelimit.h"
#include "reload.h"
#include "spawn.h"
#include "stats.h"
#include "tcpmux.h"
#include "upgrade.h"
#include "util.h"
#include "wrap.h"

#define PROGRAM_RECHECK	10	/* s between two looks for a missing program */
#define BACKOFF_SECONDS	1	/* pause after EMFILE or a failed fork */
#define BACKOFF_LOG_SECONDS 60	/* between two messages about pausing */
#define MUX_BATCH	16	/* tcpmux connections taken back a wake-up */
#define PIDFILE_WAIT_MS	1000	/* for a child's copy of the pidfile's lock */
#define PIDFILE_TICK_MS	10

static struct inetd_options opts;
static uid_t		 euid;
static struct servtab	*services;
static struct pidfh	*pidfh;
static int		 sigpipe[2] = { -1, -1 };
static int		 mux_channel[2] = { -1, -1 }; /* daemon's, children's */
static time_t		 retry_at;	/* 0: no socket waits for a retry */
static time_t		 backoff_until;	/* listeners ignored until then */
static time_t		 backoff_quiet_until; /* no message about it till */
static struct addr_table *addrtab;	/* per-address rates */
static uint64_t		 service_ids;	/* the last one given to an entry */
static int		 conf_errors;	/* reported by the file being loaded */
static struct upgrade_inheritance inherited; /* started by an upgrade */

static void	open_log(int to_stderr);
static void	make_addr_table(void);
static void	load_services(void);
static void	open_pidfile(void);
static void	catch_signals(void);
static void	open_wait_set(void);
static void	adopt_inherited(void);
static int	open_services(void);
static void	serve_forever(void) __attribute__((noreturn));
static void	die(void) __attribute__((noreturn));
static void	log_connection(const struct servtab *sep,
		    const struct sockaddr *peer);

static void
svc_log(const struct servtab *sep, int priority, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

int
main(int argc, char *argv[])
{
	int listening, upgraded;

	if (argc == 4 && strcmp(argv[1], LOOKUP_ARG) == 0)
		return lookup_serve(argv[2], argv[3]);
	setproctitle_init(argc, argv, environ);
	config_set_builtins(&builtin_config);
	flags_parse(&opts, argc, argv);
	euid = geteuid();
	if (opts.check_only) {
		upgrade_check_answer();
		exit(config_check(opts.config_path, opts.bind_default, euid,
		    opts.dump ? stdout : NULL));
	}
	upgrade_init(argc, argv, argc - optind == 1 ? opts.config_path : NULL);
	logprivate(opts.hide_clients);
	if (journal_stderr())
		logjournal(opts.journal_socket);
	open_log(1);
	stats_init();
	wrap_init(&opts.wrap);
	make_addr_table();
	if ((upgraded = upgrade_receive(addrtab, &inherited)))
		service_ids = inherited.ui_service_ids;
	load_services();
	open_pidfile();
	catch_signals();
	open_wait_set();
	if (upgraded)
		adopt_inherited();
	listening = open_services();
	/* An upgrade keeps the process: it detached the first time. */
	if (!upgraded && !opts.debug && !opts.foreground &&
	    daemon(0, 0) == -1)
		err(EX_OSERR, "daemon");
	if (!opts.debug)
		open_log(0);
	if (pidfh != NULL && pidfile_write(pidfh) == -1)
		logmsg(LOG_WARNING, "cannot write pidfile %s: %m",
		    opts.pidfile_path);
	logmsg(LOG_INFO, "ready: %d services listening", listening);
	notify_open();
	notify("READY=1\nMAINPID=%d\nSTATUS=%d services listening",
	    (int)getpid(), listening);
	spawn_init(&opts.spawn);
	serve_forever();
}

/*
 * Until the daemon detaches, and always with -d, messages also go to
 * stderr, so that a sysadmin starting it sees what is wrong at once.
 */
static void
open_log(int to_stderr)
{
	logclose();
	logopen("inetd", LOG_PID | LOG_NDELAY | (to_stderr || opts.debug ?
	    LOG_PERROR : 0), LOG_DAEMON);
}

static void
svc_log(const struct servtab *sep, int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	servtab_vreport(sep, logmsg, priority, fmt, ap);
	va_end(ap);
}

/* Limits from the flags, and a name in the per-address table. */
static void
prepare_services(struct servtab *list)
{
	struct servtab *sep;

	for (sep = list; sep != NULL; sep = sep->se_next) {
		limits_set_defaults(sep, &opts.limits);
		sep->se_limits.sl_id = ++service_ids;
	}
}

/*
 * syslog, counting the errors: a reload is refused for one, and the
 * stats builtin reports them.
 */
static void
reload_report(int priority, const char *fmt, ...)
{
	va_list ap;

	if (priority <= LOG_ERR) {
		conf_errors++;
		stats_config_error();
	}
	va_start(ap, fmt);
	vlogmsg(priority, fmt, ap);
	va_end(ap);
}

static void
load_services(void)
{
	int error;

	services = config_load(opts.config_path, opts.bind_default, euid,
	    reload_report, &error);
	if (services == NULL && error != 0) {
		errno = error;
		err(EX_NOINPUT, "%s", opts.config_path);
	}
	if (services == NULL)
		logmsg(LOG_WARNING, "%s: no services configured",
		    opts.config_path);
	prepare_services(services);
	builtin_own_ports(services);
	stats_set_services(services);
}

/* The table is made once: no client can make it grow. */
static void
make_addr_table(void)
{
	uint64_t seed = (uint64_t)arc4random() << 32 | arc4random();

	if ((addrtab = addrtab_new(ADDRTAB_SIZE, seed)) == NULL)
		err(EX_OSERR, "table of client addresses");
}

/*
 * The pidfile also keeps a second inetd from starting.  Unprivileged
 * users running inetd on high ports cannot write the default one, and
 * need not.
 */
static void
open_pidfile(void)
{
	struct timespec tick = { 0, PIDFILE_TICK_MS * 1000 * 1000 };
	pid_t other;
	int tries = PIDFILE_WAIT_MS / PIDFILE_TICK_MS;

	/*
	 * After an upgrade, a child forked a moment before the exec may
	 * hold the old image's lock until it has closed its copy.
	 */
	while ((pidfh = pidfile_open(opts.pidfile_path, 0600,
	    &other)) == NULL && errno == EEXIST && other == getpid() &&
	    tries-- > 0)
		(void)nanosleep(&tick, NULL);
	if (pidfh != NULL)
		return;
	if (errno == EEXIST && other == getpid()) {
		logmsg(LOG_WARNING, "pidfile %s: still locked by a child of "
		    "the image before the upgrade, continuing",
		    opts.pidfile_path);
		return;
	}
	if (errno == EEXIST)
		errx(EX_UNAVAILABLE, "already running, pid %d (%s)",
		    (int)other, opts.pidfile_path);
	if (euid == 0 || opts.pidfile_given)
		err(EX_CANTCREAT, "pidfile %s", opts.pidfile_path);
	logmsg(LOG_WARNING, "cannot create pidfile %s: %m, continuing",
	    opts.pidfile_path);
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

static void
catch_signals(void)
{
	static const int caught[] = {
		SIGCHLD, SIGHUP, SIGTERM, SIGINT, SIGUSR1, UPGRADE_SIGNAL
	};
	struct sigaction sa;
	sigset_t empty;
	size_t i;

	if (pipe2(sigpipe, O_NONBLOCK | O_CLOEXEC) == -1)
		err(EX_OSERR, "pipe");
	if (opts.debug && (opts.spawn.so_debug_fd = fcntl(STDERR_FILENO,
	    F_DUPFD_CLOEXEC, sigpipe[1] + 1)) == -1)
		err(EX_OSERR, "dup");
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = note_signal;
	for (i = 0; i < nitems(caught); i++)
		if (sigaction(caught[i], &sa, NULL) == -1)
			err(EX_OSERR, "sigaction");
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1)
		err(EX_OSERR, "sigaction");
	/*
	 * Whoever started inetd may have blocked what it must catch; an
	 * upgrade did, and what came meanwhile is delivered now.
	 */
	sigemptyset(&empty);
	if (sigprocmask(SIG_SETMASK, &empty, NULL) == -1)
		err(EX_OSERR, "sigprocmask");
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
	schedule_retry_at(monotonic_seconds() + opts.retrytime);
}

static void
bind_failed(struct servtab *sep, int fd, const char *what)
{
	char addr[INET6_ADDRSTRLEN + 1];

	if (sep->se_family == AF_UNIX)
		svc_log(sep, LOG_ERR, "%s %s: %m, retrying in %d s", what,
		    sep->se_ctrladdr.sun.sun_path, opts.retrytime);
	else
		svc_log(sep, LOG_ERR, "%s %s port %d: %m, retrying in %d s",
		    what, sockaddr_str(&sep->se_ctrladdr.sa, addr,
		    sizeof(addr)), sockaddr_port(&sep->se_ctrladdr.sa),
		    opts.retrytime);
	if (fd != -1)
		close(fd);
	sep->se_bind_failed = 1;
	schedule_retry();
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
 * Children hand connections back on this channel (handback.c);
 * the daemon's end waits among the listeners.
 */
static void
open_mux_channel(void)
{
	/* One an upgrade carried over may hold connections on their way. */
	if (inherited.ui_handback[0] != -1) {
		mux_channel[0] = inherited.ui_handback[0];
		mux_channel[1] = inherited.ui_handback[1];
	} else if (handback_open(mux_channel) == -1)
		err(EX_OSERR, "hand-back channel");
	opts.spawn.so_handback_fd = mux_channel[1];
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
	forward_init(opts.log_connections);
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

/*
 * An entry whose program is not installed is not bound: clients are
 * refused as if it were not there, until a look finds the program.
 */
static int
program_awaited(struct servtab *sep)
{
	if (!sep->se_program_missing)
		return 0;
	if (config_program_missing(sep)) {
		schedule_retry_at(monotonic_seconds() +
		    (opts.retrytime < PROGRAM_RECHECK ? opts.retrytime :
		    PROGRAM_RECHECK));
		return 1;
	}
	sep->se_program_missing = 0;
	svc_log(sep, LOG_INFO, "program %s is installed now: served",
	    sep->se_server);
	return 0;
}

static void
open_service(struct servtab *sep)
{
	const char *what;
	int fd;

	sep->se_bind_failed = 0;
	if (program_awaited(sep))
		return;
	if ((fd = listener_socket(sep, &what)) == -1) {
		bind_failed(sep, -1, what);
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
		if (sep->se_fd != -1 && sep->se_program_missing)
			close_service(sep);	/* taken over, nothing to run */
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
		if (sep->se_bind_failed || (sep->se_program_missing &&
		    sep->se_tcpmux == TCPMUX_NONE))
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
 * close the socket for FLAGS_RETRYTIME; its children are still counted.
 */
static void
stop_looping_service(struct servtab *sep)
{
	char where[SVC_WHERE_MAX], span[32];

	if (opts.retrytime % 60 == 0)
		snprintf(span, sizeof(span), "%d min", opts.retrytime / 60);
	else
		snprintf(span, sizeof(span), "%d s", opts.retrytime);
	logmsg(LOG_ERR, "%s server failing (looping), service terminated "
	    "for %s", servtab_where(sep, where, sizeof(where)), span);
	close_service(sep);
	stats_looping(sep);
	svc_looping_start(sep, monotonic_seconds() + opts.retrytime);
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

/*
 * Past the invocation rate: looping if its servers fail, else busy.
 * Returns why the client it was to serve is turned away.
 */
static enum refusal
start_refused(struct servtab *sep)
{
	time_t t = monotonic_seconds();

	if (svc_failing(sep, t)) {
		stop_looping_service(sep);
		return REFUSED_LOOPING;
	}
	throttle_service(sep, t);
	return REFUSED_MAX_RATE;
}

/* No server: the client is turned away, a wait entry's stays queued. */
static int
spawn_refused(struct servtab *sep, enum refusal why)
{
	if (!svc_is_wait(sep))
		stats_refused(sep, why);
	return 0;
}

/* A server for the connection (or the datagram) on fd; 0 if none. */
static int
spawn(struct servtab *sep, int fd, const struct sockaddr *peer,
    uint64_t datagram)
{
	long long now = monotonic_ms();	/* one read for both */
	pid_t pid;

	if (children_full())
		return spawn_refused(sep, REFUSED_MAX_CHILD);
	/*
	 * A forward entry's child only asks tcp_wrappers and hands the
	 * connection back: no server, so not counted by -R.
	 */
	if (!builtin_counts_own(sep) &&
	    !svc_start_admit(sep, (time_t)(now / 1000)))
		return spawn_refused(sep, start_refused(sep));
	if ((pid = spawn_child(sep, fd, peer, services)) == -1) {
		back_off("fork");
		return 0;
	}
	child_add(pid, sep, peer, datagram, now, spawn_forks(sep));
	if (!builtin_counts_own(sep))
		stats_started(sep);
	if (svc_is_wait(sep))
		sep->se_paused = 1;
	else if (svc_at_limit(sep) && sep->se_tcpmux == TCPMUX_NONE)
		stats_max_child(sep);
	return 1;
}

static void
log_connection(const struct servtab *sep, const struct sockaddr *peer)
{
	struct log_event ev = { .le_service = sep->se_service,
	    .le_peer = peer };
	char addr[LOG_CLIENT_MAX];

	if (opts.log_connections)
		logevent(LOG_INFO, &ev, "%s from %s", sep->se_service,
		    log_client_addr(peer, addr, sizeof(addr)));
}

/* The forwarder's default share of an address (forward_peer_admit()). */
static int
admit_forwarded(struct servtab *sep, const struct sockaddr *peer)
{
	int limit;

	if (builtin_peer_admit(sep, peer, &limit))
		return 1;
	stats_peer_refused(sep, REFUSED_PER_IP_CHILDREN, peer,
	    "forwarded connections", limit, ", the default of an address");
	return 0;
}

/*
 * only_from and no_access (access.c), the first question about every
 * client of every kind of entry, before any limit counts it: the one
 * place a client is refused for its address.
 */
static int
admit_address(struct servtab *sep, const struct sockaddr *peer)
{
	char addr[LOG_CLIENT_MAX], more[64];
	unsigned missed;

	if (sep->se_opts == NULL || access_allows(sep->se_opts->so_access,
	    peer))
		return 1;
	stats_refused(sep, REFUSED_ONLY_FROM);
	if (log_quota_take(&sep->se_limits.sl_log_access,
	    monotonic_seconds(), &missed))
		svc_log(sep, LOG_WARNING, "%s refused by only_from/no_access%s",
		    log_client_addr(peer, addr, sizeof(addr)),
		    missed_text(missed, more, sizeof(more)));
	return 0;
}

/*
 * Then max-child-per-ip and max-connections-per-ip-per-minute: a client
 * past either is closed at once, or its datagram dropped, without
 * running anything.  A connection refused is not counted.
 */
static int
admit_peer(struct servtab *sep, const struct sockaddr *peer)
{
	struct peer_addr pa;
	int admitted;

	if (!admit_address(sep, peer))
		return 0;
	if (peer_addr_set(&pa, peer) == -1)
		return 1;	/* a UNIX-domain client has no address */
	if (sep->se_maxperip > 0 &&
	    svc_peer_at_limit(sep, children_of_peer(sep, &pa) +
	    builtin_peer_count(sep, peer))) {
		stats_peer_refused(sep, REFUSED_PER_IP_CHILDREN, peer,
		    "counts", sep->se_maxperip, "");
		return 0;
	}
	if (!admit_forwarded(sep, peer))
		return 0;
	admitted = addrtab_admit(addrtab, sep->se_limits.sl_id, &pa,
	    sep->se_maxcpm, monotonic_seconds());
	stats_addrtab_full(addrtab);
	if (!admitted)
		stats_peer_refused(sep, REFUSED_PER_IP_RATE, peer,
		    "counts/min", sep->se_maxcpm, "/min");
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
		if (errno == EMFILE || errno == ENFILE)
			stats_refused(sep, REFUSED_FD);
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
	stats_accepted(sep);
	log_connection(sep, (struct sockaddr *)&peer);
	if (sep->se_bi != NULL && !wrap_wanted(sep) &&
	    builtin_accept(sep, fd, (struct sockaddr *)&peer) == 0) {
		log_forward_share(sep);
		return;
	}
	spawn(sep, fd, (struct sockaddr *)&peer, 0);
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
	stats_accepted(sep);
	/* What it was started for, to judge it when it exits. */
	spawn(sep, sep->se_fd, sender, datagram);
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
	struct servtab *sep;
	int admitted;

	if ((sep = tcpmux_chosen(services, service, fd, &peer)) == NULL)
		return;
	if (!(admitted = admit_peer(sep, (struct sockaddr *)&peer)) ||
	    svc_at_limit(sep) || children_full()) {
		if (admitted)
			stats_refused(sep, REFUSED_MAX_CHILD);
		if (svc_at_limit(sep))
			stats_max_child(sep);
		tcpmux_refuse(fd, TCPMUX_BUSY, 0);
		return;
	}
	stats_accepted(sep);
	log_connection(sep, (struct sockaddr *)&peer);
	if (!spawn(sep, fd, (struct sockaddr *)&peer, 0))
		tcpmux_refuse(fd, TCPMUX_UNAVAILABLE, 0);
}

/*
 * A client of a forward entry that tcp_wrappers let in, back from the
 * child that checked it, is forwarded by the daemon.  It was admitted
 * and counted when it was accepted; only its address's share is looked
 * at again, since more of its connections may have come in meanwhile.
 */
static void
forward_take_back(struct servtab *sep, int fd)
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	int flags;

	memset(&peer, 0, sizeof(peer));
	/* The child made the socket blocking for itself. */
	if (getpeername(fd, (struct sockaddr *)&peer, &len) == -1 ||
	    !admit_forwarded(sep, (struct sockaddr *)&peer) ||
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

/* The entry of that identity (sl_id), if a reload has not removed it. */
static struct servtab *
service_of_id(const char *text)
{
	struct servtab *sep;
	uint64_t id;

	memcpy(&id, text, sizeof(id));
	for (sep = services; sep != NULL; sep = sep->se_next)
		if (sep->se_limits.sl_id == id)
			return sep;
	return NULL;
}

/* What a child handed back (handback.h); fd is taken care of. */
static void
take_back_one(const char *text, size_t len, int fd)
{
	struct servtab *sep;

	if (len > 1 && text[0] == HANDBACK_TCPMUX)
		tcpmux_serve_chosen(text + 1, fd);
	else if (len == 1 + sizeof(uint64_t) &&
	    (sep = service_of_id(text + 1)) != NULL) {
		if (text[0] == HANDBACK_FORWARD && builtin_counts_own(sep)) {
			forward_take_back(sep, fd);
			return;
		}
		if (text[0] == HANDBACK_REFUSED)
			stats_refused(sep, REFUSED_WRAPPERS);
	}
	close(fd);
}

/* The connections children have handed back, a few at a time. */
static void
mux_take_back(void)
{
	char text[HANDBACK_MESSAGE_MAX + 1];
	ssize_t n;
	int fd, i;

	for (i = 0; i < MUX_BATCH; i++) {
		if ((n = handback_receive(mux_channel[0], text, sizeof(text),
		    &fd)) == -1)
			return;
		if (fd != -1)
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
		if (!builtin_counts_own(sep))
			stats_exited(sep, status);
		exit_log(sep, &ch, status, opts.log_connections);
		judge_start(sep, &ch, status);
		if (sep->se_paused)
			resume_service(sep);
	}
}

/* What the builtin (forward.c) keeps of an entry whose socket sep took. */
static void
take_over(struct servtab *sep, struct servtab *old)
{
	if (sep->se_fd != -1 && (listener_options(sep, sep->se_fd) == -1 ||
	    builtin_socket_options(sep, old, sep->se_fd) == -1))
		svc_log(sep, LOG_WARNING, "socket options: %m");
	builtin_take_over(old, sep);
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
	fresh = config_load(opts.config_path, opts.bind_default, euid,
	    reload_report, &error);
	if (fresh == NULL && error != 0) {
		logmsg(LOG_ERR, "%s: %s, configuration not reloaded",
		    opts.config_path, strerror(error));
		return -1;
	}
	if (conf_errors > 0) {
		logmsg(LOG_ERR, "%s: %d error%s, configuration not reloaded: "
		    "the running one stays in force", opts.config_path,
		    conf_errors, conf_errors == 1 ? "" : "s");
		config_free(fresh);
		return -1;
	}
	if (fresh == NULL)
		logmsg(LOG_WARNING, "%s: no services configured",
		    opts.config_path);
	*freshp = fresh;
	return 0;
}

/*
 * The entries of fresh take over the sockets, children and counters of
 * those of list that ask for the same socket; list is freed, its other
 * sockets closed.  -1, and nothing done, when out of memory.
 */
static int
hand_over(struct servtab *list, struct servtab *fresh)
{
	struct handover_table ht;
	struct servtab *sep, *old, *next;

	if (handover_init(&ht, list) == -1)
		return -1;
	for (sep = fresh; sep != NULL; sep = sep->se_next)
		if ((old = handover_take(&ht, sep)) != NULL)
			take_over(sep, old);
	children_hand_over(&ht);
	handover_free(&ht);
	for (old = list; old != NULL; old = next) {
		next = old->se_next;
		builtin_forget(old);
		close_service(old);
		servtab_free(old);
	}
	return 0;
}

/*
 * Started by an upgrade: the file just loaded takes over what the old
 * image carried as a reload would; the sockets taken over join the
 * wait set, the others are closed.
 */
static void
adopt_inherited(void)
{
	struct servtab *sep;

	if (hand_over(inherited.ui_entries, services) == -1)
		errx(EX_OSERR, "upgrade: out of memory");
	inherited.ui_entries = NULL;
	for (sep = services; sep != NULL; sep = sep->se_next)
		if (sep->se_fd != -1 && listener_arm(sep, 1, EPOLLIN) == -1)
			svc_log(sep, LOG_ERR, "epoll_ctl: %m");
	logmsg(LOG_INFO, "upgraded in place: %d children inherited",
	    children_count());
}

/*
 * SIGUSR2: the binary at the daemon's path replaces this image, which
 * goes on if it cannot (upgrade.c).
 */
static void
upgrade_event(void)
{
	struct upgrade_state st = {
		.us_services = services,
		.us_addrtab = addrtab,
		.us_service_ids = service_ids,
		.us_handback = { mux_channel[0], mux_channel[1] },
		.us_sigpipe = { sigpipe[0], sigpipe[1] },
		.us_pidfile_fd = pidfh != NULL ? pidfile_fileno(pidfh) : -1,
	};

	notify_reloading();
	upgrade(&st);
	notify("READY=1");
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
	struct servtab *fresh;

	if (reload_load(&fresh) == -1) {
		stats_reloaded(0);
		return;
	}
	prepare_services(fresh);
	if (hand_over(services, fresh) == -1) {
		logmsg(LOG_ERR, "%s: out of memory, configuration not "
		    "reloaded", opts.config_path);
		config_free(fresh);
		stats_reloaded(0);
		return;
	}
	services = fresh;
	builtin_own_ports(services);
	stats_set_services(services);
	stats_reloaded(1);
	retry_at = 0;
	logmsg(LOG_INFO, "reloaded %s: %d services listening", opts.config_path,
	    open_services());
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
	int reap = 0, reread = 0, quit = 0, dump = 0, replace = 0;

	while ((n = read(sigpipe[0], sigs, sizeof(sigs))) > 0)
		for (i = 0; i < n; i++) {
			if (sigs[i] == SIGCHLD)
				reap = 1;
			else if (sigs[i] == SIGHUP)
				reread = 1;
			else if (sigs[i] == SIGUSR1)
				dump = 1;
			else if (sigs[i] == UPGRADE_SIGNAL)
				replace = 1;
			else
				quit = 1;
		}
	if (reap)
		reap_children();
	if (dump)
		stats_dump(services, children_count());
	if (quit)
		die();
	if (reread) {
		notify_reloading();
		reload();
		notify("READY=1");
	}
	/* Last: the new image reads the file anyway. */
	if (replace)
		upgrade_event();
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
 * throttle, the watchdog's ping, a child's timeout, and whatever
 * internal.c and forward.c have to do next (an idle connection to
 * close, work queued); in ms, -1 for none.
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
	sooner(&left, children_deadline(), t);
	sooner(&left, exit_log_deadline(), t);
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
		children_run_timeouts(monotonic_ms());
		exit_log_run(services);
		watchdog_ping();
		/* Last: a reload frees the entries looked at above. */
		if (signals_pending) {
			signals_pending = 0;
			handle_signals();
		}
	}
}
