/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * probe: a server for inetd's integration tests.  inetd starts it with a
 * connection on descriptors 0, 1 and 2; it writes what it inherited, one
 * fact a line, so that a test can check what inetd set up before exec:
 *
 *	uid REAL EFFECTIVE
 *	gid REAL EFFECTIVE
 *	groups [GID ...]
 *	argc N
 *	argv I TEXT		(one line per argument)
 *	fd N TARGET		(one line per open descriptor)
 *	sigblk HEX		(blocked signals, from /proc/self/status)
 *	sigign HEX		(ignored signals)
 *	session SID PID		(its session, and its own process ID)
 *	umask OCTAL
 *	path TEXT		($PATH, "(unset)" if none)
 *	sndbuf N, rcvbuf N	(SO_SNDBUF, SO_RCVBUF of descriptor 0)
 *	device NAME		(SO_BINDTODEVICE of descriptor 0, or "(none)")
 *
 * The report goes to standard output, the connection of a nowait
 * service.  A wait service's server gets the listening socket instead:
 * with -A as its first argument the probe accepts one connection and
 * writes the report there, with -R it reads one datagram and sends the
 * report to its sender.  The facts are gathered first, so that the
 * descriptor reported is what inetd left, not what the probe opened.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <net/if.h>

#include <dirent.h>
#include <err.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROBE_MAXGROUPS	1024

static void
print_ids(FILE *out)
{
	gid_t groups[PROBE_MAXGROUPS];
	int ngroups, i;

	fprintf(out, "uid %u %u\n", (unsigned)getuid(), (unsigned)geteuid());
	fprintf(out, "gid %u %u\n", (unsigned)getgid(), (unsigned)getegid());
	if ((ngroups = getgroups(PROBE_MAXGROUPS, groups)) == -1)
		err(1, "getgroups");
	fprintf(out, "groups");
	for (i = 0; i < ngroups; i++)
		fprintf(out, " %u", (unsigned)groups[i]);
	fprintf(out, "\n");
}

static void
print_argv(FILE *out, int argc, char *argv[])
{
	int i;

	fprintf(out, "argc %d\n", argc);
	for (i = 0; i < argc; i++)
		fprintf(out, "argv %d %s\n", i, argv[i]);
}

/* The directory stream's own descriptor is ours, not inherited: skip it. */
static void
print_fds(FILE *out)
{
	char self[32], path[sizeof("/proc/self/fd/") + NAME_MAX];
	char target[PATH_MAX];
	struct dirent *dp;
	ssize_t len;
	DIR *dir;

	if ((dir = opendir("/proc/self/fd")) == NULL)
		err(1, "/proc/self/fd");
	snprintf(self, sizeof(self), "%d", dirfd(dir));
	while ((dp = readdir(dir)) != NULL) {
		if (dp->d_name[0] == '.' || strcmp(dp->d_name, self) == 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", dp->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		if (len == -1)
			len = 0;
		target[len] = '\0';
		fprintf(out, "fd %s %s\n", dp->d_name, target);
	}
	closedir(dir);
}

static void
print_signals(FILE *out)
{
	char line[256];
	FILE *fp;

	if ((fp = fopen("/proc/self/status", "r")) == NULL)
		err(1, "/proc/self/status");
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "SigBlk:", 7) == 0)
			fprintf(out, "sigblk %s",
			    line + 7 + strspn(line + 7, " \t"));
		else if (strncmp(line, "SigIgn:", 7) == 0)
			fprintf(out, "sigign %s",
			    line + 7 + strspn(line + 7, " \t"));
	}
	fclose(fp);
}

static void
print_process(FILE *out)
{
	const char *path = getenv("PATH");
	mode_t mask = umask(0);

	umask(mask);
	fprintf(out, "session %d %d\n", (int)getsid(0), (int)getpid());
	fprintf(out, "umask %03o\n", (unsigned)mask);
	fprintf(out, "path %s\n", path != NULL ? path : "(unset)");
}

/* The buffers of the socket inetd gave: its listener's, inherited. */
static void
print_socket(FILE *out)
{
	static const struct {
		const char	*name;
		int		 option;
	} opts[] = {
		{ "sndbuf", SO_SNDBUF },
		{ "rcvbuf", SO_RCVBUF },
	};
	socklen_t len;
	size_t i;
	int value;

	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		len = sizeof(value);
		if (getsockopt(STDIN_FILENO, SOL_SOCKET, opts[i].option,
		    &value, &len) == 0)
			fprintf(out, "%s %d\n", opts[i].name, value);
	}
}

/* The interface descriptor 0 is bound to, for a wait service's socket. */
static void
print_device(FILE *out)
{
	char name[IF_NAMESIZE + 1];
	socklen_t len = sizeof(name) - 1;

	memset(name, 0, sizeof(name));
	if (getsockopt(STDIN_FILENO, SOL_SOCKET, SO_BINDTODEVICE, name,
	    &len) == -1 || name[0] == '\0')
		snprintf(name, sizeof(name), "(none)");
	fprintf(out, "device %s\n", name);
}

static void
write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	for (; len > 0; buf += n, len -= n)
		if ((n = write(fd, buf, len)) == -1)
			err(1, "write");
}

/* -A: the listening socket is on 0; answer its first client. */
static void
reply_connection(const char *report, size_t len)
{
	int fd;

	if ((fd = accept(STDIN_FILENO, NULL, NULL)) == -1)
		err(1, "accept");
	write_all(fd, report, len);
	close(fd);
}

/* -R: a datagram socket is on 0; answer the first datagram's sender. */
static void
reply_datagram(const char *report, size_t len)
{
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	char byte;

	if (recvfrom(STDIN_FILENO, &byte, sizeof(byte), MSG_TRUNC,
	    (struct sockaddr *)&from, &fromlen) == -1)
		err(1, "recvfrom");
	if (sendto(STDIN_FILENO, report, len, 0, (struct sockaddr *)&from,
	    fromlen) == -1)
		err(1, "sendto");
}

int
main(int argc, char *argv[])
{
	char *report;
	size_t len;
	FILE *out;

	if ((out = open_memstream(&report, &len)) == NULL)
		err(1, "open_memstream");
	print_ids(out);
	print_argv(out, argc, argv);
	print_fds(out);
	print_process(out);
	print_socket(out);
	print_device(out);
	print_signals(out);
	if (fclose(out) == EOF)
		err(1, "report");
	if (argc > 1 && strcmp(argv[1], "-A") == 0)
		reply_connection(report, len);
	else if (argc > 1 && strcmp(argv[1], "-R") == 0)
		reply_datagram(report, len);
	else
		write_all(STDOUT_FILENO, report, len);
	free(report);
	return 0;
}
