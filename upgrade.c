/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * upgrade.c: on SIGUSR2 the daemon replaces itself with the binary at
 * its path, losing no connection.
 *
 * A restart closes every listening socket, drops what waits in their
 * queues, and cuts the connections the daemon serves itself.  Instead,
 * the daemon checks that the new binary starts (its -t, in a child),
 * then execs it in place: the PID, the pidfile and systemd's view stay,
 * and the running servers stay its children.  The listening sockets and
 * the hand-back channel stay open across the exec; a description of
 * them, of the children and of the limits' counts goes in a memfd named
 * by $INETD_UPGRADE_FD, one text record a line, which the new image
 * matches to its own entries as a reload does (reload.c).  The
 * connections served in the daemon (builtins, forwarding) are finished
 * by a process forked just before the exec, the keeper, which closes the
 * listeners and serves them until they end, as nginx's old workers do.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "builtin.h"
#include "children.h"
#include "config.h"
#include "event.h"
#include "forward.h"
#include "log.h"
#include "notify.h"
#include "ratelimit.h"
#include "stats.h"
#include "upgrade.h"
#include "util.h"

#define UPGRADE_ENV	"INETD_UPGRADE_FD"
#define UPGRADE_CHECK_ENV "INETD_UPGRADE_CHECK"
#define UPGRADE_MAGIC	"inetd-upgrade 2"	/* the format's version */
#define UPGRADE_OUTPUT_MAX 1024	/* of -t's output, logged on failure */
#define KEEPER_WAIT_MS	1000	/* the keeper's longest wait */

extern char	**environ;

static char	 *self_path;	/* the binary, as it was started */
static char	**self_argv;	/* its arguments, for the exec */
static char	**check_argv;	/* the same with -t */

/* ------------------------------------------------------------ startup */

void
upgrade_init(int argc, char *argv[], const char *config_path)
{
	char path[PATH_MAX];
	ssize_t n;
	int i;

	/* Once replaced, /proc/self/exe names a deleted file. */
	if ((n = readlink("/proc/self/exe", path, sizeof(path) - 1)) == -1)
		return;
	path[n] = '\0';
	self_argv = calloc(argc + 1, sizeof(*self_argv));
	check_argv = calloc(argc + 2, sizeof(*check_argv));
	if (self_argv == NULL || check_argv == NULL ||
	    (self_path = strdup(path)) == NULL)
		return;
	for (i = 0; i < argc; i++)
		self_argv[i] = argv[i];
	/* Detached, the daemon runs in "/": the path is made absolute. */
	if (config_path != NULL && argc > 1)
		self_argv[argc - 1] = (char *)config_path;
	check_argv[0] = self_path;
	check_argv[1] = "-t";
	for (i = 1; i < argc; i++)
		check_argv[i + 1] = self_argv[i];
}

/* -------------------------------------------------- checking the binary */

/*
 * -t run by upgrade_check(): the format of the state this binary reads,
 * before the check's messages, so that a program that is not inetd, or
 * an inetd that would inherit nothing, is refused.
 */
void
upgrade_check_answer(void)
{
	if (getenv(UPGRADE_CHECK_ENV) == NULL)
		return;
	printf("%s\n", UPGRADE_MAGIC);
	fflush(stdout);
}

/* What -t wrote after the format, a line a message. */
static void
log_check_output(char *out)
{
	char *line, *save = NULL;

	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (strcmp(line, UPGRADE_MAGIC) != 0)
			logmsg(LOG_ERR, "upgrade: %s -t: %s", self_path,
			    line);
}

/* Reads the check's output until its end or the deadline: 0 at its end. */
static int
read_check_output(int fd, char *out, size_t size, long long deadline)
{
	char discard[256];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t len = 0;
	ssize_t n;
	long long left;

	while ((left = deadline - monotonic_ms()) > 0) {
		if (poll(&pfd, 1, (int)left) == -1 && errno != EINTR)
			return -1;
		if (len + 1 < size)
			n = read(fd, out + len, size - 1 - len);
		else
			n = read(fd, discard, sizeof(discard));
		if (n == 0)
			return 0;
		if (n > 0 && len + 1 < size)
			len += n;
		out[len] = '\0';
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			return -1;
	}
	return -1;
}

