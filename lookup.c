/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lookup.c: the look-up child, and the daemon's side of it.
 *
 * NSS modules and the resolver can hang, crash, keep descriptors or
 * threads, and stay mapped for good: none is ever loaded into the
 * daemon.  The questions of a load (plain strings: lookup.h) go to inetd
 * executed afresh, through a memory file, and every answer that comes
 * back is checked before it is used.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "lookup.h"
#include "util.h"

/*
 * Users, groups and host names are looked up by a child, once for each
 * load: the NSS modules that nsswitch.conf names (systemd, sss, ldap...)
 * and the resolver are loaded there and never in the daemon, where they
 * would stay mapped for good, could keep descriptors or threads, and
 * could crash or hang it.  All the questions of a load go to one child,
 * however many files the load reads.  The child is inetd executed
 * afresh (lookup_serve()), not a fork(): a fork shares the daemon's
 * memory, and each page the daemon then writes would fault, which at
 * 10,000 services doubles the time of a reload.  Questions and answers
 * are in a memory file both map.  A child that gets no answer in
 * lookup_seconds is killed, and the look-ups of the rest of the load
 * fail at once: they would wait as long.
 */
int	lookup_seconds = 30;

/* The memory file the child answers in. */
struct lookup_file {
	struct lookup_slot *v;		/* fd mapped: the child's too */
	size_t		 n;
	size_t		 size;		/* of the mapping */
	int		 fd;
};

static struct {
	int	 hung;		/* the rest of the load fails */
	char	 why[128];	/* why look-ups failed */
} lookup;

static int
group_id(const char *name, gid_t *gid)
{
	const struct group *gr;
	const char *errstr;

	if ((gr = getgrnam(name)) != NULL) {
		*gid = gr->gr_gid;
		return 0;
	}
	if (!all_digits(name))
		return -1;
	/* (gid_t)-1 means "no change" to chown() and setresgid(). */
	*gid = strtonum(name, 0, (long long)(gid_t)-2, &errstr);
	return errstr == NULL ? 0 : -1;
}

static int
answer_user(struct lookup_slot *a)
{
	const struct passwd *pw;

	if (a->kind == LOOKUP_SOCKGROUP)
		return group_id(a->group, &a->gid) == 0 ? LOOKUP_OK :
		    LOOKUP_NO_GROUP;
	if ((pw = getpwnam(a->user)) == NULL)
		return LOOKUP_NO_USER;
	a->uid = pw->pw_uid;
	a->gid = pw->pw_gid;
	a->ngroups = 0;
	if (a->kind == LOOKUP_SOCKOWNER)
		return LOOKUP_OK;
	if (a->group[0] != '\0' && group_id(a->group, &a->gid) == -1)
		return LOOKUP_NO_GROUP;
	a->ngroups = LOOKUP_MAXGROUPS;
	if (getgrouplist(a->user, a->gid, a->groups, &a->ngroups) == -1)
		return LOOKUP_TOO_MANY_GROUPS;
	return LOOKUP_OK;
}

/* getaddrinfo() orders the addresses by preference (RFC 6724). */
static int
answer_address(struct lookup_slot *a)
{
	struct addrinfo hints, *res;
	int error;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = a->family;
	hints.ai_socktype = a->socktype;
	hints.ai_flags = a->flags;
	errno = 0;
	if ((error = getaddrinfo(a->host[0] != '\0' ? a->host : NULL,
	    a->port[0] != '\0' ? a->port : NULL, &hints, &res)) != 0) {
		a->gai_error = error;
		a->sys_errno = errno;
		return LOOKUP_NO_ADDRESS;
	}
	if (res->ai_addrlen > sizeof(a->addr)) {
		a->gai_error = EAI_FAMILY;
		freeaddrinfo(res);
		return LOOKUP_NO_ADDRESS;
	}
	memcpy(&a->addr, res->ai_addr, res->ai_addrlen);
	a->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return LOOKUP_OK;
}

