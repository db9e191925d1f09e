/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * options.c: the table of per-service option keys (options.h), and the
 * parser of each one's values.  Applying them is the business of the
 * module that owns the effect (spawn, sandbox, access, listeners).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "options.h"

struct option_row {
	const char	*or_key;
	int		(*or_parse)(struct svc_options *opts,
			    char *const *values, int nvalues, char *why,
			    size_t size);
};

static const struct option_row option_rows[] = {
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

/* The key and values, copied in the entry's list of options given. */
static int
option_record(struct svc_options *opts, const char *key,
    char *const *values, int nvalues, char *why, size_t size)
{
	struct option_given *og = &opts->so_given[opts->so_ngiven];

	if (opts->so_ngiven == OPTIONS_GIVEN_MAX) {
		snprintf(why, size, "more than %d options", OPTIONS_GIVEN_MAX);
		return -1;
	}
	/* Counted at once, so that options_free() frees what is made. */
	opts->so_ngiven++;
	if ((og->og_key = strdup(key)) == NULL ||
	    (og->og_values = calloc(nvalues + 1, sizeof(char *))) == NULL)
		goto nomem;
	for (; og->og_nvalues < nvalues; og->og_nvalues++)
		if ((og->og_values[og->og_nvalues] =
		    strdup(values[og->og_nvalues])) == NULL)
			goto nomem;
	return 0;
nomem:
	strlcpy(why, "out of memory", size);
	return -1;
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
	if (row->or_parse(sep->se_opts, values, nvalues, why, size) == -1 ||
	    option_record(sep->se_opts, key, values, nvalues, why,
	    size) == -1)
		return -1;
	return 1;
}

const struct option_given *
options_given(const struct servtab *sep, int *n)
{
	*n = sep->se_opts != NULL ? sep->se_opts->so_ngiven : 0;
	return sep->se_opts != NULL ? sep->se_opts->so_given : NULL;
}

void
options_free(struct servtab *sep)
{
	struct option_given *og;
	int i;

	if (sep->se_opts == NULL)
		return;
	for (og = sep->se_opts->so_given; og < sep->se_opts->so_given +
	    sep->se_opts->so_ngiven; og++) {
		for (i = 0; i < og->og_nvalues; i++)
			free(og->og_values[i]);
		free(og->og_values);
		free(og->og_key);
	}
	free(sep->se_opts);
	sep->se_opts = NULL;
}
