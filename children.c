/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * children.c: the daemon's table of its running children.
 *
 * A child is noted when it starts and forgotten when it is reaped: its
 * entry's count of children, max-child-per-ip and the judgement of a
 * server that failed at once need to know what it was started for.  The
 * table has a fixed size (MAXCHILDREN): past it, new connections wait
 * in the listen queue.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <string.h>

#include "config.h"
#include "children.h"
#include "event.h"
#include "log.h"
#include "ratelimit.h"
#include "reload.h"

#define MAXCHILDREN	16384	/* children tracked at once */

static struct child	 children[MAXCHILDREN];
static int		 nchildren;
static int		 nforked;	/* of them, started by fork() */
static int		 children_full_logged;

int
children_full(void)
{
	if (nchildren < MAXCHILDREN) {
		children_full_logged = 0;
		return 0;
	}
	if (!children_full_logged)
		logmsg(LOG_ERR, "%d children running, the most inetd tracks; "
		    "new connections wait", MAXCHILDREN);
	children_full_logged = 1;
	return 1;
}

/*
 * A child of fork() holds copies of the daemon's descriptors until it
 * has closed them: while one runs, closing a descriptor does not take
 * it out of the epoll set (see event_close()).
 */
static void
count_forked(int delta)
{
	nforked += delta;
	event_copies_elsewhere(nforked > 0);
}

/* Noted as it was; its entry counts it if this returns 0. */
int
child_restore(const struct child *ch)
{
	if (nchildren == MAXCHILDREN)
		return -1;
	if (ch->ch_forked)
		count_forked(1);
	children[nchildren++] = *ch;
	return 0;
}

const struct child *
child_at(int i)
{
	return i >= 0 && i < nchildren ? &children[i] : NULL;
}

void
child_add(pid_t pid, struct servtab *sep, const struct sockaddr *peer,
    uint64_t datagram, long long started_ms, int forked)
{
	struct child *ch = &children[nchildren];

	if (forked)
		count_forked(1);
	ch->ch_forked = forked;
	ch->ch_pid = pid;
	ch->ch_sep = sep;
	ch->ch_started_ms = started_ms;
	ch->ch_datagram = datagram;
	if (peer == NULL)
		memset(&ch->ch_peer, 0, sizeof(ch->ch_peer));
	else
		(void)peer_addr_set(&ch->ch_peer, peer);
	nchildren++;
	sep->se_children++;
}

int
children_of_peer(const struct servtab *sep, const struct peer_addr *pa)
{
	int i, n = 0;

	for (i = 0; i < nchildren; i++)
		if (children[i].ch_sep == sep &&
		    peer_addr_equal(&children[i].ch_peer, pa))
			n++;
	return n;
}

struct servtab *
child_remove(pid_t pid, struct child *ch)
{
	int i;

	for (i = 0; i < nchildren; i++) {
		if (children[i].ch_pid != pid)
			continue;
		*ch = children[i];
		children[i] = children[--nchildren];
		if (ch->ch_forked)
			count_forked(-1);
		return ch->ch_sep;
	}
	return NULL;
}

int
children_count(void)
{
	return nchildren;
}

/* Children of removed entries are reaped, but count for nothing. */
void
children_hand_over(const struct handover_table *ht)
{
	int i;

	for (i = 0; i < nchildren; i++)
		if (children[i].ch_sep != NULL)
			children[i].ch_sep = handover_successor(ht,
			    children[i].ch_sep);
}
