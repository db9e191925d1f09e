/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_builtins.c: unit tests of the builtins table (internal.c): its
 * look-ups by name and socket type, the list of names the parser's
 * messages give, and the hooks of its rows as the parser and the daemon
 * call them, the forward rows' above all.  The entries are parsed and
 * resolved with the daemon's own table (builtin_config), numeric
 * addresses only.  Output as unit.h says.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdio.h>
#include <string.h>

#include "builtin.h"
#include "config.h"
#include "forward.h"
#include "lookup.h"

static const char	*first_message(void);
#define UNIT_CONTEXT()	first_message()
#include "unit.h"
#include "unit_conf.h"

static struct servtab *
parse(const char *text)
{
	forget();
	return list = config_parse(text, strlen(text), "t.conf", NULL,
	    capture);
}

/* Every row is found under its name and socket type, and only so. */
static int
test_find(void)
{
	static const char *const stream[] = { "echo", "discard", "chargen",
	    "daytime", "time", "auth", "tcpmux", FORWARD_NAME };
	static const char *const dgram[] = { "echo", "discard", "chargen",
	    "daytime", "time", FORWARD_NAME };
	const struct builtin *bi;
	size_t i;

	for (i = 0; i < nitems(stream); i++) {
		CHECK((bi = builtin_find(stream[i], SOCK_STREAM)) != NULL);
		CHECK(strcmp(builtin_name(bi), stream[i]) == 0);
	}
	for (i = 0; i < nitems(dgram); i++) {
		CHECK((bi = builtin_find(dgram[i], SOCK_DGRAM)) != NULL);
		CHECK(strcmp(builtin_name(bi), dgram[i]) == 0);
		CHECK(bi != builtin_find(dgram[i], SOCK_STREAM));
	}
	CHECK(builtin_find("auth", SOCK_DGRAM) == NULL);
	CHECK(builtin_find("tcpmux", SOCK_DGRAM) == NULL);
	CHECK(builtin_find("echo", SOCK_RAW) == NULL);
	CHECK(builtin_find("finger", SOCK_STREAM) == NULL);
	CHECK(builtin_find("", SOCK_STREAM) == NULL);
	CHECK(builtin_find("Echo", SOCK_STREAM) == NULL);
	CHECK(builtin_find("echo ", SOCK_STREAM) == NULL);
	return 1;
}

static int
test_names(void)
{
	char buf[256], small[10];

	CHECK(strcmp(builtin_names(SOCK_STREAM, buf, sizeof(buf)), "echo, "
	    "discard, chargen, daytime, time, stats, auth, tcpmux, "
	    "forward") == 0);
	CHECK(strcmp(builtin_names(SOCK_DGRAM, buf, sizeof(buf)), "echo, "
	    "discard, chargen, daytime, time, forward") == 0);
	CHECK(strcmp(builtin_names(SOCK_RAW, buf, sizeof(buf)), "") == 0);
	/* Cut short, still a string. */
	CHECK(strcmp(builtin_names(SOCK_STREAM, small, sizeof(small)),
	    "echo, dis") == 0);
	return 1;
}

/* The parser finds the rows through the table it was given. */
static int
test_unknown_names(void)
{
	CHECK(parse("finger stream tcp nowait root internal\n") == NULL);
	CHECK(nmsgs == 1 && strcmp(msgs[0].text, "t.conf:1: finger/tcp: no "
	    "builtin service named 'finger' for stream (there are: echo, "
	    "discard, chargen, daytime, time, stats, auth, tcpmux, "
	    "forward)") == 0);
	CHECK(parse("8007 dgram udp wait root internal auth\n") == NULL);
	CHECK(nmsgs == 1 && strstr(msgs[0].text, "no builtin service named "
	    "'auth' for dgram (there are: echo, discard, chargen, daytime, "
	    "time, forward)") != NULL);
	return 1;
}

/* A builtin without state of its own: no hook beyond its name. */
static int
test_plain_rows(void)
{
	struct sockaddr_in peer = { .sin_family = AF_INET };
	int limit = -1;

	CHECK(parse("127.0.0.1:8007 stream tcp nowait root internal echo\n")
	    != NULL && nmsgs == 0);
	CHECK(list->se_bi == builtin_find("echo", SOCK_STREAM));
	CHECK(list->se_private == NULL);
	CHECK(config_resolve(list, 0, capture) == 0 && nmsgs == 0);
	CHECK(strcmp(builtin_wrap_name(list), "echo") == 0);
	CHECK(builtin_wrapped(list));
	CHECK(!builtin_counts_own(list));
	CHECK(!builtin_forks(list));
	CHECK(builtin_peer_count(list, (struct sockaddr *)&peer) == 0);
	CHECK(builtin_peer_admit(list, (struct sockaddr *)&peer, &limit));
	CHECK(!builtin_entry_full(list, &limit));
	CHECK(builtin_socket_options(list, NULL, -1) == 0);
	/* Children count: served by a child of its own. */
	list->se_maxchild = 2;
	CHECK(builtin_forks(list));
	CHECK(parse("tcpmux stream tcp nowait root internal\n") != NULL);
	CHECK(builtin_forks(list));
	return 1;
}

