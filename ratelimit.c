/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ratelimit.c: the limits an inetd.conf(5) entry can set, and the table
 * of per-address counters behind the per-IP rate.
 *
 *   max-child                 children of the entry at once (-c)
 *   max-connections-per-ip-per-minute                          (-C)
 *   max-child-per-ip          children serving one address     (-s)
 *   invocations per minute    servers started; past it the entry
 *                             is throttled, or "looping" when its
 *                             servers fail (-R, nowait.N)
 *
 * Nothing here reads a clock, sleeps or logs: the daemon passes the
 * monotonic time in seconds, acts on the answers and writes the
 * messages, so that every rule can be unit-tested with a stepped
 * clock (tests/test_ratelimit.c).
 *
 * Rates are counted in a window of the last minute made of 6 buckets of
 * 10 s (FreeBSD's granularity): a connection is refused when the window
 * holds the limit already, and one that is refused is not counted, so
 * that a client never waits more than a minute once it stops.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ratelimit.h"

/*
 * Entry 0 is never used, so that a link of 0 is the end: the zeroed
 * buckets and entries need no setting up, and their pages are not touched
 * until addresses come.
 */
#define NIL		0
#define ADDRTAB_MAX	(1U << 24)	/* capacity the links can address */

/*
 * One (service, address) pair.  Entries are chained by hash bucket and
 * kept in a list from the most to the least recently seen.
 */
struct addr_entry {
	uint64_t	 ae_service;
	struct peer_addr ae_addr;
	struct rate_window ae_window;
	uint32_t	 ae_chain;	/* next entry of the same bucket */
	uint32_t	 ae_newer;	/* neighbours in the recency list */
	uint32_t	 ae_older;
};

struct addr_table {
	uint64_t	 at_seed;	/* keys the hash against collisions */
	size_t		 at_capacity;
	size_t		 at_used;	/* entries 1 to at_used in use */
	size_t		 at_nbuckets;	/* a power of 2 */
	uint32_t	 at_newest;
	uint32_t	 at_oldest;
	unsigned long	 at_evictions;
	uint32_t	*at_bucket;
	struct addr_entry *at_entry;
};

void
limits_set_defaults(struct servtab *sep, const struct limit_defaults *ld)
{
	if (sep->se_maxchild == CONF_DEFAULT)
		sep->se_maxchild = ld->ld_maxchild;
	if (sep->se_maxcpm == CONF_DEFAULT)
		sep->se_maxcpm = ld->ld_maxcpm;
	if (sep->se_maxperip == CONF_DEFAULT)
		sep->se_maxperip = ld->ld_maxperip;
	if (sep->se_maxrate == CONF_DEFAULT)
		sep->se_maxrate = ld->ld_maxrate;
}

/* max-child: at the limit, the listening socket is not watched. */
int
svc_at_limit(const struct servtab *sep)
{
	return sep->se_maxchild > 0 && sep->se_children >= sep->se_maxchild;
}

/*
 * Connections served inside the daemon are no children: an entry whose
 * children are limited has each of its connections served by a child,
 * so that the limits count every one of them (but for a builtin that
 * counts its connections in se_children itself: builtin_counts_own()).
 */
int
svc_forks_to_count(const struct servtab *sep)
{
	return sep->se_maxchild > 0 || sep->se_maxperip > 0;
}

/* Counts a server about to start; 0 when that is one too many. */
int
svc_start_admit(struct servtab *sep, time_t now)
{
	return rate_admit(&sep->se_limits.sl_started, sep->se_maxrate, now);
}

int
svc_looping(const struct servtab *sep)
{
	return sep->se_limits.sl_looping_until != 0;
}

int
svc_looping_over(const struct servtab *sep, time_t now)
{
	return svc_looping(sep) && now >= sep->se_limits.sl_looping_until;
}

/*
 * Closed until then.  The entry starts afresh when it is opened again:
 * the minute that made it loop is forgotten.  Its children are left
 * alone and still counted.
 */
void
svc_looping_start(struct servtab *sep, time_t until)
{
	memset(&sep->se_limits.sl_started, 0,
	    sizeof(sep->se_limits.sl_started));
	memset(&sep->se_limits.sl_failed, 0,
	    sizeof(sep->se_limits.sl_failed));
	sep->se_limits.sl_throttled_until = 0;
	sep->se_limits.sl_looping_until = until;
}

void
svc_looping_end(struct servtab *sep)
{
	sep->se_limits.sl_looping_until = 0;
}

/*
 * Whether a server reaped with that status, lived_ms after it started,
 * failed: it exited non-zero or was killed, or left the datagram it was
 * started for unread, at once.  One that lived longer did some work, or
 * at least was not started again and again by the minute.
 */
int
start_failed(int status, long long lived_ms, int datagram_unread)
{
	if (lived_ms >= START_FAIL_MS)
		return 0;
	return WIFSIGNALED(status) ||
	    (WIFEXITED(status) && WEXITSTATUS(status) != 0) ||
	    datagram_unread;
}

void
svc_note_failure(struct servtab *sep, time_t now)
{
	rate_note(&sep->se_limits.sl_failed, now);
}

/* Whether the invocation rate lets one more server start now. */
int
svc_start_room(struct servtab *sep, time_t now)
{
	return sep->se_maxrate <= 0 ||
	    rate_count(&sep->se_limits.sl_started, now) <
	    (unsigned)sep->se_maxrate;
}

/*
 * Looping: as many servers as the rate failed in the last minute, so
 * that each server started in it failed.  A failure is counted when
 * the server is reaped, within START_FAIL_MS of its start.
 */
int
svc_failing(struct servtab *sep, time_t now)
{
	return sep->se_maxrate > 0 &&
	    rate_count(&sep->se_limits.sl_failed, now) >=
	    (unsigned)sep->se_maxrate;
}

int
svc_throttled(const struct servtab *sep, time_t now)
{
	return sep->se_limits.sl_throttled_until != 0 &&
	    now < sep->se_limits.sl_throttled_until;
}

/* At the rate, with servers that work: no start until the window allows. */
void
svc_throttle_start(struct servtab *sep, time_t now)
{
	sep->se_limits.sl_throttled_until = rate_room_at(
	    &sep->se_limits.sl_started, sep->se_maxrate, now);
}

/* max-child-per-ip, given the children already serving the address. */
int
svc_peer_at_limit(const struct servtab *sep, int children)
{
	return sep->se_maxperip > 0 && children >= sep->se_maxperip;
}

/* Move the window to now: buckets older than a minute are emptied. */
static void
rate_advance(struct rate_window *w, time_t now)
{
	long long tick = (long long)now / RATE_BUCKET_SECONDS;
	long long t;

	if (tick <= w->rw_tick)
		return;		/* a clock never goes back: count as newest */
	if (tick - w->rw_tick >= RATE_BUCKETS)
		memset(w->rw_count, 0, sizeof(w->rw_count));
	else
		for (t = w->rw_tick + 1; t <= tick; t++)
			w->rw_count[t % RATE_BUCKETS] = 0;
	w->rw_tick = tick;
}

unsigned
rate_count(struct rate_window *w, time_t now)
{
	unsigned sum = 0;
	int i;

	rate_advance(w, now);
	for (i = 0; i < RATE_BUCKETS; i++)
		sum = w->rw_count[i] > UINT_MAX - sum ? UINT_MAX :
		    sum + w->rw_count[i];
	return sum;
}

/* Counts one event, unless the last minute holds limit already. */
int
rate_admit(struct rate_window *w, int limit, time_t now)
{
	unsigned *bucket;

	if (limit <= 0)
		return 1;
	if (rate_count(w, now) >= (unsigned)limit)
		return 0;
	bucket = &w->rw_count[w->rw_tick % RATE_BUCKETS];
	if (*bucket < UINT_MAX)
		(*bucket)++;
	return 1;
}

/* Counts one event, whatever the window holds. */
void
rate_note(struct rate_window *w, time_t now)
{
	unsigned *bucket;

	rate_advance(w, now);
	bucket = &w->rw_count[w->rw_tick % RATE_BUCKETS];
	if (*bucket < UINT_MAX)
		(*bucket)++;
}

/*
 * The first time, from now on, at which the window holds less than
 * limit: the bucket of period k leaves it at the start of period k + 6.
 */
time_t
rate_room_at(struct rate_window *w, int limit, time_t now)
{
	unsigned sum;
	long long k;

	if (limit <= 0 || (sum = rate_count(w, now)) < (unsigned)limit)
		return now;
	k = w->rw_tick - RATE_BUCKETS + 1;
	for (k = k < 0 ? 0 : k; k < w->rw_tick; k++) {
		sum -= w->rw_count[k % RATE_BUCKETS];
		if (sum < (unsigned)limit)
			break;
	}
	return (time_t)((k + RATE_BUCKETS) * RATE_BUCKET_SECONDS);
}

/*
 * Whether a message may be logged now; if so, *missed tells how many
 * occurrences went unlogged since the last one.
 */
int
log_quota_take(struct log_quota *q, time_t now, unsigned *missed)
{
	if (now < q->lq_next) {
		if (q->lq_missed < UINT_MAX)
			q->lq_missed++;
		return 0;
	}
	*missed = q->lq_missed;
	q->lq_missed = 0;
	q->lq_next = now + LIMIT_LOG_SECONDS;
	return 1;
}

/* -1 for an address without a host part (a UNIX socket's peer). */
int
peer_addr_set(struct peer_addr *pa, const struct sockaddr *sa)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	memset(pa, 0, sizeof(*pa));
	switch (sa->sa_family) {
	case AF_INET:
		sin = (const struct sockaddr_in *)(const void *)sa;
		pa->pa_family = AF_INET;
		memcpy(pa->pa_bytes, &sin->sin_addr, sizeof(sin->sin_addr));
		return 0;
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			pa->pa_family = AF_INET;
			memcpy(pa->pa_bytes, &sin6->sin6_addr.s6_addr[12], 4);
		} else {
			pa->pa_family = AF_INET6;
			memcpy(pa->pa_bytes, &sin6->sin6_addr,
			    sizeof(sin6->sin6_addr));
		}
		return 0;
	default:
		return -1;
	}
}