#define ANSWER_OFFSET	offsetof(struct lookup_slot, uid)

/* The answer, its status written last: a child killed half-way left none. */
static void
ident_answer(struct lookup_slot *id)
{
	struct lookup_slot a;
	int status;

	if (id->status != LOOKUP_UNANSWERED)
		return;			/* a name too long to exist */
	a = *id;
	a.user[sizeof(a.user) - 1] = a.group[sizeof(a.group) - 1] = '\0';
	a.host[sizeof(a.host) - 1] = a.port[sizeof(a.port) - 1] = '\0';
	status = a.kind == LOOKUP_ADDRESS ? answer_address(&a) :
	    answer_user(&a);
	memcpy((char *)id + ANSWER_OFFSET, (char *)&a + ANSWER_OFFSET,
	    sizeof(a) - ANSWER_OFFSET);
	__atomic_store_n(&id->status, status, __ATOMIC_RELEASE);
}

int
lookup_serve(const char *from, const char *size)
{
	struct lookup_slot *v;
	struct stat st;
	const char *errstr;
	size_t n, i;

	/* An inetd of another build has other questions. */
	if (strtonum(size, 1, LLONG_MAX, &errstr) != sizeof(*v) ||
	    fstat(STDIN_FILENO, &st) == -1 || st.st_size <= 0 ||
	    st.st_size % sizeof(*v) != 0)
		return EX_USAGE;
	n = st.st_size / sizeof(*v);
	i = strtonum(from, 0, n, &errstr);
	if (errstr != NULL || (v = mmap(NULL, st.st_size, PROT_READ |
	    PROT_WRITE, MAP_SHARED, STDIN_FILENO, 0)) == MAP_FAILED)
		return EX_USAGE;
	for (; i < n; i++)
		ident_answer(&v[i]);
	return 0;
}

/*
 * inetd itself, its memory file on stdin and done on stdout.  By the
 * path /proc/self/exe names, which valgrind makes its client's; after
 * an upgrade, that of a deleted file: then no child.
 */
