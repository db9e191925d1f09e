/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_options.c: unit tests of the per-service option keys
 * (options.c): every limit and sandbox key, through option_set() as
 * the key-values parser calls it, its values and its refusals.
 * Output as unit.h says.
 */
#include <sys/resource.h>
#include <linux/capability.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "options.h"

static char	 why[256];
#define UNIT_CONTEXT()	why
#include "unit.h"

static struct servtab	 entry;

/* "key = value value ..." (at most 8 values) into entry. */
static int
set(const char *key, const char *values)
{
	char buf[256], *words[8], *p;
	int n = 0;

	why[0] = '\0';
	strlcpy(buf, values, sizeof(buf));
	for (p = strtok(buf, " "); p != NULL && n < 8; p = strtok(NULL, " "))
		words[n++] = p;
	return option_set(&entry, key, words, n, why, sizeof(why));
}

static void
forget(void)
{
	options_free(&entry);
	memset(&entry, 0, sizeof(entry));
}

static int
test_no_key(void)
{
	CHECK(set("no_such_key", "1") == 0);
	CHECK(entry.se_opts == NULL);
	return 1;
}

static int
test_rlimits(void)
{
	const struct svc_options *o;

	CHECK(set("rlimit_as", "64m") == 1);
	CHECK(set("rlimit_cpu", "10") == 1);
	CHECK(set("rlimit_files", "1k") == 1);
	CHECK(set("rlimit_fsize", "2G") == 1);
	CHECK(set("rlimit_core", "0") == 1);
	CHECK(set("rlimit_stack", "unlimited") == 1);
	CHECK((o = entry.se_opts) != NULL);
	CHECK(o->so_rlimits[OPT_RLIMIT_AS] == 64ULL << 20);
	CHECK(o->so_rlimits[OPT_RLIMIT_CPU] == 10);
	CHECK(o->so_rlimits[OPT_RLIMIT_FILES] == 1024);
	CHECK(o->so_rlimits[OPT_RLIMIT_FSIZE] == 2ULL << 30);
	CHECK(o->so_rlimits[OPT_RLIMIT_CORE] == 0);
	CHECK(o->so_rlimits[OPT_RLIMIT_STACK] == RLIM_INFINITY);
	CHECK(o->so_rlimits_set == (1U << OPT_RLIMIT_AS | 1U << OPT_RLIMIT_CPU |
	    1U << OPT_RLIMIT_FILES | 1U << OPT_RLIMIT_FSIZE |
	    1U << OPT_RLIMIT_CORE | 1U << OPT_RLIMIT_STACK));
	CHECK(option_rlimit_resource(OPT_RLIMIT_FILES) == RLIMIT_NOFILE);
	CHECK(strcmp(option_rlimit_key(OPT_RLIMIT_NPROC), "rlimit_nproc") == 0);
	return 1;
}

static int
test_rlimit_refused(void)
{
	static const char *const bad[] = {
		"", "-1", "1t", "1kk", "k", "0x10", "+1", "unlimitedx",
		"18446744073709551615", "17179869184g", "1 2",
	};
	size_t i;

	for (i = 0; i < nitems(bad); i++) {
		CHECK(set("rlimit_data", bad[i]) == -1);
		CHECK(why[0] != '\0');
	}
	CHECK(entry.se_opts->so_rlimits_set == 0);
	CHECK(set("rlimit_nproc", "") == -1);
	CHECK(strcmp(why, "needs a value") == 0);
	return 1;
}

static int
test_nice_umask(void)
{
	CHECK(set("nice", "10") == 1);
	CHECK(entry.se_opts->so_nice_set && entry.se_opts->so_nice == 10);
	CHECK(set("nice", "-20") == 1 && entry.se_opts->so_nice == -20);
	CHECK(set("nice", "20") == -1);
	CHECK(set("nice", "-21") == -1);
	CHECK(set("nice", "x") == -1);
	CHECK(set("umask", "027") == 1);
	CHECK(entry.se_opts->so_umask_set && entry.se_opts->so_umask == 027);
	CHECK(set("umask", "0") == 1 && entry.se_opts->so_umask == 0);
	CHECK(set("umask", "1000") == -1);
	CHECK(set("umask", "8") == -1);
	CHECK(set("umask", "-1") == -1);
	return 1;
}

