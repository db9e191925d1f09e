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

/* A larger file is a mistake (a log or an image), not a configuration. */
#define CONF_FILE_MAX	(64 * 1024 * 1024)
#define CONF_FILE_CHUNK	8192	/* first read when the size is unknown */

/* Room for any message: the words it quotes come from one entry. */
#define CONF_MSG_MAX	(CONF_LINE_MAX + 256)

#define CONF_INCLUDE_DEPTH 8	/* files read at once: the first and 7 */
#define CONF_INCLUDE_FILES 1024	/* *.conf files in an included directory */

#define include_error(ld, from, line, path, ...) \
	include_report(ld, LOG_ERR, from, line, path, __VA_ARGS__)

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
 * config_read() following include lines: the files being read, so
 * that one including itself, directly or not, is refused, and those
 * read so far, so that none is read twice.
 */
struct loader {
	const char	*defhost;
	conf_report_fn	*report;
	int		 depth;
	dev_t		 dev[CONF_INCLUDE_DEPTH];
	ino_t		 ino[CONF_INCLUDE_DEPTH];
	size_t		 nread;		/* files read in this load */
	struct {
		dev_t	 dev;
		ino_t	 ino;
	}		 read[CONF_LOAD_FILES];
	int		 capped;	/* CONF_LOAD_FILES reached, reported */
};

/* Read after the file config_load() is given; see config.h. */
static const char *config_includedir;

/* What the parser asks of the builtins table (config_set_builtins()). */
static const struct config_builtins *builtins;

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
static void	 include_report(struct loader *, int, const char *, int,
		    const char *, const char *, ...)
		    __attribute__((format(printf, 6, 7)));
static struct servtab *include_line(struct loader *,
		    const struct servtab *);
static struct servtab *include_path(struct loader *, const char *,
		    const char *, int, int);

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
		if (builtins == NULL || (se->se_bi = builtins->cb_find(name[i],
		    se->se_socktype)) == NULL)
			continue;
		if (builtins->cb_parse(se, why, sizeof(why)) == -1) {
			entry_error(e, "%s", why);
			return -1;
		}
		return 0;
	}
	entry_error(e, "no builtin service named '%s' for %s (there are: "
	    "%s)", name[0], socktype_name(se->se_socktype),
	    builtins != NULL ? builtins->cb_names(se->se_socktype, why,
	    sizeof(why)) : "");
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
 * Users, groups and host names are looked up by a child, once for each
 * load: the NSS modules that nsswitch.conf names (systemd, sss, ldap...)
 * and the resolver are loaded there and never in the daemon, where they
 * would stay mapped for good, could keep descriptors or threads, and
 * could crash or hang it.  All the questions of a load go to one child,
 * however many files the load reads.  The child is inetd executed
 * afresh (config_lookup_serve()), not a fork(): a fork shares the
 * daemon's memory, and each page the daemon then writes would fault,
 * which at 10,000 services doubles the time of a reload.  Questions and
 * answers are in a memory file both map.  A child that gets no answer
 * in config_lookup_seconds is killed, and the look-ups of the rest of
 * the load fail at once: they would wait as long.
 */
int	config_lookup_seconds = 30;

/*
 * The distinct questions of a list of entries, sorted, and the answers
 * the daemon took from the child after checking them.
 */
struct idents {
	struct lookup_slot *v;		/* the daemon's own memory */
	size_t		 n;
};

/* The memory file the child answers in. */
struct lookup_file {
	struct lookup_slot *v;		/* fd mapped: the child's too */
	size_t		 n;
	size_t		 size;		/* of the mapping */
	int		 fd;
};

static struct {
	int	 hung;		/* the rest of the load fails */
	char	 why[128];	/* why look-ups failed */
} lookup;

/* What an entry asks, naming its own strings (NULL: none). */
struct question {
	int		 kind;
	const char	*user;
	const char	*group;
	const char	*host;
	const char	*port;
	int		 family;
	int		 socktype;
	int		 flags;
};

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

static int
answer_user(struct lookup_slot *a)
{
	const struct passwd *pw;

	if (a->kind == LOOKUP_SOCKGROUP)
		return group_id(a->group, &a->gid) == 0 ? LOOKUP_OK :
		    LOOKUP_NO_GROUP;
	if ((pw = getpwnam(a->user)) == NULL)
		return LOOKUP_NO_USER;
	a->uid = pw->pw_uid;
	a->gid = pw->pw_gid;
	a->ngroups = 0;
	if (a->kind == LOOKUP_SOCKOWNER)
		return LOOKUP_OK;
	if (a->group[0] != '\0' && group_id(a->group, &a->gid) == -1)
		return LOOKUP_NO_GROUP;
	a->ngroups = CONF_MAXGROUPS;
	if (getgrouplist(a->user, a->gid, a->groups, &a->ngroups) == -1)
		return LOOKUP_TOO_MANY_GROUPS;
	return LOOKUP_OK;
}

