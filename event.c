/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * event.c: the loop's one wait, an epoll set of handlers.
 *
 * It exists so that the daemon (inetd.c) and the modules whose
 * descriptors wait in the same loop (internal.c, forward.c) register
 * them the same way, without calling back up into inetd.c.  A wait
 * costs the same with 5 descriptors as with 10,000, and a descriptor
 * may have any number (select()'s FD_SETSIZE bounds nothing here).
 */
#include <sys/epoll.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "event.h"
#include "util.h"

static int		 epfd = -1;
static long long	 wake_ms;
static struct handler	*runq_head, **runq_tail = &runq_head;

int
event_open(void)
{
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return -1;
	wake_ms = monotonic_ms();
	return 0;
}

static int
event_ctl(int op, int fd, uint32_t events, struct handler *h)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = h;
	return epoll_ctl(epfd, op, fd, &ev);
}

int
event_add(int fd, uint32_t events, struct handler *h)
{
	return event_ctl(EPOLL_CTL_ADD, fd, events, h);
}

int
event_mod(int fd, uint32_t events, struct handler *h)
{
	return event_ctl(EPOLL_CTL_MOD, fd, events, h);
}

int
event_del(int fd)
{
	return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
}

/*
 * A descriptor leaves the epoll set when its last copy is closed, and a
 * child fork()ed a moment ago holds copies until it has closed the
 * daemon's descriptors: while one may exist, a descriptor is taken out
 * of the set before it is closed, so that no event of it reaches the
 * owner that takes its handler next.  Otherwise the close does it, for
 * no system call more.
 */
static int	copies_elsewhere;

void
event_copies_elsewhere(int maybe)
{
	copies_elsewhere = maybe;
}

int
event_close(int fd)
{
	if (copies_elsewhere)
		(void)event_del(fd);
	return close(fd);
}

void
event_queue(struct handler *h)
{
	if (h->h_queued)
		return;
	h->h_queued = 1;
	h->h_next = NULL;
	*runq_tail = h;
	runq_tail = &h->h_next;
}

/* Those queued, once each; those they queue again wait for the next. */
static void
run_queued(void)
{
	struct handler *h = runq_head, *next;

	runq_head = NULL;
	runq_tail = &runq_head;
	while (h != NULL) {
		next = h->h_next;
		h->h_queued = 0;
		h->h_ready(h, 0);
		h = next;
	}
}

int
event_wait(int timeout_ms)
{
	struct epoll_event ev[EVENT_BATCH];
	struct handler *h;
	int i, n, saved_errno;

	n = epoll_wait(epfd, ev, EVENT_BATCH, runq_head != NULL ? 0 :
	    timeout_ms);
	saved_errno = errno;
	wake_ms = monotonic_ms();
	for (i = 0; i < n; i++) {
		h = ev[i].data.ptr;
		h->h_ready(h, ev[i].events);
	}
	run_queued();
	errno = saved_errno;
	return n;
}

long long
event_now_ms(void)
{
	return wake_ms;
}
