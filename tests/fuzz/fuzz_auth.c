/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_auth.c: libFuzzer harness for the query parser of the auth
 * builtin (RFC 1413), auth_parse_query().
 *
 * The input is a line as client_read_line() gives it: any bytes, NUL
 * included, then a NUL.  The parser must not crash or read past the
 * line, and what it accepts must be a query: two ports from 1 to 65535,
 * made of digits, blanks and one comma, that parse again the same once
 * written back.  What it refuses leaves ports that say why.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "clientio.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
in_range(unsigned port)
{
	return port >= 1 && port <= 65535;
}

static void
check_accepted(const char *line, size_t len, const struct auth_query *q)
{
	struct auth_query again;
	char text[32];
	int n;

	if (!in_range(q->lport) || !in_range(q->fport))
		abort();
	if (strspn(line, "0123456789 \t,") != len ||
	    strchr(line, ',') != strrchr(line, ','))
		abort();
	n = snprintf(text, sizeof(text), "%u,%u", q->lport, q->fport);
	if (auth_parse_query(text, n, &again) != 0 ||
	    again.lport != q->lport || again.fport != q->fport)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auth_query q;
	char *line;

	/* Exactly the bytes and a NUL, so that ASan sees an overread. */
	if ((line = malloc(size + 1)) == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (auth_parse_query(line, size, &q) == 0)
		check_accepted(line, size, &q);
	else if (!(q.lport == 0 && q.fport == 0) &&
	    in_range(q.lport) && in_range(q.fport))
		abort();	/* refused, yet two good ports */
	free(line);
	return 0;
}
