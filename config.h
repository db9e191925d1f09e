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
#include <limits.h>
#include <netdb.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "event.h"

#define CONF_LINE_MAX	4096	/* bytes in one entry, continuations included */
#define CONF_MAXARGS	64	/* server arguments, argv[0] included */
#define CONF_MAXCHILD	32767	/* largest max-child, as FreeBSD */
#define CONF_MAXGROUPS	256	/* supplementary groups kept per entry */
#define CONF_UNIXMODE	0200	/* UNIX socket mode unless given (FreeBSD) */
#define CONF_DEFAULT	(-1)	/* limit not given: use the global default */
#define TCPMUX_NAME_MAX	256	/* bytes of a tcpmux service name (FreeBSD) */

/* se_tcpmux: how the tcpmux builtin offers an entry. */
#define TCPMUX_NONE	0	/* it does not: an entry of its own */
#define TCPMUX_PLAIN	1	/* "tcpmux/NAME": the server answers "+" */
#define TCPMUX_PLUS	2	/* "tcpmux/+NAME": inetd sends "+Go" */

struct builtin;
struct forward;

/*
 * What the limits of an entry remember (see ratelimit.c in inetd.h).
 * Events of the last minute are counted in 6 buckets of 10 s, as
 * FreeBSD does: the window slides by whole buckets.
 */
#define RATE_BUCKETS	6
#define RATE_BUCKET_SECONDS 10

struct rate_window {
	long long	 rw_tick;	/* 10 s period of the newest bucket */
	unsigned	 rw_count[RATE_BUCKETS];	/* by period % 6 */
};

/* A message logged at most once a minute. */
struct log_quota {
	time_t		 lq_next;	/* may be logged again from then */
	unsigned	 lq_missed;	/* occurrences not logged since */
};

/* Kept across a reload by the entry that takes over the socket. */
struct svc_limits {
	uint64_t	 sl_id;		/* names it in the per-address table */
	struct rate_window sl_started;	/* servers started (-R, nowait.N) */
	struct rate_window sl_failed;	/* of them, those that failed */
	time_t		 sl_looping_until; /* 0, or closed until then */
	time_t		 sl_throttled_until; /* 0, or no start until then */
	struct log_quota sl_log_maxchild;
	struct log_quota sl_log_throttled;
	struct log_quota sl_log_perip_rate;
	struct log_quota sl_log_perip_children;
};

/* What SIGUSR1 reports of an entry, kept across reloads (inetd.c). */
struct svc_stats {
	unsigned long	 st_accepted;	/* connections, wait servers started */
	unsigned long	 st_refused_rate;  /* per-ip-per-minute limit */
	unsigned long	 st_refused_perip; /* max-child-per-ip */
	unsigned long	 st_looping;	/* times closed as looping */
};

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
	int	 se_wait;		/* wait: the server gets the socket */
	int	 se_maxchild;		/* wait/N: children at once */
	int	 se_maxcpm;		/* wait/N/M: per IP per minute */
	int	 se_maxperip;		/* wait/N/M/P: children per IP */
	int	 se_maxrate;		/* nowait.N: invocations per minute */
	char	*se_user;
	char	*se_group;		/* NULL: the user's login group */
	char	*se_class;		/* login class: parsed, unused on Linux */
	char	*se_sockuser;		/* UNIX socket owner (":u:g:mode:path") */
	char	*se_sockgroup;		/* UNIX socket group */
	mode_t	 se_sockmode;		/* UNIX socket mode */
	char	*se_server;		/* absolute path; NULL when internal */
	const struct builtin *se_bi;	/* builtin service, or NULL */
	struct forward *se_forward;	/* forward builtin: its settings */
	int	 se_argc;
	char	**se_argv;		/* se_argc of them, then NULL */
	/*
	 * An "include PATH" line: config_parse() returns it as a node with
	 * only this, se_file and se_line set; config_load() follows it.
	 */
	char	*se_include;

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

	/* Run-time state, owned by inetd.c. */
	int	 se_fd;			/* listening socket, -1 when closed */
	struct handler se_handler;	/* se_fd's in the loop (event.h) */
	int	 se_children;		/* live children of this entry */
	int	 se_paused;		/* wait service: a child has the socket */
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
 * Parse the text of one configuration file (len bytes, need not be
 * NUL-terminated).  file names it in messages; defhost is the default
 * bind host (-a), NULL for any.  Returns the good entries in file order
 * (NULL if none); bad entries are reported and left out.
 */
struct servtab	*config_parse(const char *text, size_t len, const char *file,
		    const char *defhost, conf_report_fn *report);

