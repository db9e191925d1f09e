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
 *	nice N			(getpriority)
 *	sndbuf N, rcvbuf N	(SO_SNDBUF, SO_RCVBUF of descriptor 0)
 *	status NAME VALUE	(NoNewPrivs, CapPrm, CapEff, CapBnd, CapAmb)
 *	limit NAME SOFT HARD	(/proc/self/limits; spaces in NAME are _)
 *	ns NAME LINK		(/proc/self/ns/mnt and net)
 *	mount POINT TYPE OPTS	(/proc/self/mountinfo: /, /tmp, /var/tmp)
 *	writable PATH yes|ERRNO	(access W_OK of /, /tmp, /var/tmp, /usr)
 *	tmpentries N		(entries in /tmp)
 *	netif NAME up|down	(each network interface)
 *	root DEV INO		(of /, which a chroot changes)
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
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <net/if.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
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

/* Signals, and the sandbox's lines of the status. */
static void
print_status(FILE *out)
{
	static const char *const names[] = {
		"NoNewPrivs:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:",
	};
	char line[256];
	size_t i, n;
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
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			n = strlen(names[i]);
			if (strncmp(line, names[i], n) == 0)
				fprintf(out, "status %.*s %s", (int)n - 1,
				    line, line + n + strspn(line + n, " \t"));
		}
	}
	fclose(fp);
}

/* "Max open files   1024   4096   files": name, soft, hard. */
static void
print_limits(FILE *out)
{
	char line[256], soft[32], hard[32];
	size_t i;
	FILE *fp;

	if ((fp = fopen("/proc/self/limits", "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "Max ", 4) != 0 || strlen(line) < 26 ||
		    sscanf(line + 26, "%31s %31s", soft, hard) != 2)
			continue;
		for (i = 26; i > 0 && line[i - 1] == ' '; i--)
			;
		line[i] = '\0';
		for (i = 0; line[i] != '\0'; i++)
			if (line[i] == ' ')
				line[i] = '_';
		fprintf(out, "limit %s %s %s\n", line, soft, hard);
	}
	fclose(fp);
}

static void
print_mounts(FILE *out)
{
	char line[4096], point[1024], opts[256], type[64], *dash;
	FILE *fp;

	if ((fp = fopen("/proc/self/mountinfo", "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (sscanf(line, "%*s %*s %*s %*s %1023s %255s", point,
		    opts) != 2 || (dash = strstr(line, " - ")) == NULL ||
		    sscanf(dash + 3, "%63s", type) != 1)
			continue;
		if (strcmp(point, "/") == 0 || strcmp(point, "/tmp") == 0 ||
		    strcmp(point, "/var/tmp") == 0)
			fprintf(out, "mount %s %s %s\n", point, type, opts);
	}
	fclose(fp);
}

static void
print_files(FILE *out)
{
	static const char *const paths[] = { "/", "/tmp", "/var/tmp", "/usr" };
	char link[256], path[64];
	struct dirent *dp;
	struct stat st;
	size_t i;
	DIR *dir;
	int n = 0;
	ssize_t len;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		fprintf(out, "writable %s %s\n", paths[i], access(paths[i],
		    W_OK) == 0 ? "yes" : strerrorname_np(errno));
	if ((dir = opendir("/tmp")) != NULL) {
		while ((dp = readdir(dir)) != NULL)
			n += dp->d_name[0] != '.';
		closedir(dir);
		fprintf(out, "tmpentries %d\n", n);
	}
	if (stat("/", &st) == 0)
		fprintf(out, "root %llu %llu\n", (unsigned long long)st.st_dev,
		    (unsigned long long)st.st_ino);
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/proc/self/ns/%s",
		    i == 0 ? "mnt" : "net");
		if ((len = readlink(path, link, sizeof(link) - 1)) > 0)
			fprintf(out, "ns %s %.*s\n", i == 0 ? "mnt" : "net",
			    (int)len, link);
	}
}

static void
print_netifs(FILE *out)
{
	struct if_nameindex *ifs, *ifp;
	struct ifreq ifr;
	int fd;

	if ((ifs = if_nameindex()) == NULL)
		return;
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		err(1, "socket");
	for (ifp = ifs; ifp->if_name != NULL; ifp++) {
		memset(&ifr, 0, sizeof(ifr));
		strncpy(ifr.ifr_name, ifp->if_name, IFNAMSIZ - 1);
		if (ioctl(fd, SIOCGIFFLAGS, &ifr) == -1)
			continue;
		fprintf(out, "netif %s %s\n", ifp->if_name,
		    (ifr.ifr_flags & IFF_UP) ? "up" : "down");
	}
	close(fd);
	if_freenameindex(ifs);
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
	errno = 0;
	fprintf(out, "nice %d\n", getpriority(PRIO_PROCESS, 0));
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
	print_status(out);
	print_limits(out);
	print_mounts(out);
	print_files(out);
	print_netifs(out);
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
