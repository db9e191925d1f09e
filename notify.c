/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * notify.c: systemd's notification protocol and watchdog, for a
 * Type=notify unit, without libsystemd.  The daemon says when it is
 * ready, reloading and stopping, and pings the watchdog from its main
 * loop, so that a loop that hangs gets the daemon restarted.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"
#include "util.h"

/* systemd's notification socket ($NOTIFY_SOCKET), see sd_notify(3). */
static int		 notify_fd = -1;
static struct sockaddr_un notify_addr;
static socklen_t	 notify_addrlen;
static int		 notify_failed_logged;
static uint64_t		 watchdog_usec;	/* ping interval, 0: none */
static uint64_t		 watchdog_due;	/* next ping, monotonic us */
/* The variables as systemd gave them, for the image of an upgrade. */
static char		*given_socket, *given_watchdog;

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
void
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
	if (notify_fd != -1) {
		given_socket = strdup(path);
		if (watchdog_usec != 0 && getenv("WATCHDOG_USEC") != NULL)
			given_watchdog = strdup(getenv("WATCHDOG_USEC"));
	}
	notify_pass_on(0);
}

/*
 * The image that replaces this one (upgrade.c) is the unit's main
 * process too: it gets the variables back for its exec, which they
 * leave again if the exec fails.
 */
void
notify_pass_on(int on)
{
	char pid[16];

	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	if (!on || given_socket == NULL)
		return;
	(void)setenv("NOTIFY_SOCKET", given_socket, 1);
	if (given_watchdog == NULL)
		return;
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	(void)setenv("WATCHDOG_USEC", given_watchdog, 1);
	(void)setenv("WATCHDOG_PID", pid, 1);
}

void
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
long long
watchdog_deadline_ms(void)
{
	if (watchdog_usec == 0)
		return 0;
	/* Rounded up: waking before the ping is due would only spin. */
	return (long long)((watchdog_due + 999) / 1000);
}

/* From the main loop: a loop that hangs stops pinging. */
void
watchdog_ping(void)
{
	uint64_t now_usec;

	if (watchdog_usec == 0 || (now_usec = monotonic_usec()) < watchdog_due)
		return;
	notify("WATCHDOG=1");
	watchdog_due = now_usec + watchdog_usec;
}

/* SIGHUP: systemd shows the unit reloading until the next READY=1. */
void
notify_reloading(void)
{
	notify("RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)monotonic_usec());
}
