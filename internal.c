/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * internal.c: the builtin services, served by the daemon itself.
 *
 * echo (RFC 862), discard (863), chargen (864), daytime (867) and
 * time (868), over TCP and UDP.  A stream connection is a slot in a
 * fixed table, its socket registered once in the loop's epoll set
 * (event.h), edge-triggered, and stepped with non-blocking I/O of at
 * most one buffer each way per pass of the loop: one with more to do is
 * queued for the next pass, so no client can stall the daemon or
 * another client.  Beyond the table the daemon forks and
 * the child runs the same step code under poll().  A connection that
 * moves no byte for the idle timeout is closed, in the table and in a
 * child alike, so that idle clients cannot hold the table for ever.
 *
 * tcpmux (RFC 1078), and auth (RFC 1413, in auth.c), wait on their
 * client or on the system: they always run in a child of their own.
 *
 * stats answers with the daemon's counters (stats.c), a text that may
 * be far larger than a connection's buffer: a connection of the table
 * sends its own copy, made when it opens, as the socket takes it; when
 * stats_text_room() says the daemon makes no more, a child answers.
 */
#include <sys/param.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "builtin.h"
#include "config.h"
#include "dgram.h"
#include "event.h"
#include "forward.h"
#include "log.h"
#include "stats.h"
#include "tcpmux.h"
#include "util.h"

#define CHARGEN_RING	95	/* the printable characters ' ' to '~' */
#define CHARGEN_WIDTH	72	/* characters in a line, then CRLF */
#define CHARGEN_LINE	(CHARGEN_WIDTH + 2)
#define CHARGEN_PERIOD	(CHARGEN_RING * CHARGEN_LINE) /* stream repeats */
#define CHARGEN_DGRAMMAX 512	/* RFC 864: 0 to 512 characters */
#define SECONDS_1900_TO_1970 2208988800ULL	/* RFC 868 epoch */
#define DGRAM_BATCH	16	/* datagrams per call: others get a turn */
#define LOOP_LOG_INTERVAL 60	/* s between loop refusal messages */
#define CONN_EVENTS	(EPOLLIN | EPOLLRDHUP | EPOLLET)

struct conn;

struct builtin {
	const char	*bi_name;
	int		 bi_socktype;
	int		 bi_port;	/* its well-known port */
	/*
	 * Stream: takes the n bytes just read into the connection's
	 * buffer; NULL when the client's bytes are never read.
	 */
	void		(*bi_input)(struct conn *, size_t n);
	/* Stream: output without end, made whenever the buffer is empty. */
	void		(*bi_refill)(struct conn *);
	/*
	 * Datagram: the reply to the len bytes in buf, made in buf (size
	 * bytes).  Stream: the whole reply, sent before closing.  Returns
	 * the reply's length, -1 for no reply.
	 */
	ssize_t		(*bi_answer)(char *buf, size_t len, size_t size);
	/*
	 * Stream: the whole reply, too long for the buffer, in memory of
	 * malloc() of *len bytes; NULL for none.
	 */
	char		*(*bi_text)(size_t *len);
	/* Whether the daemon makes one more, open already: else a child. */
	int		(*bi_text_room)(int open);
	/*
	 * Stream: serves the connection on fd in a forked child, where it
	 * may block.  Exits, or returns the entry whose connection the
	 * daemon takes back (see builtin_serve()).
	 */
	const struct servtab *(*bi_child)(const struct servtab *sep, int fd,
			    const struct servtab *services);

	/*
	 * The builtins with state of their own (forward) give the rest.
	 * At load: checks the entry's arguments, and may keep what they
	 * say in se_private, which bi_free frees; NULL: they are ignored.
	 */
	builtin_parse_fn   *bi_parse;
	/* At load: the address the look-up child finds, if any (1). */
	builtin_target_fn  *bi_target;
	builtin_resolve_fn *bi_resolve;
	void		(*bi_free)(void *private);
	/* Stream: serves the connection in the daemon, counted as a child. */
	void		(*bi_accept)(struct servtab *sep, int fd,
			    const struct sockaddr *peer);
	/*
	 * Datagram: takes the datagrams waiting on the entry's socket,
	 * refusing those loop_port says may be a service's answer.
	 */
	void		(*bi_dgram)(struct servtab *sep, dgram_admit_fn *admit,
			    loop_port_fn *loop_port);
	/* Sets its options on the entry's socket (on), or clears them. */
	int		(*bi_socket_options)(const struct servtab *sep, int fd,
			    int on);
	/* The limits of the connections it serves (see builtin.h). */
	int		(*bi_peer_count)(const struct servtab *sep,
			    const struct sockaddr *peer);
	int		(*bi_peer_admit)(const struct servtab *sep,
			    const struct sockaddr *peer, int *limit);
	int		(*bi_entry_full)(const struct servtab *sep, int *limit);
	/* The daemon name for tcp_wrappers; NULL: bi_name. */
	const char	*(*bi_wrap_name)(const struct servtab *sep);
	/* Reload: the entry sep takes over old's socket, or old goes. */
	void		(*bi_take_over)(struct servtab *old,
			    struct servtab *sep);
	void		(*bi_forget)(struct servtab *old);
	void		(*bi_closeall)(void);
	/* Load: whether a connection to sep's target arrives at other. */
	int		(*bi_relays_to)(const struct servtab *sep,
			    const struct servtab *other);
	int		 bi_unwrapped;	/* tcp_wrappers never check it */
};

