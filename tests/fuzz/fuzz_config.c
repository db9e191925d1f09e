/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_config.c: libFuzzer harness for the inetd.conf(5) parser.
 *
 * config_parse() is a pure function of the text, so any bytes may be
 * thrown at it: it must not crash, leak, or invoke undefined behaviour,
 * and every entry it returns must hold what config.h promises.  Each
 * message is formatted, so that a bad format or argument shows too.
 * The daemon's own builtins table is given, so that the arguments of
 * the builtins that parse theirs (forward, auth) are fuzzed from the
 * text of a file too.
 * Built and run by `make fuzz` (FUZZ_SECONDS) and by `make check`.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "config.h"

#define MSG_MAX	(2 * CONF_LINE_MAX)

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
format_report(int priority, const char *fmt, ...)
{
	char msg[MSG_MAX];
	va_list ap;

	(void)priority;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
}

/* What config.h promises of an entry config_parse() returns. */
static void
check_entry(const struct servtab *sep)
{
	int i;

	if (sep->se_file == NULL || strcmp(sep->se_file, "fuzz.conf") != 0 ||
	    sep->se_line < 1)
		abort();
	if (sep->se_include != NULL)
		return;
	if (sep->se_service == NULL || sep->se_proto == NULL ||
	    sep->se_user == NULL)
		abort();
	if (sep->se_socktype != SOCK_STREAM && sep->se_socktype != SOCK_DGRAM)
		abort();
	if (sep->se_family != AF_INET && sep->se_family != AF_INET6 &&
	    sep->se_family != AF_UNIX)
		abort();
	if ((sep->se_server == NULL) == (sep->se_bi == NULL))
		abort();
	if (sep->se_argc < 0 || sep->se_argc > CONF_MAXARGS ||
	    sep->se_argv[sep->se_argc] != NULL)
		abort();
	for (i = 0; i < sep->se_argc; i++)
		if (sep->se_argv[i] == NULL ||
		    strlen(sep->se_argv[i]) > CONF_LINE_MAX)
			abort();
	if (sep->se_fd != -1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The -a address of the command line, if any. */
	static const char *const defhosts[] = {
		NULL, "127.0.0.1", "*", "::1"
	};
	struct servtab *list, *sep;

	config_set_builtins(&builtin_config);
	list = config_parse((const char *)data, size, "fuzz.conf",
	    defhosts[size % (sizeof(defhosts) / sizeof(defhosts[0]))],
	    format_report);
	for (sep = list; sep != NULL; sep = sep->se_next)
		check_entry(sep);
	config_free(list);
	return 0;
}
