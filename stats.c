/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stats.c: the counters of each entry and of the daemon, and their
 * reports.
 *
 * The daemon counts what happens to an entry's clients and servers as
 * it happens; this file owns those counters, so that the loop only says
 * what happened, and reports them: to syslog when SIGUSR1 asks, and as
 * the text of the stats builtin (internal.c's row, stats_text()).  A
 * client refused is counted and said in one call, the message at most
 * once a minute, so that a flood of refusals cannot become a flood of
 * messages.
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "config.h"
#include "forward.h"
#include "log.h"
#include "ratelimit.h"
#include "stats.h"
#include "util.h"

#define STATS_TEXT_CHUNK 65536	/* the answer's first size, then doubled */

/* What the daemon counts of itself. */
static struct {
	const struct servtab *services;	/* what the builtin reports */
	int		 nservices;
	time_t		 started;	/* monotonic s */
	unsigned long	 reloads[2];	/* refused, ok */
	unsigned long	 config_errors;
} daemon_stats;

/* The answer of the stats builtin, as it grows. */
struct text {
	char	*t_buf;
	size_t	 t_len;
	size_t	 t_size;
	int	 t_failed;	/* out of memory: the answer is dropped */
};

/* The labels of the reasons of enum refusal, in its order. */
static const char *const refusal_names[REFUSED_NREASONS] = {
	"max_child", "max_rate", "per_ip_rate", "per_ip_children", "wrappers",
	"only_from", "looping", "fd_exhaustion"
};

void
stats_init(void)
{
	daemon_stats.started = monotonic_seconds();
}

void
stats_set_services(const struct servtab *list)
{
	daemon_stats.services = list;
	for (daemon_stats.nservices = 0; list != NULL; list = list->se_next)
		daemon_stats.nservices++;
}

void
stats_accepted(struct servtab *sep)
{
	sep->se_stats.st_accepted++;
}

void
stats_refused(struct servtab *sep, enum refusal why)
{
	sep->se_stats.st_refused[why]++;
}

void
stats_started(struct servtab *sep)
{
	sep->se_stats.st_started++;
}

/*
 * Each status or signal has a slot, taken the first time it is seen:
 * a few kinds, in any order, the counts never move between slots.
 */
void
stats_exited(struct servtab *sep, int status)
{
	struct svc_stats *st = &sep->se_stats;
	int code, i;

	code = WIFSIGNALED(status) ? STATS_SIGNAL + WTERMSIG(status) :
	    WEXITSTATUS(status);
	for (i = 0; i < STATS_EXIT_KINDS; i++)
		if (st->st_exits[i].ec_count == 0 ||
		    st->st_exits[i].ec_code == code)
			break;
	if (i == STATS_EXIT_KINDS) {
		st->st_exits_other++;
		return;
	}
	st->st_exits[i].ec_code = code;
	st->st_exits[i].ec_count++;
}

void
stats_looping(struct servtab *sep)
{
	sep->se_stats.st_looping++;
}

void
stats_forwarded(struct servtab *sep, int way, size_t n)
{
	if (sep != NULL)
		sep->se_stats.st_bytes[way] += n;
}

void
stats_reloaded(int ok)
{
	daemon_stats.reloads[ok != 0]++;
}

void
stats_config_error(void)
{
	daemon_stats.config_errors++;
}

void
stats_peer_refused(struct servtab *sep, enum refusal why,
    const struct sockaddr *peer, const char *counts, int limit,
    const char *unit)
{
	struct log_quota *quota = why == REFUSED_PER_IP_RATE ?
	    &sep->se_limits.sl_log_perip_rate :
	    &sep->se_limits.sl_log_perip_children;
	char addr[LOG_CLIENT_MAX], more[64];
	unsigned missed;

	sep->se_stats.st_refused[why]++;
	if (log_quota_take(quota, monotonic_seconds(), &missed))
		logmsg(LOG_WARNING, "%s:%d: %s from %s exceeded %s (limit "
		    "%d%s)%s", sep->se_file, sep->se_line, sep->se_service,
		    log_client_addr(peer, addr, sizeof(addr)), counts, limit,
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
	else if (sep->se_fd == -1 && sep->se_program_missing)
		snprintf(buf, size, "not bound, program not installed");
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

/* ------------------------------------------------- the stats builtin */

static void	text_add(struct text *t, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

static void
text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	size_t size;
	char *buf;
	int n;

	for (;;) {
		if (t->t_failed)
			return;
		va_start(ap, fmt);
		n = vsnprintf(t->t_buf + t->t_len, t->t_size - t->t_len, fmt,
		    ap);
		va_end(ap);
		if (n < 0)
			t->t_failed = 1;
		else if ((size_t)n < t->t_size - t->t_len) {
			t->t_len += n;
			return;
		}
		size = t->t_size > 0 ? t->t_size * 2 : STATS_TEXT_CHUNK;
		if (size < t->t_len + (size_t)n + 1)
			size = t->t_len + (size_t)n + 1;
		if ((buf = realloc(t->t_buf, size)) == NULL)
			t->t_failed = 1;
		else {
			t->t_buf = buf;
			t->t_size = size;
		}
	}
}

/* A label's value, escaped as the format wants (\\, \", \n). */
static void
text_value(struct text *t, const char *value)
{
	size_t n;

	for (;;) {
		n = strcspn(value, "\\\"\n");
		text_add(t, "%.*s", (int)n, value);
		if (value[n] == '\0')
			return;
		text_add(t, "\\%c", value[n] == '\n' ? 'n' : value[n]);
		value += n + 1;
	}
}

static void
text_family(struct text *t, const char *name, const char *type,
    const char *help)
{
	text_add(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * One sample of the entry: name{service="...",protocol="...",
 * address="..."[,key="value"]} value.
 */
static void
text_sample(struct text *t, const char *name, const struct servtab *sep,
    const char *key, const char *value, unsigned long long n)
{
	text_add(t, "%s{service=\"", name);
	text_value(t, sep->se_service);
	text_add(t, "\",protocol=\"");
	text_value(t, sep->se_proto);
	text_add(t, "\",address=\"");
	text_value(t, sep->se_family == AF_UNIX ? "" :
	    sep->se_host != NULL ? sep->se_host : "*");
	if (key != NULL) {
		text_add(t, "\",%s=\"", key);
		text_value(t, value);
	}
	text_add(t, "\"} %llu\n", n);
}

static int
is_forward(const struct servtab *sep)
{
	return sep->se_bi != NULL && sep->se_argc > 0 &&
	    strcmp(sep->se_argv[0], FORWARD_NAME) == 0;
}

static void
text_refused(struct text *t, const struct servtab *list)
{
	const struct servtab *sep;
	int why;

	text_family(t, "inetd_connections_refused_total", "counter",
	    "Clients turned away, by reason.");
	for (sep = list; sep != NULL; sep = sep->se_next)
		for (why = 0; why < REFUSED_NREASONS; why++)
			text_sample(t, "inetd_connections_refused_total", sep,
			    "reason", refusal_names[why],
			    sep->se_stats.st_refused[why]);
}

/* Exits by status (signal 0), or by signal. */
static void
text_exits(struct text *t, const struct servtab *list, int signals)
{
	const char *name = signals ? "inetd_server_signals_total" :
	    "inetd_server_exits_total";
	const struct exit_count *ec;
	const struct servtab *sep;
	char code[16];

	text_family(t, name, "counter", signals ?
	    "Servers killed, by signal number." :
	    "Servers that exited, by exit status.");
	for (sep = list; sep != NULL; sep = sep->se_next) {
		for (ec = sep->se_stats.st_exits; ec < sep->se_stats.st_exits +
		    STATS_EXIT_KINDS && ec->ec_count > 0; ec++) {
			if ((ec->ec_code >= STATS_SIGNAL) != signals)
				continue;
			snprintf(code, sizeof(code), "%d", signals ?
			    ec->ec_code - STATS_SIGNAL : ec->ec_code);
			text_sample(t, name, sep, signals ? "signal" :
			    "status", code, ec->ec_count);
		}
		if (!signals && sep->se_stats.st_exits_other > 0)
			text_sample(t, name, sep, "status", "other",
			    sep->se_stats.st_exits_other);
	}
}

/* One counter of struct svc_stats, at field, of every entry. */
static void
text_each(struct text *t, const struct servtab *list, const char *name,
    const char *help, size_t field)
{
	const struct servtab *sep;

	text_family(t, name, "counter", help);
	for (sep = list; sep != NULL; sep = sep->se_next)
		text_sample(t, name, sep, NULL, NULL, *(const unsigned long *)
		    ((const char *)&sep->se_stats + field));
}

static void
text_gauges(struct text *t, const struct servtab *list)
{
	const struct servtab *sep;

	text_family(t, "inetd_children", "gauge",
	    "Servers of the entry running now.");
	for (sep = list; sep != NULL; sep = sep->se_next)
		if (!is_forward(sep))
			text_sample(t, "inetd_children", sep, NULL, NULL,
			    sep->se_children);
	text_family(t, "inetd_forward_connections", "gauge",
	    "Connections a TCP forward entry forwards now.");
	for (sep = list; sep != NULL; sep = sep->se_next)
		if (is_forward(sep) && sep->se_socktype == SOCK_STREAM)
			text_sample(t, "inetd_forward_connections", sep, NULL,
			    NULL, sep->se_children);
}

static void
text_bytes(struct text *t, const struct servtab *list)
{
	const struct servtab *sep;

	text_family(t, "inetd_forward_bytes_total", "counter",
	    "Bytes a forward entry delivered: in, from its clients to the "
	    "target; out, back to the clients.");
	for (sep = list; sep != NULL; sep = sep->se_next) {
		if (!is_forward(sep))
			continue;
		text_sample(t, "inetd_forward_bytes_total", sep, "direction",
		    "in", sep->se_stats.st_bytes[STATS_IN]);
		text_sample(t, "inetd_forward_bytes_total", sep, "direction",
		    "out", sep->se_stats.st_bytes[STATS_OUT]);
	}
}

static void
text_daemon(struct text *t)
{
	text_family(t, "inetd_reloads_total", "counter",
	    "Reloads (SIGHUP), by result: ok, or refused for an error.");
	text_add(t, "inetd_reloads_total{result=\"ok\"} %lu\n"
	    "inetd_reloads_total{result=\"refused\"} %lu\n",
	    daemon_stats.reloads[1], daemon_stats.reloads[0]);
	text_family(t, "inetd_config_errors_total", "counter",
	    "Errors found in the configuration, at start and reloads.");
	text_add(t, "inetd_config_errors_total %lu\n",
	    daemon_stats.config_errors);
	text_family(t, "inetd_log_messages_dropped_total", "counter",
	    "Log messages dropped because syslogd did not take them.");
	text_add(t, "inetd_log_messages_dropped_total %lu\n", log_dropped());
	text_family(t, "inetd_uptime_seconds", "gauge",
	    "Seconds since the daemon started.");
	text_add(t, "inetd_uptime_seconds %lld\n",
	    (long long)(monotonic_seconds() - daemon_stats.started));
}

char *
stats_text(size_t *len)
{
	const struct servtab *list = daemon_stats.services;
	struct text t = { NULL, 0, 0, 0 };

	text_each(&t, list, "inetd_connections_accepted_total",
	    "Connections accepted, and datagrams that started a wait server.",
	    offsetof(struct svc_stats, st_accepted));
	text_refused(&t, list);
	text_each(&t, list, "inetd_servers_started_total",
	    "Servers (children) started.",
	    offsetof(struct svc_stats, st_started));
	text_exits(&t, list, 0);
	text_exits(&t, list, 1);
	text_each(&t, list, "inetd_looping_total",
	    "Times the entry was closed as looping.",
	    offsetof(struct svc_stats, st_looping));
	text_gauges(&t, list);
	text_bytes(&t, list);
	text_daemon(&t);
	if (t.t_failed) {
		free(t.t_buf);
		return NULL;
	}
	*len = t.t_len;
	return t.t_buf;
}

int
stats_text_room(int open)
{
	return open < STATS_MAXCONN &&
	    daemon_stats.nservices <= STATS_INLINE_MAX;
}
