/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_ratelimit.c: unit tests of the limits (ratelimit.c).
 *
 * Every function there takes the time as an argument: the tests step a
 * clock of their own through minutes and buckets without sleeping.
 * Output as unit.h says.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ratelimit.h"
#include "unit.h"

#define T0		1000000	/* a start time on a bucket boundary */
#define SEED		42


static struct peer_addr
ipv4(const char *text)
{
	struct sockaddr_in sin;
	struct peer_addr pa;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	if (inet_pton(AF_INET, text, &sin.sin_addr) != 1)
		abort();
	if (peer_addr_set(&pa, (struct sockaddr *)&sin) == -1)
		abort();
	return pa;
}

static struct peer_addr
ipv6(const char *text)
{
	struct sockaddr_in6 sin6;
	struct peer_addr pa;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	if (inet_pton(AF_INET6, text, &sin6.sin6_addr) != 1)
		abort();
	if (peer_addr_set(&pa, (struct sockaddr *)&sin6) == -1)
		abort();
	return pa;
}

/* The n-th of many distinct addresses, 10.x.y.z. */
static struct peer_addr
nth_addr(unsigned n)
{
	char text[32];

	snprintf(text, sizeof(text), "10.%u.%u.%u", (n >> 16) & 255,
	    (n >> 8) & 255, n & 255);
	return ipv4(text);
}

/* How many of tries events the window lets in at time now. */
static int
admitted(struct rate_window *w, int limit, time_t now, int tries)
{
	int i, n = 0;

	for (i = 0; i < tries; i++)
		n += rate_admit(w, limit, now);
	return n;
}

static int
test_rate_limit(void)
{
	struct rate_window w;

	memset(&w, 0, sizeof(w));
	CHECK(admitted(&w, 3, T0, 5) == 3);
	CHECK(rate_count(&w, T0) == 3);
	/* Refused events are not counted. */
	CHECK(admitted(&w, 3, T0 + 30, 10) == 0);
	CHECK(rate_count(&w, T0 + 30) == 3);
	return 1;
}

static int
test_rate_unlimited(void)
{
	struct rate_window w;

	memset(&w, 0, sizeof(w));
	CHECK(admitted(&w, 0, T0, 1000) == 1000);
	CHECK(admitted(&w, -1, T0, 10) == 10);
	CHECK(rate_count(&w, T0) == 0);
	return 1;
}

/* Six buckets of 10 s: an event leaves the window 50 to 60 s later. */
static int
test_rate_expiry(void)
{
	struct rate_window w;

	memset(&w, 0, sizeof(w));
	CHECK(admitted(&w, 2, T0 + 9, 2) == 2);
	CHECK(rate_admit(&w, 2, T0 + 59) == 0);
	CHECK(rate_count(&w, T0 + 59) == 2);
	CHECK(rate_count(&w, T0 + 60) == 0);
	CHECK(admitted(&w, 2, T0 + 60, 3) == 2);
	return 1;
}

static int
test_rate_sliding(void)
{
	struct rate_window w;
	int i;

	memset(&w, 0, sizeof(w));
	/* One event every 10 s: the window always holds the last six. */
	for (i = 0; i < 6; i++)
		CHECK(rate_admit(&w, 6, T0 + 10 * i) == 1);
	CHECK(rate_admit(&w, 6, T0 + 55) == 0);
	for (i = 6; i < 20; i++) {
		CHECK(rate_admit(&w, 6, T0 + 10 * i) == 1);
		CHECK(rate_admit(&w, 6, T0 + 10 * i + 5) == 0);
		CHECK(rate_count(&w, T0 + 10 * i) == 6);
	}
	return 1;
}

static int
test_rate_jumps(void)
{
	struct rate_window w;

	memset(&w, 0, sizeof(w));
	CHECK(admitted(&w, 4, T0, 4) == 4);
	/* Years later, everything is forgotten. */
	CHECK(rate_count(&w, T0 + 100000000) == 0);
	CHECK(admitted(&w, 4, T0 + 100000000, 5) == 4);
	/* A time before the newest bucket counts in the newest bucket. */
	CHECK(rate_admit(&w, 5, T0) == 1);
	CHECK(rate_count(&w, T0 + 100000000) == 5);
	return 1;
}

