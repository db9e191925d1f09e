/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * resolve.c: what the entries of a load name, looked up once: users and
 * groups, ports of service names, bind addresses, programs, the forward
 * targets the builtins ask for (config_resolve_all()).  Every name goes
 * to one look-up child for the whole load (lookup.c), so that no name
 * service is ever loaded into the daemon; numbers need none.  Then the
 * plain tcp and udp entries become dual-stack where the file allows,
 * and the builtins drop their relay loops.  config.c parses; this file
 * only asks the system.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "lookup.h"
#include "options.h"
#include "util.h"

static void	 resolve_error(const struct servtab *, conf_report_fn *,
		    const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* The entry is dropped: "FILE:LINE: SERVICE/PROTO: what". */
static void
resolve_error(const struct servtab *sep, conf_report_fn *report,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	servtab_vreport(sep, report, LOG_ERR, fmt, ap);
	va_end(ap);
}

/* The bind address of an entry; 0 when it has none to look up. */
static int
bind_question(const struct servtab *sep, struct lookup_question *q)
{
	const char *host = sep->se_host;

	if (sep->se_family == AF_UNIX || sep->se_tcpmux != TCPMUX_NONE)
		return 0;
	if (host != NULL && strcmp(host, "*") == 0)
		host = NULL;
	memset(q, 0, sizeof(*q));
	q->kind = LOOKUP_ADDRESS;
	q->host = host;
	q->family = sep->se_family;
	q->socktype = sep->se_socktype;
	q->flags = AI_PASSIVE | AI_NUMERICSERV;
	/* A dual-stack socket serves IPv4 addresses in their mapped form. */
	if (sep->se_family == AF_INET6 && !sep->se_v6only)
		q->flags |= AI_V4MAPPED;
	return 1;
}

/*
 * A service name's port, which the look-up child finds (services may
 * come from a name service, as users do); 0 for a port number.
 */
static int
port_question(const struct servtab *sep, struct lookup_question *q)
{
	if (sep->se_family == AF_UNIX || sep->se_tcpmux != TCPMUX_NONE ||
	    all_digits(sep->se_service))
		return 0;
	memset(q, 0, sizeof(*q));
	q->kind = LOOKUP_ADDRESS;
	q->port = sep->se_service;
	q->family = sep->se_family;
	q->socktype = sep->se_socktype;
	q->flags = AI_PASSIVE;
	return 1;
}

/* The address a builtin needs (a forward target), if any. */
static int
builtin_question(const struct servtab *sep, struct lookup_question *q)
{
	memset(q, 0, sizeof(*q));
	q->kind = LOOKUP_ADDRESS;
	q->family = AF_UNSPEC;
	return sep->se_bi != NULL && config_builtins_given()->cb_target(sep,
	    &q->host, &q->port, &q->socktype);
}

/* Up to six questions an entry asks. */
#define QUESTIONS_PER_ENTRY	6

static size_t
entry_questions(const struct servtab *sep, struct lookup_question *q)
{
	size_t n = 0;

	q[n++] = (struct lookup_question){ .kind = LOOKUP_USER,
	    .user = sep->se_user, .group = sep->se_group };
	if (sep->se_sockuser != NULL)
		q[n++] = (struct lookup_question){ .kind = LOOKUP_SOCKOWNER,
		    .user = sep->se_sockuser };
	if (sep->se_sockgroup != NULL)
		q[n++] = (struct lookup_question){ .kind = LOOKUP_SOCKGROUP,
		    .group = sep->se_sockgroup };
	if (bind_question(sep, &q[n]))
		n++;
	if (port_question(sep, &q[n]))
		n++;
	if (builtin_question(sep, &q[n]))
		n++;
	return n;
}

/*
 * The answers to the questions of the entries of list (include nodes
 * aside), from one child.
 */
static void
idents_ask(struct lookup_answers *ans, struct servtab *list)
{
	const struct servtab *sep;
	struct lookup_question *q;
	size_t n = 0;

	for (sep = list; sep != NULL; sep = sep->se_next)
		n++;
	if ((q = reallocarray(NULL, n * QUESTIONS_PER_ENTRY + 1,
	    sizeof(*q))) != NULL)
		for (n = 0, sep = list; sep != NULL; sep = sep->se_next)
			if (sep->se_include == NULL)
				n += entry_questions(sep, q + n);
	lookup_ask(ans, q, n);
	free(q);
}

/* "unknown user 'x'", or why it could not be looked up. */
static void
ident_error(struct servtab *sep, conf_report_fn *report, const char *what,
    const char *name, const struct lookup_slot *id)
{
	if (id->status == LOOKUP_NO_USER || id->status == LOOKUP_NO_GROUP)
		resolve_error(sep, report, "unknown %s '%s'", what, name);
	else
		resolve_error(sep, report, "%s '%s' not looked up: %s", what,
		    name, lookup_why(id));
}

static int
resolve_port(struct servtab *sep, conf_report_fn *report,
    const struct lookup_answers *ids, int *port)
{
	const char *proto = sep->se_socktype == SOCK_STREAM ? "tcp" : "udp";
	struct sockaddr_storage addr;
	struct lookup_question q;
	const char *errstr;
	char why[CONF_MSG_MAX];
	socklen_t len;

	if (!port_question(sep, &q)) {
		*port = strtonum(sep->se_service, 1, CONF_PORT_MAX, &errstr);
		if (errstr == NULL)
			return 0;
		resolve_error(sep, report, "port %s out of range (1-%d)",
		    sep->se_service, CONF_PORT_MAX);
		return -1;
	}
	if (lookup_address(ids, &q, &addr, &len, why, sizeof(why)) == -1 ||
	    (*port = sockaddr_port((struct sockaddr *)&addr)) == 0) {
		resolve_error(sep, report, "unknown service '%s' for %s: "
		    "not in /etc/services", sep->se_service, proto);
		return -1;
	}
	return 0;
}

static void
resolve_unix_address(struct servtab *sep)
{
	memset(&sep->se_ctrladdr, 0, sizeof(sep->se_ctrladdr));
	sep->se_ctrladdr.sun.sun_family = AF_UNIX;
	strlcpy(sep->se_ctrladdr.sun.sun_path, sep->se_service,
	    sizeof(sep->se_ctrladdr.sun.sun_path));
	sep->se_ctrladdr_size = offsetof(struct sockaddr_un, sun_path) +
	    strlen(sep->se_ctrladdr.sun.sun_path) + 1;
}

/* The address a question asks for, or -1 after reporting why not. */
static int
entry_address(struct servtab *sep, conf_report_fn *report,
    const struct lookup_answers *ids, const struct lookup_question *q,
    struct sockaddr_storage *addr, socklen_t *lenp)
{
	char why[CONF_MSG_MAX];

	if (lookup_address(ids, q, addr, lenp, why, sizeof(why)) == 0)
		return 0;
	/* The bind address is passive, a forward target is not. */
	if (q->flags & AI_PASSIVE)
		resolve_error(sep, report, "cannot use address '%s' for %s: %s",
		    q->host != NULL ? q->host : "*", sep->se_proto, why);
	else
		resolve_error(sep, report, "cannot resolve forward target %s "
		    "port %s: %s", q->host, q->port, why);
	return -1;
}

/* The address is looked up without the port, which the entry sets. */
static int
resolve_address(struct servtab *sep, conf_report_fn *report,
    const struct lookup_answers *ids)
{
	struct sockaddr_storage addr;
	struct lookup_question q;
	socklen_t len;
	int port;

	if (sep->se_family == AF_UNIX) {
		resolve_unix_address(sep);
		return 0;
	}
	if (resolve_port(sep, report, ids, &port) == -1)
		return -1;
	bind_question(sep, &q);
	if (entry_address(sep, report, ids, &q, &addr, &len) == -1)
		return -1;
	if (len > sizeof(sep->se_ctrladdr)) {
		resolve_error(sep, report, "address of '%s' is too long",
		    q.host != NULL ? q.host : "*");
		return -1;
	}
	memcpy(&sep->se_ctrladdr, &addr, len);
	sep->se_ctrladdr_size = len;
	if (sep->se_ctrladdr.sa.sa_family == AF_INET)
		sep->se_ctrladdr.sin.sin_port = htons(port);
	else
		sep->se_ctrladdr.sin6.sin6_port = htons(port);
	return 0;
}

/* Each entry keeps as many groups as its user is in, no more. */
static int
set_groups(struct servtab *sep, const gid_t *groups, int ngroups,
    conf_report_fn *report)
{
	gid_t *copy;

	if ((copy = reallocarray(NULL, ngroups > 0 ? ngroups : 1,
	    sizeof(*copy))) == NULL) {
		resolve_error(sep, report, "out of memory");
		return -1;
	}
	memcpy(copy, groups, ngroups * sizeof(*copy));
	free(sep->se_groups);
	sep->se_groups = copy;
	sep->se_ngroups = ngroups;
	return 0;
}

/*
 * Without root, inetd cannot change credentials: only entries for its
 * own user (and group) can run as they say.
 */
static int
user_allowed(const struct servtab *sep, uid_t euid, conf_report_fn *report)
{
	if (euid != 0 && sep->se_uid != euid) {
		resolve_error(sep, report, "cannot run as user '%s': inetd is "
		    "not running as root", sep->se_user);
		return -1;
	}
	if (euid != 0 && sep->se_group != NULL && sep->se_gid != getegid()) {
		resolve_error(sep, report, "cannot run as group '%s': inetd is "
		    "not running as root", sep->se_group);
		return -1;
	}
	return 0;
}

static int
resolve_user(struct servtab *sep, uid_t euid, conf_report_fn *report,
    const struct lookup_answers *ids)
{
	const struct lookup_question q = { .kind = LOOKUP_USER,
	    .user = sep->se_user, .group = sep->se_group };
	const struct lookup_slot *id = lookup_find(ids, &q);

	if (id->status == LOOKUP_NO_GROUP) {
		ident_error(sep, report, "group", sep->se_group, id);
		return -1;
	}
	if (id->status != LOOKUP_OK &&
	    id->status != LOOKUP_TOO_MANY_GROUPS) {
		ident_error(sep, report, "user", sep->se_user, id);
		return -1;
	}
	sep->se_uid = id->uid;
	sep->se_gid = id->gid;
	if (user_allowed(sep, euid, report) == -1)
		return -1;
	if (id->status == LOOKUP_TOO_MANY_GROUPS) {
		resolve_error(sep, report, "user %s is in more than %d groups",
		    sep->se_user, LOOKUP_MAXGROUPS);
		return -1;
	}
	return set_groups(sep, id->groups, id->ngroups, report);
}

/*
 * The answer to the socket owner question of kind about name, or NULL
 * after reporting why there is none.
 */
static const struct lookup_slot *
socket_owner_id(struct servtab *sep, conf_report_fn *report,
    const struct lookup_answers *ids, int kind, const char *name)
{
	struct lookup_question q = { .kind = kind };
	const struct lookup_slot *id;

	if (kind == LOOKUP_SOCKOWNER)
		q.user = name;
	else
		q.group = name;
	id = lookup_find(ids, &q);
	if (id->status == LOOKUP_OK)
		return id;
	ident_error(sep, report, kind == LOOKUP_SOCKOWNER ? "socket owner" :
	    "socket group", name, id);
	return NULL;
}

static int
resolve_socket_owner(struct servtab *sep, uid_t euid,
    conf_report_fn *report, const struct lookup_answers *ids)
{
	const struct lookup_slot *id;

	sep->se_sockuid = euid;
	sep->se_sockgid = getegid();
	if (sep->se_sockuser != NULL) {
		if ((id = socket_owner_id(sep, report, ids, LOOKUP_SOCKOWNER,
		    sep->se_sockuser)) == NULL)
			return -1;
		sep->se_sockuid = id->uid;
		if (euid != 0 && sep->se_sockuid != euid) {
			resolve_error(sep, report, "cannot give the socket to "
			    "user '%s': inetd is not running as root",
			    sep->se_sockuser);
			return -1;
		}
	}
	if (sep->se_sockgroup != NULL) {
		if ((id = socket_owner_id(sep, report, ids, LOOKUP_SOCKGROUP,
		    sep->se_sockgroup)) == NULL)
			return -1;
		sep->se_sockgid = id->gid;
	}
	return 0;
}

/*
 * The program's path: with chroot = DIR, DIR's, as chroot(8) runs it.
 * 0, or -1 when it is too long.
 */
static int
program_path(const struct servtab *sep, char *path, size_t size)
{
	const char *root = sep->se_opts != NULL &&
	    sep->se_opts->so_chroot != NULL ? sep->se_opts->so_chroot : "";

	return (size_t)snprintf(path, size, "%s%s", root, sep->se_server) >=
	    size ? -1 : 0;
}

int
config_program_missing(const struct servtab *sep)
{
	char path[PATH_MAX];
	struct stat st;

	return sep->se_server != NULL &&
	    program_path(sep, path, sizeof(path)) == 0 &&
	    stat(path, &st) == -1 && errno == ENOENT;
}

/*
 * A program not installed (yet) is a condition of the system, not an
 * error of the file: the entry loads, and inetd.c serves it once the
 * program is there.  Anything else wrong with it is the file's.
 */
static int
resolve_program(struct servtab *sep, conf_report_fn *report)
{
	char where[SVC_WHERE_MAX], path[PATH_MAX];
	struct stat st;

	if (program_path(sep, path, sizeof(path)) == -1) {
		resolve_error(sep, report, "program %s: path too long",
		    sep->se_server);
		return -1;
	}
	if ((sep->se_program_missing = config_program_missing(sep))) {
		report(LOG_WARNING, "%s: program %s is not installed: not "
		    "served until it is", servtab_where(sep, where,
		    sizeof(where)), path);
		return 0;
	}
	if (stat(path, &st) == -1) {
		resolve_error(sep, report, "program %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		resolve_error(sep, report, "program %s is not a regular file",
		    path);
		return -1;
	}
	if (access(path, X_OK) == -1) {
		resolve_error(sep, report, "program %s is not executable",
		    path);
		return -1;
	}
	return 0;
}

/* Limits and sandbox are applied before an execve a builtin never makes. */
static int
resolve_options(struct servtab *sep, conf_report_fn *report)
{
	const char *key;

	if (sep->se_server != NULL ||
	    (key = options_exec_only(sep->se_opts)) == NULL)
		return 0;
	resolve_error(sep, report, "%s: only for a server that inetd "
	    "executes, not a builtin", key);
	return -1;
}

static int
resolve_builtin(struct servtab *sep, conf_report_fn *report,
    const struct lookup_answers *ids)
{
	struct sockaddr_storage addr;
	struct lookup_question q;
	char why[CONF_MSG_MAX];
	socklen_t len;

	if (!builtin_question(sep, &q))
		return 0;
	if (entry_address(sep, report, ids, &q, &addr, &len) == -1)
		return -1;
	if (config_builtins_given()->cb_resolve(sep, (struct sockaddr *)&addr,
	    len, why, sizeof(why)) == 0)
		return 0;
	resolve_error(sep, report, "%s", why);
	return -1;
}

static int
resolve_entry(struct servtab *sep, uid_t euid, conf_report_fn *report,
    const struct lookup_answers *ids)
{
	char where[SVC_WHERE_MAX];

	if (sep->se_include != NULL) {
		report(LOG_ERR, "%s: include %s: only config_load() follows "
		    "includes", msg_where(where, sizeof(where), sep->se_file,
		    sep->se_line, NULL), sep->se_include);
		return -1;
	}
	if ((sep->se_tcpmux == TCPMUX_NONE &&
	    resolve_address(sep, report, ids) == -1) ||
	    resolve_user(sep, euid, report, ids) == -1 ||
	    (sep->se_family == AF_UNIX &&
	    resolve_socket_owner(sep, euid, report, ids) == -1) ||
	    (sep->se_server != NULL && resolve_program(sep, report) == -1) ||
	    resolve_options(sep, report) == -1 ||
	    resolve_builtin(sep, report, ids) == -1)
		return -1;
	if (sep->se_class != NULL)
		report(LOG_DEBUG, "%s: login class %s ignored on Linux",
		    servtab_where(sep, where, sizeof(where)), sep->se_class);
	return 0;
}

int
config_resolve(struct servtab *sep, uid_t euid, conf_report_fn *report)
{
	struct servtab *next = sep->se_next;
	struct lookup_answers ids;
	int ret;

	sep->se_next = NULL;		/* the questions of this entry only */
	idents_ask(&ids, sep);
	sep->se_next = next;
	ret = resolve_entry(sep, euid, report, &ids);
	lookup_free(&ids);
	return ret;
}

/* An IPv6 entry on the port of the plain one: FreeBSD's pair. */
static int
paired_with_ipv6(const struct servtab *sep, const struct servtab *list)
{
	for (; list != NULL; list = list->se_next)
		if (list->se_family == AF_INET6 && !list->se_plain_inet &&
		    list->se_socktype == sep->se_socktype &&
		    list->se_tcpmux == TCPMUX_NONE &&
		    sockaddr_port(&list->se_ctrladdr.sa) ==
		    sockaddr_port(&sep->se_ctrladdr.sa))
			return 1;
	return 0;
}

/* Without IPv6 in the kernel, plain tcp and udp stay IPv4. */
static int
ipv6_available(void)
{
	int fd;

	if ((fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	close(fd);
	return 1;
}

/*
 * Debian's plain tcp and udp: on the wildcard address, one IPv6 socket
 * that takes IPv4 too (what tcp46 is), so that the lines update-inetd
 * writes answer IPv6 clients.  A bind address given is of one family.
 */
static void
make_dual_stack(struct servtab *list)
{
	struct servtab *sep;
	in_port_t port;

	if (!ipv6_available())
		return;
	for (sep = list; sep != NULL; sep = sep->se_next) {
		if (!sep->se_plain_inet || sep->se_tcpmux != TCPMUX_NONE ||
		    (sep->se_host != NULL && strcmp(sep->se_host, "*") != 0) ||
		    paired_with_ipv6(sep, list))
			continue;
		port = sep->se_ctrladdr.sin.sin_port;
		memset(&sep->se_ctrladdr, 0, sizeof(sep->se_ctrladdr));
		sep->se_ctrladdr.sin6.sin6_family = AF_INET6;
		sep->se_ctrladdr.sin6.sin6_addr = in6addr_any;
		sep->se_ctrladdr.sin6.sin6_port = port;
		sep->se_ctrladdr_size = sizeof(sep->se_ctrladdr.sin6);
		sep->se_family = AF_INET6;
		sep->se_v6only = 0;
	}
}

struct servtab *
config_resolve_all(struct servtab *list, uid_t euid, conf_report_fn *report)
{
	const struct config_builtins *table;
	struct servtab *sep, **prevp;
	struct lookup_answers ids;
	char where[SVC_WHERE_MAX];
	int rc;

	idents_ask(&ids, list);
	for (prevp = &list; (sep = *prevp) != NULL;) {
		if ((rc = resolve_entry(sep, euid, report, &ids)) == 0 &&
		    sep->se_off)
			report(LOG_DEBUG, "%s: off: checked, not loaded",
			    servtab_where(sep, where, sizeof(where)));
		if (rc == 0 && !sep->se_off)
			prevp = &sep->se_next;
		else {
			*prevp = sep->se_next;
			servtab_free(sep);
		}
	}
	lookup_free(&ids);
	make_dual_stack(list);
	if ((table = config_builtins_given()) != NULL &&
	    table->cb_drop_loops != NULL)
		list = table->cb_drop_loops(list, report);
	return list;
}

