/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * xinetd.h: xinetd's configuration format (xinetd.conf(5)) read as a
 * second notation, so that the files of a dead daemon keep working.
 *
 * Like config_parse(), xinetd_parse() is a pure function of the text:
 * each "service NAME { }" block becomes the fields of a positional line
 * that config_entry() parses, so that a field means here what it means
 * in inetd.conf; attributes that have no field go through option_set().
 * Files, "include" and "includedir" are load.c's.
 */
#ifndef INETD_XINETD_H
#define INETD_XINETD_H

#include <stddef.h>

#include "config.h"

#define XINETD_MAXVALUES CONF_MAXARGS	/* values of one attribute */

/*
 * The "defaults { }" block: it applies to the services after it, in
 * its file and in the files read after that one in the same load.
 */
struct xinetd_defaults;

/*
 * Whether text is in xinetd's format: its first line that is neither
 * blank nor a comment starts a "service" or "defaults" block, or is an
 * "includedir" line.
 */
int		 xinetd_detect(const char *text, size_t len);

/*
 * The entries of the services of text, in file order, and a node for
 * each "include" and "includedir" line (se_include, se_include_xinetd).
 * *defs carries the defaults from file to file: NULL before the first;
 * xinetd_defaults_free() at the end of the load.  Disabled services
 * are checked, reported at LOG_DEBUG and left out.
 */
struct servtab	*xinetd_parse(const char *text, size_t len, const char *file,
		    const char *defhost, struct xinetd_defaults **defs,
		    conf_report_fn *report);

void		 xinetd_defaults_free(struct xinetd_defaults *defs);

#endif /* INETD_XINETD_H */
