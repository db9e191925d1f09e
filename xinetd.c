/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * xinetd.c: read xinetd's configuration format (xinetd.h).
 *
 * A block's attributes are collected first, its defaults' copied in
 * before them, so that "=", "+=" and "-=" mean what they mean in
 * xinetd; the service is then built from them in one place.  Every
 * attribute is applied or reported with the FILE:LINE it was written
 * at: an attribute that would let in a client xinetd refuses
 * (access_times, an only_from not understood, a bad bind) refuses the
 * entry, one that changes nothing of who may connect is a warning.
 */

#include <sys/socket.h>

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "config.h"
#include "options.h"
#include "util.h"
#include "xinetd.h"

/* Where a block keeps the values of its attributes. */
enum slot {
	S_SOCKET_TYPE, S_PROTOCOL, S_WAIT, S_USER, S_GROUP, S_SERVER,
	S_SERVER_ARGS, S_PORT, S_BIND, S_TYPE, S_ID, S_DISABLE, S_FLAGS,
	S_V6ONLY, S_INSTANCES, S_PER_SOURCE, S_CPS, S_REDIRECT, S_GROUPS,
	S_DISABLED, S_ENABLED, S_ACCESS_TIMES, S_RPC,
	/* Given to option_set() under the attribute's name. */
	S_ONLY_FROM, S_NO_ACCESS, S_ENV, S_PASSENV, S_NICE, S_UMASK,
	S_RLIMIT_AS, S_RLIMIT_CPU, S_RLIMIT_DATA, S_RLIMIT_RSS,
	S_RLIMIT_STACK, S_RLIMIT_FILES, S_RLIMIT_NPROC, S_RLIMIT_CORE,
	S_RLIMIT_FSIZE,
	S_COUNT,
	S_NONE = S_COUNT	/* not kept: reported where it is written */
};
#define S_FIRST_OPTION	S_ONLY_FROM

/* Row flags. */
#define A_SERVICE	0x01	/* may be in a service block */
#define A_DEFAULTS	0x02	/* may be in the defaults block */
#define A_ONE		0x04	/* takes one value */
#define A_ACCESS	0x08	/* who may connect: refused if unknown */
#define A_BOTH		(A_SERVICE | A_DEFAULTS)

static const struct attr_row {
	const char	*name;
	enum slot	 slot;
	int		 flags;
	const char	*why;	/* S_NONE: why it is not applied */
} attr_rows[] = {
	{ "socket_type", S_SOCKET_TYPE, A_SERVICE | A_ONE, NULL },
	{ "protocol", S_PROTOCOL, A_SERVICE | A_ONE, NULL },
	{ "wait", S_WAIT, A_SERVICE | A_ONE, NULL },
	{ "user", S_USER, A_SERVICE | A_ONE, NULL },
	{ "group", S_GROUP, A_SERVICE | A_ONE, NULL },
	{ "server", S_SERVER, A_SERVICE | A_ONE, NULL },
	{ "server_args", S_SERVER_ARGS, A_SERVICE, NULL },
	{ "port", S_PORT, A_SERVICE | A_ONE, NULL },
	{ "bind", S_BIND, A_BOTH | A_ONE, NULL },
	{ "interface", S_BIND, A_BOTH | A_ONE, NULL },
	{ "type", S_TYPE, A_SERVICE, NULL },
	{ "id", S_ID, A_SERVICE | A_ONE, NULL },
	{ "disable", S_DISABLE, A_SERVICE | A_ONE, NULL },
	{ "flags", S_FLAGS, A_SERVICE, NULL },
	{ "v6only", S_V6ONLY, A_BOTH | A_ONE, NULL },
	{ "instances", S_INSTANCES, A_BOTH | A_ONE, NULL },
	{ "per_source", S_PER_SOURCE, A_BOTH | A_ONE, NULL },
	{ "cps", S_CPS, A_BOTH, NULL },
	{ "redirect", S_REDIRECT, A_SERVICE, NULL },
	{ "groups", S_GROUPS, A_BOTH | A_ONE, NULL },
	{ "disabled", S_DISABLED, A_DEFAULTS, NULL },
	{ "enabled", S_ENABLED, A_DEFAULTS, NULL },
	{ "access_times", S_ACCESS_TIMES, A_BOTH | A_ACCESS, NULL },
	{ "rpc_version", S_RPC, A_SERVICE, NULL },
	{ "rpc_number", S_RPC, A_SERVICE, NULL },
	{ "only_from", S_ONLY_FROM, A_BOTH | A_ACCESS, NULL },
	{ "no_access", S_NO_ACCESS, A_BOTH | A_ACCESS, NULL },
	{ "env", S_ENV, A_SERVICE, NULL },
	{ "passenv", S_PASSENV, A_BOTH, NULL },
	{ "nice", S_NICE, A_SERVICE | A_ONE, NULL },
	{ "umask", S_UMASK, A_BOTH | A_ONE, NULL },
	{ "rlimit_as", S_RLIMIT_AS, A_SERVICE | A_ONE, NULL },
	{ "rlimit_cpu", S_RLIMIT_CPU, A_SERVICE | A_ONE, NULL },
	{ "rlimit_data", S_RLIMIT_DATA, A_SERVICE | A_ONE, NULL },
	{ "rlimit_rss", S_RLIMIT_RSS, A_SERVICE | A_ONE, NULL },
	{ "rlimit_stack", S_RLIMIT_STACK, A_SERVICE | A_ONE, NULL },
	{ "rlimit_files", S_RLIMIT_FILES, A_SERVICE | A_ONE, NULL },
	{ "rlimit_nproc", S_RLIMIT_NPROC, A_SERVICE | A_ONE, NULL },
	{ "rlimit_core", S_RLIMIT_CORE, A_SERVICE | A_ONE, NULL },
	{ "rlimit_fsize", S_RLIMIT_FSIZE, A_SERVICE | A_ONE, NULL },
	{ "banner", S_NONE, A_BOTH,
	    "no banner is sent" },
	{ "banner_success", S_NONE, A_BOTH,
	    "no banner is sent" },
	{ "banner_fail", S_NONE, A_BOTH,
	    "no banner is sent; refused clients are closed at once" },
	{ "log_type", S_NONE, A_BOTH,
	    "inetd logs to syslog's daemon facility (auth for refusals)" },
	{ "log_on_success", S_NONE, A_BOTH,
	    "inetd -l logs each connection and its address; the exit "
	    "status of servers is always logged when not 0" },
	{ "log_on_failure", S_NONE, A_BOTH,
	    "refused clients are always logged with their address" },
	{ "max_load", S_NONE, A_BOTH,
	    "the load average is not watched: the service keeps accepting" },
	{ "deny_time", S_NONE, A_BOTH,
	    "it only applies with flags SENSOR, which is refused" },
	{ "libwrap", S_NONE, A_SERVICE,
	    "with -w, tcp wrappers check a server under its program's name" },
	{ "mdns", S_NONE, A_BOTH,
	    "inetd registers nothing with mDNS" },
};

