/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * children.h: the daemon's table of its running children (children.c).
 */
#ifndef INETD_CHILDREN_H
#define INETD_CHILDREN_H

#include <sys/types.h>
#include <stdint.h>

#include "ratelimit.h"

struct servtab;
struct sockaddr;
struct handover_table;

/* What the daemon knows of a child, until it is reaped. */
struct child {
	pid_t		 ch_pid;
	struct servtab	*ch_sep;	/* NULL: its entry was removed */
	struct peer_addr ch_peer;	/* its client, for max-child-per-ip */
	long long	 ch_started_ms;	/* monotonic: did it fail at once? */
	uint64_t	 ch_datagram;	/* the one it was started for, or 0 */
	int		 ch_forked;	/* by fork(): had the daemon's fds */
	long long	 ch_deadline_ms; /* timeout: next signal, 0: none */
	int		 ch_timeout;	/* its entry's, in s, when it started */
	int		 ch_termed;	/* SIGTERM sent: SIGKILL is next */
};

/* timeout = SECONDS: SIGKILL this long after the SIGTERM. */
#define CHILD_KILL_DELAY_MS	5000

/* Whether the table is full (logged once each time it gets full). */
int		 children_full(void);
/*
 * A child just started for sep (whose count of children it adds to),
 * for a client at peer (NULL: none), for the datagram of that
 * fingerprint (0: none), at started_ms; forked: by fork(), not
 * vfork().  The table is not full.
 */
void		 child_add(pid_t pid, struct servtab *sep,
		    const struct sockaddr *peer, uint64_t datagram,
		    long long started_ms, int forked);
/*
 * An upgrade (upgrade.c): the children one by one (NULL past the last),
 * and in the new image each noted again, 0, or -1 past MAXCHILDREN (a
 * smaller table in the new image): that child is still reaped, but
 * counts for nothing.  The caller adds it to its entry's count.
 */
const struct child *child_at(int i);
int		 child_restore(const struct child *ch);
/* Children of the entry serving that client, for max-child-per-ip. */
int		 children_of_peer(const struct servtab *sep,
		    const struct peer_addr *pa);
/* The child's entry, NULL if none; *ch: what was known of it. */
struct servtab	*child_remove(pid_t pid, struct child *ch);
int		 children_count(void);
/*
 * When a child's timeout next falls due (monotonic ms, 0: none), and
 * what is due at now_ms: SIGTERM to the process group of a child past
 * its timeout, SIGKILL CHILD_KILL_DELAY_MS later, each logged.
 */
long long	 children_deadline(void);
void		 children_run_timeouts(long long now_ms);
/* Reload: children of the entries that were taken over follow them. */
void		 children_hand_over(const struct handover_table *ht);

#endif /* INETD_CHILDREN_H */
