/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * auth.c: the ident service (RFC 1413), with the options of FreeBSD's
 * inetd.
 *
 * A client asks who owns one of the TCP connections between its host
 * and ours, "LPORT , RPORT", our port first.  The answer comes from
 * the kernel (sock_diag netlink), the password database and, with -n
 * and -f, files in the owner's home directory, which only a process
 * with the owner's credentials reads: never root on another user's
 * behalf.  All of that may block, so auth always runs in a child of
 * its own, which answers queries until the client closes the
 * connection or leaves a query unfinished for the timeout.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sysexits.h>
#include <unistd.h>

#include "auth.h"
#include "clientio.h"
#include "config.h"
#include "log.h"
#include "util.h"

#define AUTH_QUERY_MAX		1000	/* bytes in a query, before its LF */
#define AUTH_TIMEOUT_MS		10000	/* default -t */
#define AUTH_TIMEOUT_MAX	3600	/* s, the largest -t */
#define AUTH_OSNAME		"UNIX"	/* default -o: RFC 1413's name */
#define AUTH_OSNAME_MAX		40	/* characters of a system name */
#define AUTH_NAME_MAX		32	/* from -d or ~/.fakeid (FreeBSD) */
#define AUTH_USERID_MAX		512	/* octets of a user-id (RFC 1413) */
#define AUTH_RANDOM_LEN		12	/* characters of a -g name */
#define AUTH_REPLY_MAX		(AUTH_USERID_MAX + AUTH_OSNAME_MAX + 64)
#define AUTH_DOTFILE_MAX	256	/* bytes of ~/.fakeid looked at */
#define AUTH_NETLINK_MAX	8192	/* an answer of sock_diag */
#define AUTH_PORT_DIGITS	5

/* The error replies of RFC 1413. */
#define ID_INVALID		"INVALID-PORT"
#define ID_NOUSER		"NO-USER"
#define ID_HIDDEN		"HIDDEN-USER"
#define ID_UNKNOWN		"UNKNOWN-ERROR"

/* The on/off options, bits of auth_options' flags. */
#define AUTH_REAL	0x01	/* -r: look owners up */
#define AUTH_NOIDENT	0x02	/* -n: honour ~/.noident */
#define AUTH_FAKEID	0x04	/* -f: honour ~/.fakeid */
#define AUTH_FAKEID_ANY	0x08	/* -F: even naming another user (and -f) */
#define AUTH_NUMERIC	0x10	/* -i: the uid, not the name */
#define AUTH_RANDOM	0x20	/* -g: made-up names only */

struct auth_options {
	unsigned	 flags;		/* AUTH_* */
	int		 timeout_ms;	/* -t */
	const char	*osname;	/* -o */
	const char	*fallback;	/* -d, or NULL */
};

/* The ends of the client's connection to us, the hosts of its queries. */
struct auth_ends {
	struct sockaddr_storage local;
	struct sockaddr_storage remote;
};

struct auth_owner {
	uid_t		 uid;
	gid_t		 gid;
	char		 name[AUTH_USERID_MAX + 1];
	char		 home[PATH_MAX];
};

enum owner_found { OWNER_FOUND, OWNER_NONE, OWNER_ERROR };

static int	auth_send(int, const struct auth_options *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* A word for a reply: printable, no blanks, none of forbidden. */
static int
valid_word(const char *s, size_t max, const char *forbidden)
{
	size_t len = strlen(s), i;

	if (len == 0 || len > max)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] > '~' ||
		    strchr(forbidden, s[i]) != NULL)
			return 0;
	return 1;
}

static int
auth_flag(struct auth_options *o, int opt)
{
	static const char letters[] = "rnfFig";
	static const unsigned bits[] = { AUTH_REAL, AUTH_NOIDENT, AUTH_FAKEID,
	    AUTH_FAKEID | AUTH_FAKEID_ANY, AUTH_NUMERIC, AUTH_RANDOM };
	const char *p;

	if (opt == '\0' || (p = strchr(letters, opt)) == NULL)
		return -1;
	o->flags |= bits[p - letters];
	return 0;
}

