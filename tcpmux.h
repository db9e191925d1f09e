/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tcpmux.h: the tcpmux builtin (tcpmux.c): the child that reads the
 * name, and the daemon's side of the connection it hands back.
 */
#ifndef INETD_TCPMUX_H
#define INETD_TCPMUX_H

struct servtab;
struct sockaddr_storage;

#define TCPMUX_UNAVAILABLE	"-Service not available\r\n"
#define TCPMUX_BUSY		"-Service busy\r\n"

/*
 * The builtin's child (bi_child): reads the name the client sends and
 * returns the entry of services offering it, or answers and exits.
 */
const struct servtab *tcpmux_serve(const struct servtab *sep, int fd,
		    const struct servtab *services);
/*
 * The entry tcpmux chose may serve: "+Go" for a "tcpmux/+NAME" entry,
 * nothing for others, whose server answers itself.  0, or -1.
 */
int		 tcpmux_go(const struct servtab *sep, int fd);
/*
 * The reply of a client turned away, then its end; timeout_ms: how long
 * a child may wait for the reply to go, 0 in the daemon (no wait).
 */
void		 tcpmux_refuse(int fd, const char *reply, int timeout_ms);
/*
 * In the daemon: the entry of services now offered under the service
 * field a connection handed back on fd was named to, with its client's
 * address in *peer.  NULL when the client has gone, or when the entry
 * has gone in a reload since, or is looping: the client has been told.
 */
struct servtab	*tcpmux_chosen(struct servtab *services, const char *service,
		    int fd, struct sockaddr_storage *peer);

#endif /* INETD_TCPMUX_H */
