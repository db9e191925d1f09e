/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reload.c: on SIGHUP, which running entry hands its socket over to
 * which entry of the new file.
 *
 * A reload must not lose what waits in a socket's backlog, nor forget
 * the children and counters of a service that stays: an entry of the
 * new file asking for the socket of a running entry takes it over, with
 * them.  The running entries go in a hash table by socket, so that a
 * reload takes time in proportion to the entries, not to their square.
 * Nothing here opens, closes or logs: the daemon (inetd.c) does that
 * around these functions, and the unit tests (tests/test_reload.c) drive
 * them with entries of their own.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "options.h"
#include "ratelimit.h"
#include "reload.h"

static int
same_socket(const struct servtab *a, const struct servtab *b)
{
	return a->se_family == b->se_family &&
	    a->se_socktype == b->se_socktype &&
	    a->se_v6only == b->se_v6only &&
	    a->se_ctrladdr_size == b->se_ctrladdr_size &&
	    memcmp(&a->se_ctrladdr, &b->se_ctrladdr,
	    a->se_ctrladdr_size) == 0 &&
	    options_same_socket(a->se_opts, b->se_opts);
}

/* A running entry, and the new entry that takes its socket over. */
struct handover {
	struct servtab	*ho_old;
	struct servtab	*ho_new;	/* NULL: none (yet) */
};

/* FNV-1a of what same_socket() compares. */
static size_t
socket_hash(const struct servtab *sep)
{
	const unsigned char *p = (const unsigned char *)&sep->se_ctrladdr;
	uint64_t h = 14695981039346656037ULL;
	const uint64_t prime = 1099511628211ULL;
	socklen_t i;

	h = (h ^ (unsigned)sep->se_family) * prime;
	h = (h ^ (unsigned)sep->se_socktype) * prime;
	h = (h ^ (unsigned)sep->se_v6only) * prime;
	for (i = 0; i < sep->se_ctrladdr_size; i++)
		h = (h ^ p[i]) * prime;
	return h;
}

int
handover_init(struct handover_table *ht, struct servtab *list)
{
	struct servtab *sep;
	size_t n = 0, size = 16, i;

	for (sep = list; sep != NULL; sep = sep->se_next)
		n++;
	while (size < 2 * n)
		size *= 2;
	if ((ht->ht_slot = calloc(size, sizeof(*ht->ht_slot))) == NULL)
		return -1;
	ht->ht_mask = size - 1;
	for (sep = list; sep != NULL; sep = sep->se_next) {
		for (i = socket_hash(sep) & ht->ht_mask;
		    ht->ht_slot[i].ho_old != NULL; i = (i + 1) & ht->ht_mask)
			continue;
		ht->ht_slot[i].ho_old = sep;
	}
	return 0;
}

/*
 * A running entry with the socket sep asks for, not taken over yet; of
 * two such (a duplicate line), the one whose socket is open.
 */
static struct handover *
handover_find(struct handover_table *ht, const struct servtab *sep)
{
	struct handover *ho, *found = NULL;
	size_t i;

	for (i = socket_hash(sep) & ht->ht_mask;
	    (ho = &ht->ht_slot[i])->ho_old != NULL; i = (i + 1) & ht->ht_mask) {
		if (ho->ho_new != NULL || !same_socket(ho->ho_old, sep))
			continue;
		if (ho->ho_old->se_fd != -1)
			return ho;
		if (found == NULL)
			found = ho;
	}
	return found;
}

struct servtab *
handover_successor(const struct handover_table *ht,
    const struct servtab *old)
{
	const struct handover *ho;
	size_t i;

	for (i = socket_hash(old) & ht->ht_mask;
	    (ho = &ht->ht_slot[i])->ho_old != NULL; i = (i + 1) & ht->ht_mask)
		if (ho->ho_old == old)
			return ho->ho_new;
	return NULL;
}

/*
 * The new entry inherits the socket and its backlog, the count of its
 * children, and what its limits have counted; a looping entry is
 * opened again.
 */
static void
take_over(struct servtab *sep, struct servtab *old)
{
	sep->se_fd = old->se_fd;
	sep->se_paused = old->se_paused;
	sep->se_children = old->se_children;
	sep->se_limits = old->se_limits;
	sep->se_stats = old->se_stats;
	svc_looping_end(sep);
	old->se_fd = -1;
}

struct servtab *
handover_take(struct handover_table *ht, struct servtab *sep)
{
	struct handover *ho;

	if ((ho = handover_find(ht, sep)) == NULL)
		return NULL;
	ho->ho_new = sep;
	take_over(sep, ho->ho_old);
	return ho->ho_old;
}

void
handover_free(struct handover_table *ht)
{
	free(ht->ht_slot);
	ht->ht_slot = NULL;
}