/*
 * *dst = value of -d or -o: a word of 1 to max printable characters,
 * no blanks and none of forbidden.
 */
static int
auth_word(const char **dst, int opt, const char *value, size_t max,
    const char *forbidden, char *why, size_t size)
{
	if (!valid_word(value, max, forbidden)) {
		snprintf(why, size, "auth: bad %s '%s' for -%c: expected 1 to "
		    "%zu printable characters, no blanks%s",
		    opt == 'd' ? "fallback name" : "system name", value, opt,
		    max, forbidden[0] != '\0' ? ", ':' or ','" : "");
		return -1;
	}
	*dst = value;
	return 0;
}

static int
auth_value(struct auth_options *o, int opt, const char *value, char *why,
    size_t size)
{
	double seconds;
	char *end;

	switch (opt) {
	case 'd':
		return auth_word(&o->fallback, opt, value, AUTH_NAME_MAX, "",
		    why, size);
	case 'o':
		return auth_word(&o->osname, opt, value, AUTH_OSNAME_MAX,
		    ":,", why, size);
	default:	/* 't' */
		errno = 0;
		seconds = strtod(value, &end);
		if (value[0] < '0' || value[0] > '9' || *end != '\0' ||
		    errno != 0 || !(seconds >= 0.001 &&
		    seconds <= AUTH_TIMEOUT_MAX)) {
			snprintf(why, size, "auth: bad timeout '%s' for -t: "
			    "expected seconds, from 0.001 to %d", value,
			    AUTH_TIMEOUT_MAX);
			return -1;
		}
		o->timeout_ms = (int)(seconds * 1000);
		return 0;
	}
}

/*
 * The entry's arguments, as FreeBSD's getopt string "d:fFgino:rt:"
 * reads them, after the builtin's name if they start with it.
 */
static int
auth_options(const struct servtab *sep, struct auth_options *o, char *why,
    size_t size)
{
	char *const *argv = sep->se_argv;
	const char *arg;
	int i = 0;

	memset(o, 0, sizeof(*o));
	o->timeout_ms = AUTH_TIMEOUT_MS;
	o->osname = AUTH_OSNAME;
	if (sep->se_argc > 0 && strcmp(argv[0], AUTH_NAME) == 0)
		i = 1;
	for (; i < sep->se_argc; i++) {
		arg = argv[i];
		if (arg[0] != '-' || arg[1] == '\0') {
			snprintf(why, size, "auth: unexpected argument '%s'",
			    arg);
			return -1;
		}
		for (arg++; *arg != '\0'; arg++) {
			if (strchr("dot", *arg) == NULL) {
				if (auth_flag(o, *arg) == 0)
					continue;
				snprintf(why, size, "auth: unknown option -%c "
				    "(expected -d, -f, -F, -g, -i, -n, -o, -r "
				    "or -t)", *arg);
				return -1;
			}
			if (arg[1] == '\0' && i + 1 == sep->se_argc) {
				snprintf(why, size, "auth: option -%c needs a "
				    "value", *arg);
				return -1;
			}
			if (auth_value(o, *arg, arg[1] != '\0' ? arg + 1 :
			    argv[++i], why, size) == -1)
				return -1;
			break;
		}
	}
	return 0;
}

int
auth_check(struct servtab *sep, char *why, size_t size)
{
	struct auth_options o;

	if (sep->se_family == AF_UNIX) {
		snprintf(why, size, "auth: needs a TCP socket (tcp, tcp4, "
		    "tcp6 or tcp46)");
		return -1;
	}
	return auth_options(sep, &o, why, size);
}

