/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * load: a load generator for inetd-like servers, for `make bench`.
 *
 *   load [-m tcp|udp|bulk] [-c concurrency] [-d seconds] [-n count]
 *        [-w warmup] [-s bytes] [-e bytes] [-t ms] host port
 *
 * tcp (default): each of c slots connects, sends -s bytes (then shuts
 * down its sending side), reads to EOF and closes, again and again.
 * udp: each of c connected sockets sends a datagram of -s bytes and
 * waits for the answer; one not answered within -t ms is lost and sent
 * again.  bulk: tcp with one connection by default, reported in MiB/s;
 * with -s 0 it reads for the whole duration (chargen).
 *
 * One thread and one epoll loop, so that the client costs as little as
 * possible of the machine the server shares.  It stops after -d seconds
 * or -n completed exchanges, whichever comes first; exchanges completed
 * during the first -w seconds are not counted.  Prints one line of
 * key=value pairs: conns, errors (with their kinds), conn_s, p50_us,
 * p99_us, rx_mib_s, tx_mib_s.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#define MAXSLOTS	4096	/* most concurrent exchanges */
#define MAXEVENTS	256
#define HIST_US		200000	/* latencies kept to the microsecond */
#define CHUNK		65536	/* bytes per read or write */
#define TICK_MS		10	/* how often timeouts are looked at */

enum mode { M_TCP, M_UDP, M_BULK };

enum state { S_IDLE, S_CONNECTING, S_SENDING, S_RECEIVING };

struct slot {
	int		 fd;
	enum state	 state;
	uint64_t	 start_ns;	/* of this exchange, or its last try */
	uint64_t	 first_ns;	/* of this exchange */
	uint64_t	 sent;
	uint64_t	 got;
};

/* What went wrong, counted apart so a reader sees which limit was hit. */
enum errkind { E_CONNECT, E_RESET, E_TIMEOUT, E_SHORT, E_LOST, E_NKINDS };
static const char *const errname[E_NKINDS] = {
	"connect", "reset", "timeout", "short", "lost"
};

static enum mode	 mode = M_TCP;
static int		 concurrency = 1;
static double		 duration = 3.0;
static double		 warmup = 0.0;
static uint64_t		 maxcount;	/* 0: no limit */
static uint64_t		 payload;
static long long	 expect = -1;	/* bytes to receive, -1: any */
static int		 timeout_ms = -1;
static struct sockaddr_in server;

static struct slot	 slots[MAXSLOTS];
static int		 epfd;
static char		 outbuf[CHUNK];
static char		 inbuf[CHUNK];
static uint32_t		 hist[HIST_US + 1];	/* last: beyond HIST_US */
static uint64_t		 lat_max_us;
static uint64_t		 done;		/* exchanges counted */
static uint64_t		 errors[E_NKINDS];
static uint64_t		 rx_bytes, tx_bytes;
static uint64_t		 t_begin, t_counted, t_end;
static int		 counting;	/* past the warm-up */
static int		 stopping;	/* no new exchange starts */

static void
usage(void)
{
	fprintf(stderr, "usage: load [-m tcp|udp|bulk] [-c concurrency] "
	    "[-d seconds] [-n count]\n"
	    "            [-w warmup] [-s bytes] [-e bytes] [-t ms] host "
	    "port\n");
	exit(EX_USAGE);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double
number(const char *s, double min, double max, const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		errx(EX_USAGE, "%s '%s': expected a number from %g to %g",
		    what, s, min, max);
	return v;
}

static void
parse_args(int argc, char *argv[])
{
	int ch, port;

	while ((ch = getopt(argc, argv, "c:d:e:m:n:s:t:w:")) != -1) {
		switch (ch) {
		case 'c':
			concurrency = number(optarg, 1, MAXSLOTS,
			    "concurrency");
			break;
		case 'd':
			duration = number(optarg, 0.01, 3600, "duration");
			break;
		case 'e':
			expect = number(optarg, 0, 1e15, "expected bytes");
			break;
		case 'm':
			if (strcmp(optarg, "tcp") == 0)
				mode = M_TCP;
			else if (strcmp(optarg, "udp") == 0)
				mode = M_UDP;
			else if (strcmp(optarg, "bulk") == 0)
				mode = M_BULK;
			else
				usage();
			break;
		case 'n':
			maxcount = number(optarg, 1, 1e15, "count");
			break;
		case 's':
			payload = number(optarg, 0, 1e15, "payload bytes");
			break;
		case 't':
			timeout_ms = number(optarg, 1, 3600000, "timeout");
			break;
		case 'w':
			warmup = number(optarg, 0, 3600, "warm-up");
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
	memset(&server, 0, sizeof(server));
	server.sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[optind], &server.sin_addr) != 1)
		errx(EX_USAGE, "%s: not an IPv4 address", argv[optind]);
	port = number(argv[optind + 1], 1, 65535, "port");
	server.sin_port = htons(port);
	if (mode == M_UDP && payload > CHUNK)
		errx(EX_USAGE, "a datagram holds at most %d bytes", CHUNK);
	if (timeout_ms == -1)
		timeout_ms = mode == M_UDP ? 200 : 5000;
	if (mode == M_BULK && payload == 0)
		timeout_ms = (duration + warmup) * 1000 + 1000;
}

static void
record(struct slot *s)
{
	uint64_t us = (now_ns() - s->first_ns) / 1000;

	if (!counting)
		return;
	hist[us < HIST_US ? us : HIST_US]++;
	if (us > lat_max_us)
		lat_max_us = us;
	done++;
	if (maxcount != 0 && done >= maxcount)
		stopping = 1;
}

static void
count_error(enum errkind kind)
{
	if (counting)
		errors[kind]++;
}

/*
 * An abortive close leaves no TIME_WAIT behind on the client side, so
 * a long run never runs out of ephemeral ports.
 */
static void
slot_close(struct slot *s)
{
	struct linger lg = { 1, 0 };

	if (mode != M_UDP) {
		(void)setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg,
		    sizeof(lg));
		(void)close(s->fd);
		s->fd = -1;
	}
	s->state = S_IDLE;
}

