/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_proxy.c: libFuzzer harness for the PROXY protocol header the
 * forward builtin sends, proxy_header(), checked by a round trip.
 *
 * The input chooses the version, the socket type, the family of each
 * end (IPv4, IPv6, IPv6 with an IPv4-mapped address, something else),
 * the addresses, ports and IPv6 scopes, and the size of the buffer.
 * The header is then read back by a strict parser of the protocol's
 * versions 1 and 2 written here from the specification (haproxy's
 * proxy-protocol.txt), which must find the ends it was given: IPv4 for
 * a mapped address, UNKNOWN / UNSPEC unless both ends are IP of one
 * family.  In a buffer of the size relay.c or assoc.c gives, a header
 * always fits; in a smaller one it fits, or its length is 0.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

#define V2_HEADER	16
#define V2_INET_LEN	12
#define V2_INET6_LEN	36

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One end as given, and as the header must carry it. */
struct end {
	union sockaddr_any sa;
	int		 family;	/* once unmapped */
	uint8_t		 addr[16];
	unsigned	 port;
};

struct input {
	const uint8_t	*p;
	size_t		 left;
};

/* The next n bytes, zeros past the end of the input. */
static void
take(struct input *in, void *out, size_t n)
{
	size_t have = n < in->left ? n : in->left;

	memset(out, 0, n);
	memcpy(out, in->p, have);
	in->p += have;
	in->left -= have;
}

static void
make_end(struct input *in, struct end *e)
{
	uint8_t kind, addr[16], port[2];
	uint32_t scope;

	take(in, &kind, 1);
	take(in, addr, sizeof(addr));
	take(in, port, sizeof(port));
	take(in, &scope, sizeof(scope));
	memset(e, 0, sizeof(*e));
	e->port = port[0] << 8 | port[1];
	switch (kind % 4) {
	case 0:
		e->sa.sin.sin_family = e->family = AF_INET;
		memcpy(&e->sa.sin.sin_addr, addr, 4);
		memcpy(&e->sa.sin.sin_port, port, 2);
		memcpy(e->addr, addr, 4);
		return;
	case 1:
		/* Mapped: the bytes before the IPv4 address say so. */
		memset(addr, 0, 10);
		addr[10] = addr[11] = 0xff;
		/* FALLTHROUGH */
	case 2:
		e->sa.sin6.sin6_family = AF_INET6;
		memcpy(&e->sa.sin6.sin6_addr, addr, 16);
		memcpy(&e->sa.sin6.sin6_port, port, 2);
		e->sa.sin6.sin6_scope_id = scope;
		if (IN6_IS_ADDR_V4MAPPED(&e->sa.sin6.sin6_addr)) {
			e->family = AF_INET;
			memcpy(e->addr, addr + 12, 4);
		} else {
			e->family = AF_INET6;
			memcpy(e->addr, addr, 16);
		}
		return;
	default:
		/* A UNIX socket's client, or no address at all. */
		e->sa.sa.sa_family = e->family = kind & 4 ? AF_UNIX :
		    AF_UNSPEC;
		return;
	}
}

/* A port of version 1: decimal, no leading zero, at most 65535. */
static int
v1_port(const char *s, unsigned *port)
{
	size_t len = strlen(s);
	char *end;
	unsigned long n;

	if (len == 0 || len > 5 || strspn(s, "0123456789") != len ||
	    (s[0] == '0' && len > 1))
		return -1;
	n = strtoul(s, &end, 10);
	if (n > 65535)
		return -1;
	*port = n;
	return 0;
}

