/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tcpmux.c: the tcpmux builtin (RFC 1078), all of it.
 *
 * The client names a service on a line of its own, and gets the server
 * of the entry offering that name, "tcpmux/NAME" in the service field.
 * The name is read in a child of the daemon's, which may wait for it
 * (tcpmux_serve, a row of the builtins table); the child hands the
 * connection back to the daemon (handback.c), which serves it as one of
 * the chosen entry's, with its limits: tcpmux_chosen() finds the entry
 * again, the daemon's hand-back handler admits the client and starts
 * the server.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "clientio.h"
#include "config.h"
#include "ratelimit.h"
#include "tcpmux.h"

#define TCPMUX_TIMEOUT_MS	10000	/* for the client to name a service */
#define TCPMUX_DRAIN_READS	4	/* of what a turned-away client sent */

/* An entry's name: its service field after "tcpmux/" and any "+". */
static const char *
tcpmux_name(const struct servtab *sep)
{
	const char *name = sep->se_service + sizeof("tcpmux/") - 1;

	return sep->se_tcpmux == TCPMUX_PLUS ? name + 1 : name;
}

/* The first entry offering name; names are compared without case. */
static const struct servtab *
tcpmux_find(const struct servtab *services, const char *name)
{
	const struct servtab *sep;

	for (sep = services; sep != NULL; sep = sep->se_next)
		if (sep->se_tcpmux != TCPMUX_NONE &&
		    strcasecmp(tcpmux_name(sep), name) == 0)
			return sep;
	return NULL;
}

/* "help": each name offered, once, a line each. */
static void
tcpmux_help(int fd, const struct servtab *services)
{
	char line[TCPMUX_NAME_MAX + 3];
	const struct servtab *sep;
	int n;

	for (sep = services; sep != NULL; sep = sep->se_next) {
		if (sep->se_tcpmux == TCPMUX_NONE ||
		    tcpmux_find(services, tcpmux_name(sep)) != sep)
			continue;
		n = snprintf(line, sizeof(line), "%s\r\n", tcpmux_name(sep));
		if (n < 0 || (size_t)n >= sizeof(line) ||
		    client_write(fd, line, n, TCPMUX_TIMEOUT_MS) == -1)
			return;
	}
}

/*
 * A client turned away: the reply, then a FIN, and what the client sent
 * past its name is read, so that the close does not reset the
 * connection and lose the reply.  tcpmux's child may wait up to
 * timeout_ms for the reply to go (and lingers after); the daemon, with
 * 0, must not wait: it sends what the socket takes now.
 */
void
tcpmux_refuse(int fd, const char *reply, int timeout_ms)
{
	char buf[4096];
	int i;

	if (timeout_ms > 0)
		(void)client_write(fd, reply, strlen(reply), timeout_ms);
	else
		(void)send(fd, reply, strlen(reply),
		    MSG_DONTWAIT | MSG_NOSIGNAL);
	(void)shutdown(fd, SHUT_WR);
	for (i = 0; i < TCPMUX_DRAIN_READS; i++)
		if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
			break;
}

/* In tcpmux's child: the reply, and the child is done. */
static void __attribute__((noreturn))
tcpmux_turn_away(int fd, const char *reply)
{
	tcpmux_refuse(fd, reply, TCPMUX_TIMEOUT_MS);
	client_linger_exit(fd);
}

/*
 * The name is read a byte at a time, so that what the client sends
 * after it is left for the server.
 */
const struct servtab *
tcpmux_serve(const struct servtab *sep, int fd,
    const struct servtab *services)
{
	char name[TCPMUX_NAME_MAX + 2];		/* and a CR */
	const struct servtab *chosen;
	ssize_t len;

	(void)sep;
	len = client_read_line(fd, name, sizeof(name), TCPMUX_TIMEOUT_MS);
	if (len == LINE_TOOLONG)
		tcpmux_turn_away(fd, "-Service name too long\r\n");
	if (len == LINE_END)
		_exit(0);
	if (strcasecmp(name, "help") == 0) {
		tcpmux_help(fd, services);
		client_linger_exit(fd);
	}
	if ((size_t)len != strlen(name) ||
	    (chosen = tcpmux_find(services, name)) == NULL)
		tcpmux_turn_away(fd, TCPMUX_UNAVAILABLE);
	return chosen;
}

int
tcpmux_go(const struct servtab *sep, int fd)
{
	if (sep->se_tcpmux != TCPMUX_PLUS)
		return 0;
	return client_write(fd, "+Go\r\n", 5, TCPMUX_TIMEOUT_MS);
}

/* The entry offered under that service field ("tcpmux/+NAME"), now. */
static struct servtab *
tcpmux_entry(struct servtab *services, const char *service)
{
	struct servtab *sep;

	for (sep = services; sep != NULL; sep = sep->se_next)
		if (sep->se_tcpmux != TCPMUX_NONE &&
		    strcmp(sep->se_service, service) == 0)
			return sep;
	return NULL;
}

struct servtab *
tcpmux_chosen(struct servtab *services, const char *service, int fd,
    struct sockaddr_storage *peer)
{
	socklen_t len = sizeof(*peer);
	struct servtab *sep;

	memset(peer, 0, sizeof(*peer));
	if (getpeername(fd, (struct sockaddr *)peer, &len) == -1)
		return NULL;		/* the client has gone */
	if ((sep = tcpmux_entry(services, service)) == NULL ||
	    svc_looping(sep)) {
		tcpmux_refuse(fd, TCPMUX_UNAVAILABLE, 0);
		return NULL;
	}
	return sep;
}
