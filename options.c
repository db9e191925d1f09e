/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * options.c: the table of per-service option keys (options.h), and the
 * parser of each one's values.  Applying them is the business of the
 * module that owns the effect (spawn, sandbox, access, listeners).
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <linux/capability.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "access.h"
#include "config.h"
#include "options.h"
#include "util.h"

struct option_row {
	const char	*or_key;
	int		(*or_parse)(struct svc_options *opts, int index,
			    char *const *values, int nvalues, char *why,
			    size_t size);
	int		 or_index;	/* OPT_RLIMIT_*, or a flag's offset */
	int		 or_exec_only;	/* no meaning for a builtin */
};

/* The resource of each rlimit_* key (xinetd's names). */
static const int rlimit_resources[OPT_NRLIMITS] = {
	[OPT_RLIMIT_AS] = RLIMIT_AS,
	[OPT_RLIMIT_CPU] = RLIMIT_CPU,
	[OPT_RLIMIT_DATA] = RLIMIT_DATA,
	[OPT_RLIMIT_RSS] = RLIMIT_RSS,
	[OPT_RLIMIT_STACK] = RLIMIT_STACK,
	[OPT_RLIMIT_FILES] = RLIMIT_NOFILE,
	[OPT_RLIMIT_NPROC] = RLIMIT_NPROC,
	[OPT_RLIMIT_CORE] = RLIMIT_CORE,
	[OPT_RLIMIT_FSIZE] = RLIMIT_FSIZE,
};

/* capabilities(7), by number: what capabilities = ... may name. */
static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

static int
refuse(char *why, size_t size, const char *fmt, const char *value)
{
	snprintf(why, size, fmt, value);
	return -1;
}

static int
one_value(int nvalues, char *why, size_t size)
{
	if (nvalues == 1)
		return 0;
	strlcpy(why, nvalues == 0 ? "needs a value" : "takes one value", size);
	return -1;
}

/*
 * A decimal number with an optional k, m or g (powers of 1024, as
 * NetBSD's sizes), at most max: 0, or -1 when it is none.
 */
static int
parse_scaled(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long n, scale = 1;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (*end) {
	case 'g': case 'G':
		scale <<= 10;
		/* FALLTHROUGH */
	case 'm': case 'M':
		scale <<= 10;
		/* FALLTHROUGH */
	case 'k': case 'K':
		scale <<= 10;
		end++;
		break;
	}
	if (*end != '\0' || n > max / scale)
		return -1;
	*out = n * scale;
	return 0;
}

static int
parse_rlimit(struct svc_options *opts, int index, char *const *values,
    int nvalues, char *why, size_t size)
{
	unsigned long long n;

	if (one_value(nvalues, why, size) == -1)
		return -1;
	if (strcmp(values[0], "unlimited") == 0)
		n = RLIM_INFINITY;
	else if (parse_scaled(values[0], RLIM_INFINITY - 1, &n) == -1)
		return refuse(why, size, "%s: not a number with k, m or g, "
		    "nor unlimited", values[0]);
	opts->so_rlimits[index] = n;
	opts->so_rlimits_set |= 1U << index;
	return 0;
}

/* A decimal number from min to max. */
static int
parse_int(const char *s, long min, long max, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || n < min || n > max)
		return -1;
	*out = (int)n;
	return 0;
}

/* One decimal number from min to max. */
static int
parse_bounded(char *const *values, int nvalues, long min, long max,
    int *out, char *why, size_t size)
{
	if (one_value(nvalues, why, size) == -1)
		return -1;
	if (parse_int(values[0], min, max, out) == -1) {
		snprintf(why, size, "%s: not a number from %ld to %ld",
		    values[0], min, max);
		return -1;
	}
	return 0;
}

static int
parse_nice(struct svc_options *opts, int index, char *const *values,
    int nvalues, char *why, size_t size)
{
	(void)index;
	if (parse_bounded(values, nvalues, -20, 19, &opts->so_nice, why,
	    size) == -1)
		return -1;
	opts->so_nice_set = 1;
	return 0;
}

