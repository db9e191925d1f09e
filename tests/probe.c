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
 */
#include <sys/types.h>

#include <dirent.h>
#include <err.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROBE_MAXGROUPS	1024

static void
print_ids(void)
{
	gid_t groups[PROBE_MAXGROUPS];
	int ngroups, i;

	printf("uid %u %u\n", (unsigned)getuid(), (unsigned)geteuid());
	printf("gid %u %u\n", (unsigned)getgid(), (unsigned)getegid());
	if ((ngroups = getgroups(PROBE_MAXGROUPS, groups)) == -1)
		err(1, "getgroups");
	printf("groups");
	for (i = 0; i < ngroups; i++)
		printf(" %u", (unsigned)groups[i]);
	printf("\n");
}

static void
print_argv(int argc, char *argv[])
{
	int i;

	printf("argc %d\n", argc);
	for (i = 0; i < argc; i++)
		printf("argv %d %s\n", i, argv[i]);
}

/* The directory stream's own descriptor is ours, not inherited: skip it. */
static void
print_fds(void)
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
		printf("fd %s %s\n", dp->d_name, target);
	}
	closedir(dir);
}

static void
print_signals(void)
{
	char line[256];
	FILE *fp;

	if ((fp = fopen("/proc/self/status", "r")) == NULL)
		err(1, "/proc/self/status");
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "SigBlk:", 7) == 0)
			printf("sigblk %s", line + 7 + strspn(line + 7, " \t"));
		else if (strncmp(line, "SigIgn:", 7) == 0)
			printf("sigign %s", line + 7 + strspn(line + 7, " \t"));
	}
	fclose(fp);
}

int
main(int argc, char *argv[])
{
	print_ids();
	print_argv(argc, argv);
	print_fds();
	print_signals();
	if (fflush(stdout) == EOF)
		err(1, "stdout");
	return 0;
}
