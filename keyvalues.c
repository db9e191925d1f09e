/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keyvalues.c: NetBSD's key-values notation of inetd.conf(5),
 *
 *	[listen-addr:]service-spec on|off key = value, key = v1 v2, ...;
 *
 * A definition may span lines and share them, and may hold comments.
 * Its NetBSD keys become the words of a positional line, which config.c
 * parses as it parses its own, so that a key means what its field
 * means; the keys of the limits and NetBSD's listener keys are applied
 * to the entry, and every other key goes to options.c's table.
 */

#include <sys/socket.h>

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "config.h"
#include "options.h"
#include "parser.h"

#define KV_MAXKEYS	64		/* keys in one definition */
#define KV_MAXVALUES	(2 * CONF_MAXARGS)	/* values of all its keys */

/* The NetBSD keys that make the words of the entry. */
enum kv_word {
	W_NONE = -1,
	W_BIND,
	W_SOCKTYPE,
	W_PROTOCOL,
	W_WAIT,
	W_USER,
	W_GROUP,
	W_EXEC,
	W_ARGS,
	W_NWORDS
};

struct kv_key {
	char		*name;
	int		 line;
	char		**value;	/* nvalue of them, in kv_def's */
	int		 nvalue;
};

/* One definition: its keys as written, then the entry they make. */
struct kv_def {
	struct entry	 e;
	char		*spec;		/* [listen-addr:]service-spec */
	int		 on;
	int		 line;		/* where the text is being read */
	struct kv_key	 key[KV_MAXKEYS];
	int		 nkey;
	char		*value[KV_MAXVALUES];
	int		 nvalue;
	struct kv_key	*word[W_NWORDS];
	char		 scratch[2 * CONF_LINE_MAX + 64];  /* composed words */
	size_t		 nscratch;
};

struct kv_row;
typedef int	 kv_apply_fn(struct kv_def *, const struct kv_key *,
		    const struct kv_row *);

static kv_apply_fn kv_size, kv_limit, kv_filter, kv_refuse;

/*
 * The keys parsed here: NetBSD's, and FreeBSD's positional limits.
 * Those of a word are NetBSD's fields; the others apply to the entry
 * once its fields are parsed, limits at offset in struct servtab.
 */
static const struct kv_row {
	const char	*name;
	enum kv_word	 word;
	kv_apply_fn	*apply;
	int		 one;		/* takes one value, no more */
	size_t		 offset;
	int		 max;
	const char	*what;
} kv_rows[] = {
	{ "bind",	W_BIND,		NULL, 1, 0, 0, NULL },
	{ "socktype",	W_SOCKTYPE,	NULL, 1, 0, 0, NULL },
	{ "protocol",	W_PROTOCOL,	NULL, 1, 0, 0, NULL },
	{ "wait",	W_WAIT,		NULL, 1, 0, 0, NULL },
	{ "user",	W_USER,		NULL, 1, 0, 0, NULL },
	{ "group",	W_GROUP,	NULL, 1, 0, 0, NULL },
	{ "exec",	W_EXEC,		NULL, 1, 0, 0, NULL },
	{ "args",	W_ARGS,		NULL, 0, 0, 0, NULL },
	{ "sndbuf",	W_NONE, kv_size, 1,
	    offsetof(struct servtab, se_sndbuf), 0, NULL },
	{ "recvbuf",	W_NONE, kv_size, 1,
	    offsetof(struct servtab, se_rcvbuf), 0, NULL },
	{ "acceptfilter", W_NONE, kv_filter, 0, 0, 0, NULL },
	{ "service_max", W_NONE, kv_limit, 1,
	    offsetof(struct servtab, se_maxrate), INT_MAX,
	    "invocations per minute" },
	{ "ip_max",	W_NONE, kv_limit, 1,
	    offsetof(struct servtab, se_maxcpm), INT_MAX,
	    "max-connections-per-ip-per-minute" },
	{ "accept_max",	W_NONE, kv_limit, 1,
	    offsetof(struct servtab, se_maxchild), CONF_MAXCHILD,
	    "max-child" },
	{ "max_child",	W_NONE, kv_limit, 1,
	    offsetof(struct servtab, se_maxchild), CONF_MAXCHILD,
	    "max-child" },
	{ "max_child_per_ip", W_NONE, kv_limit, 1,
	    offsetof(struct servtab, se_maxperip), INT_MAX,
	    "max-child-per-ip" },
	{ "max_conn_per_ip_per_minute", W_NONE, kv_limit, 1,
	    offsetof(struct servtab, se_maxcpm), INT_MAX,
	    "max-connections-per-ip-per-minute" },
	{ "ipsec",	W_NONE, kv_refuse, 0, 0, 0, NULL },
};

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

