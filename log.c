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
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define LOG_LINE_MAX	2048	/* bytes sent for a message; longer is cut */
#define LOG_DROP_SECONDS 10	/* between two "N log messages dropped" */

struct log_line {
	char		 buf[LOG_LINE_MAX];
	size_t		 len;
	size_t		 tag;		/* where "IDENT[PID]: " starts */
};

static struct {
	const char	*ident;
	int		 option;	/* LOG_PID, LOG_PERROR */
	int		 facility;	/* of messages that name none */
	int		 fd;
	unsigned long	 dropped;	/* since the last report */
	unsigned long	 dropped_total;	/* since the start */
	time_t		 next_report;	/* monotonic seconds */
} lg = { NULL, 0, LOG_USER, -1, 0, 0, 0 };

/* Where LOG_PERROR copies messages (logperror()). */
static int		 perror_fd = STDERR_FILENO;

static void	log_vappend(struct log_line *, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));
static void	log_append(struct log_line *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	log_compose(struct log_line *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

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
	log_append(l, "%s", lg.ident != NULL ? lg.ident :
	    program_invocation_short_name);
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

static int
log_connect(void)
{
	struct sockaddr_un sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, _PATH_LOG, sizeof(sun.sun_path));
	if ((lg.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(lg.fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		logclose();
		return -1;
	}
	return 0;
}

/* 0 if sent, -1 if dropped. */
static int
log_send(const struct log_line *l)
{
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		if (lg.fd == -1 && log_connect() == -1)
			return -1;
		if (send(lg.fd, l->buf, l->len, MSG_DONTWAIT | MSG_NOSIGNAL) !=
		    -1)
			return 0;
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ENOBUFS)
			return -1;	/* full: syslogd is behind */
		logclose();		/* gone: a new socket, once */
	}
	return -1;
}

/*
 * The count of dropped messages goes first, when its time has come:
 * 0 if it went or must wait, -1 if the socket is still full.
 */
static int
log_report_drops(void)
{
	struct log_line l;
	time_t now;

	if (lg.dropped == 0 || (now = monotonic_seconds()) < lg.next_report)
		return 0;
	log_compose(&l, LOG_WARNING, "%lu log message%s dropped",
	    lg.dropped, lg.dropped == 1 ? "" : "s");
	if (log_send(&l) == -1)
		return -1;
	lg.dropped = 0;
	lg.next_report = now + LOG_DROP_SECONDS;
	return 0;
}

void
vlogmsg(int priority, const char *fmt, va_list ap)
{
	int saved_errno = errno;
	struct log_line l;

	log_vcompose(&l, priority, fmt, ap);
	if (lg.option & LOG_PERROR)
		dprintf(perror_fd, "%.*s\n", (int)(l.len - l.tag),
		    l.buf + l.tag);
	if ((log_report_drops() == -1 || log_send(&l) == -1) &&
	    lg.dropped < ULONG_MAX) {
		lg.dropped++;
		lg.dropped_total++;
	}
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
		(void)log_connect();
}

void
logperror(int fd)
{
	perror_fd = fd != -1 ? fd : STDERR_FILENO;
}

void
logclose(void)
{
	if (lg.fd != -1)
		(void)close(lg.fd);
	lg.fd = -1;
}
