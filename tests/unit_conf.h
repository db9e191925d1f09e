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
#include <string.h>
#include <syslog.h>

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

/* Each test file's own: list becomes the entries of text. */
static struct servtab *parse(const char *text);

/* A parse error: the line is dropped with exactly this message. */
struct parse_error {
	const char	*name;
	const char	*text;
	int		 entries;	/* good entries left */
	const char	*want;		/* the message starts so */
};

static int
check_parse_error(const struct parse_error *t)
{
	const struct servtab *sep;
	int n = 0;

	parse(t->text);
	for (sep = list; sep != NULL; sep = sep->se_next)
		n++;
	CHECK(n == t->entries);
	CHECK(nmsgs == 1);
	CHECK(msgs[0].priority == LOG_ERR);
	CHECK(strncmp(msgs[0].text, t->want, strlen(t->want)) == 0);
	return 1;
}

/* Each error of the table as a test of its own, "error_NAME". */
static void
run_parse_errors(const struct parse_error *errors, size_t n)
{
	char name[128];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "error_%s", errors[i].name);
		unit_result(name, check_parse_error(&errors[i]));
		forget();
	}
}

#endif