static void	 kv_report(struct parser *, int, const char *, const char *,
		    ...) __attribute__((format(printf, 4, 5)));
static void	 kv_error(struct kv_def *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	 kv_put(struct kv_def *, enum field, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static void
kv_report(struct parser *p, int line, const char *name, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	parser_vreport(p, line, name, fmt, ap);
	va_end(ap);
}

/* Before the entry has its words: "FILE:LINE: SERVICE-SPEC: what". */
static void
kv_error(struct kv_def *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	parser_vreport(d->e.p, d->line, d->spec, fmt, ap);
	va_end(ap);
}

int
kv_starts(const char *s, size_t n)
{
	size_t i = 0, spec;

	while (i < n && is_blank(s[i]))
		i++;
	if (i == n || s[i] == '#')
		return 0;
	while (i < n && !is_blank(s[i]))
		i++;
	spec = i;
	while (i < n && is_blank(s[i]))
		i++;
	if (i == spec)
		return 0;
	if (n - i >= 3 && memcmp(s + i, "off", 3) == 0)
		i += 3;
	else if (n - i >= 2 && memcmp(s + i, "on", 2) == 0)
		i += 2;
	else
		return 0;
	return i == n || is_blank(s[i]) || s[i] == ';' || s[i] == '#';
}

void
kv_begin(struct parser *p, int lineno)
{
	p->kv = 1;
	p->line = lineno;
	p->len = 0;
}

static const struct kv_row *
kv_row(const char *name)
{
	size_t i;

	for (i = 0; i < nitems(kv_rows); i++)
		if (strcmp(kv_rows[i].name, name) == 0)
			return &kv_rows[i];
	return NULL;
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/* NetBSD's escapes, in quotes: \\ \n \t \r \' \" \xHH. */
static int
kv_escape(struct kv_def *d, char **rp, char **wp)
{
	static const char from[] = "\\ntr'\"", to[] = "\\\n\t\r'\"";
	const char *hit;
	char *r = *rp + 1;
	int hi, lo;

	if (*r == 'x') {
		if ((hi = hex_digit(r[1])) == -1 ||
		    (lo = hex_digit(r[2])) == -1 || (hi | lo) == 0) {
			kv_error(d, "bad escape in a quoted value: \\x takes "
			    "two hexadecimal digits, not 00");
			return -1;
		}
		*(*wp)++ = hi << 4 | lo;
		*rp = r + 3;
		return 0;
	}
	if (*r == '\0' || *r == '\n' || (hit = strchr(from, *r)) == NULL) {
		kv_error(d, "unknown escape '\\%c' in a quoted value (there "
		    "are \\\\ \\n \\t \\r \\' \\\" \\xHH)",
		    *r > ' ' ? *r : '?');
		return -1;
	}
	*(*wp)++ = to[hit - from];
	*rp = r + 1;
	return 0;
}

/*
 * One value, its quotes and escapes undone in place (it only shrinks);
 * *endp is what ended it, *sp where the text goes on.
 */
static char *
kv_value(struct kv_def *d, char **sp, char *endp)
{
	char *r = *sp, *w = *sp, *start = *sp, quote;

	while (*r != '\0' && *r != ',' && *r != '\n' && !is_blank(*r)) {
		if (*r != '"' && *r != '\'') {
			*w++ = *r++;
			continue;
		}
		quote = *r++;
		while (*r != quote) {
			if (*r == '\0' || *r == '\n') {
				kv_error(d, "missing closing %c quote", quote);
				return NULL;
			}
			if (*r != '\\')
				*w++ = *r++;
			else if (kv_escape(d, &r, &w) == -1)
				return NULL;
		}
		r++;
	}
	*endp = *r;
	*sp = *r != '\0' ? r + 1 : r;
	*w = '\0';
	return start;
}

static char *
kv_skip(struct kv_def *d, char *s)
{
	for (; is_blank(*s) || *s == '\n'; s++)
		if (*s == '\n')
			d->line++;
	return s;
}

/* The values of key k, up to the ',' that ends it or the end. */
static int
kv_values(struct kv_def *d, struct kv_key *k, char **sp)
{
	char *s = *sp, *v, end;

	for (;;) {
		s = kv_skip(d, s);
		if (*s == '\0' || *s == ',') {
			s += *s == ',';
			break;
		}
		if (d->nvalue == KV_MAXVALUES) {
			kv_error(d, "more than %d values", KV_MAXVALUES);
			return -1;
		}
		if ((v = kv_value(d, &s, &end)) == NULL)
			return -1;
		d->value[d->nvalue++] = v;
		k->nvalue++;
		d->line += end == '\n';
		if (end == ',')
			break;
	}
	*sp = s;
	return 0;
}

/* "key = values, ..." up to the end of the definition. */
static int
kv_collect(struct kv_def *d, char *s)
{
	struct kv_key *k;
	char *name, *end;

	for (;;) {
		if (*(s = kv_skip(d, s)) == '\0')
			return 0;
		if (d->nkey == KV_MAXKEYS) {
			kv_error(d, "more than %d keys", KV_MAXKEYS);
			return -1;
		}
		k = &d->key[d->nkey];
		k->line = d->line;
		for (name = s; isalnum((unsigned char)*s) || *s == '_'; s++)
			continue;
		end = s;
		s = kv_skip(d, s);
		if (end == name || *s != '=') {
			kv_error(d, "expected 'key = value' at '%.*s'",
			    (int)strcspn(name, " \t\r\n"), name);
			return -1;
		}
		*end = '\0';
		k->name = name;
		k->value = d->value + d->nvalue;
		s++;
		if (kv_values(d, k, &s) == -1)
			return -1;
		d->nkey++;
	}
}

/*
 * "[listen-addr:]service-spec on|off", as kv_starts() found it, unless
 * a '#' in the service-spec began a comment.
 */
static char *
kv_head(struct kv_def *d, char *s)
{
	size_t len;

	while (is_blank(*s))
		s++;
	d->spec = s;
	s += strcspn(s, " \t\r\n");
	if (*s != '\0')
		*s++ = '\0';
	while (is_blank(*s))
		s++;
	len = strncmp(s, "off", 3) == 0 ? 3 : strncmp(s, "on", 2) == 0 ? 2 : 0;
	if (len == 0 || (s[len] != '\0' && s[len] != '\n' &&
	    !is_blank(s[len]))) {
		kv_error(d, "expected on or off after the service");
		return NULL;
	}
	d->on = len == 2;
	return s + len;
}

/* Word field of the entry, made in d->scratch. */
static int
kv_put(struct kv_def *d, enum field field, const char *fmt, ...)
{
	size_t room = sizeof(d->scratch) - d->nscratch;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(d->scratch + d->nscratch, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room) {
		kv_error(d, "definition too long");
		return -1;
	}
	d->e.word[field] = d->scratch + d->nscratch;
	d->nscratch += n + 1;
	return 0;
}

/* Each NetBSD key of a word once, with one value (args: any). */
static int
kv_index(struct kv_def *d)
{
	const struct kv_row *row;
	struct kv_key *k;
	int i;

	for (i = 0; i < d->nkey; i++) {
		k = &d->key[i];
		d->line = k->line;
		if ((row = kv_row(k->name)) == NULL)
			continue;
		if (row->one && k->nvalue != 1) {
			kv_error(d, "%s takes one value, not %d", k->name,
			    k->nvalue);
			return -1;
		}
		if (row->word == W_NONE)
			continue;
		if (d->word[row->word] != NULL) {
			kv_error(d, "%s is given twice", k->name);
			return -1;
		}
		d->word[row->word] = k;
	}
	return 0;
}

/* The service field: bind is the listen-addr prefix, IPv6 bracketed. */
static int
kv_service(struct kv_def *d)
{
	const struct kv_key *bind = d->word[W_BIND];
	const char *addr;

	if (bind == NULL)
		return kv_put(d, F_SERVICE, "%s", d->spec);
	d->line = bind->line;
	addr = bind->value[0];
	if (strcmp(d->e.word[F_PROTO], "unix") == 0) {
		kv_error(d, "bind: a UNIX socket has no listen address");
		return -1;
	}
	if (strchr(d->spec, ':') != NULL) {
		kv_error(d, "bind: the listen address is given twice");
		return -1;
	}
	/* An IPv6 address is bracketed, unless it was already. */
	return kv_put(d, F_SERVICE, addr[0] != '[' && strchr(addr, ':') !=
	    NULL ? "[%s]:%s" : "%s:%s", addr, d->spec);
}

/*
 * NetBSD's defaults: the socket type from tcp or udp; an entry without
 * exec is internal, and an internal one waits as its builtins do.
 */
static int
kv_defaults(struct kv_def *d)
{
	struct kv_key *k;
	const char *proto = d->e.word[F_PROTO];
	int internal;

	if ((k = d->word[W_SOCKTYPE]) != NULL)
		d->e.word[F_SOCKTYPE] = k->value[0];
	else if (kv_put(d, F_SOCKTYPE, "%s", strncmp(proto, "tcp", 3) == 0 ?
	    "stream" : strncmp(proto, "udp", 3) == 0 ? "dgram" : "") == -1)
		return -1;
	if (*d->e.word[F_SOCKTYPE] == '\0') {
		kv_error(d, "missing key socktype (protocol %s implies none)",
		    proto);
		return -1;
	}
	k = d->word[W_EXEC];
	internal = k == NULL || strcmp(k->value[0], "internal") == 0;
	if (kv_put(d, F_PROGRAM, "%s", k != NULL ? k->value[0] :
	    "internal") == -1)
		return -1;
	if ((k = d->word[W_WAIT]) != NULL) {
		d->line = k->line;
		if (strcmp(k->value[0], "yes") != 0 &&
		    strcmp(k->value[0], "no") != 0) {
			kv_error(d, "wait: expected yes or no, not '%s'",
			    k->value[0]);
			return -1;
		}
		return kv_put(d, F_WAIT, "%s", *k->value[0] == 'y' ? "wait" :
		    "nowait");
	}
	if (!internal) {
		kv_error(d, "missing key wait");
		return -1;
	}
	return kv_put(d, F_WAIT, "%s", strcmp(d->e.word[F_SOCKTYPE],
	    "dgram") == 0 ? "wait" : "nowait");
}

/* The words of a positional line, from the keys. */
static int
kv_words(struct kv_def *d)
{
	struct entry *e = &d->e;
	const struct kv_key *k, *group;
	int i;

	if (kv_index(d) == -1)
		return -1;
	d->line = e->line;
	if ((k = d->word[W_PROTOCOL]) == NULL || d->word[W_USER] == NULL) {
		kv_error(d, "missing key %s", k == NULL ? "protocol" : "user");
		return -1;
	}
	e->word[F_PROTO] = k->value[0];
	group = d->word[W_GROUP];
	if (kv_defaults(d) == -1 || kv_service(d) == -1 ||
	    kv_put(d, F_USER, "%s%s%s", d->word[W_USER]->value[0],
	    group != NULL ? ":" : "", group != NULL ? group->value[0] : "") ==
	    -1)
		return -1;
	e->nword = F_ARGS;
	if ((k = d->word[W_ARGS]) == NULL)
		return 0;
	if (k->nvalue > CONF_MAXARGS) {
		d->line = k->line;
		kv_error(d, "too many arguments (more than %d)", CONF_MAXARGS);
		return -1;
	}
	for (i = 0; i < k->nvalue; i++)
		e->word[e->nword++] = k->value[i];
	return 0;
}

static int
kv_size(struct kv_def *d, const struct kv_key *k, const struct kv_row *row)
{
	return entry_size(&d->e, k->name, k->value[0],
	    (int *)((char *)d->e.se + row->offset));
}

static int
kv_limit(struct kv_def *d, const struct kv_key *k, const struct kv_row *row)
{
	return entry_limit(&d->e, row->what, k->value[0], k->name, row->max,
	    (int *)((char *)d->e.se + row->offset));
}

static int
kv_filter(struct kv_def *d, const struct kv_key *k, const struct kv_row *row)
{
	(void)row;
	if (k->nvalue != 1) {
		entry_error(&d->e, "acceptfilter: expected a filter name%s",
		    k->nvalue > 1 ? " (arguments are not supported on Linux)" :
		    "");
		return -1;
	}
	if (d->e.se->se_deferaccept) {
		entry_error(&d->e, "acceptfilter is given twice");
		return -1;
	}
	if (entry_accept_filter(&d->e, k->value[0]) == -1)
		return -1;
	return entry_check_listener(&d->e);
}

static int
kv_refuse(struct kv_def *d, const struct kv_key *k, const struct kv_row *row)
{
	(void)row;
	entry_error(&d->e, "%s: not supported on Linux", k->name);
	return -1;
}

/* A key that is no NetBSD word: ours, or options.c's, or unknown. */
static int
kv_option(struct kv_def *d, const struct kv_key *k)
{
	const struct kv_row *row = kv_row(k->name);
	char why[CONF_MSG_MAX];
	int rc;

	if (row != NULL)
		return row->word != W_NONE ? 0 : row->apply(d, k, row);
	rc = option_set(d->e.se, k->name, k->value, k->nvalue, why,
	    sizeof(why));
	if (rc == 0)
		entry_error(&d->e, "unknown key '%s'", k->name);
	else if (rc == -1)
		entry_error(&d->e, "%s: %s", k->name, why);
	return rc == 1 ? 0 : -1;
}

/* Every key is tried, so that one -t reports all the bad ones. */
static int
kv_options(struct kv_def *d)
{
	char why[256];
	int i, line = d->e.line, rc = 0;

	for (i = 0; i < d->nkey; i++) {
		d->e.line = d->key[i].line;
		if (kv_option(d, &d->key[i]) == -1)
			rc = -1;
	}
	d->e.line = line;
	if (rc == 0 && (d->e.se->se_sndbuf != 0 || d->e.se->se_rcvbuf != 0))
		rc = entry_check_listener(&d->e);
	/* Once all keys are in, whatever their order. */
	if (rc == 0 && options_check(d->e.se, why, sizeof(why)) == -1) {
		entry_error(&d->e, "%s", why);
		rc = -1;
	}
	return rc;
}

/* The text of a whole definition, in p->buf. */
static void
kv_parse(struct parser *p)
{
	struct kv_def *d;
	char *rest;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		kv_report(p, p->line, NULL, "out of memory");
		return;
	}
	d->e.p = p;
	d->e.line = d->line = p->line;
	if ((rest = kv_head(d, p->buf)) != NULL && kv_collect(d, rest) == 0 &&
	    kv_words(d) == 0 &&
	    entry_fields(&d->e) == 0) {
		if (kv_options(d) == 0) {
			d->e.se->se_off = !d->on;
			entry_add(&d->e);
		} else
			servtab_free(d->e.se);
	}
	free(d);
}

static void
kv_finish(struct parser *p)
{
	if (p->toolong)
		kv_report(p, p->line, NULL, "definition too long (more than "
		    "%d bytes without its comments)", CONF_LINE_MAX);
	else if (p->nul)
		kv_report(p, p->line, NULL, "definition contains a NUL byte");
	else {
		p->buf[p->len] = '\0';
		kv_parse(p);
	}
	p->kv = p->line = 0;
	p->len = 0;
	p->toolong = p->nul = 0;
}

/*
 * Comments go; quotes are kept for kv_value(), and a ';' or '#' in
 * them is text.  A quote ends with its line, where kv_value() finds
 * it open.
 */
size_t
kv_take(struct parser *p, const char *s, size_t n)
{
	size_t i;
	char quote = 0;

	if (p->len > 0)
		parser_append(p, "\n", 1);
	for (i = 0; i < n; i++) {
		if (quote != 0) {
			if (s[i] == '\\' && i + 1 < n)
				i++;
			else if (s[i] == quote)
				quote = 0;
		} else if (s[i] == '"' || s[i] == '\'')
			quote = s[i];
		else if (s[i] == '#')
			break;
		else if (s[i] == ';') {
			parser_append(p, s, i);
			kv_finish(p);
			return i + 1;
		}
	}
	parser_append(p, s, i);
	return n;
}

void
kv_end(struct parser *p)
{
	if (!p->kv)
		return;
	kv_report(p, p->line, NULL, "definition not ended by ';'");
	p->kv = p->line = 0;
	p->len = 0;
	p->toolong = p->nul = 0;
}