static int
test_log_quota(void)
{
	struct log_quota q;
	unsigned missed = 99;

	memset(&q, 0, sizeof(q));
	CHECK(log_quota_take(&q, T0, &missed) == 1);
	CHECK(missed == 0);
	CHECK(log_quota_take(&q, T0 + 1, &missed) == 0);
	CHECK(log_quota_take(&q, T0 + LIMIT_LOG_SECONDS - 1, &missed) == 0);
	CHECK(log_quota_take(&q, T0 + LIMIT_LOG_SECONDS, &missed) == 1);
	CHECK(missed == 2);
	CHECK(log_quota_take(&q, T0 + 2 * LIMIT_LOG_SECONDS, &missed) == 1);
	CHECK(missed == 0);
	return 1;
}

static int
test_defaults(void)
{
	struct limit_defaults ld = { 5, 6, 7, 8 };
	struct servtab se;

	memset(&se, 0, sizeof(se));
	se.se_maxchild = se.se_maxcpm = se.se_maxperip = se.se_maxrate =
	    CONF_DEFAULT;
	limits_set_defaults(&se, &ld);
	CHECK(se.se_maxchild == 5 && se.se_maxcpm == 6 &&
	    se.se_maxperip == 7 && se.se_maxrate == 8);
	/* A value written in the entry, 0 included, wins. */
	se.se_maxchild = 0;
	se.se_maxcpm = 1;
	se.se_maxperip = 2;
	se.se_maxrate = 0;
	limits_set_defaults(&se, &ld);
	CHECK(se.se_maxchild == 0 && se.se_maxcpm == 1 &&
	    se.se_maxperip == 2 && se.se_maxrate == 0);
	return 1;
}

static int
test_max_child(void)
{
	struct servtab se;

	memset(&se, 0, sizeof(se));
	se.se_maxchild = 2;
	CHECK(!svc_at_limit(&se));
	se.se_children = 1;
	CHECK(!svc_at_limit(&se));
	se.se_children = 2;
	CHECK(svc_at_limit(&se));
	/* A reload that lowers the limit below the running children. */
	se.se_maxchild = 1;
	CHECK(svc_at_limit(&se));
	se.se_maxchild = 0;
	se.se_children = 100000;
	CHECK(!svc_at_limit(&se));
	return 1;
}

static int
test_max_child_per_ip(void)
{
	struct servtab se;

	memset(&se, 0, sizeof(se));
	CHECK(!svc_peer_at_limit(&se, 1000));
	se.se_maxperip = 2;
	CHECK(!svc_peer_at_limit(&se, 0));
	CHECK(!svc_peer_at_limit(&se, 1));
	CHECK(svc_peer_at_limit(&se, 2));
	return 1;
}

static int
test_forks_to_count(void)
{
	struct servtab se;

	memset(&se, 0, sizeof(se));
	CHECK(!svc_forks_to_count(&se));
	se.se_maxcpm = 10;
	se.se_maxrate = 10;
	CHECK(!svc_forks_to_count(&se));
	se.se_maxchild = 1;
	CHECK(svc_forks_to_count(&se));
	se.se_maxchild = 0;
	se.se_maxperip = 1;
	CHECK(svc_forks_to_count(&se));
	return 1;
}

