/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * access.c: only_from and no_access, as xinetd.conf(5) says them, as a
 * table the daemon searches for each client.
 *
 * Each word is one or more prefixes (an address, ADDR/LEN, xinetd's
 * a.b.c.0 and a.b.{c,d}).  Prefixes are nested or apart, so the rule of
 * the longest prefix holding an address (xinetd's "better match") is
 * the same on each interval between their ends: the table is those
 * intervals' starts, sorted, with what each decides, and a client is a
 * binary search.  IPv4 and IPv6 each have a table, of 128-bit keys (an
 * IPv4 address in the top 32 bits), so that one code serves both.
 * Names are refused, never matched: they would need a look-up for each
 * client, and a word that cannot be read must not leave an entry open
 * to more clients than its author meant.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"

#define V4	0	/* the tables of struct access */
#define V6	1

struct key {
	uint64_t	 hi, lo;
};

struct rule {
	struct key	 r_first;	/* the prefix's first address */
	unsigned char	 r_len;		/* its length, of the key's bits */
	unsigned char	 r_family;	/* V4 or V6 */
	unsigned char	 r_deny;	/* no_access */
};

/* From pt_start to the next point's, pt_allow says. */
struct point {
	struct key	 pt_start;
	int		 pt_allow;
};

struct access {
	struct rule	*ac_rules;	/* as given, to make the tables */
	size_t		 ac_nrules;
	int		 ac_only_from;	/* given: no rule, no access */
	struct point	*ac_table[2];
	size_t		 ac_npoints[2];
};

static const struct key key_zero = { 0, 0 };

static int
key_cmp(struct key a, struct key b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

/* The host part of a prefix of len bits: all ones. */
static struct key
host_bits(int len)
{
	struct key k;

	k.hi = len >= 64 ? 0 : len == 0 ? ~(uint64_t)0 : ~(uint64_t)0 >> len;
	k.lo = len >= 128 ? 0 : len <= 64 ? ~(uint64_t)0 :
	    ~(uint64_t)0 >> (len - 64);
	return k;
}

static struct key
rule_last(const struct rule *r)
{
	struct key h = host_bits(r->r_len);

	h.hi |= r->r_first.hi;
	h.lo |= r->r_first.lo;
	return h;
}

static struct key
key_next(struct key k)
{
	k.lo++;
	if (k.lo == 0)
		k.hi++;
	return k;
}

static int
key_is_max(struct key k)
{
	return k.hi == ~(uint64_t)0 && k.lo == ~(uint64_t)0;
}

static struct key
key_v4(const struct in_addr *a)
{
	struct key k;

	k.hi = (uint64_t)ntohl(a->s_addr) << 32;
	k.lo = 0;
	return k;
}

static struct key
key_v6(const struct in6_addr *a)
{
	struct key k = key_zero;
	int i;

	for (i = 0; i < 8; i++) {
		k.hi = k.hi << 8 | a->s6_addr[i];
		k.lo = k.lo << 8 | a->s6_addr[8 + i];
	}
	return k;
}

/* ------------------------------------------------------------- words */

struct parsed {
	struct rule	 p_rules[256];	/* a word's: a.b.{0,...,255} at most */
	int		 p_n;
};

static void
add_prefix(struct parsed *p, int family, struct key first, int len)
{
	struct rule *r = &p->p_rules[p->p_n++];
	struct key h = host_bits(len);

	/* An IPv4-mapped prefix is an IPv4 one: mapped clients are. */
	if (family == V6 && len >= 96 && first.hi == 0 &&
	    first.lo >> 32 == 0xffff) {
		family = V4;
		first.hi = first.lo << 32;
		first.lo = 0;
		len -= 96;
		h = host_bits(len);
	}
	first.hi &= ~h.hi;	/* 10.1.2.3/8 is 10.0.0.0/8 */
	first.lo &= ~h.lo;
	r->r_first = first;
	r->r_len = len;
	r->r_family = family;
}

/* Letters, digits, dots and dashes, a letter among them. */
static int
is_name(const char *word)
{
	int letters = 0;

	for (; *word != '\0'; word++) {
		if (!isalnum((unsigned char)*word) && *word != '.' &&
		    *word != '-')
			return 0;
		letters |= isalpha((unsigned char)*word);
	}
	return letters;
}

static int
bad_word(const char *word, char *why, size_t size)
{
	if (word[0] == '.')
		snprintf(why, size, "\"%s\": domain names are not supported "
		    "(they need a look-up for each client): give addresses "
		    "or ADDR/LEN", word);
	else if (is_name(word))
		snprintf(why, size, "\"%s\": host and network names are not "
		    "supported (they need a look-up for each client): give "
		    "addresses or ADDR/LEN", word);
	else
		snprintf(why, size, "\"%s\": not an address, ADDR/LEN or "
		    "a.b.{c,d}", word);
	return -1;
}

/*
 * xinetd's a.b.c.d: the zero components on the right are wildcards,
 * 0.0.0.0 is every IPv4 address.  An IPv6 address is one address.
 */
static int
parse_address(struct parsed *p, const char *word)
{
	struct in_addr a4;
	struct in6_addr a6;
	uint32_t host;
	int len = 32;

	if (inet_pton(AF_INET6, word, &a6) == 1) {
		add_prefix(p, V6, key_v6(&a6), 128);
		return 0;
	}
	if (inet_pton(AF_INET, word, &a4) != 1)
		return -1;
	for (host = ntohl(a4.s_addr); len > 0 && (host & 0xff) == 0;
	    host >>= 8)
		len -= 8;
	add_prefix(p, V4, key_v4(&a4), len);
	return 0;
}

static int
parse_cidr(struct parsed *p, const char *word, const char *slash)
{
	char addr[INET6_ADDRSTRLEN];
	struct in_addr a4;
	struct in6_addr a6;
	const char *errstr;
	long long len;

	if ((size_t)(slash - word) >= sizeof(addr))
		return -1;
	memcpy(addr, word, slash - word);
	addr[slash - word] = '\0';
	if (inet_pton(AF_INET6, addr, &a6) == 1) {
		len = strtonum(slash + 1, 0, 128, &errstr);
		if (errstr != NULL)
			return -1;
		add_prefix(p, V6, key_v6(&a6), len);
		return 0;
	}
	len = strtonum(slash + 1, 0, 32, &errstr);
	if (errstr != NULL || inet_pton(AF_INET, addr, &a4) != 1)
		return -1;
	add_prefix(p, V4, key_v4(&a4), len);
	return 0;
}

/* 0 to 255 in decimal at *sp, which moves past it; -1 if none. */
static int
parse_octet(const char **sp)
{
	const char *s = *sp;
	int v = 0, digits = 0;

	while (isdigit((unsigned char)*s) && digits < 3) {
		v = v * 10 + (*s++ - '0');
		digits++;
	}
	if (digits == 0 || v > 255 || isdigit((unsigned char)*s))
		return -1;
	*sp = s;
	return v;
}

/* xinetd's a.b.{c,d}: one to three components, then a list of the next. */
static int
parse_factorized(struct parsed *p, const char *word)
{
	const char *s = word;
	uint32_t base = 0;
	struct key k;
	int n = 0, v;

	while (*s != '{') {
		if (n == 3 || (v = parse_octet(&s)) == -1 || *s++ != '.')
			return -1;
		base = base << 8 | v;
		n++;
	}
	if (n == 0)
		return -1;
	for (s++;; s++) {
		if ((v = parse_octet(&s)) == -1 ||
		    p->p_n == (int)(sizeof(p->p_rules) / sizeof(p->p_rules[0])))
			return -1;
		k.hi = (uint64_t)((base << 8 | v) << (8 * (3 - n))) << 32;
		k.lo = 0;
		add_prefix(p, V4, k, 8 * (n + 1));
		if (*s == '}')
			break;
		if (*s != ',')
			return -1;
	}
	return s[1] == '\0' ? 0 : -1;
}

static int
parse_word(struct parsed *p, const char *word, char *why, size_t size)
{
	const char *slash = strchr(word, '/');
	int r;

	p->p_n = 0;
	if (strchr(word, '{') != NULL)
		r = parse_factorized(p, word);
	else if (slash != NULL)
		r = parse_cidr(p, word, slash);
	else
		r = parse_address(p, word);
	return r == -1 ? bad_word(word, why, size) : 0;
}

/* ------------------------------------------------------------ tables */

static int
rule_cmp(const void *a, const void *b)
{
	const struct rule *ra = a, *rb = b;
	int c;

	if (ra->r_family != rb->r_family)
		return (int)ra->r_family - (int)rb->r_family;
	if ((c = key_cmp(ra->r_first, rb->r_first)) != 0)
		return c;
	if (ra->r_len != rb->r_len)
		return ra->r_len < rb->r_len ? -1 : 1;
	return (int)ra->r_deny - (int)rb->r_deny;
}

/* A point at start, replacing one at the same place, merging equals. */
static void
emit(struct point *pts, size_t *n, struct key start, int allow)
{
	if (*n > 0 && key_cmp(pts[*n - 1].pt_start, start) == 0)
		(*n)--;
	if (*n > 0 && pts[*n - 1].pt_allow == allow)
		return;
	pts[*n].pt_start = start;
	pts[*n].pt_allow = allow;
	(*n)++;
}

/*
 * One family's sorted rules (nested ones after the prefix holding
 * them) into points: a sweep keeping the prefixes that hold the current
 * address on a stack, as deep as a key has bits.
 */
static size_t
make_points(const struct rule *rules, size_t n, int dflt, struct point *pts)
{
	const struct rule *stack[129];
	size_t i, depth = 0, npts = 0;
	struct key last;

	emit(pts, &npts, key_zero, dflt);
	for (i = 0; i <= n; i++) {
		while (depth > 0 && (i == n || key_cmp(rule_last(stack[depth -
		    1]), rules[i].r_first) < 0)) {
			last = rule_last(stack[--depth]);
			if (!key_is_max(last))
				emit(pts, &npts, key_next(last), depth > 0 ?
				    !stack[depth - 1]->r_deny : dflt);
		}
		if (i == n)
			break;
		/* The same prefix in both lists: no_access, sorted last. */
		if (depth > 0 && stack[depth - 1]->r_len == rules[i].r_len)
			depth--;
		stack[depth++] = &rules[i];
		emit(pts, &npts, rules[i].r_first, !rules[i].r_deny);
	}
	return npts;
}

/* Sorted by family first, the IPv4 rules come before the IPv6 ones. */
static int
make_tables(struct access *ac)
{
	struct point *table[2];
	size_t count[2] = { 0, 0 }, i;
	int f;

	qsort(ac->ac_rules, ac->ac_nrules, sizeof(*ac->ac_rules), rule_cmp);
	for (i = 0; i < ac->ac_nrules; i++)
		count[ac->ac_rules[i].r_family]++;
	table[V4] = reallocarray(NULL, 2 * count[V4] + 1, sizeof(**table));
	table[V6] = reallocarray(NULL, 2 * count[V6] + 1, sizeof(**table));
	if (table[V4] == NULL || table[V6] == NULL) {
		free(table[V4]);
		free(table[V6]);
		return -1;
	}
	for (f = V4; f <= V6; f++) {
		free(ac->ac_table[f]);
		ac->ac_table[f] = table[f];
		ac->ac_npoints[f] = make_points(ac->ac_rules +
		    (f == V4 ? 0 : count[V4]), count[f], !ac->ac_only_from,
		    table[f]);
	}
	return 0;
}

/* The prefixes of the words, appended to ac's rules. */
static int
add_words(struct access *ac, int list, char *const *words, int nwords,
    char *why, size_t size)
{
	struct parsed *p;
	struct rule *rules;
	size_t total = ac->ac_nrules;
	int i, j;

	if ((p = malloc(sizeof(*p))) == NULL)
		return -1;
	for (i = 0; i < nwords; i++, total += p->p_n)
		if (parse_word(p, words[i], why, size) == -1)
			goto refused;
	if (total > ACCESS_RULES_MAX) {
		snprintf(why, size, "more than %d prefixes", ACCESS_RULES_MAX);
		goto refused;
	}
	if ((rules = reallocarray(ac->ac_rules, total + 1,
	    sizeof(*rules))) == NULL) {
		free(p);
		return -1;
	}
	ac->ac_rules = rules;
	for (i = 0; i < nwords; i++) {
		(void)parse_word(p, words[i], why, size);
		for (j = 0; j < p->p_n; j++) {
			p->p_rules[j].r_deny = list == ACCESS_DENY;
			rules[ac->ac_nrules++] = p->p_rules[j];
		}
	}
	free(p);
	return 0;
refused:
	free(p);
	return -2;
}

int
access_add(struct access **acp, int list, char *const *words, int nwords,
    char *why, size_t size)
{
	struct access *ac = *acp;
	size_t nrules = ac != NULL ? ac->ac_nrules : 0;
	int only_from = ac != NULL && ac->ac_only_from, r = -1;
	char what[256];

	if (ac == NULL && (ac = calloc(1, sizeof(*ac))) == NULL)
		goto failed;
	if ((r = add_words(ac, list, words, nwords, what, sizeof(what))) < 0)
		goto failed;
	ac->ac_only_from |= list == ACCESS_ALLOW;
	if ((r = make_tables(ac)) == -1)
		goto failed;
	*acp = ac;
	return 0;
failed:
	snprintf(why, size, "%s", r == -2 ? what : "out of memory");
	if (*acp == NULL)
		access_free(ac);
	else {
		ac->ac_nrules = nrules;
		ac->ac_only_from = only_from;
	}
	return -1;
}

static struct key
peer_key(const struct sockaddr *peer, int *family)
{
	const struct sockaddr_in6 *sin6;
	struct key k;

	if (peer->sa_family == AF_INET) {
		*family = V4;
		return key_v4(&((const struct sockaddr_in *)(const void *)
		    peer)->sin_addr);
	}
	sin6 = (const struct sockaddr_in6 *)(const void *)peer;
	k = key_v6(&sin6->sin6_addr);
	*family = V6;
	if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		*family = V4;
		k.hi = k.lo << 32;
		k.lo = 0;
	}
	return k;
}

int
access_allows(const struct access *ac, const struct sockaddr *peer)
{
	const struct point *pts;
	struct key k;
	size_t lo, hi, mid;
	int family;

	if (ac == NULL)
		return 1;
	if (peer == NULL || (peer->sa_family != AF_INET &&
	    peer->sa_family != AF_INET6))
		return !ac->ac_only_from;
	k = peer_key(peer, &family);
	pts = ac->ac_table[family];
	/* The last point at or before k; the first is at 0. */
	for (lo = 0, hi = ac->ac_npoints[family]; hi - lo > 1;) {
		mid = lo + (hi - lo) / 2;
		if (key_cmp(pts[mid].pt_start, k) <= 0)
			lo = mid;
		else
			hi = mid;
	}
	return pts[lo].pt_allow;
}

void
access_free(struct access *ac)
{
	if (ac == NULL)
		return;
	free(ac->ac_rules);
	free(ac->ac_table[V4]);
	free(ac->ac_table[V6]);
	free(ac);
}
