/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * listen.h: the listening socket of an entry (listen.c).
 */
#ifndef INETD_LISTEN_H
#define INETD_LISTEN_H

struct servtab;

#define LISTEN_BACKLOG	1024

/*
 * A socket for sep, with its options, bound, and listening if a stream
 * one: the descriptor, or -1 with errno and *what the step that failed
 * ("bind", ...), for a message about sep.
 */
int	listener_socket(struct servtab *sep, const char **what);
/*
 * What the entry's fields or keys set on a listening socket it has, or
 * takes over at a reload: buffer sizes, accept filter.
 */
int	listener_options(const struct servtab *sep, int fd);

#endif /* INETD_LISTEN_H */
