/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * log.c: messages to syslogd that never block the daemon.
 *
 * glibc's syslog() waits while the queue of /dev/log is full, as it is
 * when journald or rsyslogd is stalled; with -l (a message for each
 * connection) the daemon would stop serving until the log moved again.
 * Here the socket is non-blocking: a message that does not fit at once
 * is dropped and counted, and the count is logged as soon as a message
 * fits again, then at most every LOG_DROP_SECONDS.  The lines are those
 * of syslog(3), "<PRI>Mmm dd hh:mm:ss IDENT[PID]: MESSAGE".
 *
 * The socket is made on the first message (or by logopen() with
 * LOG_NDELAY), close-on-exec, so that no server inherits it, and made
 * again when syslogd is gone: a restarted one listens on a new socket.
 * A datagram socket only: a stream could take half a message and then
 * block, and journald and rsyslogd both read datagrams on /dev/log.
 *
 * When the journal is the log (logjournal()), the lines about a
 * connection or a server's exit (logevent()) go to it natively, with
 * their fields, on a second socket made and treated the same way.  With
 * logprivate() (-H), the clients' addresses are left out of every line.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"
#include "util.h"

#define LOG_LINE_MAX	2048	/* bytes sent for a message; longer is cut */
#define LOG_DROP_SECONDS 10	/* between two "N log messages dropped" */

struct log_line {
	char		 buf[LOG_LINE_MAX];
	size_t		 len;
	size_t		 tag;		/* where "IDENT[PID]: " starts */
};

/* Where messages go: syslogd, or the journal. */
struct log_dest {
	const char	*path;		/* NULL: not used */
	int		 fd;
};

static struct {
	const char	*ident;
	int		 option;	/* LOG_PID, LOG_PERROR */
	int		 facility;	/* of messages that name none */
	int		 private;	/* no client addresses */
	unsigned long	 dropped;	/* since the last report */
	unsigned long	 dropped_total;	/* since the start */
	time_t		 next_report;	/* monotonic seconds */
} lg = { NULL, 0, LOG_USER, 0, 0, 0, 0 };

static struct log_dest	 syslogd = { _PATH_LOG, -1 };
static struct log_dest	 journal = { NULL, -1 };

/* Where LOG_PERROR copies messages (logperror()). */
static int		 perror_fd = STDERR_FILENO;