static int
slot_send(struct slot *s)
{
	size_t n;
	ssize_t w;

	if (mode == M_UDP) {
		if (send(s->fd, outbuf, payload, 0) == -1)
			return -1;
		if (counting)
			tx_bytes += payload;
		s->state = S_RECEIVING;
		return 0;
	}
	while (s->sent < payload) {
		n = payload - s->sent < CHUNK ? payload - s->sent : CHUNK;
		w = send(s->fd, outbuf, n, MSG_NOSIGNAL);
		if (w == -1)
			return errno == EAGAIN ? 0 : -1;
		s->sent += w;
		if (counting)
			tx_bytes += w;
	}
	if (payload > 0 && shutdown(s->fd, SHUT_WR) == -1)
		return -1;
	s->state = S_RECEIVING;
	return 0;
}

static void
tcp_start(struct slot *s)
{
	struct epoll_event ev;

	s->first_ns = s->start_ns = now_ns();
	s->sent = s->got = 0;
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (s->fd == -1)
		err(EX_OSERR, "socket");
	if (connect(s->fd, (struct sockaddr *)&server, sizeof(server)) ==
	    -1 && errno != EINPROGRESS) {
		count_error(E_CONNECT);
		slot_close(s);
		return;
	}
	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
	ev.data.ptr = s;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, s->fd, &ev) == -1)
		err(EX_OSERR, "epoll_ctl");
	s->state = S_CONNECTING;
}

static void
udp_send(struct slot *s)
{
	s->start_ns = now_ns();
	s->sent = 0;
	if (slot_send(s) == -1 && errno != ECONNREFUSED)
		err(EX_OSERR, "send");
}

static void
udp_open(struct slot *s)
{
	struct epoll_event ev;

	s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd == -1)
		err(EX_OSERR, "socket");
	if (connect(s->fd, (struct sockaddr *)&server, sizeof(server)) == -1)
		err(EX_OSERR, "connect");
	ev.events = EPOLLIN;
	ev.data.ptr = s;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, s->fd, &ev) == -1)
		err(EX_OSERR, "epoll_ctl");
}

static void
slot_start(struct slot *s)
{
	if (stopping)
		return;
	if (mode == M_UDP) {
		s->first_ns = now_ns();
		udp_send(s);
	} else
		tcp_start(s);
}

/* The exchange ended at EOF: right length or not, it is over. */
static void
tcp_finish(struct slot *s)
{
	if (expect >= 0 && s->got != (uint64_t)expect)
		count_error(E_SHORT);
	else
		record(s);
	slot_close(s);
	slot_start(s);
}

static void
tcp_fail(struct slot *s, enum errkind kind)
{
	count_error(kind);
	slot_close(s);
	slot_start(s);
}

static void
tcp_receive(struct slot *s)
{
	ssize_t n;

	for (;;) {
		n = recv(s->fd, inbuf, sizeof(inbuf), 0);
		if (n > 0) {
			s->got += n;
			if (counting)
				rx_bytes += n;
			continue;
		}
		if (n == 0)
			tcp_finish(s);
		else if (errno != EAGAIN)
			tcp_fail(s, errno == ECONNREFUSED &&
			    s->state == S_CONNECTING ? E_CONNECT : E_RESET);
		return;
	}
}

