/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flags.h: the command line, and the variables inetd.8 documents for
 * tests, read into one struct that main() passes on in parts (flags.c).
 */
#ifndef INETD_FLAGS_H
#define INETD_FLAGS_H

#include "ratelimit.h"
#include "spawn.h"
#include "wrap.h"

#define FLAGS_CONFIG	"/etc/inetd.conf"
#define FLAGS_INCLUDEDIR "/etc/inetd.d"	/* read with the default config */
#define FLAGS_PIDFILE	"/var/run/inetd.pid"
#define FLAGS_RETRYTIME	600	/* s before a failed bind is retried */

struct inetd_options {
	int		 debug;		/* -d */
	int		 foreground;	/* -i, -f */
	int		 check_only;	/* -t, or -T */
	int		 dump;		/* -T: print the entries */
	const char	*xinetd_path;	/* -x */
	int		 log_connections; /* -l */
	int		 hide_clients;	/* -H */
	const char	*bind_default;	/* -a */
	const char	*pidfile_path;	/* -p */
	int		 pidfile_given;
	const char	*config_path;
	int		 retrytime;	/* $INETD_RETRY_SECONDS */
	const char	*journal_socket; /* $INETD_JOURNAL_SOCKET */
	struct limit_defaults limits;	/* -c, -C, -s, -R */
	struct wrap_options wrap;	/* -w, -W (and -l) */
	struct spawn_options spawn;	/* -E, and descriptors for children */
};

/*
 * *o from the defaults, the flags and the test variables; exits with
 * EX_USAGE (and the usage) on a bad flag.  optind is left after them.
 */
void	flags_parse(struct inetd_options *o, int argc, char *argv[]);

#endif /* INETD_FLAGS_H */
