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
#include <net/if.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct servtab;
struct access;

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

/* Variables of env and passenv together, in one entry. */
#define OPTIONS_ENV_MAX		64

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
	/* Access and binding: only_from ... freebind (acl). */
	struct access	*so_access;	/* only_from, no_access (access.h) */
	char		**so_env;	/* env: "NAME=VALUE", so_nenv */
	int		 so_nenv;
	char		**so_passenv;	/* passenv: names, so_npassenv */
	int		 so_npassenv;
	int		 so_passenv_given; /* even empty: instead of -E's */
	char		 so_bind_device[IF_NAMESIZE]; /* "": none */
	int		 so_freebind;	/* IP_FREEBIND, IPV6_FREEBIND */
};

/*
 * Apply "key = values..." to sep, allocating sep->se_opts when needed.
 * Returns 1 when done, 0 when key is no option (the caller reports it),
 * or -1 with why the values are refused (no "FILE:LINE:" prefix).
 */
int	option_set(struct servtab *sep, const char *key, char *const *values,
	    int nvalues, char *why, size_t size);

/*
 * The first key given that only an exec'd server can have (limits,
 * sandbox, env and passenv), or NULL: an internal entry with one is
 * refused.
 */
const char *options_exec_only(const struct svc_options *opts);

/* RLIMIT_* of an OPT_RLIMIT_* index, and its key for messages. */
int	option_rlimit_resource(int index);
const char *option_rlimit_key(int index);
/* "CAP_NET_BIND_SERVICE" for its number, or NULL. */
const char *option_cap_name(int cap);

/* The options sep was given, in order: *n of them. */
const struct option_given *options_given(const struct servtab *sep, int *n);

/*
 * Once the whole entry is read, whatever the order of its keys: 0, or
 * -1 with why a key has no effect on such an entry (no "FILE:LINE:").
 */
int	options_check(const struct servtab *sep, char *why, size_t size);

/*
 * Whether the options of two entries ask for the same listening socket
 * (either may be NULL): a reload hands a socket over only then.
 */
static inline int
options_same_socket(const struct svc_options *a, const struct svc_options *b)
{
	static const struct svc_options none;

	if (a == NULL)
		a = &none;
	if (b == NULL)
		b = &none;
	return a->so_freebind == b->so_freebind &&
	    strcmp(a->so_bind_device, b->so_bind_device) == 0;
}

/*
 * Whether env or passenv of opts names the variable whose name is the
 * len bytes at name: the server gets that one, not inetd's.
 */
int	options_env_named(const struct svc_options *opts, const char *name,
	    size_t len);

/* Frees sep->se_opts and what it holds. */
void	options_free(struct servtab *sep);

#endif /* INETD_OPTIONS_H */
