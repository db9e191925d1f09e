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
	/*
	 * events: what epoll_wait() reported (EPOLLIN, EPOLLOUT...), or 0
	 * for the turn that event_queue() asked for.
	 */
	void	(*h_ready)(struct handler *h, uint32_t events);
	struct handler *h_next;		/* the run queue */
	int	 h_queued;
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
 * Closes a registered fd, taking it out of the set first while a child
 * may hold a copy (event_copies_elsewhere(1): a fork()ed child is
 * running; vfork()ed ones exec with every copy closed).
 */
int		 event_close(int fd);
void		 event_copies_elsewhere(int maybe);
/*
 * Waits at most timeout_ms (-1: no limit), or not at all with handlers
 * queued, and calls the handlers of the descriptors that are ready, then
 * those that were queued; -1 with errno when the wait failed.
 */
int		 event_wait(int timeout_ms);
/*
 * Another turn for h, in the next pass of the loop, for an owner that
 * had more to do than one pass allows: the loop does not sleep while
 * one is queued.  A handler whose owner goes while it is queued stays
 * queued; its function must tell.
 */
void		 event_queue(struct handler *h);
/* The monotonic clock in ms, read once when the last wait ended. */
long long	 event_now_ms(void);

#endif /* INETD_EVENT_H */