static int
auth_send(int fd, const struct auth_options *o, const char *fmt, ...)
{
	char reply[AUTH_REPLY_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(reply, sizeof(reply), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(reply))
		return -1;
	return client_write(fd, reply, n, o->timeout_ms);
}

static int
auth_userid(int fd, const struct auth_options *o, const struct auth_query *q,
    const char *name)
{
	return auth_send(fd, o, "%u , %u : USERID : %s : %s\r\n", q->lport,
	    q->fport, o->osname, name);
}

static int
auth_error(int fd, const struct auth_options *o, const struct auth_query *q,
    const char *error)
{
	return auth_send(fd, o, "%u , %u : ERROR : %s\r\n", q->lport,
	    q->fport, error);
}

/* With -d, its name instead of the error. */
static int
auth_fallback(int fd, const struct auth_options *o,
    const struct auth_query *q, const char *error)
{
	if (o->fallback != NULL)
		return auth_userid(fd, o, q, o->fallback);
	return auth_error(fd, o, q, error);
}

/* Up to 5 digits, with blanks around; *port stays 0 if none. */
static int
parse_port(const char **sp, unsigned *port)
{
	const char *s = *sp + strspn(*sp, " \t");
	unsigned n = 0;
	int digits;

	for (digits = 0; *s >= '0' && *s <= '9'; s++, digits++) {
		if (digits == AUTH_PORT_DIGITS)
			return -1;
		n = n * 10 + (*s - '0');
	}
	if (digits == 0)
		return -1;
	*port = n;
	*sp = s + strspn(s, " \t");
	return 0;
}

/*
 * "LPORT , RPORT".  A query that does not parse is answered for port
 * pair 0 , 0; one with a port out of range, for the ports it gave.
 */
int
auth_parse_query(const char *line, size_t len, struct auth_query *q)
{
	const char *s = line;

	q->lport = q->fport = 0;
	if (strlen(line) != len || parse_port(&s, &q->lport) == -1 ||
	    *s++ != ',' || parse_port(&s, &q->fport) == -1 || *s != '\0') {
		q->lport = q->fport = 0;
		return -1;
	}
	if (q->lport < 1 || q->lport > 65535 || q->fport < 1 ||
	    q->fport > 65535)
		return -1;
	return 0;
}

/* The ends of a connection as sock_diag names them; mapped as IPv4. */
static int
diag_address(const struct sockaddr_storage *ss, __be32 addr[4])
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET) {
		addr[0] = sin->sin_addr.s_addr;
		return AF_INET;
	}
	if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		memcpy(&addr[0], &sin6->sin6_addr.s6_addr[12], 4);
		return AF_INET;
	}
	memcpy(addr, &sin6->sin6_addr, 16);
	return AF_INET6;
}

/*
 * A listening socket, or one between connections (TIME_WAIT, a
 * half-open request), belongs to no one the client talks to.
 */
static int
connected_state(int state)
{
	switch (state) {
	case TCP_ESTABLISHED:
	case TCP_SYN_SENT:
	case TCP_FIN_WAIT1:
	case TCP_FIN_WAIT2:
	case TCP_CLOSE_WAIT:
	case TCP_LAST_ACK:
	case TCP_CLOSING:
		return 1;
	default:
		return 0;
	}
}

static enum owner_found
diag_owner(struct nlmsghdr *nlh, ssize_t len, uid_t *uid)
{
	const struct inet_diag_msg *msg;
	const struct nlmsgerr *nlerr;

	for (; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
		if (nlh->nlmsg_type == NLMSG_ERROR &&
		    nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(*nlerr))) {
			nlerr = NLMSG_DATA(nlh);
			if (nlerr->error == -ENOENT)
				return OWNER_NONE;
			errno = -nlerr->error;
			return OWNER_ERROR;
		}
		if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
		    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*msg)))
			continue;
		msg = NLMSG_DATA(nlh);
		if (!connected_state(msg->idiag_state))
			return OWNER_NONE;
		*uid = msg->idiag_uid;
		return OWNER_FOUND;
	}
	errno = EPROTO;
	return OWNER_ERROR;
}

