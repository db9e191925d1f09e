/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * proxy.c: the PROXY protocol header (version 1, a line of text, or 2,
 * binary) that the forward builtin sends to a target before the data
 * of a connection or of each datagram, saying who the client is.  A
 * pure function, checked by tests/fuzz/fuzz_proxy.c.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "proxy.h"
#include "util.h"

/* An IPv4 client of a dual-stack socket, as the IPv4 address it is. */
void
sockaddr_unmap(union sockaddr_any *a)
{
	struct sockaddr_in sin;

	if (a->sa.sa_family != AF_INET6 ||
	    !IN6_IS_ADDR_V4MAPPED(&a->sin6.sin6_addr))
		return;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = a->sin6.sin6_port;
	memcpy(&sin.sin_addr, &a->sin6.sin6_addr.s6_addr[12], 4);
	a->sin = sin;
}

/*
 * An address as a PROXY v1 header writes it: without the "%scope" of
 * a link-local IPv6 address, which the protocol does not allow.
 */
static const char *
proxy_v1_addr(const union sockaddr_any *a, char *buf, size_t size)
{
	return inet_ntop(a->sa.sa_family, a->sa.sa_family == AF_INET ?
	    (const void *)&a->sin.sin_addr : (const void *)&a->sin6.sin6_addr,
	    buf, size);
}

/* The PROXY protocol header (version 1 or 2) for src talking to dst. */
size_t
proxy_header(char *buf, size_t size, int version, int socktype,
    union sockaddr_any src, union sockaddr_any dst)
{
	static const char v2sig[12] = "\r\n\r\n\0\r\nQUIT\n";
	char s[INET6_ADDRSTRLEN + 1], d[INET6_ADDRSTRLEN + 1];
	unsigned char *p = (unsigned char *)buf;
	int family, n;
	size_t len;

	sockaddr_unmap(&src);
	sockaddr_unmap(&dst);
	family = src.sa.sa_family == dst.sa.sa_family &&
	    (src.sa.sa_family == AF_INET || src.sa.sa_family == AF_INET6) ?
	    src.sa.sa_family : AF_UNSPEC;
	if (version == 1) {
		if (family == AF_UNSPEC)
			n = snprintf(buf, size, "PROXY UNKNOWN\r\n");
		else if (proxy_v1_addr(&src, s, sizeof(s)) == NULL ||
		    proxy_v1_addr(&dst, d, sizeof(d)) == NULL)
			n = -1;
		else
			n = snprintf(buf, size, "PROXY %s %s %s %d %d\r\n",
			    family == AF_INET ? "TCP4" : "TCP6", s, d,
			    sockaddr_port(&src.sa), sockaddr_port(&dst.sa));
		return n > 0 && (size_t)n < size ? (size_t)n : 0;
	}
	len = family == AF_INET ? 12 : family == AF_INET6 ? 36 : 0;
	if (size < 16 + len)
		return 0;
	memcpy(p, v2sig, sizeof(v2sig));
	p[12] = 0x21;		/* version 2, PROXY */
	p[13] = family == AF_UNSPEC ? 0x00 :
	    (family == AF_INET ? 0x10 : 0x20) |
	    (socktype == SOCK_STREAM ? 0x01 : 0x02);
	p[14] = len >> 8;
	p[15] = len & 0xff;
	p += 16;
	if (family == AF_INET) {
		memcpy(p, &src.sin.sin_addr, 4);
		memcpy(p + 4, &dst.sin.sin_addr, 4);
		memcpy(p + 8, &src.sin.sin_port, 2);
		memcpy(p + 10, &dst.sin.sin_port, 2);
	} else if (family == AF_INET6) {
		memcpy(p, &src.sin6.sin6_addr, 16);
		memcpy(p + 16, &dst.sin6.sin6_addr, 16);
		memcpy(p + 32, &src.sin6.sin6_port, 2);
		memcpy(p + 34, &dst.sin6.sin6_port, 2);
	}
	return 16 + len;
}
