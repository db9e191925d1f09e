/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * util.c: helpers that the parser, the builtins and the daemon all
 * need, kept in one place so that each is written, and fixed, once.
 * They depend on libc alone.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util.h"

const char *
sockaddr_str(const struct sockaddr *sa, char *buf, size_t size)
{
	const struct sockaddr_un *sun;
	const struct sockaddr_in6 *sin6;
	socklen_t salen;

	switch (sa->sa_family) {
	case AF_UNIX:
		sun = (const struct sockaddr_un *)(const void *)sa;
		snprintf(buf, size, "%.*s",
		    (int)strnlen(sun->sun_path, sizeof(sun->sun_path)),
		    sun->sun_path);
		return buf;
	case AF_INET:
		salen = sizeof(struct sockaddr_in);
		break;
	case AF_INET6:
		/* An IPv4 client of a dual-stack socket, as admins know it. */
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			if (inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12],
			    buf, size) == NULL)
				strlcpy(buf, "?", size);
			return buf;
		}
		salen = sizeof(struct sockaddr_in6);
		break;
	default:
		snprintf(buf, size, "(address family %d)", sa->sa_family);
		return buf;
	}
	if (getnameinfo(sa, salen, buf, size, NULL, 0, NI_NUMERICHOST) != 0)
		strlcpy(buf, "?", size);
	return buf;
}

int
sockaddr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)sa)->
		    sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_port);
	return -1;
}

/* CLOCK_MONOTONIC cannot fail with a valid pointer: no error path. */
static struct timespec
monotonic_now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts;
}

time_t
monotonic_seconds(void)
{
	return monotonic_now().tv_sec;
}

long long
monotonic_ms(void)
{
	struct timespec ts = monotonic_now();

	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t
monotonic_usec(void)
{
	struct timespec ts = monotonic_now();

	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

const char *
msg_where(char *buf, size_t size, const char *file, int line,
    const char *name)
{
	if (name != NULL)
		snprintf(buf, size, "%s:%d: %s", file, line, name);
	else
		snprintf(buf, size, "%s:%d", file, line);
	return buf;
}

const char *
missed_text(unsigned missed, char *buf, size_t size)
{
	if (missed == 0)
		return "";
	snprintf(buf, size, " (%u more since the last such message)", missed);
	return buf;
}

int
all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

int
try_again_later(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

/*
 * What inetd sets to describe a server's connection (spawn.c), as
 * systemd and the UCSPI tools (tcpserver) name it.
 */
static const char *const conn_var_names[] = {
	"REMOTE_ADDR", "REMOTE_PORT", "PROTO",
	"TCPREMOTEIP", "TCPREMOTEPORT", "TCPLOCALIP", "TCPLOCALPORT",
	"TCP6REMOTEIP", "TCP6REMOTEPORT", "TCP6LOCALIP", "TCP6LOCALPORT",
};

int
conn_var_name(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < nitems(conn_var_names); i++)
		if (strlen(conn_var_names[i]) == len &&
		    strncmp(name, conn_var_names[i], len) == 0)
			return 1;
	return 0;
}
