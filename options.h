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

#include <net/if.h>
#include <stddef.h>
#include <string.h>

/* Variables of env and passenv together, in one entry. */
#define OPTIONS_ENV_MAX	64

struct servtab;
struct access;

struct svc_options {
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
