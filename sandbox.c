/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sandbox.c: the limits and the confinement an entry's options ask for
 * (options.h), applied in its child between fork and execve.
 *
 * Each is a kernel mechanism used directly (setrlimit, unshare, mount,
 * chroot, prctl, capset), so that it runs in a child of vfork() as well
 * as of fork(), and fails closed: whatever the kernel refuses stops the
 * child before its server runs, never a server that runs unconfined.
 */
#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <net/if.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "options.h"
#include "sandbox.h"

#define SANDBOX_CAPS_MAX	64	/* bits of the kernel's sets */
/* The private /tmp: what systemd's PrivateTmp= mounts. */
#define PRIVATE_TMP_OPTS	"mode=1777"

static int
fail(const char **what, const char *why)
{
	*what = why;
	return -1;
}

static int
apply_limits(const struct svc_options *o, const char **what)
{
	struct rlimit rl;
	int i;

	if (o->so_umask_set)
		(void)umask(o->so_umask);
	if (o->so_nice_set && setpriority(PRIO_PROCESS, 0, o->so_nice) == -1)
		return fail(what, "nice: setpriority");
	for (i = 0; i < OPT_NRLIMITS; i++) {
		if ((o->so_rlimits_set & (1U << i)) == 0)
			continue;
		rl.rlim_cur = rl.rlim_max = o->so_rlimits[i];
		if (setrlimit(option_rlimit_resource(i), &rl) == -1)
			return fail(what, "rlimit: setrlimit");
	}
	return 0;
}

/* The new network namespace has lo, down: up, it is 127.0.0.1 and ::1. */
static int
loopback_up(void)
{
	struct ifreq ifr;
	int fd, rc = -1, saved;

	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo", sizeof("lo"));
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	saved = errno;
	(void)close(fd);
	errno = saved;
	return rc;
}

/* An empty tmpfs on dir, unless there is no such directory. */
static int
mount_private_tmp(const char *dir)
{
	if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV,
	    PRIVATE_TMP_OPTS) == -1 && errno != ENOENT)
		return -1;
	return 0;
}

/*
 * chroot = DIR happens in the new mount namespace, where DIR is first
 * made a mount of its own: protect_system makes read-only the mount
 * the server sees as /.
 */
static int
enter_root(const struct svc_options *o, const char **what)
{
	if (o->so_protect_system && mount(o->so_chroot, o->so_chroot, NULL,
	    MS_BIND | MS_REC, NULL) == -1)
		return fail(what, "chroot: bind mount");
	if (chroot(o->so_chroot) == -1 || chdir("/") == -1)
		return fail(what, "chroot");
	return 0;
}

/*
 * The private mount namespace first stops sharing mounts with the
 * system's, so that nothing mounted here is seen outside.  / goes
 * read-only, all its mounts with it, before the private /tmp is
 * mounted: that one stays writable.
 */
static int
apply_mounts(const struct svc_options *o, const char **what)
{
	struct mount_attr attr;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		return fail(what, "mount namespace: mount");
	if (o->so_chroot != NULL && enter_root(o, what) == -1)
		return -1;
	if (o->so_protect_system) {
		memset(&attr, 0, sizeof(attr));
		attr.attr_set = MOUNT_ATTR_RDONLY;
		if (mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &attr,
		    sizeof(attr)) == -1)
			return fail(what, "protect_system: mount_setattr");
	}
	if (o->so_private_tmp && (mount_private_tmp("/tmp") == -1 ||
	    mount_private_tmp("/var/tmp") == -1))
		return fail(what, "private_tmp: mount");
	return 0;
}

static int
apply_namespaces(const struct svc_options *o, const char **what)
{
	int newns = o->so_private_tmp || o->so_protect_system;
	int flags = (newns ? CLONE_NEWNS : 0) |
	    (o->so_private_network ? CLONE_NEWNET : 0);

	if (flags != 0 && unshare(flags) == -1)
		return fail(what, "private namespaces: unshare");
	if (o->so_private_network && loopback_up() == -1)
		return fail(what, "private_network: lo up");
	if (newns)
		return apply_mounts(o, what);
	if (o->so_chroot != NULL)
		return enter_root(o, what);
	return 0;
}

/*
 * What is not kept leaves the bounding set, for any user: no exec can
 * give it back.  A user other than root keeps its permitted set across
 * setuid() (PR_SET_KEEPCAPS), for sandbox_finish() to make the kept
 * ones ambient.
 */
static int
drop_bounding(const struct svc_options *o, uid_t uid, const char **what)
{
	int cap;

	for (cap = 0; cap < SANDBOX_CAPS_MAX; cap++) {
		if (o->so_caps & (UINT64_C(1) << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1) {
			if (errno == EINVAL)
				break;		/* past the kernel's last */
			return fail(what, "capabilities: PR_CAPBSET_DROP");
		}
	}
	if (uid != 0 && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1)
		return fail(what, "capabilities: PR_SET_KEEPCAPS");
	return 0;
}

int
sandbox_enter(const struct svc_options *opts, uid_t uid, const char **what)
{
	if (apply_limits(opts, what) == -1 ||
	    apply_namespaces(opts, what) == -1)
		return -1;
	if (opts->so_caps_set && drop_bounding(opts, uid, what) == -1)
		return -1;
	return 0;
}

/*
 * Effective, permitted and inheritable: the kept ones.  Root's server
 * gets them back from its bounding set at execve(); another user's
 * only as ambient capabilities.
 */
static int
keep_caps(const struct svc_options *o, uid_t uid, const char **what)
{
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct data[2];
	int cap, i;

	memset(&hdr, 0, sizeof(hdr));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	for (i = 0; i < 2; i++)
		data[i].effective = data[i].permitted = data[i].inheritable =
		    (uint32_t)(o->so_caps >> (32 * i));
	if (syscall(SYS_capset, &hdr, data) == -1)
		return fail(what, "capabilities: capset");
	for (cap = 0; uid != 0 && cap < SANDBOX_CAPS_MAX; cap++)
		if ((o->so_caps & (UINT64_C(1) << cap)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0,
		    0) == -1)
			return fail(what, "capabilities: ambient");
	return 0;
}

int
sandbox_finish(const struct svc_options *opts, uid_t uid, const char **what)
{
	if (opts->so_caps_set && keep_caps(opts, uid, what) == -1)
		return -1;
	if (opts->so_no_new_privs &&
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return fail(what, "no_new_privs: prctl");
	return 0;
}
