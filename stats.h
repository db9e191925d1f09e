/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stats.h: what the daemon counts of its entries, and says of the
 * clients it refuses (stats.c); the report of SIGUSR1.
 *
 * An entry (struct servtab, config.h) embeds its struct svc_stats, as
 * it does its struct svc_limits, which is why this header needs nothing
 * from config.h; the entry that takes over a socket in a reload takes
 * its counters too (reload.c).  The counters are only written through
 * the functions below.
 */
#ifndef INETD_STATS_H
#define INETD_STATS_H

struct servtab;
struct sockaddr;
struct addr_table;

/* Why the daemon turned a client away. */
enum refusal {
	REFUSED_PER_IP_RATE,	/* max-connections-per-ip-per-minute */
	REFUSED_PER_IP_CHILDREN, /* max-child-per-ip, or forward's share */
	REFUSED_NREASONS
};

struct svc_stats {
	unsigned long	 st_accepted;	/* connections, wait servers started */
	unsigned long	 st_refused[REFUSED_NREASONS];
	unsigned long	 st_looping;	/* times closed as looping */
};

/* A connection accepted, or a datagram that starts a wait server. */
void		 stats_accepted(struct servtab *sep);
/* Closed as looping. */
void		 stats_looping(struct servtab *sep);
/*
 * A client at peer refused for why: counted, and said in FreeBSD's
 * words ("exceeded counts (limit N unit)") at most once a minute per
 * entry and limit.
 */
void		 stats_peer_refused(struct servtab *sep, enum refusal why,
		    const struct sockaddr *peer, const char *counts,
		    int limit, const char *unit);
/* max-child reached: said at most once a minute. */
void		 stats_max_child(struct servtab *sep);
/*
 * After a client is looked up in the table of client addresses: if it
 * took the place of another, a message at most once a minute.
 */
void		 stats_addrtab_full(const struct addr_table *t);

/*
 * SIGUSR1: the state and counters of each entry of list, and children
 * running in all, to syslog at LOG_INFO.
 */
void		 stats_dump(const struct servtab *list, int children);

#endif /* INETD_STATS_H */
