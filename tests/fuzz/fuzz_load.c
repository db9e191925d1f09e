/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_load.c: libFuzzer harness for loading with includes.
 *
 * The input is a small tree of files: its parts, separated by lines of
 * "%%", become f0.conf (the file loaded) to f3.conf, then d/f4.conf to
 * d/f7.conf, in a private directory that also holds d/fifo.conf (a FIFO),
 * link.conf (a symbolic link to f1.conf) and d/up.conf (one to f0.conf,
 * the way back up, as ".." is not allowed).  config_read() follows the
 * include lines the fuzzer writes, and looks nothing up, so that no
 * look-up process is started per input.  It must not block (the FIFO),
 * crash, leak, or return an include node or an entry of another file.
 * Built and run by `make fuzz` (FUZZ_SECONDS) and by `make check`.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "load.h"
#include "../stub_builtins.h"

#define MSG_MAX		(2 * CONF_LINE_MAX)
#define NFILES		8	/* f0.conf .. f3.conf, d/f4.conf .. d/f7.conf */
#define SEPARATOR	"\n%%\n"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char	 dir[256];
static char	 files[NFILES][300];

/* Every message starts with the file it is about: one of the tree. */
static void
check_report(int priority, const char *fmt, ...)
{
	char msg[MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (strncmp(msg, dir, strlen(dir)) != 0 || priority < LOG_ERR ||
	    priority > LOG_DEBUG)
		abort();
}

static void
remove_tree(void)
{
	char path[300];
	int i;

	for (i = 0; i < NFILES; i++)
		unlink(files[i]);
	snprintf(path, sizeof(path), "%s/d/fifo.conf", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/link.conf", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/d/up.conf", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/d", dir);
	rmdir(path);
	rmdir(dir);
}

static void
make_tree(void)
{
	const char *base = getenv("TMPDIR");
	char path[300];
	int i;

	snprintf(dir, sizeof(dir), "%s/fuzz_load.XXXXXX",
	    base != NULL && *base != '\0' ? base : "/tmp");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/d", dir);
	if (mkdir(path, 0755) == -1)
		abort();
	snprintf(path, sizeof(path), "%s/d/fifo.conf", dir);
	if (mkfifo(path, 0644) == -1)
		abort();
	snprintf(path, sizeof(path), "%s/link.conf", dir);
	if (symlink("f1.conf", path) == -1)
		abort();
	snprintf(path, sizeof(path), "%s/d/up.conf", dir);
	if (symlink("../f0.conf", path) == -1)
		abort();
	for (i = 0; i < NFILES; i++)
		snprintf(files[i], sizeof(files[i]), "%s/%sf%d.conf", dir,
		    i < NFILES / 2 ? "" : "d/", i);
	atexit(remove_tree);
}

/*
 * No path may lead out of the tree (say to /dev/watchdog, which opening
 * arms): a part has no '/' and no "..", so that an include names a file
 * or directory beside the file that holds it.  The parser's own fuzzer
 * sees every byte.
 */
static void
write_part(int i, const uint8_t *data, size_t len)
{
	uint8_t *text;
	size_t j;
	FILE *fp;

	if ((text = malloc(len + 1)) == NULL)
		abort();
	memcpy(text, data, len);
	for (j = 0; j < len; j++)
		if (text[j] == '/' || (text[j] == '.' && j + 1 < len &&
		    text[j + 1] == '.'))
			text[j] = '_';
	if ((fp = fopen(files[i], "w")) == NULL)
		abort();
	if (len > 0 && fwrite(text, len, 1, fp) != 1)
		abort();
	if (fclose(fp) == EOF)
		abort();
	free(text);
}

/* The parts of the input; the files of missing parts do not exist. */
static void
write_tree(const uint8_t *data, size_t size)
{
	const size_t seplen = strlen(SEPARATOR);
	const uint8_t *end = data + size, *sep;
	int i;

	for (i = 0; i < NFILES; i++)
		unlink(files[i]);
	for (i = 0; i < NFILES && data != NULL; i++) {
		sep = memmem(data, end - data, SEPARATOR, seplen);
		write_part(i, data, (sep != NULL ? sep : end) - data);
		data = sep != NULL ? sep + seplen : NULL;
	}
}

/* Every entry comes from a file of the tree, and no include is left. */
static void
check_entry(const struct servtab *sep)
{
	if (sep->se_include != NULL || sep->se_file == NULL ||
	    strncmp(sep->se_file, dir, strlen(dir)) != 0 || sep->se_line < 1)
		abort();
	if (sep->se_service == NULL || sep->se_proto == NULL ||
	    sep->se_user == NULL || sep->se_fd != -1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct servtab *list, *sep;
	char includedir[300];
	int error;

	if (dir[0] == '\0')
		make_tree();
	config_set_builtins(&stub_builtins);
	write_tree(data, size);
	/* As /etc/inetd.d after /etc/inetd.conf, for half the inputs. */
	snprintf(includedir, sizeof(includedir), "%s/d", dir);
	config_set_includedir(size % 2 ? includedir : NULL);
	list = config_read(files[0], NULL, check_report, &error);
	if (list != NULL && error != 0)
		abort();
	for (sep = list; sep != NULL; sep = sep->se_next)
		check_entry(sep);
	config_free(list);
	return 0;
}