/*
 * The owner of the connection from our port lport to the client's
 * fport, between the addresses of the query's own connection, so that
 * a client learns only about its own connections.  sock_diag looks the
 * one socket up (no dump of them all) and needs no privilege.
 */
static enum owner_found
connection_owner(const struct auth_ends *ends, const struct auth_query *q,
    uid_t *uid)
{
	struct {
		struct nlmsghdr		 nlh;
		struct inet_diag_req_v2	 req;
	} request;
	union {
		struct nlmsghdr		 nlh;
		char			 buf[AUTH_NETLINK_MAX];
	} answer;
	struct sockaddr_nl kernel;
	enum owner_found found;
	ssize_t n;
	int fd;

	memset(&request, 0, sizeof(request));
	request.nlh.nlmsg_len = sizeof(request);
	request.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	request.nlh.nlmsg_flags = NLM_F_REQUEST;
	request.req.sdiag_family = diag_address(&ends->local,
	    request.req.id.idiag_src);
	(void)diag_address(&ends->remote, request.req.id.idiag_dst);
	request.req.sdiag_protocol = IPPROTO_TCP;
	request.req.idiag_states = ~0U;
	request.req.id.idiag_sport = htons(q->lport);
	request.req.id.idiag_dport = htons(q->fport);
	request.req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	request.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	memset(&kernel, 0, sizeof(kernel));
	kernel.nl_family = AF_NETLINK;

	if ((fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
	    NETLINK_SOCK_DIAG)) == -1) {
		logmsg(LOG_ERR, "auth: sock_diag socket: %m");
		return OWNER_ERROR;
	}
	/* The kernel answers within sendto(): the answer is waiting. */
	if (sendto(fd, &request, sizeof(request), 0,
	    (struct sockaddr *)&kernel, sizeof(kernel)) == -1 ||
	    (n = recv(fd, answer.buf, sizeof(answer.buf), MSG_DONTWAIT)) ==
	    -1)
		found = OWNER_ERROR;
	else
		found = diag_owner(&answer.nlh, n, uid);
	if (found == OWNER_ERROR)
		logmsg(LOG_ERR, "auth: sock_diag: %m");
	close(fd);
	return found;
}

/* Without root, only our own user's files are read. */
static int
become_owner(const struct auth_owner *ow)
{
	if (geteuid() != 0)
		return geteuid() == ow->uid ? 0 : -1;
	if (initgroups(ow->name, ow->gid) == -1 || setgid(ow->gid) == -1 ||
	    setuid(ow->uid) == -1)
		return -1;
	return 0;
}

/* The first word of ~/.fakeid, or "" if it has none fit for a reply. */
static void
fakeid_word(const char *text, char *word, size_t size)
{
	size_t len;

	text += strspn(text, " \t");
	len = strcspn(text, " \t\r\n");
	if (len >= size)
		len = size - 1;		/* FreeBSD cuts a long name too */
	memcpy(word, text, len);
	word[len] = '\0';
	if (!valid_word(word, size - 1, ""))
		word[0] = '\0';
}

/*
 * The grandchild, as the owner: writes one line, 'H' if ~/.noident
 * hides the owner (else '-'), then the word of ~/.fakeid.  A link to a
 * file the owner may not read reads nothing.
 */