/*
 * A stream connection.  It refers to its builtin row only, never to
 * the servtab entry, which a reload may free while it runs.  In the
 * table, the socket is edge-triggered: c_can_read and c_can_write say
 * what epoll reported and no read or write has used up since.  A slot
 * freed while its handler is queued (event_queue) stays queued, and
 * whoever takes it next is merely stepped once more.
 */
struct conn {
	const struct builtin *c_bi;	/* NULL: slot free */
	int		 c_fd;
	int		 c_in_table;	/* one of conns[], counted */
	int		 c_eof;		/* no more input: flush, then close */
	struct handler	 c_handler;	/* in the table: c_fd's in the loop */
	uint8_t		 c_can_read;
	uint8_t		 c_can_write;
	uint8_t		 c_fin;		/* EPOLLRDHUP: a FIN after the data */
	uint8_t		 c_outwatch;	/* registered for EPOLLOUT */
	long long	 c_active;	/* monotonic ms a byte last moved */
	size_t		 c_off;		/* output is c_out[c_off..+c_len] */
	size_t		 c_len;
	size_t		 c_chargen;	/* position in the chargen stream */
	char		*c_out;		/* c_buf, or bi_text's reply */
	char		 c_buf[BUILTIN_BUFSIZE];
};

static void	echo_input(struct conn *, size_t);
static void	discard_input(struct conn *, size_t);
static void	chargen_refill(struct conn *);
static ssize_t	echo_answer(char *, size_t, size_t);
static ssize_t	discard_answer(char *, size_t, size_t);
static ssize_t	chargen_answer(char *, size_t, size_t);
static ssize_t	daytime_answer(char *, size_t, size_t);
static ssize_t	time_answer(char *, size_t, size_t);

static const struct builtin builtins[] = {
	{ "echo", SOCK_STREAM, 7, .bi_input = echo_input },
	{ "discard", SOCK_STREAM, 9, .bi_input = discard_input },
	{ "chargen", SOCK_STREAM, 19, .bi_refill = chargen_refill },
	{ "daytime", SOCK_STREAM, 13, .bi_answer = daytime_answer },
	{ "time", SOCK_STREAM, 37, .bi_answer = time_answer },
	{ "stats", SOCK_STREAM, 0, .bi_text = stats_text,
	    .bi_text_room = stats_text_room },
	{ "echo", SOCK_DGRAM, 7, .bi_answer = echo_answer },
	{ "discard", SOCK_DGRAM, 9, .bi_answer = discard_answer },
	{ "chargen", SOCK_DGRAM, 19, .bi_answer = chargen_answer },
	{ "daytime", SOCK_DGRAM, 13, .bi_answer = daytime_answer },
	{ "time", SOCK_DGRAM, 37, .bi_answer = time_answer },
	{ AUTH_NAME, SOCK_STREAM, 113, .bi_child = auth_serve,
	    .bi_parse = auth_check },
	{ "tcpmux", SOCK_STREAM, 1, .bi_child = tcpmux_serve },
	/*
	 * Served by forward.c in the daemon; under -W a child checks the
	 * client, then gives the connection back (forward_child).
	 */
	{ FORWARD_NAME, SOCK_STREAM, 0, .bi_child = forward_child,
	    .bi_parse = forward_parse, .bi_target = forward_target,
	    .bi_resolve = forward_resolve, .bi_free = forward_free,
	    .bi_accept = forward_accept,
	    .bi_socket_options = forward_socket_options,
	    .bi_peer_count = forward_peer_count,
	    .bi_peer_admit = forward_peer_admit,
	    .bi_entry_full = forward_entry_full,
	    .bi_wrap_name = forward_wrap_name,
	    .bi_take_over = forward_take_over, .bi_forget = forward_forget,
	    .bi_closeall = forward_closeall,
	    .bi_relays_to = forward_relays_to },
	/*
	 * A UDP forwarder keeps its clients' associations in the daemon,
	 * where hosts_access() would block the loop: not wrapped.
	 */
	{ FORWARD_NAME, SOCK_DGRAM, 0, .bi_dgram = forward_dgram,
	    .bi_parse = forward_parse, .bi_target = forward_target,
	    .bi_resolve = forward_resolve, .bi_free = forward_free,
	    .bi_socket_options = forward_socket_options,
	    .bi_wrap_name = forward_wrap_name,
	    .bi_take_over = forward_take_over, .bi_forget = forward_forget,
	    .bi_closeall = forward_closeall,
	    .bi_relays_to = forward_relays_to, .bi_unwrapped = 1 },
};
#define NBUILTINS	nitems(builtins)