/* The check's exit status, waited for until the deadline; -1: none. */
static int
wait_check(pid_t pid, long long deadline)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	int status;
	pid_t got;

	while ((got = waitpid(pid, &status, WNOHANG)) == 0 &&
	    monotonic_ms() < deadline)
		(void)nanosleep(&tick, NULL);
	if (got == pid)
		return status;
	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, &status, 0);
	return -1;
}

static void __attribute__((noreturn))
check_child(int out)
{
	(void)dup2(out, STDOUT_FILENO);
	(void)dup2(out, STDERR_FILENO);
	(void)setenv(UPGRADE_CHECK_ENV, "1", 1);
	execve(self_path, check_argv, environ);
	dprintf(STDERR_FILENO, "%s\n", strerror(errno));
	_exit(127);
}

/*
 * The new binary loads the file with -t: a binary that cannot run (a
 * missing library, not an executable) or refuses the file fails it.
 */
static int
upgrade_check(void)
{
	char out[UPGRADE_OUTPUT_MAX];
	long long deadline = monotonic_ms() + UPGRADE_CHECK_SECONDS * 1000;
	int pipefd[2], status;
	pid_t pid;

	out[0] = '\0';
	if (pipe2(pipefd, O_CLOEXEC) == -1) {
		logmsg(LOG_ERR, "upgrade: pipe: %m");
		return -1;
	}
	if ((pid = fork()) == 0)
		check_child(pipefd[1]);
	close(pipefd[1]);
	if (pid == -1) {
		logmsg(LOG_ERR, "upgrade: fork: %m");
		close(pipefd[0]);
		return -1;
	}
	(void)read_check_output(pipefd[0], out, sizeof(out), deadline);
	close(pipefd[0]);
	status = wait_check(pid, deadline);
	if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    strncmp(out, UPGRADE_MAGIC "\n", sizeof(UPGRADE_MAGIC)) == 0)
		return 0;
	log_check_output(out);
	if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		logmsg(LOG_ERR, "upgrade refused: %s -t does not read the "
		    "state in the format \"%s\"; the running inetd goes on",
		    self_path, UPGRADE_MAGIC);
	else if (status == -1)
		logmsg(LOG_ERR, "upgrade refused: %s -t did not end in %d s; "
		    "the running inetd goes on", self_path,
		    UPGRADE_CHECK_SECONDS);
	else if (WIFSIGNALED(status))
		logmsg(LOG_ERR, "upgrade refused: %s -t killed by signal %d; "
		    "the running inetd goes on", self_path, WTERMSIG(status));
	else
		logmsg(LOG_ERR, "upgrade refused: %s -t exited with status "
		    "%d; the running inetd goes on", self_path,
		    WEXITSTATUS(status));
	return -1;
}

/* ------------------------------------------------- the description */

static void
put_hex(FILE *f, const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	fputc(' ', f);
	for (i = 0; i < len; i++)
		fprintf(f, "%02x", b[i]);
	if (len == 0)
		fputc('-', f);
}

static void
put_window(FILE *f, const struct rate_window *w)
{
	int i;

	fprintf(f, " %lld", w->rw_tick);
	for (i = 0; i < RATE_BUCKETS; i++)
		fprintf(f, " %u", w->rw_count[i]);
}

static void
put_quota(FILE *f, const struct log_quota *q)
{
	fprintf(f, " %lld %u", (long long)q->lq_next, q->lq_missed);
}

/* The entry's counters (stats.h), so that the stats builtin goes on. */
static void
put_stats(FILE *f, const struct svc_stats *st)
{
	int i;

	fprintf(f, " %lu %lu %lu %lu", st->st_accepted, st->st_started,
	    st->st_looping, st->st_exits_other);
	for (i = 0; i < REFUSED_NREASONS; i++)
		fprintf(f, " %lu", st->st_refused[i]);
	for (i = 0; i < STATS_EXIT_KINDS; i++)
		fprintf(f, " %d %lu", st->st_exits[i].ec_code,
		    st->st_exits[i].ec_count);
	fprintf(f, " %llu %llu", (unsigned long long)st->st_bytes[STATS_IN],
	    (unsigned long long)st->st_bytes[STATS_OUT]);
}

