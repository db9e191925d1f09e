/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stats.c: the counters of each entry, and their report.
 *
 * The daemon counts what happens to an entry's clients and servers as
 * it happens; this file owns those counters, so that the loop only says
 * what happened, and reports them when SIGUSR1 asks.  A client refused
 * is counted and said in one call, the message at most once a minute,
 * so that a flood of refusals cannot become a flood of messages.
 */
#include <netinet/in.h>

#include <stdio.h>
#include <syslog.h>

#include "config.h"
#include "log.h"
#include "ratelimit.h"
#include "stats.h"
#include "util.h"

void
stats_accepted(struct servtab *sep)
{
	sep->se_stats.st_accepted++;
}

void
stats_looping(struct servtab *sep)
{
	sep->se_stats.st_looping++;
}

void
stats_peer_refused(struct servtab *sep, enum refusal why,
    const struct sockaddr *peer, const char *counts, int limit,
    const char *unit)
{
	struct log_quota *quota = why == REFUSED_PER_IP_RATE ?
	    &sep->se_limits.sl_log_perip_rate :
	    &sep->se_limits.sl_log_perip_children;
	char addr[INET6_ADDRSTRLEN + 1], more[64];
	unsigned missed;

	sep->se_stats.st_refused[why]++;
	if (log_quota_take(quota, monotonic_seconds(), &missed))
		logmsg(LOG_WARNING, "%s:%d: %s from %s exceeded %s (limit "
		    "%d%s)%s", sep->se_file, sep->se_line, sep->se_service,
		    sockaddr_str(peer, addr, sizeof(addr)), counts, limit,
		    unit, missed_text(missed, more, sizeof(more)));
}

/*
 * Once for each time it is reached, and at most once a minute.  An entry
 * offered by tcpmux has no queue: its clients are turned away.
 */
void
stats_max_child(struct servtab *sep)
{
	char where[SVC_WHERE_MAX], more[64];
	unsigned missed;

	if (log_quota_take(&sep->se_limits.sl_log_maxchild,
	    monotonic_seconds(), &missed))
		logmsg(LOG_WARNING, "%s: max-child %d reached, %s%s",
		    servtab_where(sep, where, sizeof(where)),
		    sep->se_maxchild, sep->se_tcpmux == TCPMUX_NONE ?
		    "new connections wait in the queue" :
		    "tcpmux clients are turned away",
		    missed_text(missed, more, sizeof(more)));
}

/*
 * Clients from more addresses than the table holds: each new one takes
 * the place of the one seen least recently, whose count is lost.
 */
void
stats_addrtab_full(const struct addr_table *t)
{
	static struct log_quota quota;
	static unsigned long evictions;
	unsigned missed;

	if (addrtab_evictions(t) == evictions)
		return;
	evictions = addrtab_evictions(t);
	if (log_quota_take(&quota, monotonic_seconds(), &missed))
		logmsg(LOG_WARNING, "table of client addresses full (%zu "
		    "entries): the least recently seen are forgotten, %lu so "
		    "far", addrtab_capacity(t), evictions);
}

static const char *
svc_state(const struct servtab *sep, char *buf, size_t size)
{
	if (sep->se_fd == -1 && svc_looping(sep))
		snprintf(buf, size, "looping, closed for %lld s more",
		    (long long)(sep->se_limits.sl_looping_until -
		    monotonic_seconds()));
	else if (sep->se_fd == -1 && sep->se_bind_failed)
		snprintf(buf, size, "not bound, bind retried");
	else if (sep->se_fd == -1 && sep->se_tcpmux != TCPMUX_NONE)
		snprintf(buf, size, "offered by tcpmux");
	else if (sep->se_fd == -1)
		snprintf(buf, size, "closed");
	else if (sep->se_paused)
		snprintf(buf, size, "its wait server runs");
	else if (svc_throttled(sep, monotonic_seconds()))
		snprintf(buf, size, "throttled, clients wait");
	else if (svc_at_limit(sep))
		snprintf(buf, size, "at max-child, clients wait");
	else
		snprintf(buf, size, "listening");
	return buf;
}

/*
 * What each entry is doing, so that an admin can see it in the log
 * without a debugger.  Refusals by TCP wrappers happen in children and
 * are logged there, not counted here.
 */
void
stats_dump(const struct servtab *list, int children)
{
	const struct servtab *sep;
	char where[SVC_WHERE_MAX], state[64], maxchild[32];
	int n = 0;

	for (sep = list; sep != NULL; sep = sep->se_next)
		n++;
	logmsg(LOG_INFO, "service table: %d entries, %d children running",
	    n, children);
	for (sep = list; sep != NULL; sep = sep->se_next) {
		if (sep->se_maxchild > 0)
			snprintf(maxchild, sizeof(maxchild), " of %d",
			    sep->se_maxchild);
		else
			maxchild[0] = '\0';
		logmsg(LOG_INFO, "%s: %s; children %d%s; connections %lu; "
		    "refused: %lu over max-connections-per-ip-per-minute, %lu "
		    "over max-child-per-ip; looping %lu times",
		    servtab_where(sep, where, sizeof(where)),
		    svc_state(sep, state, sizeof(state)), sep->se_children,
		    maxchild, sep->se_stats.st_accepted,
		    sep->se_stats.st_refused[REFUSED_PER_IP_RATE],
		    sep->se_stats.st_refused[REFUSED_PER_IP_CHILDREN],
		    sep->se_stats.st_looping);
	}
}