/* The values of one attribute, and where they were last written. */
struct values {
	char		*file;		/* the block's, or xp->file */
	int		 line;		/* 0: not given */
	int		 n;
	char		*v[XINETD_MAXVALUES];
};

struct block {
	struct values	 a[S_COUNT];
	/*
	 * The defaults outlive the file they were read from: their values
	 * own a copy of its name, which a service's copies point to.
	 */
	int		 owns_files;
	int		 bad;		/* an attribute was refused */
};

struct xinetd_defaults {
	struct block	 b;
};

/* One file being parsed. */
struct xparser {
	const char	*file;
	const char	*defhost;
	conf_report_fn	*report;
	struct xinetd_defaults **defs;
	struct servtab	*head;
	struct servtab	**tail;
	struct block	*blk;		/* the block being read, or NULL */
	char		*name;		/* its service name; NULL: defaults */
	int		 line;		/* where it starts */
	int		 open;		/* its '{' was seen */
};

/* A service being built from its block. */
struct xservice {
	struct xparser	*xp;
	struct block	*b;
	const char	*name;		/* "NAME/PROTO" for messages */
	char		 namebuf[SVC_NAME_MAX];
	int		 internal;
	int		 nameinargs;
	int		 v4, v6;	/* flags IPv4, IPv6 */
	int		 bad;
};

static void	 report_at(struct xparser *, int, const char *, int,
		    const char *, const char *, ...)
		    __attribute__((format(printf, 6, 7)));
static void	 svc_report(struct xservice *, int, enum slot, const char *,
		    ...) __attribute__((format(printf, 4, 5)));

