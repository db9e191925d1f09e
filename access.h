/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * access.h: the only_from and no_access keys of an entry (xinetd's),
 * compiled at load into a sorted table of address ranges, so that the
 * daemon decides on a client before anything is spawned, in O(log n)
 * of the rules, without libwrap and without any name look-up.
 */
#ifndef INETD_ACCESS_H
#define INETD_ACCESS_H

#include <stddef.h>

struct sockaddr;

/*
 * Prefixes of one entry, only_from and no_access together, each
 * a.b.{c,d} counted once a value inside the braces: a table made at load
 * never grows, and a lookup takes at most log2(2 * 1024 + 1) steps.
 */
#define ACCESS_RULES_MAX	1024

#define ACCESS_ALLOW	0	/* only_from */
#define ACCESS_DENY	1	/* no_access */

struct access;

/*
 * The words of one only_from (ACCESS_ALLOW) or no_access (ACCESS_DENY)
 * key added to *acp, allocated when NULL, and the table made again.
 * Returns 0, or -1 with why (the word it refuses, without the key's
 * name); *acp is then as it was.
 */
int	access_add(struct access **acp, int list, char *const *words,
	    int nwords, char *why, size_t size);

/*
 * Whether peer may use the entry.  The rule of the longest prefix that
 * holds the address decides, no_access on a tie; an address no rule
 * holds is refused when only_from was given.  An IPv4-mapped IPv6
 * address is taken as the IPv4 one; a client without an IP address
 * (UNIX domain) is held by no rule.
 */
int	access_allows(const struct access *ac, const struct sockaddr *peer);

void	access_free(struct access *ac);

#endif /* INETD_ACCESS_H */