static int
test_timeout(void)
{
	CHECK(set("timeout", "30") == 1 && entry.se_opts->so_timeout == 30);
	CHECK(set("timeout", "0") == -1);
	CHECK(set("timeout", "2678401") == -1);
	CHECK(set("timeout", "2678400") == 1);
	CHECK(set("timeout", "1m") == -1);
	/* A builtin served in a child may have one. */
	CHECK(options_exec_only(entry.se_opts) == NULL);
	return 1;
}

static int
test_flags(void)
{
	static const char *const keys[] = {
		"no_new_privs", "private_tmp", "private_network",
		"protect_system",
	};
	const struct svc_options *o;
	size_t i;

	CHECK(options_exec_only(NULL) == NULL);
	for (i = 0; i < nitems(keys); i++) {
		CHECK(set(keys[i], "no") == 1);
		CHECK(options_exec_only(entry.se_opts) == NULL);
		CHECK(set(keys[i], "yes") == 1);
		CHECK(strcmp(options_exec_only(entry.se_opts), keys[i]) == 0);
		CHECK(set(keys[i], "maybe") == -1);
		CHECK(set(keys[i], "yes no") == -1);
		forget();
	}
	CHECK(set("private_tmp", "yes") == 1 &&
	    set("protect_system", "yes") == 1);
	o = entry.se_opts;
	CHECK(o->so_private_tmp && o->so_protect_system);
	CHECK(!o->so_no_new_privs && !o->so_private_network);
	return 1;
}

static int
test_chroot(void)
{
	CHECK(set("chroot", "srv") == -1);
	CHECK(set("chroot", "/srv/a") == 1);
	CHECK(set("chroot", "/srv/b") == 1);	/* the first is freed */
	CHECK(strcmp(entry.se_opts->so_chroot, "/srv/b") == 0);
	CHECK(strcmp(options_exec_only(entry.se_opts), "chroot") == 0);
	return 1;
}

static int
test_capabilities(void)
{
	CHECK(set("capabilities", "CAP_NET_BIND_SERVICE cap_net_raw") == 1);
	CHECK(entry.se_opts->so_caps_set);
	CHECK(entry.se_opts->so_caps == ((UINT64_C(1) <<
	    CAP_NET_BIND_SERVICE) | (UINT64_C(1) << CAP_NET_RAW)));
	CHECK(set("capabilities", "CAP_CHECKPOINT_RESTORE") == 1);
	CHECK(entry.se_opts->so_caps == UINT64_C(1) << CAP_CHECKPOINT_RESTORE);
	CHECK(set("capabilities", "") == 1 && entry.se_opts->so_caps == 0);
	CHECK(strcmp(options_exec_only(entry.se_opts), "capabilities") == 0);
	CHECK(set("capabilities", "NET_RAW") == -1);
	CHECK(set("capabilities", "CAP_NOPE") == -1);
	CHECK(strstr(why, "CAP_NOPE") != NULL);
	CHECK(strcmp(option_cap_name(CAP_SYS_ADMIN), "CAP_SYS_ADMIN") == 0);
	CHECK(option_cap_name(CAP_LAST_CAP + 1) == NULL);
	CHECK(option_cap_name(-1) == NULL);
	return 1;
}

int
main(void)
{
	static const struct unit_test tests[] = {
		{ "no_key", test_no_key },
		{ "rlimits", test_rlimits },
		{ "rlimit_refused", test_rlimit_refused },
		{ "nice_umask", test_nice_umask },
		{ "timeout", test_timeout },
		{ "flags", test_flags },
		{ "chroot", test_chroot },
		{ "capabilities", test_capabilities },
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	unit_run(tests, nitems(tests), forget);
	return unit_summary();
}