/* nowait.N / -R: N starts a minute, the next one makes it loop. */
static int
test_looping(void)
{
	struct servtab se;
	int i;

	memset(&se, 0, sizeof(se));
	se.se_maxrate = 3;
	for (i = 0; i < 3; i++)
		CHECK(svc_start_admit(&se, T0 + i));
	CHECK(!svc_start_admit(&se, T0 + 3));
	CHECK(!svc_looping(&se));
	se.se_children = 2;
	svc_looping_start(&se, T0 + 600);
	CHECK(svc_looping(&se));
	CHECK(!svc_looping_over(&se, T0 + 599));
	CHECK(svc_looping_over(&se, T0 + 600));
	/* Children are never forgotten; the minute that looped is. */
	CHECK(se.se_children == 2);
	svc_looping_end(&se);
	CHECK(!svc_looping(&se));
	CHECK(svc_start_admit(&se, T0 + 4));
	return 1;
}

/* What failed: non-zero or a signal, or an unread datagram, at once. */
static int
test_start_failed(void)
{
	CHECK(!start_failed(W_EXITCODE(0, 0), 10, 0));
	CHECK(start_failed(W_EXITCODE(1, 0), 10, 0));
	CHECK(start_failed(W_EXITCODE(0, SIGKILL), 10, 0));
	CHECK(start_failed(W_EXITCODE(0, 0), 10, 1));
	CHECK(start_failed(W_EXITCODE(1, 0), START_FAIL_MS - 1, 0));
	/* One that ran a while did some work: not the looping case. */
	CHECK(!start_failed(W_EXITCODE(1, 0), START_FAIL_MS, 0));
	CHECK(!start_failed(W_EXITCODE(0, SIGSEGV), 60000, 0));
	CHECK(!start_failed(W_EXITCODE(0, 0), START_FAIL_MS, 1));
	return 1;
}

/* A window full of starts whose servers work: throttled, not looping. */
static int
test_busy_not_failing(void)
{
	struct servtab se;
	int i;

	memset(&se, 0, sizeof(se));
	se.se_maxrate = 3;
	for (i = 0; i < 3; i++) {
		CHECK(svc_start_room(&se, T0));
		CHECK(svc_start_admit(&se, T0));
	}
	CHECK(!svc_start_room(&se, T0 + 1));
	CHECK(!svc_failing(&se, T0 + 1));
	/* Two of three failed: some work, so the entry is only busy. */
	svc_note_failure(&se, T0 + 1);
	svc_note_failure(&se, T0 + 1);
	CHECK(!svc_failing(&se, T0 + 1));
	svc_throttle_start(&se, T0 + 1);
	CHECK(svc_throttled(&se, T0 + 1));
	/* The starts of period T0/10 leave the window 60 s later. */
	CHECK(se.se_limits.sl_throttled_until == T0 + 60);
	CHECK(svc_throttled(&se, T0 + 59));
	CHECK(!svc_throttled(&se, T0 + 60));
	CHECK(svc_start_room(&se, T0 + 60));
	return 1;
}

/* As many failures in a minute as the rate: looping. */
static int
test_failing(void)
{
	struct servtab se;
	int i;

	memset(&se, 0, sizeof(se));
	se.se_maxrate = 3;
	for (i = 0; i < 3; i++) {
		CHECK(svc_start_admit(&se, T0 + i));
		CHECK(!svc_failing(&se, T0 + i));
		svc_note_failure(&se, T0 + i);
	}
	CHECK(svc_failing(&se, T0 + 3));
	svc_looping_start(&se, T0 + 603);
	CHECK(!svc_failing(&se, T0 + 3));	/* it starts afresh */
	CHECK(svc_start_room(&se, T0 + 3));
	for (i = 0; i < 3; i++)
		svc_note_failure(&se, T0 + 3);
	CHECK(svc_failing(&se, T0 + 59));
	CHECK(!svc_failing(&se, T0 + 60));	/* the minute has passed */
	se.se_maxrate = 0;
	for (i = 0; i < 10; i++)
		svc_note_failure(&se, T0);
	CHECK(!svc_failing(&se, T0));		/* no rate, never looping */
	return 1;
}