static void
put_entry(FILE *f, const struct servtab *sep)
{
	const struct svc_limits *sl = &sep->se_limits;

	fprintf(f, "entry %d %d %d %d", sep->se_fd, sep->se_family,
	    sep->se_socktype, sep->se_v6only);
	put_hex(f, &sep->se_ctrladdr, sep->se_ctrladdr_size);
	fprintf(f, " %d", sep->se_paused);
	put_stats(f, &sep->se_stats);
	fprintf(f, " %llu", (unsigned long long)sl->sl_id);
	put_window(f, &sl->sl_started);
	put_window(f, &sl->sl_failed);
	fprintf(f, " %lld %lld", (long long)sl->sl_looping_until,
	    (long long)sl->sl_throttled_until);
	put_quota(f, &sl->sl_log_maxchild);
	put_quota(f, &sl->sl_log_throttled);
	put_quota(f, &sl->sl_log_perip_rate);
	put_quota(f, &sl->sl_log_perip_children);
	put_quota(f, &sl->sl_log_access);
	fputc('\n', f);
}

/* A child's entry by its place in the list, -1 for none. */
static int
entry_index(const struct servtab *list, const struct servtab *sep)
{
	int i;

	for (i = 0; list != NULL; list = list->se_next, i++)
		if (list == sep)
			return i;
	return -1;
}

static void
put_children(FILE *f, const struct servtab *list)
{
	const struct child *ch;
	int i;

	for (i = 0; (ch = child_at(i)) != NULL; i++) {
		fprintf(f, "child %d %d %lld %llu %d %d",
		    entry_index(list, ch->ch_sep), (int)ch->ch_pid,
		    ch->ch_started_ms, (unsigned long long)ch->ch_datagram,
		    ch->ch_forked, ch->ch_peer.pa_family);
		put_hex(f, ch->ch_peer.pa_bytes, sizeof(ch->ch_peer.pa_bytes));
		fprintf(f, " %d\n", ch->ch_port);
	}
}

static void
put_address(void *arg, uint64_t service, const struct peer_addr *pa,
    const struct rate_window *w)
{
	FILE *f = arg;

	fprintf(f, "addr %llu %d", (unsigned long long)service,
	    pa->pa_family);
	put_hex(f, pa->pa_bytes, sizeof(pa->pa_bytes));
	put_window(f, w);
	fputc('\n', f);
}

/* The memfd the new image reads, or -1 (logged). */
static int
describe(const struct upgrade_state *st)
{
	const struct servtab *sep;
	FILE *f = NULL;
	int fd, copy = -1, failed;

	if ((fd = memfd_create("inetd-upgrade", 0)) == -1 ||
	    (copy = dup(fd)) == -1 || (f = fdopen(copy, "w")) == NULL) {
		logmsg(LOG_ERR, "upgrade: the description: %m");
		if (copy != -1)
			close(copy);
		if (fd != -1)
			close(fd);
		return -1;
	}
	fprintf(f, "%s\nids %llu\nhandback %d %d\n", UPGRADE_MAGIC,
	    (unsigned long long)st->us_service_ids, st->us_handback[0],
	    st->us_handback[1]);
	for (sep = st->us_services; sep != NULL; sep = sep->se_next)
		put_entry(f, sep);
	put_children(f, st->us_services);
	addrtab_walk(st->us_addrtab, put_address, f);
	failed = ferror(f);
	if (fclose(f) == EOF || failed || lseek(fd, 0, SEEK_SET) == -1) {
		logmsg(LOG_ERR, "upgrade: the description: %m");
		close(fd);
		return -1;
	}
	return fd;
}

/* ------------------------------------------------------- the keeper */

/*
 * The keeper's share of the daemon: the connections, and the sockets of
 * the datagram builtins, from which the replies to forward's UDP
 * clients go.
 */
