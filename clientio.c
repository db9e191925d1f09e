/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * clientio.c: reading and writing a client's connection in a child of
 * the daemon (auth, tcpmux), where blocking is allowed, but only until
 * a deadline, so that a client that says nothing cannot keep the child.
 */
#include <sys/socket.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <unistd.h>

#include "clientio.h"
#include "util.h"

/* 0 once fd is ready for events (or in error), -1 past the deadline. */
static int
wait_fd(int fd, short events, long long deadline)
{
	struct pollfd pfd;
	long long left;
	int n;

	for (;;) {
		if ((left = deadline - monotonic_ms()) <= 0)
			return -1;
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			return 0;
		if (n == -1 && errno != EINTR)
			return -1;
	}
}

ssize_t
client_read_line(int fd, char *buf, size_t size, int timeout_ms)
{
	long long deadline = monotonic_ms() + timeout_ms;
	size_t len = 0;
	ssize_t n;
	char c;

	for (;;) {
		if (wait_fd(fd, POLLIN, deadline) == -1)
			return LINE_END;
		if ((n = read(fd, &c, 1)) == -1 && try_again_later())
			continue;
		if (n <= 0)
			return LINE_END;
		if (c == '\n')
			break;
		if (len == size - 1)
			return LINE_TOOLONG;
		buf[len++] = c;
	}
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	return len;
}

int
client_write(int fd, const char *buf, size_t len, int timeout_ms)
{
	long long deadline = monotonic_ms() + timeout_ms;
	ssize_t n;

	while (len > 0) {
		if (wait_fd(fd, POLLOUT, deadline) == -1)
			return -1;
		n = send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n == -1) {
			if (try_again_later())
				continue;
			return -1;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

/*
 * The client may have sent more than was read: closing with unread
 * input resets the connection, and a reset can destroy the reply before
 * the client has read it.  So the reply ends with a FIN, and the input
 * is read and thrown away until the client closes, for a bounded time.
 */
#define LINGER_MS	2000
#define LINGER_MAX	65536	/* bytes thrown away at most */

void
client_linger_exit(int fd)
{
	long long deadline = monotonic_ms() + LINGER_MS;
	size_t total = 0;
	char buf[512];
	ssize_t n;

	(void)shutdown(fd, SHUT_WR);
	while (total < LINGER_MAX && wait_fd(fd, POLLIN, deadline) == 0 &&
	    (n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	_exit(0);
}
