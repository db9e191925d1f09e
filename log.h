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

#endif
