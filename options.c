/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * options.c: the table of per-service option keys (options.h), and the
 * parser of each one's values.  Applying them is the business of the
 * module that owns the effect (spawn, sandbox, access, listeners).
 */
#include <sys/socket.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "config.h"
#include "options.h"
#include "util.h"

struct option_row {
	const char	*or_key;
	int		(*or_parse)(struct svc_options *opts,
			    char *const *values, int nvalues, char *why,
			    size_t size);
};

/* ------------------------------------- access and binding (acl) */

static int
parse_only_from(struct svc_options *opts, char *const *values, int nvalues,
    char *why, size_t size)
{
	return access_add(&opts->so_access, ACCESS_ALLOW, values, nvalues,
	    why, size);
}

static int
parse_no_access(struct svc_options *opts, char *const *values, int nvalues,
    char *why, size_t size)
{
	return access_add(&opts->so_access, ACCESS_DENY, values, nvalues,
	    why, size);
}

/* A variable's name, as a shell takes it, ending at len. */
static int
env_name_ok(const char *name, size_t len)
{
	size_t i;

	if (len == 0 || isdigit((unsigned char)name[0]))
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_')
			return 0;
	return 1;
}

int
options_env_named(const struct svc_options *opts, const char *name, size_t len)
{
	int i;

	for (i = 0; i < opts->so_nenv; i++)
		if (strncmp(opts->so_env[i], name, len) == 0 &&
		    opts->so_env[i][len] == '=')
			return 1;
	for (i = 0; i < opts->so_npassenv; i++)
		if (strlen(opts->so_passenv[i]) == len &&
		    strncmp(opts->so_passenv[i], name, len) == 0)
			return 1;
	return 0;
}

/*
 * The words of env (NAME=VALUE) or passenv (NAME) appended to *list,
 * each name once in the entry: the variables of the connection are
 * inetd's to set (they describe it), and a name given twice would leave
 * which one the server sees to its getenv().
 */
static int
parse_env_words(struct svc_options *opts, int is_env, char *const *values,
    int nvalues, char *why, size_t size)
{
	char ***list = is_env ? &opts->so_env : &opts->so_passenv, **grown;
	int *n = is_env ? &opts->so_nenv : &opts->so_npassenv, i;
	size_t len;

	if (opts->so_nenv + opts->so_npassenv + nvalues > OPTIONS_ENV_MAX) {
		snprintf(why, size, "more than %d variables in the entry",
		    OPTIONS_ENV_MAX);
		return -1;
	}
	if ((grown = reallocarray(*list, *n + nvalues + 1,
	    sizeof(*grown))) == NULL) {
		snprintf(why, size, "out of memory");
		return -1;
	}
	*list = grown;
	for (i = 0; i < nvalues; i++) {
		len = strcspn(values[i], "=");
		if (is_env != (values[i][len] == '=') ||
		    !env_name_ok(values[i], len))
			snprintf(why, size, "\"%s\": not %s", values[i],
			    is_env ? "NAME=VALUE" : "a variable's name");
		else if (conn_var_name(values[i], len))
			snprintf(why, size, "\"%.*s\" describes the "
			    "connection: inetd sets it", (int)len, values[i]);
		else if (options_env_named(opts, values[i], len))
			snprintf(why, size, "\"%.*s\" given twice", (int)len,
			    values[i]);
		else if ((grown[*n] = strdup(values[i])) == NULL)
			snprintf(why, size, "out of memory");
		else {
			grown[++*n] = NULL;
			continue;
		}
		return -1;
	}
	return 0;
}

static int
parse_env(struct svc_options *opts, char *const *values, int nvalues,
    char *why, size_t size)
{
	return parse_env_words(opts, 1, values, nvalues, why, size);
}

static int
parse_passenv(struct svc_options *opts, char *const *values, int nvalues,
    char *why, size_t size)
{
	opts->so_passenv_given = 1;
	return parse_env_words(opts, 0, values, nvalues, why, size);
}