static int
parse_umask(struct svc_options *opts, int index, char *const *values,
    int nvalues, char *why, size_t size)
{
	unsigned long n;
	char *end;

	(void)index;
	if (one_value(nvalues, why, size) == -1)
		return -1;
	errno = 0;
	n = strtoul(values[0], &end, 8);
	if (values[0][0] < '0' || values[0][0] > '7' || *end != '\0' ||
	    errno != 0 || n > 0777)
		return refuse(why, size, "%s: not an octal mode from 0 to 777",
		    values[0]);
	opts->so_umask = (mode_t)n;
	opts->so_umask_set = 1;
	return 0;
}

static int
parse_timeout(struct svc_options *opts, int index, char *const *values,
    int nvalues, char *why, size_t size)
{
	(void)index;
	return parse_bounded(values, nvalues, 1, OPT_TIMEOUT_MAX,
	    &opts->so_timeout, why, size);
}

/* yes or no, into the int at index bytes into opts. */
static int
parse_flag(struct svc_options *opts, int index, char *const *values,
    int nvalues, char *why, size_t size)
{
	int *flag = (int *)(void *)((char *)opts + index);

	if (one_value(nvalues, why, size) == -1)
		return -1;
	if (strcmp(values[0], "yes") == 0)
		*flag = 1;
	else if (strcmp(values[0], "no") == 0)
		*flag = 0;
	else
		return refuse(why, size, "%s: neither yes nor no", values[0]);
	return 0;
}

static int
parse_chroot(struct svc_options *opts, int index, char *const *values,
    int nvalues, char *why, size_t size)
{
	(void)index;
	if (one_value(nvalues, why, size) == -1)
		return -1;
	if (values[0][0] != '/' || strlen(values[0]) >= PATH_MAX)
		return refuse(why, size, "%s: not an absolute path",
		    values[0]);
	free(opts->so_chroot);
	if ((opts->so_chroot = strdup(values[0])) == NULL) {
		strlcpy(why, "out of memory", size);
		return -1;
	}
	return 0;
}

static int
cap_number(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++)
		if (strcasecmp(cap_names[i], name) == 0)
			return (int)i;
	return -1;
}

/* No value: none kept. */
static int
parse_caps(struct svc_options *opts, int index, char *const *values,
    int nvalues, char *why, size_t size)
{
	uint64_t caps = 0;
	int i, cap;

	(void)index;
	for (i = 0; i < nvalues; i++) {
		if ((cap = cap_number(values[i])) == -1)
			return refuse(why, size, "%s: no such capability "
			    "(capabilities(7))", values[i]);
		caps |= UINT64_C(1) << cap;
	}
	opts->so_caps = caps;
	opts->so_caps_set = 1;
	return 0;
}

/* ------------------------------------- access and binding (acl) */

