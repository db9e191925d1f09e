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

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "children.h"
#include "event.h"
#include "log.h"
#include "options.h"
#include "ratelimit.h"
#include "reload.h"
#include "util.h"

#define MAXCHILDREN	16384	/* children tracked at once */

static struct child	 children[MAXCHILDREN];
static int		 nchildren;
static int		 nforked;	/* of them, started by fork() */
static int		 children_full_logged;
static long long	 next_deadline;	/* the earliest ch_deadline_ms */

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
	ch->ch_termed = 0;
	ch->ch_deadline_ms = 0;
	ch->ch_timeout = sep->se_opts != NULL ? sep->se_opts->so_timeout : 0;
	if (ch->ch_timeout != 0) {
		ch->ch_deadline_ms = started_ms + ch->ch_timeout * 1000LL;
		if (next_deadline == 0 || ch->ch_deadline_ms < next_deadline)
			next_deadline = ch->ch_deadline_ms;
	}
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

long long
children_deadline(void)
{
	return next_deadline;
}

/*
 * The child made itself a session leader, and its process group with
 * it, before its server ran: the group is what the server started.  A
 * child of fork() that has not got that far yet gets it alone.
 */
static void
signal_group(const struct child *ch, int sig)
{
	char where[SVC_WHERE_MAX];

	if (kill(-ch->ch_pid, sig) == -1 && errno == ESRCH)
		(void)kill(ch->ch_pid, sig);
	if (ch->ch_sep == NULL) {
		logmsg(LOG_WARNING, "server %d of a removed entry ran past "
		    "its timeout: %s to its process group", (int)ch->ch_pid,
		    sig == SIGTERM ? "SIGTERM" : "SIGKILL");
		return;
	}
	if (sig == SIGTERM)
		logmsg(LOG_WARNING, "%s: server %d ran past its timeout of "
		    "%d s: SIGTERM to its process group, SIGKILL in %d s",
		    servtab_where(ch->ch_sep, where, sizeof(where)),
		    (int)ch->ch_pid, ch->ch_timeout,
		    CHILD_KILL_DELAY_MS / 1000);
	else
		logmsg(LOG_WARNING, "%s: server %d still running %d s after "
		    "SIGTERM: SIGKILL to its process group",
		    servtab_where(ch->ch_sep, where, sizeof(where)),
		    (int)ch->ch_pid, CHILD_KILL_DELAY_MS / 1000);
}

/* One pass over the table, only when the earliest deadline is due. */
void
children_run_timeouts(long long now_ms)
{
	struct child *ch;
	int i;

	if (next_deadline == 0 || now_ms < next_deadline)
		return;
	next_deadline = 0;
	for (i = 0; i < nchildren; i++) {
		ch = &children[i];
		if (ch->ch_deadline_ms != 0 && ch->ch_deadline_ms <= now_ms) {
			signal_group(ch, ch->ch_termed ? SIGKILL : SIGTERM);
			ch->ch_deadline_ms = ch->ch_termed ? 0 :
			    now_ms + CHILD_KILL_DELAY_MS;
			ch->ch_termed = 1;
		}
		if (ch->ch_deadline_ms != 0 && (next_deadline == 0 ||
		    ch->ch_deadline_ms < next_deadline))
			next_deadline = ch->ch_deadline_ms;
	}
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