static struct conn	conns[BUILTIN_MAXCONN];
/*
 * One past the last slot ever used: the loops stop there, so an idle
 * daemon neither touches the table's pages (its memory) nor walks it.
 */
static struct conn	*conns_end = conns;
static int		 conns_used;	/* slots taken */
static int		 texts_open;	/* of them, sending a bi_text reply */
static long long	 idle_ms = BUILTIN_IDLE_SECONDS * 1000LL;
/* The earliest idle deadline of the table, or sooner; 0: none. */
static long long	 idle_deadline;

/* Per builtin, so that a flood at several addresses logs once too. */
static time_t		loop_log_quiet_until[NBUILTINS];

/*
 * The ports of the daemon's own datagram entries (builtins, forwards and
 * servers), a bit each, so that checking a source port costs the same
 * with 10,000 entries as with one (see builtin_loop_port).
 */
static uint8_t		own_dgram_ports[(UINT16_MAX + 1) / 8];
static int		own_dgram_ports_any;	/* a bit may be set */

/* The next size bytes of the RFC 864 stream, from position *pos on. */
static void
chargen_fill(char *buf, size_t size, size_t *pos)
{
	size_t i, line, col;

	for (i = 0; i < size; i++) {
		line = *pos / CHARGEN_LINE;
		col = *pos % CHARGEN_LINE;
		if (col < CHARGEN_WIDTH)
			buf[i] = ' ' + (line + col) % CHARGEN_RING;
		else
			buf[i] = col == CHARGEN_WIDTH ? '\r' : '\n';
		*pos = (*pos + 1) % CHARGEN_PERIOD;
	}
}

static void
echo_input(struct conn *c, size_t n)
{
	c->c_len += n;
}

static void
discard_input(struct conn *c, size_t n)
{
	(void)c;
	(void)n;
}

static void
chargen_refill(struct conn *c)
{
	chargen_fill(c->c_buf, sizeof(c->c_buf), &c->c_chargen);
	c->c_off = 0;
	c->c_len = sizeof(c->c_buf);
}

static ssize_t
echo_answer(char *buf, size_t len, size_t size)
{
	(void)buf;
	(void)size;
	return len;
}

static ssize_t
discard_answer(char *buf, size_t len, size_t size)
{
	(void)buf;
	(void)len;
	(void)size;
	return -1;
}

/* Each datagram starts the pattern afresh, so any reply can be checked. */
static ssize_t
chargen_answer(char *buf, size_t len, size_t size)
{
	size_t n, pos = 0;

	(void)len;
	n = arc4random_uniform(CHARGEN_DGRAMMAX + 1);
	n = MIN(n, size);
	chargen_fill(buf, n, &pos);
	return n;
}

static ssize_t
daytime_answer(char *buf, size_t len, size_t size)
{
	char line[26];		/* what ctime_r requires */
	time_t now;
	int n;

	(void)len;
	now = time(NULL);
	if (ctime_r(&now, line) == NULL)
		return -1;
	n = snprintf(buf, size, "%.24s\r\n", line);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}

static ssize_t
time_answer(char *buf, size_t len, size_t size)
{
	uint32_t t;

	(void)len;
	if (size < sizeof(t))
		return -1;
	/* Modulo 2^32: RFC 868 time wraps in 2036. */
	t = htonl((uint32_t)((uint64_t)time(NULL) + SECONDS_1900_TO_1970));
	memcpy(buf, &t, sizeof(t));
	return sizeof(t);
}

static void
conn_open(struct conn *c, const struct builtin *bi, int fd)
{
	ssize_t n;

	c->c_bi = bi;
	c->c_fd = fd;
	c->c_in_table = 0;
	c->c_active = monotonic_ms();
	c->c_eof = 0;
	c->c_off = 0;
	c->c_len = 0;
	c->c_chargen = 0;
	c->c_out = c->c_buf;
	if (bi->bi_answer != NULL) {
		n = bi->bi_answer(c->c_buf, 0, sizeof(c->c_buf));
		c->c_len = n > 0 ? (size_t)n : 0;
		c->c_eof = 1;	/* nothing the client sends matters */
	}
	if (bi->bi_text != NULL) {
		if ((c->c_out = bi->bi_text(&c->c_len)) == NULL) {
			c->c_out = c->c_buf;
			c->c_len = 0;
		} else
			texts_open++;
		c->c_eof = 1;
	}
}

