/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * unit_conf.h: what the C unit tests that parse entries share (after
 * unit.h): the messages the parser reported, kept for the test to look
 * at and added to a failure's reason, and the list the test parsed,
 * freed after each test by forget().
 */
#ifndef UNIT_CONF_H
#define UNIT_CONF_H

#include <stdarg.h>
#include <stdio.h>

#include "config.h"

#define MAXMSGS		16		/* messages kept per test */
#define MSG_MAX		(3 * CONF_LINE_MAX)

static struct {
	int	 priority;
	char	 text[MSG_MAX];
} msgs[MAXMSGS];
static int	 nmsgs;			/* all reported, even past MAXMSGS */

static struct servtab *list;		/* what the running test parsed */

static void
capture(int priority, const char *fmt, ...)
{
	va_list ap;

	if (nmsgs < MAXMSGS) {
		msgs[nmsgs].priority = priority;
		va_start(ap, fmt);
		vsnprintf(msgs[nmsgs].text, sizeof(msgs[nmsgs].text), fmt, ap);
		va_end(ap);
	}
	nmsgs++;
}

/* What a failure adds to its reason: the parser's first message. */
static const char *
first_message(void)
{
	static char text[MSG_MAX + 32];

	if (nmsgs == 0)
		return "";
	snprintf(text, sizeof(text), "; first message: %s", msgs[0].text);
	return text;
}

/* After each test: nothing parsed, nothing reported. */
static void
forget(void)
{
	config_free(list);
	list = NULL;
	nmsgs = 0;
}

#endif