/* only_from or no_access: index is ACCESS_ALLOW or ACCESS_DENY. */
static int
parse_access(struct svc_options *opts, int index, char *const *values,
    int nvalues, char *why, size_t size)
{
	return access_add(&opts->so_access, index, values, nvalues, why,
	    size);
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

/* env (index 1) or passenv (index 0). */
static int
parse_env(struct svc_options *opts, int index, char *const *values,
    int nvalues, char *why, size_t size)
{
	if (!index)
		opts->so_passenv_given = 1;
	return parse_env_words(opts, index, values, nvalues, why, size);
}

/* As the kernel's dev_valid_name(): what SO_BINDTODEVICE may name. */
static int
parse_bind_device(struct svc_options *opts, int index, char *const *values,
    int nvalues, char *why, size_t size)
{
	const char *name;

	(void)index;
	if (one_value(nvalues, why, size) == -1)
		return -1;
	name = values[0];
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

#define FLAG(name)	offsetof(struct svc_options, name)

static const struct option_row option_rows[] = {
	{ "rlimit_as", parse_rlimit, OPT_RLIMIT_AS, 1 },
	{ "rlimit_cpu", parse_rlimit, OPT_RLIMIT_CPU, 1 },
	{ "rlimit_data", parse_rlimit, OPT_RLIMIT_DATA, 1 },
	{ "rlimit_rss", parse_rlimit, OPT_RLIMIT_RSS, 1 },
	{ "rlimit_stack", parse_rlimit, OPT_RLIMIT_STACK, 1 },
	{ "rlimit_files", parse_rlimit, OPT_RLIMIT_FILES, 1 },
	{ "rlimit_nproc", parse_rlimit, OPT_RLIMIT_NPROC, 1 },
	{ "rlimit_core", parse_rlimit, OPT_RLIMIT_CORE, 1 },
	{ "rlimit_fsize", parse_rlimit, OPT_RLIMIT_FSIZE, 1 },
	{ "nice", parse_nice, 0, 1 },
	{ "umask", parse_umask, 0, 1 },
	{ "timeout", parse_timeout, 0, 0 },
	{ "no_new_privs", parse_flag, FLAG(so_no_new_privs), 1 },
	{ "private_tmp", parse_flag, FLAG(so_private_tmp), 1 },
	{ "private_network", parse_flag, FLAG(so_private_network), 1 },
	{ "protect_system", parse_flag, FLAG(so_protect_system), 1 },
	{ "chroot", parse_chroot, 0, 1 },
	{ "capabilities", parse_caps, 0, 1 },
	/* Access and binding (acl). */
	{ "only_from", parse_access, ACCESS_ALLOW, 0 },
	{ "no_access", parse_access, ACCESS_DENY, 0 },
	{ "env", parse_env, 1, 1 },
	{ "passenv", parse_env, 0, 1 },
	{ "bind_device", parse_bind_device, 0, 0 },
	{ "freebind", parse_flag, FLAG(so_freebind), 0 },
	{ NULL, NULL, 0, 0 }
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
	if (row->or_parse(sep->se_opts, row->or_index, values, nvalues, why,
	    size) == -1 || option_record(sep->se_opts, key, values, nvalues,
	    why, size) == -1)
		return -1;
	return 1;
}

const struct option_given *
options_given(const struct servtab *sep, int *n)
{
	*n = sep->se_opts != NULL ? sep->se_opts->so_ngiven : 0;
	return sep->se_opts != NULL ? sep->se_opts->so_given : NULL;
}

/* Whether the row's key was given a value that does something. */
static int
row_given(const struct svc_options *opts, const struct option_row *row)
{
	if (row->or_parse == parse_rlimit)
		return (opts->so_rlimits_set & (1U << row->or_index)) != 0;
	if (row->or_parse == parse_flag)
		return *(const int *)(const void *)((const char *)opts +
		    row->or_index);
	if (row->or_parse == parse_nice)
		return opts->so_nice_set;
	if (row->or_parse == parse_umask)
		return opts->so_umask_set;
	if (row->or_parse == parse_chroot)
		return opts->so_chroot != NULL;
	if (row->or_parse == parse_caps)
		return opts->so_caps_set;
	if (row->or_parse == parse_env)
		return row->or_index ? opts->so_nenv > 0 :
		    opts->so_passenv_given;
	return 0;
}

const char *
options_exec_only(const struct svc_options *opts)
{
	const struct option_row *row;

	if (opts == NULL)
		return NULL;
	for (row = option_rows; row->or_key != NULL; row++)
		if (row->or_exec_only && row_given(opts, row))
			return row->or_key;
	return NULL;
}

int
option_rlimit_resource(int index)
{
	return rlimit_resources[index];
}

const char *
option_rlimit_key(int index)
{
	const struct option_row *row;

	for (row = option_rows; row->or_key != NULL; row++)
		if (row->or_parse == parse_rlimit && row->or_index == index)
			return row->or_key;
	return NULL;
}

const char *
option_cap_name(int cap)
{
	if (cap < 0 || (size_t)cap >= sizeof(cap_names) / sizeof(cap_names[0]))
		return NULL;
	return cap_names[cap];
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
	free(sep->se_opts->so_chroot);
	free_acl(sep->se_opts);
	free(sep->se_opts);
	sep->se_opts = NULL;
}