static void
keeper_release(const struct upgrade_state *st)
{
	struct servtab *sep;
	int i;

	for (sep = st->us_services; sep != NULL; sep = sep->se_next) {
		if (sep->se_fd == -1)
			continue;
		/* The epoll set was the daemon's: its listeners leave it. */
		(void)event_del(sep->se_fd);
		if (sep->se_socktype == SOCK_DGRAM && sep->se_bi != NULL)
			continue;
		close(sep->se_fd);
		sep->se_fd = -1;
	}
	(void)event_del(st->us_sigpipe[0]);
	(void)event_del(st->us_handback[0]);
	for (i = 0; i < 2; i++) {
		close(st->us_sigpipe[i]);
		close(st->us_handback[i]);
	}
}

static void
keeper_signals(void)
{
	static const int ignored[] = { SIGHUP, SIGUSR1, SIGUSR2 };
	static const int reset[] = { SIGTERM, SIGINT, SIGCHLD };
	struct sigaction sa;
	sigset_t none;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	for (i = 0; i < nitems(ignored); i++)
		(void)sigaction(ignored[i], &sa, NULL);
	sa.sa_handler = SIG_DFL;
	for (i = 0; i < nitems(reset); i++)
		(void)sigaction(reset[i], &sa, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

/* The next wait, in ms: the builtins' and forward's next deadline. */
static int
keeper_timeout(void)
{
	long long t = monotonic_ms(), at, wait = KEEPER_WAIT_MS;

	if ((at = builtin_deadline()) != 0 && at - t < wait)
		wait = at - t;
	if ((at = forward_deadline()) != 0 && at - t < wait)
		wait = at - t;
	return wait > 0 ? (int)wait : 0;
}

/*
 * The keeper waits until the daemon's exec closes its end of sync (a
 * byte instead: the exec failed, and the daemon serves on), then serves
 * the connections until the last one ends.
 */
static void __attribute__((noreturn))
keeper_run(const struct upgrade_state *st, int sync, int description)
{
	time_t until = monotonic_seconds() + UPGRADE_KEEP_SECONDS;
	char c = 'k';

	close(description);
	keeper_signals();
	/* Its lock would keep the new image from the pidfile. */
	if (st->us_pidfile_fd != -1)
		close(st->us_pidfile_fd);
	if (write(sync, &c, 1) != 1 || read(sync, &c, 1) != 0)
		_exit(0);
	close(sync);
	keeper_release(st);
	setproctitle("finishing %d connections after an upgrade",
	    builtin_open_count());
	while (builtin_open_count() > 0 && monotonic_seconds() < until) {
		if (event_wait(keeper_timeout()) == -1 && errno != EINTR)
			break;
		builtin_run();
		forward_run();
	}
	if (builtin_open_count() > 0)
		logmsg(LOG_WARNING, "upgrade: %d connections still open after "
		    "%d s, closed", builtin_open_count(), UPGRADE_KEEP_SECONDS);
	builtin_closeall();
	_exit(0);
}

/*
 * The keeper, ready, or -1 (logged); *sync: the daemon's end, closed by
 * its exec.  It has closed its copy of the pidfile by then.
 */
static pid_t
keeper_start(const struct upgrade_state *st, int description, int *sync)
{
	int sp[2];
	pid_t pid;
	char c;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		logmsg(LOG_ERR, "upgrade: socketpair: %m");
		return -1;
	}
	if ((pid = fork()) == 0) {
		close(sp[0]);
		keeper_run(st, sp[1], description);
	}
	close(sp[1]);
	if (pid == -1 || read(sp[0], &c, 1) != 1) {
		logmsg(LOG_ERR, "upgrade: the process to finish connections: "
		    "%s", pid == -1 ? strerror(errno) : "did not start");
		close(sp[0]);
		return -1;
	}
	*sync = sp[0];
	return pid;
}

/* ------------------------------------------------------- the exec */

/* Whether the sockets carried over stay open in the new image. */
static void
carry(const struct upgrade_state *st, int fd, int on)
{
	const struct servtab *sep;

	/* libbsd leaves it open: its lock would keep the new image out. */
	if (st->us_pidfile_fd != -1)
		(void)fcntl(st->us_pidfile_fd, F_SETFD, FD_CLOEXEC);
	(void)fcntl(fd, F_SETFD, on ? 0 : FD_CLOEXEC);
	(void)fcntl(st->us_handback[0], F_SETFD, on ? 0 : FD_CLOEXEC);
	(void)fcntl(st->us_handback[1], F_SETFD, on ? 0 : FD_CLOEXEC);
	for (sep = st->us_services; sep != NULL; sep = sep->se_next)
		if (sep->se_fd != -1)
			(void)fcntl(sep->se_fd, F_SETFD, on ? 0 : FD_CLOEXEC);
}

/* Around the exec: no signal is lost, the new image takes them. */
static void
block_signals(sigset_t *saved)
{
	sigset_t all;

	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	sigdelset(&all, SIGABRT);
	(void)sigprocmask(SIG_BLOCK, &all, saved);
}

/* After a failed exec: the state as before it. */
static void
undo(const struct upgrade_state *st, int fd, const sigset_t *saved)
{
	carry(st, fd, 0);
	close(fd);
	notify_pass_on(0);
	unsetenv(UPGRADE_ENV);
	(void)sigprocmask(SIG_SETMASK, saved, NULL);
}

static int
prepare_exec(const struct upgrade_state *st, int fd)
{
	char value[16];

	snprintf(value, sizeof(value), "%d", fd);
	if (setenv(UPGRADE_ENV, value, 1) == -1) {
		logmsg(LOG_ERR, "upgrade: setenv: %m");
		return -1;
	}
	carry(st, fd, 1);
	notify_pass_on(1);
	return 0;
}

void
upgrade(const struct upgrade_state *st)
{
	sigset_t saved;
	pid_t keeper = 0;
	int fd, sync = -1;

	if (self_path == NULL) {
		logmsg(LOG_ERR, "upgrade: the path of the binary is unknown");
		return;
	}
	if (upgrade_check() == -1 || (fd = describe(st)) == -1)
		return;
	block_signals(&saved);
	if (prepare_exec(st, fd) == -1 || (builtin_open_count() > 0 &&
	    (keeper = keeper_start(st, fd, &sync)) == -1)) {
		undo(st, fd, &saved);
		return;
	}
	logmsg(LOG_INFO, "upgrading to %s%s", self_path, keeper == 0 ? "" :
	    ", its connections finished by a child");
	execve(self_path, self_argv, environ);
	logmsg(LOG_ERR, "upgrade: execve %s: %m; the running inetd goes on",
	    self_path);
	if (sync != -1) {
		/* The byte tells the keeper to exit: it must not serve too. */
		if (write(sync, "x", 1) != 1)
			(void)kill(keeper, SIGKILL);
		close(sync);
	}
	undo(st, fd, &saved);
}

/* ---------------------------------------------- in the new image */

/* The words of a record, read one at a time; bad: one was not right. */
struct record {
	char	*next;
	char	*save;
	int	 bad;
};

static char *
word(struct record *r)
{
	char *w = strtok_r(r->next, " \n", &r->save);

	r->next = NULL;
	if (w == NULL)
		r->bad = 1;
	return w;
}

static long long
number(struct record *r, long long min, long long max)
{
	char *w = word(r), *end;
	long long v;

	if (w == NULL)
		return 0;
	errno = 0;
	v = strtoll(w, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max) {
		r->bad = 1;
		return 0;
	}
	return v;
}

static uint64_t
unsigned64(struct record *r)
{
	char *w = word(r), *end;
	unsigned long long v;

	if (w == NULL)
		return 0;
	errno = 0;
	v = strtoull(w, &end, 10);
	if (errno != 0 || *end != '\0' || w[0] == '-')
		r->bad = 1;
	return v;
}

/* Bytes in hex, at most size of them ("-": none); their number. */
static size_t
hex(struct record *r, void *p, size_t size)
{
	unsigned char *b = p;
	char *w = word(r);
	size_t i, len;
	unsigned v;

	if (w == NULL || strcmp(w, "-") == 0)
		return 0;
	if ((len = strlen(w)) % 2 != 0 || len / 2 > size) {
		r->bad = 1;
		return 0;
	}
	for (i = 0; i < len / 2; i++) {
		if (sscanf(w + 2 * i, "%2x", &v) != 1) {
			r->bad = 1;
			return 0;
		}
		b[i] = v;
	}
	return len / 2;
}

static void
get_window(struct record *r, struct rate_window *w)
{
	int i;

	w->rw_tick = number(r, 0, LLONG_MAX);
	for (i = 0; i < RATE_BUCKETS; i++)
		w->rw_count[i] = number(r, 0, UINT_MAX);
}

static void
get_quota(struct record *r, struct log_quota *q)
{
	q->lq_next = number(r, 0, LLONG_MAX);
	q->lq_missed = number(r, 0, UINT_MAX);
}

/* A descriptor carried over: a socket, closed by the next exec. */
static int
inherited_fd(struct record *r)
{
	struct stat st;
	int fd = number(r, -1, INT_MAX);

	if (fd == -1 || r->bad)
		return -1;
	if (fd <= STDERR_FILENO || fstat(fd, &st) == -1 ||
	    !S_ISSOCK(st.st_mode) || fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		r->bad = 1;
		return -1;
	}
	return fd;
}

static void
get_stats(struct record *r, struct svc_stats *st)
{
	int i;

	st->st_accepted = number(r, 0, LLONG_MAX);
	st->st_started = number(r, 0, LLONG_MAX);
	st->st_looping = number(r, 0, LLONG_MAX);
	st->st_exits_other = number(r, 0, LLONG_MAX);
	for (i = 0; i < REFUSED_NREASONS; i++)
		st->st_refused[i] = number(r, 0, LLONG_MAX);
	for (i = 0; i < STATS_EXIT_KINDS; i++) {
		st->st_exits[i].ec_code = number(r, 0, 2 * STATS_SIGNAL);
		st->st_exits[i].ec_count = number(r, 0, LLONG_MAX);
	}
	st->st_bytes[STATS_IN] = unsigned64(r);
	st->st_bytes[STATS_OUT] = unsigned64(r);
}

static void
get_counts(struct record *r, struct servtab *sep)
{
	struct svc_limits *sl = &sep->se_limits;

	sep->se_paused = number(r, 0, 1);
	get_stats(r, &sep->se_stats);
	sl->sl_id = unsigned64(r);
	get_window(r, &sl->sl_started);
	get_window(r, &sl->sl_failed);
	sl->sl_looping_until = number(r, 0, LLONG_MAX);
	sl->sl_throttled_until = number(r, 0, LLONG_MAX);
	get_quota(r, &sl->sl_log_maxchild);
	get_quota(r, &sl->sl_log_throttled);
	get_quota(r, &sl->sl_log_perip_rate);
	get_quota(r, &sl->sl_log_perip_children);
	get_quota(r, &sl->sl_log_access);
}

/*
 * An entry standing for one of the old image's: the socket it asks for,
 * and what the entry taking it over inherits (reload.c).
 */
static struct servtab *
get_entry(struct record *r)
{
	struct servtab *sep;

	if ((sep = calloc(1, sizeof(*sep))) == NULL) {
		r->bad = 1;
		return NULL;
	}
	sep->se_fd = inherited_fd(r);
	sep->se_family = number(r, 0, AF_MAX);
	sep->se_socktype = number(r, 0, SOCK_SEQPACKET);
	sep->se_v6only = number(r, 0, 1);
	sep->se_ctrladdr_size = hex(r, &sep->se_ctrladdr,
	    sizeof(sep->se_ctrladdr));
	get_counts(r, sep);
	return sep;
}

static void
get_child(struct record *r, struct servtab **entries, int nentries)
{
	struct child ch;
	int i;

	memset(&ch, 0, sizeof(ch));
	i = number(r, -1, nentries - 1);
	ch.ch_sep = i == -1 ? NULL : entries[i];
	ch.ch_pid = number(r, 1, INT_MAX);
	ch.ch_started_ms = number(r, 0, LLONG_MAX);
	ch.ch_datagram = unsigned64(r);
	ch.ch_forked = number(r, 0, 1);
	ch.ch_peer.pa_family = number(r, 0, AF_MAX);
	(void)hex(r, ch.ch_peer.pa_bytes, sizeof(ch.ch_peer.pa_bytes));
	ch.ch_port = number(r, -1, UINT16_MAX);
	/*
	 * Counted again from the children: a forward entry's count also
	 * held its connections, which the keeper ends.
	 */
	if (!r->bad && child_restore(&ch) == 0 && ch.ch_sep != NULL)
		ch.ch_sep->se_children++;
}

static void
get_address(struct record *r, struct addr_table *t)
{
	struct rate_window w;
	struct peer_addr pa;
	uint64_t service;

	memset(&pa, 0, sizeof(pa));
	service = unsigned64(r);
	pa.pa_family = number(r, 0, AF_MAX);
	(void)hex(r, pa.pa_bytes, sizeof(pa.pa_bytes));
	get_window(r, &w);
	if (!r->bad)
		addrtab_restore(t, service, &pa, &w);
}

/* The list of entries, grown a record at a time; the children's index. */
struct entries {
	struct servtab	**tail;
	struct servtab	**index;
	int		  n;
};

static void
add_entry(struct record *r, struct entries *e)
{
	struct servtab *sep, **bigger;

	if ((sep = get_entry(r)) == NULL)
		return;
	*e->tail = sep;
	e->tail = &sep->se_next;
	if ((bigger = reallocarray(e->index, e->n + 1,
	    sizeof(*e->index))) == NULL) {
		r->bad = 1;
		return;
	}
	e->index = bigger;
	e->index[e->n++] = sep;
}

static void
get_handback(struct record *r, struct upgrade_inheritance *ui)
{
	ui->ui_handback[0] = inherited_fd(r);
	ui->ui_handback[1] = inherited_fd(r);
}

/* One record; -1 when it is not one of this version's. */
static int
get_record(char *line, struct upgrade_inheritance *ui, struct entries *e,
    struct addr_table *t)
{
	struct record r = { .next = line };
	const char *kind = word(&r);

	if (kind == NULL)
		return -1;
	if (strcmp(kind, "ids") == 0)
		ui->ui_service_ids = unsigned64(&r);
	else if (strcmp(kind, "handback") == 0)
		get_handback(&r, ui);
	else if (strcmp(kind, "entry") == 0)
		add_entry(&r, e);
	else if (strcmp(kind, "child") == 0)
		get_child(&r, e->index, e->n);
	else if (strcmp(kind, "addr") == 0)
		get_address(&r, t);
	else
		return -1;
	return r.bad ? -1 : 0;
}

static void
read_description(FILE *f, struct addr_table *t,
    struct upgrade_inheritance *ui)
{
	struct entries e = { .tail = &ui->ui_entries };
	char *line = NULL;
	size_t size = 0;
	int lineno = 1;

	if (getline(&line, &size, f) == -1 ||
	    strncmp(line, UPGRADE_MAGIC "\n", sizeof(UPGRADE_MAGIC)) != 0)
		logmsg(LOG_ERR, "upgrade: the description is not of format "
		    "\"%s\": nothing inherited", UPGRADE_MAGIC);
	else
		while (getline(&line, &size, f) != -1) {
			lineno++;
			if (get_record(line, ui, &e, t) == -1) {
				logmsg(LOG_ERR, "upgrade: record %d of the "
				    "description is not understood: the "
				    "rest is not inherited", lineno);
				break;
			}
		}
	free(line);
	free(e.index);
}

int
upgrade_receive(struct addr_table *t, struct upgrade_inheritance *ui)
{
	const char *env = getenv(UPGRADE_ENV);
	const char *errstr;
	FILE *f;
	int fd;

	memset(ui, 0, sizeof(*ui));
	ui->ui_handback[0] = ui->ui_handback[1] = -1;
	if (env == NULL)
		return 0;
	fd = strtonum(env, STDERR_FILENO + 1, INT_MAX, &errstr);
	if (errstr != NULL || (f = fdopen(fd, "r")) == NULL)
		logmsg(LOG_ERR, "upgrade: %s=%s: %s, nothing inherited",
		    UPGRADE_ENV, env, errstr != NULL ? errstr :
		    strerror(errno));
	else {
		read_description(f, t, ui);
		fclose(f);
	}
	/* The servers it starts are not to take it for theirs. */
	unsetenv(UPGRADE_ENV);
	return 1;
}
