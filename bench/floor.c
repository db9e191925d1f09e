/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * floor: the least any inetd must do per request, for `make bench`.
 *
 *   floor daytime port          accept, write the daytime line, close
 *   floor time port             accept, write the RFC 868 time, close
 *   floor echo port             in-process echo, one epoll loop
 *   floor udp-echo port         recvfrom, sendto the same bytes
 *   floor udp-daytime port      recvfrom, sendto the daytime line
 *   floor fork port prog [arg ...]    fork and exec prog per connection
 *   floor spawn port prog [arg ...]   posix_spawn prog per connection
 *
 * Each binds 127.0.0.1:port and serves until killed.  No checks, limits
 * or logging: what is measured here bounds what any inetd can reach on
 * the machine with the same load generator.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#define BACKLOG		1024
#define MAXEVENTS	256
#define ECHO_BUFSIZE	8192

extern char **environ;

static int
listener(int type, int flags, const char *portstr)
{
	struct sockaddr_in sin;
	int fd, on = 1, port;

	port = atoi(portstr);
	if (port <= 0 || port > 65535)
		errx(EX_USAGE, "bad port '%s'", portstr);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, type | flags | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    (type == SOCK_STREAM && listen(fd, BACKLOG) == -1))
		err(EX_OSERR, "127.0.0.1 port %d", port);
	return fd;
}

/* What an inetd's daytime builtin has to compute per request. */
static size_t
daytime(char *buf, size_t size)
{
	char line[26];
	time_t t = time(NULL);

	ctime_r(&t, line);
	return snprintf(buf, size, "%.24s\r\n", line);
}

/* RFC 868: seconds since 1900, 32 bits, network order. */
static size_t
rfc868_time(char *buf, size_t size)
{
	uint32_t t = htonl((uint32_t)(time(NULL) + 2208988800ULL));

	(void)size;
	memcpy(buf, &t, sizeof(t));
	return sizeof(t);
}

static void
serve_reply(int lfd, size_t (*reply)(char *, size_t))
{
	char buf[64];
	size_t n;
	int fd;

	for (;;) {
		if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
			continue;
		n = reply(buf, sizeof(buf));
		(void)write(fd, buf, n);
		(void)close(fd);
	}
}

/*
 * Echo with no bound on anything: read what is there, write it back
 * (small requests always fit the socket buffer), close at EOF.
 */
static void
serve_echo(int lfd)
{
	struct epoll_event ev, evs[MAXEVENTS];
	static char buf[ECHO_BUFSIZE];
	ssize_t n;
	int epfd, fd, i, nev;

	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		err(EX_OSERR, "epoll_create1");
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev) == -1)
		err(EX_OSERR, "epoll_ctl");
	for (;;) {
		nev = epoll_wait(epfd, evs, MAXEVENTS, -1);
		for (i = 0; i < nev; i++) {
			if (evs[i].data.fd == lfd) {
				while ((fd = accept4(lfd, NULL, NULL,
				    SOCK_NONBLOCK | SOCK_CLOEXEC)) != -1) {
					ev.events = EPOLLIN;
					ev.data.fd = fd;
					(void)epoll_ctl(epfd, EPOLL_CTL_ADD,
					    fd, &ev);
				}
				continue;
			}
			fd = evs[i].data.fd;
			while ((n = read(fd, buf, sizeof(buf))) > 0)
				(void)write(fd, buf, n);
			if (n == 0 || errno != EAGAIN)
				(void)close(fd);
		}
	}
}

static void
serve_udp(int fd, int echo)
{
	static char buf[65536];
	struct sockaddr_storage from;
	socklen_t len;
	ssize_t n;

	for (;;) {
		len = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
		    &len);
		if (n == -1)
			continue;
		if (!echo)
			n = daytime(buf, sizeof(buf));
		(void)sendto(fd, buf, n, 0, (struct sockaddr *)&from, len);
	}
}

static void
serve_fork(int lfd, char *argv[])
{
	pid_t pid;
	int fd;

	for (;;) {
		if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
			continue;
		if ((pid = fork()) == 0) {
			signal(SIGCHLD, SIG_DFL);
			if (dup2(fd, 0) == -1 || dup2(fd, 1) == -1 ||
			    dup2(fd, 2) == -1)
				_exit(EX_OSERR);
			execv(argv[0], argv);
			_exit(EX_OSERR);
		}
		(void)close(fd);
	}
}

static void
serve_spawn(int lfd, char *argv[])
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t dfl;
	pid_t pid;
	int fd;

	sigemptyset(&dfl);
	sigaddset(&dfl, SIGCHLD);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
	for (;;) {
		if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
			continue;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, fd, 0);
		posix_spawn_file_actions_adddup2(&fa, fd, 1);
		posix_spawn_file_actions_adddup2(&fa, fd, 2);
		(void)posix_spawn(&pid, argv[0], &fa, &attr, argv, environ);
		posix_spawn_file_actions_destroy(&fa);
		(void)close(fd);
	}
}

int
main(int argc, char *argv[])
{
	const char *kind;

	if (argc < 3)
		errx(EX_USAGE, "usage: floor daytime|time|echo|udp-echo|"
		    "udp-daytime|fork|spawn port [program [arg ...]]");
	kind = argv[1];
	/* Children are reaped by the kernel: nothing to wait for. */
	signal(SIGCHLD, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(kind, "daytime") == 0)
		serve_reply(listener(SOCK_STREAM, 0, argv[2]), daytime);
	else if (strcmp(kind, "time") == 0)
		serve_reply(listener(SOCK_STREAM, 0, argv[2]), rfc868_time);
	else if (strcmp(kind, "echo") == 0)
		serve_echo(listener(SOCK_STREAM, SOCK_NONBLOCK, argv[2]));
	else if (strcmp(kind, "udp-echo") == 0)
		serve_udp(listener(SOCK_DGRAM, 0, argv[2]), 1);
	else if (strcmp(kind, "udp-daytime") == 0)
		serve_udp(listener(SOCK_DGRAM, 0, argv[2]), 0);
	else if (strcmp(kind, "fork") == 0 && argc > 3)
		serve_fork(listener(SOCK_STREAM, 0, argv[2]), argv + 3);
	else if (strcmp(kind, "spawn") == 0 && argc > 3)
		serve_spawn(listener(SOCK_STREAM, 0, argv[2]), argv + 3);
	else
		errx(EX_USAGE, "unknown floor '%s'", kind);
	return EX_SOFTWARE;
}