static void	log_vappend(struct log_line *, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));
static void	log_append(struct log_line *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	log_compose(struct log_line *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static const char *
log_ident(void)
{
	return lg.ident != NULL ? lg.ident : program_invocation_short_name;
}

/* Adds to the line what fits of the text, cut as snprintf() cuts it. */
static void
log_vappend(struct log_line *l, const char *fmt, va_list ap)
{
	size_t room = sizeof(l->buf) - l->len;
	int n;

	n = vsnprintf(l->buf + l->len, room, fmt, ap);
	if (n > 0)
		l->len += (size_t)n < room ? (size_t)n : room - 1;
}

static void
log_append(struct log_line *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vappend(l, fmt, ap);
	va_end(ap);
}

static void
log_vcompose(struct log_line *l, int priority, const char *fmt, va_list ap)
{
	int saved_errno = errno;
	time_t now = time(NULL);
	char stamp[32];
	struct tm tm;

	if ((priority & LOG_FACMASK) == 0)
		priority |= lg.facility;
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%h %e %T", &tm) == 0)
		stamp[0] = '\0';
	l->len = 0;
	log_append(l, "<%d>%s ", priority & (LOG_PRIMASK | LOG_FACMASK),
	    stamp);
	l->tag = l->len;
	log_append(l, "%s", log_ident());
	if (lg.option & LOG_PID)
		log_append(l, "[%d]", (int)getpid());
	log_append(l, ": ");
	errno = saved_errno;		/* for %m */
	log_vappend(l, fmt, ap);
}

static void
log_compose(struct log_line *l, int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vcompose(l, priority, fmt, ap);
	va_end(ap);
}

static void
log_disconnect(struct log_dest *d)
{
	if (d->fd != -1)
		(void)close(d->fd);
	d->fd = -1;
}

static int
log_connect(struct log_dest *d)
{
	struct sockaddr_un sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, d->path, sizeof(sun.sun_path));
	if ((d->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(d->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		log_disconnect(d);
		return -1;
	}
	return 0;
}

/* 0 if sent, -1 if dropped. */
static int
log_send(struct log_dest *d, const void *buf, size_t len)
{
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		if (d->fd == -1 && log_connect(d) == -1)
			return -1;
		if (send(d->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) != -1)
			return 0;
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ENOBUFS)
			return -1;	/* full: the logger is behind */
		log_disconnect(d);	/* gone: a new socket, once */
	}
	return -1;
}

/* The fields every message to the journal has. */
static void
journal_compose(struct journal_msg *m, int priority, const char *msg)
{
	if ((priority & LOG_FACMASK) == 0)
		priority |= lg.facility;
	journal_begin(m);
	journal_field(m, "MESSAGE", msg);
	journal_fieldf(m, "PRIORITY", "%d", LOG_PRI(priority));
	journal_fieldf(m, "SYSLOG_FACILITY", "%d", LOG_FAC(priority));
	journal_field(m, "SYSLOG_IDENTIFIER", log_ident());
}

/*
 * The count of dropped messages goes first, to where the message goes,
 * when its time has come: 0 if it went or must wait, -1 if the socket
 * is still full.
 */
static int
log_report_drops(struct log_dest *d)
{
	struct journal_msg m;
	struct log_line l;
	char text[64];
	time_t now;
	int sent;

	if (lg.dropped == 0 || (now = monotonic_seconds()) < lg.next_report)
		return 0;
	snprintf(text, sizeof(text), "%lu log message%s dropped", lg.dropped,
	    lg.dropped == 1 ? "" : "s");
	if (d == &journal) {
		journal_compose(&m, LOG_WARNING, text);
		sent = log_send(d, m.jm_buf, m.jm_len);
	} else {
		log_compose(&l, LOG_WARNING, "%s", text);
		sent = log_send(d, l.buf, l.len);
	}
	if (sent == -1)
		return -1;
	lg.dropped = 0;
	lg.next_report = now + LOG_DROP_SECONDS;
	return 0;
}

/* The copy on the standard error: the line from "IDENT[PID]: " on. */
static void
log_perror(const struct log_line *l)
{
	dprintf(perror_fd, "%.*s\n", (int)(l->len - l->tag), l->buf + l->tag);
}

/* A message to d, after the count of those dropped; else counted. */
static void
log_deliver(struct log_dest *d, const void *buf, size_t len)
{
	if ((log_report_drops(d) == -1 || log_send(d, buf, len) == -1) &&
	    lg.dropped < ULONG_MAX) {
		lg.dropped++;
		lg.dropped_total++;
	}
}

void
vlogmsg(int priority, const char *fmt, va_list ap)
{
	int saved_errno = errno;
	struct log_line l;

	log_vcompose(&l, priority, fmt, ap);
	if (lg.option & LOG_PERROR)
		log_perror(&l);
	log_deliver(&syslogd, l.buf, l.len);
	errno = saved_errno;
}

unsigned long
log_dropped(void)
{
	return lg.dropped_total;
}

void
logmsg(int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlogmsg(priority, fmt, ap);
	va_end(ap);
}

/* A process that opens the log anew (a child) counts its own drops. */
void
logopen(const char *ident, int option, int facility)
{
	logclose();
	lg.ident = ident;
	lg.option = option;
	if (facility != 0 && (facility & ~LOG_FACMASK) == 0)
		lg.facility = facility;
	lg.dropped = 0;
	lg.next_report = 0;
	if (option & LOG_NDELAY)
		(void)log_connect(&syslogd);
}

void
logperror(int fd)
{
	perror_fd = fd != -1 ? fd : STDERR_FILENO;
}

void
logclose(void)
{
	log_disconnect(&syslogd);
	log_disconnect(&journal);
}

void
logjournal(const char *path)
{
	log_disconnect(&journal);
	journal.path = path;
}

void
logprivate(int on)
{
	lg.private = on;
}

/* text's words for the address, or "(hidden)" with -H. */
static const char *
log_client_as(const char *(*text)(const struct sockaddr *, char *, size_t),
    const struct sockaddr *sa, char *buf, size_t size)
{
	if (!lg.private)
		return text(sa, buf, size);
	snprintf(buf, size, "(hidden)");
	return buf;
}

const char *
log_client(const struct sockaddr *sa, char *buf, size_t size)
{
	return log_client_as(sockaddr_text, sa, buf, size);
}

const char *
log_client_addr(const struct sockaddr *sa, char *buf, size_t size)
{
	return log_client_as(sockaddr_str, sa, buf, size);
}

/* What systemd says of a process that ended: its EXIT_CODE= words. */
static void
journal_exit(struct journal_msg *m, pid_t pid, int status)
{
	journal_fieldf(m, "PID", "%d", (int)pid);
	if (WIFSIGNALED(status)) {
		journal_field(m, "EXIT_CODE", WCOREDUMP(status) ? "dumped" :
		    "killed");
		journal_fieldf(m, "EXIT_STATUS", "%d", WTERMSIG(status));
	} else {
		journal_field(m, "EXIT_CODE", "exited");
		journal_fieldf(m, "EXIT_STATUS", "%d", WEXITSTATUS(status));
	}
}

static void
journal_event(struct journal_msg *m, const struct log_event *ev)
{
	char addr[INET6_ADDRSTRLEN + 1];
	int port;

	journal_field(m, "SERVICE", ev->le_service);
	if (ev->le_peer != NULL && !lg.private &&
	    (port = sockaddr_port(ev->le_peer)) != -1) {
		journal_field(m, "REMOTE_ADDR", sockaddr_str(ev->le_peer, addr,
		    sizeof(addr)));
		journal_fieldf(m, "REMOTE_PORT", "%d", port);
	}
	if (ev->le_has & LOG_EVENT_EXIT)
		journal_exit(m, ev->le_pid, ev->le_status);
	if (ev->le_has & LOG_EVENT_DURATION)
		journal_fieldf(m, "DURATION_MS", "%lld", ev->le_ms);
	if (ev->le_has & LOG_EVENT_BYTES) {
		journal_fieldf(m, "BYTES_IN", "%llu", ev->le_bytes_in);
		journal_fieldf(m, "BYTES_OUT", "%llu", ev->le_bytes_out);
	}
}

void
logevent(int priority, const struct log_event *ev, const char *fmt, ...)
{
	int saved_errno = errno;
	struct journal_msg m;
	struct log_line l;
	char msg[LOG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	if (journal.path == NULL) {
		vlogmsg(priority, fmt, ap);
		va_end(ap);
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	journal_compose(&m, priority, msg);
	journal_event(&m, ev);
	if (lg.option & LOG_PERROR) {
		log_compose(&l, priority, "%s", msg);
		log_perror(&l);
	}
	log_deliver(&journal, m.jm_buf, m.jm_len);
	errno = saved_errno;
}
