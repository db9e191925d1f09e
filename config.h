/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * config.h: inetd.conf(5) entries, and the parser that produces them.
 *
 * Loading a file has two steps, so that the first can be unit-tested and
 * fuzzed without touching the system:
 *   config_parse()   text -> entries; pure (no I/O, no name look-ups).
 *   config_resolve() look up user, group, port, bind address and program
 *                    of one entry, once, at load time.
 * Every problem is reported through a conf_report_fn as
 * "FILE:LINE: SERVICE/PROTO: what is wrong" and the entry is dropped;
 * the other entries still load.
 */
#ifndef INETD_CONFIG_H
#define INETD_CONFIG_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>

#include "ratelimit.h"
#include "stats.h"

#include "event.h"

#define CONF_LINE_MAX	4096	/* bytes in one entry, continuations included */
/* Room for any message: the words it quotes come from one entry. */
#define CONF_MSG_MAX	(CONF_LINE_MAX + 256)
#define CONF_PORT_MAX	65535	/* largest port number */
#define CONF_MAXARGS	64	/* server arguments, argv[0] included */
#define CONF_FIELDS	6	/* fields before the arguments (F_ARGS) */
#define CONF_MAXCHILD	32767	/* largest max-child, as FreeBSD */
#define CONF_UNIXMODE	0200	/* UNIX socket mode unless given (FreeBSD) */
#define CONF_DEFAULT	(-1)	/* limit not given: use the global default */
#define TCPMUX_NAME_MAX	256	/* bytes of a tcpmux service name (FreeBSD) */
/*
 * NetBSD's accept filters dataready and httpready are TCP_DEFER_ACCEPT:
 * a connection reaches accept() once its first data arrived, or after
 * this many seconds of the kernel's SYN-ACK retries without any.
 */
#define CONF_DEFER_SECONDS 30

/* se_tcpmux: how the tcpmux builtin offers an entry. */
#define TCPMUX_NONE	0	/* it does not: an entry of its own */
#define TCPMUX_PLAIN	1	/* "tcpmux/NAME": the server answers "+" */
#define TCPMUX_PLUS	2	/* "tcpmux/+NAME": inetd sends "+Go" */

struct builtin;
struct svc_options;

struct servtab {
	/* Where the entry came from, for every message about it. */
	char	*se_file;
	int	 se_line;		/* line the entry starts on */

	/* Fields as parsed (config_parse). */
	char	*se_host;		/* bind host; "*" or NULL: any */
	char	*se_service;		/* name, port number or UNIX path */
	int	 se_tcpmux;		/* TCPMUX_*; offered: no socket */
	char	*se_proto;		/* protocol field as written */
	int	 se_socktype;		/* SOCK_STREAM or SOCK_DGRAM */
	int	 se_family;		/* AF_INET, AF_INET6 or AF_UNIX */
	int	 se_v6only;		/* AF_INET6 socket refuses IPv4 */
	int	 se_plain_inet;		/* tcp, udp: dual-stack unless paired */
	int	 se_wait;		/* wait: the server gets the socket */
	int	 se_maxchild;		/* wait/N: children at once */
	int	 se_maxcpm;		/* wait/N/M: per IP per minute */
	int	 se_maxperip;		/* wait/N/M/P: children per IP */
	int	 se_maxrate;		/* nowait.N: invocations per minute */
	int	 se_sndbuf;		/* tcp,sndbuf=N: SO_SNDBUF, or 0 */
	int	 se_rcvbuf;		/* tcp,rcvbuf=N: SO_RCVBUF, or 0 */
	int	 se_deferaccept;	/* stream:dataready: TCP_DEFER_ACCEPT */
	int	 se_off;		/* "off": checked, not opened */
	char	*se_user;
	char	*se_group;		/* NULL: the user's login group */
	char	*se_class;		/* login class: unused on Linux */
	char	*se_sockuser;		/* UNIX socket owner (:u:g:mode:path) */
	char	*se_sockgroup;		/* UNIX socket group */
	mode_t	 se_sockmode;		/* UNIX socket mode */
	char	*se_server;		/* absolute path; NULL when internal */
	const struct builtin *se_bi;	/* builtin service, or NULL */
	void	*se_private;		/* the builtin's, freed by its hook */
	int	 se_argc;
	char	**se_argv;		/* se_argc of them, then NULL */
	struct svc_options *se_opts;	/* key-values options, or NULL */
	/*
	 * An "include PATH" line: config_parse() returns it as a node with
	 * only this, se_file and se_line set; config_load() follows it.
	 */
	char	*se_include;
	int	 se_include_xinetd;	/* of xinetd: include, includedir */
	int	 se_include_glob;	/* ".include": a pattern */

	/* Resolved once at load (config_resolve). */
	uid_t	 se_uid;
	gid_t	 se_gid;
	int	 se_ngroups;
	gid_t	*se_groups;		/* se_ngroups of them, allocated */
	uid_t	 se_sockuid;
	gid_t	 se_sockgid;
	union {
		struct sockaddr		sa;
		struct sockaddr_in	sin;
		struct sockaddr_in6	sin6;
		struct sockaddr_un	sun;
	} se_ctrladdr;			/* address to bind */
	socklen_t se_ctrladdr_size;
	int	 se_program_missing;	/* not installed (yet): not served */

