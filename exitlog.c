/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * exitlog.c: a server's exit in the log, so that an administrator sees
 * how long the servers of an entry run and how they end.
 *
 * With -l every exit is a line: the entry, the pid, the status or the
 * signal, how long it ran and its client.  One that failed is logged
 * without -l too, at LOG_WARNING; but a server that crashes at once,
 * while clients connect as fast as they can, would then write a line a
 * connection.  So failed exits are logged at most EXIT_LOG_MAX a window
 * of EXIT_LOG_SECONDS per entry, and the others counted: the count is
 * logged once, when the window is over, by the loop's timer (or before
 * the next such line, whichever comes first).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "children.h"
#include "config.h"
#include "exitlog.h"
#include "log.h"
#include "ratelimit.h"
#include "util.h"

static time_t		 count_due;	/* 0: no count waits */

/* The child's client as a socket address; NULL if it had none. */
static const struct sockaddr *
child_client(const struct child *ch, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)(void *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)(void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (ch->ch_peer.pa_family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)ch->ch_port);
		memcpy(&sin->sin_addr, ch->ch_peer.pa_bytes,
		    sizeof(sin->sin_addr));
	} else if (ch->ch_peer.pa_family == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)ch->ch_port);
		memcpy(&sin6->sin6_addr, ch->ch_peer.pa_bytes,
		    sizeof(sin6->sin6_addr));
	} else
		return NULL;
	return (struct sockaddr *)ss;
}

/* "exited with status N", "killed by signal N (SIGNAME, core dumped)" */
static const char *
exit_words(int status, char *buf, size_t size)
{
	const char *name;

	if (!WIFSIGNALED(status)) {
		snprintf(buf, size, "exited with status %d",
		    WEXITSTATUS(status));
		return buf;
	}
	name = sigabbrev_np(WTERMSIG(status));
	snprintf(buf, size, "killed by signal %d (%s%s%s)", WTERMSIG(status),
	    name != NULL ? "SIG" : "", name != NULL ? name : "?",
	    WCOREDUMP(status) ? ", core dumped" : "");
	return buf;
}

static void
log_count(const struct servtab *sep, unsigned missed)
{
	char where[SVC_WHERE_MAX];

	logmsg(LOG_WARNING, "%s: %u more failed exit%s not logged (at most %d "
	    "every %d s)", servtab_where(sep, where, sizeof(where)), missed,
	    missed == 1 ? "" : "s", EXIT_LOG_MAX, EXIT_LOG_SECONDS);
}

static void
count_due_at(time_t at)
{
	if (at != 0 && (count_due == 0 || at < count_due))
		count_due = at;
}

/* Whether this failed exit may be logged; the count of the last window. */
static int
failed_exit_admit(struct servtab *sep)
{
	struct log_burst *b = &sep->se_limits.sl_log_exits;
	unsigned missed;

	if (!log_burst_take(b, EXIT_LOG_MAX, EXIT_LOG_SECONDS,
	    monotonic_seconds(), &missed)) {
		count_due_at(log_burst_due(b));
		return 0;
	}
	if (missed > 0)
		log_count(sep, missed);
	return 1;
}

void
exit_log(struct servtab *sep, const struct child *ch, int status,
    int log_each)
{
	struct sockaddr_storage ss;
	struct log_event ev;
	char where[SVC_WHERE_MAX], how[64], client[LOG_CLIENT_MAX];
	long long ms = monotonic_ms() - ch->ch_started_ms;
	int failed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;

	if ((!failed && !log_each) || (failed && !failed_exit_admit(sep)))
		return;
	memset(&ev, 0, sizeof(ev));
	ev.le_service = sep->se_service;
	ev.le_peer = child_client(ch, &ss);
	ev.le_has = LOG_EVENT_EXIT | LOG_EVENT_DURATION;
	ev.le_pid = ch->ch_pid;
	ev.le_status = status;
	ev.le_ms = ms;
	logevent(failed ? LOG_WARNING : LOG_INFO, &ev, "%s: child %d %s after "
	    "%lld.%03lld s%s%s", servtab_where(sep, where, sizeof(where)),
	    (int)ch->ch_pid, exit_words(status, how, sizeof(how)), ms / 1000,
	    ms % 1000, ev.le_peer != NULL ? ", client " : "",
	    ev.le_peer != NULL ? log_client(ev.le_peer, client,
	    sizeof(client)) : "");
}

void
exit_log_run(struct servtab *list)
{
	struct servtab *sep;
	time_t now;
	unsigned missed;

	if (count_due == 0 || (now = monotonic_seconds()) < count_due)
		return;
	count_due = 0;
	for (sep = list; sep != NULL; sep = sep->se_next) {
		if ((missed = log_burst_over(&sep->se_limits.sl_log_exits,
		    now)) > 0)
			log_count(sep, missed);
		count_due_at(log_burst_due(&sep->se_limits.sl_log_exits));
	}
}

long long
exit_log_deadline(void)
{
	return (long long)count_due * 1000;
}
