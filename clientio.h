/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * clientio.h: a client's line and a reply, with a deadline, for the
 * builtins served in a child of their own (clientio.c).
 */
#ifndef INETD_CLIENTIO_H
#define INETD_CLIENTIO_H

#include <sys/types.h>

/*
 * A line read a byte at a time, so that nothing after its LF is taken
 * from the client, NUL-terminated without its CR LF; its length,
 * LINE_END at EOF, on an error or past timeout_ms, LINE_TOOLONG when
 * size - 1 bytes came without a LF.
 */
#define LINE_END	(-1)
#define LINE_TOOLONG	(-2)
ssize_t		 client_read_line(int fd, char *buf, size_t size,
		    int timeout_ms);
/* A write that gives up after timeout_ms: 0, or -1. */
int		 client_write(int fd, const char *buf, size_t len,
		    int timeout_ms);
/* Exits after the client has seen the end of the reply (a FIN). */
void		 client_linger_exit(int fd) __attribute__((noreturn));

#endif /* INETD_CLIENTIO_H */