static void
conn_drop_text(struct conn *c)
{
	if (c->c_out != c->c_buf) {
		free(c->c_out);
		texts_open--;
	}
	c->c_out = c->c_buf;
}

static void
conn_close(struct conn *c)
{
	(void)event_close(c->c_fd);
	c->c_bi = NULL;
	if (c->c_in_table)
		conns_used--;
	conn_drop_text(c);
}

static int
conn_wants_input(const struct conn *c)
{
	return c->c_bi->bi_input != NULL && !c->c_eof &&
	    c->c_len < sizeof(c->c_buf);
}

/* What the connection waits for, as poll(2) events. */
static int
conn_events(const struct conn *c)
{
	int events = 0;

	if (conn_wants_input(c))
		events |= POLLIN;
	if (c->c_len > 0 || c->c_bi->bi_refill != NULL)
		events |= POLLOUT;
	return events;
}

/* One read, at time now.  Returns -1 when the connection is finished. */
static int
conn_receive(struct conn *c, long long now)
{
	size_t room;
	ssize_t n;

	if (c->c_off + c->c_len == sizeof(c->c_buf)) {
		memmove(c->c_buf, c->c_buf + c->c_off, c->c_len);
		c->c_off = 0;
	}
	room = sizeof(c->c_buf) - c->c_off - c->c_len;
	n = recv(c->c_fd, c->c_buf + c->c_off + c->c_len, room,
	    MSG_DONTWAIT);
	/*
	 * A read that did not fill the room emptied the socket: the next
	 * data brings an event.  A FIN that came with it brings none: the
	 * next read sees it.
	 */
	if ((n > 0 && (size_t)n < room && !c->c_fin) ||
	    (n == -1 && errno != EINTR))
		c->c_can_read = 0;
	if (n > 0)
		c->c_bi->bi_input(c, n);
	else if (n == 0)
		c->c_eof = 1;
	else if (!try_again_later())
		return -1;
	if (n >= 0)
		c->c_active = now;
	return 0;
}

/* One write, at time now.  Returns -1 when the connection is finished. */
static int
conn_transmit(struct conn *c, long long now)
{
	ssize_t n;

	n = send(c->c_fd, c->c_out + c->c_off, c->c_len,
	    MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n == -1 ? errno != EINTR : (size_t)n < c->c_len)
		c->c_can_write = 0;	/* full: EPOLLOUT tells when not */
	if (n == -1)
		return try_again_later() ? 0 : -1;
	c->c_active = now;
	c->c_off += n;
	c->c_len -= n;
	if (c->c_len == 0)
		c->c_off = 0;
	return 0;
}

/*
 * The only code that serves a stream builtin, in the daemon and in a
 * child alike.  revents says what poll() or epoll reported; the
 * write is tried even when only input was reported, since the socket
 * is non-blocking and fresh input usually finds room to be echoed.
 */
static void
conn_step(struct conn *c, int revents, long long now)
{
	if ((revents & POLLIN) && conn_wants_input(c) &&
	    conn_receive(c, now) == -1) {
		conn_close(c);
		return;
	}
	if (c->c_len == 0 && c->c_bi->bi_refill != NULL)
		c->c_bi->bi_refill(c);
	if ((c->c_len > 0 && conn_transmit(c, now) == -1) ||
	    (c->c_eof && c->c_len == 0))
		conn_close(c);
}

static struct conn *
conn_free_slot(void)
{
	struct conn *c;

	for (c = conns; c < conns_end; c++)
		if (c->c_bi == NULL)
			return c;
	return conns_end < conns + BUILTIN_MAXCONN ? conns_end++ : NULL;
}

/* Whether a step would do something: else the next event says when. */
static int
conn_runnable(const struct conn *c)
{
	return (c->c_can_read && conn_wants_input(c)) ||
	    (c->c_can_write && (c->c_len > 0 || c->c_bi->bi_refill != NULL));
}

/*
 * A connection of the table, with what epoll has reported so far.  One
 * that found its socket full is watched for EPOLLOUT from then on: an
 * echo or discard client that reads what it is sent never costs more
 * than its registration.
 */
