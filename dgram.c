/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dgram.c: datagrams with the address they were sent to (dgram.h).
 */
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>

#include <string.h>

#include "dgram.h"
#include "util.h"

/* Room for the destination of either family, aligned for cmsghdr. */
union dgram_control {
	struct cmsghdr	align;
	char		buf[CMSG_SPACE(sizeof(struct in_pktinfo)) +
			    CMSG_SPACE(sizeof(struct in6_pktinfo))];
};

int
dgram_dest_option(int fd, int family, int v6only, int on)
{
	if (family != AF_INET && family != AF_INET6)
		return 0;
	/* On a dual-stack socket, IPv4 datagrams come with both. */
	if ((family == AF_INET || !v6only) &&
	    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) == -1)
		return -1;
	if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_RECVPKTINFO, &on, sizeof(on)) == -1)
		return -1;
	return 0;
}

static void
set_local_v4(union sockaddr_any *a, int family, struct in_addr addr,
    in_port_t port)
{
	memset(a, 0, sizeof(*a));
	if (family == AF_INET) {
		a->sin.sin_family = AF_INET;
		a->sin.sin_addr = addr;
		a->sin.sin_port = port;
		return;
	}
	a->sin6.sin6_family = AF_INET6;	/* as the dual-stack socket's peers */
	a->sin6.sin6_addr.s6_addr[10] = 0xff;
	a->sin6.sin6_addr.s6_addr[11] = 0xff;
	memcpy(&a->sin6.sin6_addr.s6_addr[12], &addr, 4);
	a->sin6.sin6_port = port;
}

/*
 * Where the datagram of msg was sent, on the port of bound.  For IPv4
 * the kernel's specific destination: the address itself, or for a
 * broadcast the address of the interface, since no reply can come from
 * a broadcast address.  0, or -1 when the socket did not say.
 */
static int
local_of(struct msghdr *msg, const struct sockaddr *bound,
    union sockaddr_any *local)
{
	in_port_t port = htons(sockaddr_port(bound));
	struct in6_pktinfo pi6;
	struct in_pktinfo pi;
	struct cmsghdr *cm;
	int found = -1;

	for (cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_PKTINFO) {
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			set_local_v4(local, bound->sa_family,
			    pi.ipi_spec_dst, port);
			return 0;
		}
		if (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_PKTINFO) {
			memcpy(&pi6, CMSG_DATA(cm), sizeof(pi6));
			memset(local, 0, sizeof(*local));
			local->sin6.sin6_family = AF_INET6;
			local->sin6.sin6_addr = pi6.ipi6_addr;
			local->sin6.sin6_port = port;
			if (IN6_IS_ADDR_LINKLOCAL(&pi6.ipi6_addr))
				local->sin6.sin6_scope_id = pi6.ipi6_ifindex;
			found = 0;
		}
	}
	return found;
}

ssize_t
dgram_recv(int fd, void *buf, size_t size, const struct sockaddr *bound,
    union sockaddr_any *peer, socklen_t *peerlen, union sockaddr_any *local)
{
	union dgram_control control;
	struct sockaddr_storage from;
	struct iovec iov;
	struct msghdr msg;
	ssize_t n;

	iov.iov_base = buf;
	iov.iov_len = size;
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &from;
	msg.msg_namelen = sizeof(from);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = &control;
	msg.msg_controllen = sizeof(control);
	/* With MSG_TRUNC, n is the datagram's size, not what fit. */
	if ((n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_TRUNC)) == -1)
		return -1;
	memset(peer, 0, sizeof(*peer));
	if (from.ss_family != AF_INET && from.ss_family != AF_INET6)
		return n;
	memcpy(peer, &from, from.ss_family == AF_INET ? sizeof(peer->sin) :
	    sizeof(peer->sin6));
	*peerlen = msg.msg_namelen;
	if (local_of(&msg, bound, local) == -1)
		memcpy(local, bound, bound->sa_family == AF_INET ?
		    sizeof(local->sin) : sizeof(local->sin6));
	return n;
}

static size_t
put_cmsg(char *buf, int level, int type, const void *data, size_t len)
{
	struct cmsghdr *cm = (struct cmsghdr *)buf;

	cm->cmsg_level = level;
	cm->cmsg_type = type;
	cm->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(cm), data, len);
	return CMSG_SPACE(len);
}

/*
 * IP_PKTINFO or IPV6_PKTINFO (which takes an IPv4-mapped address for an
 * IPv4 client of a dual-stack socket) choose the source; none for an
 * address that cannot be one (any, multicast), where the kernel picks.
 */
ssize_t
dgram_reply(int fd, const void *buf, size_t len,
    const union sockaddr_any *peer, socklen_t peerlen,
    const union sockaddr_any *local)
{
	union dgram_control control;
	struct in6_pktinfo pi6;
	struct in_pktinfo pi;
	struct iovec iov;
	struct msghdr msg;

	iov.iov_base = (void *)buf;
	iov.iov_len = len;
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = (void *)peer;
	msg.msg_namelen = peerlen;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	memset(&control, 0, sizeof(control));
	if (local->sa.sa_family == AF_INET) {
		memset(&pi, 0, sizeof(pi));
		pi.ipi_spec_dst = local->sin.sin_addr;
		msg.msg_controllen = put_cmsg(control.buf, IPPROTO_IP,
		    IP_PKTINFO, &pi, sizeof(pi));
	} else if (local->sa.sa_family == AF_INET6 &&
	    !IN6_IS_ADDR_MULTICAST(&local->sin6.sin6_addr)) {
		memset(&pi6, 0, sizeof(pi6));
		pi6.ipi6_addr = local->sin6.sin6_addr;
		pi6.ipi6_ifindex = local->sin6.sin6_scope_id;
		msg.msg_controllen = put_cmsg(control.buf, IPPROTO_IPV6,
		    IPV6_PKTINFO, &pi6, sizeof(pi6));
	}
	if (msg.msg_controllen > 0)
		msg.msg_control = &control;
	return sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
}
