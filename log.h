/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * log.h: the daemon's messages, sent to syslogd (/dev/log) in the
 * format of syslog(3), without ever blocking.
 *
 * logopen(), logclose(), logmsg() and vlogmsg() take the arguments of
 * openlog(), closelog(), syslog() and vsyslog() (options LOG_PID,
 * LOG_NDELAY and LOG_PERROR), so that logmsg can be a conf_report_fn.
 * What the log socket cannot take at once is dropped and counted, and
 * the count logged once the socket takes messages again.  Messages go
 * through logmsg() everywhere; with -d (and until the daemon detaches)
 * logopen(LOG_PERROR) copies them to stderr.
 */
#ifndef INETD_LOG_H
#define INETD_LOG_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <syslog.h>

void	logopen(const char *ident, int option, int facility);
void	logclose(void);
void	logmsg(int priority, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	vlogmsg(int priority, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));
/*
 * Where LOG_PERROR copies messages: fd, or stderr for -1.  The stderr of
 * a child of the daemon's is its client; with -d the child copies its
 * messages to the daemon's stderr instead.
 */
void	logperror(int fd);
/* Messages dropped since the start (the stats builtin reports it). */
unsigned long log_dropped(void);

/*
 * A line about a connection or a server's exit: with the journal as the
 * log, its fields go with it; else it is a message as any other.
 */
#define LOG_EVENT_EXIT	0x1	/* le_pid, le_status */
#define LOG_EVENT_DURATION 0x2	/* le_ms */
#define LOG_EVENT_BYTES	0x4	/* le_bytes_in, le_bytes_out */

struct log_event {
	const char	*le_service;	/* SERVICE= */
	const struct sockaddr *le_peer;	/* REMOTE_ADDR=; NULL: none */
	unsigned	 le_has;	/* which of those below are set */
	pid_t		 le_pid;	/* PID= */
	int		 le_status;	/* of waitpid(): EXIT_CODE=, ... */
	long long	 le_ms;		/* DURATION_MS= */
	unsigned long long le_bytes_in;	/* BYTES_IN=: from the client */
	unsigned long long le_bytes_out; /* BYTES_OUT=: to it */
};

void	logevent(int priority, const struct log_event *ev, const char *fmt,
	    ...) __attribute__((format(printf, 3, 4)));
/*
 * Lines of logevent() go to the journal's socket at path (NULL: they
 * go to syslogd as the others): when the standard error is the
 * journal's (journal_stderr()).
 */
void	logjournal(const char *path);

/* Room for a client's address and port in a message. */
#define LOG_CLIENT_MAX	(INET6_ADDRSTRLEN + sizeof(" port 65535"))
/*
 * -H: no message shows a client's address or port, and no journal
 * field.  Every message that names a client formats it with these:
 * "ADDR port N" (sockaddr_text()), "ADDR" (sockaddr_str()), or
 * "(hidden)".
 */
void	logprivate(int on);
const char *log_client(const struct sockaddr *sa, char *buf, size_t size);
const char *log_client_addr(const struct sockaddr *sa, char *buf,
	    size_t size);

#endif