static void
conn_serve(struct conn *c, long long now)
{
	conn_step(c, (c->c_can_read ? POLLIN : 0) |
	    (c->c_can_write ? POLLOUT : 0), now);
	if (c->c_bi == NULL)
		return;
	if (!c->c_can_write && !c->c_outwatch) {
		c->c_outwatch = 1;
		if (event_mod(c->c_fd, CONN_EVENTS | EPOLLOUT,
		    &c->c_handler) == -1) {
			conn_close(c);
			return;
		}
	}
	if (conn_runnable(c))
		event_queue(&c->c_handler);
}

static void
conn_ready(struct handler *h, uint32_t events)
{
	struct conn *c = container_of(h, struct conn, c_handler);

	if (c->c_bi == NULL)
		return;		/* closed since the wake-up */
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->c_can_read = 1;
	if (events & EPOLLRDHUP)
		c->c_fin = 1;
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		c->c_can_write = 1;
	conn_serve(c, event_now_ms());
}

/*
 * Registered once, until it closes.  A fresh socket has room: a reply
 * goes out without waiting for EPOLLOUT, which only chargen, always
 * writing, waits for from the start.
 */
static int
conn_watch(struct conn *c)
{
	c->c_handler.h_ready = conn_ready;
	c->c_can_read = 0;
	c->c_can_write = 1;
	c->c_fin = 0;
	c->c_outwatch = c->c_bi->bi_refill != NULL;
	if (c->c_outwatch)
		return event_add(c->c_fd, EPOLLOUT | EPOLLET, &c->c_handler);
	return event_add(c->c_fd, CONN_EVENTS, &c->c_handler);
}

const struct builtin *
builtin_find(const char *name, int socktype)
{
	const struct builtin *bi;

	for (bi = builtins; bi < builtins + NBUILTINS; bi++)
		if (bi->bi_socktype == socktype &&
		    strcmp(bi->bi_name, name) == 0)
			return bi;
	return NULL;
}

/* "echo, discard, ..." for socktype, so that a message can list them. */
const char *
builtin_names(int socktype, char *buf, size_t size)
{
	const struct builtin *bi;
	size_t len = 0;

	buf[0] = '\0';
	for (bi = builtins; bi < builtins + NBUILTINS && len < size; bi++)
		if (bi->bi_socktype == socktype)
			len += snprintf(buf + len, size - len, "%s%s",
			    len > 0 ? ", " : "", bi->bi_name);
	return buf;
}

const char *
builtin_name(const struct builtin *bi)
{
	return bi->bi_name;
}

static int
builtin_parse_args(struct servtab *sep, char *why, size_t size)
{
	if (sep->se_bi->bi_parse == NULL)
		return 0;
	return sep->se_bi->bi_parse(sep, why, size);
}

static int
builtin_target(const struct servtab *sep, const char **host,
    const char **port, int *socktype)
{
	if (sep->se_bi == NULL || sep->se_bi->bi_target == NULL)
		return 0;
	return sep->se_bi->bi_target(sep, host, port, socktype);
}

static int
builtin_resolve(struct servtab *sep, const struct sockaddr *addr,
    socklen_t addrlen, char *why, size_t size)
{
	if (sep->se_bi == NULL || sep->se_bi->bi_resolve == NULL)
		return 0;
	return sep->se_bi->bi_resolve(sep, addr, addrlen, why, size);
}

static void
builtin_free(struct servtab *sep)
{
	if (sep->se_bi != NULL && sep->se_bi->bi_free != NULL)
		sep->se_bi->bi_free(sep->se_private);
	sep->se_private = NULL;
}

/* The relaying entries of list, in list order: their number, or -1. */
static int
relaying_entries(struct servtab *list, struct servtab ***relayp)
{
	struct servtab *sep, **relay = NULL;
	int n = 0;

	for (sep = list; sep != NULL; sep = sep->se_next)
		if (sep->se_bi != NULL && sep->se_bi->bi_relays_to != NULL)
			n++;
	if (n > 0 && (relay = reallocarray(NULL, n, sizeof(*relay))) == NULL)
		return -1;
	n = 0;
	for (sep = list; sep != NULL; sep = sep->se_next)
		if (sep->se_bi != NULL && sep->se_bi->bi_relays_to != NULL)
			relay[n++] = sep;
	*relayp = relay;
	return n;
}

enum hop_state { HOP_NEW, HOP_ON_PATH, HOP_DONE, HOP_IN_LOOP };

/*
 * hop[i]: the relaying entry that relay[i]'s target is, or -1.  Each
 * path is followed once: an entry met again on the same path closes a
 * loop, whose entries are marked HOP_IN_LOOP.
 */
