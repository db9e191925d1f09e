/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fwd.c: what the files of the forward builtin share, below them all:
 * an entry's settings (struct forward) held by reference, since a
 * reload may free the entry while its connections run; the messages of
 * a rule, at most one an interval; the addresses they compare; the
 * clock of a pass of the loop and the one deadline the loop waits for.
 * forward.c (the entry's hooks), relay.c (TCP) and assoc.c (UDP) call
 * down into it, and it calls none of them.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "config.h"
#include "fwd.h"
#include "log.h"
#include "proxy.h"
#include "util.h"

#define FORWARD_LOG_INTERVAL	10	/* s between like messages of a rule */

#define FORWARD_RESULT_WORD(name, word)	[name] = word,
const char *const result_words[] = { FORWARD_RESULTS(FORWARD_RESULT_WORD) };

int			 forward_log_each;	/* inetd -l */
int64_t			 forward_now_ms;	/* of this pass */
/* The earliest deadline of the tables, or sooner; 0: none. */
static int64_t		 timer_at;

/* ---------------------------------------------------------- settings */

void
forward_ref(struct forward *fw)
{
	fw->fw_refs++;
}

/* The settings go with their last user: entry, connection or client. */
void
forward_unref(struct forward *fw)
{
	if (fw == NULL || --fw->fw_refs > 0)
		return;
	free(fw->fw_host);
	free(fw->fw_port);
	forward_free_names(fw);
	free(fw);
}

/* The names resolving gives the settings, which the next one replaces. */
void
forward_free_names(struct forward *fw)
{
	free(fw->fw_label);
	free(fw->fw_service);
	free(fw->fw_wrapname);
	fw->fw_label = fw->fw_service = fw->fw_wrapname = NULL;
}

/* The settings of a forward entry, as forward_parse() made them. */
struct forward *
forward_settings(const struct servtab *sep)
{
	return sep->se_private;
}

/* --------------------------------------------------------- addresses */

int
is_any_address(const union sockaddr_any *a)
{
	if (a->sa.sa_family == AF_INET)
		return a->sin.sin_addr.s_addr == htonl(INADDR_ANY);
	return a->sa.sa_family == AF_INET6 &&
	    IN6_IS_ADDR_UNSPECIFIED(&a->sin6.sin6_addr);
}

int
is_loopback(const union sockaddr_any *a)
{
	if (a->sa.sa_family == AF_INET)
		return (ntohl(a->sin.sin_addr.s_addr) >> 24) == 127;
	return a->sa.sa_family == AF_INET6 &&
	    IN6_IS_ADDR_LOOPBACK(&a->sin6.sin6_addr);
}

int
same_host(union sockaddr_any a, union sockaddr_any b)
{
	sockaddr_unmap(&a);
	sockaddr_unmap(&b);
	if (a.sa.sa_family != b.sa.sa_family)
		return 0;
	if (a.sa.sa_family == AF_INET)
		return a.sin.sin_addr.s_addr == b.sin.sin_addr.s_addr;
	return a.sa.sa_family == AF_INET6 &&
	    IN6_ARE_ADDR_EQUAL(&a.sin6.sin6_addr, &b.sin6.sin6_addr);
}

const char *
addr_text(const union sockaddr_any *a, char *buf, size_t size)
{
	return sockaddr_text(&a->sa, buf, size);
}

/* ----------------------------------------------------------- logging */

/*
 * Failures of a rule (a target down, descriptors short) come with each
 * connection: at most one message every FORWARD_LOG_INTERVAL seconds,
 * saying how many were left out.
 */
int
quiet_take(time_t *until, unsigned *missed, char *more, size_t size)
{
	time_t now = forward_now_ms / 1000;

	more[0] = '\0';
	if (now < *until) {
		(*missed)++;
		return 0;
	}
	if (*missed > 0)
		snprintf(more, size, " (%u more like it not logged)", *missed);
	*missed = 0;
	*until = now + FORWARD_LOG_INTERVAL;
	return 1;
}

void
rule_log(struct forward *fw, int priority, const char *fmt, ...)
{
	char msg[512], more[64];
	va_list ap;

	if (!quiet_take(&fw->fw_quiet_until, &fw->fw_quiet_missed, more,
	    sizeof(more)))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	logmsg(priority, "%s: %s%s", fw->fw_label, msg, more);
}

/* The journal fields of a forwarded client's end (log.h). */
void
forward_end_event(struct log_event *ev, const struct forward *fw,
    const union sockaddr_any *peer, int64_t start, uint64_t in,
    uint64_t out)
{
	*ev = (struct log_event){ .le_service = fw->fw_service,
	    .le_peer = &peer->sa,
	    .le_has = LOG_EVENT_DURATION | LOG_EVENT_BYTES,
	    .le_ms = forward_now_ms - start, .le_bytes_in = in,
	    .le_bytes_out = out };
}

/* ------------------------------------------------------------- timer */

/* The loop wakes up at the earliest deadline, or sooner. */
void
timer_want(int64_t at)
{
	if (at != 0 && (timer_at == 0 || at < timer_at))
		timer_at = at;
}

void
earliest(int64_t *soonest, int64_t at)
{
	if (at != 0 && (*soonest == 0 || at < *soonest))
		*soonest = at;
}

long long
timer_deadline(void)
{
	return timer_at;
}

int
timer_due(void)
{
	return timer_at != 0 && forward_now_ms >= timer_at;
}

void
timer_reset(void)
{
	timer_at = 0;
}
