/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * unit.h: what the C unit tests share.  A test is a function returning
 * 1 when it passes; CHECK(cond) makes it return 0 with the line and the
 * condition as the reason, followed by UNIT_CONTEXT(), which a test file
 * may define before including this one (test_config.c adds the first
 * message the parser reported).  Output: one "PASS name" or
 * "FAIL name: reason" line per test, then "N passed, M failed".
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

#ifndef UNIT_CONTEXT
#define UNIT_CONTEXT()	""
#endif

#define CHECK(cond) do {						\
	if (!(cond))							\
		return unit_failed(__LINE__, #cond, UNIT_CONTEXT());	\
} while (0)

struct unit_test {
	const char	*name;
	int		(*fn)(void);
};

static char	 unit_reason[16384];
static int	 unit_npass, unit_nfail;

static int
unit_failed(int line, const char *cond, const char *context)
{
	snprintf(unit_reason, sizeof(unit_reason), "line %d: %s%s", line,
	    cond, context);
	return 0;
}

static void
unit_result(const char *name, int ok)
{
	if (ok) {
		printf("PASS %s\n", name);
		unit_npass++;
	} else {
		printf("FAIL %s: %s\n", name, unit_reason);
		unit_nfail++;
	}
	unit_reason[0] = '\0';
}

/* Runs the table, calling cleanup (if any) after each test. */
static void
unit_run(const struct unit_test *tests, size_t n, void (*cleanup)(void))
{
	size_t i;

	for (i = 0; i < n; i++) {
		unit_result(tests[i].name, tests[i].fn());
		if (cleanup != NULL)
			cleanup();
	}
}

/* The last line of the output; the exit status of the test program. */
static int
unit_summary(void)
{
	printf("%d passed, %d failed\n", unit_npass, unit_nfail);
	return unit_nfail > 0;
}

#endif