static void
mark_loops(const int *hop, enum hop_state *state, int n)
{
	int i, k, m;

	for (i = 0; i < n; i++) {
		for (k = i; k != -1 && state[k] == HOP_NEW; k = hop[k])
			state[k] = HOP_ON_PATH;
		if (k != -1 && state[k] == HOP_ON_PATH) {
			m = k;
			do {
				state[m] = HOP_IN_LOOP;
				m = hop[m];
			} while (m != k);
		}
		for (k = i; k != -1 && state[k] == HOP_ON_PATH; k = hop[k])
			state[k] = HOP_DONE;
	}
}

static struct servtab *
drop_looping(struct servtab *list, struct servtab **relay, int n,
    const int *hop, const enum hop_state *state, conf_report_fn *report)
{
	char where[SVC_WHERE_MAX], next[SVC_WHERE_MAX];
	struct servtab *sep, **prevp;
	int i, looping;

	for (i = 0; i < n; i++)
		if (state[i] == HOP_IN_LOOP)
			report(LOG_ERR, "%s: its target is the address of "
			    "%s, whose target leads back to it: a relay loop",
			    servtab_where(relay[i], where, sizeof(where)),
			    servtab_where(relay[hop[i]], next, sizeof(next)));
	i = 0;
	for (prevp = &list; (sep = *prevp) != NULL;) {
		looping = i < n && sep == relay[i] &&
		    state[i++] == HOP_IN_LOOP;
		if (!looping) {
			prevp = &sep->se_next;
			continue;
		}
		*prevp = sep->se_next;
		servtab_free(sep);
	}
	return list;
}

/*
 * Entries that relay (forward) to one another's addresses in a loop
 * would pass each connection, or datagram, round without end, each
 * pass taking descriptors: they are refused at load, as an entry that
 * targets its own address is.  Cost: the number of relaying entries,
 * squared.
 */
static struct servtab *
builtin_drop_loops(struct servtab *list, conf_report_fn *report)
{
	struct servtab **relay;
	enum hop_state *state;
	int *hop, n, i, j;

	if ((n = relaying_entries(list, &relay)) <= 1) {
		if (n == -1)
			report(LOG_ERR, "out of memory checking for relay "
			    "loops");
		else
			free(relay);
		return list;
	}
	hop = reallocarray(NULL, n, sizeof(*hop));
	state = calloc(n, sizeof(*state));
	if (hop == NULL || state == NULL)
		report(LOG_ERR, "out of memory checking for relay loops");
	else {
		for (i = 0; i < n; i++)
			for (hop[i] = -1, j = 0; j < n && hop[i] == -1; j++)
				if (j != i && relay[i]->se_bi->bi_relays_to(
				    relay[i], relay[j]))
					hop[i] = j;
		mark_loops(hop, state, n);
		list = drop_looping(list, relay, n, hop, state, report);
	}
	free(state);
	free(hop);
	free(relay);
	return list;
}

/* In the order of struct config_builtins, each hook of its own type. */
const struct config_builtins builtin_config = { builtin_find, builtin_names,
	builtin_parse_args, builtin_target, builtin_resolve, builtin_free,
	builtin_drop_loops };

const char *
builtin_wrap_name(const struct servtab *sep)
{
	if (sep->se_bi->bi_wrap_name != NULL)
		return sep->se_bi->bi_wrap_name(sep);
	return sep->se_bi->bi_name;
}

int
builtin_wrapped(const struct servtab *sep)
{
	return !sep->se_bi->bi_unwrapped;
}

int
builtin_peer_count(const struct servtab *sep, const struct sockaddr *peer)
{
	if (sep->se_bi == NULL || sep->se_bi->bi_peer_count == NULL)
		return 0;
	return sep->se_bi->bi_peer_count(sep, peer);
}

int
builtin_peer_admit(const struct servtab *sep, const struct sockaddr *peer,
    int *limit)
{
	if (sep->se_bi == NULL || sep->se_bi->bi_peer_admit == NULL)
		return 1;
	return sep->se_bi->bi_peer_admit(sep, peer, limit);
}

int
builtin_entry_full(const struct servtab *sep, int *limit)
{
	if (sep->se_bi == NULL || sep->se_bi->bi_entry_full == NULL)
		return 0;
	return sep->se_bi->bi_entry_full(sep, limit);
}

int
builtin_counts_own(const struct servtab *sep)
{
	return sep->se_bi != NULL && sep->se_bi->bi_accept != NULL;
}

/*
 * The builtin of the entry that has the socket now sets its options;
 * else the one that had it clears its own.
 */
/*
 * A row's options on its entry's socket: its own hook's, or for a
 * datagram builtin answered here, those that tell each datagram's
 * destination, so that the answer leaves from it (dgram.h).
 */
