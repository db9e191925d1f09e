/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reload.h: the hand-over of sockets, children and counters from the
 * running entries to those of a file read again (reload.c).
 */
#ifndef INETD_RELOAD_H
#define INETD_RELOAD_H

#include <stddef.h>

struct servtab;
struct handover;

/* The running entries by socket (same family, type, v6only, address). */
struct handover_table {
	struct handover	*ht_slot;	/* open addressing, half empty */
	size_t		 ht_mask;
};

/* The table of the running list; -1 when out of memory. */
int		 handover_init(struct handover_table *ht,
		    struct servtab *list);
/*
 * The running entry whose socket sep takes over, NULL if none: of two
 * with that socket (a duplicate line), the one whose socket is open.
 * sep then has its descriptor (the old entry's is -1), its paused state,
 * its count of children, its limits' counts and its statistics; looping
 * has ended.  Each running entry is taken over once at most.
 */
struct servtab	*handover_take(struct handover_table *ht,
		    struct servtab *sep);
/* The entry that took over old, NULL if none did. */
struct servtab	*handover_successor(const struct handover_table *ht,
		    const struct servtab *old);
void		 handover_free(struct handover_table *ht);

#endif /* INETD_RELOAD_H */
