/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * util.h: the small helpers every layer of the daemon needs, written
 * once: the text and port of a socket address, the monotonic clock, and
 * the "FILE:LINE: NAME" place that starts every message about an entry.
 * Nothing here knows an inetd.conf entry: config.c and the daemon build
 * on these, never the other way round.
 */
#ifndef INETD_UTIL_H
#define INETD_UTIL_H

#include <sys/socket.h>
#include <netinet/in.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Room for "FILE:LINE: ", a path and a line number. */
#define FILE_LINE_MAX	(PATH_MAX + 16)
/*
 * Room for the name of an entry, "SERVICE/PROTO" (servtab_name()): a
 * service is a name, a port or a UNIX path, a protocol a short word.
 */
#define SVC_NAME_MAX	(PATH_MAX + 16)
/* Room for "FILE:LINE: SERVICE/PROTO" (msg_where(), servtab_where()). */
#define SVC_WHERE_MAX	(FILE_LINE_MAX + SVC_NAME_MAX)

/* An Internet socket address of either family. */
union sockaddr_any {
	struct sockaddr		sa;
	struct sockaddr_in	sin;
	struct sockaddr_in6	sin6;
};

/* The number of elements of an array (as the BSDs' <sys/param.h>). */
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/* Numeric text of an address ("127.0.0.1", "::1", a UNIX path). */
const char	*sockaddr_str(const struct sockaddr *sa, char *buf,
		    size_t size);
/* The port of an IPv4 or IPv6 address; -1 for any other family. */
int		 sockaddr_port(const struct sockaddr *sa);

/* CLOCK_MONOTONIC, which never steps: in s, ms and us. */
time_t		 monotonic_seconds(void);
long long	 monotonic_ms(void);
uint64_t	 monotonic_usec(void);

/*
 * "FILE:LINE: NAME", or "FILE:LINE" when name is NULL: where a message
 * about a line of a configuration file starts, before ": what".
 */
const char	*msg_where(char *buf, size_t size, const char *file, int line,
		    const char *name);

/*
 * " (N more since the last such message)", or "" when missed is 0: the
 * end of a message logged at most once an interval.
 */
const char	*missed_text(unsigned missed, char *buf, size_t size);
/*
 * Whether the len bytes at name are the name of a variable inetd sets
 * to describe a server's connection (REMOTE_ADDR, TCPREMOTEIP, ...).
 */
int		 conn_var_name(const char *name, size_t len);
/* Whether s is a non-empty string of ASCII digits. */
int		 all_digits(const char *s);
/* Whether a read or write that failed with errno may succeed later. */
int		 try_again_later(void);

#endif /* INETD_UTIL_H */
