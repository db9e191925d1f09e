/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * load.h: configuration files read from disk, includes followed
 * (load.c), then resolved (config.h).
 */
#ifndef INETD_LOAD_H
#define INETD_LOAD_H

#include <sys/types.h>

#include <stdio.h>

#include "config.h"

/*
 * Read and parse a file; "include" lines are followed (a file, or a
 * directory's *.conf files in name order, and those of its files whose
 * names have no dot nor a final '~' that are in xinetd's format), and
 * their entries take the place of the line.  Nothing is looked up:
 * the fuzzer and the tests call it alone.  Only regular files are read,
 * each at most once, and at most CONF_LOAD_FILES of them.  Returns the
 * list, or NULL with *errp set to errno when the file cannot be read
 * (EISDIR for a directory); an empty file gives NULL and 0, and so does
 * a FIFO, device or socket, after it is reported.
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
 * inetd -t: config_load() as a reload would, binding nothing; the
 * problems go to the standard error.  With dump (-T), the entries that
 * load are printed to it (dump.h).  Returns the exit status: 0 when the
 * file has no error.
 */
int		 config_check(const char *path, const char *defhost,
		    uid_t euid, FILE *dump);

/*
 * A directory whose *.conf files config_load() reads after the file it
 * is given, as if that file ended with "include dir"; a missing
 * directory is no error.  NULL (the default): none.
 */
void		 config_set_includedir(const char *dir);

/*
 * Whether the file config_load() is given is read in xinetd's format
 * (xinetd.h) whatever its content (-x).  Any file, that one or an
 * included one, whose content is in that format is read so anyway.
 */
void		 config_set_xinetd(int on);

#endif /* INETD_LOAD_H */
