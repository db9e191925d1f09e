/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * config.c: read inetd.conf(5) into servtab entries.
 *
 * The syntax is FreeBSD's, with what OpenBSD and Debian add (bind-host
 * prefixes, numeric ports, nowait.N).  config_parse() is a pure
 * function of the text so that it can be unit-tested and fuzzed;
 * everything that asks the system (users, ports, addresses, programs)
 * waits for config_resolve().
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "inetd.h"

/* A larger file is a mistake (a log or an image), not a configuration. */
#define CONF_FILE_MAX	(64 * 1024 * 1024)
#define CONF_FILE_CHUNK	8192	/* first read when the size is unknown */

/* Room for any message: the words it quotes come from one entry. */
#define CONF_MSG_MAX	(CONF_LINE_MAX + 256)

#define CONF_INCLUDE_DEPTH 8	/* files read at once: the first and 7 */
#define CONF_INCLUDE_FILES 1024	/* *.conf files in an included directory */

/* The fields of an entry, in order; the arguments follow. */
enum field {
	F_SERVICE,
	F_SOCKTYPE,
	F_PROTO,
	F_WAIT,
	F_USER,
	F_PROGRAM,
	F_ARGS
};
#define ENTRY_MAXWORDS	(F_ARGS + CONF_MAXARGS)

#define PORT_MAX	65535
#define MODE_MAX	0777

/* One file being parsed, and the logical entry being collected. */
struct parser {
	const char	*file;
	conf_report_fn	*report;
	char		*defhost;	/* bind host of entries without one */
	struct servtab	*head;
	struct servtab	**tail;

	char		 buf[CONF_LINE_MAX + 1];
	size_t		 len;
	int		 line;		/* where the entry starts, 0: none */
	int		 orphan;	/* began with a continuation line */
	int		 toolong;
	int		 nul;
};

/* The entry being built from one logical line. */
struct entry {
	struct parser	*p;
	int		 line;
	char		*word[ENTRY_MAXWORDS];
	int		 nword;
	const char	*service;	/* name, port or path, inside a word */
	int		 internal;
	struct servtab	*se;
};

/*
 * config_load() following include lines: the files being read, so
 * that one including itself, directly or not, is refused.
 */
struct loader {
	const char	*defhost;
	uid_t		 euid;
	conf_report_fn	*report;
	int		 depth;
	dev_t		 dev[CONF_INCLUDE_DEPTH];
	ino_t		 ino[CONF_INCLUDE_DEPTH];
};

/* Read after the file config_load() is given; see config.h. */
static const char *config_includedir;

static const struct socktype {
	const char	*name;
	int		 type;
} socktypes[] = {
	{ "stream",	SOCK_STREAM },
	{ "dgram",	SOCK_DGRAM },
	{ "raw",	SOCK_RAW },
	{ "rdm",	SOCK_RDM },
	{ "seqpacket",	SOCK_SEQPACKET },
};

/* FreeBSD's meaning: plain tcp/udp is IPv4, *46 one dual-stack socket. */
static const struct protocol {
	const char	*name;
	int		 socktype;
	int		 family;
	int		 v6only;
} protocols[] = {
	{ "tcp",	SOCK_STREAM,	AF_INET,	0 },
	{ "tcp4",	SOCK_STREAM,	AF_INET,	0 },
	{ "tcp6",	SOCK_STREAM,	AF_INET6,	1 },
	{ "tcp46",	SOCK_STREAM,	AF_INET6,	0 },
	{ "udp",	SOCK_DGRAM,	AF_INET,	0 },
	{ "udp4",	SOCK_DGRAM,	AF_INET,	0 },
	{ "udp6",	SOCK_DGRAM,	AF_INET6,	1 },
	{ "udp46",	SOCK_DGRAM,	AF_INET6,	0 },
	{ "unix",	SOCK_STREAM,	AF_UNIX,	0 },
};

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

static void	 vreport(conf_report_fn *, int, const char *, int,
		    const char *, const char *, va_list)
		    __attribute__((format(printf, 6, 0)));
