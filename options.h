/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * options.h: the per-service options of the key-values notation
 * (inetd.conf(5)) that positional lines have no field for: limits,
 * sandbox, access, environment, binding.
 *
 * An entry without any keeps se_opts NULL, so that the positional
 * entries pay nothing for them and keep the fast spawn path.  The
 * parser hands every key it does not know itself to option_set(); the
 * table of keys is options.c's, a key a row.
 */
#ifndef INETD_OPTIONS_H
#define INETD_OPTIONS_H

#include <stddef.h>

struct servtab;

#define OPTIONS_GIVEN_MAX 64	/* option keys one entry may give */

/* A key and its values as given, so that inetd -T can print them. */
struct option_given {
	char	 *og_key;
	int	  og_nvalues;
	char	**og_values;
};

struct svc_options {
	int	 so_unused;	/* filled by the rows of options.c */
	struct option_given so_given[OPTIONS_GIVEN_MAX];
	int	 so_ngiven;
};

/*
 * Apply "key = values..." to sep, allocating sep->se_opts when needed.
 * Returns 1 when done, 0 when key is no option (the caller reports it),
 * or -1 with why the values are refused (no "FILE:LINE:" prefix).
 */
int	option_set(struct servtab *sep, const char *key, char *const *values,
	    int nvalues, char *why, size_t size);

/* The options sep was given, in order: *n of them. */
const struct option_given *options_given(const struct servtab *sep, int *n);

/* Frees sep->se_opts and what it holds. */
void	options_free(struct servtab *sep);

#endif /* INETD_OPTIONS_H */
