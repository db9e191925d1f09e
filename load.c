/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * load.c: read a configuration file and the files it includes.
 *
 * The parser (config.c) sees text only; this file owns everything about
 * files: opening without blocking on a FIFO, reading with a bound,
 * following "include" lines and the include directory, refusing loops
 * and files read twice.  config_load() then resolves what it read.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "dump.h"
#include "load.h"
#include "xinetd.h"

/* A larger file is a mistake (a log or an image), not a configuration. */
#define CONF_FILE_MAX	(64 * 1024 * 1024)
#define CONF_FILE_CHUNK	8192	/* first read when the size is unknown */

#define CONF_INCLUDE_DEPTH 8	/* files read at once: the first and 7 */
#define CONF_INCLUDE_FILES 1024	/* files read of an included directory */

/* How an included path is read. */
#define INC_FRAGMENT	0x1	/* a directory's file: a regular file */
#define INC_XINETD	0x2	/* in xinetd's format */
#define INC_PROBE	0x4	/* read only if in xinetd's format */

#define include_error(ld, from, line, path, ...) \
	include_report(ld, LOG_ERR, from, line, path, __VA_ARGS__)

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
	struct xinetd_defaults *xdefs;	/* xinetd's, from file to file */
};

/* Read after the file config_load() is given; see load.h. */
static const char *config_includedir;
/* The file config_load() is given is in xinetd's format (-x). */
static int config_xinetd;

static void	 include_report(struct loader *, int, const char *, int,
		    const char *, const char *, ...)
		    __attribute__((format(printf, 6, 7)));
static struct servtab *include_line(struct loader *,
		    const struct servtab *);
static struct servtab *include_path(struct loader *, const char *,
		    const char *, int, int);

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

/*
 * The file is on the stack of files being read while its text is.
 * Its notation is told by its content, unless how says it.
 */
