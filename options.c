/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * options.c: the table of per-service option keys (options.h), and the
 * parser of each one's values.  Applying them is the business of the
 * module that owns the effect (spawn, sandbox, access, listeners).
 */
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

void
options_free(struct servtab *sep)
{
	free(sep->se_opts);
	sep->se_opts = NULL;
}
