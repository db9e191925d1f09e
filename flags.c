/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flags.c: the command line and the test variables into struct
 * inetd_options (flags.h).  The flags that switch something on or set a
 * default limit are a table of the fields they set.
 */
#include <err.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "builtin.h"
#include "config.h"
#include "flags.h"
#include "forward.h"
#include "journal.h"
#include "load.h"
#include "lookup.h"
#include "util.h"

static void	usage(void) __attribute__((noreturn));
static void	parse_test_environment(struct inetd_options *o);

static void
usage(void)
{
	fprintf(stderr, "usage: inetd [-dEfHilTtWw] [-a address] [-C rate] "
	    "[-c maximum] [-p pidfile]\n"
	    "             [-R rate] [-s maximum] [-x xinetd_file] "
	    "[configuration_file]\n");
	exit(EX_USAGE);
}

/* A flag that switches something on, or sets a limit (0: none). */
struct flag_field {
	int	 ff_flag;
	int	*ff_field;
	int	 ff_max;	/* largest limit; 0: an on/off flag */
};

static int
set_flag_field(const struct flag_field *ff, size_t n, int flag,
    const char *value)
{
	const char *errstr;

	for (; n > 0 && ff->ff_flag != flag; ff++, n--)
		continue;
	if (n == 0)
		return -1;
	if (ff->ff_max == 0) {
		*ff->ff_field = 1;
		return 0;
	}
	*ff->ff_field = strtonum(value, 0, ff->ff_max, &errstr);
	if (errstr != NULL) {
		warnx("-%c %s: %s (0 to %d)", flag, value, errstr, ff->ff_max);
		usage();
	}
	return 0;
}

/*
 * An upgrade execs the daemon with its argv again, from "/": the -x
 * argument (argv[i], "-x" and more before the path or not) is made to
 * name the file by its absolute path.
 */
static void
absolute_xinetd_arg(char *argv[], int i, const char *given,
    const char *absolute)
{
	size_t lead = strlen(argv[i]) - strlen(given);
	char *arg;

	if (asprintf(&arg, "%.*s%s", (int)lead, argv[i], absolute) == -1)
		err(EX_OSERR, "-x %s", given);
	argv[i] = arg;
}

void
flags_parse(struct inetd_options *o, int argc, char *argv[])
{
	const struct flag_field fields[] = {
		{ 'C', &o->limits.ld_maxcpm, INT_MAX },
		{ 'c', &o->limits.ld_maxchild, CONF_MAXCHILD },
		{ 'R', &o->limits.ld_maxrate, INT_MAX },
		{ 's', &o->limits.ld_maxperip, INT_MAX },
		{ 'd', &o->debug, 0 },
		{ 'E', &o->spawn.so_keep_environment, 0 },
		{ 'f', &o->foreground, 0 },	/* NetBSD's name for -i */
		{ 'H', &o->hide_clients, 0 },
		{ 'i', &o->foreground, 0 },
		{ 't', &o->check_only, 0 },
		{ 'T', &o->dump, 0 },
		{ 'W', &o->wrap.wo_builtins, 0 },
		{ 'w', &o->wrap.wo_programs, 0 },
	};
	const char *path;
	int ch, xarg = -1;

	*o = (struct inetd_options){ .pidfile_path = FLAGS_PIDFILE,
	    .config_path = FLAGS_CONFIG, .retrytime = FLAGS_RETRYTIME,
	    .journal_socket = JOURNAL_SOCKET,
	    .limits = { .ld_maxrate = DEFAULT_MAXRATE },
	    .spawn = { .so_debug_fd = -1, .so_handback_fd = -1 } };
	while ((ch = getopt(argc, argv, "a:C:c:dEfHilp:R:s:TtWwx:")) != -1) {
		switch (ch) {
		case 'a':
			o->bind_default = optarg;
			break;
		case 'l':
			o->log_connections = o->wrap.wo_log_connections = 1;
			break;
		case 'p':
			o->pidfile_path = optarg;
			o->pidfile_given = 1;
			break;
		case 'x':
			o->xinetd_path = optarg;
			xarg = optind - 1;
			break;
		default:
			if (set_flag_field(fields, nitems(fields), ch,
			    optarg) == -1)
				usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1 || (argc == 1 && o->xinetd_path != NULL))
		usage();
	o->check_only |= o->dump;
	if (argc == 1)
		o->config_path = argv[0];
	else if (o->xinetd_path != NULL) {
		o->config_path = o->xinetd_path;
		config_set_xinetd(1);
	} else
		config_set_includedir(FLAGS_INCLUDEDIR);
	/* Detached, inetd runs in "/": a reload must find the same file. */
	if (!o->debug && !o->check_only && o->config_path[0] != '/') {
		if ((o->config_path = realpath(path = o->config_path,
		    NULL)) == NULL)
			err(EX_NOINPUT, "%s", path);
		if (xarg != -1)
			absolute_xinetd_arg(argv - optind, xarg, path,
			    o->config_path);
	}
	parse_test_environment(o);
}

/* The variables inetd.8 documents for tests (ENVIRONMENT). */
static void
parse_test_environment(struct inetd_options *o)
{
	const char *env;
	const char *errstr;

	/* Shortens every retry and pause. */
	if ((env = getenv("INETD_RETRY_SECONDS")) != NULL) {
		o->retrytime = strtonum(env, 1, INT_MAX, &errstr);
		if (errstr != NULL)
			errx(EX_USAGE, "INETD_RETRY_SECONDS=%s is %s", env,
			    errstr);
	}
	/* A smaller budget of forwarding pipes. */
	if ((env = getenv("INETD_PIPE_BUDGET")) != NULL &&
	    forward_set_pipe_budget(env, &errstr) == -1)
		errx(EX_USAGE, "INETD_PIPE_BUDGET=%s is %s", env, errstr);
	/* The idle timeout of the stream builtins. */
	if ((env = getenv("INETD_IDLE_SECONDS")) != NULL) {
		builtin_set_idle_timeout(strtonum(env, 1, INT_MAX / 1000,
		    &errstr));
		if (errstr != NULL)
			errx(EX_USAGE, "INETD_IDLE_SECONDS=%s is %s", env,
			    errstr);
	}
	/* A journal of the test's, when stderr is the journal's. */
	if ((env = getenv("INETD_JOURNAL_SOCKET")) != NULL)
		o->journal_socket = env;
	/* Shortens the bound on a load's look-ups. */
	if ((env = getenv("INETD_LOOKUP_SECONDS")) != NULL) {
		lookup_seconds = strtonum(env, 1, 30, &errstr);
		if (errstr != NULL)
			errx(EX_USAGE, "INETD_LOOKUP_SECONDS=%s is %s", env,
			    errstr);
	}
}
