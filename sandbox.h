/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sandbox.h: the limits and the confinement of an entry's options,
 * applied in the child before execve (sandbox.c).
 */
#ifndef INETD_SANDBOX_H
#define INETD_SANDBOX_H

#include <sys/types.h>

struct svc_options;

/*
 * Both run in the child of a connection, of fork() or vfork(): system
 * calls only.  Each returns 0, or -1 with errno and *what naming the
 * key and the call the kernel refused; the child must then not exec.
 *
 * sandbox_enter(), while the child still has the daemon's privileges
 * and before it takes the entry's user uid: umask, nice, rlimits, the
 * namespaces, mounts and chroot, the bounding set.
 */
int	sandbox_enter(const struct svc_options *opts, uid_t uid,
	    const char **what);
/* Once the child is the entry's user: capabilities, no_new_privs. */
int	sandbox_finish(const struct svc_options *opts, uid_t uid,
	    const char **what);

#endif /* INETD_SANDBOX_H */
