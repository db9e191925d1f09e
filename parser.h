/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * parser.h: what the two notations of inetd.conf(5) share, config.c's
 * positional lines and keyvalues.c's key-values definitions, and
 * parse.c, which gives each line to its notation: the state of the file
 * being parsed, the entry being built, and the parsers of its fields,
 * so that a key means exactly what its field means.  Only these three
 * files include it; parse.c calls the other two, keyvalues.c config.c.
 */
#ifndef INETD_PARSER_H
#define INETD_PARSER_H

#include <stdarg.h>
#include <stddef.h>

#include "config.h"

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
	int		 kv;		/* collecting a key-values definition */
};

/*
 * The entry being built: from the words of one logical line, or from
 * the keys of a key-values definition put in the same words.
 */
struct entry {
	struct parser	*p;
	int		 line;
	char		*word[ENTRY_MAXWORDS];
	int		 nword;
	const char	*service;	/* name, port or path, inside a word */
	int		 internal;
	struct servtab	*se;
};

/* config.c */
void		 parser_vreport(struct parser *p, int line, const char *name,
		    const char *fmt, va_list ap)
		    __attribute__((format(printf, 4, 0)));
void		 parser_warn(struct parser *p, int line, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
void		 parser_append(struct parser *p, const char *s, size_t n);
/* The positional entry collected, if any, parsed and added. */
void		 positional_finish(struct parser *p);
void		 entry_error(struct entry *e, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* e->word[] to a new e->se, or -1 after reporting; then add it. */
int		 entry_fields(struct entry *e);
void		 entry_add(struct entry *e);
/* A limit once: 0, or -1 after reporting; in names the text, or NULL. */
int		 entry_limit(struct entry *e, const char *what, const char *s,
		    const char *in, int max, int *limit);
/* With listenopts.c's values, once each, and the socket they need. */
int		 entry_size(struct entry *e, const char *what, const char *s,
		    int *size);
int		 entry_accept_filter(struct entry *e, const char *name);
int		 entry_check_listener(struct entry *e);

/* keyvalues.c */
/* Whether the line starts "[listen-addr:]service-spec on|off". */
int		 kv_starts(const char *s, size_t n);
void		 kv_begin(struct parser *p, int lineno);
/*
 * A line of the definition being collected: the bytes it took, n unless
 * its ';' ended the definition, and something may follow on the line.
 */
size_t		 kv_take(struct parser *p, const char *s, size_t n);
/* At the end of the text: a definition without its ';'. */
void		 kv_end(struct parser *p);

#endif /* INETD_PARSER_H */