/* When the window next has room, bucket by bucket. */
static int
test_rate_room_at(void)
{
	struct rate_window w;

	memset(&w, 0, sizeof(w));
	CHECK(rate_room_at(&w, 2, T0) == T0);
	CHECK(rate_room_at(&w, 0, T0) == T0);
	rate_note(&w, T0);		/* period T0/10 */
	rate_note(&w, T0 + 25);		/* period T0/10 + 2 */
	rate_note(&w, T0 + 25);
	CHECK(rate_count(&w, T0 + 25) == 3);
	CHECK(rate_room_at(&w, 4, T0 + 25) == T0 + 25);
	/* Below 3: the first event must leave, at T0 + 60. */
	CHECK(rate_room_at(&w, 3, T0 + 25) == T0 + 60);
	/* Below 2 or 1: the two of period + 2 as well, at T0 + 80. */
	CHECK(rate_room_at(&w, 2, T0 + 25) == T0 + 80);
	CHECK(rate_room_at(&w, 1, T0 + 25) == T0 + 80);
	CHECK(rate_count(&w, T0 + 79) == 2);
	CHECK(rate_count(&w, T0 + 80) == 0);
	/* rate_note counts past any limit; rate_admit would not. */
	memset(&w, 0, sizeof(w));
	rate_note(&w, T0);
	rate_note(&w, T0);
	CHECK(!rate_admit(&w, 2, T0));
	CHECK(rate_count(&w, T0) == 2);
	return 1;
}

/* The same datagram from the same sender, and nothing else, matches. */
static int
test_datagram_fingerprint(void)
{
	struct sockaddr_in a, b;
	uint64_t f;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(5000);
	a.sin_addr.s_addr = htonl(0x7f000001);
	b = a;
	f = datagram_fingerprint(&a, sizeof(a), "query", 5, 5);
	CHECK(f == datagram_fingerprint(&b, sizeof(b), "query", 5, 5));
	CHECK(f != datagram_fingerprint(&a, sizeof(a), "querz", 5, 5));
	CHECK(f != datagram_fingerprint(&a, sizeof(a), "query", 6, 5));
	CHECK(f != datagram_fingerprint(&a, sizeof(a), "quer", 4, 4));
	b.sin_port = htons(5001);
	CHECK(f != datagram_fingerprint(&b, sizeof(b), "query", 5, 5));
	return 1;
}

static int
test_looping_unlimited(void)
{
	struct servtab se;
	int i;

	memset(&se, 0, sizeof(se));
	se.se_maxrate = 0;
	for (i = 0; i < 100000; i++)
		CHECK(svc_start_admit(&se, T0));
	return 1;
}

static int
test_peer_addr(void)
{
	struct peer_addr a, b, c;
	struct sockaddr_un sun;

	a = ipv4("192.0.2.1");
	b = ipv6("::ffff:192.0.2.1");
	CHECK(a.pa_family == AF_INET && b.pa_family == AF_INET);
	CHECK(peer_addr_equal(&a, &b));
	c = ipv4("192.0.2.2");
	CHECK(!peer_addr_equal(&a, &c));
	a = ipv6("2001:db8::1");
	b = ipv6("2001:db8::1");
	c = ipv6("2001:db8::2");
	CHECK(a.pa_family == AF_INET6);
	CHECK(peer_addr_equal(&a, &b) && !peer_addr_equal(&a, &c));
	/* 0.0.0.1 and ::1 differ, though their bytes start alike. */
	a = ipv4("0.0.0.1");
	b = ipv6("::1");
	CHECK(!peer_addr_equal(&a, &b));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	CHECK(peer_addr_set(&a, (struct sockaddr *)&sun) == -1);
	CHECK(a.pa_family == 0);
	/* An unknown address equals nothing, not even itself. */
	CHECK(!peer_addr_equal(&a, &a));
	return 1;
}