static void
read_dotfiles_as_owner(const struct auth_options *o,
    const struct auth_owner *ow, int out)
{
	char path[PATH_MAX], text[AUTH_DOTFILE_MAX + 1];
	char word[AUTH_NAME_MAX + 1];
	struct stat st;
	ssize_t n = 0;
	int hidden = 0, fd;

	if (become_owner(ow) == -1)
		_exit(EX_NOPERM);
	if ((o->flags & AUTH_NOIDENT) && (size_t)snprintf(path, sizeof(path),
	    "%s/.noident", ow->home) < sizeof(path) && lstat(path, &st) == 0)
		hidden = 1;
	if ((o->flags & AUTH_FAKEID) && !hidden &&
	    (size_t)snprintf(path, sizeof(path), "%s/.fakeid", ow->home) <
	    sizeof(path) &&
	    (fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC)) != -1) {
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
			n = read(fd, text, sizeof(text) - 1);
		close(fd);
	}
	text[n > 0 ? n : 0] = '\0';
	fakeid_word(text, word, sizeof(word));
	dprintf(out, "%c%s\n", hidden ? 'H' : '-', word);
	_exit(0);
}

/*
 * What ~/.noident and ~/.fakeid say, from a process of the owner's
 * (see above) that has until the timeout to tell.
 */
static void
read_dotfiles(const struct auth_options *o, const struct auth_owner *ow,
    int *hidden, char *fake, size_t size)
{
	char line[AUTH_NAME_MAX + 3];	/* flag, word, NUL */
	int pipefd[2];
	ssize_t len;
	pid_t pid;

	*hidden = 0;
	fake[0] = '\0';
	if (geteuid() != 0 && geteuid() != ow->uid)
		return;
	if (pipe2(pipefd, O_CLOEXEC) == -1) {
		logmsg(LOG_ERR, "auth: pipe: %m");
		return;
	}
	if ((pid = fork()) == -1) {
		logmsg(LOG_ERR, "auth: fork: %m");
		close(pipefd[0]);
		close(pipefd[1]);
		return;
	}
	if (pid == 0) {
		close(pipefd[0]);
		read_dotfiles_as_owner(o, ow, pipefd[1]);
	}
	close(pipefd[1]);
	len = client_read_line(pipefd[0], line, sizeof(line), o->timeout_ms);
	close(pipefd[0]);
	(void)kill(pid, SIGKILL);	/* one stuck on a file gives up now */
	(void)waitpid(pid, NULL, 0);
	if (len < 1)
		return;
	*hidden = line[0] == 'H';
	if (valid_word(line + 1, size - 1, ""))
		strlcpy(fake, line + 1, size);
}

/* Unless -F, a fake name may not be another user's name (or uid). */
static int
fakeid_allowed(const struct auth_options *o, const char *fake)
{
	const char *errstr;
	long long uid;

	if (o->flags & AUTH_FAKEID_ANY)
		return 1;
	if (!(o->flags & AUTH_NUMERIC))
		return getpwnam(fake) == NULL;
	uid = strtonum(fake, 0, UINT_MAX, &errstr);
	return errstr != NULL || getpwuid((uid_t)uid) == NULL;
}

/*
 * The owner as the reply names it.  A name from the password database,
 * or a directory behind it, passes the checks of a fake name, so that
 * it cannot end the reply line or start another; else its uid stands
 * for it, as with -i.
 */
static void
owner_name(const struct auth_options *o, const struct auth_owner *ow,
    char *name, size_t size)
{
	if (!(o->flags & AUTH_NUMERIC) &&
	    valid_word(ow->name, AUTH_USERID_MAX, "")) {
		strlcpy(name, ow->name, size);
		return;
	}
	if (!(o->flags & AUTH_NUMERIC))
		logmsg(LOG_WARNING, "auth: the name of uid %u has blanks or "
		    "control characters: answered with the uid",
		    (unsigned)ow->uid);
	snprintf(name, size, "%u", (unsigned)ow->uid);
}

