/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * listenopts.h: the values of the options of an entry's listening
 * socket that NetBSD's notations give (listenopts.c).  Each returns 0,
 * or -1 with why, which names no entry: the caller does.
 */
#ifndef INETD_LISTENOPTS_H
#define INETD_LISTENOPTS_H

#include <stddef.h>

struct servtab;

/*
 * A buffer size: bytes, or k, m or g of them, powers of 1024 as
 * NetBSD's, from 1 to INT_MAX.  The kernel caps what it grants at
 * net.core.wmem_max and rmem_max.
 */
int	listen_size(const char *what, const char *s, int *size, char *why,
	    size_t len);
/*
 * NetBSD's accept filters wait for a connection's first data; Linux
 * has one such mechanism, TCP_DEFER_ACCEPT, which dataready and
 * httpready stand for.  Others are refused.
 */
int	listen_filter(const char *name, int *defer, char *why, size_t len);
/* Whether the entry has the socket its options need: one, and TCP's. */
int	listen_check(const struct servtab *se, char *why, size_t len);

#endif /* INETD_LISTENOPTS_H */
