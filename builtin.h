/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * builtin.h: the builtins table (internal.c), as the daemon and the
 * builtins' own files call it.
 */
#ifndef INETD_BUILTIN_H
#define INETD_BUILTIN_H

#include <sys/socket.h>
#include <stddef.h>

#include "config.h"

/*
 * Stream builtins (echo, discard, chargen) are served by the daemon
 * itself, up to this many connections at once; past it, the
 * connection gets a child.
 */
#define BUILTIN_MAXCONN	256
#define BUILTIN_BUFSIZE	8192	/* echo buffer per connection */
#define BUILTIN_DGRAMMAX 65536	/* largest UDP datagram handled */
/*
 * A connection of a stream builtin that moves no byte either way for
 * this long is closed, by the daemon or its child, so that idle clients
 * cannot hold the table and make the daemon fork for the next ones.
 */
#define BUILTIN_IDLE_SECONDS 60

/* Whether the daemon answers a datagram from this sender (limits). */
typedef int	 dgram_admit_fn(struct servtab *sep,
		    const struct sockaddr *from);
/* Whether a datagram from this port may be a service's answer. */
typedef int	 loop_port_fn(int port);

/*
 * internal.c: the builtins table.  A row carries every hook the daemon
 * needs of its builtin; the functions below call the hooks of an
 * entry's row (sep->se_bi), and do nothing for a row without one.
 */
const struct builtin *builtin_find(const char *name, int socktype);
const char	*builtin_name(const struct builtin *bi);
const char	*builtin_names(int socktype, char *buf, size_t size);
/* What the parser needs of the table: main() gives it to config.c. */
extern const struct config_builtins builtin_config;
/*
 * Serves the connection in the daemon, or -1: it needs a child (the
 * entry's limits count children, or the table is full).
 */
int		 builtin_accept(struct servtab *sep, int fd,
		    const struct sockaddr *peer);
/* Whether the next connection of the stream entry would get a child. */
int		 builtin_forks(const struct servtab *sep);
/*
 * The builtin serves its connections in the daemon and counts them in
 * se_children itself; a child of its entry (-W) runs no server.
 */
int		 builtin_counts_own(const struct servtab *sep);
/* The daemon name for tcp_wrappers, and whether they check it at all. */
const char	*builtin_wrap_name(const struct servtab *sep);
int		 builtin_wrapped(const struct servtab *sep);
/*
 * Limits of the connections served in the daemon: for max-child-per-ip,
 * the entry's connections from peer's address; whether the address, or
 * the entry, is below its default share (*limit) of the table.
 */
int		 builtin_peer_count(const struct servtab *sep,
		    const struct sockaddr *peer);
int		 builtin_peer_admit(const struct servtab *sep,
		    const struct sockaddr *peer, int *limit);
int		 builtin_entry_full(const struct servtab *sep, int *limit);
/*
 * The options the builtin of sep sets on its socket fd, or, when old
 * had the socket before a reload, those of old's builtin cleared.
 */
int		 builtin_socket_options(const struct servtab *sep,
		    const struct servtab *old, int fd);
/* Reload: sep takes over old's socket; old is about to be freed. */
void		 builtin_take_over(struct servtab *old, struct servtab *sep);
void		 builtin_forget(struct servtab *old);
/* Instead of BUILTIN_IDLE_SECONDS, for tests ($INETD_IDLE_SECONDS). */
void		 builtin_set_idle_timeout(int seconds);
/*
 * When the loop must call builtin_run() next, in monotonic ms (the
 * first idle connection to close, or sooner); 0: no connection is open.
 */
long long	 builtin_deadline(void);
/*
 * The connections served in the daemon: the builtins' and those
 * forwarded (TCP connections, UDP clients).
 */
int		 builtin_open_count(void);
/* After each wait of the loop: the idle connections close. */
void		 builtin_run(void);
/*
 * Serves the connection in a forked child and exits, or returns the
 * entry whose connection the daemon takes back: tcpmux's choice among
 * services, whose server is to run on it, or sep itself, which the
 * daemon serves once the child has checked the client (forward, -W).
 */
const struct servtab *builtin_serve(const struct servtab *sep, int fd,
		    const struct servtab *services);
void		 builtin_dgram(struct servtab *sep, dgram_admit_fn *admit);
/*
 * The ports of the datagram entries of the list: no builtin or forward
 * entry answers a datagram from one (builtin_loop_port).
 */
void		 builtin_own_ports(const struct servtab *list);
int		 builtin_loop_port(int port);
/* At exit: every connection of every builtin. */
void		 builtin_closeall(void);

#endif /* INETD_BUILTIN_H */
