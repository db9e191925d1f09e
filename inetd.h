/*
 * inetd.h: what inetd.c and internal.c share.
 *
 * Messages go through syslog(3) everywhere; with -d (and until the
 * daemon detaches) openlog(LOG_PERROR) copies them to stderr.
 */
#ifndef INETD_INETD_H
#define INETD_INETD_H

#include <sys/select.h>
#include <sys/socket.h>
#include <stddef.h>

#include "config.h"

/*
 * Stream builtins (echo, discard, chargen) are served by the daemon
 * itself, up to this many connections at once; past it, or when the
 * descriptor is too large for select(), the connection gets a child.
 */
#define BUILTIN_MAXCONN	256
#define BUILTIN_BUFSIZE	8192	/* echo buffer per connection */
#define BUILTIN_DGRAMMAX 65536	/* largest UDP datagram handled */

/* internal.c */
const struct builtin *builtin_find(const char *name, int socktype);
const char	*builtin_name(const struct builtin *bi);
int		 builtin_accept(const struct servtab *sep, int fd);
void		 builtin_serve(const struct servtab *sep, int fd)
		    __attribute__((noreturn));
int		 builtin_fdset(fd_set *rfds, fd_set *wfds);
void		 builtin_run(const fd_set *rfds, const fd_set *wfds);
void		 builtin_dgram(const struct servtab *sep);
void		 builtin_closeall(void);

#endif /* INETD_INETD_H */
