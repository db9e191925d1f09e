/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_tcpmux.c: libFuzzer harness for the line reader of the tcpmux
 * and auth builtins, client_read_line(), with tcpmux's buffer.
 *
 * The input is what a client sends before it closes: it is written to a
 * socket pair and read back a line at a time, as tcpmux reads the name
 * of a service (and auth its queries), until the end or a line too
 * long.  Each result must be the one the bytes call for: the line
 * without its LF and one CR, NUL-terminated, or LINE_TOOLONG for more
 * than the buffer holds; and nothing past the LF of the last line read
 * may be taken from the client, since it belongs to the server.
 */
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clientio.h"
#include "config.h"

#define READ_TIMEOUT_MS	1000	/* the bytes are all there already */

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What client_read_line() must return for the bytes at data. */
static ssize_t
expected_line(const uint8_t *data, size_t left, size_t bufsize,
    size_t *taken)
{
	const uint8_t *lf = memchr(data, '\n', left);
	size_t len = lf != NULL ? (size_t)(lf - data) : left;

	if (len > bufsize - 1) {
		*taken = bufsize;	/* bufsize - 1 kept, one more seen */
		return LINE_TOOLONG;
	}
	if (lf == NULL) {
		*taken = left;
		return LINE_END;
	}
	*taken = len + 1;
	return len > 0 && data[len - 1] == '\r' ? (ssize_t)len - 1 :
	    (ssize_t)len;
}

/* What the client sent after the lines read is still to be read. */
static void
check_rest(int fd, const uint8_t *rest, size_t left)
{
	uint8_t *got = malloc(left + 1);
	size_t n = 0;
	ssize_t r;

	if (got == NULL)
		abort();
	while ((r = read(fd, got + n, left + 1 - n)) > 0)
		n += r;
	if (r == -1 || n != left || memcmp(got, rest, left) != 0)
		abort();
	free(got);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[TCPMUX_NAME_MAX + 2];		/* as tcpmux_serve() */
	size_t off = 0, taken;
	ssize_t want, got;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		abort();
	/* Inputs are at most -max_len bytes: the socket holds them. */
	if (write(sv[1], data, size) != (ssize_t)size ||
	    shutdown(sv[1], SHUT_WR) == -1)
		abort();
	do {
		want = expected_line(data + off, size - off, sizeof(line),
		    &taken);
		got = client_read_line(sv[0], line, sizeof(line),
		    READ_TIMEOUT_MS);
		if (got != want || (got >= 0 && (line[got] != '\0' ||
		    memcmp(line, data + off, got) != 0)))
			abort();
		off += taken;
	} while (got >= 0);
	check_rest(sv[0], data + off, size - off);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