static int
row_socket_options(const struct builtin *bi, const struct servtab *sep,
    int fd, int on)
{
	if (bi->bi_socket_options != NULL)
		return bi->bi_socket_options(sep, fd, on);
	if (bi->bi_answer != NULL)
		return dgram_dest_option(fd, sep->se_family, sep->se_v6only,
		    on);
	return 0;
}

int
builtin_socket_options(const struct servtab *sep, const struct servtab *old,
    int fd)
{
	if (sep->se_bi != NULL)
		return row_socket_options(sep->se_bi, sep, fd, 1);
	if (old != NULL && old->se_bi != NULL)
		return row_socket_options(old->se_bi, sep, fd, 0);
	return 0;
}

void
builtin_take_over(struct servtab *old, struct servtab *sep)
{
	if (old->se_bi != NULL && old->se_bi->bi_take_over != NULL)
		old->se_bi->bi_take_over(old, sep);
}

void
builtin_forget(struct servtab *old)
{
	if (old->se_bi != NULL && old->se_bi->bi_forget != NULL)
		old->se_bi->bi_forget(old);
}

/*
 * A reply of a few bytes fits in the buffer of any fresh socket; a
 * client that left no room for it is not worth waiting for.
 */
static void
answer_and_close(const struct builtin *bi, int fd)
{
	struct conn c;

	conn_open(&c, bi, fd);
	conn_step(&c, POLLOUT, c.c_active);
	if (c.c_bi != NULL)
		conn_close(&c);
}

/* The answers of bi_text the daemon makes and holds are bounded. */
static int
texts_full(const struct builtin *bi)
{
	return bi->bi_text != NULL && !bi->bi_text_room(texts_open);
}

int
builtin_accept(struct servtab *sep, int fd, const struct sockaddr *peer)
{
	const struct builtin *bi = sep->se_bi;
	struct conn *c;

	if (bi->bi_accept != NULL) {
		bi->bi_accept(sep, fd, peer);
		return 0;
	}
	if (svc_forks_to_count(sep))
		return -1;
	if (bi->bi_answer != NULL) {
		answer_and_close(bi, fd);
		return 0;
	}
	if (bi->bi_child != NULL || texts_full(bi) ||
	    (c = conn_free_slot()) == NULL)
		return -1;
	conn_open(c, bi, fd);
	if (conn_watch(c) == -1) {
		conn_drop_text(c);
		c->c_bi = NULL;
		return -1;
	}
	c->c_in_table = 1;
	if (conns_used++ == 0 || idle_deadline == 0)
		idle_deadline = c->c_active + idle_ms;
	if (bi->bi_text != NULL)	/* no event comes before it writes */
		conn_serve(c, c->c_active);
	return 0;
}

int
builtin_forks(const struct servtab *sep)
{
	const struct builtin *bi = sep->se_bi;

	if (bi->bi_accept != NULL)
		return 0;
	if (svc_forks_to_count(sep))
		return 1;
	if (bi->bi_answer != NULL)
		return 0;
	return bi->bi_child != NULL || conns_used == BUILTIN_MAXCONN ||
	    texts_full(bi);
}

void
builtin_set_idle_timeout(int seconds)
{
	idle_ms = seconds * 1000LL;
}

int
builtin_open_count(void)
{
	return conns_used + forward_open_count();
}

long long
builtin_deadline(void)
{
	return conns_used > 0 ? idle_deadline : 0;
}

const struct servtab *
builtin_serve(const struct servtab *sep, int fd,
    const struct servtab *services)
{
	char where[SVC_WHERE_MAX];
	struct pollfd pfd;
	struct conn c;
	long long left;
	int n;

	if (sep->se_bi->bi_child != NULL)
		return sep->se_bi->bi_child(sep, fd, services);
	conn_open(&c, sep->se_bi, fd);
	while (c.c_bi != NULL &&
	    (left = c.c_active + idle_ms - monotonic_ms()) > 0) {
		pfd.fd = c.c_fd;
		pfd.events = conn_events(&c);
		pfd.revents = 0;
		n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n == -1 && errno != EINTR) {
			logmsg(LOG_ERR, "%s: poll: %m", servtab_where(sep,
			    where, sizeof(where)));
			_exit(EX_OSERR);
		}
		if (n <= 0)
			continue;
		/* An error or hang-up is for the next read or write to see. */
		if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))
			pfd.revents |= POLLIN | POLLOUT;
		conn_step(&c, pfd.revents, monotonic_ms());
	}
	_exit(0);
}

/*
 * Deadlines only move later as bytes move, so the earliest is known
 * when a connection opens, and found again here when it is reached:
 * one pass over the table, only then.
 */
