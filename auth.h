/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * auth.h: the ident service (RFC 1413), a row of the builtins table
 * (auth.c).
 */
#ifndef INETD_AUTH_H
#define INETD_AUTH_H

#include <stddef.h>

#include "config.h"

#define AUTH_NAME	"auth"
const struct servtab *auth_serve(const struct servtab *sep, int fd,
		    const struct servtab *services);
int		 auth_check(struct servtab *sep, char *why,
		    size_t size);
/*
 * A query, "LPORT , FPORT": 0, or -1 with the ports it gave (out of
 * range), or 0 and 0 when it does not parse.  line is NUL-terminated,
 * len its length (a NUL within it is an error).
 */
struct auth_query {
	unsigned	 lport;		/* ours */
	unsigned	 fport;		/* the client's */
};
int		 auth_parse_query(const char *line, size_t len,
		    struct auth_query *q);

#endif /* INETD_AUTH_H */
