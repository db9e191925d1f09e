/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * wrap.h: TCP wrappers, hosts_access(3) of libwrap (wrap.c).
 */
#ifndef INETD_WRAP_H
#define INETD_WRAP_H

struct servtab;
struct sockaddr;

/* The flags that decide who is checked, and what is logged. */
struct wrap_options {
	int	 wo_programs;		/* -w: the clients of servers */
	int	 wo_builtins;		/* -W: the clients of builtins */
	int	 wo_log_connections;	/* -l: clients let in are logged */
};

/* At startup: the flags; libwrap is loaded if they need it (or exits). */
void	 wrap_init(const struct wrap_options *options);
/* Whether the clients of the entry are checked, in its child. */
int	 wrap_wanted(const struct servtab *sep);
/*
 * Whether the entry's socket goes to its one child until it exits: a
 * wait entry, a datagram server, or a datagram builtin under -W.
 */
int	 svc_is_wait(const struct servtab *sep);
/*
 * In the child, before anything runs: -1 when the client of a stream
 * entry may not use the service, else 0.  A datagram entry's child
 * drops the datagrams of refused senders; under -W a datagram builtin's
 * child answers the others and exits.
 */
int	 wrap_child(const struct servtab *sep, const struct sockaddr *peer);

#endif /* INETD_WRAP_H */
