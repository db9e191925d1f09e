/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dump.h: the entries of a configuration printed in one notation,
 * NetBSD's key-values (inetd.conf(5)), whatever notation each was read
 * from: what inetd -T shows and contrib/xinetd2inetd writes.
 */
#ifndef INETD_DUMP_H
#define INETD_DUMP_H

#include <stdio.h>

#include "config.h"

/*
 * Each entry of list as "# FILE:LINE" and one key-values definition,
 * which config_parse() reads back to the same entry.
 */
void	config_dump(FILE *fp, const struct servtab *list);

#endif /* INETD_DUMP_H */
