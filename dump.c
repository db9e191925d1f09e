/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dump.c: print entries in the key-values notation (dump.h), so that a
 * user migrating from another notation, or reporting a bug, sees in one
 * form exactly what inetd would open.  Only fields that differ from
 * what an entry gets when the key is left out are printed.
 */

#include <sys/socket.h>

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "dump.h"
#include "options.h"
#include "util.h"

/* Characters that end or split a value unless it is quoted. */
#define DUMP_SPECIAL	" \t\r\n,;=#'\"\\"

/* A value, in double quotes with NetBSD's escapes when it needs them. */
static void
put_value(FILE *fp, const char *s)
{
	if (*s != '\0' && s[strcspn(s, DUMP_SPECIAL)] == '\0') {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(fp, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", fp);
		else if (*s == '\t')
			fputs("\\t", fp);
		else if (*s == '\r')
			fputs("\\r", fp);
		else
			fputc(*s, fp);
	}
	fputc('"', fp);
}

/* ", key = v1 v2" */
static void
put_key(FILE *fp, const char *key, char *const *values, int n)
{
	int i;

	fprintf(fp, ",\n\t%s =", key);
	for (i = 0; i < n; i++) {
		fputc(' ', fp);
		put_value(fp, values[i]);
	}
}

static void
put_one(FILE *fp, const char *key, const char *value)
{
	char *v = (char *)value;

	put_key(fp, key, &v, 1);
}

static void
put_limit(FILE *fp, const char *key, int limit)
{
	char buf[16];

	if (limit == CONF_DEFAULT)
		return;
	snprintf(buf, sizeof(buf), "%d", limit);
	put_one(fp, key, buf);
}

/* A socket buffer size; 0 is the kernel's, the key left out. */
static void
put_bytes(FILE *fp, const char *key, int size)
{
	char buf[16];

	if (size == 0)
		return;
	snprintf(buf, sizeof(buf), "%d", size);
	put_one(fp, key, buf);
}

/* "[HOST:]SERVICE": a UNIX socket's in its long form when it has one. */
static void
put_service(FILE *fp, const struct servtab *sep)
{
	char spec[SVC_NAME_MAX + 3 * 64];

	if (sep->se_family == AF_UNIX && (sep->se_sockuser != NULL ||
	    sep->se_sockgroup != NULL || sep->se_sockmode != CONF_UNIXMODE))
		snprintf(spec, sizeof(spec), ":%s:%s:%o:%s",
		    sep->se_sockuser != NULL ? sep->se_sockuser : "",
		    sep->se_sockgroup != NULL ? sep->se_sockgroup : "",
		    (unsigned)sep->se_sockmode, sep->se_service);
	else if (sep->se_host == NULL)
		snprintf(spec, sizeof(spec), "%s", sep->se_service);
	else
		snprintf(spec, sizeof(spec), strchr(sep->se_host, ':') != NULL ?
		    "[%s]:%s" : "%s:%s", sep->se_host, sep->se_service);
	put_value(fp, spec);
}

static void
dump_entry(FILE *fp, const struct servtab *sep)
{
	const struct option_given *og;
	int i, n;

	fprintf(fp, "# %s:%d\n", sep->se_file, sep->se_line);
	put_service(fp, sep);
	fprintf(fp, " on socktype = %s", sep->se_socktype == SOCK_STREAM ?
	    "stream" : "dgram");
	put_one(fp, "protocol", sep->se_proto);
	put_one(fp, "wait", sep->se_wait ? "yes" : "no");
	put_one(fp, "user", sep->se_user);
	if (sep->se_group != NULL)
		put_one(fp, "group", sep->se_group);
	if (sep->se_server != NULL)
		put_one(fp, "exec", sep->se_server);
	if (sep->se_argc > 0)
		put_key(fp, "args", sep->se_argv, sep->se_argc);
	put_bytes(fp, "sndbuf", sep->se_sndbuf);
	put_bytes(fp, "recvbuf", sep->se_rcvbuf);
	/* dataready and httpready are both TCP_DEFER_ACCEPT. */
	if (sep->se_deferaccept)
		put_one(fp, "acceptfilter", "dataready");
	put_limit(fp, "max_child", sep->se_maxchild);
	put_limit(fp, "max_child_per_ip", sep->se_maxperip);
	put_limit(fp, "max_conn_per_ip_per_minute", sep->se_maxcpm);
	put_limit(fp, "service_max", sep->se_maxrate);
	og = options_given(sep, &n);
	for (i = 0; i < n; i++)
		put_key(fp, og[i].og_key, og[i].og_values, og[i].og_nvalues);
	fputs(";\n", fp);
}

void
config_dump(FILE *fp, const struct servtab *list)
{
	for (; list != NULL; list = list->se_next)
		dump_entry(fp, list);
}
