/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dgram.h: datagrams received with the address they were sent to, and
 * replies sent from that address (dgram.c).
 *
 * A socket bound to every address would otherwise answer from the
 * address the routing table picks: a client that sent to another
 * address of the host, or whose socket is connected, drops the reply
 * as a stranger's.  The datagram builtins and the UDP forwarder use
 * these; the kernel tells the destination through IP_PKTINFO and
 * IPV6_RECVPKTINFO, and takes the source through IP_PKTINFO and
 * IPV6_PKTINFO.
 */
#ifndef INETD_DGRAM_H
#define INETD_DGRAM_H

#include <sys/types.h>
#include <sys/socket.h>

#include "util.h"

/*
 * Sets (on) or clears the options that tell each datagram's destination
 * on fd, a datagram socket of family, which refuses IPv4 if v6only.
 */
int		 dgram_dest_option(int fd, int family, int v6only, int on);

/*
 * The next datagram of fd, bound to bound, into buf: its size, larger
 * than size for one that did not fit (MSG_TRUNC), or -1 when none is
 * left.  *peer is its sender, of family 0 for one not from an Internet
 * address; *local the address it was sent to, on bound's port (bound
 * itself when the socket did not say).
 */
ssize_t		 dgram_recv(int fd, void *buf, size_t size,
		    const struct sockaddr *bound, union sockaddr_any *peer,
		    socklen_t *peerlen, union sockaddr_any *local);

/* Sends len bytes of buf to peer from local, without blocking. */
ssize_t		 dgram_reply(int fd, const void *buf, size_t len,
		    const union sockaddr_any *peer, socklen_t peerlen,
		    const union sockaddr_any *local);

#endif /* INETD_DGRAM_H */