/* forward's two rows: its settings in se_private, its own limits. */
static int
test_forward_rows(void)
{
	const char *host, *port;
	int socktype;

	CHECK(parse("127.0.0.1:8009 stream tcp nowait/4 root internal "
	    "forward 127.0.0.1:7\n") != NULL && nmsgs == 0);
	CHECK(list->se_bi == builtin_find(FORWARD_NAME, SOCK_STREAM));
	CHECK(list->se_private != NULL);
	CHECK(builtin_config.cb_target(list, &host, &port, &socktype) == 1);
	CHECK(strcmp(host, "127.0.0.1") == 0 && strcmp(port, "7") == 0);
	CHECK(socktype == SOCK_STREAM);
	CHECK(config_resolve(list, 0, capture) == 0 && nmsgs == 0);
	/* libwrap never matches a daemon name made of digits. */
	CHECK(strcmp(builtin_wrap_name(list), "forward-8009") == 0);
	CHECK(builtin_wrapped(list));
	CHECK(builtin_counts_own(list));
	CHECK(!builtin_forks(list));	/* even with max-child */

	CHECK(parse("ntp dgram udp wait root internal forward "
	    "127.0.0.1:8123\n") != NULL && nmsgs == 0);
	CHECK(list->se_bi == builtin_find(FORWARD_NAME, SOCK_DGRAM));
	CHECK(config_resolve(list, 0, capture) == 0 && nmsgs == 0);
	CHECK(strcmp(builtin_wrap_name(list), "ntp") == 0);
	/* Its clients' associations live in the daemon: never wrapped. */
	CHECK(!builtin_wrapped(list));
	CHECK(!builtin_counts_own(list));

	/* The service field names it: the arguments are the settings. */
	CHECK(parse("forward stream tcp nowait root internal "
	    "127.0.0.1:7\n") != NULL && nmsgs == 0);
	CHECK(list->se_private != NULL);
	CHECK(parse("127.0.0.1:8009 stream tcp nowait root internal "
	    "forward\n") == NULL && nmsgs == 1);
	/* An entry forwarding to its own address is refused at load. */
	CHECK(parse("127.0.0.1:8009 stream tcp nowait root internal "
	    "forward 127.0.0.1:8009\n") != NULL);
	CHECK(config_resolve(list, 0, capture) == -1);
	CHECK(nmsgs == 1 &&
	    strstr(msgs[0].text, "is the entry's own address") != NULL);
	return 1;
}

/* The arguments the auth row's parse hook refuses (auth.c). */
static const struct parse_error parse_errors[] = {
	{ "auth_unknown_option", "auth stream tcp nowait root internal auth "
	  "-r -x\n", 0, "t.conf:1: auth/tcp: auth: unknown option -x "
	  "(expected -d, -f, -F, -g, -i, -n, -o, -r or -t)" },
	{ "auth_no_value", "auth stream tcp nowait root internal auth -r "
	  "-t\n", 0, "t.conf:1: auth/tcp: auth: option -t needs a value" },
	{ "auth_bad_timeout", "auth stream tcp nowait root internal auth -t "
	  "soon\n", 0, "t.conf:1: auth/tcp: auth: bad timeout 'soon' for "
	  "-t: expected seconds, from 0.001 to 3600" },
	{ "auth_zero_timeout", "auth stream tcp nowait root internal auth "
	  "-t0\n", 0, "t.conf:1: auth/tcp: auth: bad timeout '0' for -t" },
	{ "auth_bad_osname", "auth stream tcp nowait root internal auth -o "
	  "UNIX:X\n", 0, "t.conf:1: auth/tcp: auth: bad system name "
	  "'UNIX:X' for -o" },
	{ "auth_long_fallback", "auth stream tcp nowait root internal auth "
	  "-d abcdefghijklmnopqrstuvwxyz0123456789\n", 0, "t.conf:1: "
	  "auth/tcp: auth: bad fallback name 'abcdefghijklmnopqrstuvwxyz"
	  "0123456789' for -d" },
	{ "auth_argument", "auth stream tcp nowait root internal auth -r "
	  "extra\n", 0, "t.conf:1: auth/tcp: auth: unexpected argument "
	  "'extra'" },
	{ "auth_unix", "/run/ident.sock stream unix nowait root internal "
	  "auth\n", 0, "t.conf:1: /run/ident.sock/unix: auth: needs a TCP "
	  "socket" },
};

int
main(int argc, char *argv[])
{
	static const struct unit_test tests[] = {
		{ "find", test_find },
		{ "names", test_names },
		{ "unknown_names", test_unknown_names },
		{ "plain_rows", test_plain_rows },
		{ "forward_rows", test_forward_rows },
	};

	if (argc == 4 && strcmp(argv[1], LOOKUP_ARG) == 0)
		return lookup_serve(argv[2], argv[3]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	config_set_builtins(&builtin_config);
	unit_run(tests, nitems(tests), forget);
	run_parse_errors(parse_errors, nitems(parse_errors));
	return unit_summary();
}