static struct servtab *
load_text(struct loader *ld, const char *path, const char *text,
    size_t len, const struct stat *st, int how)
{
	struct servtab *list;

	ld->dev[ld->depth] = st->st_dev;
	ld->ino[ld->depth] = st->st_ino;
	ld->depth++;
	if ((how & INC_XINETD) || xinetd_detect(text, len))
		list = xinetd_parse(text, len, path, ld->defhost, &ld->xdefs,
		    ld->report);
	else
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

/*
 * A regular file, open as fd, which this closes.  One that is read
 * only if in xinetd's format is admitted once its text says so.
 */
static struct servtab *
include_file(struct loader *ld, int fd, const struct stat *st,
    const char *path, const char *from, int line, int how)
{
	struct servtab *list = NULL;
	size_t len;
	char *text;

	if (ld->depth == CONF_INCLUDE_DEPTH) {
		include_error(ld, from, line, path, "includes nested more "
		    "than %d deep", CONF_INCLUDE_DEPTH - 1);
		close(fd);
		return NULL;
	}
	if (!(how & INC_PROBE) && file_admit(ld, st, path, from, line) == -1) {
		close(fd);
		return NULL;
	}
	if ((text = read_file(fd, st, &len)) == NULL) {
		include_error(ld, from, line, path, "%s", strerror(errno));
		return NULL;
	}
	if (!(how & INC_PROBE) || (xinetd_detect(text, len) &&
	    file_admit(ld, st, path, from, line) == 0))
		list = load_text(ld, path, text, len, st, how);
	free(text);
	return list;
}

/*
 * How a file of a directory is read, or 0 when it is not.  Fragments
 * are "*.conf"; editors' and package managers' files are not.  xinetd
 * reads the names without a dot or a final '~', which elsewhere are
 * read only if in its format.
 */
static int
fragment_how(const char *name, int xinetd)
{
	size_t len = strlen(name);
	int plain = strchr(name, '.') == NULL && name[len - 1] != '~';

	if (xinetd)
		return plain ? INC_FRAGMENT | INC_XINETD : 0;
	if (plain)
		return INC_FRAGMENT | INC_PROBE;
	return name[0] != '.' && len > 5 &&
	    strcmp(name + len - 5, ".conf") == 0 ? INC_FRAGMENT : 0;
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of the fragments of dir, open as fd, sorted; -1 after reporting. */
static int
list_fragments(struct loader *ld, int fd, const char *dir, const char *from,
    int line, int xinetd, char ***namesp, size_t *np)
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
		if (fragment_how(de->d_name, xinetd) == 0)
			continue;
		if (n == CONF_INCLUDE_FILES) {
			include_error(ld, from, line, dir, "more than %d "
			    "files to read, none read", CONF_INCLUDE_FILES);
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
	/* No name, no array: qsort() must not be given NULL. */
	if (n > 0)
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
    int line, int xinetd)
{
	struct servtab *list = NULL, **tailp = &list;
	char path[PATH_MAX], **names;
	size_t i, n;

	if (list_fragments(ld, fd, dir, from, line, xinetd, &names,
	    &n) == -1)
		return NULL;
	for (i = 0; i < n; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    names[i]) >= sizeof(path))
			include_error(ld, from, line, dir, "%s: %s", names[i],
			    strerror(ENAMETOOLONG));
		else
			*tailp = include_path(ld, path, from, line,
			    fragment_how(names[i], xinetd));
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
    const char *path, const char *from, int line, int how)
{
	if (S_ISDIR(st->st_mode) && !(how & INC_FRAGMENT))
		return include_dir(ld, fd, path, from, line,
		    how & INC_XINETD);
	if (S_ISREG(st->st_mode))
		return include_file(ld, fd, st, path, from, line, how);
	/* Only a file in xinetd's format is read of such a name. */
	if (!(how & INC_PROBE))
		include_error(ld, from, line, path, "%s", how & INC_FRAGMENT ?
		    "not a regular file" : "not a regular file or a "
		    "directory");
	close(fd);
	return NULL;
}

static struct servtab *
include_path(struct loader *ld, const char *path, const char *from,
    int line, int how)
{
	struct stat st;
	int fd;

	if ((fd = open_config(path, &st)) == -1) {
		include_error(ld, from, line, path, "%s", strerror(errno));
		return NULL;
	}
	return include_opened(ld, fd, &st, path, from, line, how);
}

/*
 * NetBSD's ".include GLOB": the files that match, in name order.  A
 * directory among them is skipped: NetBSD's way to include the files of
 * a directory is a pattern of them.  A pattern without wildcards names
 * one file, which must exist.
 */
static struct servtab *
include_glob(struct loader *ld, const char *pattern, const char *from,
    int line)
{
	struct servtab *list = NULL, **tailp = &list;
	const char *path;
	glob_t g;
	size_t i;
	int rc;

	rc = glob(pattern, GLOB_MARK | GLOB_NOMAGIC, NULL, &g);
	if (rc == GLOB_NOMATCH) {
		include_report(ld, LOG_DEBUG, from, line, pattern,
		    "no file matches");
		return NULL;
	}
	if (rc != 0 || g.gl_pathc > CONF_INCLUDE_FILES) {
		if (rc != 0)
			include_error(ld, from, line, pattern, "cannot expand "
			    "the pattern");
		else
			include_error(ld, from, line, pattern, "more than %d "
			    "files match, none read", CONF_INCLUDE_FILES);
		globfree(&g);
		return NULL;
	}
	for (i = 0; i < g.gl_pathc; i++) {
		path = g.gl_pathv[i];
		if (path[strlen(path) - 1] == '/')
			continue;
		*tailp = include_path(ld, path, from, line, INC_FRAGMENT);
		while (*tailp != NULL)
			tailp = &(*tailp)->se_next;
	}
	globfree(&g);
	return list;
}

/* A relative path is taken from the directory of the including file. */
static struct servtab *
include_line(struct loader *ld, const struct servtab *sep)
{
	const char *name = sep->se_include, *slash;
	char path[PATH_MAX];
	int dirlen, how = sep->se_include_xinetd ? INC_XINETD : 0;

	slash = strrchr(sep->se_file, '/');
	dirlen = name[0] == '/' || slash == NULL ? 0 : slash - sep->se_file;
	if ((size_t)snprintf(path, sizeof(path), "%.*s%s%s", dirlen,
	    sep->se_file, dirlen > 0 ? "/" : "", name) >= sizeof(path)) {
		include_error(ld, sep->se_file, sep->se_line, name, "%s",
		    strerror(ENAMETOOLONG));
		return NULL;
	}
	if (sep->se_include_glob)
		return include_glob(ld, path, sep->se_file, sep->se_line);
	return include_path(ld, path, sep->se_file, sep->se_line, how);
}

void
config_set_includedir(const char *dir)
{
	config_includedir = dir;
}

void
config_set_xinetd(int on)
{
	config_xinetd = on;
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
	list = load_text(ld, path, text, len, &st, config_xinetd ?
	    INC_XINETD : 0);
	free(text);
	for (tailp = &list; *tailp != NULL; tailp = &(*tailp)->se_next)
		continue;
	*tailp = include_dir_after(ld);
	xinetd_defaults_free(ld->xdefs);
	free(ld);
	*errp = 0;
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
	return config_resolve_all(list, euid, report);
}

/* -t: the messages of a load, on the standard error only. */
static int	check_errors;	/* reported by config_check()'s load */

static void
check_report(int priority, const char *fmt, ...)
{
	va_list ap;

	if (priority > LOG_WARNING)
		return;
	if (priority <= LOG_ERR)
		check_errors++;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
config_check(const char *path, const char *defhost, uid_t euid, FILE *dump)
{
	struct servtab *list, *sep;
	int error, n = 0;

	list = config_load(path, defhost, euid, check_report, &error);
	if (list == NULL && error != 0) {
		fprintf(stderr, "inetd: %s: %s\n", path, strerror(error));
		return 1;
	}
	for (sep = list; sep != NULL; sep = sep->se_next)
		n++;
	if (dump != NULL)
		config_dump(dump, list);
	config_free(list);
	if (check_errors > 0) {
		fprintf(stderr, "inetd: %s: %d error%s\n", path,
		    check_errors, check_errors == 1 ? "" : "s");
		return 1;
	}
	fprintf(stderr, "inetd: %s: %d service%s, no errors\n", path, n,
	    n == 1 ? "" : "s");
	return 0;
}
