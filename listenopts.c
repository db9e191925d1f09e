/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * listenopts.c: the values of what NetBSD's fields and keys set on an
 * entry's listening socket, the same for both notations: its buffer
 * sizes ("tcp,sndbuf=64k", sndbuf = 64k) and its accept filter
 * ("stream:dataready", acceptfilter = dataready), and whether the entry
 * has the socket they need.  The parsers (config.c, keyvalues.c) put
 * them in the entry, inetd.c on the socket when it opens it.
 */

#include <sys/socket.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "listenopts.h"

int
listen_size(const char *what, const char *s, int *size, char *why,
    size_t len)
{
	static const char units[] = "kmg";
	const char *unit;
	long long n = 0;
	size_t i;

	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++)
		if (n <= INT_MAX)
			n = n * 10 + (s[i] - '0');
	if (i > 0 && s[i] != '\0' && s[i + 1] == '\0' &&
	    (unit = strchr(units, s[i] | 0x20)) != NULL) {
		if (n <= INT_MAX)
			n <<= 10 * (unit - units + 1);
		i++;
	}
	if (i == 0 || s[i] != '\0' || n == 0) {
		snprintf(why, len, "bad %s '%s': expected a number of bytes, "
		    "with k, m or g", what, s);
		return -1;
	}
	if (n > INT_MAX) {
		snprintf(why, len, "%s %s is too large (at most %d bytes)",
		    what, s, INT_MAX);
		return -1;
	}
	*size = n;
	return 0;
}

int
listen_filter(const char *name, int *defer, char *why, size_t len)
{
	if (strcmp(name, "dataready") != 0 && strcmp(name, "httpready") != 0) {
		snprintf(why, len, "accept filter '%s' is not supported on "
		    "Linux (dataready and httpready are, as TCP_DEFER_ACCEPT)",
		    name);
		return -1;
	}
	*defer = 1;
	return 0;
}

int
listen_check(const struct servtab *se, char *why, size_t len)
{
	if (se->se_tcpmux != TCPMUX_NONE && (se->se_sndbuf != 0 ||
	    se->se_rcvbuf != 0 || se->se_deferaccept)) {
		snprintf(why, len, "a tcpmux service has no socket of its "
		    "own: no buffer sizes or accept filter");
		return -1;
	}
	if (se->se_deferaccept && (se->se_socktype != SOCK_STREAM ||
	    se->se_family == AF_UNIX)) {
		snprintf(why, len, "an accept filter needs a TCP socket");
		return -1;
	}
	return 0;
}
