/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * journal.c: the native protocol of systemd-journald, so that the lines
 * about connections and servers carry fields (SERVICE=, REMOTE_ADDR=,
 * EXIT_STATUS=...) that journalctl can select on, as syslog text cannot.
 *
 * A message is one datagram of fields, "NAME=value\n" each, or, for a
 * value with a newline in it, the name, a newline, the value's length
 * as 64 bits little-endian, the value and a newline.  The socket is
 * log.c's concern; this file only knows the format, and when the
 * journal is the log: systemd sets $JOURNAL_STREAM to "DEVICE:INODE" of
 * the stream it connects to a service's standard error.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"

int
journal_stderr(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	uintmax_t dev, ino;
	struct stat st;
	char *end;

	if (env == NULL || fstat(STDERR_FILENO, &st) == -1)
		return 0;
	errno = 0;
	dev = strtoumax(env, &end, 10);
	if (end == env || *end != ':' || errno != 0)
		return 0;
	env = end + 1;
	ino = strtoumax(env, &end, 10);
	if (end == env || *end != '\0' || errno != 0)
		return 0;
	return dev == (uintmax_t)st.st_dev && ino == (uintmax_t)st.st_ino;
}

void
journal_begin(struct journal_msg *m)
{
	m->jm_len = 0;
}

static void
journal_put(struct journal_msg *m, const void *p, size_t n)
{
	memcpy(m->jm_buf + m->jm_len, p, n);
	m->jm_len += n;
}

void
journal_field(struct journal_msg *m, const char *name, const char *value)
{
	size_t nlen = strlen(name), vlen = strlen(value);
	unsigned char size[8];
	int i, binary = memchr(value, '\n', vlen) != NULL;

	if (nlen + vlen + (binary ? sizeof(size) + 2 : 2) >
	    sizeof(m->jm_buf) - m->jm_len)
		return;
	journal_put(m, name, nlen);
	if (binary) {
		for (i = 0; i < 8; i++)
			size[i] = (unsigned char)((uint64_t)vlen >> (8 * i));
		journal_put(m, "\n", 1);
		journal_put(m, size, sizeof(size));
	} else
		journal_put(m, "=", 1);
	journal_put(m, value, vlen);
	journal_put(m, "\n", 1);
}

void
journal_fieldf(struct journal_msg *m, const char *name, const char *fmt, ...)
{
	char value[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	journal_field(m, name, value);
}
