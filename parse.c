/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * parse.c: config_parse(), the text of one file line by line, each line
 * given to the notation it is in: a positional entry (config.c) with its
 * continuation lines, or a key-values definition (keyvalues.c) up to its
 * ';', after which the line may go on.  Pure: no I/O, no look-ups.
 * config_entry(): the fields of one entry another notation read
 * (xinetd.c), parsed as config.c parses a line's.
 */

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "config.h"
#include "parser.h"

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
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
 * One physical line (without its newline), outside of a key-values
 * definition.  A comment or blank line ends the entry before it; a line
 * starting with a blank continues it.  Returns 1 when the line starts a
 * key-values definition instead, which the caller gives it.
 */
static int
take_positional(struct parser *p, const char *s, size_t n, int lineno)
{
	if (n > 0 && s[0] == '#') {
		positional_finish(p);
		if (n > 1 && s[1] == '@')
			parser_warn(p, lineno, "IPsec policy lines are not "
			    "supported on Linux, ignored");
		return 0;
	}
	if (is_blank_line(s, n)) {
		positional_finish(p);
		return 0;
	}
	if ((s[0] != ' ' && s[0] != '\t') || p->line == 0) {
		positional_finish(p);
		if (kv_starts(s, n)) {
			kv_begin(p, lineno);
			return 1;
		}
	}
	if (s[0] == ' ' || s[0] == '\t') {
		if (p->line == 0) {
			p->line = lineno;
			p->orphan = 1;
		}
		parser_append(p, "\n", 1);
	} else
		p->line = lineno;
	parser_append(p, s, n);
	return 0;
}

/*
 * A key-values definition takes lines until its ';', after which the
 * line may go on with another definition or a positional entry.
 */
static void
take_line(struct parser *p, const char *s, size_t n, int lineno)
{
	size_t used;

	for (;;) {
		if (!p->kv && !take_positional(p, s, n, lineno))
			return;
		used = kv_take(p, s, n);
		for (s += used, n -= used; n > 0 && is_space(*s); s++, n--)
			continue;
		if (n == 0)
			return;
	}
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
	kv_end(p);
	positional_finish(p);
	list = p->head;
	free(p->defhost);
	free(p);
	return list;
}

struct servtab *
config_entry(char **words, int nwords, const char *file, int line,
    const char *defhost, conf_report_fn *report)
{
	struct parser p;
	struct entry e;

	memset(&p, 0, sizeof(p));
	p.file = file;
	p.report = report;
	/* Not changed: no "HOST:" line is parsed here. */
	if (defhost != NULL && strcmp(defhost, "*") != 0)
		p.defhost = (char *)defhost;
	memset(&e, 0, sizeof(e));
	e.p = &p;
	e.line = line;
	if (nwords < F_ARGS || nwords > ENTRY_MAXWORDS) {
		entry_error(&e, "expected %d to %d fields, got %d", F_ARGS,
		    ENTRY_MAXWORDS, nwords);
		return NULL;
	}
	memcpy(e.word, words, nwords * sizeof(*words));
	e.nword = nwords;
	return entry_fields(&e) == 0 ? e.se : NULL;
}
