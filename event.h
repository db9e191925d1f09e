/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * event.h: the one wait of the daemon's loop.
 *
 * Every descriptor the daemon waits on is registered once in one epoll
 * set, with a handler embedded in whatever owns the descriptor (a
 * listener, a builtin connection, a forwarded connection...); when the
 * descriptor is ready the loop calls the handler's function, which
 * finds its owner with container_of().  The owners' timers are not in
 * the set: each module says when it next needs to run, and the loop's
 * wait ends then.
 */
#ifndef INETD_EVENT_H
#define INETD_EVENT_H

#include <stddef.h>
#include <stdint.h>

struct handler {
	/* events: what epoll_wait() reported (EPOLLIN, EPOLLOUT...). */
	void	(*h_ready)(struct handler *h, uint32_t events);
};

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#define EVENT_BATCH	256	/* events taken per wake-up */

/* At startup: -1 with errno when there is no epoll set to be had. */
int		 event_open(void);
/* Register, change, unregister fd: 0, or -1 with errno. */
int		 event_add(int fd, uint32_t events, struct handler *h);
int		 event_mod(int fd, uint32_t events, struct handler *h);
int		 event_del(int fd);
/*
 * Waits at most timeout_ms (-1: no limit) and calls the handlers of the
 * descriptors that are ready; -1 with errno when the wait failed.
 */
int		 event_wait(int timeout_ms);
/* The monotonic clock in ms, read once when the last wait ended. */
long long	 event_now_ms(void);

#endif /* INETD_EVENT_H */