static int
test_addrtab_limit(void)
{
	struct addr_table *t;
	struct peer_addr a = ipv4("192.0.2.1"), b = ipv4("192.0.2.2");
	int i, n = 0;

	CHECK((t = addrtab_new(16, SEED)) != NULL);
	for (i = 0; i < 5; i++)
		n += addrtab_admit(t, 1, &a, 3, T0);
	CHECK(n == 3);
	/* Another address, another service: counted apart. */
	CHECK(addrtab_admit(t, 1, &b, 3, T0));
	CHECK(addrtab_admit(t, 2, &a, 3, T0));
	/* An unlimited service takes no entry. */
	CHECK(addrtab_admit(t, 3, &a, 0, T0));
	CHECK(addrtab_used(t) == 3);
	/* After the minute, the address is served again. */
	CHECK(!addrtab_admit(t, 1, &a, 3, T0 + 59));
	CHECK(addrtab_admit(t, 1, &a, 3, T0 + 60));
	addrtab_free(t);
	return 1;
}

static int
test_addrtab_mapped(void)
{
	struct addr_table *t;
	struct peer_addr a = ipv4("198.51.100.7");
	struct peer_addr m = ipv6("::ffff:198.51.100.7");

	CHECK((t = addrtab_new(8, SEED)) != NULL);
	CHECK(addrtab_admit(t, 1, &a, 2, T0));
	CHECK(addrtab_admit(t, 1, &m, 2, T0));
	CHECK(!addrtab_admit(t, 1, &a, 2, T0));
	CHECK(addrtab_used(t) == 1);
	addrtab_free(t);
	return 1;
}

/* Whatever the clients do, the table holds capacity entries at most. */
static int
test_addrtab_bounded(void)
{
	struct addr_table *t;
	struct peer_addr pa;
	unsigned i;

	CHECK((t = addrtab_new(64, SEED)) != NULL);
	CHECK(addrtab_capacity(t) == 64);
	for (i = 0; i < 100000; i++) {
		pa = nth_addr(i);
		CHECK(addrtab_admit(t, 1 + i % 3, &pa, 1, T0 + i / 100));
		CHECK(addrtab_used(t) <= 64);
	}
	CHECK(addrtab_used(t) == 64);
	CHECK(addrtab_evictions(t) == 100000 - 64);
	addrtab_free(t);
	return 1;
}

/* Full, the table forgets the pair seen least recently. */
static int
test_addrtab_eviction(void)
{
	struct addr_table *t;
	struct peer_addr pa[5];
	unsigned i;

	for (i = 0; i < nitems(pa); i++)
		pa[i] = nth_addr(i);
	CHECK((t = addrtab_new(4, SEED)) != NULL);
	for (i = 0; i < 4; i++)
		CHECK(addrtab_admit(t, 1, &pa[i], 1, T0));
	/* All at their limit; 0 is seen again (refused), 1 is oldest. */
	CHECK(!addrtab_admit(t, 1, &pa[0], 1, T0));
	CHECK(addrtab_evictions(t) == 0);
	CHECK(addrtab_admit(t, 1, &pa[4], 1, T0));
	CHECK(addrtab_evictions(t) == 1);
	CHECK(addrtab_used(t) == 4);
	/* 0, 2 and 3 are remembered, at their limit; 1 was forgotten. */
	CHECK(!addrtab_admit(t, 1, &pa[0], 1, T0));
	CHECK(!addrtab_admit(t, 1, &pa[2], 1, T0));
	CHECK(!addrtab_admit(t, 1, &pa[3], 1, T0));
	CHECK(addrtab_evictions(t) == 1);
	CHECK(addrtab_admit(t, 1, &pa[1], 1, T0));
	/* That took 4's place: the least recently seen by then. */
	CHECK(addrtab_evictions(t) == 2);
	CHECK(addrtab_admit(t, 1, &pa[4], 1, T0));
	addrtab_free(t);
	return 1;
}

