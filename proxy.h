/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * proxy.h: the PROXY protocol headers the forward builtin sends before
 * a client's data, so that the target learns who the client is.
 */
#ifndef INETD_PROXY_H
#define INETD_PROXY_H

#include <sys/socket.h>
#include <netinet/in.h>
#include <stddef.h>

#include "util.h"

/*
 * The PROXY protocol header, version 1 or 2, for src talking to dst
 * over socktype: its length, 0 if it does not fit in size.
 */
#define PROXY_V1_MAX		108	/* the longest v1 line (the spec) */
#define PROXY_V2_MAX		(16 + 36)	/* header and IPv6 addresses */
size_t		 proxy_header(char *buf, size_t size, int version,
		    int socktype, union sockaddr_any src,
		    union sockaddr_any dst);
/* An IPv4 client of a dual-stack socket, as the IPv4 address it is. */
void		 sockaddr_unmap(union sockaddr_any *a);

#endif /* INETD_PROXY_H */
