/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lookup.h: users, groups, host and service names, looked up in a child
 * so that no NSS module or resolver is ever loaded into the daemon.
 *
 * The caller asks plain questions (a user and group, a host and port)
 * and reads the answers back, checked; nothing here knows inetd.conf.
 * The child is inetd executed as "inetd --look-up FROM SIZE", a memory
 * file of questions of SIZE bytes each on its standard input, which it
 * answers from question FROM on.  main() of every program that loads a
 * configuration hands such a call to lookup_serve(), whose result is
 * the exit status.
 */
#ifndef INETD_LOOKUP_H
#define INETD_LOOKUP_H

#include <sys/types.h>
#include <sys/socket.h>
#include <limits.h>
#include <netdb.h>
#include <stddef.h>

#define LOOKUP_ARG	"--look-up"
#define LOOKUP_MAXGROUPS 256	/* supplementary groups kept per user */

/*
 * A child that answers nothing in this many seconds (30 unless a test
 * shortens it) is killed, and the look-ups of the rest of the load
 * fail at once.
 */
extern int	 lookup_seconds;

int		 lookup_serve(const char *from, const char *size);

/* What a look-up question is about. */
enum lookup_kind {
	LOOKUP_USER,		/* user[:group]: uid, gid, groups */
	LOOKUP_SOCKOWNER,	/* user: uid */
	LOOKUP_SOCKGROUP,	/* group: gid */
	LOOKUP_ADDRESS		/* host, port: the first address */
};

enum lookup_status {
	LOOKUP_UNANSWERED,	/* no answer: the child says nothing */
	LOOKUP_DIED,		/* the look-up process died on it */
	LOOKUP_OK,
	LOOKUP_NO_USER,
	LOOKUP_NO_GROUP,
	LOOKUP_TOO_MANY_GROUPS,
	LOOKUP_NO_ADDRESS,	/* getaddrinfo() failed: gai_error */
	LOOKUP_BAD_ANSWER	/* the daemon refused what it read */
};

/* A question, naming the asker's own strings (NULL: none). */
struct lookup_question {
	int		 kind;		/* enum lookup_kind */
	const char	*user;
	const char	*group;
	const char	*host;
	const char	*port;
	int		 family;	/* getaddrinfo() hints */
	int		 socktype;
	int		 flags;
};

/*
 * One slot of the memory file the child answers in: the question, then
 * the answer, its status written last.  The child is another process
 * whose NSS modules may be broken: the daemon reads its answers back
 * into a slot of its own and checks every field; the questions it keeps
 * never leave its memory.
 */
struct lookup_slot {
	int		 kind;		/* enum lookup_kind */
	char		 user[LOGIN_NAME_MAX];	/* "" for none */
	char		 group[LOGIN_NAME_MAX];
	char		 host[NI_MAXHOST];	/* LOOKUP_ADDRESS */
	char		 port[NI_MAXSERV];	/* "" for none */
	int		 family;	/* getaddrinfo() hints */
	int		 socktype;
	int		 flags;
	int		 status;	/* enum lookup_status */
	uid_t		 uid;
	gid_t		 gid;
	int		 ngroups;
	gid_t		 groups[LOOKUP_MAXGROUPS];
	int		 gai_error;	/* LOOKUP_NO_ADDRESS: why */
	int		 sys_errno;	/* with EAI_SYSTEM */
	socklen_t	 addrlen;
	struct sockaddr_storage addr;
};

/* The answers to the distinct questions of one load, sorted. */
struct lookup_answers {
	struct lookup_slot *v;		/* the daemon's own memory */
	size_t		 n;
};

/*
 * The n questions of q, all answered by one child (another if one dies
 * on a question); q is sorted in place.  A numeric address needs no
 * child: lookup_address() answers it.  q NULL (no memory to ask): every
 * look-up fails, and so does every one after a child hung, until
 * lookup_free().
 */
void		 lookup_ask(struct lookup_answers *ans,
		    struct lookup_question *q, size_t n);
void		 lookup_free(struct lookup_answers *ans);
/* The answer to a question asked; status LOOKUP_UNANSWERED if none. */
const struct lookup_slot *lookup_find(const struct lookup_answers *ans,
		    const struct lookup_question *q);
/* Why an answer is missing, when it is not "unknown". */
const char	*lookup_why(const struct lookup_slot *id);
/*
 * The first address of an address question: a numeric one at once, a
 * name's from the answers.  0, or -1 with why.
 */
int		 lookup_address(const struct lookup_answers *ans,
		    const struct lookup_question *q,
		    struct sockaddr_storage *addr, socklen_t *lenp, char *why,
		    size_t size);

#endif /* INETD_LOOKUP_H */