static void
report_at(struct xparser *xp, int priority, const char *file, int line,
    const char *name, const char *fmt, ...)
{
	char where[FILE_LINE_MAX + SVC_NAME_MAX], msg[CONF_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	xp->report(priority, "%s: %s", msg_where(where, sizeof(where), file,
	    line, name), msg);
}

/* About an attribute of a service: its own FILE:LINE, or the block's. */
static void
svc_report(struct xservice *xs, int priority, enum slot slot,
    const char *fmt, ...)
{
	char where[FILE_LINE_MAX + SVC_NAME_MAX], msg[CONF_MSG_MAX];
	const struct values *v = slot < S_COUNT ? &xs->b->a[slot] : NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (v != NULL && v->line > 0)
		msg_where(where, sizeof(where), v->file, v->line, xs->name);
	else
		msg_where(where, sizeof(where), xs->xp->file, xs->xp->line,
		    xs->name);
	xs->xp->report(priority, "%s: %s", where, msg);
	if (priority <= LOG_ERR)
		xs->bad = 1;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static const struct attr_row *
attr_find(const char *name)
{
	size_t i;

	for (i = 0; i < nitems(attr_rows); i++)
		if (strcmp(attr_rows[i].name, name) == 0)
			return &attr_rows[i];
	return NULL;
}

static void
values_clear(struct block *b, struct values *v)
{
	while (v->n > 0)
		free(v->v[--v->n]);
	if (b->owns_files)
		free(v->file);
	v->file = NULL;
	v->line = 0;
}

static void
block_free(struct block *b)
{
	int i;

	if (b == NULL)
		return;
	for (i = 0; i < S_COUNT; i++)
		values_clear(b, &b->a[i]);
	if (!b->owns_files)
		free(b);
}

static int
values_add(struct values *v, const char *s)
{
	if (v->n == XINETD_MAXVALUES)
		return -1;
	if ((v->v[v->n] = strdup(s)) == NULL)
		return -1;
	v->n++;
	return 0;
}

static void
values_remove(struct values *v, const char *s)
{
	int i, j;

	for (i = 0; i < v->n; i++) {
		if (strcmp(v->v[i], s) != 0)
			continue;
		free(v->v[i]);
		for (j = i + 1; j < v->n; j++)
			v->v[j - 1] = v->v[j];
		v->n--;
		i--;
	}
}

/*
 * A new block: a service's starts as a copy of the defaults, a
 * defaults block is the defaults.  The names of files whose lines the
 * values come from live as long as the defaults.
 */
static struct block *
block_new(struct xparser *xp, int defaults)
{
	struct xinetd_defaults *d = *xp->defs;
	struct block *b;
	int i, j;

	if (defaults) {
		if (d == NULL && (d = *xp->defs = calloc(1, sizeof(*d))) ==
		    NULL)
			return NULL;
		d->b.owns_files = 1;
		return &d->b;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	for (i = 0; d != NULL && i < S_COUNT; i++) {
		b->a[i].file = d->b.a[i].file;
		b->a[i].line = d->b.a[i].line;
		for (j = 0; j < d->b.a[i].n; j++)
			if (values_add(&b->a[i], d->b.a[i].v[j]) == -1) {
				block_free(b);
				return NULL;
			}
	}
	return b;
}

static int
set_file(struct xparser *xp, struct block *b, struct values *v)
{
	char *copy;

	if (!b->owns_files) {
		v->file = (char *)xp->file;
		return 0;
	}
	if ((copy = strdup(xp->file)) == NULL)
		return -1;
	free(v->file);
	v->file = copy;
	return 0;
}

/* "=" replaces the values, "+=" adds to them, "-=" takes some out. */
static int
assign(struct xparser *xp, struct values *v, char op, char **words, int n)
{
	struct block *b = xp->blk;
	int i;

	if (op == '=')
		values_clear(b, v);
	for (i = 0; i < n; i++) {
		if (op == '-')
			values_remove(v, words[i]);
		else if (values_add(v, words[i]) == -1)
			return -1;
	}
	return set_file(xp, b, v);
}

/* Splits s at blanks into at most max words; -1 if it has more. */
static int
split(char *s, char **words, int max)
{
	int n = 0;

	for (;;) {
		while (is_blank(*s))
			s++;
		if (*s == '\0')
			return n;
		if (n == max)
			return -1;
		words[n++] = s;
		while (*s != '\0' && !is_blank(*s))
			s++;
		if (*s != '\0')
			*s++ = '\0';
	}
}

/* The row of name, if this block may hold it; NULL after reporting. */
static const struct attr_row *
attr_allowed(struct xparser *xp, const char *name, int lineno)
{
	const struct attr_row *row;
	const char *block = xp->name != NULL ? xp->name : "defaults";

	if ((row = attr_find(name)) == NULL)
		report_at(xp, LOG_ERR, xp->file, lineno, block,
		    "unknown attribute '%s'", name);
	else if (!(row->flags & (xp->name != NULL ? A_SERVICE :
	    A_DEFAULTS))) {
		report_at(xp, LOG_ERR, xp->file, lineno, block,
		    "%s is not allowed in %s", name, xp->name != NULL ?
		    "a service" : "defaults");
		row = NULL;
	}
	return row;
}

/* "name = values", "name += values" or "name -= values". */
static void
take_attribute(struct xparser *xp, char *s, int lineno)
{
	const char *block = xp->name != NULL ? xp->name : "defaults";
	const struct attr_row *row;
	char *words[XINETD_MAXVALUES], *name = s, *end, op;
	int n;

	s += strspn(s, "abcdefghijklmnopqrstuvwxyz_0123456789");
	end = s;
	while (is_blank(*s))
		s++;
	op = *s;
	if ((op == '+' || op == '-') && s[1] == '=')
		s += 2;
	else if (op == '=')
		s++;
	else
		op = '\0';
	*end = '\0';
	if (*name == '\0' || op == '\0') {
		report_at(xp, LOG_ERR, xp->file, lineno, block, "expected "
		    "ATTRIBUTE = VALUE, ATTRIBUTE += VALUE or ATTRIBUTE -= "
		    "VALUE");
		goto bad;
	}
	if ((row = attr_allowed(xp, name, lineno)) == NULL)
		goto bad;
	if ((n = split(s, words, XINETD_MAXVALUES)) == -1) {
		report_at(xp, LOG_ERR, xp->file, lineno, block, "%s: more "
		    "than %d values", name, XINETD_MAXVALUES);
		goto bad;
	}
	if (row->slot == S_NONE) {
		report_at(xp, LOG_WARNING, xp->file, lineno, block,
		    "%s is not applied: %s", name, row->why);
		return;
	}
	if ((row->flags & A_ONE) && (n != 1 || op != '=')) {
		report_at(xp, LOG_ERR, xp->file, lineno, block, "%s takes "
		    "one value, with '='", name);
		goto bad;
	}
	if (assign(xp, &xp->blk->a[row->slot], op, words, n) == -1) {
		report_at(xp, LOG_ERR, xp->file, lineno, block, "%s: out of "
		    "memory", name);
		goto bad;
	}
	xp->blk->a[row->slot].line = lineno;
	return;
bad:
	xp->blk->bad = 1;
}

/* The first value of an attribute that is given, or NULL. */
static const char *
value(const struct xservice *xs, enum slot slot)
{
	const struct values *v = &xs->b->a[slot];

	return v->line > 0 && v->n > 0 ? v->v[0] : NULL;
}

static int
given(const struct xservice *xs, enum slot slot)
{
	return xs->b->a[slot].line > 0;
}

static int
has_value(const struct values *v, const char *s)
{
	int i;

	for (i = 0; i < v->n; i++)
		if (strcmp(v->v[i], s) == 0)
			return 1;
	return 0;
}

/* yes or no, or dflt when not given; -1 after reporting. */
static int
yes_no(struct xservice *xs, enum slot slot, const char *what, int dflt)
{
	const char *s = value(xs, slot);

	if (s == NULL)
		return dflt;
	if (strcmp(s, "yes") == 0)
		return 1;
	if (strcmp(s, "no") == 0)
		return 0;
	svc_report(xs, LOG_ERR, slot, "%s: expected yes or no, not '%s'", what,
	    s);
	return -1;
}

/* What a flag of the "flags" attribute becomes here. */
enum flag_kind { FL_APPLIED, FL_IPV4, FL_IPV6, FL_NAMEINARGS, FL_WARN,
	FL_REFUSE };

static const struct flag_row {
	const char	*name;
	enum flag_kind	 kind;
	const char	*why;
} flag_rows[] = {
	{ "REUSE", FL_APPLIED, NULL },		/* always set */
	{ "DISABLE", FL_APPLIED, NULL },	/* is_disabled() */
	{ "IPv4", FL_IPV4, NULL },
	{ "IPv6", FL_IPV6, NULL },
	{ "NAMEINARGS", FL_NAMEINARGS, NULL },
	{ "NODELAY", FL_WARN, "TCP_NODELAY is not set on connections" },
	{ "KEEPALIVE", FL_WARN, "SO_KEEPALIVE is not set on connections" },
	{ "NORETRY", FL_WARN, "a port that cannot be bound is retried "
	    "every 600 s" },
	{ "NOLIBWRAP", FL_WARN, "with -w or -W, tcp wrappers check it" },
	{ "LABELED", FL_WARN, "servers get no SELinux label" },
	{ "INTERCEPT", FL_REFUSE, "the clients of a wait server are not "
	    "checked after the first" },
	{ "SENSOR", FL_REFUSE, "no list of addresses to deny is kept" },
	{ "IDONLY", FL_REFUSE, "clients are not checked with identd" },
};

static void
take_flags(struct xservice *xs)
{
	const struct values *v = &xs->b->a[S_FLAGS];
	const struct flag_row *f;
	int i;

	for (i = 0; i < v->n; i++) {
		for (f = flag_rows; f < flag_rows + nitems(flag_rows); f++)
			if (strcmp(f->name, v->v[i]) == 0)
				break;
		if (f == flag_rows + nitems(flag_rows))
			svc_report(xs, LOG_ERR, S_FLAGS, "unknown flag '%s'",
			    v->v[i]);
		else if (f->kind == FL_IPV4)
			xs->v4 = 1;
		else if (f->kind == FL_IPV6)
			xs->v6 = 1;
		else if (f->kind == FL_NAMEINARGS)
			xs->nameinargs = 1;
		else if (f->kind == FL_WARN)
			svc_report(xs, LOG_WARNING, S_FLAGS, "flag %s is not "
			    "applied: %s", f->name, f->why);
		else if (f->kind == FL_REFUSE)
			svc_report(xs, LOG_ERR, S_FLAGS, "flag %s is not "
			    "supported (%s): the entry is refused rather than "
			    "open to more clients", f->name, f->why);
	}
	if (xs->v4 && xs->v6)
		svc_report(xs, LOG_ERR, S_FLAGS, "flags IPv4 and IPv6 "
		    "together: one service is one socket here");
}

/*
 * Off by "disable = yes", by the flag DISABLE, or by the defaults'
 * "disabled" list or "enabled" list of ids.
 */
static int
is_disabled(struct xservice *xs)
{
	const char *id = value(xs, S_ID) != NULL ? value(xs, S_ID) :
	    xs->xp->name;

	return yes_no(xs, S_DISABLE, "disable", 0) == 1 ||
	    has_value(&xs->b->a[S_FLAGS], "DISABLE") ||
	    has_value(&xs->b->a[S_DISABLED], id) ||
	    (given(xs, S_ENABLED) && !has_value(&xs->b->a[S_ENABLED], id));
}

/* type = INTERNAL, UNLISTED, TCPMUX or TCPMUXPLUS; RPC is refused. */
static int
take_type(struct xservice *xs, int *unlisted, int *tcpmux)
{
	const struct values *v = &xs->b->a[S_TYPE];
	int i;

	for (i = 0; i < v->n; i++) {
		if (strcmp(v->v[i], "INTERNAL") == 0)
			xs->internal = 1;
		else if (strcmp(v->v[i], "UNLISTED") == 0)
			*unlisted = 1;
		else if (strcmp(v->v[i], "TCPMUX") == 0)
			*tcpmux = TCPMUX_PLAIN;
		else if (strcmp(v->v[i], "TCPMUXPLUS") == 0)
			*tcpmux = TCPMUX_PLUS;
		else {
			svc_report(xs, LOG_ERR, S_TYPE, strcmp(v->v[i],
			    "RPC") == 0 ? "RPC services are not supported" :
			    "unknown type '%s'", v->v[i]);
			return -1;
		}
	}
	return 0;
}

/* "[HOST:]SERVICE": the port, else the name; an IPv6 host in []. */
static int
compose_service(struct xservice *xs, char *buf, size_t size)
{
	const char *port = value(xs, S_PORT), *host = value(xs, S_BIND);
	const char *name = xs->xp->name;
	int unlisted = 0, tcpmux = TCPMUX_NONE;

	if (take_type(xs, &unlisted, &tcpmux) == -1)
		return -1;
	if (port != NULL && !all_digits(port)) {
		svc_report(xs, LOG_ERR, S_PORT, "port '%s' is not a number",
		    port);
		return -1;
	}
	if (unlisted && port == NULL) {
		svc_report(xs, LOG_ERR, S_TYPE, "an UNLISTED service needs a "
		    "port");
		return -1;
	}
	if (tcpmux != TCPMUX_NONE)
		snprintf(buf, size, "tcpmux/%s%s", tcpmux == TCPMUX_PLUS ?
		    "+" : "", name);
	else if (host == NULL)
		snprintf(buf, size, "%s", port != NULL ? port : name);
	else
		snprintf(buf, size, strchr(host, ':') != NULL ? "[%s]:%s" :
		    "%s:%s", host, port != NULL ? port : name);
	return 0;
}

/*
 * tcp or udp, from the socket type when not given.  IPv4 only, as
 * xinetd, unless IPv6 (flag, or a bind address): then one dual-stack
 * socket unless v6only = yes.  Plain tcp would be dual-stack here, and
 * open the service on addresses xinetd never listened on.
 */
static int
compose_protocol(struct xservice *xs, const char *socktype, char *buf,
    size_t size)
{
	const char *proto = value(xs, S_PROTOCOL), *host = value(xs, S_BIND);
	int v6only, v6 = xs->v6 || (!xs->v4 && host != NULL &&
	    strchr(host, ':') != NULL);

	if (proto == NULL)
		proto = strcmp(socktype, "stream") == 0 ? "tcp" :
		    strcmp(socktype, "dgram") == 0 ? "udp" : NULL;
	if (proto == NULL || (strcmp(proto, "tcp") != 0 &&
	    strcmp(proto, "udp") != 0)) {
		svc_report(xs, LOG_ERR, S_PROTOCOL, "protocol %s: expected "
		    "tcp or udp", proto != NULL ? proto : "not given");
		return -1;
	}
	if ((v6only = yes_no(xs, S_V6ONLY, "v6only", 0)) == -1)
		return -1;
	snprintf(buf, size, "%s%s", proto, !v6 ? "4" : v6only ? "6" : "46");
	return 0;
}

/* The fields of the line, as config_entry() takes them. */
struct words {
	char	*w[CONF_FIELDS + CONF_MAXARGS + 1];
	int	 n;
	int	 toomany;	/* more words than w[] holds */
	char	 service[SVC_NAME_MAX];
	char	 proto[16];
	char	 user[2 * LOGIN_NAME_MAX + 2];
	char	 target[CONF_MSG_MAX];
};

static int
compose_user(struct xservice *xs, struct words *w)
{
	const char *user = value(xs, S_USER), *group = value(xs, S_GROUP);

	if (user == NULL && !xs->internal && !given(xs, S_REDIRECT)) {
		svc_report(xs, LOG_ERR, S_COUNT, "missing user (xinetd needs "
		    "one for a server it starts as root)");
		return -1;
	}
	/* The builtins run in the daemon, whatever the user. */
	snprintf(w->user, sizeof(w->user), "%s%s%s", user != NULL ? user :
	    "root", group != NULL ? ":" : "", group != NULL ? group : "");
	return 0;
}

static void
add_word(struct words *w, char *s)
{
	if (w->n < (int)nitems(w->w) - 1)
		w->w[w->n++] = s;
	else
		w->toomany = 1;
}

/* redirect = HOST PORT: the forward builtin. */
static int
compose_redirect(struct xservice *xs, struct words *w)
{
	const struct values *v = &xs->b->a[S_REDIRECT];

	if (v->n != 2) {
		svc_report(xs, LOG_ERR, S_REDIRECT, "redirect: expected HOST "
		    "PORT");
		return -1;
	}
	snprintf(w->target, sizeof(w->target), strchr(v->v[0], ':') !=
	    NULL ? "[%s]:%s" : "%s:%s", v->v[0], v->v[1]);
	add_word(w, "internal");
	add_word(w, "forward");
	add_word(w, w->target);
	return 0;
}

/*
 * A builtin by its service name; a server with argv[0] its basename
 * and server_args, or server_args alone with NAMEINARGS.
 */
static int
compose_program(struct xservice *xs, struct words *w)
{
	const struct values *args = &xs->b->a[S_SERVER_ARGS];
	char *server = (char *)value(xs, S_SERVER), *base;
	int i;

	if (given(xs, S_REDIRECT))
		return compose_redirect(xs, w);
	if (xs->internal) {
		add_word(w, "internal");
		add_word(w, xs->xp->name);
		return 0;
	}
	if (server == NULL) {
		svc_report(xs, LOG_ERR, S_COUNT, "missing server");
		return -1;
	}
	add_word(w, server);
	if (!xs->nameinargs) {
		base = strrchr(server, '/');
		add_word(w, base != NULL && base[1] != '\0' ? base + 1 :
		    server);
	}
	for (i = 0; i < args->n; i++)
		add_word(w, args->v[i]);
	return 0;
}

/* The words of the positional line; -1 after reporting. */
static int
compose(struct xservice *xs, struct words *w)
{
	char *socktype = (char *)value(xs, S_SOCKET_TYPE);
	int wait;

	if (socktype == NULL) {
		svc_report(xs, LOG_ERR, S_COUNT, "missing socket_type");
		return -1;
	}
	take_flags(xs);
	if (xs->bad || compose_service(xs, w->service,
	    sizeof(w->service)) == -1 || compose_protocol(xs, socktype,
	    w->proto, sizeof(w->proto)) == -1)
		return -1;
	snprintf(xs->namebuf, sizeof(xs->namebuf), "%s/%s", xs->xp->name,
	    w->proto);
	xs->name = xs->namebuf;
	if (!given(xs, S_WAIT) && !xs->internal && !given(xs, S_REDIRECT)) {
		svc_report(xs, LOG_ERR, S_COUNT, "missing wait");
		return -1;
	}
	if ((wait = yes_no(xs, S_WAIT, "wait", strcmp(socktype, "dgram") ==
	    0)) == -1 || compose_user(xs, w) == -1)
		return -1;
	w->n = 0;
	add_word(w, w->service);
	add_word(w, socktype);
	add_word(w, w->proto);
	add_word(w, wait ? "wait" : "nowait");
	add_word(w, w->user);
	if (compose_program(xs, w) == -1)
		return -1;
	if (w->toomany) {
		svc_report(xs, LOG_ERR, S_SERVER_ARGS, "too many arguments "
		    "(more than %d)", CONF_MAXARGS);
		return -1;
	}
	return 0;
}

/* A number, or UNLIMITED (0: no limit), at most max. */
static void
take_limit(struct xservice *xs, enum slot slot, const char *what, int max,
    int *limit)
{
	const char *s = value(xs, slot), *errstr;
	int n;

	if (s == NULL)
		return;
	if (strcmp(s, "UNLIMITED") == 0) {
		*limit = 0;
		return;
	}
	n = strtonum(s, 0, max, &errstr);
	if (errstr != NULL)
		svc_report(xs, LOG_ERR, slot, "%s: '%s' is not a number from 0 "
		    "to %d or UNLIMITED", what, s, max);
	else
		*limit = n;
}

/*
 * cps = RATE PAUSE: RATE a second, as servers a minute; past it,
 * clients wait in the listen queue rather than the service closing.
 */
static void
take_cps(struct xservice *xs, struct servtab *sep)
{
	const struct values *v = &xs->b->a[S_CPS];
	const char *errstr;
	int rate;

	if (v->line == 0)
		return;
	rate = v->n == 2 ? strtonum(v->v[0], 1, INT_MAX / 60, &errstr) : 0;
	if (v->n != 2 || errstr != NULL) {
		svc_report(xs, LOG_ERR, S_CPS, "cps: expected RATE PAUSE, "
		    "RATE from 1 to %d", INT_MAX / 60);
		return;
	}
	sep->se_maxrate = rate * 60;
	svc_report(xs, LOG_WARNING, S_CPS, "cps: at most %d servers a "
	    "minute; past that, clients wait in the listen queue (the %s s "
	    "pause is not applied)", sep->se_maxrate, v->v[1]);
}

/* The first row of a slot: an option's key is its attribute's name. */
static const struct attr_row *
slot_row(enum slot slot)
{
	size_t i;

	for (i = 0; i < nitems(attr_rows) - 1; i++)
		if (attr_rows[i].slot == slot)
			break;
	return &attr_rows[i];
}

/* The attributes that are per-service options (options.h). */
static void
take_options(struct xservice *xs, struct servtab *sep)
{
	const struct attr_row *row;
	char why[CONF_MSG_MAX];
	enum slot slot;
	int rc;

	for (slot = S_FIRST_OPTION; slot < S_COUNT; slot++) {
		if (!given(xs, slot))
			continue;
		row = slot_row(slot);
		rc = option_set(sep, row->name, xs->b->a[slot].v,
		    xs->b->a[slot].n, why, sizeof(why));
		if (rc == -1)
			svc_report(xs, LOG_ERR, slot, "%s: %s", row->name, why);
		else if (rc == 0 && (row->flags & A_ACCESS))
			svc_report(xs, LOG_ERR, slot, "%s is not supported: "
			    "the entry is refused rather than open to every "
			    "client", row->name);
		else if (rc == 0)
			svc_report(xs, LOG_WARNING, slot, "%s is not "
			    "supported: not applied", row->name);
	}
	/* Once all are in: an option that cannot work on such an entry. */
	if (!xs->bad && options_check(sep, why, sizeof(why)) == -1)
		svc_report(xs, LOG_ERR, S_COUNT, "%s", why);
}

/* What the positional fields have no room for. */
static void
take_rest(struct xservice *xs, struct servtab *sep)
{
	if (given(xs, S_ACCESS_TIMES))
		svc_report(xs, LOG_ERR, S_ACCESS_TIMES, "access_times is not "
		    "supported: the entry is refused rather than open at all "
		    "hours");
	if (given(xs, S_RPC))
		svc_report(xs, LOG_ERR, S_RPC, "RPC services are not "
		    "supported");
	if (yes_no(xs, S_GROUPS, "groups", 1) == 0)
		svc_report(xs, LOG_WARNING, S_GROUPS, "groups = no is not "
		    "applied: servers always get their user's groups");
	take_limit(xs, S_INSTANCES, "instances", CONF_MAXCHILD,
	    &sep->se_maxchild);
	take_limit(xs, S_PER_SOURCE, "per_source", INT_MAX,
	    &sep->se_maxperip);
	take_cps(xs, sep);
	take_options(xs, sep);
}

/* The entry of the service block just closed, added to the list. */
static void
build_service(struct xparser *xp)
{
	struct xservice xs;
	struct words w;
	struct servtab *sep;

	memset(&xs, 0, sizeof(xs));
	memset(&w, 0, sizeof(w));
	xs.xp = xp;
	xs.b = xp->blk;
	xs.name = xp->name;
	if (xs.b->bad)
		return;
	if (is_disabled(&xs)) {
		report_at(xp, LOG_DEBUG, xp->file, xp->line, xp->name,
		    "disabled, not opened");
		return;
	}
	if (compose(&xs, &w) == -1)
		return;
	w.w[w.n] = NULL;
	if ((sep = config_entry(w.w, w.n, xp->file, xp->line, xp->defhost,
	    xp->report)) == NULL)
		return;
	take_rest(&xs, sep);
	if (xs.bad) {
		servtab_free(sep);
		return;
	}
	*xp->tail = sep;
	xp->tail = &sep->se_next;
}

/* The block just closed, or dropped at the end of the text. */
static void
end_block(struct xparser *xp)
{
	if (xp->name != NULL) {
		build_service(xp);
		block_free(xp->blk);
	}
	free(xp->name);
	xp->name = NULL;
	xp->blk = NULL;
	xp->open = 0;
}

/* "include PATH" or "includedir DIR": a node that load.c follows. */
static void
add_include(struct xparser *xp, const char *path, int lineno)
{
	struct servtab *sep;

	if ((sep = calloc(1, sizeof(*sep))) == NULL ||
	    (sep->se_file = strdup(xp->file)) == NULL ||
	    (sep->se_include = strdup(path)) == NULL) {
		report_at(xp, LOG_ERR, xp->file, lineno, NULL, "out of memory");
		servtab_free(sep);
		return;
	}
	sep->se_fd = -1;
	sep->se_line = lineno;
	sep->se_include_xinetd = 1;
	*xp->tail = sep;
	xp->tail = &sep->se_next;
}

static void
begin_block(struct xparser *xp, const char *name, int lineno)
{
	if (name != NULL && (xp->name = strdup(name)) == NULL) {
		report_at(xp, LOG_ERR, xp->file, lineno, name, "out of memory");
		return;
	}
	if ((xp->blk = block_new(xp, name == NULL)) == NULL) {
		report_at(xp, LOG_ERR, xp->file, lineno, name, "out of memory");
		free(xp->name);
		xp->name = NULL;
		return;
	}
	xp->line = lineno;
}

/* A line outside any block. */
static void
take_top(struct xparser *xp, char *s, int lineno)
{
	char *word[4];
	int n = split(s, word, nitems(word));
	int brace = n > 0 && strcmp(word[n - 1], "{") == 0;

	if (n >= 2 && n - brace == 2 && strcmp(word[0], "service") == 0)
		begin_block(xp, word[1], lineno);
	else if (n >= 1 && n - brace == 1 && strcmp(word[0], "defaults") == 0)
		begin_block(xp, NULL, lineno);
	else if (n == 2 && (strcmp(word[0], "include") == 0 ||
	    strcmp(word[0], "includedir") == 0)) {
		add_include(xp, word[1], lineno);
		return;
	} else {
		report_at(xp, LOG_ERR, xp->file, lineno, NULL, "expected "
		    "\"service NAME\", \"defaults\", \"include FILE\" or "
		    "\"includedir DIR\"");
		return;
	}
	xp->open = brace;
}

/*
 * A comment runs from a '#' at the start of a word to the end of the
 * line.  xinetd takes it for values and drops the attribute; here the
 * attribute applies, and the difference is told.
 */
static void
strip_comment(struct xparser *xp, char *s, int lineno)
{
	char *hash;

	for (hash = s; (hash = strchr(hash, '#')) != NULL; hash++)
		if (hash == s || is_blank(hash[-1]))
			break;
	if (hash == NULL)
		return;
	*hash = '\0';
	if (xp->blk != NULL && xp->open)
		report_at(xp, LOG_WARNING, xp->file, lineno, xp->name != NULL ?
		    xp->name : "defaults", "the comment at the end of the line "
		    "is ignored (xinetd ignores the whole attribute)");
}

static void
take_line(struct xparser *xp, char *s, int lineno)
{
	s += strspn(s, " \t");
	if (*s == '#')
		return;
	strip_comment(xp, s, lineno);
	s += strspn(s, " \t\r");
	if (*s == '\0')
		return;
	if (xp->blk != NULL && !xp->open) {
		if (s[0] == '{' && s[1 + strspn(s + 1, " \t\r")] == '\0') {
			xp->open = 1;
			return;
		}
		report_at(xp, LOG_ERR, xp->file, xp->line, xp->name, "expected "
		    "'{' on the line after \"service %s\"", xp->name != NULL ?
		    xp->name : "defaults");
		if (xp->blk != NULL)
			xp->blk->bad = 1;
		end_block(xp);
	}
	if (xp->blk == NULL)
		take_top(xp, s, lineno);
	else if (s[0] == '}' && s[1 + strspn(s + 1, " \t\r")] == '\0')
		end_block(xp);
	else
		take_attribute(xp, s, lineno);
}

struct servtab *
xinetd_parse(const char *text, size_t len, const char *file,
    const char *defhost, struct xinetd_defaults **defs,
    conf_report_fn *report)
{
	struct xparser xp;
	char line[CONF_LINE_MAX + 1];
	const char *nl;
	size_t off, n;
	int lineno = 0;

	memset(&xp, 0, sizeof(xp));
	xp.file = file;
	xp.defhost = defhost;
	xp.report = report;
	xp.defs = defs;
	xp.tail = &xp.head;
	for (off = 0; off < len; off += n + 1) {
		nl = memchr(text + off, '\n', len - off);
		n = nl != NULL ? (size_t)(nl - (text + off)) : len - off;
		if (lineno < INT_MAX)
			lineno++;
		if (n > CONF_LINE_MAX || memchr(text + off, '\0', n) != NULL) {
			report_at(&xp, LOG_ERR, file, lineno, NULL, "line %s",
			    n > CONF_LINE_MAX ? "too long" : "contains a NUL "
			    "byte");
			if (xp.blk != NULL)
				xp.blk->bad = 1;
			continue;
		}
		memcpy(line, text + off, n);
		line[n] = '\0';
		take_line(&xp, line, lineno);
	}
	if (xp.blk != NULL) {
		report_at(&xp, LOG_ERR, file, xp.line, xp.name, "missing '}'");
		xp.blk->bad = 1;
		end_block(&xp);
	}
	return xp.head;
}

/* The first line of text that is neither blank nor a comment. */
static size_t
first_line(const char *text, size_t len, const char **linep)
{
	const char *s = text, *end = text + len, *nl;

	for (; s < end; s = nl + 1) {
		while (s < end && (is_blank(*s) || *s == '\n'))
			s++;
		if (s == end)
			break;
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			nl = end;
		if (*s != '#') {
			*linep = s;
			return nl - s;
		}
	}
	return 0;
}

/*
 * A positional line has six words or more; xinetd's first line has
 * one or two, "{" aside.
 */
int
xinetd_detect(const char *text, size_t len)
{
	char line[CONF_LINE_MAX + 1], *word[4];
	const char *s = NULL;
	size_t n;
	int nw;

	if ((n = first_line(text, len, &s)) == 0 || n > CONF_LINE_MAX)
		return 0;
	memcpy(line, s, n);
	line[n] = '\0';
	if ((nw = split(line, word, nitems(word))) <= 0)
		return 0;
	if (strcmp(word[nw - 1], "{") == 0)
		nw--;
	return (nw == 2 && strcmp(word[0], "service") == 0) ||
	    (nw == 1 && strcmp(word[0], "defaults") == 0) ||
	    (nw == 2 && strcmp(word[0], "includedir") == 0);
}

void
xinetd_defaults_free(struct xinetd_defaults *defs)
{
	if (defs == NULL)
		return;
	block_free(&defs->b);
	free(defs);
}
