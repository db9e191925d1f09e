/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * listenopts.c: what NetBSD's fields and keys set on an entry's
 * listening socket, parsed the same for both notations: its buffer
 * sizes ("tcp,sndbuf=64k", sndbuf = 64k), its accept limit
 * ("stream,4", accept_max = 4) and its accept filter
 * ("stream:dataready", acceptfilter = dataready).  inetd.c applies them
 * when it opens the socket.
 */

#include <sys/socket.h>

#include <limits.h>
#include <string.h>

#include "config.h"
#include "parser.h"

/*
 * NetBSD's accept filters wait for a connection's first data; Linux
 * has one such mechanism, which both names stand for.
 */
int
entry_accept_filter(struct entry *e, const char *name)
{
	if (strcmp(name, "dataready") != 0 && strcmp(name, "httpready") != 0) {
		entry_error(e, "accept filter '%s' is not supported on Linux "
		    "(dataready and httpready are, as TCP_DEFER_ACCEPT)", name);
		return -1;
	}
	e->se->se_deferaccept = 1;
	return 0;
}

/* NetBSD's "socket-type[,accept-max][:accept-filter]", after the type. */
int
entry_socktype_extras(struct entry *e, char sep, char *rest)
{
	char *filter = rest;

	if (sep == ',' && (filter = strchr(rest, ':')) != NULL)
		*filter++ = '\0';
	if (sep == ',' && entry_limit(e, "accept-max", rest, NULL,
	    CONF_MAXCHILD, &e->se->se_maxchild) == -1)
		return -1;
	return filter != NULL ? entry_accept_filter(e, filter) : 0;
}

/*
 * Sizes are NetBSD's: bytes, or k, m or g of them, powers of 1024.  The
 * kernel caps what it grants at net.core.wmem_max and rmem_max.
 */
int
entry_size(struct entry *e, const char *what, const char *s, int *size)
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
		entry_error(e, "bad %s '%s': expected a number of bytes, "
		    "with k, m or g", what, s);
		return -1;
	}
	if (n > INT_MAX) {
		entry_error(e, "%s %s is too large (at most %d bytes)", what, s,
		    INT_MAX);
		return -1;
	}
	if (*size != 0) {
		entry_error(e, "%s given twice", what);
		return -1;
	}
	*size = n;
	return 0;
}

/* NetBSD's "protocol[,sndbuf=SIZE][,rcvbuf=SIZE]", after the protocol. */
int
entry_protocol_extras(struct entry *e, char *rest)
{
	char *next, *value;
	int rc;

	for (; rest != NULL; rest = next) {
		if ((next = strchr(rest, ',')) != NULL)
			*next++ = '\0';
		if ((value = strchr(rest, '=')) != NULL)
			*value++ = '\0';
		if (value != NULL && strcmp(rest, "sndbuf") == 0)
			rc = entry_size(e, "sndbuf", value, &e->se->se_sndbuf);
		else if (value != NULL && strcmp(rest, "rcvbuf") == 0)
			rc = entry_size(e, "rcvbuf", value, &e->se->se_rcvbuf);
		else {
			entry_error(e, "unknown protocol option '%s' (expected "
			    "sndbuf=SIZE or rcvbuf=SIZE)", rest);
			rc = -1;
		}
		if (rc == -1)
			return -1;
	}
	return 0;
}

/* Options of the listening socket need one of its own, and TCP's. */
int
entry_check_listener(struct entry *e)
{
	const struct servtab *se = e->se;

	if (se->se_tcpmux != TCPMUX_NONE && (se->se_sndbuf != 0 ||
	    se->se_rcvbuf != 0 || se->se_deferaccept)) {
		entry_error(e, "a tcpmux service has no socket of its own: no "
		    "buffer sizes or accept filter");
		return -1;
	}
	if (se->se_deferaccept && (se->se_socktype != SOCK_STREAM ||
	    se->se_family == AF_UNIX)) {
		entry_error(e, "an accept filter needs a TCP socket");
		return -1;
	}
	return 0;
}