/* As the kernel's dev_valid_name(): what SO_BINDTODEVICE may name. */
static int
parse_bind_device(struct svc_options *opts, char *const *values,
    int nvalues, char *why, size_t size)
{
	const char *name = nvalues == 1 ? values[0] : "";

	if (name[0] == '\0' ||
	    strlen(name) >= sizeof(opts->so_bind_device) ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    strpbrk(name, "/: \t") != NULL) {
		snprintf(why, size, "expected one interface name of at most "
		    "%zu bytes", sizeof(opts->so_bind_device) - 1);
		return -1;
	}
	strlcpy(opts->so_bind_device, name, sizeof(opts->so_bind_device));
	return 0;
}

static int
parse_freebind(struct svc_options *opts, char *const *values, int nvalues,
    char *why, size_t size)
{
	if (nvalues == 1 && strcmp(values[0], "yes") == 0)
		opts->so_freebind = 1;
	else if (nvalues == 1 && strcmp(values[0], "no") == 0)
		opts->so_freebind = 0;
	else {
		snprintf(why, size, "expected yes or no");
		return -1;
	}
	return 0;
}

/*
 * Keys that the rest of the entry would leave without effect are
 * refused rather than ignored: a rule that no client meets, such as
 * only_from for a wait stream server (which accepts its own clients),
 * must not look as if it held.
 */
static int
check_acl(const struct servtab *sep, const struct svc_options *o,
    char *why, size_t size)
{
	const char *what = NULL;

	if (o->so_access != NULL && sep->se_family == AF_UNIX)
		what = "only_from, no_access: UNIX-domain clients have no "
		    "address";
	else if (o->so_access != NULL && sep->se_wait &&
	    sep->se_socktype == SOCK_STREAM)
		what = "only_from, no_access: a wait stream server accepts "
		    "its clients itself, inetd sees none of them";
	else if ((o->so_nenv > 0 || o->so_passenv_given) &&
	    sep->se_bi != NULL)
		what = "env, passenv: a builtin runs no program";
	else if ((o->so_bind_device[0] != '\0' || o->so_freebind) &&
	    (sep->se_family == AF_UNIX || sep->se_tcpmux != TCPMUX_NONE))
		what = "bind_device, freebind: only for an IP socket of the "
		    "entry's own";
	if (what == NULL)
		return 0;
	strlcpy(why, what, size);
	return -1;
}

static void
free_words(char **words, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(words[i]);
	free(words);
}

static void
free_acl(struct svc_options *opts)
{
	access_free(opts->so_access);
	free_words(opts->so_env, opts->so_nenv);
	free_words(opts->so_passenv, opts->so_npassenv);
}

/* ----------------------------------------------------------- table */

static const struct option_row option_rows[] = {
	/* Access and binding (acl). */
	{ "only_from", parse_only_from },
	{ "no_access", parse_no_access },
	{ "env", parse_env },
	{ "passenv", parse_passenv },
	{ "bind_device", parse_bind_device },
	{ "freebind", parse_freebind },
	{ NULL, NULL }
};

static const struct option_row *
option_find(const char *key)
{
	const struct option_row *row;

	for (row = option_rows; row->or_key != NULL; row++)
		if (strcmp(row->or_key, key) == 0)
			return row;
	return NULL;
}

int
option_set(struct servtab *sep, const char *key, char *const *values,
    int nvalues, char *why, size_t size)
{
	const struct option_row *row;

	if ((row = option_find(key)) == NULL)
		return 0;
	if (sep->se_opts == NULL &&
	    (sep->se_opts = calloc(1, sizeof(*sep->se_opts))) == NULL) {
		strlcpy(why, "out of memory", size);
		return -1;
	}
	return row->or_parse(sep->se_opts, values, nvalues, why, size) == 0 ?
	    1 : -1;
}

int
options_check(const struct servtab *sep, char *why, size_t size)
{
	if (sep->se_opts == NULL)
		return 0;
	return check_acl(sep, sep->se_opts, why, size);
}

void
options_free(struct servtab *sep)
{
	if (sep->se_opts != NULL)
		free_acl(sep->se_opts);
	free(sep->se_opts);
	sep->se_opts = NULL;
}