/* Removing entries from the middle of hash chains keeps them whole. */
static int
test_addrtab_one_bucket(void)
{
	struct addr_table *t;
	struct peer_addr pa;
	unsigned i, round;

	CHECK((t = addrtab_new(1, SEED)) != NULL);
	for (round = 0; round < 3; round++)
		for (i = 0; i < 50; i++) {
			pa = nth_addr(i);
			CHECK(addrtab_admit(t, 7, &pa, 1, T0));
			CHECK(!addrtab_admit(t, 7, &pa, 1, T0));
		}
	CHECK(addrtab_used(t) == 1);
	addrtab_free(t);
	CHECK((t = addrtab_new(3, SEED)) != NULL);
	for (i = 0; i < 1000; i++) {
		pa = nth_addr(i % 7);
		(void)addrtab_admit(t, 1 + i % 2, &pa, 1000, T0 + i);
		CHECK(addrtab_used(t) <= 3);
	}
	addrtab_free(t);
	return 1;
}

/* An upgrade's copy: walked oldest first, restored in that order. */
static void
copy_entry(void *arg, uint64_t service, const struct peer_addr *pa,
    const struct rate_window *w)
{
	addrtab_restore(arg, service, pa, w);
}

static int
test_addrtab_walk_restore(void)
{
	struct addr_table *t, *copy;
	struct peer_addr pa[4];
	unsigned i;

	for (i = 0; i < nitems(pa); i++)
		pa[i] = nth_addr(i);
	CHECK((t = addrtab_new(3, SEED)) != NULL);
	CHECK((copy = addrtab_new(3, SEED + 1)) != NULL);
	for (i = 0; i < 3; i++)
		CHECK(addrtab_admit(t, 1, &pa[i], 2, T0));
	CHECK(addrtab_admit(t, 1, &pa[0], 2, T0));	/* 0 at its limit */
	addrtab_walk(t, copy_entry, copy);
	CHECK(addrtab_used(copy) == 3);
	CHECK(!addrtab_admit(copy, 1, &pa[0], 2, T0));
	/* 1 is the least recently seen, forgotten first, as in t. */
	CHECK(addrtab_admit(copy, 1, &pa[3], 2, T0));
	CHECK(addrtab_admit(copy, 1, &pa[2], 2, T0));
	CHECK(!addrtab_admit(copy, 1, &pa[2], 2, T0));
	CHECK(addrtab_admit(copy, 1, &pa[1], 2, T0));
	CHECK(addrtab_admit(copy, 1, &pa[1], 2, T0));
	addrtab_free(t);
	addrtab_free(copy);
	return 1;
}

static int
test_addrtab_bad_size(void)
{
	CHECK(addrtab_new(0, SEED) == NULL);
	CHECK(addrtab_new((size_t)1 << 30, SEED) == NULL);
	return 1;
}

int
main(void)
{
	static const struct unit_test tests[] = {
		{ "rate_limit", test_rate_limit },
		{ "rate_unlimited", test_rate_unlimited },
		{ "rate_expiry", test_rate_expiry },
		{ "rate_sliding", test_rate_sliding },
		{ "rate_jumps", test_rate_jumps },
		{ "log_quota", test_log_quota },
		{ "defaults", test_defaults },
		{ "max_child", test_max_child },
		{ "max_child_per_ip", test_max_child_per_ip },
		{ "forks_to_count", test_forks_to_count },
		{ "looping", test_looping },
		{ "looping_unlimited", test_looping_unlimited },
		{ "start_failed", test_start_failed },
		{ "busy_not_failing", test_busy_not_failing },
		{ "failing", test_failing },
		{ "rate_room_at", test_rate_room_at },
		{ "datagram_fingerprint", test_datagram_fingerprint },
		{ "peer_addr", test_peer_addr },
		{ "addrtab_limit", test_addrtab_limit },
		{ "addrtab_mapped", test_addrtab_mapped },
		{ "addrtab_bounded", test_addrtab_bounded },
		{ "addrtab_eviction", test_addrtab_eviction },
		{ "addrtab_walk_restore", test_addrtab_walk_restore },
		{ "addrtab_one_bucket", test_addrtab_one_bucket },
		{ "addrtab_bad_size", test_addrtab_bad_size },
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	unit_run(tests, nitems(tests), NULL);
	return unit_summary();
}
