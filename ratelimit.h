/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ratelimit.h: the limits of inetd.conf(5) as predicates and counters
 * (ratelimit.c), and what an entry keeps of them.
 *
 * Each is a pure function of its arguments: the caller passes the
 * time, so that the unit tests can step a clock instead of sleeping.
 * Times are seconds of CLOCK_MONOTONIC; a limit of 0 means none.  An
 * entry (struct servtab, config.h) embeds its struct svc_limits, which
 * is why this header needs nothing from config.h.
 */
#ifndef INETD_RATELIMIT_H
#define INETD_RATELIMIT_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct servtab;

/*
 * What the limits of an entry remember (ratelimit.c).
 * Events of the last minute are counted in 6 buckets of 10 s, as
 * FreeBSD does: the window slides by whole buckets.
 */
#define RATE_BUCKETS	6
#define RATE_BUCKET_SECONDS 10

struct rate_window {
	long long	 rw_tick;	/* 10 s period of the newest bucket */
	unsigned	 rw_count[RATE_BUCKETS];	/* by period % 6 */
};

/* A message logged at most once a minute. */
struct log_quota {
	time_t		 lq_next;	/* may be logged again from then */
	unsigned	 lq_missed;	/* occurrences not logged since */
};

/* Kept across a reload by the entry that takes over the socket. */
struct svc_limits {
	uint64_t	 sl_id;		/* names it in the per-address table */
	struct rate_window sl_started;	/* servers started (-R, nowait.N) */
	struct rate_window sl_failed;	/* of them, those that failed */
	time_t		 sl_looping_until; /* 0, or closed until then */
	time_t		 sl_throttled_until; /* 0, or no start until then */
	struct log_quota sl_log_maxchild;
	struct log_quota sl_log_throttled;
	struct log_quota sl_log_perip_rate;
	struct log_quota sl_log_perip_children;
	struct log_quota sl_log_access;	/* only_from, no_access */
};

#define DEFAULT_MAXRATE	256	/* -R: servers started a minute (FreeBSD) */
#define ADDRTAB_SIZE	4096	/* per-address counters, all services */
#define LIMIT_LOG_SECONDS 60	/* between two messages about one limit */
/*
 * A server that exits non-zero or is killed this soon after it started,
 * or a datagram wait server that leaves its datagram unread, failed:
 * past -R, a service whose servers all fail is looping, one whose
 * servers work is only throttled.
 */
#define START_FAIL_MS	1000

/* What the flags -c, -C, -s and -R give entries that set no limit. */
struct limit_defaults {
	int	 ld_maxchild;
	int	 ld_maxcpm;
	int	 ld_maxperip;
	int	 ld_maxrate;
};

/* A client's address; an IPv4-mapped IPv6 address counts as IPv4. */
struct peer_addr {
	sa_family_t	 pa_family;	/* AF_INET, AF_INET6, or 0: none */
	unsigned char	 pa_bytes[16];	/* IPv4: the first 4, then zeros */
};

/*
 * Connections per address and minute of every service, in a table of
 * fixed capacity; when it is full, the entry of the (service, address)
 * seen least recently is forgotten for the new one.
 */
struct addr_table;

void		 limits_set_defaults(struct servtab *sep,
		    const struct limit_defaults *defaults);
int		 svc_at_limit(const struct servtab *sep);
int		 svc_forks_to_count(const struct servtab *sep);
int		 svc_start_admit(struct servtab *sep, time_t now);
int		 svc_looping(const struct servtab *sep);
int		 svc_looping_over(const struct servtab *sep, time_t now);
void		 svc_looping_start(struct servtab *sep, time_t until);
void		 svc_looping_end(struct servtab *sep);
int		 svc_peer_at_limit(const struct servtab *sep, int children);
int		 start_failed(int status, long long lived_ms,
		    int datagram_unread);
void		 svc_note_failure(struct servtab *sep, time_t now);
int		 svc_start_room(struct servtab *sep, time_t now);
int		 svc_failing(struct servtab *sep, time_t now);
int		 svc_throttled(const struct servtab *sep, time_t now);
void		 svc_throttle_start(struct servtab *sep, time_t now);
uint64_t	 datagram_fingerprint(const void *from, size_t fromlen,
		    const void *data, size_t len, size_t size);

int		 rate_admit(struct rate_window *w, int limit, time_t now);
unsigned	 rate_count(struct rate_window *w, time_t now);
void		 rate_note(struct rate_window *w, time_t now);
time_t		 rate_room_at(struct rate_window *w, int limit, time_t now);
int		 log_quota_take(struct log_quota *q, time_t now,
		    unsigned *missed);

int		 peer_addr_set(struct peer_addr *pa,
		    const struct sockaddr *sa);
int		 peer_addr_equal(const struct peer_addr *a,
		    const struct peer_addr *b);
uint64_t	 peer_addr_hash(uint64_t seed, const struct peer_addr *pa);

struct addr_table *addrtab_new(size_t capacity, uint64_t seed);
void		 addrtab_free(struct addr_table *t);
int		 addrtab_admit(struct addr_table *t, uint64_t service,
		    const struct peer_addr *pa, int limit, time_t now);
size_t		 addrtab_used(const struct addr_table *t);
size_t		 addrtab_capacity(const struct addr_table *t);
unsigned long	 addrtab_evictions(const struct addr_table *t);
/* Each entry, least recently seen first; restored in that order. */
typedef void	 addrtab_walk_fn(void *arg, uint64_t service,
		    const struct peer_addr *pa, const struct rate_window *w);
void		 addrtab_walk(const struct addr_table *t, addrtab_walk_fn *fn,
		    void *arg);
void		 addrtab_restore(struct addr_table *t, uint64_t service,
		    const struct peer_addr *pa, const struct rate_window *w);

#endif /* INETD_RATELIMIT_H */
