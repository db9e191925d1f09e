/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stats.h: what the daemon counts of its entries and of itself, what it
 * says of the clients it refuses, and the two reports of the counters:
 * SIGUSR1's to syslog, and the text of the stats builtin (stats.c).
 *
 * An entry (struct servtab, config.h) embeds its struct svc_stats, as
 * it does its struct svc_limits, which is why this header needs nothing
 * from config.h; the entry that takes over a socket in a reload takes
 * its counters too (reload.c).  The counters are only written through
 * the functions below, each an addition: they cost the loop nothing it
 * could measure.
 */
#ifndef INETD_STATS_H
#define INETD_STATS_H

#include <stddef.h>
#include <stdint.h>

struct servtab;
struct sockaddr;
struct addr_table;

/* Why the daemon turned a client (a connection or a datagram) away. */
enum refusal {
	REFUSED_MAX_CHILD,	/* max-child, or the table of children, full */
	REFUSED_MAX_RATE,	/* servers a minute (-R, nowait.N) reached */
	REFUSED_PER_IP_RATE,	/* max-connections-per-ip-per-minute */
	REFUSED_PER_IP_CHILDREN, /* max-child-per-ip, or forward's share */
	REFUSED_WRAPPERS,	/* tcp_wrappers (-w, -W), in the child */
	REFUSED_ONLY_FROM,	/* the entry's only_from */
	REFUSED_LOOPING,	/* the entry went looping; or a datagram
				   from a port that may answer (loop) */
	REFUSED_FD,		/* out of descriptors (EMFILE, ENFILE) */
	REFUSED_NREASONS
};

/*
 * The distinct exit statuses and signals counted per entry; the exits
 * beyond them are counted together, as status "other".
 */
#define STATS_EXIT_KINDS 16
/*
 * The answers of the stats builtin the daemon makes and holds at once;
 * past them, or past STATS_INLINE_MAX entries (whose answer would hold
 * the loop for more than a millisecond or two), a child makes it.
 */
#define STATS_MAXCONN	4
#define STATS_INLINE_MAX 128

struct exit_count {
	int		 ec_code;	/* exit status, or STATS_SIGNAL + sig */
	unsigned long	 ec_count;	/* 0: slot unused */
};
#define STATS_SIGNAL	256

struct svc_stats {
	unsigned long	 st_accepted;	/* connections, wait servers started */
	unsigned long	 st_refused[REFUSED_NREASONS];
	unsigned long	 st_started;	/* servers (children) started */
	unsigned long	 st_looping;	/* times closed as looping */
	unsigned long	 st_exits_other; /* beyond STATS_EXIT_KINDS kinds */
	struct exit_count st_exits[STATS_EXIT_KINDS];
	uint64_t	 st_bytes[2];	/* forward: STATS_IN, STATS_OUT */
};
#define STATS_IN	0	/* forwarded from the clients */
#define STATS_OUT	1	/* forwarded back to them */

/* At start: the clock of the uptime. */
void		 stats_init(void);
/* The entries the stats builtin reports: the list after each load. */
void		 stats_set_services(const struct servtab *list);

/* A connection accepted, or a datagram that starts a wait server. */
void		 stats_accepted(struct servtab *sep);
/* A client turned away, without a message (the caller says it). */
void		 stats_refused(struct servtab *sep, enum refusal why);
void		 stats_started(struct servtab *sep);
/* A server reaped: its wait(2) status. */
void		 stats_exited(struct servtab *sep, int status);
/* Closed as looping. */
void		 stats_looping(struct servtab *sep);
/* n bytes forwarded one way (STATS_IN, STATS_OUT); sep may be NULL. */
void		 stats_forwarded(struct servtab *sep, int way, size_t n);
/* The daemon: a reload done (ok) or refused, an error in a file. */
void		 stats_reloaded(int ok);
void		 stats_config_error(void);

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
/*
 * The stats builtin's answer: every counter in the Prometheus text
 * format (0.0.4), in memory from malloc() of *len bytes; NULL when
 * out of memory.
 */
char		*stats_text(size_t *len);
/* Whether the daemon makes one more answer, open already being held. */
int		 stats_text_room(int open);

#endif /* INETD_STATS_H */
