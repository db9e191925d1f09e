/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * exitlog.h: a server's exit in the log (exitlog.c).
 */
#ifndef INETD_EXITLOG_H
#define INETD_EXITLOG_H

struct child;
struct servtab;

/*
 * Failed exits (a status other than 0, or a signal) logged per entry in
 * a window; those past it are counted, and the count logged once.
 */
#define EXIT_LOG_MAX	10
#define EXIT_LOG_SECONDS 10

/*
 * The child of sep that was reaped with status: logged if it failed,
 * and with log_each (-l) in any case.
 */
void		 exit_log(struct servtab *sep, const struct child *ch,
		    int status, int log_each);
/* The counts of windows now over, for the entries of the list. */
void		 exit_log_run(struct servtab *list);
/* When exit_log_run() has a count to log, in monotonic ms; 0: never. */
long long	 exit_log_deadline(void);

#endif /* INETD_EXITLOG_H */