static void	 entry_error(struct entry *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	 resolve_error(const struct servtab *, conf_report_fn *,
		    const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	 include_error(struct loader *, const char *, int,
		    const char *, const char *, ...)
		    __attribute__((format(printf, 5, 6)));
static struct servtab *include_line(struct loader *,
		    const struct servtab *);

static void
vreport(conf_report_fn *report, int priority, const char *file, int line,
    const char *name, const char *fmt, va_list ap)
{
	char msg[CONF_MSG_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (name != NULL)
		report(priority, "%s:%d: %s: %s", file, line, name, msg);
	else
		report(priority, "%s:%d: %s", file, line, msg);
}

/*
 * The entry is dropped.  Once the protocol field is known, the message
 * names the entry by its service and protocol fields as written.
 */
static void
entry_error(struct entry *e, const char *fmt, ...)
{
	char name[CONF_MSG_MAX];
	va_list ap;

	if (e->nword > F_PROTO)
		snprintf(name, sizeof(name), "%s/%s", e->word[F_SERVICE],
		    e->word[F_PROTO]);
	va_start(ap, fmt);
	vreport(e->p->report, LOG_ERR, e->p->file, e->line,
	    e->nword > F_PROTO ? name : NULL, fmt, ap);
	va_end(ap);
}

static void
resolve_error(const struct servtab *sep, conf_report_fn *report,
    const char *fmt, ...)
{
	char name[CONF_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vreport(report, LOG_ERR, sep->se_file, sep->se_line,
	    servtab_name(sep, name, sizeof(name)), fmt, ap);
	va_end(ap);
}

static char *
entry_strndup(struct entry *e, const char *s, size_t n)
{
	char *copy;

	if ((copy = strndup(s, n)) == NULL)
		entry_error(e, "out of memory");
	return copy;
}

static char *
entry_strdup(struct entry *e, const char *s)
{
	return entry_strndup(e, s, strlen(s));
}

static int
is_space(char c)
{
	/* '\n' joins continuation lines; a CR is left by CRLF files. */
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static const char *
socktype_name(int type)
{
	size_t i;

	for (i = 0; i < nitems(socktypes); i++)
		if (socktypes[i].type == type)
			return socktypes[i].name;
	return "unknown";
}

/*
 * Split an entry into words as a shell would in the simple cases:
 * blanks separate words, '...' and "..." quote (the quotes go, the
 * parts of a word join), no escapes.  Words are written back into s,
 * which only shrinks.  A quote does not reach past its physical line.
 */
static int
split_words(struct entry *e, char *s)
{
	char *r, *w, quote, end;

	for (r = w = s;;) {
		while (is_space(*r))
			r++;
		if (*r == '\0')
			return 0;
		if (e->nword == ENTRY_MAXWORDS) {
			entry_error(e, "too many arguments (more than %d)",
			    CONF_MAXARGS);
			return -1;
		}
		e->word[e->nword] = w;
		while (*r != '\0' && !is_space(*r)) {
			if (*r != '\'' && *r != '"') {
				*w++ = *r++;
				continue;
			}
			quote = *r++;
			while (*r != quote && *r != '\0' && *r != '\n')
				*w++ = *r++;
			if (*r != quote) {
				entry_error(e, "missing closing %c quote",
				    quote);
				return -1;
			}
			r++;
		}
		/* w may have reached r: keep the separator before ending. */
		end = *r;
		*w++ = '\0';
		e->nword++;
		if (end == '\0')
			return 0;
		r++;
	}
}

/* "*" means any address, which the servtab spells NULL. */
static int
copy_host(struct entry *e, const char *host, size_t len, char **dst)
{
	*dst = NULL;
	if (len == 1 && host[0] == '*')
		return 0;
	return (*dst = entry_strndup(e, host, len)) == NULL ? -1 : 0;
}

/*
 * Split "HOST:service", "[v6]:service" or "service".  The last ':'
 * separates, so an IPv6 literal works even without its brackets.
 * *host is NULL when the field names no host.
 */
static int
split_host(struct entry *e, const char *field, const char **host,
    size_t *hostlen, const char **service)
{
	const char *colon, *close;

	if (field[0] == '[') {
		if ((close = strchr(field, ']')) == NULL) {
			entry_error(e, "missing ']' in '%s'", field);
			return -1;
		}
		if (close[1] != ':') {
			entry_error(e, "expected ':' after ']' in '%s'", field);
			return -1;
		}
		*host = field + 1;
		*hostlen = close - *host;
		*service = close + 2;
	} else if ((colon = strrchr(field, ':')) != NULL) {
		*host = field;
		*hostlen = colon - field;
		*service = colon + 1;
	} else {
		*host = NULL;
		*hostlen = 0;
		*service = field;
		return 0;
	}
	if (*hostlen == 0) {
		entry_error(e, "empty bind address in '%s'", field);
		return -1;
	}
	return 0;
}

/* A line of only "HOST:" sets the bind host of the lines after it. */
static void
set_default_host(struct entry *e)
{
	struct parser *p = e->p;
	const char *host, *service;
	size_t hostlen;
	char *copy;

	if (split_host(e, e->word[F_SERVICE], &host, &hostlen,
	    &service) == -1 || copy_host(e, host, hostlen, &copy) == -1)
		return;
	free(p->defhost);
	p->defhost = copy;
}

static int
parse_socktype(struct entry *e)
{
	const char *f = e->word[F_SOCKTYPE];
	size_t i;

	for (i = 0; i < nitems(socktypes); i++)
		if (strcmp(f, socktypes[i].name) == 0)
			break;
	if (i == nitems(socktypes)) {
		entry_error(e, "unknown socket type '%s'", f);
		return -1;
	}
	if (socktypes[i].type != SOCK_STREAM &&
	    socktypes[i].type != SOCK_DGRAM) {
		entry_error(e, "socket type %s is not supported", f);
		return -1;
	}
	e->se->se_socktype = socktypes[i].type;
	return 0;
}

static int
parse_protocol(struct entry *e)
{
	struct servtab *se = e->se;
	const char *f = e->word[F_PROTO];
	const struct protocol *pr;

	if (strncmp(f, "rpc/", 4) == 0) {
		entry_error(e, "RPC services are not supported");
		return -1;
	}
	for (pr = protocols; pr < protocols + nitems(protocols); pr++)
		if (strcmp(f, pr->name) == 0)
			break;
	if (pr == protocols + nitems(protocols)) {
		entry_error(e, "unknown protocol '%s' (expected tcp, tcp4, "
		    "tcp6, tcp46, udp, udp4, udp6, udp46 or unix)", f);
		return -1;
	}
	if (pr->family == AF_UNIX && se->se_socktype != SOCK_STREAM) {
		entry_error(e, "UNIX-domain %s sockets are not supported "
		    "(unix needs stream)", socktype_name(se->se_socktype));
		return -1;
	}
	if (pr->socktype != se->se_socktype) {
		entry_error(e, "protocol %s does not fit socket type %s", f,
		    socktype_name(se->se_socktype));
		return -1;
	}
	se->se_family = pr->family;
	se->se_v6only = pr->v6only;
	return (se->se_proto = entry_strdup(e, f)) == NULL ? -1 : 0;
}

static int
parse_sockmode(struct entry *e, const char *s, size_t len)
{
	mode_t mode = 0;
	size_t i;

	for (i = 0; i < len && s[i] >= '0' && s[i] <= '7'; i++)
		if ((mode = mode * 8 + (s[i] - '0')) > MODE_MAX)
			break;
	if (i < len) {
		entry_error(e, "bad socket mode '%.*s': expected octal, at "
		    "most %o", (int)len, s, MODE_MAX);
		return -1;
	}
	e->se->se_sockmode = mode;
	return 0;
}

/*
 * A UNIX socket's service field is its path, in FreeBSD's long form
 * ":owner:group:mode:/path" when the socket needs other permissions.
 */
static int
parse_unix_service(struct entry *e)
{
	struct servtab *se = e->se;
	const char *f = e->word[F_SERVICE], *path = f, *part[3], *colon;
	size_t partlen[3];
	int i;

	se->se_sockmode = CONF_UNIXMODE;
	if (f[0] == ':') {
		for (i = 0, path++; i < 3; i++, path = colon + 1) {
			if ((colon = strchr(path, ':')) == NULL) {
				entry_error(e, "bad UNIX socket '%s': expected "
				    "/path or :owner:group:mode:/path", f);
				return -1;
			}
			part[i] = path;
			partlen[i] = colon - path;
		}
		/* An empty part keeps the default. */
		if (partlen[0] > 0 && (se->se_sockuser =
		    entry_strndup(e, part[0], partlen[0])) == NULL)
			return -1;
		if (partlen[1] > 0 && (se->se_sockgroup =
		    entry_strndup(e, part[1], partlen[1])) == NULL)
			return -1;
		if (partlen[2] > 0 &&
		    parse_sockmode(e, part[2], partlen[2]) == -1)
			return -1;
	}
	if (path[0] != '/') {
		entry_error(e, "UNIX socket path '%s' must be absolute", path);
		return -1;
	}
	if (strlen(path) >= sizeof(se->se_ctrladdr.sun.sun_path)) {
		entry_error(e, "UNIX socket path too long (more than %zu "
		    "bytes)", sizeof(se->se_ctrladdr.sun.sun_path) - 1);
		return -1;
	}
	e->service = path;
	return (se->se_service = entry_strdup(e, path)) == NULL ? -1 : 0;
}

/*
 * "tcpmux/NAME" or "tcpmux/+NAME": no socket of its own; the tcpmux
 * builtin offers it by name to its clients, whatever their address.
 */
static int
parse_tcpmux_service(struct entry *e, const char *service, int has_host)
{
	struct servtab *se = e->se;
	const char *name = service + 7;

	se->se_tcpmux = TCPMUX_PLAIN;
	if (*name == '+') {
		se->se_tcpmux = TCPMUX_PLUS;
		name++;
	}
	if (has_host) {
		entry_error(e, "a tcpmux service has no address of its own");
		return -1;
	}
	if (*name == '\0') {
		entry_error(e, "missing tcpmux service name in '%s'", service);
		return -1;
	}
	if (strlen(name) > TCPMUX_NAME_MAX) {
		entry_error(e, "tcpmux service name longer than %d bytes",
		    TCPMUX_NAME_MAX);
		return -1;
	}
	if (se->se_socktype != SOCK_STREAM) {
		entry_error(e, "tcpmux services need socket type stream");
		return -1;
	}
	e->service = service;
	return (se->se_service = entry_strdup(e, service)) == NULL ? -1 : 0;
}

static int
parse_inet_service(struct entry *e)
{
	struct servtab *se = e->se;
	const char *f = e->word[F_SERVICE], *host, *service, *slash;
	const char *errstr;
	size_t hostlen;

	if (split_host(e, f, &host, &hostlen, &service) == -1)
		return -1;
	if (host != NULL) {
		if (copy_host(e, host, hostlen, &se->se_host) == -1)
			return -1;
	} else if (e->p->defhost != NULL &&
	    (se->se_host = entry_strdup(e, e->p->defhost)) == NULL)
		return -1;

	if (*service == '\0') {
		entry_error(e, "missing service name in '%s'", f);
		return -1;
	}
	if (strncmp(service, "tcpmux/", 7) == 0)
		return parse_tcpmux_service(e, service, host != NULL);
	if ((slash = strchr(service, '/')) != NULL &&
	    slash[1] >= '0' && slash[1] <= '9') {
		entry_error(e, "RPC services are not supported");
		return -1;
	}
	if (all_digits(service)) {
		strtonum(service, 1, PORT_MAX, &errstr);
		if (errstr != NULL) {
			entry_error(e, "port %s out of range (1-%d)", service,
			    PORT_MAX);
			return -1;
		}
	}
	e->service = service;
	return (se->se_service = entry_strdup(e, service)) == NULL ? -1 : 0;
}

static int
parse_service(struct entry *e)
{
	if (e->se->se_family == AF_UNIX)
		return parse_unix_service(e);
	return parse_inet_service(e);
}

static int
parse_limit(struct entry *e, const char *what, const char *s, int max,
    int *limit)
{
	const char *errstr;
	int n;

	n = strtonum(s, 0, max, &errstr);
	if (errstr != NULL) {
		/* libbsd's strtonum() does not say ERANGE in errno. */
		if (strcmp(errstr, "invalid") != 0)
			entry_error(e, "%s %s out of range (0-%d)", what, s,
			    max);
		else
			entry_error(e, "%s '%s' in '%s' is not a number", what,
			    s, e->word[F_WAIT]);
		return -1;
	}
	*limit = n;
	return 0;
}

/*
 * wait|nowait, then FreeBSD's /max-child/per-ip-per-minute/per-ip
 * limits or OpenBSD's .invocations-per-minute.
 */
static int
parse_wait(struct entry *e)
{
	static const char *const what[] = {
		"max-child",
		"max-connections-per-ip-per-minute",
		"max-child-per-ip"
	};
	static const int max[] = { CONF_MAXCHILD, INT_MAX, INT_MAX };
	struct servtab *se = e->se;
	int *const limit[] = {
		&se->se_maxchild, &se->se_maxcpm, &se->se_maxperip
	};
	const char *f = e->word[F_WAIT], *rest, *part;
	size_t len, i;
	char *number;
	int rc;

	if (strncmp(f, "nowait", 6) == 0)
		rest = f + 6;
	else if (strncmp(f, "wait", 4) == 0) {
		se->se_wait = 1;
		rest = f + 4;
	} else
		goto bad;

	if (*rest == '.')
		return parse_limit(e, "invocations per minute", rest + 1,
		    INT_MAX, &se->se_maxrate);
	for (i = 0; *rest == '/'; i++, rest = part + len) {
		part = rest + 1;
		if (i == nitems(limit) || (len = strcspn(part, "/")) == 0)
			goto bad;
		if ((number = entry_strndup(e, part, len)) == NULL)
			return -1;
		rc = parse_limit(e, what[i], number, max[i], limit[i]);
		free(number);
		if (rc == -1)
			return -1;
	}
	if (*rest == '\0')
		return 0;
bad:
	entry_error(e, "bad wait field '%s': expected wait or "
	    "nowait[/max-child[/per-ip-per-minute[/per-ip]]]", f);
	return -1;
}

/* user[:group][/class]; user.group as the old BSDs wrote it. */
static int
parse_user(struct entry *e)
{
	struct servtab *se = e->se;
	const char *f = e->word[F_USER], *slash, *sep;
	size_t len, userlen;

	if ((slash = strchr(f, '/')) != NULL) {
		if (slash[1] == '\0') {
			entry_error(e, "empty login class in '%s'", f);
			return -1;
		}
		if ((se->se_class = entry_strdup(e, slash + 1)) == NULL)
			return -1;
	}
	len = slash != NULL ? (size_t)(slash - f) : strlen(f);
	if ((sep = memchr(f, ':', len)) == NULL)
		sep = memchr(f, '.', len);
	userlen = sep != NULL ? (size_t)(sep - f) : len;
	if (userlen == 0) {
		entry_error(e, "missing user name in '%s'", f);
		return -1;
	}
	if ((se->se_user = entry_strndup(e, f, userlen)) == NULL)
		return -1;
	if (sep == NULL)
		return 0;
	if (userlen + 1 == len) {
		entry_error(e, "missing group name in '%s'", f);
		return -1;
	}
	se->se_group = entry_strndup(e, sep + 1, len - userlen - 1);
	return se->se_group == NULL ? -1 : 0;
}

static int
parse_program(struct entry *e)
{
	const char *f = e->word[F_PROGRAM];

	if (strcmp(f, "internal") == 0) {
		e->internal = 1;
		return 0;
	}
	if (f[0] != '/') {
		entry_error(e, "program '%s' must be an absolute path or "
		    "'internal'", f);
		return -1;
	}
	return (e->se->se_server = entry_strdup(e, f)) == NULL ? -1 : 0;
}

/* Without arguments a program still needs an argv[0]: its basename. */
static int
parse_args(struct entry *e)
{
	struct servtab *se = e->se;
	const char *base;
	int nargs = e->nword - F_ARGS;

	/* As many as the line has: most have one or two, few have 64. */
	if ((se->se_argv = calloc(nargs + 2, sizeof(*se->se_argv))) == NULL) {
		entry_error(e, "out of memory");
		return -1;
	}
	for (; se->se_argc < nargs; se->se_argc++)
		if ((se->se_argv[se->se_argc] = entry_strdup(e,
		    e->word[F_ARGS + se->se_argc])) == NULL)
			return -1;
	if (se->se_argc > 0 || e->internal)
		return 0;
	base = strrchr(se->se_server, '/') + 1;
	if (*base == '\0')
		base = se->se_server;
	if ((se->se_argv[0] = entry_strdup(e, base)) == NULL)
		return -1;
	se->se_argc = 1;
	return 0;
}

/*
 * The first argument names the builtin, so that one can run on any
 * port; without a matching one, the service name does.
 */
static int
find_builtin(struct entry *e)
{
	struct servtab *se = e->se;
	const char *name[2];
	char why[CONF_MSG_MAX];
	size_t i, n = 0;

	if (!e->internal)
		return 0;
	if (se->se_argc > 0)
		name[n++] = se->se_argv[0];
	name[n++] = e->service;
	for (i = 0; i < n; i++) {
		if ((se->se_bi = builtin_find(name[i], se->se_socktype)) ==
		    NULL)
			continue;
		if (builtin_check_args(se, why, sizeof(why)) == -1 ||
		    forward_parse(se, why, sizeof(why)) == -1) {
			entry_error(e, "%s", why);
			return -1;
		}
		return 0;
	}
	entry_error(e, "no builtin service named '%s' for %s (there are: "
	    "%s)", name[0], socktype_name(se->se_socktype),
	    builtin_names(se->se_socktype, why, sizeof(why)));
	return -1;
}

/* The tcpmux builtin starts the program of such an entry, and only that. */
static int
check_tcpmux(struct entry *e)
{
	const struct servtab *se = e->se;

	if (se->se_tcpmux == TCPMUX_NONE)
		return 0;
	if (se->se_wait) {
		entry_error(e, "tcpmux services must be nowait");
		return -1;
	}
	if (e->internal) {
		entry_error(e, "tcpmux services must run a program, not "
		    "internal");
		return -1;
	}
	return 0;
}

static struct servtab *
servtab_new(struct entry *e)
{
	struct servtab *se;

	if ((se = calloc(1, sizeof(*se))) == NULL) {
		entry_error(e, "out of memory");
		return NULL;
	}
	se->se_fd = -1;
	se->se_line = e->line;
	se->se_maxchild = se->se_maxcpm = se->se_maxperip = se->se_maxrate =
	    CONF_DEFAULT;
	if ((se->se_file = entry_strdup(e, e->p->file)) == NULL) {
		free(se);
		return NULL;
	}
	return se;
}

/*
 * "include PATH": too few words for an entry, so no entry is taken for
 * it.  The node only records the path; config_load() reads it.
 */
static struct servtab *
parse_include(struct entry *e)
{
	struct parser *p = e->p;
	struct servtab *se;

	if (e->nword != 2) {
		p->report(LOG_ERR, "%s:%d: include: expected one file or "
		    "directory, got %d words", p->file, e->line,
		    e->nword - 1);
		return NULL;
	}
	if ((se = servtab_new(e)) == NULL)
		return NULL;
	if ((se->se_include = entry_strdup(e, e->word[1])) == NULL) {
		servtab_free(se);
		return NULL;
	}
	return se;
}

static void
parse_entry(struct entry *e, char *text)
{
	struct parser *p = e->p;
	size_t len;

	if (split_words(e, text) == -1 || e->nword == 0)
		return;
	len = strlen(e->word[F_SERVICE]);
	if (e->nword == 1 && len > 0 && e->word[F_SERVICE][len - 1] == ':') {
		set_default_host(e);
		return;
	}
	if (e->nword < F_ARGS && strcmp(e->word[F_SERVICE], "include") == 0) {
		if ((e->se = parse_include(e)) != NULL) {
			*p->tail = e->se;
			p->tail = &e->se->se_next;
		}
		return;
	}
	if (e->nword < F_ARGS) {
		entry_error(e, "missing fields: expected at least %d, got %d",
		    F_ARGS, e->nword);
		return;
	}
	if ((e->se = servtab_new(e)) == NULL)
		return;
	/* The service field's meaning depends on the protocol. */
	if (parse_socktype(e) == -1 || parse_protocol(e) == -1 ||
	    parse_service(e) == -1 || parse_wait(e) == -1 ||
	    parse_user(e) == -1 || parse_program(e) == -1 ||
	    check_tcpmux(e) == -1 || parse_args(e) == -1 ||
	    find_builtin(e) == -1) {
		servtab_free(e->se);
		return;
	}
	*p->tail = e->se;
	p->tail = &e->se->se_next;
}

static void
finish_entry(struct parser *p)
{
	struct entry e;

	if (p->line == 0)
		return;
	memset(&e, 0, sizeof(e));
	e.p = p;
	e.line = p->line;
	if (p->orphan)
		entry_error(&e, "continuation line (starting with a space or "
		    "tab) without an entry before it");
	else if (p->toolong)
		entry_error(&e, "line too long (more than %d bytes)",
		    CONF_LINE_MAX);
	else if (p->nul)
		entry_error(&e, "line contains a NUL byte");
	else {
		p->buf[p->len] = '\0';
		parse_entry(&e, p->buf);
	}
	p->line = 0;
	p->len = 0;
	p->orphan = p->toolong = p->nul = 0;
}

static void
append_text(struct parser *p, const char *s, size_t n)
{
	if (memchr(s, '\0', n) != NULL)
		p->nul = 1;
	if (p->toolong || n > CONF_LINE_MAX - p->len) {
		p->toolong = 1;
		return;
	}
	memcpy(p->buf + p->len, s, n);
	p->len += n;
}

static int
is_blank_line(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/*
 * One physical line (without its newline).  A comment or blank line
 * ends the entry before it; a line starting with a blank continues it.
 */
static void
take_line(struct parser *p, const char *s, size_t n, int lineno)
{
	if (n > 0 && s[0] == '#') {
		finish_entry(p);
		if (n > 1 && s[1] == '@')
			p->report(LOG_WARNING, "%s:%d: IPsec policy lines are "
			    "not supported on Linux, ignored", p->file, lineno);
		return;
	}
	if (is_blank_line(s, n)) {
		finish_entry(p);
		return;
	}
	if (s[0] == ' ' || s[0] == '\t') {
		if (p->line == 0) {
			p->line = lineno;
			p->orphan = 1;
		}
		append_text(p, "\n", 1);
	} else {
		finish_entry(p);
		p->line = lineno;
	}
	append_text(p, s, n);
}

struct servtab *
config_parse(const char *text, size_t len, const char *file,
    const char *defhost, conf_report_fn *report)
{
	struct parser *p;
	struct servtab *list;
	const char *line, *nl;
	size_t off, n;
	int lineno = 0;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		report(LOG_ERR, "%s: out of memory", file);
		return NULL;
	}
	p->file = file;
	p->report = report;
	p->tail = &p->head;
	/* Without its -a address, no entry may bind to any address. */
	if (defhost != NULL && strcmp(defhost, "*") != 0 &&
	    (p->defhost = strdup(defhost)) == NULL) {
		report(LOG_ERR, "%s: out of memory", file);
		free(p);
		return NULL;
	}
	/* Past the last line, off is len + 1: no pointer goes beyond. */
	for (off = 0; off < len; off += n + 1) {
		line = text + off;
		nl = memchr(line, '\n', len - off);
		n = nl != NULL ? (size_t)(nl - line) : len - off;
		if (lineno < INT_MAX)
			lineno++;
		/* CRLF files: the CR is no part of the line. */
		take_line(p, line, n > 0 && line[n - 1] == '\r' ? n - 1 : n,
		    lineno);
	}
	finish_entry(p);
	list = p->head;
	free(p->defhost);
	free(p);
	return list;
}

/*
 * Users and groups are looked up by a child, once for each file read:
 * the NSS modules that nsswitch.conf names (systemd, sss, ldap...) are
 * loaded there and never in the daemon, where they would stay mapped for
 * good, could keep descriptors or threads, and could crash or hang it.
 * The child is inetd executed afresh (config_lookup_serve()), not a
 * fork(): a fork shares the daemon's memory, and each page the daemon
 * then writes would fault, which at 10,000 services doubles the time of
 * a reload.  Questions and answers are in a memory file both map.  A
 * child that gets no answer in config_lookup_seconds is killed, and the
 * look-ups of the rest of the load fail at once: they would wait as long.
 */
int	config_lookup_seconds = 30;

enum ident_kind {
	IDENT_USER,		/* user[:group]: uid, gid, groups */
	IDENT_SOCKOWNER,	/* user: uid */
	IDENT_SOCKGROUP		/* group: gid */
};

enum ident_status {
	IDENT_UNANSWERED,	/* no answer: lookup.why says why */
	IDENT_DIED,		/* the look-up process died on it */
	IDENT_OK,
	IDENT_NO_USER,
	IDENT_NO_GROUP,
	IDENT_TOO_MANY_GROUPS
};

/*
 * A question, and the answer that the child writes beside it.  The
 * names are copies, "" for none (a user's login group), as entries that
 * fail are freed while others resolve.
 */
struct ident {
	int		 kind;
	char		 user[LOGIN_NAME_MAX];
	char		 group[LOGIN_NAME_MAX];
	int		 status;
	uid_t		 uid;
	gid_t		 gid;
	int		 ngroups;
	gid_t		 groups[CONF_MAXGROUPS];
};

/* The distinct questions of a list of entries, sorted, in file fd. */
struct idents {
	struct ident	*v;		/* fd mapped: the child's too */
	size_t		 n;
	size_t		 size;		/* of the mapping */
	int		 fd;
};

static struct {
	int	 hung;		/* the rest of the load fails */
	char	 why[CONF_MSG_MAX];	/* why look-ups failed */
} lookup;

static int
group_id(const char *name, gid_t *gid)
{
	const struct group *gr;
	const char *errstr;

	if ((gr = getgrnam(name)) != NULL) {
		*gid = gr->gr_gid;
		return 0;
	}
	if (!all_digits(name))
		return -1;
	/* (gid_t)-1 means "no change" to chown() and setresgid(). */
	*gid = strtonum(name, 0, (long long)(gid_t)-2, &errstr);
	return errstr == NULL ? 0 : -1;
}

/* The answer, its status written last: a child killed half-way left none. */
static void
ident_answer(struct ident *id)
{
	const struct passwd *pw;
	struct ident a;
	int status;

	if (id->status != IDENT_UNANSWERED)
		return;			/* a name too long to exist */
	a = *id;
	if (a.kind == IDENT_SOCKGROUP)
		status = group_id(a.group, &a.gid) == 0 ? IDENT_OK :
		    IDENT_NO_GROUP;
	else if ((pw = getpwnam(a.user)) == NULL)
		status = IDENT_NO_USER;
	else {
		a.uid = pw->pw_uid;
		a.gid = pw->pw_gid;
		status = IDENT_OK;
		a.ngroups = CONF_MAXGROUPS;
		if (a.kind == IDENT_SOCKOWNER)
			a.ngroups = 0;
		else if (a.group[0] != '\0' && group_id(a.group, &a.gid) == -1)
			status = IDENT_NO_GROUP;
		else if (getgrouplist(a.user, a.gid, a.groups,
		    &a.ngroups) == -1)
			status = IDENT_TOO_MANY_GROUPS;
	}
	id->uid = a.uid;
	id->gid = a.gid;
	id->ngroups = a.ngroups;
	memcpy(id->groups, a.groups, sizeof(id->groups));
	__atomic_store_n(&id->status, status, __ATOMIC_RELEASE);
}

int
config_lookup_serve(const char *from, const char *size)
{
	struct ident *v;
	struct stat st;
	const char *errstr;
	size_t n, i;

	/* An inetd of another build has other questions. */
	if (strtonum(size, 1, LLONG_MAX, &errstr) != sizeof(*v) ||
	    fstat(STDIN_FILENO, &st) == -1 || st.st_size <= 0 ||
	    st.st_size % sizeof(*v) != 0)
		return EX_USAGE;
	n = st.st_size / sizeof(*v);
	i = strtonum(from, 0, n, &errstr);
	if (errstr != NULL || (v = mmap(NULL, st.st_size, PROT_READ |
	    PROT_WRITE, MAP_SHARED, STDIN_FILENO, 0)) == MAP_FAILED)
		return EX_USAGE;
	for (; i < n; i++)
		ident_answer(&v[i]);
	return 0;
}

/*
 * inetd itself, its memory file on stdin and done on stdout.  By the
 * path /proc/self/exe names, which valgrind makes its client's; after
 * an upgrade, that of a deleted file: then no child.
 */
static pid_t
idents_spawn(const struct idents *ids, size_t from, int done)
{
	static char arg[] = CONFIG_LOOKUP_ARG;
	char self[PATH_MAX], fromstr[32], sizestr[32];
	char *argv[] = { self, arg, fromstr, sizestr, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t all, none;
	ssize_t len;
	pid_t pid;
	int error;

	if ((len = readlink("/proc/self/exe", self, sizeof(self))) <= 0 ||
	    (size_t)len >= sizeof(self))
		return -1;
	self[len] = '\0';
	snprintf(fromstr, sizeof(fromstr), "%zu", from);
	snprintf(sizestr, sizeof(sizestr), "%zu", sizeof(*ids->v));
	sigfillset(&all);
	sigemptyset(&none);
	if (posix_spawn_file_actions_init(&fa) != 0)
		return -1;
	if (posix_spawnattr_init(&attr) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	/* Signals are the daemon's business, not this child's. */
	error = posix_spawn_file_actions_adddup2(&fa, ids->fd, 0) ||
	    posix_spawn_file_actions_adddup2(&fa, done, 1) ||
	    posix_spawn_file_actions_addclosefrom_np(&fa, 3) ||
	    posix_spawnattr_setsigdefault(&attr, &all) ||
	    posix_spawnattr_setsigmask(&attr, &none) ||
	    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF |
	    POSIX_SPAWN_SETSIGMASK) ||
	    posix_spawn(&pid, self, &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return error ? -1 : pid;
}

/*
 * Questions from the first one on answered by a child; 0 when it
 * answered them all.  When no child can be started (at RLIMIT_NPROC, or
 * without /proc), the daemon answers them itself, as every inetd before
 * this one.
 */
static int
idents_run_child(struct idents *ids, size_t from)
{
	struct pollfd pfd;
	pid_t pid = -1;
	int done[2] = { -1, -1 }, ready, status;

	if (pipe2(done, O_CLOEXEC) == -1 ||
	    (pid = idents_spawn(ids, from, done[1])) == -1) {
		if (done[0] != -1) {
			close(done[0]);
			close(done[1]);
		}
		for (; from < ids->n; from++)
			ident_answer(&ids->v[from]);
		return 0;
	}
	close(done[1]);
	pfd.fd = done[0];
	pfd.events = POLLIN;
	/* The pipe's end of file: the child has exited. */
	while ((ready = poll(&pfd, 1, config_lookup_seconds * 1000)) == -1 &&
	    errno == EINTR)
		continue;
	if (ready != 1) {
		(void)kill(pid, SIGKILL);
		lookup.hung = 1;
		snprintf(lookup.why, sizeof(lookup.why),
		    "no answer in %d s (nsswitch.conf)", config_lookup_seconds);
	}
	close(done[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		continue;
	return ready == 1 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ?
	    0 : -1;
}

/*
 * A child that dies (a crash in an NSS module) leaves its question
 * failed; the next child takes the questions after it.
 */
static void
idents_answer(struct idents *ids)
{
	size_t from = 0;

	while (from < ids->n && !lookup.hung) {
		if (idents_run_child(ids, from) == 0 || lookup.hung)
			return;
		while (from < ids->n && ids->v[from].status != IDENT_UNANSWERED)
			from++;
		if (from < ids->n)
			ids->v[from++].status = IDENT_DIED;
	}
}

/* Questions and answers are both in the order of kind, user, group. */
static int
name_kind_cmp(int ka, const char *ua, const char *ga, int kb, const char *ub,
    const char *gb)
{
	int d;

	if (ka != kb)
		return ka - kb;
	if ((d = strcmp(ua != NULL ? ua : "", ub != NULL ? ub : "")) != 0)
		return d;
	return strcmp(ga != NULL ? ga : "", gb != NULL ? gb : "");
}

static int
ident_cmp(const void *pa, const void *pb)
{
	const struct ident *a = pa, *b = pb;

	return name_kind_cmp(a->kind, a->user, a->group, b->kind, b->user,
	    b->group);
}

/* What an entry asks, naming its own strings. */
struct question {
	int		 kind;
	const char	*user;
	const char	*group;
};

static int
question_cmp(const void *pa, const void *pb)
{
	const struct question *a = pa, *b = pb;

	return name_kind_cmp(a->kind, a->user, a->group, b->kind, b->user,
	    b->group);
}

/* The question; a name too long for any system is known not to exist. */
static void
ident_set(struct ident *id, int kind, const char *user, const char *group)
{
	memset(id, 0, offsetof(struct ident, uid));
	id->kind = kind;
	if (strlcpy(id->user, user != NULL ? user : "", sizeof(id->user)) >=
	    sizeof(id->user))
		id->status = IDENT_NO_USER;
	else if (strlcpy(id->group, group != NULL ? group : "",
	    sizeof(id->group)) >= sizeof(id->group))
		id->status = IDENT_NO_GROUP;
}

/* Up to three questions an entry asks. */
#define QUESTIONS_PER_ENTRY	3

/* The distinct questions of the entries of list (include nodes aside). */
static struct question *
questions_of(struct servtab *list, size_t *np)
{
	const struct servtab *sep;
	struct question *q;
	size_t n = 0, i, j;

	for (sep = list; sep != NULL; sep = sep->se_next)
		n++;
	if ((q = reallocarray(NULL, n * QUESTIONS_PER_ENTRY + 1,
	    sizeof(*q))) == NULL)
		return NULL;
	for (n = 0, sep = list; sep != NULL; sep = sep->se_next) {
		if (sep->se_include != NULL)
			continue;
		q[n++] = (struct question){ IDENT_USER, sep->se_user,
		    sep->se_group };
		if (sep->se_sockuser != NULL)
			q[n++] = (struct question){ IDENT_SOCKOWNER,
			    sep->se_sockuser, NULL };
		if (sep->se_sockgroup != NULL)
			q[n++] = (struct question){ IDENT_SOCKGROUP, NULL,
			    sep->se_sockgroup };
	}
	qsort(q, n, sizeof(*q), question_cmp);
	for (i = j = 0; i < n; i++)
		if (j == 0 || question_cmp(&q[j - 1], &q[i]) != 0)
			q[j++] = q[i];
	*np = j;
	return q;
}

/*
 * The answers to the questions of the entries of list, from one child
 * (more if one dies); ids->v is NULL when there is no memory for them,
 * and then every look-up fails.
 */
static void
idents_ask(struct idents *ids, struct servtab *list)
{
	struct question *q;
	size_t i;
	void *v;

	memset(ids, 0, sizeof(*ids));
	ids->fd = -1;
	if (!lookup.hung)
		lookup.why[0] = '\0';
	if ((q = questions_of(list, &ids->n)) == NULL) {
		snprintf(lookup.why, sizeof(lookup.why), "out of memory");
		return;
	}
	ids->size = (ids->n > 0 ? ids->n : 1) * sizeof(*ids->v);
	if ((ids->fd = memfd_create("inetd-lookups", MFD_CLOEXEC)) == -1 ||
	    ftruncate(ids->fd, ids->size) == -1 ||
	    (v = mmap(NULL, ids->size, PROT_READ | PROT_WRITE, MAP_SHARED,
	    ids->fd, 0)) == MAP_FAILED) {
		snprintf(lookup.why, sizeof(lookup.why), "memory file: %s",
		    strerror(errno));
		free(q);
		return;
	}
	ids->v = v;
	for (i = 0; i < ids->n; i++)
		ident_set(&ids->v[i], q[i].kind, q[i].user, q[i].group);
	free(q);
	idents_answer(ids);
}

static void
idents_free(struct idents *ids)
{
	if (ids->v != NULL)
		(void)munmap(ids->v, ids->size);
	if (ids->fd != -1)
		close(ids->fd);
	ids->v = NULL;
	ids->fd = -1;
}

static const struct ident *
ident_find(const struct idents *ids, int kind, const char *user,
    const char *group)
{
	static const struct ident unanswered;	/* IDENT_UNANSWERED */
	const struct ident *id;
	struct ident key;

	ident_set(&key, kind, user, group);
	if (ids->v == NULL || (id = bsearch(&key, ids->v, ids->n,
	    sizeof(*ids->v), ident_cmp)) == NULL)
		return &unanswered;
	return id;
}

/* "unknown user 'x'", or why it could not be looked up. */
static void
ident_error(struct servtab *sep, conf_report_fn *report, const char *what,
    const char *name, const struct ident *id)
{
	if (id->status == IDENT_DIED)
		resolve_error(sep, report, "%s '%s' not looked up: the look-up "
		    "process died (nsswitch.conf)", what, name);
	else if (id->status == IDENT_UNANSWERED)
		resolve_error(sep, report, "%s '%s' not looked up: %s", what,
		    name, lookup.why[0] != '\0' ? lookup.why : "no answer");
	else
		resolve_error(sep, report, "unknown %s '%s'", what, name);
}

static int
resolve_port(struct servtab *sep, conf_report_fn *report, int *port)
{
	const char *proto = sep->se_socktype == SOCK_STREAM ? "tcp" : "udp";
	const struct servent *sp;
	const char *errstr;

	if (all_digits(sep->se_service)) {
		*port = strtonum(sep->se_service, 1, PORT_MAX, &errstr);
		if (errstr == NULL)
			return 0;
		resolve_error(sep, report, "port %s out of range (1-%d)",
		    sep->se_service, PORT_MAX);
		return -1;
	}
	if ((sp = getservbyname(sep->se_service, proto)) == NULL) {
		resolve_error(sep, report, "unknown service '%s' for %s: "
		    "not in /etc/services", sep->se_service, proto);
		return -1;
	}
	*port = ntohs(sp->s_port);
	return 0;
}

static int
resolve_address(struct servtab *sep, conf_report_fn *report)
{
	struct addrinfo hints, *res;
	const char *host = sep->se_host, *shown;
	char portstr[sizeof("65535")];
	int port, error;

	if (sep->se_family == AF_UNIX) {
		memset(&sep->se_ctrladdr, 0, sizeof(sep->se_ctrladdr));
		sep->se_ctrladdr.sun.sun_family = AF_UNIX;
		strlcpy(sep->se_ctrladdr.sun.sun_path, sep->se_service,
		    sizeof(sep->se_ctrladdr.sun.sun_path));
		sep->se_ctrladdr_size = offsetof(struct sockaddr_un, sun_path) +
		    strlen(sep->se_ctrladdr.sun.sun_path) + 1;
		return 0;
	}
	if (resolve_port(sep, report, &port) == -1)
		return -1;
	snprintf(portstr, sizeof(portstr), "%d", port);
	if (host != NULL && strcmp(host, "*") == 0)
		host = NULL;
	shown = host != NULL ? host : "*";
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = sep->se_family;
	hints.ai_socktype = sep->se_socktype;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	/* A dual-stack socket serves IPv4 addresses in their mapped form. */
	if (sep->se_family == AF_INET6 && !sep->se_v6only)
		hints.ai_flags |= AI_V4MAPPED;
	if ((error = getaddrinfo(host, portstr, &hints, &res)) != 0) {
		resolve_error(sep, report, "cannot use address '%s' for %s: %s",
		    shown, sep->se_proto,
		    error == EAI_SYSTEM ? strerror(errno) :
		    gai_strerror(error));
		return -1;
	}
	if (res->ai_addrlen > sizeof(sep->se_ctrladdr)) {
		resolve_error(sep, report, "address of '%s' is too long",
		    shown);
		freeaddrinfo(res);
		return -1;
	}
	memcpy(&sep->se_ctrladdr, res->ai_addr, res->ai_addrlen);
	sep->se_ctrladdr_size = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* Each entry keeps as many groups as its user is in, no more. */
static int
set_groups(struct servtab *sep, const gid_t *groups, int ngroups,
    conf_report_fn *report)
{
	gid_t *copy;

	if ((copy = reallocarray(NULL, ngroups > 0 ? ngroups : 1,
	    sizeof(*copy))) == NULL) {
		resolve_error(sep, report, "out of memory");
		return -1;
	}
	memcpy(copy, groups, ngroups * sizeof(*copy));
	free(sep->se_groups);
	sep->se_groups = copy;
	sep->se_ngroups = ngroups;
	return 0;
}

/*
 * Without root, inetd cannot change credentials: only entries for its
 * own user (and group) can run as they say.
 */
static int
user_allowed(const struct servtab *sep, uid_t euid, conf_report_fn *report)
{
	if (euid != 0 && sep->se_uid != euid) {
		resolve_error(sep, report, "cannot run as user '%s': inetd is "
		    "not running as root", sep->se_user);
		return -1;
	}
	if (euid != 0 && sep->se_group != NULL && sep->se_gid != getegid()) {
		resolve_error(sep, report, "cannot run as group '%s': inetd is "
		    "not running as root", sep->se_group);
		return -1;
	}
	return 0;
}

static int
resolve_user(struct servtab *sep, uid_t euid, conf_report_fn *report,
    const struct idents *ids)
{
	const struct ident *id;

	id = ident_find(ids, IDENT_USER, sep->se_user, sep->se_group);
	if (id->status == IDENT_UNANSWERED || id->status == IDENT_DIED ||
	    id->status == IDENT_NO_USER) {
		ident_error(sep, report, "user", sep->se_user, id);
		return -1;
	}
	if (id->status == IDENT_NO_GROUP) {
		ident_error(sep, report, "group", sep->se_group, id);
		return -1;
	}
	sep->se_uid = id->uid;
	sep->se_gid = id->gid;
	if (user_allowed(sep, euid, report) == -1)
		return -1;
	if (id->status == IDENT_TOO_MANY_GROUPS) {
		resolve_error(sep, report, "user %s is in more than %d groups",
		    sep->se_user, CONF_MAXGROUPS);
		return -1;
	}
	return set_groups(sep, id->groups, id->ngroups, report);
}

static int
resolve_socket_owner(struct servtab *sep, uid_t euid,
    conf_report_fn *report, const struct idents *ids)
{
	const struct ident *id;

	sep->se_sockuid = euid;
	sep->se_sockgid = getegid();
	if (sep->se_sockuser != NULL) {
		id = ident_find(ids, IDENT_SOCKOWNER, sep->se_sockuser, NULL);
		if (id->status != IDENT_OK) {
			ident_error(sep, report, "socket owner",
			    sep->se_sockuser, id);
			return -1;
		}
		sep->se_sockuid = id->uid;
		if (euid != 0 && sep->se_sockuid != euid) {
			resolve_error(sep, report, "cannot give the socket to "
			    "user '%s': inetd is not running as root",
			    sep->se_sockuser);
			return -1;
		}
	}
	if (sep->se_sockgroup != NULL) {
		id = ident_find(ids, IDENT_SOCKGROUP, NULL, sep->se_sockgroup);
		if (id->status != IDENT_OK) {
			ident_error(sep, report, "socket group",
			    sep->se_sockgroup, id);
			return -1;
		}
		sep->se_sockgid = id->gid;
	}
	return 0;
}

static int
resolve_program(struct servtab *sep, conf_report_fn *report)
{
	struct stat st;

	if (stat(sep->se_server, &st) == -1) {
		resolve_error(sep, report, "program %s: %s", sep->se_server,
		    strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		resolve_error(sep, report, "program %s is not a regular file",
		    sep->se_server);
		return -1;
	}
	if (access(sep->se_server, X_OK) == -1) {
		resolve_error(sep, report, "program %s is not executable",
		    sep->se_server);
		return -1;
	}
	return 0;
}

static int
resolve_forward(struct servtab *sep, conf_report_fn *report)
{
	char why[CONF_MSG_MAX];

	if (forward_resolve(sep, why, sizeof(why)) == 0)
		return 0;
	resolve_error(sep, report, "%s", why);
	return -1;
}

static int
resolve_entry(struct servtab *sep, uid_t euid, conf_report_fn *report,
    const struct idents *ids)
{
	char name[CONF_MSG_MAX];

	if (sep->se_include != NULL) {
		report(LOG_ERR, "%s:%d: include %s: only config_load() "
		    "follows includes", sep->se_file, sep->se_line,
		    sep->se_include);
		return -1;
	}
	if ((sep->se_tcpmux == TCPMUX_NONE &&
	    resolve_address(sep, report) == -1) ||
	    resolve_user(sep, euid, report, ids) == -1 ||
	    (sep->se_family == AF_UNIX &&
	    resolve_socket_owner(sep, euid, report, ids) == -1) ||
	    (sep->se_server != NULL && resolve_program(sep, report) == -1) ||
	    resolve_forward(sep, report) == -1)
		return -1;
	if (sep->se_class != NULL)
		report(LOG_DEBUG, "%s:%d: %s: login class %s ignored on Linux",
		    sep->se_file, sep->se_line,
		    servtab_name(sep, name, sizeof(name)), sep->se_class);
	return 0;
}

int
config_resolve(struct servtab *sep, uid_t euid, conf_report_fn *report)
{
	struct servtab *next = sep->se_next;
	struct idents ids;
	int ret;

	sep->se_next = NULL;		/* the questions of this entry only */
	idents_ask(&ids, sep);
	sep->se_next = next;
	ret = resolve_entry(sep, euid, report, &ids);
	idents_free(&ids);
	lookup.hung = 0;
	return ret;
}

/*
 * The whole file, bounded by CONF_FILE_MAX, and what fstat() says of it;
 * NULL with errno set.
 */
static char *
read_file(const char *path, size_t *lenp, struct stat *stp)
{
	struct stat st;
	size_t len = 0, size;
	ssize_t n;
	char *buf = NULL, *bigger;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (S_ISREG(st.st_mode) && st.st_size > CONF_FILE_MAX) {
		errno = EFBIG;
		goto fail;
	}
	/* One more byte than the file has, so that EOF needs no resize. */
	size = S_ISREG(st.st_mode) && st.st_size > 0 ?
	    (size_t)st.st_size + 1 : CONF_FILE_CHUNK;
	if ((buf = malloc(size)) == NULL)
		goto fail;
	for (;;) {
		if (len == size) {
			if (size > CONF_FILE_MAX) {
				errno = EFBIG;
				goto fail;
			}
			size = size > CONF_FILE_MAX / 2 ? CONF_FILE_MAX + 1 :
			    size * 2;
			if ((bigger = realloc(buf, size)) == NULL)
				goto fail;
			buf = bigger;
		}
		if ((n = read(fd, buf + len, size - len)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	*lenp = len;
	*stp = st;
	return buf;
fail:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return NULL;
}

static void
include_error(struct loader *ld, const char *from, int line,
    const char *path, const char *fmt, ...)
{
	char msg[CONF_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (from != NULL)
		ld->report(LOG_ERR, "%s:%d: include %s: %s", from, line, path,
		    msg);
	else
		ld->report(LOG_ERR, "%s: %s", path, msg);
}

/*
 * Resolve the entries of one file's list and replace each include node
 * by what it names, in place, so that the order of the text is kept.
 */
static struct servtab *
follow_entries(struct loader *ld, struct servtab *list)
{
	struct servtab *sep, *next, **prevp;
	struct idents ids;

	idents_ask(&ids, list);
	for (prevp = &list; (sep = *prevp) != NULL;) {
		next = sep->se_next;
		if (sep->se_include != NULL) {
			*prevp = include_line(ld, sep);
			while (*prevp != NULL)
				prevp = &(*prevp)->se_next;
			*prevp = next;
			servtab_free(sep);
		} else if (resolve_entry(sep, ld->euid, ld->report, &ids) == 0)
			prevp = &sep->se_next;
		else {
			*prevp = next;
			servtab_free(sep);
		}
	}
	idents_free(&ids);
	return list;
}

/* The file is on the stack of files being read while its text is. */
static struct servtab *
load_text(struct loader *ld, const char *path, const char *text,
    size_t len, const struct stat *st)
{
	struct servtab *list;

	ld->dev[ld->depth] = st->st_dev;
	ld->ino[ld->depth] = st->st_ino;
	ld->depth++;
	list = config_parse(text, len, path, ld->defhost, ld->report);
	list = follow_entries(ld, list);
	ld->depth--;
	return list;
}

static struct servtab *
include_file(struct loader *ld, const char *path, const char *from,
    int line)
{
	struct servtab *list;
	struct stat st;
	size_t len;
	char *text;
	int i;

	if (ld->depth == CONF_INCLUDE_DEPTH) {
		include_error(ld, from, line, path, "includes nested more "
		    "than %d deep", CONF_INCLUDE_DEPTH - 1);
		return NULL;
	}
	if ((text = read_file(path, &len, &st)) == NULL) {
		include_error(ld, from, line, path, "%s", strerror(errno));
		return NULL;
	}
	for (i = 0; i < ld->depth; i++) {
		if (ld->dev[i] == st.st_dev && ld->ino[i] == st.st_ino) {
			include_error(ld, from, line, path, "include loop: "
			    "the file is being read already");
			free(text);
			return NULL;
		}
	}
	list = load_text(ld, path, text, len, &st);
	free(text);
	return list;
}

/* Fragments are "*.conf"; editors' and package managers' files are not. */
static int
is_fragment(const char *name)
{
	size_t len = strlen(name);

	return name[0] != '.' && len > 5 &&
	    strcmp(name + len - 5, ".conf") == 0;
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of dir's fragments, sorted; -1 after reporting. */
static int
list_fragments(struct loader *ld, const char *dir, const char *from,
    int line, char ***namesp, size_t *np)
{
	struct dirent *de;
	char **names = NULL, **bigger;
	size_t n = 0;
	DIR *dp;

	if ((dp = opendir(dir)) == NULL) {
		include_error(ld, from, line, dir, "%s", strerror(errno));
		return -1;
	}
	while ((de = readdir(dp)) != NULL) {
		if (!is_fragment(de->d_name))
			continue;
		if (n == CONF_INCLUDE_FILES) {
			include_error(ld, from, line, dir, "more than %d "
			    "*.conf files, none read", CONF_INCLUDE_FILES);
			goto fail;
		}
		if ((bigger = reallocarray(names, n + 1,
		    sizeof(*names))) == NULL)
			goto nomem;
		names = bigger;
		if ((names[n] = strdup(de->d_name)) == NULL)
			goto nomem;
		n++;
	}
	closedir(dp);
	qsort(names, n, sizeof(*names), compare_names);
	*namesp = names;
	*np = n;
	return 0;
nomem:
	include_error(ld, from, line, dir, "out of memory");
fail:
	closedir(dp);
	while (n > 0)
		free(names[--n]);
	free(names);
	return -1;
}

static struct servtab *
include_dir(struct loader *ld, const char *dir, const char *from, int line)
{
	struct servtab *list = NULL, **tailp = &list;
	char path[PATH_MAX], **names;
	size_t i, n;

	if (list_fragments(ld, dir, from, line, &names, &n) == -1)
		return NULL;
	for (i = 0; i < n; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    names[i]) >= sizeof(path))
			include_error(ld, from, line, dir, "%s: %s", names[i],
			    strerror(ENAMETOOLONG));
		else
			*tailp = include_file(ld, path, from, line);
		while (*tailp != NULL)
			tailp = &(*tailp)->se_next;
		free(names[i]);
	}
	free(names);
	return list;
}

/* Only what can be read to its end: never a FIFO or a device. */
static struct servtab *
include_path(struct loader *ld, const char *path, const char *from,
    int line)
{
	struct stat st;

	if (stat(path, &st) == -1) {
		include_error(ld, from, line, path, "%s", strerror(errno));
		return NULL;
	}
	if (S_ISDIR(st.st_mode))
		return include_dir(ld, path, from, line);
	if (!S_ISREG(st.st_mode)) {
		include_error(ld, from, line, path, "not a regular file or "
		    "a directory");
		return NULL;
	}
	return include_file(ld, path, from, line);
}

/* A relative path is taken from the directory of the including file. */
static struct servtab *
include_line(struct loader *ld, const struct servtab *sep)
{
	const char *name = sep->se_include, *slash;
	char path[PATH_MAX];
	int dirlen;

	slash = strrchr(sep->se_file, '/');
	if (name[0] == '/' || slash == NULL)
		return include_path(ld, name, sep->se_file, sep->se_line);
	dirlen = slash - sep->se_file;
	if ((size_t)snprintf(path, sizeof(path), "%.*s/%s", dirlen,
	    sep->se_file, name) >= sizeof(path)) {
		include_error(ld, sep->se_file, sep->se_line, name, "%s",
		    strerror(ENAMETOOLONG));
		return NULL;
	}
	return include_path(ld, path, sep->se_file, sep->se_line);
}

void
config_set_includedir(const char *dir)
{
	config_includedir = dir;
}

struct servtab *
config_load(const char *path, const char *defhost, uid_t euid,
    conf_report_fn *report, int *errp)
{
	struct loader ld;
	struct servtab *list, **tailp;
	struct stat st;
	size_t len;
	char *text;

	if ((text = read_file(path, &len, &st)) == NULL) {
		if (errp != NULL)
			*errp = errno;
		return NULL;
	}
	memset(&ld, 0, sizeof(ld));
	ld.defhost = defhost;
	ld.euid = euid;
	ld.report = report;
	list = load_text(&ld, path, text, len, &st);
	free(text);
	if (config_includedir != NULL &&
	    (stat(config_includedir, &st) == 0 || errno != ENOENT)) {
		for (tailp = &list; *tailp != NULL; tailp = &(*tailp)->se_next)
			continue;
		*tailp = include_path(&ld, config_includedir, NULL, 0);
	}
	lookup.hung = 0;
	if (errp != NULL)
		*errp = 0;
	return list;
}

const char *
sockaddr_str(const struct sockaddr *sa, char *buf, size_t size)
{
	const struct sockaddr_un *sun;
	const struct sockaddr_in6 *sin6;
	socklen_t salen;

	switch (sa->sa_family) {
	case AF_UNIX:
		sun = (const struct sockaddr_un *)(const void *)sa;
		snprintf(buf, size, "%.*s",
		    (int)strnlen(sun->sun_path, sizeof(sun->sun_path)),
		    sun->sun_path);
		return buf;
	case AF_INET:
		salen = sizeof(struct sockaddr_in);
		break;
	case AF_INET6:
		/* An IPv4 client of a dual-stack socket, as admins know it. */
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			if (inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12],
			    buf, size) == NULL)
				strlcpy(buf, "?", size);
			return buf;
		}
		salen = sizeof(struct sockaddr_in6);
		break;
	default:
		snprintf(buf, size, "(address family %d)", sa->sa_family);
		return buf;
	}
	if (getnameinfo(sa, salen, buf, size, NULL, 0, NI_NUMERICHOST) != 0)
		strlcpy(buf, "?", size);
	return buf;
}

const char *
servtab_name(const struct servtab *sep, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", sep->se_service, sep->se_proto);
	return buf;
}

void
servtab_free(struct servtab *sep)
{
	int i;

	if (sep == NULL)
		return;
	free(sep->se_file);
	free(sep->se_host);
	free(sep->se_service);
	free(sep->se_proto);
	free(sep->se_user);
	free(sep->se_group);
	free(sep->se_class);
	free(sep->se_sockuser);
	free(sep->se_sockgroup);
	free(sep->se_server);
	free(sep->se_groups);
	forward_free(sep->se_forward);
	free(sep->se_include);
	for (i = 0; i < sep->se_argc; i++)
		free(sep->se_argv[i]);
	free(sep->se_argv);
	free(sep);
}

void
config_free(struct servtab *list)
{
	struct servtab *next;

	for (; list != NULL; list = next) {
		next = list->se_next;
		servtab_free(list);
	}
}
