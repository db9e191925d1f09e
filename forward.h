/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * forward.h: the forward builtin, TCP and UDP forwarding served by the
 * daemon, as the builtins table (internal.c) and the daemon call it.
 * Its sockets wait in the loop's one epoll set (event.h), with handlers
 * of its own; at most FORWARD_MAXCONN TCP connections (relay.c) and
 * FORWARD_MAXASSOC UDP clients (assoc.c) are forwarded at once.
 */
#ifndef INETD_FORWARD_H
#define INETD_FORWARD_H

#include <sys/socket.h>

#include "builtin.h"

struct servtab;

#define FORWARD_NAME	"forward"
#define FORWARD_MAXCONN	16384
#define FORWARD_MAXASSOC 4096

/*
 * The hooks of its two rows of the builtins table (internal.c): see
 * struct builtin there.  Its settings are the entry's se_private.
 */
int		 forward_parse(struct servtab *sep, char *why, size_t size);
/* Whether a connection to sep's target arrives at other (relay loops). */
int		 forward_relays_to(const struct servtab *sep,
		    const struct servtab *other);
int		 forward_target(const struct servtab *sep, const char **host,
		    const char **port, int *socktype);
int		 forward_resolve(struct servtab *sep,
		    const struct sockaddr *addr, socklen_t addrlen, char *why,
		    size_t size);
void		 forward_free(void *private);
const struct servtab *forward_child(const struct servtab *sep, int fd,
		    const struct servtab *services);
void		 forward_accept(struct servtab *sep, int fd,
		    const struct sockaddr *peer);
void		 forward_dgram(struct servtab *sep, dgram_admit_fn *admit,
		    loop_port_fn *loop_port);
int		 forward_socket_options(const struct servtab *sep, int fd,
		    int on);
int		 forward_peer_count(const struct servtab *sep,
		    const struct sockaddr *peer);
int		 forward_peer_admit(const struct servtab *sep,
		    const struct sockaddr *peer, int *limit);
int		 forward_entry_full(const struct servtab *sep, int *limit);
const char	*forward_wrap_name(const struct servtab *sep);
void		 forward_take_over(struct servtab *old, struct servtab *sep);
void		 forward_forget(struct servtab *old);
void		 forward_closeall(void);
/* At startup, after event_open(); log_connections: -l. */
void		 forward_init(int log_connections);
/* INETD_PIPE_BUDGET: -1 with *errstr set when bytes is out of range. */
int		 forward_set_pipe_budget(const char *bytes,
		    const char **errstr);
/* In a child before exec: the descriptor limit inetd was given. */
void		 forward_restore_limits(void);
/*
 * When the loop must call forward_run() next, in monotonic ms (the
 * first timeout, or sooner); 0: never.
 */
long long	 forward_deadline(void);
/* TCP connections and UDP clients forwarded now. */
int		 forward_open_count(void);
/* After each wait of the loop: timeouts, and the slots freed. */
void		 forward_run(void);

#endif /* INETD_FORWARD_H */