int
peer_addr_equal(const struct peer_addr *a, const struct peer_addr *b)
{
	return a->pa_family != 0 && a->pa_family == b->pa_family &&
	    memcmp(a->pa_bytes, b->pa_bytes, sizeof(a->pa_bytes)) == 0;
}

struct addr_table *
addrtab_new(size_t capacity, uint64_t seed)
{
	struct addr_table *t;

	if (capacity == 0 || capacity > ADDRTAB_MAX) {
		errno = EINVAL;
		return NULL;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->at_seed = seed;
	t->at_capacity = capacity;
	for (t->at_nbuckets = 1; t->at_nbuckets < capacity;)
		t->at_nbuckets *= 2;
	/*
	 * One block, the buckets after the entries: calloc() takes fresh
	 * zeroed pages for a block this large, and leaves them untouched.
	 */
	if ((t->at_entry = calloc(1, (capacity + 1) * sizeof(*t->at_entry) +
	    t->at_nbuckets * sizeof(*t->at_bucket))) == NULL) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	t->at_bucket = (uint32_t *)(t->at_entry + capacity + 1);
	return t;
}

void
addrtab_free(struct addr_table *t)
{
	if (t == NULL)
		return;
	free(t->at_entry);
	free(t);
}

size_t
addrtab_used(const struct addr_table *t)
{
	return t->at_used;
}

size_t
addrtab_capacity(const struct addr_table *t)
{
	return t->at_capacity;
}

unsigned long
addrtab_evictions(const struct addr_table *t)
{
	return t->at_evictions;
}

/* splitmix64's finaliser: every input bit moves every output bit. */
static uint64_t
mix64(uint64_t h)
{
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

/*
 * Names a datagram by its sender, its length (len) and the size bytes of
 * it at data: the one a wait server was started for, if still at the
 * head of the queue when the server exits, was left unread.
 */
static uint64_t
hash_bytes(uint64_t h, const unsigned char *p, size_t n)
{
	uint64_t word;
	size_t i;

	for (i = 0; i < n; i += sizeof(word)) {
		word = 0;
		memcpy(&word, p + i, n - i < sizeof(word) ? n - i :
		    sizeof(word));
		h = mix64(h ^ word);
	}
	return h;
}

uint64_t
datagram_fingerprint(const void *from, size_t fromlen, const void *data,
    size_t len, size_t size)
{
	return hash_bytes(hash_bytes(mix64(len), from, fromlen), data, size);
}

/* An address hashed under a secret seed, against chosen collisions. */
uint64_t
peer_addr_hash(uint64_t seed, const struct peer_addr *pa)
{
	return hash_bytes(mix64(seed ^ pa->pa_family), pa->pa_bytes,
	    sizeof(pa->pa_bytes));
}

static size_t
addr_bucket(const struct addr_table *t, uint64_t service,
    const struct peer_addr *pa)
{
	return peer_addr_hash(mix64(t->at_seed ^ service), pa) &
	    (t->at_nbuckets - 1);
}

static void
recency_unlink(struct addr_table *t, uint32_t i)
{
	struct addr_entry *e = &t->at_entry[i];

	if (e->ae_newer != NIL)
		t->at_entry[e->ae_newer].ae_older = e->ae_older;
	else
		t->at_newest = e->ae_older;
	if (e->ae_older != NIL)
		t->at_entry[e->ae_older].ae_newer = e->ae_newer;
	else
		t->at_oldest = e->ae_newer;
}

static void
recency_push(struct addr_table *t, uint32_t i)
{
	struct addr_entry *e = &t->at_entry[i];

	e->ae_newer = NIL;
	e->ae_older = t->at_newest;
	if (t->at_newest != NIL)
		t->at_entry[t->at_newest].ae_newer = i;
	else
		t->at_oldest = i;
	t->at_newest = i;
}

static void
chain_unlink(struct addr_table *t, uint32_t i)
{
	struct addr_entry *e = &t->at_entry[i];
	uint32_t *link;

	link = &t->at_bucket[addr_bucket(t, e->ae_service, &e->ae_addr)];
	while (*link != i)
		link = &t->at_entry[*link].ae_chain;
	*link = e->ae_chain;
}

/* A free entry, or else the one seen least recently, emptied. */
static uint32_t
addrtab_take(struct addr_table *t)
{
	uint32_t i;

	if (t->at_used < t->at_capacity)
		return ++t->at_used;
	i = t->at_oldest;
	chain_unlink(t, i);
	recency_unlink(t, i);
	t->at_evictions++;
	return i;
}

/* The entry of (service, address), made if need be, now the newest. */
static struct addr_entry *
addrtab_lookup(struct addr_table *t, uint64_t service,
    const struct peer_addr *pa)
{
	struct addr_entry *e;
	size_t bucket = addr_bucket(t, service, pa);
	uint32_t i;

	for (i = t->at_bucket[bucket]; i != NIL; i = e->ae_chain) {
		e = &t->at_entry[i];
		if (e->ae_service == service &&
		    peer_addr_equal(&e->ae_addr, pa)) {
			recency_unlink(t, i);
			recency_push(t, i);
			return e;
		}
	}
	i = addrtab_take(t);
	e = &t->at_entry[i];
	memset(e, 0, sizeof(*e));
	e->ae_service = service;
	e->ae_addr = *pa;
	e->ae_chain = t->at_bucket[bucket];
	t->at_bucket[bucket] = i;
	recency_push(t, i);
	return e;
}

/*
 * max-connections-per-ip-per-minute: counts a connection (or datagram)
 * from the address, unless the last minute holds limit already.
 */
int
addrtab_admit(struct addr_table *t, uint64_t service,
    const struct peer_addr *pa, int limit, time_t now)
{
	if (limit <= 0)
		return 1;
	return rate_admit(&addrtab_lookup(t, service, pa)->ae_window, limit,
	    now);
}

/*
 * An upgrade (upgrade.c) carries the table into the new image: the
 * entries from the least to the most recently seen, so that restoring
 * them in that order keeps which is forgotten first.
 */
void
addrtab_walk(const struct addr_table *t, addrtab_walk_fn *fn, void *arg)
{
	const struct addr_entry *e;
	uint32_t i;

	for (i = t->at_oldest; i != NIL; i = e->ae_newer) {
		e = &t->at_entry[i];
		fn(arg, e->ae_service, &e->ae_addr, &e->ae_window);
	}
}

void
addrtab_restore(struct addr_table *t, uint64_t service,
    const struct peer_addr *pa, const struct rate_window *w)
{
	addrtab_lookup(t, service, pa)->ae_window = *w;
}
