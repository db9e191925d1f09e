/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * journal.h: systemd's journal spoken natively (journal.c), without
 * libsystemd: whether the standard error is connected to it, and the
 * datagram of a message's fields.
 */
#ifndef INETD_JOURNAL_H
#define INETD_JOURNAL_H

#include <stddef.h>

#define JOURNAL_SOCKET	"/run/systemd/journal/socket"
#define JOURNAL_DGRAM_MAX 4096	/* bytes of a message's fields */

/* A message being made: its fields, each "NAME=value\n". */
struct journal_msg {
	char	 jm_buf[JOURNAL_DGRAM_MAX];
	size_t	 jm_len;
};

/* Whether $JOURNAL_STREAM names the device and inode of fd 2. */
int	journal_stderr(void);
void	journal_begin(struct journal_msg *m);
/* A field; one that does not fit is left out. */
void	journal_field(struct journal_msg *m, const char *name,
	    const char *value);
/* A short one, such as a number (64 bytes at most). */
void	journal_fieldf(struct journal_msg *m, const char *name,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif /* INETD_JOURNAL_H */