static void
close_idle(long long now)
{
	struct conn *c;

	idle_deadline = 0;
	for (c = conns; c < conns_end; c++) {
		if (c->c_bi == NULL)
			continue;
		if (now - c->c_active >= idle_ms)
			conn_close(c);	/* nothing moved for too long */
		else if (idle_deadline == 0 ||
		    c->c_active + idle_ms < idle_deadline)
			idle_deadline = c->c_active + idle_ms;
	}
}

void
builtin_run(void)
{
	long long now = event_now_ms();

	if (conns_used > 0 && now >= idle_deadline)
		close_idle(now);
}

void
builtin_closeall(void)
{
	void (*done)(void) = NULL;
	const struct builtin *bi;
	struct conn *c;

	for (c = conns; c < conns_end; c++)
		if (c->c_bi != NULL)
			conn_close(c);
	/* Both rows of a builtin may share its function: once is enough. */
	for (bi = builtins; bi < builtins + NBUILTINS; bi++)
		if (bi->bi_closeall != NULL && bi->bi_closeall != done)
			(done = bi->bi_closeall)();
}

static int
own_port_isset(int port)
{
	return own_dgram_ports[port / 8] & (1 << (port % 8));
}

/*
 * The ports of the entries, as configured: a port whose socket is
 * closed for now (looping, or taken by another program) is still one
 * that a twin of this daemon, or that program, may answer from.
 */
void
builtin_own_ports(const struct servtab *list)
{
	const struct servtab *sep;
	int port;

	if (own_dgram_ports_any)
		memset(own_dgram_ports, 0, sizeof(own_dgram_ports));
	own_dgram_ports_any = 0;
	for (sep = list; sep != NULL; sep = sep->se_next) {
		if (sep->se_socktype != SOCK_DGRAM ||
		    (port = sockaddr_port(&sep->se_ctrladdr.sa)) <= 0)
			continue;
		own_dgram_ports[port / 8] |= 1 << (port % 8);
		own_dgram_ports_any = 1;
	}
}

/*
 * A datagram from the well-known port of a builtin, from the port of
 * one of this daemon's own datagram entries (as FreeBSD's check_loop,
 * which knows builtins only), or a forged one from port 0, may be the
 * answer of such a service, here or on a twin host: answering it could
 * start the two answering each other for ever.
 */
int
builtin_loop_port(int port)
{
	const struct builtin *bi;

	if (port == 0)
		return 1;
	if (port < 0 || port > UINT16_MAX)
		return 0;	/* a UNIX-domain sender */
	for (bi = builtins; bi < builtins + NBUILTINS; bi++)
		if (bi->bi_socktype == SOCK_DGRAM && port == bi->bi_port)
			return 1;
	return own_port_isset(port);
}

/* A flood of such datagrams must not become a flood of messages. */
static void
log_loop_refused(const struct servtab *sep, const struct sockaddr *from,
    int port)
{
	time_t *quiet_until = &loop_log_quiet_until[sep->se_bi - builtins];
	char where[SVC_WHERE_MAX], addr[NI_MAXHOST];
	time_t now;

	now = monotonic_seconds();
	if (now < *quiet_until)
		return;
	*quiet_until = now + LOOP_LOG_INTERVAL;
	logmsg(LOG_WARNING, "%s: loop request REFUSED from %s port %d",
	    servtab_where(sep, where, sizeof(where)),
	    sockaddr_str(from, addr, sizeof(addr)),
	    port);
}

void
builtin_dgram(struct servtab *sep, dgram_admit_fn *admit)
{
	static char buf[BUILTIN_DGRAMMAX];	/* kept off the stack */
	union sockaddr_any from, local;
	socklen_t fromlen;
	ssize_t n, reply;
	int i, port;

	if (sep->se_bi->bi_dgram != NULL) {
		sep->se_bi->bi_dgram(sep, admit, builtin_loop_port);
		return;
	}
	for (i = 0; i < DGRAM_BATCH; i++) {
		if ((n = dgram_recv(sep->se_fd, buf, sizeof(buf),
		    &sep->se_ctrladdr.sa, &from, &fromlen, &local)) == -1)
			return;
		if ((size_t)n > sizeof(buf) || from.sa.sa_family == 0)
			continue;
		port = sockaddr_port(&from.sa);
		if (builtin_loop_port(port)) {
			stats_refused(sep, REFUSED_LOOPING);
			log_loop_refused(sep, &from.sa, port);
			continue;
		}
		if (!admit(sep, &from.sa))
			continue;
		reply = sep->se_bi->bi_answer(buf, n, sizeof(buf));
		if (reply >= 0)
			(void)dgram_reply(sep->se_fd, buf, reply, &from,
			    fromlen, &local);
	}
}

