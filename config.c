/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * config.c: read inetd.conf(5) into servtab entries.
 *
 * The syntax is FreeBSD's, with what OpenBSD and Debian add (bind-host
 * prefixes, numeric ports, nowait.N).  config_parse() is a pure
 * function of the text so that it can be unit-tested and fuzzed;
 * everything that asks the system (users, ports, addresses, programs)
 * waits for config_resolve() (resolve.c), whose questions the look-up
 * child answers (lookup.c).  Files and includes: load.c.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "config.h"
#include "listenopts.h"
#include "options.h"
#include "parser.h"
#include "util.h"

/* "FILE:LINE: " and a name made of the words of an entry. */
#define CONF_WHERE_MAX	(FILE_LINE_MAX + CONF_MSG_MAX)

#define MODE_MAX	0777

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

/*
 * FreeBSD's meaning: tcp4/udp4 is IPv4, *46 one dual-stack socket.
 * Plain tcp/udp parses as IPv4; config_resolve_all() makes it dual-stack
 * as Debian does, unless the file pairs it with an IPv6 entry.
 */
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

static void	 vreport(conf_report_fn *, int, const char *, int,
		    const char *, const char *, va_list)
		    __attribute__((format(printf, 6, 0)));
static void	 report_at(conf_report_fn *, int, const char *, int,
		    const char *, const char *, ...)
		    __attribute__((format(printf, 6, 7)));
