/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spawn.h: the child of a connection, from fork to execve (spawn.c).
 */
#ifndef INETD_SPAWN_H
#define INETD_SPAWN_H

#include <sys/types.h>

struct servtab;
struct sockaddr;

/* What the children need of the daemon, given once. */
struct spawn_options {
	int	 so_keep_environment;	/* -E: servers get inetd's */
	int	 so_debug_fd;		/* -d: the daemon's stderr, or -1 */
	int	 so_handback_fd;	/* children's end of the channel */
};

/*
 * How a child of the daemon's that fails exits, whatever the entry and
 * wherever the failure (here, in a builtin, in TCP wrappers' check),
 * as inetd.8 says under EXIT STATUS, with the codes of <sysexits.h>:
 * EX_OSERR (71) when a system call failed (dup2, fcntl, sigprocmask,
 * setsid, poll, execve of the server, sending the connection back, a
 * limit or sandbox option the kernel refused);
 * EX_NOPERM (77) when the user or groups of the entry (or, for auth,
 * of the owner of a connection) could not be taken; EX_SOFTWARE (70)
 * for what cannot happen.  A client refused by TCP wrappers, one that
 * went away or named nothing that tcpmux offers is no failure: 0.
 */

/*
 * At startup, once the descriptors of options are open and the daemon's
 * environment is what servers may inherit: the signals a child resets
 * and the servers' environment are noted.
 */
void		 spawn_init(const struct spawn_options *options);
/* Whether sep's children are started by fork(), not vfork(). */
int		 spawn_forks(const struct servtab *sep);
/*
 * A child for the connection (or the socket of a wait entry) on fd,
 * from peer (NULL if none); services is the running list (tcpmux
 * chooses in it).  The child's pid, or -1 with errno.
 */
pid_t		 spawn_child(const struct servtab *sep, int fd,
		    const struct sockaddr *peer,
		    const struct servtab *services);

#endif /* INETD_SPAWN_H */
