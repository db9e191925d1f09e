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

#include <sys/types.h>
#include <sys/resource.h>
#include <stddef.h>
#include <stdint.h>

struct servtab;

#define OPTIONS_GIVEN_MAX 64	/* option keys one entry may give */

/* A key and its values as given, so that inetd -T can print them. */
struct option_given {
	char	 *og_key;
	int	  og_nvalues;
	char	**og_values;
};

/* The rlimit_* keys, in the order of options.c's table of them. */
#define OPT_RLIMIT_AS		0
#define OPT_RLIMIT_CPU		1
#define OPT_RLIMIT_DATA		2
#define OPT_RLIMIT_RSS		3
#define OPT_RLIMIT_STACK	4
#define OPT_RLIMIT_FILES	5
#define OPT_RLIMIT_NPROC	6
#define OPT_RLIMIT_CORE		7
#define OPT_RLIMIT_FSIZE	8
#define OPT_NRLIMITS		9

/* Largest timeout = SECONDS: 31 days. */
#define OPT_TIMEOUT_MAX		(31 * 24 * 3600)

struct svc_options {
	/* Limits (sandbox.c applies them, children.c the timeout). */
	unsigned	 so_rlimits_set;	/* bit OPT_RLIMIT_*: given */
	rlim_t		 so_rlimits[OPT_NRLIMITS]; /* soft and hard */
	int		 so_nice_set;
	int		 so_nice;
	int		 so_umask_set;
	mode_t		 so_umask;
	int		 so_timeout;		/* seconds, 0: none */
	/* Sandbox (sandbox.c). */
	int		 so_no_new_privs;
	int		 so_private_tmp;
	int		 so_private_network;
	int		 so_protect_system;
	char		*so_chroot;		/* absolute, or NULL */
	int		 so_caps_set;
	uint64_t	 so_caps;		/* bit CAP_*: kept */
	/* The keys and values as given, for inetd -T. */
	struct option_given so_given[OPTIONS_GIVEN_MAX];
	int		 so_ngiven;
};

/*
 * Apply "key = values..." to sep, allocating sep->se_opts when needed.
 * Returns 1 when done, 0 when key is no option (the caller reports it),
 * or -1 with why the values are refused (no "FILE:LINE:" prefix).
 */
int	option_set(struct servtab *sep, const char *key, char *const *values,
	    int nvalues, char *why, size_t size);

/*
 * The first key given that only an exec'd server can have (limits and
 * sandbox), or NULL: an internal entry with one is refused.
 */
const char *options_exec_only(const struct svc_options *opts);

/* RLIMIT_* of an OPT_RLIMIT_* index, and its key for messages. */
int	option_rlimit_resource(int index);
const char *option_rlimit_key(int index);
/* "CAP_NET_BIND_SERVICE" for its number, or NULL. */
const char *option_cap_name(int cap);

/* The options sep was given, in order: *n of them. */
const struct option_given *options_given(const struct servtab *sep, int *n);

/* Frees sep->se_opts and what it holds. */
void	options_free(struct servtab *sep);

#endif /* INETD_OPTIONS_H */
