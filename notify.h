/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * notify.h: sd_notify(3) and the watchdog of a systemd unit (notify.c).
 * Without $NOTIFY_SOCKET every call does nothing.
 */
#ifndef INETD_NOTIFY_H
#define INETD_NOTIFY_H

/* At startup: the socket and watchdog systemd names; their variables go. */
void		 notify_open(void);
/* One datagram of "KEY=value" lines. */
void		 notify(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
void		 notify_reloading(void);
/* Upgrade: on, the variables for the new image's exec; off, gone. */
void		 notify_pass_on(int on);
/*
 * When the loop must wake to ping the watchdog, in monotonic ms (0:
 * never); then watchdog_ping() after each wake-up.
 */
long long	 watchdog_deadline_ms(void);
void		 watchdog_ping(void);

#endif /* INETD_NOTIFY_H */
