/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * listen.c: an entry's listening socket, made, given its options and
 * bound (listen.h).  What to do when that fails, and the loop's side of
 * the socket, are inetd.c's.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "builtin.h"
#include "config.h"
#include "listen.h"
#include "options.h"

/* A stale socket left by an earlier run would make bind() fail. */
static void
unlink_stale_socket(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		(void)unlink(path);
}

/*
 * bind_device and freebind (inetd.conf(5)), before bind: the first
 * keeps the socket to one interface's traffic, the second lets it bind
 * an address that is not up yet.  A change of either in a reload means
 * a new socket (options_same_socket()).
 */
static int
set_binding_options(const struct servtab *sep, int fd)
{
	const struct svc_options *o = sep->se_opts;
	int on = 1;

	if (o == NULL)
		return 0;
	if (o->so_bind_device[0] != '\0' && setsockopt(fd, SOL_SOCKET,
	    SO_BINDTODEVICE, o->so_bind_device,
	    strlen(o->so_bind_device)) == -1)
		return -1;
	if (o->so_freebind && setsockopt(fd, sep->se_family == AF_INET6 ?
	    IPPROTO_IPV6 : IPPROTO_IP, sep->se_family == AF_INET6 ?
	    IPV6_FREEBIND : IP_FREEBIND, &on, sizeof(on)) == -1)
		return -1;
	return 0;
}

/*
 * What the entry's fields or keys set on its socket (listenopts.c),
 * again when a reload hands it over: the accept filter may go, and
 * buffer sizes may change, though one no longer given stays.
 */
int
listener_options(const struct servtab *sep, int fd)
{
	int defer = sep->se_deferaccept ? CONF_DEFER_SECONDS : 0;

	if (sep->se_sndbuf != 0 && setsockopt(fd, SOL_SOCKET, SO_SNDBUF,
	    &sep->se_sndbuf, sizeof(sep->se_sndbuf)) == -1)
		return -1;
	if (sep->se_rcvbuf != 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF,
	    &sep->se_rcvbuf, sizeof(sep->se_rcvbuf)) == -1)
		return -1;
	if (sep->se_family != AF_UNIX && sep->se_socktype == SOCK_STREAM &&
	    setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer,
	    sizeof(defer)) == -1)
		return -1;
	return 0;
}

/*
 * SO_REUSEADDR lets a listener bind again while connections of an
 * earlier run linger in TIME_WAIT.  Datagram sockets have none, and on
 * Linux the option would let any user bind the same address and port
 * and take the service's datagrams: they never get it, nor any socket
 * SO_REUSEPORT.
 */
static int
set_socket_options(struct servtab *sep, int fd)
{
	int on = 1, v6only = sep->se_v6only;

	if (sep->se_family != AF_UNIX && sep->se_socktype == SOCK_STREAM &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		return -1;
	if (sep->se_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &v6only, sizeof(v6only)) == -1)
		return -1;
	if (set_binding_options(sep, fd) == -1 ||
	    listener_options(sep, fd) == -1)
		return -1;
	return builtin_socket_options(sep, NULL, fd);
}

int
listener_socket(struct servtab *sep, const char **what)
{
	const char *path = sep->se_ctrladdr.sun.sun_path;
	int fd, saved;

	*what = "socket for";
	if ((fd = socket(sep->se_family, sep->se_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return -1;
	*what = "socket options for";
	if (set_socket_options(sep, fd) == -1)
		goto fail;
	if (sep->se_family == AF_UNIX)
		unlink_stale_socket(path);
	*what = "bind";
	if (bind(fd, &sep->se_ctrladdr.sa, sep->se_ctrladdr_size) == -1)
		goto fail;
	*what = "owner and mode of";
	if (sep->se_family == AF_UNIX && (chown(path, sep->se_sockuid,
	    sep->se_sockgid) == -1 || chmod(path, sep->se_sockmode) == -1))
		goto fail;
	*what = "listen on";
	if (sep->se_socktype == SOCK_STREAM &&
	    listen(fd, LISTEN_BACKLOG) == -1)
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}