/*
 * Look up what the entry names: user, groups, service port, bind
 * address, program, forward target.  euid is the daemon's effective
 * uid: when it is not 0, an entry for another user is refused.  Returns
 * 0, or -1 after reporting why the entry cannot be used.  Users, groups
 * and host names are looked up in a child process (one for each
 * config_load(), whatever the number of files), so that no NSS module is
 * ever loaded into the daemon and no resolver can hold it; a look-up
 * that takes longer than config_lookup_seconds (30 unless a test
 * shortens it) fails.  Numeric addresses need no child.
 */
extern int	 config_lookup_seconds;

/*
 * The look-up child: inetd executed as "inetd --look-up FROM SIZE", a
 * memory file of questions of SIZE bytes each on its standard input,
 * which it answers from question FROM on.  main() of every program that
 * calls config_resolve() or config_load() hands such a call to
 * config_lookup_serve(), whose result is the exit status.
 */
#define CONFIG_LOOKUP_ARG	"--look-up"
int		 config_lookup_serve(const char *from, const char *size);

/* What a look-up question is about. */
enum lookup_kind {
	LOOKUP_USER,		/* user[:group]: uid, gid, groups */
	LOOKUP_SOCKOWNER,	/* user: uid */
	LOOKUP_SOCKGROUP,	/* group: gid */
	LOOKUP_ADDRESS		/* host, port: the first address */
};

enum lookup_status {
	LOOKUP_UNANSWERED,	/* no answer: the child says nothing */
	LOOKUP_DIED,		/* the look-up process died on it */
	LOOKUP_OK,
	LOOKUP_NO_USER,
	LOOKUP_NO_GROUP,
	LOOKUP_TOO_MANY_GROUPS,
	LOOKUP_NO_ADDRESS,	/* getaddrinfo() failed: gai_error */
	LOOKUP_BAD_ANSWER	/* the daemon refused what it read */
};

/*
 * One slot of the memory file the child answers in: the question, then
 * the answer, its status written last.  The child is another process
 * whose NSS modules may be broken: the daemon reads its answers back
 * into a slot of its own and checks every field (lookup_answer_check()
 * in config.c); the questions it keeps never leave its memory.
 */
struct lookup_slot {
	int		 kind;		/* enum lookup_kind */
	char		 user[LOGIN_NAME_MAX];	/* "" for none */
	char		 group[LOGIN_NAME_MAX];
	char		 host[NI_MAXHOST];	/* LOOKUP_ADDRESS */
	char		 port[NI_MAXSERV];	/* "" for none */
	int		 family;	/* getaddrinfo() hints */
	int		 socktype;
	int		 flags;
	int		 status;	/* enum lookup_status */
	uid_t		 uid;
	gid_t		 gid;
	int		 ngroups;
	gid_t		 groups[CONF_MAXGROUPS];
	int		 gai_error;	/* LOOKUP_NO_ADDRESS: why */
	int		 sys_errno;	/* with EAI_SYSTEM */
	socklen_t	 addrlen;
	struct sockaddr_storage addr;
};

int		 config_resolve(struct servtab *sep, uid_t euid,
		    conf_report_fn *report);

/*
 * Read and parse a file; "include" lines are followed (a file, or a
 * directory's *.conf files in name order), and their entries take the
 * place of the line.  Nothing is looked up: the fuzzer and the tests
 * call it alone.  Only regular files are read, each at most once, and
 * at most CONF_LOAD_FILES of them.  Returns the list, or NULL with *errp
 * set to errno when the file cannot be read (EISDIR for a directory); an
 * empty file gives NULL and 0, and so does a FIFO, device or socket,
 * after it is reported.
 */
#define CONF_LOAD_FILES	1024	/* files one load reads, includes and all */
struct servtab	*config_read(const char *path, const char *defhost,
		    conf_report_fn *report, int *errp);

/*
 * config_read(), then the look-ups of all the entries at once, in one
 * child; entries that fail to resolve are reported and dropped.
 */
struct servtab	*config_load(const char *path, const char *defhost,
		    uid_t euid, conf_report_fn *report, int *errp);

/*
 * A directory whose *.conf files config_load() reads after the file it
 * is given, as if that file ended with "include dir"; a missing
 * directory is no error.  NULL (the default): none.
 */
void		 config_set_includedir(const char *dir);

/* Numeric text of an address ("127.0.0.1", "::1", a UNIX path). */
const char	*sockaddr_str(const struct sockaddr *sa, char *buf,
		    size_t size);

/* "echo/tcp" style name of an entry, for messages. */
const char	*servtab_name(const struct servtab *sep, char *buf,
		    size_t size);

void		 servtab_free(struct servtab *sep);
void		 config_free(struct servtab *list);

#endif /* INETD_CONFIG_H */
