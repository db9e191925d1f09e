/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_access.c: unit tests of only_from and no_access (access.c): the
 * words each takes or refuses, and what the table decides, checked
 * against a plain longest-prefix search over random rules.  Output as
 * unit.h says.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char	 why[512];
#define UNIT_CONTEXT()	why

#include "access.h"
#include "unit.h"

static struct sockaddr_storage peer_ss;

/* A client's address from its text, IPv4 or IPv6. */
static const struct sockaddr *
peer(const char *text)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&peer_ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&peer_ss;

	memset(&peer_ss, 0, sizeof(peer_ss));
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1)
		sin6->sin6_family = AF_INET6;
	else
		abort();
	return (struct sockaddr *)&peer_ss;
}

/* The words of text, split at spaces, added to *ac as list. */
static int
add(struct access **ac, int list, const char *text)
{
	char buf[1024], *words[64], *w, *save = NULL;
	int n = 0;

	strlcpy(buf, text, sizeof(buf));
	for (w = strtok_r(buf, " ", &save); w != NULL && n < 64;
	    w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	why[0] = '\0';
	return access_add(ac, list, words, n, why, sizeof(why));
}

static int
allows(const struct access *ac, const char *text)
{
	return access_allows(ac, peer(text));
}

static int
test_only_from(void)
{
	struct access *ac = NULL;

	CHECK(add(&ac, ACCESS_ALLOW, "127.0.0.1") == 0);
	CHECK(allows(ac, "127.0.0.1"));
	CHECK(!allows(ac, "127.0.0.2"));
	CHECK(!allows(ac, "::1"));
	CHECK(allows(ac, "::ffff:127.0.0.1"));	/* a dual-stack client */
	CHECK(!allows(ac, "::ffff:127.0.0.2"));
	access_free(ac);
	return 1;
}

static int
test_no_access(void)
{
	struct access *ac = NULL;

	CHECK(add(&ac, ACCESS_DENY, "127.0.0.2 ::1") == 0);
	CHECK(allows(ac, "127.0.0.1"));
	CHECK(!allows(ac, "127.0.0.2"));
	CHECK(!allows(ac, "::ffff:127.0.0.2"));
	CHECK(!allows(ac, "::1"));
	CHECK(allows(ac, "::2"));
	CHECK(allows(ac, "10.0.0.1"));
	access_free(ac);
	return 1;
}

/* xinetd.conf(5)'s example: the better match decides. */
static int
test_both_lists(void)
{
	struct access *ac = NULL;

	CHECK(add(&ac, ACCESS_ALLOW, "128.138.209.0") == 0);
	CHECK(add(&ac, ACCESS_DENY, "128.138.209.10") == 0);
	CHECK(!allows(ac, "128.138.209.10"));
	CHECK(allows(ac, "128.138.209.11"));
	CHECK(allows(ac, "128.138.209.9"));
	CHECK(!allows(ac, "128.138.210.1"));
	/* The other way round: a host let in from a network shut out. */
	access_free(ac);
	ac = NULL;
	CHECK(add(&ac, ACCESS_DENY, "10.0.0.0/8") == 0);
	CHECK(add(&ac, ACCESS_ALLOW, "10.1.2.3") == 0);
	CHECK(allows(ac, "10.1.2.3"));
	CHECK(!allows(ac, "10.1.2.4"));
	CHECK(!allows(ac, "192.0.2.1"));	/* only_from given */
	access_free(ac);
	return 1;
}

/* The same prefix in both lists: refused, whatever the order. */
static int
test_tie(void)
{
	struct access *ac = NULL;

	CHECK(add(&ac, ACCESS_DENY, "192.0.2.0/24") == 0);
	CHECK(add(&ac, ACCESS_ALLOW, "192.0.2.0/24 192.0.2.7") == 0);
	CHECK(!allows(ac, "192.0.2.1"));
	CHECK(allows(ac, "192.0.2.7"));
	access_free(ac);
	ac = NULL;
	CHECK(add(&ac, ACCESS_ALLOW, "2001:db8::/32") == 0);
	CHECK(add(&ac, ACCESS_DENY, "2001:db8::/32") == 0);
	CHECK(!allows(ac, "2001:db8::1"));
	access_free(ac);
	return 1;
}

static int
test_nested(void)
{
	struct access *ac = NULL;

	CHECK(add(&ac, ACCESS_ALLOW, "10.0.0.0/8 10.1.2.0/24") == 0);
	CHECK(add(&ac, ACCESS_DENY, "10.1.0.0/16 10.1.2.128/25") == 0);
	CHECK(allows(ac, "10.0.0.1"));
	CHECK(allows(ac, "10.255.255.255"));
	CHECK(!allows(ac, "10.1.0.1"));
	CHECK(allows(ac, "10.1.2.3"));
	CHECK(allows(ac, "10.1.2.127"));
	CHECK(!allows(ac, "10.1.2.128"));
	CHECK(!allows(ac, "10.1.2.255"));
	CHECK(!allows(ac, "10.1.3.0"));
	CHECK(allows(ac, "10.2.0.0"));
	CHECK(!allows(ac, "11.0.0.0"));
	CHECK(!allows(ac, "9.255.255.255"));
	access_free(ac);
	return 1;
}

/* xinetd's forms: a.b.c.0 and 0.0.0.0 are wildcards, a.b.{c,d}. */
static int
test_xinetd_forms(void)
{
	struct access *ac = NULL;

	CHECK(add(&ac, ACCESS_ALLOW, "128.138.12.0 10.0.0.0") == 0);
	CHECK(allows(ac, "128.138.12.99"));
	CHECK(!allows(ac, "128.138.13.1"));
	CHECK(allows(ac, "10.200.1.1"));
	access_free(ac);
	ac = NULL;
	CHECK(add(&ac, ACCESS_ALLOW, "0.0.0.0") == 0);
	CHECK(allows(ac, "203.0.113.9"));
	CHECK(!allows(ac, "2001:db8::1"));	/* IPv4 only, as xinetd */
	access_free(ac);
	ac = NULL;
	CHECK(add(&ac, ACCESS_ALLOW, "128.138.{209,12} 192.0.2.{1,3}") == 0);
	CHECK(allows(ac, "128.138.209.5"));
	CHECK(allows(ac, "128.138.12.0"));
	CHECK(!allows(ac, "128.138.11.5"));
	CHECK(allows(ac, "192.0.2.1"));
	CHECK(!allows(ac, "192.0.2.2"));
	CHECK(allows(ac, "192.0.2.3"));
	access_free(ac);
	ac = NULL;
	CHECK(add(&ac, ACCESS_DENY, "10.{0}") == 0);	/* 10.0/16 */
	CHECK(!allows(ac, "10.0.9.9"));
	CHECK(allows(ac, "10.1.0.1"));
	access_free(ac);
	return 1;
}

static int
test_ipv6(void)
{
	struct access *ac = NULL;

	CHECK(add(&ac, ACCESS_ALLOW, "2001:db8::/32 ::1") == 0);
	CHECK(add(&ac, ACCESS_DENY, "2001:db8:bad::/48") == 0);
	CHECK(allows(ac, "::1"));
	CHECK(!allows(ac, "::2"));
	CHECK(allows(ac, "2001:db8:1::1"));
	CHECK(!allows(ac, "2001:db8:bad::1"));
	CHECK(allows(ac, "2001:db8:bae::1"));
	CHECK(!allows(ac, "2001:db9::1"));
	CHECK(!allows(ac, "127.0.0.1"));
	access_free(ac);
	ac = NULL;
	/* A mapped rule is an IPv4 one; ::/0 holds no IPv4 client. */
	CHECK(add(&ac, ACCESS_ALLOW, "::ffff:192.0.2.0/120 ::/0") == 0);
	CHECK(allows(ac, "192.0.2.200"));
	CHECK(!allows(ac, "192.0.3.1"));
	CHECK(allows(ac, "fe80::1"));
	access_free(ac);
	return 1;
}

/* The ends of the address space, where a key has no next one. */
static int
test_edges(void)
{
	struct access *ac = NULL;

	CHECK(add(&ac, ACCESS_ALLOW, "0.0.0.0/0 ::/0") == 0);
	CHECK(add(&ac, ACCESS_DENY, "255.255.255.255/32 0.0.0.0/32") == 0);
	CHECK(add(&ac, ACCESS_DENY, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:"
	    "ffff ::/128") == 0);
	CHECK(!allows(ac, "255.255.255.255"));
	CHECK(allows(ac, "255.255.255.254"));
	CHECK(!allows(ac, "0.0.0.0"));
	CHECK(allows(ac, "0.0.0.1"));
	CHECK(!allows(ac, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	CHECK(allows(ac, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"));
	CHECK(!allows(ac, "::"));
	CHECK(allows(ac, "::2"));
	access_free(ac);
	return 1;
}

/* "only_from =" with no value: nobody, as xinetd. */
static int
test_empty_only_from(void)
{
	struct access *ac = NULL;
	struct sockaddr_un sun;

	CHECK(access_add(&ac, ACCESS_ALLOW, NULL, 0, why, sizeof(why)) == 0);
	CHECK(!allows(ac, "127.0.0.1"));
	CHECK(!allows(ac, "::1"));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	CHECK(!access_allows(ac, (struct sockaddr *)&sun));
	access_free(ac);
	ac = NULL;
	CHECK(add(&ac, ACCESS_DENY, "0.0.0.0/0") == 0);
	CHECK(access_allows(ac, (struct sockaddr *)&sun));
	CHECK(access_allows(NULL, peer("127.0.0.1")));
	access_free(ac);
	return 1;
}

/* Names are refused, never matched; so is anything unreadable. */
static int
test_refused_words(void)
{
	static const struct {
		const char	*word;
		const char	*why;
	} cases[] = {
		{ "localhost", "host and network names are not supported" },
		{ "host.example.org", "host and network names" },
		{ ".example.org", "domain names are not supported" },
		{ "10.0.0.0/33", "not an address" },
		{ "::/129", "not an address" },
		{ "10.0.0.0/", "not an address" },
		{ "10.0.0.0/-1", "not an address" },
		{ "/8", "not an address" },
		{ "10.0.0", "not an address" },
		{ "256.1.1.1", "not an address" },
		{ "10.{1,2", "not an address" },
		{ "10.{1,,2}", "not an address" },
		{ "10.{256}", "not an address" },
		{ "{1,2}", "not an address" },
		{ "1.2.3.{4}.5", "not an address" },
		{ "1.2.3.4.{5}", "not an address" },
		{ "10.{1}x", "not an address" },
		{ "10.{01234}", "not an address" },
		{ "fe80::1%lo", "not an address" },
	};
	struct access *ac = NULL;
	size_t i;

	CHECK(add(&ac, ACCESS_ALLOW, "127.0.0.1") == 0);
	for (i = 0; i < nitems(cases); i++) {
		CHECK(add(&ac, i % 2 ? ACCESS_DENY : ACCESS_ALLOW,
		    cases[i].word) == -1);
		CHECK(strstr(why, cases[i].why) != NULL);
		CHECK(strstr(why, cases[i].word) != NULL);
		/* What was there before stays as it was. */
		CHECK(allows(ac, "127.0.0.1"));
		CHECK(!allows(ac, "127.0.0.2"));
	}
	access_free(ac);
	ac = NULL;
	CHECK(add(&ac, ACCESS_DENY, "10.0.0.1 nohost") == -1);
	CHECK(ac == NULL);
	return 1;
}

static int
test_bounded(void)
{
	struct access *ac = NULL;
	char *words[ACCESS_RULES_MAX + 1];
	char text[ACCESS_RULES_MAX + 1][20];
	int i;

	for (i = 0; i <= ACCESS_RULES_MAX; i++) {
		snprintf(text[i], sizeof(text[i]), "10.%d.%d.1", i / 256,
		    i % 256);
		words[i] = text[i];
	}
	CHECK(access_add(&ac, ACCESS_ALLOW, words, ACCESS_RULES_MAX, why,
	    sizeof(why)) == 0);
	CHECK(allows(ac, "10.3.255.1"));
	CHECK(!allows(ac, "10.4.0.1"));
	CHECK(access_add(&ac, ACCESS_DENY, words + ACCESS_RULES_MAX, 1, why,
	    sizeof(why)) == -1);
	CHECK(strstr(why, "more than 1024") != NULL);
	CHECK(!allows(ac, "10.4.0.1"));
	access_free(ac);
	ac = NULL;
	/* The braces count each value. */
	words[0] = "10.{0,1,2,3,4,5,6,7,8,9}";
	for (i = 0; i < ACCESS_RULES_MAX / 10; i++)
		CHECK(access_add(&ac, ACCESS_DENY, words, 1, why,
		    sizeof(why)) == 0);
	CHECK(access_add(&ac, ACCESS_DENY, words, 1, why, sizeof(why)) == -1);
	access_free(ac);
	return 1;
}

/* ------------------------------------------ against a plain search */

struct plain_rule {
	uint32_t	 addr;
	int		 len;
	int		 deny;
};

static uint32_t
mask(int len)
{
	return len == 0 ? 0 : ~(uint32_t)0 << (32 - len);
}

/* xinetd's rule, one rule at a time: the longest match, then deny. */
static int
plain_allows(const struct plain_rule *r, int n, int only_from, uint32_t a)
{
	int i, best = -1, allow = !only_from;

	for (i = 0; i < n; i++) {
		if ((a & mask(r[i].len)) != (r[i].addr & mask(r[i].len)))
			continue;
		if (r[i].len > best || (r[i].len == best && r[i].deny)) {
			best = r[i].len;
			allow = !r[i].deny;
		}
	}
	return allow;
}

/* Addresses near the few the rules are made of, so that they nest. */
static uint32_t
near(uint32_t seed)
{
	static const uint32_t bases[] = { 0x0a000000, 0x0a010000, 0x0a010200,
	    0xffffffff, 0x00000000, 0x0a0102ff };

	return bases[seed % nitems(bases)] ^ ((uint32_t)random() >>
	    (random() % 31 + 1));
}

static int
test_random(void)
{
	struct plain_rule r[40];
	char text[40][32], *words[1];
	struct in_addr in;
	struct access *ac;
	int round, i, n, only_from;
	uint32_t a;

	srandom(7);
	for (round = 0; round < 300; round++) {
		ac = NULL;
		n = 1 + random() % 40;
		only_from = 0;
		for (i = 0; i < n; i++) {
			r[i].addr = near(random());
			r[i].len = random() % 33;
			r[i].deny = random() % 2;
			only_from |= !r[i].deny;
			in.s_addr = htonl(r[i].addr);
			snprintf(text[i], sizeof(text[i]), "%s/%d",
			    inet_ntoa(in), r[i].len);
			words[0] = text[i];
			CHECK(access_add(&ac, r[i].deny ? ACCESS_DENY :
			    ACCESS_ALLOW, words, 1, why, sizeof(why)) == 0);
		}
		for (i = 0; i < 200; i++) {
			a = i < n ? r[i].addr : near(random());
			if (i >= n && i < 2 * n)	/* a prefix's last */
				a = r[i - n].addr | ~mask(r[i - n].len);
			in.s_addr = htonl(a);
			snprintf(why, sizeof(why), " (round %d, %s)", round,
			    inet_ntoa(in));
			CHECK(allows(ac, inet_ntoa(in)) ==
			    plain_allows(r, n, only_from, a));
		}
		access_free(ac);
	}
	why[0] = '\0';
	return 1;
}

int
main(void)
{
	static const struct unit_test tests[] = {
		{ "only_from", test_only_from },
		{ "no_access", test_no_access },
		{ "both_lists", test_both_lists },
		{ "tie", test_tie },
		{ "nested", test_nested },
		{ "xinetd_forms", test_xinetd_forms },
		{ "ipv6", test_ipv6 },
		{ "edges", test_edges },
		{ "empty_only_from", test_empty_only_from },
		{ "refused_words", test_refused_words },
		{ "bounded", test_bounded },
		{ "random", test_random },
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	unit_run(tests, nitems(tests), NULL);
	return unit_summary();
}
