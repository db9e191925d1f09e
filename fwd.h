/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fwd.h: what the files of the forward builtin share, and no other
 * file needs.  forward.c holds the hooks of the entry (parse, resolve,
 * accept, reload) and calls relay.c, which relays TCP connections, and
 * assoc.c, which forwards UDP clients (associations); all three call
 * fwd.c below them: an entry's settings (struct forward), the messages
 * of a rule, addresses, the clock and the timer.  proxy.c writes the
 * PROXY headers relay.c and assoc.c send.
 */
#ifndef INETD_FWD_H
#define INETD_FWD_H

#include <sys/socket.h>
#include <stdint.h>
#include <time.h>

#include "proxy.h"

struct servtab;

/*
 * Descriptors left to the rest of the daemon (listeners, builtin
 * connections, children's pipes), so that a reload can still open
 * listeners while thousands of connections are forwarded.
 */
#define FORWARD_FD_KEPT		1024

/* The settings of one forward entry, shared by its connections. */
struct forward {
	int		 fw_refs;
	int		 fw_socktype;
	int		 fw_proxy;	/* PROXY protocol version, 0: none */
	int		 fw_timeout;	/* idle s, 0: none */
	int		 fw_connect_timeout;	/* s */
	char		*fw_host;	/* the target as written */
	char		*fw_port;
	union sockaddr_any fw_addr;	/* resolved target */
	socklen_t	 fw_addrlen;
	char		*fw_label;	/* "FILE:LINE: SVC/PROTO" */
	char		*fw_service;	/* the service field, for -l */
	char		*fw_wrapname;	/* daemon name for tcp_wrappers */
	int		 fw_nodelay_fd; /* listener given TCP_NODELAY, or -1 */
	time_t		 fw_quiet_until; /* failures not logged before */
	unsigned	 fw_quiet_missed;
};

/*
 * How a connection ended, and the word -l logs for it: rinetd's where
 * it has them.  One list gives both the enum and result_words[].
 */
#define FORWARD_RESULTS(X)						\
	X(R_NONE, "closed")						\
	X(R_CLIENT_CLOSED, "done-remote-closed") /* client closed first */ \
	X(R_TARGET_CLOSED, "done-local-closed")	/* target closed first */ \
	X(R_CLIENT_RESET, "remote-reset")				\
	X(R_TARGET_RESET, "local-reset")				\
	X(R_CONNECT_FAILED, "local-connect-failed")			\
	X(R_CONNECT_TIMEOUT, "local-connect-timeout")			\
	X(R_SOCKET_FAILED, "local-socket-failed")			\
	X(R_IDLE_TIMEOUT, "idle-timeout")				\
	X(R_EXPIRED, "expired")		/* UDP association idle */	\
	X(R_EVICTED, "evicted")		/* UDP association made room */	\
	X(R_REPLACED, "reconfigured")	/* target changed on reload */
#define FORWARD_RESULT_ENUM(name, word)	name,
enum result { FORWARD_RESULTS(FORWARD_RESULT_ENUM) };
extern const char *const result_words[];

enum side { CLIENT, TARGET };

/* inetd -l: each connection, each UDP client and its end is logged. */
extern int		 forward_log_each;
/* Monotonic ms of this pass of the loop, set as each event comes. */
extern int64_t		 forward_now_ms;

/* fwd.c: the settings, by reference (see forward_unref()). */
struct forward	*forward_settings(const struct servtab *sep);
void		 forward_ref(struct forward *fw);
void		 forward_unref(struct forward *fw);
void		 forward_free_names(struct forward *fw);
struct log_event;
void		 forward_end_event(struct log_event *ev,
		    const struct forward *fw, const union sockaddr_any *peer,
		    int64_t start, uint64_t in, uint64_t out);
/* Addresses: any (0.0.0.0, ::), loopback, the same host. */
int		 is_any_address(const union sockaddr_any *a);
int		 is_loopback(const union sockaddr_any *a);
int		 same_host(union sockaddr_any a, union sockaddr_any b);
/* "ADDR port N"; an address not looked up, or a UNIX one, by name. */
const char	*addr_text(const union sockaddr_any *a, char *buf,
		    size_t size);
/*
 * Whether a message of a kind logged at most every FORWARD_LOG_INTERVAL
 * seconds goes now; more says how many were left out.
 */
int		 quiet_take(time_t *until, unsigned *missed, char *more,
		    size_t size);
/* A failure of the rule fw, at most one message an interval. */
void		 rule_log(struct forward *fw, int priority, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));
/* The loop wakes up at the earliest deadline (ms), or sooner. */
void		 timer_want(int64_t at);
/* *soonest becomes at when at is a deadline (not 0) and earlier. */
void		 earliest(int64_t *soonest, int64_t at);
/*
 * The deadline (0: none), whether this pass has reached it, and, before
 * the tables are looked over for the next, none.
 */
long long	 timer_deadline(void);
int		 timer_due(void);
void		 timer_reset(void);

/* relay.c: the TCP connections. */
void		 relay_init(void);
void		 relay_start(struct forward *fw, struct servtab *count_in,
		    int fd, const struct sockaddr *peer);
/* Those past their deadline end; *soonest: the next deadline. */
void		 relay_expire(int64_t *soonest);
/* The slots freed this pass are free for the next. */
void		 relays_release(void);
void		 relay_take_over(struct servtab *old, struct servtab *sep);
void		 relay_forget(struct servtab *old);
void		 relay_closeall(void);
int		 relay_count(void);

/* assoc.c: the UDP clients. */
void		 assoc_expire(int64_t *soonest);
void		 assoc_take_over(struct servtab *old, struct servtab *sep,
		    struct forward *fw);
void		 assoc_forget(struct servtab *old);
void		 assoc_closeall(void);
int		 assoc_count(void);

#endif /* INETD_FWD_H */