/* "PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n" or "PROXY UNKNOWN\r\n". */
static void
check_v1(const char *buf, size_t len, int family, const struct end *src,
    const struct end *dst)
{
	char line[PROXY_V1_MAX + 1], *field[6], *save = NULL, *tok;
	unsigned sport, dport;
	uint8_t a[16];
	int n = 0;

	if (len > PROXY_V1_MAX || len < sizeof("PROXY UNKNOWN\r\n") - 1 ||
	    memcmp(buf + len - 2, "\r\n",
	    2) != 0 || memchr(buf, '\0', len) != NULL)
		abort();
	memcpy(line, buf, len - 2);
	line[len - 2] = '\0';
	if (strchr(line, '\r') != NULL || strchr(line, '\n') != NULL ||
	    strstr(line, "  ") != NULL || line[strlen(line) - 1] == ' ')
		abort();
	for (tok = strtok_r(line, " ", &save); tok != NULL && n < 6;
	    tok = strtok_r(NULL, " ", &save))
		field[n++] = tok;
	if (n < 2 || tok != NULL || strcmp(field[0], "PROXY") != 0)
		abort();
	if (family == AF_UNSPEC) {
		if (n != 2 || strcmp(field[1], "UNKNOWN") != 0)
			abort();
		return;
	}
	if (n != 6 || strcmp(field[1], family == AF_INET ? "TCP4" :
	    "TCP6") != 0)
		abort();
	if (inet_pton(family, field[2], a) != 1 ||
	    memcmp(a, src->addr, family == AF_INET ? 4 : 16) != 0 ||
	    inet_pton(family, field[3], a) != 1 ||
	    memcmp(a, dst->addr, family == AF_INET ? 4 : 16) != 0)
		abort();
	if (v1_port(field[4], &sport) == -1 || sport != src->port ||
	    v1_port(field[5], &dport) == -1 || dport != dst->port)
		abort();
}

static void
check_v2(const uint8_t *buf, size_t len, int family, int socktype,
    const struct end *src, const struct end *dst)
{
	static const uint8_t sig[12] = "\r\n\r\n\0\r\nQUIT\n";
	size_t alen = family == AF_INET ? 4 : 16, body;
	unsigned sport, dport;

	if (len < V2_HEADER || memcmp(buf, sig, sizeof(sig)) != 0 ||
	    buf[12] != 0x21)
		abort();
	body = (size_t)buf[14] << 8 | buf[15];
	if (len != V2_HEADER + body)
		abort();
	if (family == AF_UNSPEC) {
		if (buf[13] != 0x00 || body != 0)
			abort();
		return;
	}
	if (buf[13] != ((family == AF_INET ? 0x10 : 0x20) |
	    (socktype == SOCK_STREAM ? 0x01 : 0x02)) ||
	    body != (family == AF_INET ? V2_INET_LEN : V2_INET6_LEN))
		abort();
	buf += V2_HEADER;
	sport = buf[2 * alen] << 8 | buf[2 * alen + 1];
	dport = buf[2 * alen + 2] << 8 | buf[2 * alen + 3];
	if (memcmp(buf, src->addr, alen) != 0 ||
	    memcmp(buf + alen, dst->addr, alen) != 0 ||
	    sport != src->port || dport != dst->port)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct end src, dst;
	uint8_t flags, small[2];
	int version, socktype, family;
	size_t bufsize, len;
	char *buf;

	take(&in, &flags, 1);
	take(&in, small, sizeof(small));
	make_end(&in, &src);
	make_end(&in, &dst);
	version = flags & 1 ? 2 : 1;
	socktype = flags & 2 ? SOCK_DGRAM : SOCK_STREAM;
	/* The buffers of relay.c and assoc.c, or a smaller one. */
	bufsize = version == 1 ? PROXY_V1_MAX + 1 : PROXY_V2_MAX;
	if (flags & 4)
		bufsize = (small[0] << 8 | small[1]) % bufsize;
	/* Exactly bufsize bytes, so that ASan sees a write past it. */
	if ((buf = malloc(bufsize > 0 ? bufsize : 1)) == NULL)
		return 0;
	len = proxy_header(buf, bufsize, version, socktype, src.sa, dst.sa);
	family = src.family == dst.family && (src.family == AF_INET ||
	    src.family == AF_INET6) ? src.family : AF_UNSPEC;
	if (len == 0 && !(flags & 4))
		abort();	/* their buffer is too small */
	if (len > bufsize)
		abort();
	if (len > 0 && version == 1)
		check_v1(buf, len, family, &src, &dst);
	else if (len > 0)
		check_v2((const uint8_t *)buf, len, family, socktype, &src,
		    &dst);
	free(buf);
	return 0;
}
