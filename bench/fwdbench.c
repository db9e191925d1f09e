/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fwdbench: the backend and the clients of bench/forward.sh, which
 * measures TCP port forwarders (inetd's forward builtin, rinetd, socat).
 *
 *   fwdbench server PORT
 *   fwdbench stream HOST PORT BYTES
 *   fwdbench rate HOST PORT CONCURRENCY SECONDS
 *   fwdbench hold HOST PORT COUNT SECONDS
 *   fwdbench relay LISTENPORT HOST PORT
 *
 * The protocol needs no half-close, which rinetd does not pass on: a
 * client sends an 8-byte big-endian length L and L bytes; the server
 * reads them, answers 64 bytes and closes.  stream sends BYTES in one
 * connection and prints MiB/s; rate runs CONCURRENCY such exchanges of
 * 64 bytes at once, again and again for SECONDS, and prints conn/s;
 * hold opens COUNT connections that send nothing after their header,
 * prints "held N" once all are established, and keeps them SECONDS.
 * relay is the least a splice(2) forwarder can do, the floor of the
 * stream row: it serves one connection at a time, blocking, each way
 * through a pipe of RELAY_PIPE bytes (inetd's FORWARD_PIPE_SIZE).
 * The server is one epoll loop; everything is bounded in time.
 */
#include <sys/epoll.h>
#include <sys/poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define REPLY		64
#define CHUNK		(1 << 20)
#define MAXEVENTS	256
#define MAXFDS		(1 << 20)
#define LONG_WAIT_MS	120000	/* any single wait of a client */
#define RELAY_PIPE	(256 * 1024)

struct peer {
	uint64_t	 want;		/* bytes of payload still to read */
	int		 have_len;	/* bytes of the length read */
	unsigned char	 len[8];
};

static char		 buf[CHUNK];
static struct peer	*peers;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static struct sockaddr_in
address(const char *host, const char *port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(atoi(port));
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		errx(2, "%s: not an IPv4 address", host);
	return sin;
}

/* One read's worth of a connection; returns 1 when it is done with. */
static int
server_read(int fd)
{
	struct peer *p = &peers[fd];
	ssize_t n;
	int i;

	if (p->have_len < 8) {
		n = read(fd, p->len + p->have_len, 8 - p->have_len);
		if (n <= 0)
			return n == 0 || errno != EAGAIN;
		if ((p->have_len += n) < 8)
			return 0;
		for (i = 0, p->want = 0; i < 8; i++)
			p->want = p->want << 8 | p->len[i];
	}
	while (p->want > 0) {
		n = read(fd, buf, p->want < CHUNK ? p->want : CHUNK);
		if (n <= 0)
			return n == 0 || errno != EAGAIN;
		p->want -= n;
	}
	memset(buf, 'r', REPLY);
	(void)write(fd, buf, REPLY);
	return 1;
}

static void
server(const char *port)
{
	struct epoll_event ev, evs[MAXEVENTS];
	struct sockaddr_in sin = address("127.0.0.1", port);
	int lfd, epfd, fd, i, n, on = 1;

	raise_nofile();
	if ((peers = calloc(MAXFDS, sizeof(*peers))) == NULL)
		err(1, "calloc");
	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(lfd, 4096) == -1)
		err(1, "listen on port %s", port);
	if ((epfd = epoll_create1(0)) == -1)
		err(1, "epoll");
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		n = epoll_wait(epfd, evs, MAXEVENTS, -1);
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd != lfd) {
				fd = evs[i].data.fd;
				if (server_read(fd))
					close(fd);
				continue;
			}
			while ((fd = accept4(lfd, NULL, NULL,
			    SOCK_NONBLOCK)) != -1) {
				if (fd >= MAXFDS) {
					close(fd);
					continue;
				}
				memset(&peers[fd], 0, sizeof(peers[fd]));
				(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY,
				    &on, sizeof(on));
				ev.events = EPOLLIN;
				ev.data.fd = fd;
				epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
			}
		}
	}
}

static int
connect_to(const struct sockaddr_in *sin, int nonblock)
{
	int fd, on = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK :
	    0), 0)) == -1)
		err(1, "socket");
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (connect(fd, (const struct sockaddr *)sin, sizeof(*sin)) == -1 &&
	    errno != EINPROGRESS)
		err(1, "connect");
	return fd;
}

static void
put_length(unsigned char *p, uint64_t len)
{
	int i;

	for (i = 7; i >= 0; i--, len >>= 8)
		p[i] = len & 0xff;
}

/* Reads the reply and the close; 0 when both came. */
static int
finish(int fd)
{
	ssize_t n, got = 0;

	while ((n = read(fd, buf, CHUNK)) > 0)
		got += n;
	return n == 0 && got == REPLY ? 0 : -1;
}

static void
stream(const struct sockaddr_in *sin, uint64_t bytes)
{
	unsigned char len[8];
	uint64_t left = bytes;
	double start;
	ssize_t n;
	int fd;

	memset(buf, 's', CHUNK);
	start = now();
	fd = connect_to(sin, 0);
	put_length(len, bytes);
	if (write(fd, len, 8) != 8)
		err(1, "write");
	while (left > 0) {
		n = write(fd, buf, left < CHUNK ? left : CHUNK);
		if (n <= 0)
			err(1, "write");
		left -= n;
	}
	if (finish(fd) == -1)
		errx(1, "no reply after the stream");
	printf("%.0f MiB/s\n", bytes / 1048576.0 / (now() - start));
}

