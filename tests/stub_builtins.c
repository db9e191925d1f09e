/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stub_builtins.c: a builtins table for the parser's unit test and
 * fuzzers, so that they link config.c without the builtins' code
 * (internal.c, auth.c, forward.c).  It has the daemon's names, and a
 * "forward" whose first argument, "HOST:PORT", is kept in se_private
 * and looked up at load as the real one's target is, so that the
 * loader's side of the hooks is exercised.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "stub_builtins.h"

struct builtin {
	const char	*name;
	int		 socktype;
	int		 has_target;	/* forward: its first argument */
};

static const struct builtin stub_rows[] = {
	{ "echo", SOCK_STREAM, 0 }, { "discard", SOCK_STREAM, 0 },
	{ "chargen", SOCK_STREAM, 0 }, { "daytime", SOCK_STREAM, 0 },
	{ "time", SOCK_STREAM, 0 }, { "echo", SOCK_DGRAM, 0 },
	{ "discard", SOCK_DGRAM, 0 }, { "chargen", SOCK_DGRAM, 0 },
	{ "daytime", SOCK_DGRAM, 0 }, { "time", SOCK_DGRAM, 0 },
	{ "auth", SOCK_STREAM, 0 }, { "tcpmux", SOCK_STREAM, 0 },
	{ "forward", SOCK_STREAM, 1 }, { "forward", SOCK_DGRAM, 1 },
};

/* A target: "HOST:PORT" cut at its last colon. */
struct stub_target {
	char	*host;
	char	*port;
};

const struct builtin *
stub_builtin(const char *name, int socktype)
{
	size_t i;

	for (i = 0; i < sizeof(stub_rows) / sizeof(stub_rows[0]); i++)
		if (stub_rows[i].socktype == socktype &&
		    strcmp(stub_rows[i].name, name) == 0)
			return &stub_rows[i];
	return NULL;
}

static const char *
stub_names(int socktype, char *buf, size_t size)
{
	snprintf(buf, size, "%s", socktype == SOCK_STREAM ?
	    "echo, discard, chargen, daytime, time, auth, tcpmux, forward" :
	    "echo, discard, chargen, daytime, time, forward");
	return buf;
}

static int
stub_parse(struct servtab *sep, char *why, size_t size)
{
	int first = sep->se_argc > 0 &&
	    strcmp(sep->se_argv[0], sep->se_bi->name) == 0;
	struct stub_target *t;
	char *colon;

	if (!sep->se_bi->has_target)
		return 0;
	if (sep->se_argc <= first || (colon = strrchr(sep->se_argv[first],
	    ':')) == NULL) {
		snprintf(why, size, "forward: needs HOST:PORT");
		return -1;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->host = strndup(sep->se_argv[first],
	    colon - sep->se_argv[first])) == NULL ||
	    (t->port = strdup(colon + 1)) == NULL) {
		if (t != NULL)
			free(t->host);
		free(t);
		snprintf(why, size, "out of memory");
		return -1;
	}
	sep->se_private = t;
	return 0;
}

static int
stub_target(const struct servtab *sep, const char **host,
    const char **port, int *socktype)
{
	const struct stub_target *t = sep->se_private;

	if (t == NULL)
		return 0;
	*host = t->host;
	*port = t->port;
	*socktype = sep->se_socktype;
	return 1;
}

static int
stub_resolve(struct servtab *sep, const struct sockaddr *addr,
    socklen_t addrlen, char *why, size_t size)
{
	(void)sep;
	(void)addr;
	(void)addrlen;
	(void)why;
	(void)size;
	return 0;
}

static void
stub_free(struct servtab *sep)
{
	struct stub_target *t = sep->se_private;

	if (t != NULL) {
		free(t->host);
		free(t->port);
		free(t);
	}
	sep->se_private = NULL;
}

/* In the order of struct config_builtins, each hook of its own type. */
const struct config_builtins stub_builtins = { stub_builtin, stub_names,
	stub_parse, stub_target, stub_resolve, stub_free, NULL };