/* getaddrinfo() orders the addresses by preference (RFC 6724). */
static int
answer_address(struct lookup_slot *a)
{
	struct addrinfo hints, *res;
	int error;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = a->family;
	hints.ai_socktype = a->socktype;
	hints.ai_flags = a->flags;
	errno = 0;
	if ((error = getaddrinfo(a->host, a->port[0] != '\0' ? a->port : NULL,
	    &hints, &res)) != 0) {
		a->gai_error = error;
		a->sys_errno = errno;
		return LOOKUP_NO_ADDRESS;
	}
	if (res->ai_addrlen > sizeof(a->addr)) {
		a->gai_error = EAI_FAMILY;
		freeaddrinfo(res);
		return LOOKUP_NO_ADDRESS;
	}
	memcpy(&a->addr, res->ai_addr, res->ai_addrlen);
	a->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return LOOKUP_OK;
}

#define ANSWER_OFFSET	offsetof(struct lookup_slot, uid)

/* The answer, its status written last: a child killed half-way left none. */
static void
ident_answer(struct lookup_slot *id)
{
	struct lookup_slot a;
	int status;

	if (id->status != LOOKUP_UNANSWERED)
		return;			/* a name too long to exist */
	a = *id;
	a.user[sizeof(a.user) - 1] = a.group[sizeof(a.group) - 1] = '\0';
	a.host[sizeof(a.host) - 1] = a.port[sizeof(a.port) - 1] = '\0';
	status = a.kind == LOOKUP_ADDRESS ? answer_address(&a) :
	    answer_user(&a);
	memcpy((char *)id + ANSWER_OFFSET, (char *)&a + ANSWER_OFFSET,
	    sizeof(a) - ANSWER_OFFSET);
	__atomic_store_n(&id->status, status, __ATOMIC_RELEASE);
}