static int
auth_owner_reply(int fd, const struct auth_options *o,
    const struct auth_query *q, uid_t uid)
{
	char name[AUTH_USERID_MAX + 1], fake[AUTH_NAME_MAX + 1];
	struct auth_owner ow;
	struct passwd *pw;
	int hidden;

	if ((pw = getpwuid(uid)) == NULL) {
		if (!(o->flags & AUTH_NUMERIC))
			return auth_fallback(fd, o, q, ID_NOUSER);
		snprintf(name, sizeof(name), "%u", (unsigned)uid);
		return auth_userid(fd, o, q, name);
	}
	/* Copied: the checks of a fake name overwrite *pw. */
	ow.uid = uid;
	ow.gid = pw->pw_gid;
	if (strlcpy(ow.name, pw->pw_name, sizeof(ow.name)) >=
	    sizeof(ow.name))
		return auth_error(fd, o, q, ID_UNKNOWN);
	owner_name(o, &ow, name, sizeof(name));
	if ((o->flags & (AUTH_NOIDENT | AUTH_FAKEID)) &&
	    strlcpy(ow.home, pw->pw_dir, sizeof(ow.home)) < sizeof(ow.home)) {
		read_dotfiles(o, &ow, &hidden, fake, sizeof(fake));
		if (hidden)
			return auth_error(fd, o, q, ID_HIDDEN);
		if (fake[0] != '\0' && fakeid_allowed(o, fake))
			strlcpy(name, fake, sizeof(name));
	}
	return auth_userid(fd, o, q, name);
}

/* -g: letters and digits, new for each answer, as FreeBSD makes them. */
static void
random_name(char *name, size_t len)
{
	static const char base36[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	size_t i;

	for (i = 0; i < len; i++)
		name[i] = base36[arc4random_uniform(sizeof(base36) - 1)];
	name[len] = '\0';
}

/* One query, one reply.  Returns -1 when the reply cannot be sent. */
static int
auth_answer(int fd, const struct auth_options *o,
    const struct auth_ends *ends, const char *line, size_t len)
{
	char name[AUTH_RANDOM_LEN + 1];
	struct auth_query q;
	uid_t uid;

	if (auth_parse_query(line, len, &q) == -1)
		return auth_error(fd, o, &q, ID_INVALID);
	if (o->flags & AUTH_RANDOM) {
		random_name(name, AUTH_RANDOM_LEN);
		return auth_userid(fd, o, &q, name);
	}
	if (!(o->flags & AUTH_REAL))
		return auth_fallback(fd, o, &q, ID_HIDDEN);
	switch (connection_owner(ends, &q, &uid)) {
	case OWNER_FOUND:
		return auth_owner_reply(fd, o, &q, uid);
	case OWNER_NONE:
		return auth_fallback(fd, o, &q, ID_NOUSER);
	default:
		return auth_fallback(fd, o, &q, ID_UNKNOWN);
	}
}

const struct servtab *
auth_serve(const struct servtab *sep, int fd, const struct servtab *services)
{
	char line[AUTH_QUERY_MAX + 1], why[256], where[SVC_WHERE_MAX];
	struct auth_options o;
	struct auth_ends ends;
	struct auth_query none = { 0, 0 };
	socklen_t len;
	ssize_t n;

	(void)services;
	/* auth_check() passed these at load: this cannot fail. */
	if (auth_options(sep, &o, why, sizeof(why)) == -1) {
		logmsg(LOG_ERR, "%s: %s", servtab_where(sep, where,
		    sizeof(where)), why);
		_exit(EX_SOFTWARE);
	}
	/* A client that is gone already asked nothing. */
	len = sizeof(ends.local);
	if (getsockname(fd, (struct sockaddr *)&ends.local, &len) == -1)
		_exit(0);
	len = sizeof(ends.remote);
	if (getpeername(fd, (struct sockaddr *)&ends.remote, &len) == -1)
		_exit(0);
	while ((n = client_read_line(fd, line, sizeof(line),
	    o.timeout_ms)) != LINE_END) {
		if (n == LINE_TOOLONG) {
			(void)auth_error(fd, &o, &none, ID_UNKNOWN);
			client_linger_exit(fd);
		}
		if (auth_answer(fd, &o, &ends, line, n) == -1)
			break;
	}
	_exit(0);
}