static void
tcp_event(struct slot *s, uint32_t events)
{
	if (s->state == S_CONNECTING && (events & EPOLLOUT) &&
	    !(events & EPOLLERR)) {
		s->state = S_SENDING;
		if (payload == 0)
			s->state = S_RECEIVING;
	}
	if (s->state == S_SENDING && slot_send(s) == -1) {
		tcp_fail(s, E_RESET);
		return;
	}
	tcp_receive(s);
}

static void
udp_event(struct slot *s)
{
	ssize_t n;

	while ((n = recv(s->fd, inbuf, sizeof(inbuf), 0)) >= 0) {
		if (counting)
			rx_bytes += n;
		if (expect >= 0 && n != expect)
			count_error(E_SHORT);
		else
			record(s);
		if (stopping)
			return;
		s->first_ns = now_ns();
		udp_send(s);
	}
}

/* Called every tick: gives up on exchanges that took too long. */
static void
check_timeouts(uint64_t t)
{
	uint64_t limit = (uint64_t)timeout_ms * 1000000;
	struct slot *s;

	for (s = slots; s < slots + concurrency; s++) {
		if (s->state == S_IDLE || t - s->start_ns < limit)
			continue;
		if (mode == M_UDP) {
			count_error(E_LOST);
			udp_send(s);	/* same exchange, latency goes on */
		} else if (mode == M_BULK && payload == 0)
			tcp_finish(s);
		else
			tcp_fail(s, E_TIMEOUT);
	}
}

static void
run(void)
{
	struct epoll_event ev[MAXEVENTS];
	uint64_t t, tick = 0, deadline;
	struct slot *s;
	int i, n;

	t_begin = now_ns();
	t_counted = t_begin + warmup * 1e9;
	deadline = t_counted + duration * 1e9;
	counting = warmup == 0;
	for (s = slots; s < slots + concurrency; s++) {
		s->fd = -1;
		if (mode == M_UDP)
			udp_open(s);
		slot_start(s);
	}
	for (;;) {
		n = epoll_wait(epfd, ev, MAXEVENTS, TICK_MS);
		if (n == -1 && errno != EINTR)
			err(EX_OSERR, "epoll_wait");
		for (i = 0; i < n; i++) {
			s = ev[i].data.ptr;
			if (s->state == S_IDLE)
				continue;
			if (mode == M_UDP)
				udp_event(s);
			else
				tcp_event(s, ev[i].events);
		}
		t = now_ns();
		if (!counting && t >= t_counted)
			counting = 1;
		if (t >= deadline)
			stopping = 1;
		if (stopping)
			break;
		if (t - tick >= TICK_MS * 1000000ULL) {
			tick = t;
			check_timeouts(t);
		}
		for (s = slots; s < slots + concurrency; s++)
			if (s->state == S_IDLE && mode != M_UDP)
				slot_start(s);
	}
	t_end = now_ns();
	if (t_end > deadline)
		t_end = deadline;
}

static uint64_t
percentile(double p)
{
	uint64_t want, seen = 0;
	size_t us;

	if (done == 0)
		return 0;
	want = (uint64_t)(done * p);
	if (want >= done)
		want = done - 1;
	for (us = 0; us < HIST_US; us++) {
		seen += hist[us];
		if (seen > want)
			return us;
	}
	return lat_max_us;
}

static void
report(void)
{
	static const char *const modename[] = { "tcp", "udp", "bulk" };
	double secs = (t_end - t_counted) / 1e9;
	uint64_t total = 0;
	int i;

	if (secs <= 0)
		secs = 1e-9;
	for (i = 0; i < E_NKINDS; i++)
		total += errors[i];
	printf("mode=%s c=%d secs=%.3f conns=%llu conn_s=%.0f p50_us=%llu "
	    "p99_us=%llu max_us=%llu rx_mib_s=%.1f tx_mib_s=%.1f errors=%llu",
	    modename[mode], concurrency, secs, (unsigned long long)done,
	    done / secs, (unsigned long long)percentile(0.50),
	    (unsigned long long)percentile(0.99),
	    (unsigned long long)lat_max_us, rx_bytes / secs / 1048576,
	    tx_bytes / secs / 1048576, (unsigned long long)total);
	for (i = 0; i < E_NKINDS; i++)
		if (errors[i] != 0)
			printf(" err_%s=%llu", errname[i],
			    (unsigned long long)errors[i]);
	printf("\n");
}

int
main(int argc, char *argv[])
{
	size_t i;

	parse_args(argc, argv);
	for (i = 0; i < sizeof(outbuf); i++)
		outbuf[i] = 'a' + i % 26;
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		err(EX_OSERR, "epoll_create1");
	run();
	report();
	return 0;
}