static void
vreport(conf_report_fn *report, int priority, const char *file, int line,
    const char *name, const char *fmt, va_list ap)
{
	char msg[CONF_MSG_MAX], where[CONF_WHERE_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	report(priority, "%s: %s", msg_where(where, sizeof(where), file, line,
	    name), msg);
}

void
parser_vreport(struct parser *p, int line, const char *name, const char *fmt,
    va_list ap)
{
	vreport(p->report, LOG_ERR, p->file, line, name, fmt, ap);
}

void
parser_warn(struct parser *p, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(p->report, LOG_WARNING, p->file, line, NULL, fmt, ap);
	va_end(ap);
}

/* "FILE:LINE: NAME: what", or "FILE:LINE: what" without a name. */
static void
report_at(conf_report_fn *report, int priority, const char *file, int line,
    const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(report, priority, file, line, name, fmt, ap);
	va_end(ap);
}

/*
 * The entry is dropped.  Once the protocol field is known, the message
 * names the entry by its service and protocol fields as written.
 */
void
entry_error(struct entry *e, const char *fmt, ...)
{
	char name[CONF_MSG_MAX];
	va_list ap;

	/* The protocol without its NetBSD buffer sizes. */
	if (e->nword > F_PROTO)
		snprintf(name, sizeof(name), "%s/%.*s", e->word[F_SERVICE],
		    (int)strcspn(e->word[F_PROTO], ","), e->word[F_PROTO]);
	va_start(ap, fmt);
	vreport(e->p->report, LOG_ERR, e->p->file, e->line,
	    e->nword > F_PROTO ? name : NULL, fmt, ap);
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

/* A failure of listenopts.c, named with the entry. */
static int
entry_failed(struct entry *e, int rc, const char *why)
{
	if (rc == -1)
		entry_error(e, "%s", why);
	return rc;
}

int
entry_size(struct entry *e, const char *what, const char *s, int *size)
{
	char why[CONF_MSG_MAX];
	int n;

	if (entry_failed(e, listen_size(what, s, &n, why, sizeof(why)),
	    why) == -1)
		return -1;
	if (*size != 0) {
		entry_error(e, "%s given twice", what);
		return -1;
	}
	*size = n;
	return 0;
}

int
entry_accept_filter(struct entry *e, const char *name)
{
	char why[CONF_MSG_MAX];

	return entry_failed(e, listen_filter(name, &e->se->se_deferaccept,
	    why, sizeof(why)), why);
}

int
entry_check_listener(struct entry *e)
{
	char why[CONF_MSG_MAX];

	return entry_failed(e, listen_check(e->se, why, sizeof(why)), why);
}

/* NetBSD's "socket-type[,accept-max][:accept-filter]", after the type. */
static int
parse_socktype_extras(struct entry *e, char sep, char *rest)
{
	char *filter = rest;

	if (sep == ',' && (filter = strchr(rest, ':')) != NULL)
		*filter++ = '\0';
	if (sep == ',' && entry_limit(e, "accept-max", rest, NULL,
	    CONF_MAXCHILD, &e->se->se_maxchild) == -1)
		return -1;
	return filter != NULL ? entry_accept_filter(e, filter) : 0;
}

static int
parse_socktype(struct entry *e)
{
	char *f = e->word[F_SOCKTYPE], sep;
	size_t i, len;

	/* The type alone names it in messages. */
	len = strcspn(f, ",:");
	sep = f[len];
	f[len] = '\0';
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
	return sep != '\0' ? parse_socktype_extras(e, sep, f + len + 1) : 0;
}

/* NetBSD's "protocol[,sndbuf=SIZE][,rcvbuf=SIZE]", after the protocol. */
static int
parse_protocol_extras(struct entry *e, char *rest)
{
	char *next, *value;
	int rc;

	for (; rest != NULL; rest = next) {
		if ((next = strchr(rest, ',')) != NULL)
			*next++ = '\0';
		if ((value = strchr(rest, '=')) != NULL)
			*value++ = '\0';
		if (value != NULL && strcmp(rest, "sndbuf") == 0)
			rc = entry_size(e, "sndbuf", value, &e->se->se_sndbuf);
		else if (value != NULL && strcmp(rest, "rcvbuf") == 0)
			rc = entry_size(e, "rcvbuf", value, &e->se->se_rcvbuf);
		else {
			entry_error(e, "unknown protocol option '%s' (expected "
			    "sndbuf=SIZE or rcvbuf=SIZE)", rest);
			rc = -1;
		}
		if (rc == -1)
			return -1;
	}
	return 0;
}

static int
parse_protocol(struct entry *e)
{
	struct servtab *se = e->se;
	char *f = e->word[F_PROTO], *extras;
	const struct protocol *pr;

	if ((extras = strchr(f, ',')) != NULL) {
		*extras++ = '\0';
		if (parse_protocol_extras(e, extras) == -1)
			return -1;
	}
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
	se->se_plain_inet = strcmp(pr->name, "tcp") == 0 ||
	    strcmp(pr->name, "udp") == 0;
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
		strtonum(service, 1, CONF_PORT_MAX, &errstr);
		if (errstr != NULL) {
			entry_error(e, "port %s out of range (1-%d)", service,
			    CONF_PORT_MAX);
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

/*
 * A limit has one value: accept-max and max-child, for one, are the same
 * limit.  in is the field or key that gives it, for messages.
 */
int
entry_limit(struct entry *e, const char *what, const char *s,
    const char *in, int max, int *limit)
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
			entry_error(e, "%s '%s'%s%s%s is not a number", what,
			    s, in != NULL ? " in '" : "", in != NULL ? in : "",
			    in != NULL ? "'" : "");
		return -1;
	}
	if (*limit != CONF_DEFAULT) {
		entry_error(e, "%s is given twice", what);
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

	/* OpenBSD's nowait.N, NetBSD's nowait:N */
	if (*rest == '.' || *rest == ':')
		return entry_limit(e, "invocations per minute", rest + 1, f,
		    INT_MAX, &se->se_maxrate);
	for (i = 0; *rest == '/'; i++, rest = part + len) {
		part = rest + 1;
		if (i == nitems(limit) || (len = strcspn(part, "/")) == 0)
			goto bad;
		if ((number = entry_strndup(e, part, len)) == NULL)
			return -1;
		rc = entry_limit(e, what[i], number, f, max[i], limit[i]);
		free(number);
		if (rc == -1)
			return -1;
	}
	if (*rest == '\0')
		return 0;
bad:
	entry_error(e, "bad wait field '%s': expected wait or "
	    "nowait[/max-child[/per-ip-per-minute[/per-ip]]] or [:.]max", f);
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
 * "include PATH", or NetBSD's ".include GLOB", whose words after the
 * pattern NetBSD ignores: no entry is taken for it.  The node only
 * records the path; config_load() reads it.
 */
static struct servtab *
parse_include(struct entry *e, int glob)
{
	struct parser *p = e->p;
	struct servtab *se;

	if (e->nword != 2 && (!glob || e->nword < 2)) {
		report_at(p->report, LOG_ERR, p->file, e->line, e->word[0],
		    "expected one file or directory, got %d words",
		    e->nword - 1);
		return NULL;
	}
	if (e->nword > 2)
		report_at(p->report, LOG_WARNING, p->file, e->line, e->word[0],
		    "words after the pattern ignored");
	if ((se = servtab_new(e)) == NULL)
		return NULL;
	se->se_include_glob = glob;
	if ((se->se_include = entry_strdup(e, e->word[1])) == NULL) {
		servtab_free(se);
		return NULL;
	}
	return se;
}

int
entry_fields(struct entry *e)
{
	if ((e->se = servtab_new(e)) == NULL)
		return -1;
	/* The service field's meaning depends on the protocol. */
	if (parse_socktype(e) == -1 || parse_protocol(e) == -1 ||
	    parse_service(e) == -1 || parse_wait(e) == -1 ||
	    parse_user(e) == -1 || parse_program(e) == -1 ||
	    check_tcpmux(e) == -1 || entry_check_listener(e) == -1 ||
	    parse_args(e) == -1 || find_builtin(e) == -1) {
		servtab_free(e->se);
		e->se = NULL;
		return -1;
	}
	return 0;
}

void
entry_add(struct entry *e)
{
	*e->p->tail = e->se;
	e->p->tail = &e->se->se_next;
}

/* A word starting with a dot is a directive (NetBSD). */
static void
parse_directive(struct entry *e)
{
	if (strcmp(e->word[0], ".include") != 0)
		report_at(e->p->report, LOG_ERR, e->p->file, e->line, NULL,
		    "unknown directive '%s'", e->word[0]);
	else if ((e->se = parse_include(e, 1)) != NULL)
		entry_add(e);
}

static void
parse_entry(struct entry *e, char *text)
{
	size_t len;

	if (split_words(e, text) == -1 || e->nword == 0)
		return;
	len = strlen(e->word[F_SERVICE]);
	if (e->nword == 1 && len > 0 && e->word[F_SERVICE][len - 1] == ':') {
		set_default_host(e);
		return;
	}
	if (e->word[F_SERVICE][0] == '.') {
		parse_directive(e);
		return;
	}
	if (e->nword < F_ARGS && strcmp(e->word[F_SERVICE], "include") == 0) {
		if ((e->se = parse_include(e, 0)) != NULL)
			entry_add(e);
		return;
	}
	if (e->nword < F_ARGS) {
		entry_error(e, "missing fields: expected at least %d, got %d",
		    F_ARGS, e->nword);
		return;
	}
	if (entry_fields(e) == 0)
		entry_add(e);
}

/* The positional entry collected, if any, is parsed. */
void
positional_finish(struct parser *p)
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

void
parser_append(struct parser *p, const char *s, size_t n)
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

void
config_set_builtins(const struct config_builtins *table)
{
	builtins = table;
}

const struct config_builtins *
config_builtins_given(void)
{
	return builtins;
}

const char *
servtab_name(const struct servtab *sep, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", sep->se_service, sep->se_proto);
	return buf;
}

const char *
servtab_where(const struct servtab *sep, char *buf, size_t size)
{
	char name[SVC_NAME_MAX];

	return msg_where(buf, size, sep->se_file, sep->se_line,
	    servtab_name(sep, name, sizeof(name)));
}

void
servtab_vreport(const struct servtab *sep, conf_report_fn *report,
    int priority, const char *fmt, va_list ap)
{
	char msg[CONF_MSG_MAX], where[SVC_WHERE_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	report(priority, "%s: %s", servtab_where(sep, where, sizeof(where)),
	    msg);
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
	options_free(sep);
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