static pid_t
idents_spawn(const struct lookup_file *lf, size_t from, int done)
{
	static char arg[] = LOOKUP_ARG;
	char self[PATH_MAX], fromstr[32], sizestr[32];
	char *argv[] = { self, arg, fromstr, sizestr, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t all, none;
	ssize_t len;
	pid_t pid;
	int error;

	if ((len = readlink("/proc/self/exe", self, sizeof(self))) <= 0 ||
	    (size_t)len >= sizeof(self))
		return -1;
	self[len] = '\0';
	snprintf(fromstr, sizeof(fromstr), "%zu", from);
	snprintf(sizestr, sizeof(sizestr), "%zu", sizeof(*lf->v));
	sigfillset(&all);
	sigemptyset(&none);
	if (posix_spawn_file_actions_init(&fa) != 0)
		return -1;
	if (posix_spawnattr_init(&attr) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	/* Signals are the daemon's business, not this child's. */
	error = posix_spawn_file_actions_adddup2(&fa, lf->fd, 0) ||
	    posix_spawn_file_actions_adddup2(&fa, done, 1) ||
	    posix_spawn_file_actions_addclosefrom_np(&fa, 3) ||
	    posix_spawnattr_setsigdefault(&attr, &all) ||
	    posix_spawnattr_setsigmask(&attr, &none) ||
	    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF |
	    POSIX_SPAWN_SETSIGMASK) ||
	    posix_spawn(&pid, self, &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return error ? -1 : pid;
}

/*
 * Questions from the first one on answered by a child; 0 when it
 * answered them all.  When no child can be started (at RLIMIT_NPROC, or
 * without /proc), the daemon answers them itself, as every inetd before
 * this one.
 */
static int
idents_run_child(struct lookup_file *lf, size_t from)
{
	struct pollfd pfd;
	pid_t pid = -1;
	int done[2] = { -1, -1 }, ready, status;

	if (pipe2(done, O_CLOEXEC) == -1 ||
	    (pid = idents_spawn(lf, from, done[1])) == -1) {
		if (done[0] != -1) {
			close(done[0]);
			close(done[1]);
		}
		for (; from < lf->n; from++)
			ident_answer(&lf->v[from]);
		return 0;
	}
	close(done[1]);
	pfd.fd = done[0];
	pfd.events = POLLIN;
	/* The pipe's end of file: the child has exited. */
	while ((ready = poll(&pfd, 1, lookup_seconds * 1000)) == -1 &&
	    errno == EINTR)
		continue;
	if (ready != 1) {
		(void)kill(pid, SIGKILL);
		lookup.hung = 1;
		snprintf(lookup.why, sizeof(lookup.why),
		    "no answer in %d s (nsswitch.conf)", lookup_seconds);
	}
	close(done[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		continue;
	return ready == 1 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ?
	    0 : -1;
}

/*
 * A child that dies (a crash in an NSS module) leaves its question
 * failed; the next child takes the questions after it.
 */
static void
idents_answer(struct lookup_file *lf)
{
	size_t from = 0;

	while (from < lf->n && !lookup.hung) {
		if (idents_run_child(lf, from) == 0 || lookup.hung)
			return;
		while (from < lf->n && lf->v[from].status != LOOKUP_UNANSWERED)
			from++;
		if (from < lf->n)
			lf->v[from++].status = LOOKUP_DIED;
	}
}

static const char *
nonnull(const char *s)
{
	return s != NULL ? s : "";
}

/* Questions and answers are both in this order. */
static int
question_cmp(const void *pa, const void *pb)
{
	const struct lookup_question *a = pa, *b = pb;
	int d;

	if (a->kind != b->kind)
		return a->kind - b->kind;
	if ((d = strcmp(nonnull(a->user), nonnull(b->user))) != 0 ||
	    (d = strcmp(nonnull(a->group), nonnull(b->group))) != 0 ||
	    (d = strcmp(nonnull(a->host), nonnull(b->host))) != 0 ||
	    (d = strcmp(nonnull(a->port), nonnull(b->port))) != 0)
		return d;
	if (a->family != b->family)
		return a->family - b->family;
	if (a->socktype != b->socktype)
		return a->socktype - b->socktype;
	return a->flags - b->flags;
}

/* Only ever of the daemon's own slots, whose strings it terminated. */
static int
slot_cmp(const void *pa, const void *pb)
{
	const struct lookup_slot *a = pa, *b = pb;
	const struct lookup_question qa = { a->kind, a->user, a->group, a->host,
	    a->port, a->family, a->socktype, a->flags };
	const struct lookup_question qb = { b->kind, b->user, b->group, b->host,
	    b->port, b->family, b->socktype, b->flags };

	return question_cmp(&qa, &qb);
}

/* The question; a name too long for any system is known not to exist. */
static void
ident_set(struct lookup_slot *id, const struct lookup_question *q)
{
	memset(id, 0, sizeof(*id));
	id->kind = q->kind;
	id->family = q->family;
	id->socktype = q->socktype;
	id->flags = q->flags;
	if (strlcpy(id->user, nonnull(q->user), sizeof(id->user)) >=
	    sizeof(id->user))
		id->status = LOOKUP_NO_USER;
	else if (strlcpy(id->group, nonnull(q->group), sizeof(id->group)) >=
	    sizeof(id->group))
		id->status = LOOKUP_NO_GROUP;
	else if (strlcpy(id->host, nonnull(q->host), sizeof(id->host)) >=
	    sizeof(id->host) || strlcpy(id->port, nonnull(q->port),
	    sizeof(id->port)) >= sizeof(id->port)) {
		id->status = LOOKUP_NO_ADDRESS;
		id->gai_error = EAI_NONAME;
	}
}

/*
 * Numeric addresses and ports only: never a name service (a forward
 * target's port may be a service name, which the child looks up).
 */
static int
numeric_address(const struct lookup_question *q, struct addrinfo **resp)
{
	struct addrinfo hints;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = q->family;
	hints.ai_socktype = q->socktype;
	hints.ai_flags = q->flags | AI_NUMERICHOST | AI_NUMERICSERV;
	return getaddrinfo(q->host, q->port != NULL ? q->port : "0", &hints,
	    resp);
}

/*
 * A host or service name: what the child answers; a numeric address
 * and port are ours.
 */
static int
asks_child(const struct lookup_question *q)
{
	struct addrinfo *res;
	int error;

	if ((error = numeric_address(q, &res)) == 0)
		freeaddrinfo(res);
	return error == EAI_NONAME;
}

static int
address_check(const struct lookup_slot *a)
{
	int family = a->addr.ss_family;

	if (a->family != AF_UNSPEC && family != a->family)
		return -1;
	if (family == AF_INET)
		return a->addrlen == sizeof(struct sockaddr_in) ? 0 : -1;
	if (family == AF_INET6)
		return a->addrlen == sizeof(struct sockaddr_in6) ? 0 : -1;
	return -1;
}

/* (uid_t)-1 and (gid_t)-1 mean "no change": never an answer. */
static int
ids_check(const struct lookup_slot *a)
{
	int i;

	if ((a->kind != LOOKUP_SOCKGROUP && a->uid == (uid_t)-1) ||
	    (a->kind != LOOKUP_SOCKOWNER && a->gid == (gid_t)-1) ||
	    a->ngroups < 0 || a->ngroups > LOOKUP_MAXGROUPS ||
	    (a->kind != LOOKUP_USER && a->ngroups != 0))
		return -1;
	for (i = 0; i < a->ngroups; i++)
		if (a->groups[i] == (gid_t)-1)
			return -1;
	return 0;
}

/*
 * The child is another process, with NSS modules that may be broken:
 * an answer that does not fit its question is refused.
 */
static int
lookup_answer_check(const struct lookup_slot *a)
{
	int user = a->kind != LOOKUP_ADDRESS;

	switch (a->status) {
	case LOOKUP_UNANSWERED:
	case LOOKUP_DIED:
		return 0;
	case LOOKUP_NO_USER:
	case LOOKUP_NO_GROUP:
	case LOOKUP_TOO_MANY_GROUPS:
		return user ? 0 : -1;
	case LOOKUP_NO_ADDRESS:
		/* glibc's EAI_ codes are negative; errno values are small. */
		return !user && a->gai_error < 0 && a->sys_errno >= 0 &&
		    a->sys_errno < 4096 ? 0 : -1;
	case LOOKUP_OK:
		return user ? ids_check(a) : address_check(a);
	default:
		return -1;
	}
}

/* The child's answer, copied once into the daemon's slot, then checked. */
static void
lookup_take(struct lookup_slot *mine, const struct lookup_slot *theirs)
{
	const size_t off = offsetof(struct lookup_slot, status);
	struct lookup_slot a = *mine;

	memcpy((char *)&a + off, (const char *)theirs + off, sizeof(a) - off);
	if (lookup_answer_check(&a) == 0)
		*mine = a;
	else
		mine->status = LOOKUP_BAD_ANSWER;
}

/* The questions in a memory file for the child; -1 with lookup.why. */
static int
lookup_file_ask(struct lookup_file *lf, const struct lookup_answers *ans)
{
	void *v;

	lf->n = ans->n;
	lf->size = ans->n * sizeof(*lf->v);
	if ((lf->fd = memfd_create("inetd-lookups", MFD_CLOEXEC)) == -1 ||
	    ftruncate(lf->fd, lf->size) == -1 ||
	    (v = mmap(NULL, lf->size, PROT_READ | PROT_WRITE, MAP_SHARED,
	    lf->fd, 0)) == MAP_FAILED) {
		snprintf(lookup.why, sizeof(lookup.why), "memory file: %s",
		    strerror(errno));
		if (lf->fd != -1)
			close(lf->fd);
		return -1;
	}
	lf->v = v;
	memcpy(lf->v, ans->v, lf->size);
	idents_answer(lf);
	return 0;
}

const struct lookup_slot *
lookup_find(const struct lookup_answers *ans, const struct lookup_question *q)
{
	static const struct lookup_slot unanswered; /* LOOKUP_UNANSWERED */
	const struct lookup_slot *id;
	struct lookup_slot key;

	ident_set(&key, q);
	if (ans->v == NULL || (id = bsearch(&key, ans->v, ans->n,
	    sizeof(*ans->v), slot_cmp)) == NULL)
		return &unanswered;
	return id;
}

const char *
lookup_why(const struct lookup_slot *id)
{
	if (id->status == LOOKUP_DIED)
		return "the look-up process died (nsswitch.conf)";
	if (id->status == LOOKUP_BAD_ANSWER)
		return "the look-up process gave a bad answer";
	return lookup.why[0] != '\0' ? lookup.why : "no answer";
}

int
lookup_address(const struct lookup_answers *ans,
    const struct lookup_question *q,
    struct sockaddr_storage *addr, socklen_t *lenp, char *why, size_t size)
{
	const struct lookup_slot *id;
	struct addrinfo *res;
	int error;

	errno = 0;
	if ((error = numeric_address(q, &res)) == 0) {
		if (res->ai_addrlen > sizeof(*addr))
			error = EAI_FAMILY;
		else {
			memcpy(addr, res->ai_addr, res->ai_addrlen);
			*lenp = res->ai_addrlen;
		}
		freeaddrinfo(res);
	} else if (error == EAI_NONAME) {
		id = lookup_find(ans, q);
		if (id->status == LOOKUP_OK) {
			memcpy(addr, &id->addr, id->addrlen);
			*lenp = id->addrlen;
			return 0;
		}
		if (id->status != LOOKUP_NO_ADDRESS) {
			snprintf(why, size, "not looked up: %s",
			    lookup_why(id));
			return -1;
		}
		error = id->gai_error;
		errno = id->sys_errno;
	}
	if (error == 0)
		return 0;
	snprintf(why, size, "%s", error == EAI_SYSTEM ? strerror(errno) :
	    gai_strerror(error));
	return -1;
}

/*
 * The distinct questions of q that need the child, sorted: a numeric
 * address is answered by lookup_address() itself.
 */
static size_t
questions_distinct(struct lookup_question *q, size_t n)
{
	size_t i, j;

	for (i = j = 0; i < n; i++)
		if (q[i].kind != LOOKUP_ADDRESS || asks_child(&q[i]))
			q[j++] = q[i];
	n = j;
	qsort(q, n, sizeof(*q), question_cmp);
	for (i = j = 0; i < n; i++)
		if (j == 0 || question_cmp(&q[j - 1], &q[i]) != 0)
			q[j++] = q[i];
	return j;
}

void
lookup_ask(struct lookup_answers *ans, struct lookup_question *q, size_t n)
{
	struct lookup_file lf;
	size_t i;

	memset(ans, 0, sizeof(*ans));
	if (!lookup.hung)
		lookup.why[0] = '\0';
	if (q != NULL)
		n = questions_distinct(q, n);
	if (q == NULL || (ans->v = calloc(n + 1, sizeof(*ans->v))) == NULL) {
		snprintf(lookup.why, sizeof(lookup.why), "out of memory");
		return;
	}
	ans->n = n;
	for (i = 0; i < n; i++)
		ident_set(&ans->v[i], &q[i]);
	if (n == 0 || lookup_file_ask(&lf, ans) == -1)
		return;
	for (i = 0; i < n; i++)
		lookup_take(&ans->v[i], &lf.v[i]);
	(void)munmap(lf.v, lf.size);
	close(lf.fd);
}

/* The load is over: the next one may try a child again. */
void
lookup_free(struct lookup_answers *ans)
{
	free(ans->v);
	ans->v = NULL;
	ans->n = 0;
	lookup.hung = 0;
}