	/* Run-time state, owned by inetd.c. */
	int	 se_fd;			/* listening socket, -1 when closed */
	struct handler se_handler;	/* se_fd's in the loop (event.h) */
	int	 se_children;		/* live children of this entry */
	int	 se_paused;		/* wait: a child has the socket */
	int	 se_bind_failed;	/* bind failed: retry later */
	struct svc_limits se_limits;
	struct svc_stats se_stats;

	struct servtab *se_next;
};

/*
 * Receives each diagnostic: priority is LOG_ERR for an entry that is
 * dropped, LOG_WARNING for something ignored, LOG_DEBUG for notes.
 * The message carries "FILE:LINE: " already and has no newline.
 */
typedef void conf_report_fn(int priority, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * The hooks of a builtin with settings of its own (forward), which the
 * parser calls through the table (struct config_builtins) and the
 * table through the builtin's row.
 *   parse:   the arguments of the entry, checked: 0, or -1 with why.
 *            What they say may be kept in se_private.
 *   target:  1 with the address the builtin needs looked up, or 0.
 *   resolve: that address, found: 0, or -1 with why it cannot be used.
 */
typedef int	 builtin_parse_fn(struct servtab *sep, char *why,
		    size_t size);
typedef int	 builtin_target_fn(const struct servtab *sep,
		    const char **host, const char **port, int *socktype);
typedef int	 builtin_resolve_fn(struct servtab *sep,
		    const struct sockaddr *addr, socklen_t addrlen,
		    char *why, size_t size);

/*
 * What the parser and the loader need of the builtins table: the
 * program gives it (the daemon internal.c's builtin_config; a test or a
 * fuzzer a table of its own), so that config.c calls no builtin's code.
 * Until one is given, no "internal" entry loads.  Each hook of an entry
 * calls its row's, if the row has one.
 */
struct config_builtins {
	/* The row of the builtin named name for socktype, or NULL. */
	const struct builtin *(*cb_find)(const char *name, int socktype);
	/* "echo, discard, ..." for socktype, for a message. */
	const char	*(*cb_names)(int socktype, char *buf, size_t size);
	builtin_parse_fn   *cb_parse;
	builtin_target_fn  *cb_target;
	builtin_resolve_fn *cb_resolve;
	/* Frees what the builtin keeps in se_private. */
	void		 (*cb_free)(struct servtab *sep);
	/*
	 * Once all are resolved: the entries of list that relay to one
	 * another in a loop, reported and dropped; returns what is left.
	 * NULL: no builtin relays.
	 */
	struct servtab	*(*cb_drop_loops)(struct servtab *list,
			    conf_report_fn *report);
};

void		 config_set_builtins(const struct config_builtins *table);
/* The table given, or NULL (for resolve.c, which config.c does not call). */
const struct config_builtins *config_builtins_given(void);


/*
 * Parse the text of one configuration file (len bytes, need not be
 * NUL-terminated).  file names it in messages; defhost is the default
 * bind host (-a), NULL for any.  Returns the good entries in file order
 * (NULL if none); bad entries are reported and left out.
 */
struct servtab	*config_parse(const char *text, size_t len, const char *file,
		    const char *defhost, conf_report_fn *report);

/*
 * One entry from the fields of a positional line, already split into
 * words (service, socket type, protocol, wait, user, program, then the
 * arguments), for a notation that is read elsewhere (xinetd.c), so that
 * each field means what it means in a line.  The words are not changed
 * nor kept.  Returns the entry, or NULL after reporting why not.
 */
struct servtab	*config_entry(char **words, int nwords, const char *file,
		    int line, const char *defhost, conf_report_fn *report);

/*
 * Look up what the entry names: user, groups, service port, bind
 * address, program, forward target.  euid is the daemon's effective
 * uid: when it is not 0, an entry for another user is refused.  Returns
 * 0, or -1 after reporting why the entry cannot be used.  Users,
 * groups, host and service names are looked up in a child process
 * (lookup.h), one for each config_load() whatever the number of files,
 * so that no NSS module is ever loaded into the daemon and no resolver
 * can hold it.  Numeric addresses and ports need no child.
 */
int		 config_resolve(struct servtab *sep, uid_t euid,
		    conf_report_fn *report);

/*
 * config_resolve() of every entry of list at once, in one look-up
 * child; the entries that fail are reported and dropped, and so are
 * the "off" entries that pass.  Then plain tcp and udp entries on the
 * wildcard address become dual-stack, unless an IPv6 entry has the same
 * port (inetd.conf(5)).  Returns what is left of the list.
 */
struct servtab	*config_resolve_all(struct servtab *list, uid_t euid,
		    conf_report_fn *report);

/*
 * 1 when the entry's program is not there (ENOENT): a condition of the
 * system, which the entry waits out (se_program_missing).
 */
int		 config_program_missing(const struct servtab *sep);

/* "echo/tcp" style name of an entry, for messages (SVC_NAME_MAX). */
const char	*servtab_name(const struct servtab *sep, char *buf,
		    size_t size);
/*
 * "FILE:LINE: SERVICE/PROTO" (SVC_WHERE_MAX, util.h): every message
 * about an entry starts with it, then ": what".
 */
const char	*servtab_where(const struct servtab *sep, char *buf,
		    size_t size);

/* report(priority, "FILE:LINE: SERVICE/PROTO: " fmt ...). */
void		 servtab_vreport(const struct servtab *sep,
		    conf_report_fn *report, int priority, const char *fmt,
		    va_list ap) __attribute__((format(printf, 4, 0)));
void		 servtab_free(struct servtab *sep);
void		 config_free(struct servtab *list);

#endif /* INETD_CONFIG_H */