int
config_lookup_serve(const char *from, const char *size)
{
	struct lookup_slot *v;
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
idents_spawn(const struct lookup_file *lf, size_t from, int done)
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
	snprintf(sizestr, sizeof(sizestr), "%zu", sizeof(*lf->v));
	sigfillset(&all);
	sigemptyset(&none);
	if (posix_spawn_file_actions_init(&fa) != 0)
		return -1;
	if (posix_spawnattr_init(&attr) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	/* Signals are the daemon's business, not this child's. */
	error = posix_spawn_file_actions_adddup2(&fa, lf->fd, 0) ||
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
idents_run_child(struct lookup_file *lf, size_t from)
{
	struct pollfd pfd;
	pid_t pid = -1;
	int done[2] = { -1, -1 }, ready, status;

	if (pipe2(done, O_CLOEXEC) == -1 ||
	    (pid = idents_spawn(lf, from, done[1])) == -1) {
		if (done[0] != -1) {
			close(done[0]);
			close(done[1]);
		}
		for (; from < lf->n; from++)
			ident_answer(&lf->v[from]);
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
idents_answer(struct lookup_file *lf)
{
	size_t from = 0;

	while (from < lf->n && !lookup.hung) {
		if (idents_run_child(lf, from) == 0 || lookup.hung)
			return;
		while (from < lf->n && lf->v[from].status != LOOKUP_UNANSWERED)
			from++;
		if (from < lf->n)
			lf->v[from++].status = LOOKUP_DIED;
	}
}

static const char *
nonnull(const char *s)
{
	return s != NULL ? s : "";
}

/* Questions and answers are both in this order. */
static int
question_cmp(const void *pa, const void *pb)
{
	const struct question *a = pa, *b = pb;
	int d;

	if (a->kind != b->kind)
		return a->kind - b->kind;
	if ((d = strcmp(nonnull(a->user), nonnull(b->user))) != 0 ||
	    (d = strcmp(nonnull(a->group), nonnull(b->group))) != 0 ||
	    (d = strcmp(nonnull(a->host), nonnull(b->host))) != 0 ||
	    (d = strcmp(nonnull(a->port), nonnull(b->port))) != 0)
		return d;
	if (a->family != b->family)
		return a->family - b->family;
	if (a->socktype != b->socktype)
		return a->socktype - b->socktype;
	return a->flags - b->flags;
}

/* Only ever of the daemon's own slots, whose strings it terminated. */
static int
slot_cmp(const void *pa, const void *pb)
{
	const struct lookup_slot *a = pa, *b = pb;
	const struct question qa = { a->kind, a->user, a->group, a->host,
	    a->port, a->family, a->socktype, a->flags };
	const struct question qb = { b->kind, b->user, b->group, b->host,
	    b->port, b->family, b->socktype, b->flags };

	return question_cmp(&qa, &qb);
}

/* The question; a name too long for any system is known not to exist. */
static void
ident_set(struct lookup_slot *id, const struct question *q)
{
	memset(id, 0, sizeof(*id));
	id->kind = q->kind;
	id->family = q->family;
	id->socktype = q->socktype;
	id->flags = q->flags;
	if (strlcpy(id->user, nonnull(q->user), sizeof(id->user)) >=
	    sizeof(id->user))
		id->status = LOOKUP_NO_USER;
	else if (strlcpy(id->group, nonnull(q->group), sizeof(id->group)) >=
	    sizeof(id->group))
		id->status = LOOKUP_NO_GROUP;
	else if (strlcpy(id->host, nonnull(q->host), sizeof(id->host)) >=
	    sizeof(id->host) || strlcpy(id->port, nonnull(q->port),
	    sizeof(id->port)) >= sizeof(id->port)) {
		id->status = LOOKUP_NO_ADDRESS;
		id->gai_error = EAI_NONAME;
	}
}

/*
 * Numeric addresses and ports only: never a name service (a forward
 * target's port may be a service name, which the child looks up).
 */
static int
numeric_address(const struct question *q, struct addrinfo **resp)
{
	struct addrinfo hints;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = q->family;
	hints.ai_socktype = q->socktype;
	hints.ai_flags = q->flags | AI_NUMERICHOST | AI_NUMERICSERV;
	return getaddrinfo(q->host, q->port != NULL ? q->port : "0", &hints,
	    resp);
}

/* A host name: what the child answers; a numeric address is ours. */
static int
asks_child(const struct question *q)
{
	struct addrinfo *res;
	int error;

	if (q->host == NULL)
		return 0;
	if ((error = numeric_address(q, &res)) == 0)
		freeaddrinfo(res);
	return error == EAI_NONAME;
}

/* The bind address of an entry; 0 when it has none to look up. */
static int
bind_question(const struct servtab *sep, struct question *q)
{
	const char *host = sep->se_host;

	if (sep->se_family == AF_UNIX || sep->se_tcpmux != TCPMUX_NONE)
		return 0;
	if (host != NULL && strcmp(host, "*") == 0)
		host = NULL;
	memset(q, 0, sizeof(*q));
	q->kind = LOOKUP_ADDRESS;
	q->host = host;
	q->family = sep->se_family;
	q->socktype = sep->se_socktype;
	q->flags = AI_PASSIVE | AI_NUMERICSERV;
	/* A dual-stack socket serves IPv4 addresses in their mapped form. */
	if (sep->se_family == AF_INET6 && !sep->se_v6only)
		q->flags |= AI_V4MAPPED;
	return 1;
}

/* The address a builtin needs (a forward target), if any. */
static int
builtin_question(const struct servtab *sep, struct question *q)
{
	memset(q, 0, sizeof(*q));
	q->kind = LOOKUP_ADDRESS;
	q->family = AF_UNSPEC;
	return sep->se_bi != NULL &&
	    builtins->cb_target(sep, &q->host, &q->port, &q->socktype);
}

/* Up to five questions an entry asks. */
#define QUESTIONS_PER_ENTRY	5

static size_t
entry_questions(const struct servtab *sep, struct question *q)
{
	size_t n = 0;

	q[n++] = (struct question){ .kind = LOOKUP_USER,
	    .user = sep->se_user, .group = sep->se_group };
	if (sep->se_sockuser != NULL)
		q[n++] = (struct question){ .kind = LOOKUP_SOCKOWNER,
		    .user = sep->se_sockuser };
	if (sep->se_sockgroup != NULL)
		q[n++] = (struct question){ .kind = LOOKUP_SOCKGROUP,
		    .group = sep->se_sockgroup };
	if (bind_question(sep, &q[n]) && asks_child(&q[n]))
		n++;
	if (builtin_question(sep, &q[n]) && asks_child(&q[n]))
		n++;
	return n;
}

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
	for (n = 0, sep = list; sep != NULL; sep = sep->se_next)
		if (sep->se_include == NULL)
			n += entry_questions(sep, q + n);
	qsort(q, n, sizeof(*q), question_cmp);
	for (i = j = 0; i < n; i++)
		if (j == 0 || question_cmp(&q[j - 1], &q[i]) != 0)
			q[j++] = q[i];
	*np = j;
	return q;
}

static int
address_check(const struct lookup_slot *a)
{
	int family = a->addr.ss_family;

	if (a->family != AF_UNSPEC && family != a->family)
		return -1;
	if (family == AF_INET)
		return a->addrlen == sizeof(struct sockaddr_in) ? 0 : -1;
	if (family == AF_INET6)
		return a->addrlen == sizeof(struct sockaddr_in6) ? 0 : -1;
	return -1;
}

/* (uid_t)-1 and (gid_t)-1 mean "no change": never an answer. */
static int
ids_check(const struct lookup_slot *a)
{
	int i;

	if ((a->kind != LOOKUP_SOCKGROUP && a->uid == (uid_t)-1) ||
	    (a->kind != LOOKUP_SOCKOWNER && a->gid == (gid_t)-1) ||
	    a->ngroups < 0 || a->ngroups > CONF_MAXGROUPS ||
	    (a->kind != LOOKUP_USER && a->ngroups != 0))
		return -1;
	for (i = 0; i < a->ngroups; i++)
		if (a->groups[i] == (gid_t)-1)
			return -1;
	return 0;
}

/*
 * The child is another process, with NSS modules that may be broken:
 * an answer that does not fit its question is refused.
 */
static int
lookup_answer_check(const struct lookup_slot *a)
{
	int user = a->kind != LOOKUP_ADDRESS;

	switch (a->status) {
	case LOOKUP_UNANSWERED:
	case LOOKUP_DIED:
		return 0;
	case LOOKUP_NO_USER:
	case LOOKUP_NO_GROUP:
	case LOOKUP_TOO_MANY_GROUPS:
		return user ? 0 : -1;
	case LOOKUP_NO_ADDRESS:
		/* glibc's EAI_ codes are negative; errno values are small. */
		return !user && a->gai_error < 0 && a->sys_errno >= 0 &&
		    a->sys_errno < 4096 ? 0 : -1;
	case LOOKUP_OK:
		return user ? ids_check(a) : address_check(a);
	default:
		return -1;
	}
}

/* The child's answer, copied once into the daemon's slot, then checked. */
static void
lookup_take(struct lookup_slot *mine, const struct lookup_slot *theirs)
{
	const size_t off = offsetof(struct lookup_slot, status);
	struct lookup_slot a = *mine;

	memcpy((char *)&a + off, (const char *)theirs + off, sizeof(a) - off);
	if (lookup_answer_check(&a) == 0)
		*mine = a;
	else
		mine->status = LOOKUP_BAD_ANSWER;
}

/* The questions in a memory file for the child; -1 with lookup.why. */
static int
lookup_file_ask(struct lookup_file *lf, const struct idents *ids)
{
	void *v;

	lf->n = ids->n;
	lf->size = ids->n * sizeof(*lf->v);
	if ((lf->fd = memfd_create("inetd-lookups", MFD_CLOEXEC)) == -1 ||
	    ftruncate(lf->fd, lf->size) == -1 ||
	    (v = mmap(NULL, lf->size, PROT_READ | PROT_WRITE, MAP_SHARED,
	    lf->fd, 0)) == MAP_FAILED) {
		snprintf(lookup.why, sizeof(lookup.why), "memory file: %s",
		    strerror(errno));
		if (lf->fd != -1)
			close(lf->fd);
		return -1;
	}
	lf->v = v;
	memcpy(lf->v, ids->v, lf->size);
	idents_answer(lf);
	return 0;
}

/*
 * The answers to the questions of the entries of list, from one child
 * (more if one dies); ids->v is NULL when there is no memory for them,
 * and then every look-up fails.
 */
static void
idents_ask(struct idents *ids, struct servtab *list)
{
	struct lookup_file lf;
	struct question *q;
	size_t i;

	memset(ids, 0, sizeof(*ids));
	if (!lookup.hung)
		lookup.why[0] = '\0';
	if ((q = questions_of(list, &ids->n)) == NULL ||
	    (ids->v = calloc(ids->n + 1, sizeof(*ids->v))) == NULL) {
		snprintf(lookup.why, sizeof(lookup.why), "out of memory");
		free(q);
		return;
	}
	for (i = 0; i < ids->n; i++)
		ident_set(&ids->v[i], &q[i]);
	free(q);
	if (ids->n == 0 || lookup_file_ask(&lf, ids) == -1)
		return;
	for (i = 0; i < ids->n; i++)
		lookup_take(&ids->v[i], &lf.v[i]);
	(void)munmap(lf.v, lf.size);
	close(lf.fd);
}

static void
idents_free(struct idents *ids)
{
	free(ids->v);
	ids->v = NULL;
}

static const struct lookup_slot *
ident_find(const struct idents *ids, const struct question *q)
{
	static const struct lookup_slot unanswered; /* LOOKUP_UNANSWERED */
	const struct lookup_slot *id;
	struct lookup_slot key;

	ident_set(&key, q);
	if (ids->v == NULL || (id = bsearch(&key, ids->v, ids->n,
	    sizeof(*ids->v), slot_cmp)) == NULL)
		return &unanswered;
	return id;
}

/* Why a question has no answer, when it is not "unknown". */
static const char *
unanswered_why(const struct lookup_slot *id)
{
	if (id->status == LOOKUP_DIED)
		return "the look-up process died (nsswitch.conf)";
	if (id->status == LOOKUP_BAD_ANSWER)
		return "the look-up process gave a bad answer";
	return lookup.why[0] != '\0' ? lookup.why : "no answer";
}

/* "unknown user 'x'", or why it could not be looked up. */
static void
ident_error(struct servtab *sep, conf_report_fn *report, const char *what,
    const char *name, const struct lookup_slot *id)
{
	if (id->status == LOOKUP_NO_USER || id->status == LOOKUP_NO_GROUP)
		resolve_error(sep, report, "unknown %s '%s'", what, name);
	else
		resolve_error(sep, report, "%s '%s' not looked up: %s", what,
		    name, unanswered_why(id));
}

/*
 * The first address of a question: a numeric one here, a name's from
 * the child.  0, or -1 with why.
 */
static int
find_address(const struct idents *ids, const struct question *q,
    struct sockaddr_storage *addr, socklen_t *lenp, char *why, size_t size)
{
	const struct lookup_slot *id;
	struct addrinfo *res;
	int error;

	errno = 0;
	if ((error = numeric_address(q, &res)) == 0) {
		if (res->ai_addrlen > sizeof(*addr))
			error = EAI_FAMILY;
		else {
			memcpy(addr, res->ai_addr, res->ai_addrlen);
			*lenp = res->ai_addrlen;
		}
		freeaddrinfo(res);
	} else if (error == EAI_NONAME && q->host != NULL) {
		id = ident_find(ids, q);
		if (id->status == LOOKUP_OK) {
			memcpy(addr, &id->addr, id->addrlen);
			*lenp = id->addrlen;
			return 0;
		}
		if (id->status != LOOKUP_NO_ADDRESS) {
			snprintf(why, size, "not looked up: %s",
			    unanswered_why(id));
			return -1;
		}
		error = id->gai_error;
		errno = id->sys_errno;
	}
	if (error == 0)
		return 0;
	snprintf(why, size, "%s", error == EAI_SYSTEM ? strerror(errno) :
	    gai_strerror(error));
	return -1;
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

static void
resolve_unix_address(struct servtab *sep)
{
	memset(&sep->se_ctrladdr, 0, sizeof(sep->se_ctrladdr));
	sep->se_ctrladdr.sun.sun_family = AF_UNIX;
	strlcpy(sep->se_ctrladdr.sun.sun_path, sep->se_service,
	    sizeof(sep->se_ctrladdr.sun.sun_path));
	sep->se_ctrladdr_size = offsetof(struct sockaddr_un, sun_path) +
	    strlen(sep->se_ctrladdr.sun.sun_path) + 1;
}

/* The address a question asks for, or -1 after reporting why not. */
static int
entry_address(struct servtab *sep, conf_report_fn *report,
    const struct idents *ids, const struct question *q,
    struct sockaddr_storage *addr, socklen_t *lenp)
{
	char why[CONF_MSG_MAX];

	if (find_address(ids, q, addr, lenp, why, sizeof(why)) == 0)
		return 0;
	/* The bind address is passive, a forward target is not. */
	if (q->flags & AI_PASSIVE)
		resolve_error(sep, report, "cannot use address '%s' for %s: %s",
		    q->host != NULL ? q->host : "*", sep->se_proto, why);
	else
		resolve_error(sep, report, "cannot resolve forward target %s "
		    "port %s: %s", q->host, q->port, why);
	return -1;
}

/* The address is looked up without the port, which the entry sets. */
static int
resolve_address(struct servtab *sep, conf_report_fn *report,
    const struct idents *ids)
{
	struct sockaddr_storage addr;
	struct question q;
	socklen_t len;
	int port;

	if (sep->se_family == AF_UNIX) {
		resolve_unix_address(sep);
		return 0;
	}
	if (resolve_port(sep, report, &port) == -1)
		return -1;
	bind_question(sep, &q);
	if (entry_address(sep, report, ids, &q, &addr, &len) == -1)
		return -1;
	if (len > sizeof(sep->se_ctrladdr)) {
		resolve_error(sep, report, "address of '%s' is too long",
		    q.host != NULL ? q.host : "*");
		return -1;
	}
	memcpy(&sep->se_ctrladdr, &addr, len);
	sep->se_ctrladdr_size = len;
	if (sep->se_ctrladdr.sa.sa_family == AF_INET)
		sep->se_ctrladdr.sin.sin_port = htons(port);
	else
		sep->se_ctrladdr.sin6.sin6_port = htons(port);
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
	const struct question q = { .kind = LOOKUP_USER,
	    .user = sep->se_user, .group = sep->se_group };
	const struct lookup_slot *id = ident_find(ids, &q);

	if (id->status == LOOKUP_NO_GROUP) {
		ident_error(sep, report, "group", sep->se_group, id);
		return -1;
	}
	if (id->status != LOOKUP_OK &&
	    id->status != LOOKUP_TOO_MANY_GROUPS) {
		ident_error(sep, report, "user", sep->se_user, id);
		return -1;
	}
	sep->se_uid = id->uid;
	sep->se_gid = id->gid;
	if (user_allowed(sep, euid, report) == -1)
		return -1;
	if (id->status == LOOKUP_TOO_MANY_GROUPS) {
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
	const struct lookup_slot *id;
	struct question q;

	sep->se_sockuid = euid;
	sep->se_sockgid = getegid();
	if (sep->se_sockuser != NULL) {
		q = (struct question){ .kind = LOOKUP_SOCKOWNER,
		    .user = sep->se_sockuser };
		id = ident_find(ids, &q);
		if (id->status != LOOKUP_OK) {
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
		q = (struct question){ .kind = LOOKUP_SOCKGROUP,
		    .group = sep->se_sockgroup };
		id = ident_find(ids, &q);
		if (id->status != LOOKUP_OK) {
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
resolve_builtin(struct servtab *sep, conf_report_fn *report,
    const struct idents *ids)
{
	struct sockaddr_storage addr;
	struct question q;
	char why[CONF_MSG_MAX];
	socklen_t len;

	if (!builtin_question(sep, &q))
		return 0;
	if (entry_address(sep, report, ids, &q, &addr, &len) == -1)
		return -1;
	if (builtins->cb_resolve(sep, (struct sockaddr *)&addr, len, why,
	    sizeof(why)) == 0)
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
	    resolve_address(sep, report, ids) == -1) ||
	    resolve_user(sep, euid, report, ids) == -1 ||
	    (sep->se_family == AF_UNIX &&
	    resolve_socket_owner(sep, euid, report, ids) == -1) ||
	    (sep->se_server != NULL && resolve_program(sep, report) == -1) ||
	    resolve_builtin(sep, report, ids) == -1)
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
 * Every path is opened so that nothing blocks: a FIFO opens at once and
 * a device is not made the controlling terminal; what it is, fstat()
 * of the descriptor says, so it cannot change after a check.
 */
static int
open_config(const char *path, struct stat *st)
{
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC |
	    O_NOCTTY)) == -1)
		return -1;
	if (fstat(fd, st) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/*
 * The whole of a regular file, bounded by CONF_FILE_MAX; NULL with
 * errno set.  fd is closed.
 */
static char *
read_file(int fd, const struct stat *st, size_t *lenp)
{
	size_t len = 0, size;
	ssize_t n;
	char *buf = NULL, *bigger;
	int saved;

	if (st->st_size > CONF_FILE_MAX) {
		errno = EFBIG;
		goto fail;
	}
	/* One more byte than the file has, so that EOF needs no resize. */
	size = st->st_size > 0 ? (size_t)st->st_size + 1 : CONF_FILE_CHUNK;
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
	return buf;
fail:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return NULL;
}

static void
include_report(struct loader *ld, int priority, const char *from, int line,
    const char *path, const char *fmt, ...)
{
	char msg[CONF_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (from != NULL)
		ld->report(priority, "%s:%d: include %s: %s", from, line, path,
		    msg);
	else
		ld->report(priority, "%s: %s", path, msg);
}

/* Include nodes are replaced in place by what they name, in text order. */
static struct servtab *
follow_includes(struct loader *ld, struct servtab *list)
{
	struct servtab *sep, **prevp;

	for (prevp = &list; (sep = *prevp) != NULL;) {
		if (sep->se_include == NULL) {
			prevp = &sep->se_next;
			continue;
		}
		*prevp = include_line(ld, sep);
		while (*prevp != NULL)
			prevp = &(*prevp)->se_next;
		*prevp = sep->se_next;
		servtab_free(sep);
	}
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
	list = follow_includes(ld, list);
	ld->depth--;
	return list;
}

/*
 * Each file is read once in a load, and at most CONF_LOAD_FILES of
 * them, so that includes cannot fan out without bound.  0 when the file
 * is to be read; -1 after saying why not.
 */
static int
file_admit(struct loader *ld, const struct stat *st, const char *path,
    const char *from, int line)
{
	size_t i;

	for (i = 0; i < (size_t)ld->depth; i++)
		if (ld->dev[i] == st->st_dev && ld->ino[i] == st->st_ino) {
			include_error(ld, from, line, path, "include loop: "
			    "the file is being read already");
			return -1;
		}
	for (i = 0; i < ld->nread; i++)
		if (ld->read[i].dev == st->st_dev &&
		    ld->read[i].ino == st->st_ino) {
			include_report(ld, LOG_WARNING, from, line, path,
			    "read already in this load, not read again");
			return -1;
		}
	if (ld->nread == CONF_LOAD_FILES) {
		if (!ld->capped)
			include_error(ld, from, line, path, "more than %d "
			    "files in one load: this one and the rest are not "
			    "read", CONF_LOAD_FILES);
		ld->capped = 1;
		return -1;
	}
	ld->read[ld->nread].dev = st->st_dev;
	ld->read[ld->nread].ino = st->st_ino;
	ld->nread++;
	return 0;
}

/* A regular file, open as fd, which this closes. */
static struct servtab *
include_file(struct loader *ld, int fd, const struct stat *st,
    const char *path, const char *from, int line)
{
	struct servtab *list;
	size_t len;
	char *text;

	if (ld->depth == CONF_INCLUDE_DEPTH) {
		include_error(ld, from, line, path, "includes nested more "
		    "than %d deep", CONF_INCLUDE_DEPTH - 1);
		close(fd);
		return NULL;
	}
	if (file_admit(ld, st, path, from, line) == -1) {
		close(fd);
		return NULL;
	}
	if ((text = read_file(fd, st, &len)) == NULL) {
		include_error(ld, from, line, path, "%s", strerror(errno));
		return NULL;
	}
	list = load_text(ld, path, text, len, st);
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

/* The names of the fragments of dir, open as fd, sorted; -1 after reporting. */
static int
list_fragments(struct loader *ld, int fd, const char *dir, const char *from,
    int line, char ***namesp, size_t *np)
{
	struct dirent *de;
	char **names = NULL, **bigger;
	size_t n = 0;
	DIR *dp;

	if ((dp = fdopendir(fd)) == NULL) {
		include_error(ld, from, line, dir, "%s", strerror(errno));
		close(fd);
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
include_dir(struct loader *ld, int fd, const char *dir, const char *from,
    int line)
{
	struct servtab *list = NULL, **tailp = &list;
	char path[PATH_MAX], **names;
	size_t i, n;

	if (list_fragments(ld, fd, dir, from, line, &names, &n) == -1)
		return NULL;
	for (i = 0; i < n; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    names[i]) >= sizeof(path))
			include_error(ld, from, line, dir, "%s: %s", names[i],
			    strerror(ENAMETOOLONG));
		else
			*tailp = include_path(ld, path, from, line, 1);
		while (*tailp != NULL)
			tailp = &(*tailp)->se_next;
		free(names[i]);
	}
	free(names);
	return list;
}

/*
 * Only what can be read to its end: never a FIFO or a device.  A
 * directory's fragments are files; an include line may name either.
 */
static struct servtab *
include_opened(struct loader *ld, int fd, const struct stat *st,
    const char *path, const char *from, int line, int fragment)
{
	if (S_ISDIR(st->st_mode) && !fragment)
		return include_dir(ld, fd, path, from, line);
	if (S_ISREG(st->st_mode))
		return include_file(ld, fd, st, path, from, line);
	include_error(ld, from, line, path, "%s", fragment ?
	    "not a regular file" : "not a regular file or a directory");
	close(fd);
	return NULL;
}

static struct servtab *
include_path(struct loader *ld, const char *path, const char *from,
    int line, int fragment)
{
	struct stat st;
	int fd;

	if ((fd = open_config(path, &st)) == -1) {
		include_error(ld, from, line, path, "%s", strerror(errno));
		return NULL;
	}
	return include_opened(ld, fd, &st, path, from, line, fragment);
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
		return include_path(ld, name, sep->se_file, sep->se_line, 0);
	dirlen = slash - sep->se_file;
	if ((size_t)snprintf(path, sizeof(path), "%.*s/%s", dirlen,
	    sep->se_file, name) >= sizeof(path)) {
		include_error(ld, sep->se_file, sep->se_line, name, "%s",
		    strerror(ENAMETOOLONG));
		return NULL;
	}
	return include_path(ld, path, sep->se_file, sep->se_line, 0);
}

void
config_set_builtins(const struct config_builtins *table)
{
	builtins = table;
}

void
config_set_includedir(const char *dir)
{
	config_includedir = dir;
}

/* The include directory, as if the file ended with "include dir". */
static struct servtab *
include_dir_after(struct loader *ld)
{
	struct stat st;
	int fd;

	if (config_includedir == NULL)
		return NULL;
	if ((fd = open_config(config_includedir, &st)) == -1) {
		if (errno != ENOENT)
			include_error(ld, NULL, 0, config_includedir, "%s",
			    strerror(errno));
		return NULL;
	}
	return include_opened(ld, fd, &st, config_includedir, NULL, 0, 0);
}

/* The first file: only a regular file, whose errors the caller tells. */
static char *
read_first(struct loader *ld, const char *path, struct stat *st,
    size_t *lenp)
{
	int fd;

	if ((fd = open_config(path, st)) == -1)
		return NULL;
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		errno = EISDIR;
		if (!S_ISDIR(st->st_mode)) {
			ld->report(LOG_ERR, "%s: not a regular file", path);
			errno = 0;
		}
		return NULL;
	}
	(void)file_admit(ld, st, path, NULL, 0);
	return read_file(fd, st, lenp);
}

struct servtab *
config_read(const char *path, const char *defhost, conf_report_fn *report,
    int *errp)
{
	struct loader *ld;
	struct servtab *list, **tailp;
	struct stat st;
	size_t len;
	char *text;

	if ((ld = calloc(1, sizeof(*ld))) == NULL) {
		report(LOG_ERR, "%s: out of memory", path);
		*errp = 0;
		return NULL;
	}
	ld->defhost = defhost;
	ld->report = report;
	if ((text = read_first(ld, path, &st, &len)) == NULL) {
		*errp = errno;
		free(ld);
		return NULL;
	}
	list = load_text(ld, path, text, len, &st);
	free(text);
	for (tailp = &list; *tailp != NULL; tailp = &(*tailp)->se_next)
		continue;
	*tailp = include_dir_after(ld);
	free(ld);
	*errp = 0;
	return list;
}

/* Every entry's look-ups at once, in one child; failures are dropped. */
static struct servtab *
resolve_list(struct servtab *list, uid_t euid, conf_report_fn *report)
{
	struct servtab *sep, **prevp;
	struct idents ids;

	idents_ask(&ids, list);
	for (prevp = &list; (sep = *prevp) != NULL;) {
		if (resolve_entry(sep, euid, report, &ids) == 0)
			prevp = &sep->se_next;
		else {
			*prevp = sep->se_next;
			servtab_free(sep);
		}
	}
	idents_free(&ids);
	lookup.hung = 0;
	return list;
}

struct servtab *
config_load(const char *path, const char *defhost, uid_t euid,
    conf_report_fn *report, int *errp)
{
	struct servtab *list;
	int error;

	list = config_read(path, defhost, report, &error);
	if (errp != NULL)
		*errp = error;
	return resolve_list(list, euid, report);
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
	if (sep->se_bi != NULL)
		builtins->cb_free(sep);
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