/* c exchanges at once, each started again as soon as it ends. */
static void
rate(const struct sockaddr_in *sin, int c, double seconds)
{
	struct epoll_event ev, evs[MAXEVENTS];
	unsigned char req[REPLY];
	double start = now();
	long done = 0, failed = 0;
	ssize_t got;
	int epfd, i, n, fd;

	memset(req, 'q', sizeof(req));
	put_length(req, REPLY - 8);
	if ((epfd = epoll_create1(0)) == -1)
		err(1, "epoll");
	for (i = 0; i < c; i++) {
		fd = connect_to(sin, 1);
		ev.events = EPOLLOUT | EPOLLONESHOT;
		ev.data.u64 = (uint64_t)fd;
		epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
	}
	while (now() - start < seconds) {
		n = epoll_wait(epfd, evs, MAXEVENTS, LONG_WAIT_MS);
		if (n <= 0)
			errx(1, "no progress for %d ms", LONG_WAIT_MS);
		for (i = 0; i < n; i++) {
			fd = (int)evs[i].data.u64;
			if (evs[i].events & EPOLLOUT) {
				if (send(fd, req, sizeof(req), MSG_NOSIGNAL) !=
				    sizeof(req))
					failed++;
				ev.events = EPOLLIN;
				ev.data.u64 = (uint64_t)fd;
				epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
				continue;
			}
			got = read(fd, buf, CHUNK);
			if (got > 0)
				continue;	/* the reply; then the close */
			if (got == -1 && errno == EAGAIN)
				continue;
			if (got == -1)
				failed++;
			close(fd);
			done++;
			fd = connect_to(sin, 1);
			ev.events = EPOLLOUT | EPOLLONESHOT;
			ev.data.u64 = (uint64_t)fd;
			epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
		}
	}
	printf("%.0f conn/s %ld conns%s\n", done / (now() - start), done,
	    failed > 0 ? " (with failures)" : "");
	if (failed > 0)
		fprintf(stderr, "fwdbench: %ld failed exchanges\n", failed);
}

static void
hold(const struct sockaddr_in *sin, int count, int seconds)
{
	unsigned char len[8];
	int i, fd;

	raise_nofile();
	put_length(len, UINT64_C(1) << 62);
	for (i = 0; i < count; i++) {
		fd = connect_to(sin, 0);
		if (write(fd, len, 8) != 8)
			err(1, "write");
	}
	printf("held %d\n", count);
	fflush(stdout);
	sleep(seconds);
}

/* Moves what one readable socket has to the other; 0 at its end. */
static ssize_t
relay_move(int from, int to, const int pipe[2])
{
	ssize_t n, out;

	n = splice(from, NULL, pipe[1], NULL, RELAY_PIPE, SPLICE_F_MOVE);
	for (out = 0; out < n; ) {
		ssize_t m = splice(pipe[0], NULL, to, NULL, n - out,
		    SPLICE_F_MOVE);
		if (m <= 0)
			return -1;
		out += m;
	}
	return n;
}

static void
relay(const char *port, const struct sockaddr_in *to)
{
	struct sockaddr_in sin = address("127.0.0.1", port);
	struct pollfd pfd[2];
	int lfd, fd[2], p[2][2], i, on = 1;

	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(lfd, 64) == -1)
		err(1, "listen on port %s", port);
	for (i = 0; i < 2; i++)
		if (pipe(p[i]) == -1 ||
		    fcntl(p[i][0], F_SETPIPE_SZ, RELAY_PIPE) == -1)
			err(1, "pipe");
	for (;;) {
		if ((fd[0] = accept(lfd, NULL, NULL)) == -1)
			continue;
		fd[1] = connect_to(to, 0);
		for (;;) {
			pfd[0] = (struct pollfd){ fd[0], POLLIN, 0 };
			pfd[1] = (struct pollfd){ fd[1], POLLIN, 0 };
			if (poll(pfd, 2, LONG_WAIT_MS) <= 0)
				break;
			if (pfd[0].revents != 0 &&
			    relay_move(fd[0], fd[1], p[0]) <= 0)
				break;
			if (pfd[1].revents != 0 &&
			    relay_move(fd[1], fd[0], p[1]) <= 0)
				break;
		}
		close(fd[0]);
		close(fd[1]);
	}
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in sin;

	if (argc == 3 && strcmp(argv[1], "server") == 0)
		server(argv[2]);
	if (argc == 5 && strcmp(argv[1], "relay") == 0) {
		sin = address(argv[3], argv[4]);
		relay(argv[2], &sin);
	}
	if (argc < 5)
		errx(2, "usage: see the comment at the top of fwdbench.c");
	sin = address(argv[2], argv[3]);
	if (argc == 5 && strcmp(argv[1], "stream") == 0)
		stream(&sin, strtoull(argv[4], NULL, 10));
	else if (argc == 6 && strcmp(argv[1], "rate") == 0)
		rate(&sin, atoi(argv[4]), atof(argv[5]));
	else if (argc == 6 && strcmp(argv[1], "hold") == 0)
		hold(&sin, atoi(argv[4]), atoi(argv[5]));
	else
		errx(2, "usage: see the comment at the top of fwdbench.c");
	return 0;
}
