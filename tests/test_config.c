/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_config.c: unit tests of the inetd.conf parser (config.c).
 *
 * Every field form and every message of config_parse(), with a
 * builtins table of the test's own (stub_builtins.c), and the
 * look-ups of config_resolve() and config_load() that work on any
 * Debian machine (users root, nobody and daemon, group nogroup,
 * /etc/services, loopback addresses).  Files are written only in a
 * private directory under $TMPDIR.  Output as unit.h says.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "options.h"
#include "load.h"
#include "lookup.h"
#include "stub_builtins.h"
#include "util.h"
#include "xinetd.h"

static const char	*first_message(void);
#define UNIT_CONTEXT()	first_message()
#include "unit.h"
#include "unit_conf.h"

#define CONF		"t.conf"	/* file name the messages carry */
#define NOBODY		65534		/* uid of nobody, gid of nogroup */
#define FUZZ_ROUNDS	2000

static char	 tmpdir[256];

/*
 * A user in more than LOOKUP_MAXGROUPS groups cannot be made without
 * editing /etc/group, so the test replaces libc's getgrouplist() (the
 * program's own definition wins) and fails it on request: in the
 * environment, which the look-up process (this program) inherits.
 */
#define FAKE_MANY_GROUPS	"TEST_CONFIG_MANY_GROUPS"

int
getgrouplist(const char *user, gid_t group, gid_t *groups, int *ngroups)
{
	int (*real)(const char *, gid_t, gid_t *, int *);

	if (getenv(FAKE_MANY_GROUPS) != NULL) {
		*ngroups = LOOKUP_MAXGROUPS + 1;
		return -1;
	}
	*(void **)&real = dlsym(RTLD_NEXT, "getgrouplist");
	return real(user, group, groups, ngroups);
}

/*
 * The look-up process must fail the load cleanly when an NSS module
 * crashes or hangs: getpwnam() does either for these names.  It runs in
 * that child (this program, executed again), never in the test.
 */
#define CORRUPT_MODE	"TEST_CONFIG_CORRUPT"

/*
 * A broken look-up process: every slot of the memory file on its
 * standard input gets an answer that is good but for what the mode of
 * the test spoils, and the process reports success.
 */
static void
corrupt_answers(const char *mode)
{
	struct sockaddr_in *sin;
	struct lookup_slot *v;
	struct stat st;
	size_t i, n;

	if (fstat(STDIN_FILENO, &st) == -1 || (v = mmap(NULL, st.st_size,
	    PROT_READ | PROT_WRITE, MAP_SHARED, STDIN_FILENO, 0)) ==
	    MAP_FAILED)
		_exit(4);
	n = st.st_size / sizeof(*v);
	for (i = 0; i < n; i++) {
		v[i].status = LOOKUP_OK;
		v[i].uid = v[i].gid = 0;
		v[i].ngroups = v[i].kind == LOOKUP_USER ? 1 : 0;
		v[i].groups[0] = 0;
		sin = (struct sockaddr_in *)&v[i].addr;
		memset(sin, 0, sizeof(v[i].addr));
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		v[i].addrlen = sizeof(*sin);
		if (strcmp(mode, "ngroups-negative") == 0)
			v[i].ngroups = -1;
		else if (strcmp(mode, "ngroups-big") == 0)
			v[i].ngroups = LOOKUP_MAXGROUPS + 1;
		else if (strcmp(mode, "status") == 0)
			v[i].status = 1000;
		else if (strcmp(mode, "addrlen") == 0)
			v[i].addrlen = sizeof(v[i].addr) + 1;
		else if (strcmp(mode, "family") == 0)
			sin->sin_family = AF_UNIX;
		else if (strcmp(mode, "group-id") == 0)
			v[i].groups[0] = (gid_t)-1;
		else if (strcmp(mode, "gai-error") == 0 &&
		    v[i].kind == LOOKUP_ADDRESS) {
			v[i].status = LOOKUP_NO_ADDRESS;
			v[i].gai_error = 1000;
		}
		else if (strcmp(mode, "strings") == 0) {
			memset(v[i].user, 'A', sizeof(v[i].user));
			memset(v[i].group, 'A', sizeof(v[i].group));
			memset(v[i].host, 'A', sizeof(v[i].host));
			memset(v[i].port, 'A', sizeof(v[i].port));
		}
	}
	_exit(0);
}

struct passwd *
getpwnam(const char *name)
{
	struct passwd *(*real)(const char *);

	if (strcmp(name, "lookup-dies") == 0)
		_exit(3);
	if (strcmp(name, "lookup-hangs") == 0)
		pause();
	if (strcmp(name, "lookup-corrupts") == 0)
		corrupt_answers(getenv(CORRUPT_MODE));
	*(void **)&real = dlsym(RTLD_NEXT, "getpwnam");
	return real(name);
}

static void
result(const char *name, int ok)
{
	unit_result(name, ok);
	forget();
}

/*
 * The text is copied to a buffer of exactly len bytes, so that ASan
 * catches a read past its end.
 */
static struct servtab *
parse_len(const char *text, size_t len, const char *defhost)
{
	char *copy;

	if ((copy = malloc(len > 0 ? len : 1)) == NULL) {
		perror("malloc");
		exit(2);
	}
	memcpy(copy, text, len);
	nmsgs = 0;
	config_free(list);
	list = config_parse(copy, len, CONF, defhost, capture);
	free(copy);
	return list;
}

static struct servtab *
parse(const char *text)
{
	return parse_len(text, strlen(text), NULL);
}

static struct servtab *
parse_defhost(const char *text, const char *defhost)
{
	return parse_len(text, strlen(text), defhost);
}

static int
count(const struct servtab *sep)
{
	int n;

	for (n = 0; sep != NULL; sep = sep->se_next)
		n++;
	return n;
}

static const struct servtab *
nth(int n)
{
	const struct servtab *sep;

	for (sep = list; sep != NULL && n > 0; sep = sep->se_next)
		n--;
	return sep;
}

static int
streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* "@" in a line stands for the test's private directory. */
static const char *
expand(const char *tmpl)
{
	static char buf[1024];
	size_t n = 0;

	for (; *tmpl != '\0' && n + sizeof(tmpdir) < sizeof(buf); tmpl++) {
		if (*tmpl == '@')
			n += strlcpy(buf + n, tmpdir, sizeof(buf) - n);
		else
			buf[n++] = *tmpl;
	}
	buf[n] = '\0';
	return buf;
}

/*
 * Parse errors: each line is dropped with exactly this message.
 */
static const struct parse_error parse_errors[] = {
	{ "fields_five", "echo stream tcp nowait root\n", 0,
	  "t.conf:1: echo/tcp: missing fields: expected at least 6, got 5" },
	{ "fields_two", "\n\necho stream\n", 0,
	  "t.conf:3: missing fields: expected at least 6, got 2" },
	{ "fields_one", "echo\n", 0,
	  "t.conf:1: missing fields: expected at least 6, got 1" },
	{ "quote_double_unterminated",
	  "sh stream tcp nowait root /bin/sh sh -c \"echo hi\n", 0,
	  "t.conf:1: sh/tcp: missing closing \" quote" },
	{ "quote_single_unterminated",
	  "sh stream tcp nowait root /bin/sh sh -c 'echo\n", 0,
	  "t.conf:1: sh/tcp: missing closing ' quote" },
	{ "quote_not_across_continuation",
	  "sh stream tcp nowait root /bin/sh sh -c 'echo\n\thi'\n", 0,
	  "t.conf:1: sh/tcp: missing closing ' quote" },
	{ "quote_in_service_field", "'echo stream tcp nowait root internal\n",
	  0, "t.conf:1: missing closing ' quote" },
	{ "port_zero", "0 stream tcp nowait root internal echo\n", 0,
	  "t.conf:1: 0/tcp: port 0 out of range (1-65535)" },
	{ "port_65536", "65536 stream tcp nowait root internal echo\n", 0,
	  "t.conf:1: 65536/tcp: port 65536 out of range (1-65535)" },
	{ "port_huge", "127.0.0.1:99999999999999999999 dgram udp wait root "
	  "internal echo\n", 0, "t.conf:1: 127.0.0.1:99999999999999999999/"
	  "udp: port 99999999999999999999 out of range (1-65535)" },
	{ "rpc_service", "rstatd/1-3 dgram udp wait root "
	  "/usr/libexec/rpc.rstatd rpc.rstatd\n", 0,
	  "t.conf:1: rstatd/1-3/udp: RPC services are not supported" },
	{ "rpc_udp", "rstatd/1-3\tdgram rpc/udp wait root "
	  "/usr/libexec/rpc.rstatd\t rpc.rstatd\n", 0,
	  "t.conf:1: rstatd/1-3/rpc/udp: RPC services are not supported" },
	{ "rpc_tcp", "walld/1 stream rpc/tcp nowait root /usr/libexec/x x\n",
	  0, "t.conf:1: walld/1/rpc/tcp: RPC services are not supported" },
	{ "tcpmux_wait", "tcpmux/foo stream tcp wait root /bin/foo foo\n",
	  0, "t.conf:1: tcpmux/foo/tcp: tcpmux services must be nowait" },
	{ "tcpmux_dgram", "tcpmux/+foo dgram udp wait root /bin/foo\n", 0,
	  "t.conf:1: tcpmux/+foo/udp: tcpmux services need socket type "
	  "stream" },
	{ "tcpmux_internal", "tcpmux/foo stream tcp nowait root internal "
	  "echo\n", 0, "t.conf:1: tcpmux/foo/tcp: tcpmux services must run "
	  "a program, not internal" },
	{ "tcpmux_host", "127.0.0.1:tcpmux/foo stream tcp nowait root "
	  "/bin/foo\n", 0, "t.conf:1: 127.0.0.1:tcpmux/foo/tcp: a tcpmux "
	  "service has no address of its own" },
	{ "tcpmux_no_name", "tcpmux/+ stream tcp nowait root /bin/foo\n", 0,
	  "t.conf:1: tcpmux/+/tcp: missing tcpmux service name in "
	  "'tcpmux/+'" },
	{ "socktype_raw", "echo raw tcp nowait root internal\n", 0,
	  "t.conf:1: echo/tcp: socket type raw is not supported" },
	{ "socktype_seqpacket", "echo seqpacket tcp nowait root internal\n",
	  0, "t.conf:1: echo/tcp: socket type seqpacket is not supported" },
	{ "socktype_rdm", "echo rdm udp wait root internal\n", 0,
	  "t.conf:1: echo/udp: socket type rdm is not supported" },
	{ "socktype_unknown", "echo streams tcp nowait root internal\n", 0,
	  "t.conf:1: echo/tcp: unknown socket type 'streams'" },
	{ "proto_unknown", "echo stream sctp nowait root internal\n", 0,
	  "t.conf:1: echo/sctp: unknown protocol 'sctp' (expected tcp, "
	  "tcp4, tcp6, tcp46, udp, udp4, udp6, udp46 or unix)" },
	{ "proto_udp_for_stream", "echo stream udp nowait root internal\n",
	  0, "t.conf:1: echo/udp: protocol udp does not fit socket type "
	  "stream" },
	{ "proto_tcp6_for_dgram", "echo dgram tcp6 wait root internal\n", 0,
	  "t.conf:1: echo/tcp6: protocol tcp6 does not fit socket type "
	  "dgram" },
	{ "unix_dgram", "/run/x.sock dgram unix wait root internal echo\n",
	  0, "t.conf:1: /run/x.sock/unix: UNIX-domain dgram sockets are not "
	  "supported (unix needs stream)" },
	{ "unix_relative", "run/x.sock stream unix nowait root internal "
	  "echo\n", 0, "t.conf:1: run/x.sock/unix: UNIX socket path "
	  "'run/x.sock' must be absolute" },
	{ "unix_long_form_relative", ":root:root:0600:x.sock stream unix "
	  "nowait root internal echo\n", 0, "t.conf:1: :root:root:0600:"
	  "x.sock/unix: UNIX socket path 'x.sock' must be absolute" },
	{ "unix_long_form_short", ":root:root/x.sock stream unix nowait "
	  "root internal echo\n", 0, "t.conf:1: :root:root/x.sock/unix: "
	  "bad UNIX socket ':root:root/x.sock': expected /path or "
	  ":owner:group:mode:/path" },
	{ "unix_mode_not_octal", ":root:root:0680:/x.sock stream unix "
	  "nowait root internal echo\n", 0, "t.conf:1: :root:root:0680:"
	  "/x.sock/unix: bad socket mode '0680': expected octal, at most "
	  "777" },
	{ "unix_mode_too_large", "::root:1777:/x.sock stream unix nowait "
	  "root internal echo\n", 0, "t.conf:1: ::root:1777:/x.sock/unix: "
	  "bad socket mode '1777': expected octal, at most 777" },
	{ "wait_unknown", "echo stream tcp sometimes root internal\n", 0,
	  "t.conf:1: echo/tcp: bad wait field 'sometimes': expected wait or "
	  "nowait[/max-child[/per-ip-per-minute[/per-ip]]]" },
	{ "wait_suffix", "echo stream tcp waiting root internal\n", 0,
	  "t.conf:1: echo/tcp: bad wait field 'waiting': expected wait or "
	  "nowait[/max-child[/per-ip-per-minute[/per-ip]]]" },
	{ "wait_four_limits", "echo stream tcp nowait/1/2/3/4 root "
	  "internal\n", 0, "t.conf:1: echo/tcp: bad wait field "
	  "'nowait/1/2/3/4': expected wait" },
	{ "wait_empty_limit", "echo stream tcp nowait//2 root internal\n", 0,
	  "t.conf:1: echo/tcp: bad wait field 'nowait//2': expected wait" },
	{ "wait_trailing_slash", "echo stream tcp nowait/ root internal\n",
	  0, "t.conf:1: echo/tcp: bad wait field 'nowait/': expected wait" },
	{ "maxchild_range", "echo stream tcp nowait/40000 root internal\n",
	  0, "t.conf:1: echo/tcp: max-child 40000 out of range (0-32767)" },
	{ "maxchild_negative", "echo stream tcp nowait/-1 root internal\n",
	  0, "t.conf:1: echo/tcp: max-child -1 out of range (0-32767)" },
	{ "maxchild_word", "echo stream tcp nowait/abc root internal\n", 0,
	  "t.conf:1: echo/tcp: max-child 'abc' in 'nowait/abc' is not a "
	  "number" },
	{ "maxcpm_negative", "echo stream tcp nowait/5/-1 root internal\n",
	  0, "t.conf:1: echo/tcp: max-connections-per-ip-per-minute -1 out "
	  "of range (0-2147483647)" },
	{ "maxperip_range", "echo stream tcp wait/5/10/99999999999 root "
	  "internal\n", 0, "t.conf:1: echo/tcp: max-child-per-ip "
	  "99999999999 out of range (0-2147483647)" },
	{ "maxperip_word", "echo stream tcp wait/5/10/x root internal\n", 0,
	  "t.conf:1: echo/tcp: max-child-per-ip 'x' in 'wait/5/10/x' is "
	  "not a number" },
	{ "rate_word", "echo stream tcp nowait.x root internal\n", 0,
	  "t.conf:1: echo/tcp: invocations per minute 'x' in 'nowait.x' is "
	  "not a number" },
	{ "rate_negative", "echo stream tcp nowait.-5 root internal\n", 0,
	  "t.conf:1: echo/tcp: invocations per minute -5 out of range "
	  "(0-2147483647)" },
	{ "user_missing", "echo stream tcp nowait :wheel internal\n", 0,
	  "t.conf:1: echo/tcp: missing user name in ':wheel'" },
	{ "user_missing_dot", "echo stream tcp nowait .wheel internal\n", 0,
	  "t.conf:1: echo/tcp: missing user name in '.wheel'" },
	{ "user_missing_class", "echo stream tcp nowait /staff internal\n",
	  0, "t.conf:1: echo/tcp: missing user name in '/staff'" },
	{ "group_missing", "echo stream tcp nowait root: internal\n", 0,
	  "t.conf:1: echo/tcp: missing group name in 'root:'" },
	{ "group_missing_dot", "echo stream tcp nowait root./x internal\n",
	  0, "t.conf:1: echo/tcp: missing group name in 'root./x'" },
	{ "class_empty", "echo stream tcp nowait root/ internal\n", 0,
	  "t.conf:1: echo/tcp: empty login class in 'root/'" },
	{ "program_relative", "ftp stream tcp nowait root libexec/ftpd "
	  "ftpd\n", 0, "t.conf:1: ftp/tcp: program 'libexec/ftpd' must be "
	  "an absolute path or 'internal'" },
	{ "builtin_unknown", "finger stream tcp nowait root internal\n", 0,
	  "t.conf:1: finger/tcp: no builtin service named 'finger' for "
	  "stream" },
	{ "builtin_unknown_arg", "8007 dgram udp wait root internal bogus\n",
	  0, "t.conf:1: 8007/udp: no builtin service named 'bogus' for "
	  "dgram" },
	{ "builtin_numeric_no_arg", "8007 stream tcp nowait root internal\n",
	  0, "t.conf:1: 8007/tcp: no builtin service named '8007' for "
	  "stream" },
	{ "auth_dgram", "auth dgram udp wait root internal\n", 0,
	  "t.conf:1: auth/udp: no builtin service named 'auth' for dgram" },
	{ "host_bracket_unclosed", "[::1:echo stream tcp6 nowait root "
	  "internal\n", 0, "t.conf:1: [::1:echo/tcp6: missing ']' in "
	  "'[::1:echo'" },
	{ "host_bracket_no_colon", "[::1]echo stream tcp6 nowait root "
	  "internal\n", 0, "t.conf:1: [::1]echo/tcp6: expected ':' after "
	  "']' in '[::1]echo'" },
	{ "host_empty", ":echo stream tcp nowait root internal\n", 0,
	  "t.conf:1: :echo/tcp: empty bind address in ':echo'" },
	{ "host_empty_brackets", "[]:echo stream tcp6 nowait root "
	  "internal\n", 0, "t.conf:1: []:echo/tcp6: empty bind address in "
	  "'[]:echo'" },
	{ "service_missing", "127.0.0.1: stream tcp nowait root internal "
	  "echo\n", 0, "t.conf:1: 127.0.0.1:/tcp: missing service name in "
	  "'127.0.0.1:'" },
	{ "hostline_unclosed", "[::1:\necho stream tcp nowait root "
	  "internal\n", 1, "t.conf:1: missing ']' in '[::1:'" },
	{ "hostline_empty", ":\necho stream tcp nowait root internal\n", 1,
	  "t.conf:1: empty bind address in ':'" },
	{ "continuation_first", "  echo stream tcp nowait root internal\n",
	  0, "t.conf:1: continuation line (starting with a space or tab) "
	  "without an entry before it" },
	{ "continuation_after_comment", "echo stream tcp nowait root "
	  "internal\n# a comment\n\t-x\n\t-y\n", 1, "t.conf:3: continuation "
	  "line (starting with a space or tab) without an entry before it" },
	{ "continuation_after_blank", "echo stream tcp nowait root "
	  "internal\n\n\t-x\n", 1, "t.conf:3: continuation line (starting "
	  "with a space or tab) without an entry before it" },
	{ "continuation_fields", "echo stream\n tcp nowait\n", 0,
	  "t.conf:1: echo/tcp: missing fields: expected at least 6, got 4" },
	{ "indented_comment", "\t# not a comment\n", 0, "t.conf:1: "
	  "continuation line (starting with a space or tab) without an "
	  "entry before it" },
	/* NetBSD's positional extensions */
	{ "sndbuf_unit", "echo stream tcp,sndbuf=4x nowait root internal\n",
	  0, "t.conf:1: echo/tcp: bad sndbuf '4x': expected a number of "
	  "bytes, with k, m or g" },
	{ "rcvbuf_zero", "echo stream tcp,rcvbuf=0 nowait root internal\n",
	  0, "t.conf:1: echo/tcp: bad rcvbuf '0': expected a number" },
	{ "sndbuf_large", "echo stream tcp,sndbuf=2g nowait root internal\n",
	  0, "t.conf:1: echo/tcp: sndbuf 2g is too large (at most "
	  "2147483647 bytes)" },
	{ "sndbuf_twice", "echo stream tcp,sndbuf=1,sndbuf=2 nowait root "
	  "internal\n", 0, "t.conf:1: echo/tcp: sndbuf given twice" },
	{ "proto_option", "echo stream tcp,bufsize=1 nowait root internal\n",
	  0, "t.conf:1: echo/tcp: unknown protocol option 'bufsize' "
	  "(expected sndbuf=SIZE or rcvbuf=SIZE)" },
	{ "accept_filter", "echo stream:dnsready tcp,sndbuf=1k nowait root "
	  "internal\n",
	  0, "t.conf:1: echo/tcp: accept filter 'dnsready' is not supported "
	  "on Linux (dataready and httpready are, as TCP_DEFER_ACCEPT)" },
	{ "accept_filter_udp", "echo dgram:dataready udp wait root "
	  "internal\n", 0, "t.conf:1: echo/udp: an accept filter needs a "
	  "TCP socket" },
	{ "accept_filter_unix", "/run/x stream:dataready unix nowait root "
	  "internal echo\n", 0, "t.conf:1: /run/x/unix: an accept filter "
	  "needs a TCP socket" },
	{ "accept_max_word", "echo stream,x tcp nowait root internal\n", 0,
	  "t.conf:1: echo/tcp: accept-max 'x' is not a number" },
	{ "accept_max_twice", "echo stream,2 tcp nowait/3 root internal\n",
	  0, "t.conf:1: echo/tcp: max-child is given twice" },
	{ "tcpmux_buffers", "tcpmux/x stream tcp,rcvbuf=1k nowait root "
	  "/bin/cat cat\n", 0, "t.conf:1: tcpmux/x/tcp: a tcpmux service has "
	  "no socket of its own: no buffer sizes or accept filter" },
	{ "wait_colon_word", "echo stream tcp nowait:x root internal\n", 0,
	  "t.conf:1: echo/tcp: invocations per minute 'x' in 'nowait:x' is "
	  "not a number" },
	{ "directive", ".includes x\n", 0,
	  "t.conf:1: unknown directive '.includes'" },
	/* key-values notation */
	{ "kv_unknown_key", "echo on protocol = tcp, user = root,\n"
	  "  colour = blue;\n", 0, "t.conf:2: echo/tcp: unknown key 'colour'" },
	{ "kv_ipsec", "echo on protocol = tcp, user = root, ipsec = in;\n",
	  0, "t.conf:1: echo/tcp: ipsec: not supported on Linux" },
	{ "kv_no_equals", "echo on protocol tcp;\n", 0,
	  "t.conf:1: echo: expected 'key = value' at 'protocol'" },
	{ "kv_no_key", "echo on = tcp;\n", 0,
	  "t.conf:1: echo: expected 'key = value' at '='" },
	{ "kv_on_missing", "echo#x on\n protocol = tcp;\n", 0,
	  "t.conf:1: echo: expected on or off after the service" },
	{ "kv_no_semicolon", "echo on protocol = tcp, user = root\n\n"
	  "# a comment\n", 0, "t.conf:1: definition not ended by ';'" },
	{ "kv_missing_user", "echo on protocol = tcp;\n", 0,
	  "t.conf:1: echo: missing key user" },
	{ "kv_missing_protocol", "echo on user = root;\n", 0,
	  "t.conf:1: echo: missing key protocol" },
	{ "kv_missing_wait", "ftp on protocol = tcp, user = root,\n"
	  "\texec = /usr/libexec/ftpd;\n", 0, "t.conf:1: ftp: missing key "
	  "wait" },
	{ "kv_missing_socktype", "/run/x on protocol = unix, user = root;\n",
	  0, "t.conf:1: /run/x: missing key socktype (protocol unix implies "
	  "none)" },
	{ "kv_wait_value", "echo on protocol = tcp, user = root,\n"
	  " wait = maybe;\n", 0, "t.conf:2: echo: wait: expected yes or no, "
	  "not 'maybe'" },
	{ "kv_twice", "echo on protocol = tcp, user = root, user = bin;\n", 0,
	  "t.conf:1: echo: user is given twice" },
	{ "kv_one_value", "echo on protocol = tcp udp, user = root;\n", 0,
	  "t.conf:1: echo: protocol takes one value, not 2" },
	{ "kv_no_value", "echo on protocol = tcp, user = root, sndbuf =;\n",
	  0, "t.conf:1: echo: sndbuf takes one value, not 0" },
	{ "kv_escape", "echo on protocol = tcp, user = root,\n"
	  "  exec = /bin/echo, wait = no, args = \"\\q\";\n", 0,
	  "t.conf:2: echo: unknown escape '\\q' in a quoted value" },
	{ "kv_escape_hex", "echo on protocol = tcp, args = 'a\\x4';\n", 0,
	  "t.conf:1: echo: bad escape in a quoted value: \\x takes two "
	  "hexadecimal digits, not 00" },
	{ "kv_escape_nul", "echo on protocol = tcp, args = 'a\\x00';\n", 0,
	  "t.conf:1: echo: bad escape in a quoted value" },
	{ "kv_open_quote", "echo on protocol = tcp, user = root,\n"
	  "  args = 'a\n  b;\n", 0, "t.conf:2: echo: missing closing ' "
	  "quote" },
	{ "kv_bind_twice", "127.0.0.1:echo on protocol = tcp, user = root,\n"
	  "  bind = ::1;\n", 0, "t.conf:2: 127.0.0.1:echo: bind: the listen "
	  "address is given twice" },
	{ "kv_bind_unix", "/run/x on socktype = stream, protocol = unix,\n"
	  "  bind = ::1, user = root;\n", 0, "t.conf:2: /run/x: bind: a UNIX "
	  "socket has no listen address" },
	{ "kv_limit_twice", "echo on protocol = tcp, user = root,\n"
	  "  accept_max = 2,\n  max_child = 3;\n", 0, "t.conf:3: echo/tcp: "
	  "max-child is given twice" },
	{ "kv_limit_word", "echo on protocol = tcp, user = root, ip_max = "
	  "many;\n", 0, "t.conf:1: echo/tcp: max-connections-per-ip-per-minute"
	  " 'many' in 'ip_max' is not a number" },
	{ "kv_filter_arg", "echo on protocol = tcp, user = root,\n"
	  "  acceptfilter = httpready x;\n", 0, "t.conf:2: echo/tcp: "
	  "acceptfilter: expected a filter name (arguments are not supported "
	  "on Linux)" },
	{ "kv_filter_udp", "echo on protocol = udp, user = root,\n"
	  "  acceptfilter = dataready;\n", 0, "t.conf:2: echo/udp: an accept "
	  "filter needs a TCP socket" },
	{ "kv_off_checked", "echo off protocol = tcp, user = root,\n"
	  " sndbuf = 1t;\n", 0, "t.conf:2: echo/tcp: bad sndbuf '1t'" },
	{ "kv_field_error", "echo on protocol = tcpx, user = root;\n", 0,
	  "t.conf:1: echo/tcpx: unknown protocol 'tcpx'" },
	{ "kv_too_long", "echo on protocol = tcp, args = "
	  "x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x "
	  "x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x "
	  "x, user = root;\n", 0, "t.conf:1: echo: too many arguments (more "
	  "than 64)" },
	/* access, environment and binding keys */
	{ "acl_host_name", "echo on protocol = tcp, user = root,\n"
	  "  only_from = 127.0.0.1 localhost;\n", 0, "t.conf:2: echo/tcp: "
	  "only_from: \"localhost\": host and network names are not "
	  "supported" },
	{ "acl_domain", "echo on protocol = tcp, user = root,\n"
	  "  no_access = .example.org;\n", 0, "t.conf:2: echo/tcp: "
	  "no_access: \".example.org\": domain names are not supported" },
	{ "acl_prefix", "echo on protocol = tcp, user = root,\n"
	  "  only_from = 10.0.0.0/33;\n", 0, "t.conf:2: echo/tcp: only_from: "
	  "\"10.0.0.0/33\": not an address" },
	{ "acl_wait_stream", "echo on protocol = tcp, user = root, wait = yes,"
	  "\n  exec = /bin/cat, only_from = 127.0.0.1;\n", 0, "t.conf:1: "
	  "echo/tcp: only_from, no_access: a wait stream server" },
	{ "acl_unix", "/run/x on socktype = stream, protocol = unix,\n"
	  "  user = root, args = echo, no_access = 10.0.0.0/8;\n", 0,
	  "t.conf:1: /run/x/unix: only_from, no_access: UNIX-domain clients" },
	{ "acl_env_conn", "echo on protocol = tcp, user = root, wait = no,\n"
	  "  exec = /bin/cat, env = TCPREMOTEIP=1;\n", 0, "t.conf:2: "
	  "echo/tcp: env: \"TCPREMOTEIP\" describes the connection" },
	{ "acl_env_form", "echo on protocol = tcp, user = root, wait = no,\n"
	  "  exec = /bin/cat, env = NAME;\n", 0, "t.conf:2: echo/tcp: env: "
	  "\"NAME\": not NAME=VALUE" },
	{ "acl_env_twice", "echo on protocol = tcp, user = root, wait = no,\n"
	  "  exec = /bin/cat, env = A=1, passenv = A;\n", 0, "t.conf:2: "
	  "echo/tcp: passenv: \"A\" given twice" },
	{ "acl_device", "echo on protocol = tcp, user = root, args = echo,\n"
	  "  bind_device = a/b;\n", 0, "t.conf:2: echo/tcp: bind_device: "
	  "expected one interface name" },
	{ "acl_freebind", "echo on protocol = tcp, user = root, args = echo,\n"
	  "  freebind = 1;\n", 0, "t.conf:2: echo/tcp: freebind: 1: neither "
	  "yes nor no" },
	{ "acl_tcpmux_device", "tcpmux/x on protocol = tcp, user = root,\n"
	  "  wait = no, exec = /bin/cat, freebind = yes;\n", 0, "t.conf:1: "
	  "tcpmux/x/tcp: bind_device, freebind: only for an IP socket" },
};

static int
test_exec_entry(void)
{
	const struct servtab *sep;

	parse("ftp\tstream\ttcp\tnowait\troot\t/usr/libexec/ftpd\tftpd -l\n");
	CHECK(nmsgs == 0);
	CHECK(count(list) == 1);
	sep = list;
	CHECK(streq(sep->se_file, CONF));
	CHECK(sep->se_line == 1);
	CHECK(sep->se_host == NULL);
	CHECK(streq(sep->se_service, "ftp"));
	CHECK(streq(sep->se_proto, "tcp"));
	CHECK(sep->se_socktype == SOCK_STREAM);
	CHECK(sep->se_family == AF_INET);
	CHECK(sep->se_v6only == 0);
	CHECK(sep->se_wait == 0);
	CHECK(sep->se_maxchild == CONF_DEFAULT);
	CHECK(sep->se_maxcpm == CONF_DEFAULT);
	CHECK(sep->se_maxperip == CONF_DEFAULT);
	CHECK(sep->se_maxrate == CONF_DEFAULT);
	CHECK(streq(sep->se_user, "root"));
	CHECK(sep->se_group == NULL);
	CHECK(sep->se_class == NULL);
	CHECK(sep->se_sockuser == NULL && sep->se_sockgroup == NULL);
	CHECK(streq(sep->se_server, "/usr/libexec/ftpd"));
	CHECK(sep->se_bi == NULL);
	CHECK(sep->se_argc == 2);
	CHECK(streq(sep->se_argv[0], "ftpd"));
	CHECK(streq(sep->se_argv[1], "-l"));
	CHECK(sep->se_argv[2] == NULL);
	CHECK(sep->se_fd == -1);
	CHECK(sep->se_children == 0 && sep->se_paused == 0 &&
	    sep->se_bind_failed == 0);
	CHECK(sep->se_next == NULL);
	return 1;
}

static int
test_exec_no_args(void)
{
	parse("comsat dgram udp wait root /usr/libexec/comsat\n");
	CHECK(nmsgs == 0 && count(list) == 1);
	CHECK(list->se_wait == 1);
	CHECK(list->se_socktype == SOCK_DGRAM);
	CHECK(list->se_argc == 1);
	CHECK(streq(list->se_argv[0], "comsat"));
	CHECK(list->se_argv[1] == NULL);
	return 1;
}

static int
test_internal_by_service(void)
{
	parse("echo stream tcp nowait root internal\n"
	    "daytime dgram udp wait root internal\n");
	CHECK(nmsgs == 0 && count(list) == 2);
	CHECK(list->se_server == NULL);
	CHECK(list->se_bi == stub_builtin("echo", SOCK_STREAM));
	CHECK(list->se_bi != NULL);
	CHECK(list->se_argc == 0 && list->se_argv[0] == NULL);
	CHECK(nth(1)->se_bi == stub_builtin("daytime", SOCK_DGRAM));
	CHECK(nth(1)->se_bi != NULL);
	return 1;
}

static int
test_internal_by_argument(void)
{
	parse("127.0.0.1:8007 stream tcp nowait root internal echo\n"
	    "8019 dgram udp wait root internal chargen\n");
	CHECK(nmsgs == 0 && count(list) == 2);
	CHECK(streq(list->se_host, "127.0.0.1"));
	CHECK(streq(list->se_service, "8007"));
	CHECK(list->se_bi == stub_builtin("echo", SOCK_STREAM));
	CHECK(list->se_argc == 1 && streq(list->se_argv[0], "echo"));
	CHECK(nth(1)->se_bi == stub_builtin("chargen", SOCK_DGRAM));
	return 1;
}

/* An argument that is no builtin's name leaves the service name. */
static int
test_internal_option_argument(void)
{
	parse("time stream tcp nowait root internal -v\n");
	CHECK(nmsgs == 0 && count(list) == 1);
	CHECK(list->se_bi == stub_builtin("time", SOCK_STREAM));
	return 1;
}

/* FreeBSD's option forms: together, apart, value attached or not. */
static int
test_auth_entries(void)
{
	parse("auth stream tcp nowait root internal\n"
	    "auth\tstream\ttcp6\tnowait\troot\tinternal\tauth -r -f -n "
	    "-o UNKNOWN -t 30\n"
	    "113 stream tcp46 nowait root internal auth -rnFgi -t2.5 -dguest\n"
	    "auth stream tcp nowait root internal -r\n");
	CHECK(nmsgs == 0 && count(list) == 4);
	CHECK(list->se_bi == stub_builtin("auth", SOCK_STREAM));
	CHECK(list->se_bi != NULL);
	CHECK(nth(1)->se_bi == list->se_bi && nth(1)->se_argc == 8);
	CHECK(nth(2)->se_bi == list->se_bi);
	CHECK(nth(3)->se_bi == list->se_bi && nth(3)->se_argc == 1);
	return 1;
}

/* tcpmux entries need no port: they have no socket of their own. */
static int
test_tcpmux_entries(void)
{
	parse("tcpmux stream tcp nowait root internal\n"
	    "tcpmux/Hello stream tcp nowait nobody /bin/cat cat\n"
	    "tcpmux/+date stream tcp6 nowait root /bin/date date\n");
	CHECK(nmsgs == 0 && count(list) == 3);
	CHECK(list->se_bi == stub_builtin("tcpmux", SOCK_STREAM));
	CHECK(list->se_bi != NULL && list->se_tcpmux == TCPMUX_NONE);
	CHECK(streq(nth(1)->se_service, "tcpmux/Hello"));
	CHECK(nth(1)->se_tcpmux == TCPMUX_PLAIN && nth(1)->se_bi == NULL);
	CHECK(streq(nth(2)->se_service, "tcpmux/+date"));
	CHECK(nth(2)->se_tcpmux == TCPMUX_PLUS);
	CHECK(config_resolve(list->se_next, 0, capture) == 0);
	CHECK(config_resolve(list->se_next->se_next, 0, capture) == 0);
	CHECK(nmsgs == 0);
	CHECK(nth(1)->se_uid == NOBODY);
	/* Its own limits: the daemon applies them to the server it starts. */
	parse("tcpmux/x stream tcp nowait/5/7/2 root /bin/cat cat\n");
	CHECK(count(list) == 1 && nmsgs == 0);
	CHECK(list->se_maxchild == 5 && list->se_maxcpm == 7 &&
	    list->se_maxperip == 2);
	return 1;
}

static int
test_protocols(void)
{
	static const struct {
		const char	*line;
		int		 socktype, family, v6only;
	} t[] = {
		{ "8007 stream tcp nowait root internal echo",
		  SOCK_STREAM, AF_INET, 0 },
		{ "8007 stream tcp4 nowait root internal echo",
		  SOCK_STREAM, AF_INET, 0 },
		{ "8007 stream tcp6 nowait root internal echo",
		  SOCK_STREAM, AF_INET6, 1 },
		{ "8007 stream tcp46 nowait root internal echo",
		  SOCK_STREAM, AF_INET6, 0 },
		{ "8007 dgram udp wait root internal echo",
		  SOCK_DGRAM, AF_INET, 0 },
		{ "8007 dgram udp4 wait root internal echo",
		  SOCK_DGRAM, AF_INET, 0 },
		{ "8007 dgram udp6 wait root internal echo",
		  SOCK_DGRAM, AF_INET6, 1 },
		{ "8007 dgram udp46 wait root internal echo",
		  SOCK_DGRAM, AF_INET6, 0 },
		{ "/run/echo.sock stream unix nowait root internal echo",
		  SOCK_STREAM, AF_UNIX, 0 },
	};
	size_t i;

	for (i = 0; i < nitems(t); i++) {
		parse(t[i].line);
		CHECK(nmsgs == 0 && count(list) == 1);
		CHECK(list->se_socktype == t[i].socktype);
		CHECK(list->se_family == t[i].family);
		CHECK(list->se_v6only == t[i].v6only);
	}
	return 1;
}

static int
test_wait_forms(void)
{
	static const struct {
		const char	*field;
		int		 wait, maxchild, maxcpm, maxperip, maxrate;
	} t[] = {
		{ "wait",		1, -1, -1, -1, -1 },
		{ "nowait",		0, -1, -1, -1, -1 },
		{ "nowait/400",		0, 400, -1, -1, -1 },
		{ "nowait/3/10",	0, 3, 10, -1, -1 },
		{ "wait/32767/5/2",	1, 32767, 5, 2, -1 },
		{ "nowait/0/0/0",	0, 0, 0, 0, -1 },
		{ "nowait.5",		0, -1, -1, -1, 5 },
		{ "wait.0",		1, -1, -1, -1, 0 },
	};
	char line[128];
	size_t i;

	for (i = 0; i < nitems(t); i++) {
		snprintf(line, sizeof(line),
		    "echo stream tcp %s root internal", t[i].field);
		parse(line);
		CHECK(nmsgs == 0 && count(list) == 1);
		CHECK(list->se_wait == t[i].wait);
		CHECK(list->se_maxchild == t[i].maxchild);
		CHECK(list->se_maxcpm == t[i].maxcpm);
		CHECK(list->se_maxperip == t[i].maxperip);
		CHECK(list->se_maxrate == t[i].maxrate);
	}
	return 1;
}

static int
test_user_forms(void)
{
	static const struct {
		const char	*field, *user, *group, *class;
	} t[] = {
		{ "nobody",		"nobody", NULL, NULL },
		{ "tty:tty",		"tty", "tty", NULL },
		{ "nobody.kmem",	"nobody", "kmem", NULL },
		{ "john.doe:staff",	"john.doe", "staff", NULL },
		{ "root/daemon",	"root", NULL, "daemon" },
		{ "nobody:nogroup/x",	"nobody", "nogroup", "x" },
		{ "a.b.c",		"a", "b.c", NULL },
	};
	char line[128];
	size_t i;

	for (i = 0; i < nitems(t); i++) {
		snprintf(line, sizeof(line),
		    "echo stream tcp nowait %s internal", t[i].field);
		parse(line);
		CHECK(nmsgs == 0 && count(list) == 1);
		CHECK(streq(list->se_user, t[i].user));
		CHECK(streq(list->se_group, t[i].group));
		CHECK(streq(list->se_class, t[i].class));
	}
	return 1;
}

static int
test_quotes(void)
{
	parse("sh stream tcp nowait root /bin/sh sh -c "
	    "'echo \"hi there\"' a\"b c\"d '' \"\" 'x'\"y\"z #x\n");
	CHECK(nmsgs == 0 && count(list) == 1);
	CHECK(list->se_argc == 8);
	CHECK(streq(list->se_argv[0], "sh"));
	CHECK(streq(list->se_argv[1], "-c"));
	CHECK(streq(list->se_argv[2], "echo \"hi there\""));
	CHECK(streq(list->se_argv[3], "ab cd"));
	CHECK(streq(list->se_argv[4], ""));
	CHECK(streq(list->se_argv[5], ""));
	CHECK(streq(list->se_argv[6], "xyz"));
	CHECK(streq(list->se_argv[7], "#x"));
	CHECK(list->se_argv[8] == NULL);
	return 1;
}

/* No backslash escapes: a backslash is an ordinary character. */
static int
test_backslash(void)
{
	parse("sh stream tcp nowait root /bin/sh sh -c 'a\\' b\\\n");
	CHECK(nmsgs == 0 && count(list) == 1);
	CHECK(list->se_argc == 4);
	CHECK(streq(list->se_argv[2], "a\\"));
	CHECK(streq(list->se_argv[3], "b\\"));
	return 1;
}

static int
test_comments(void)
{
	parse("# comment\n"
	    "#echo\tstream\ttcp\tnowait\troot\tinternal\n"
	    "#<off># echo stream tcp nowait root internal\n"
	    "#:INTERNAL: Internal services\n"
	    "\n"
	    "   \t \n"
	    "#\n"
	    "echo stream tcp nowait root internal\n"
	    "\t\n");
	CHECK(nmsgs == 0);
	CHECK(count(list) == 1);
	CHECK(list->se_line == 8);
	return 1;
}

static int
test_ipsec_line(void)
{
	parse("#@ ipsec ah/require\n"
	    "echo stream tcp nowait root internal\n"
	    "#@\n");
	CHECK(count(list) == 1);
	CHECK(nmsgs == 2);
	CHECK(msgs[0].priority == LOG_WARNING);
	CHECK(strcmp(msgs[0].text, "t.conf:1: IPsec policy lines are not "
	    "supported on Linux, ignored") == 0);
	CHECK(msgs[1].priority == LOG_WARNING);
	CHECK(strncmp(msgs[1].text, "t.conf:3: ", 10) == 0);
	return 1;
}

static int
test_continuation(void)
{
	parse("ftp stream tcp\n"
	    "\tnowait root /usr/libexec/ftpd\n"
	    "  ftpd\n"
	    " -l\n"
	    "echo stream tcp nowait root internal\n");
	CHECK(nmsgs == 0 && count(list) == 2);
	CHECK(list->se_line == 1);
	CHECK(streq(list->se_server, "/usr/libexec/ftpd"));
	CHECK(list->se_argc == 2);
	CHECK(streq(list->se_argv[1], "-l"));
	CHECK(nth(1)->se_line == 5);
	return 1;
}

/* Two orphan continuation lines in a row are one mistake. */
static int
test_continuation_orphans(void)
{
	parse("\tfoo\n\tbar\necho stream tcp nowait root internal\n");
	CHECK(count(list) == 1);
	CHECK(nmsgs == 1);
	CHECK(strncmp(msgs[0].text, "t.conf:1: continuation", 22) == 0);
	CHECK(list->se_line == 3);
	return 1;
}

static int
test_crlf(void)
{
	parse("echo stream tcp nowait root internal\r\n"
	    "\r\n"
	    "ftp stream tcp nowait root /usr/libexec/ftpd ftpd -l\r\n"
	    "\t-A\r\n"
	    "# comment\r\n");
	CHECK(nmsgs == 0 && count(list) == 2);
	CHECK(nth(1)->se_line == 3);
	CHECK(nth(1)->se_argc == 3);
	CHECK(streq(nth(1)->se_argv[1], "-l"));
	CHECK(streq(nth(1)->se_argv[2], "-A"));
	return 1;
}

static int
test_no_final_newline(void)
{
	parse("echo stream tcp nowait root internal\n"
	    "ftp stream tcp nowait root /usr/libexec/ftpd ftpd -l");
	CHECK(nmsgs == 0 && count(list) == 2);
	CHECK(streq(nth(1)->se_argv[1], "-l"));
	parse("echo stream tcp nowait root internal\n\t-x");
	CHECK(nmsgs == 0 && count(list) == 1);
	CHECK(list->se_argc == 1);
	parse("echo stream tcp nowait root internal\r");
	CHECK(nmsgs == 0 && count(list) == 1);
	return 1;
}

static int
test_empty_input(void)
{
	CHECK(parse_len("", 0, NULL) == NULL);
	CHECK(parse_len("\n\n\n", 3, NULL) == NULL);
	CHECK(nmsgs == 0);
	return 1;
}

static int
test_nul_byte(void)
{
	static const char text[] =
	    "# a comment with a \0 in it\n"
	    "echo stream tcp nowait root internal\0 -x\n"
	    "discard stream tcp nowait root internal\n"
	    "\0\n";

	parse_len(text, sizeof(text) - 1, NULL);
	CHECK(count(list) == 1);
	CHECK(streq(list->se_service, "discard"));
	CHECK(nmsgs == 2);
	CHECK(strcmp(msgs[0].text, "t.conf:2: line contains a NUL byte") ==
	    0);
	CHECK(msgs[0].priority == LOG_ERR);
	CHECK(strcmp(msgs[1].text, "t.conf:4: line contains a NUL byte") ==
	    0);
	return 1;
}

/* A line of n bytes: an exec'd entry whose last argument pads it. */
static void
long_line(char *buf, size_t n)
{
	static const char head[] = "x stream tcp nowait root /bin/x x ";
	size_t len = sizeof(head) - 1;

	memcpy(buf, head, len);
	memset(buf + len, 'a', n - len);
	buf[n] = '\0';
}

static int
test_long_lines(void)
{
	static char buf[2 * CONF_LINE_MAX + 64];
	size_t len;

	long_line(buf, CONF_LINE_MAX);
	parse(buf);
	CHECK(nmsgs == 0 && count(list) == 1);
	CHECK(strlen(list->se_argv[1]) > CONF_LINE_MAX - 40);

	long_line(buf, CONF_LINE_MAX + 1);
	strlcat(buf, "\necho stream tcp nowait root internal\n", sizeof(buf));
	parse(buf);
	CHECK(count(list) == 1 && list->se_line == 2);
	CHECK(nmsgs == 1);
	CHECK(strcmp(msgs[0].text,
	    "t.conf:1: line too long (more than 4096 bytes)") == 0);

	/* Continuation lines count, joined by one byte each. */
	long_line(buf, CONF_LINE_MAX / 2);
	len = strlen(buf);
	buf[len++] = '\n';
	buf[len++] = '\t';
	memset(buf + len, 'b', CONF_LINE_MAX / 2 - 1);
	len += CONF_LINE_MAX / 2 - 1;
	strlcpy(buf + len, "\necho stream tcp nowait root internal\n",
	    sizeof(buf) - len);
	parse(buf);
	CHECK(count(list) == 1 && list->se_line == 3);
	CHECK(nmsgs == 1);
	CHECK(strcmp(msgs[0].text,
	    "t.conf:1: line too long (more than 4096 bytes)") == 0);

	/* The same bytes as one 4096-byte entry still fit. */
	buf[len - 1] = '\0';
	parse(buf);
	CHECK(nmsgs == 0 && count(list) == 1);
	return 1;
}

static void
args_line(char *buf, size_t size, int nargs)
{
	int i;

	strlcpy(buf, "x stream tcp nowait root /bin/x", size);
	for (i = 0; i < nargs; i++)
		strlcat(buf, " a", size);
}

static int
test_args_limit(void)
{
	char buf[1024];

	args_line(buf, sizeof(buf), CONF_MAXARGS);
	parse(buf);
	CHECK(nmsgs == 0 && count(list) == 1);
	CHECK(list->se_argc == CONF_MAXARGS);
	CHECK(list->se_argv[CONF_MAXARGS] == NULL);

	args_line(buf, sizeof(buf), CONF_MAXARGS + 1);
	parse(buf);
	CHECK(count(list) == 0);
	CHECK(nmsgs == 1 && msgs[0].priority == LOG_ERR);
	CHECK(strcmp(msgs[0].text,
	    "t.conf:1: x/tcp: too many arguments (more than 64)") == 0);
	return 1;
}

static int
test_host_prefix(void)
{
	parse("127.0.0.1:echo stream tcp nowait root internal\n"
	    "[::1]:echo stream tcp6 nowait root internal\n"
	    "::1:8007 stream tcp6 nowait root internal echo\n"
	    "localhost:daytime stream tcp nowait root internal\n"
	    "*:time stream tcp nowait root internal\n"
	    "[fe80::1%lo]:8008 stream tcp6 nowait root internal echo\n");
	CHECK(nmsgs == 0 && count(list) == 6);
	CHECK(streq(nth(0)->se_host, "127.0.0.1"));
	CHECK(streq(nth(0)->se_service, "echo"));
	CHECK(streq(nth(1)->se_host, "::1"));
	CHECK(streq(nth(1)->se_service, "echo"));
	CHECK(streq(nth(2)->se_host, "::1"));
	CHECK(streq(nth(2)->se_service, "8007"));
	CHECK(streq(nth(3)->se_host, "localhost"));
	CHECK(nth(4)->se_host == NULL);
	CHECK(streq(nth(5)->se_host, "fe80::1%lo"));
	return 1;
}

static int
test_default_host(void)
{
	parse_defhost("echo stream tcp nowait root internal\n"
	    "127.0.0.1:discard stream tcp nowait root internal\n"
	    "*:time stream tcp nowait root internal\n"
	    "/run/x.sock stream unix nowait root internal echo\n",
	    "192.0.2.1");
	CHECK(nmsgs == 0 && count(list) == 4);
	CHECK(streq(nth(0)->se_host, "192.0.2.1"));
	CHECK(streq(nth(1)->se_host, "127.0.0.1"));
	CHECK(nth(2)->se_host == NULL);
	CHECK(nth(3)->se_host == NULL);

	parse_defhost("echo stream tcp nowait root internal\n", "*");
	CHECK(nmsgs == 0 && count(list) == 1);
	CHECK(list->se_host == NULL);
	return 1;
}

static int
test_host_lines(void)
{
	static const char text[] =
	    "echo stream tcp nowait root internal\n"
	    "127.0.0.1:\n"
	    "echo stream tcp nowait root internal\n"
	    "[::1]:\n"
	    "echo stream tcp6 nowait root internal\n"
	    "192.0.2.7:discard stream tcp nowait root internal\n"
	    "*:\n"
	    "echo stream tcp nowait root internal\n";

	parse_len(text, sizeof(text) - 1, "10.0.0.1");
	CHECK(nmsgs == 0 && count(list) == 5);
	CHECK(streq(nth(0)->se_host, "10.0.0.1"));
	CHECK(streq(nth(1)->se_host, "127.0.0.1"));
	CHECK(streq(nth(2)->se_host, "::1"));
	CHECK(streq(nth(3)->se_host, "192.0.2.7"));
	CHECK(nth(4)->se_host == NULL);
	CHECK(nth(4)->se_line == 8);

	/* A HOST: line holds for its own file only. */
	parse_len(text, strchr(text, '\n') - text + 1, "10.0.0.1");
	CHECK(count(list) == 1 && streq(list->se_host, "10.0.0.1"));
	return 1;
}

static int
test_unix_forms(void)
{
	char line[256];

	parse("/run/echo.sock stream unix nowait root internal echo\n"
	    ":daemon:nogroup:0660:/run/a:b.sock stream unix nowait nobody "
	    "/bin/cat cat\n"
	    ":::: stream unix nowait root internal echo\n"
	    "::::/run/d.sock stream unix nowait root internal echo\n"
	    ":::0:/run/e.sock stream unix nowait root internal echo\n");
	CHECK(count(list) == 4);
	CHECK(nmsgs == 1 && strstr(msgs[0].text, "t.conf:3: ::::/unix: "
	    "UNIX socket path '' must be absolute") != NULL);
	CHECK(nth(0)->se_family == AF_UNIX);
	CHECK(streq(nth(0)->se_service, "/run/echo.sock"));
	CHECK(nth(0)->se_sockmode == CONF_UNIXMODE);
	CHECK(nth(0)->se_sockuser == NULL && nth(0)->se_sockgroup == NULL);
	CHECK(nth(0)->se_host == NULL);
	CHECK(streq(nth(1)->se_service, "/run/a:b.sock"));
	CHECK(streq(nth(1)->se_sockuser, "daemon"));
	CHECK(streq(nth(1)->se_sockgroup, "nogroup"));
	CHECK(nth(1)->se_sockmode == 0660);
	CHECK(streq(nth(2)->se_service, "/run/d.sock"));
	CHECK(nth(2)->se_sockmode == CONF_UNIXMODE);
	CHECK(nth(2)->se_sockuser == NULL && nth(2)->se_sockgroup == NULL);
	CHECK(nth(3)->se_sockmode == 0);

	/* The path must fit sun_path with its NUL. */
	memset(line, 'p', sizeof(line));
	line[0] = '/';
	strlcpy(line + 107, " stream unix nowait root internal echo",
	    sizeof(line) - 107);
	parse(line);
	CHECK(nmsgs == 0 && count(list) == 1);
	CHECK(strlen(list->se_service) == 107);
	line[107] = 'p';
	strlcpy(line + 108, " stream unix nowait root internal echo",
	    sizeof(line) - 108);
	parse(line);
	CHECK(count(list) == 0 && nmsgs == 1);
	CHECK(strstr(msgs[0].text, "UNIX socket path too long (more than "
	    "107 bytes)") != NULL);
	return 1;
}

static int
test_good_and_bad_lines(void)
{
	parse("echo stream tcp nowait root internal\n"
	    "# comment\n"
	    "bogus stream tcp nowait root internal\n"
	    "discard stream tcp nowait root internal\n"
	    "x y\n"
	    "chargen stream tcp nowait root internal\n");
	CHECK(count(list) == 3);
	CHECK(streq(nth(0)->se_service, "echo") && nth(0)->se_line == 1);
	CHECK(streq(nth(1)->se_service, "discard") && nth(1)->se_line == 4);
	CHECK(streq(nth(2)->se_service, "chargen") && nth(2)->se_line == 6);
	CHECK(nmsgs == 2);
	CHECK(strncmp(msgs[0].text, "t.conf:3: bogus/tcp: ", 21) == 0);
	CHECK(strncmp(msgs[1].text, "t.conf:5: missing fields", 24) == 0);
	return 1;
}

static int
test_names(void)
{
	char buf[256];

	parse("echo stream tcp nowait root internal\n"
	    "127.0.0.1:8007 stream tcp6 nowait root internal echo\n"
	    "/run/x.sock stream unix nowait root internal echo\n");
	CHECK(count(list) == 3);
	CHECK(strcmp(servtab_name(nth(0), buf, sizeof(buf)), "echo/tcp") ==
	    0);
	CHECK(strcmp(servtab_name(nth(1), buf, sizeof(buf)), "8007/tcp6") ==
	    0);
	CHECK(strcmp(servtab_name(nth(2), buf, sizeof(buf)),
	    "/run/x.sock/unix") == 0);
	CHECK(strcmp(servtab_name(nth(0), buf, 5), "echo") == 0);
	return 1;
}

static int
test_sockaddr_str(void)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr_un sun;
	char buf[INET6_ADDRSTRLEN + 64];

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.33", &sin.sin_addr);
	CHECK(strcmp(sockaddr_str((struct sockaddr *)&sin, buf, sizeof(buf)),
	    "192.0.2.33") == 0);

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::1", &sin6.sin6_addr);
	CHECK(strcmp(sockaddr_str((struct sockaddr *)&sin6, buf,
	    sizeof(buf)), "::1") == 0);
	inet_pton(AF_INET6, "2001:db8::7", &sin6.sin6_addr);
	CHECK(strcmp(sockaddr_str((struct sockaddr *)&sin6, buf,
	    sizeof(buf)), "2001:db8::7") == 0);
	inet_pton(AF_INET6, "::ffff:1.2.3.4", &sin6.sin6_addr);
	CHECK(strcmp(sockaddr_str((struct sockaddr *)&sin6, buf,
	    sizeof(buf)), "1.2.3.4") == 0);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, "/run/x.sock", sizeof(sun.sun_path));
	CHECK(strcmp(sockaddr_str((struct sockaddr *)&sun, buf, sizeof(buf)),
	    "/run/x.sock") == 0);
	/* A full sun_path has no NUL: the text must still end. */
	memset(sun.sun_path, 'z', sizeof(sun.sun_path));
	CHECK(strlen(sockaddr_str((struct sockaddr *)&sun, buf,
	    sizeof(buf))) == sizeof(sun.sun_path));
	return 1;
}

/*
 * The place every message about an entry starts with, "FILE:LINE:
 * SERVICE/PROTO", built once (msg_where(), servtab_where()) and cut,
 * never overrun, when the buffer is short.
 */
static int
test_where(void)
{
	char buf[SVC_WHERE_MAX], small[8];

	CHECK(streq(msg_where(buf, sizeof(buf), "a.conf", 12, "echo/tcp"),
	    "a.conf:12: echo/tcp"));
	CHECK(streq(msg_where(buf, sizeof(buf), "a.conf", 3, NULL),
	    "a.conf:3"));
	CHECK(streq(msg_where(small, sizeof(small), "a.conf", 12, "x"),
	    "a.conf:"));
	parse("\n\necho stream tcp nowait root internal\n"
	    "/run/x.sock stream unix nowait root internal echo\n");
	CHECK(count(list) == 2);
	CHECK(streq(servtab_where(nth(0), buf, sizeof(buf)),
	    CONF ":3: echo/tcp"));
	CHECK(streq(servtab_where(nth(1), buf, sizeof(buf)),
	    CONF ":4: /run/x.sock/unix"));
	/* A parse error and a resolve error start the same way. */
	parse("finger stream tcp nowait root internal\n");
	CHECK(nmsgs == 1 && strncmp(msgs[0].text, CONF ":1: finger/tcp: ",
	    strlen(CONF ":1: finger/tcp: ")) == 0);
	return 1;
}

/* Only IPv4 and IPv6 addresses have a port; the clock never steps back. */
static int
test_port_and_clock(void)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr_un sun;
	long long ms;
	time_t s;
	uint64_t us;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(7);
	CHECK(sockaddr_port((struct sockaddr *)&sin) == 7);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(65535);
	CHECK(sockaddr_port((struct sockaddr *)&sin6) == 65535);
	sin6.sin6_port = 0;
	CHECK(sockaddr_port((struct sockaddr *)&sin6) == 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	CHECK(sockaddr_port((struct sockaddr *)&sun) == -1);

	s = monotonic_seconds();
	ms = monotonic_ms();
	us = monotonic_usec();
	CHECK(s > 0 && ms / 1000 >= s && us / 1000 >= (uint64_t)ms);
	CHECK(monotonic_ms() >= ms && monotonic_seconds() >= s);
	return 1;
}

/*
 * Any bytes: no crash, no read past the text (ASan), every message
 * placed at a line, every entry complete.
 */
static int
test_garbage(void)
{
	static const char *const tokens[] = {
		"echo", "stream", "dgram", "tcp", "udp6", "tcp46", "unix",
		"nowait", "wait/3/4", "nowait.5", "root", "nobody:nogroup",
		"internal", "/bin/sh", "'", "\"", " ", "\t", "\n", "\n",
		"\r", "#", "#@", ":", "[::1]:", "[", "]", "/", "\0",
		"127.0.0.1:", "*:", "8007", "0", "-", ":::0600:/x", "\\",
	};
	static char buf[4 * CONF_LINE_MAX];
	const struct servtab *sep;
	size_t len, tlen, want;
	int round, i;

	srandom(7);
	for (round = 0; round < FUZZ_ROUNDS; round++) {
		want = random() % 400;
		for (len = 0; len < want;) {
			i = random() % nitems(tokens);
			tlen = tokens[i][0] == '\0' ? 1 : strlen(tokens[i]);
			memcpy(buf + len, tokens[i], tlen);
			len += tlen;
		}
		parse_len(buf, len, round % 2 ? "::1" : NULL);
		for (i = 0; i < nmsgs && i < MAXMSGS; i++)
			CHECK(strncmp(msgs[i].text, "t.conf:", 7) == 0);
		for (sep = list; sep != NULL; sep = sep->se_next) {
			CHECK(sep->se_service != NULL && sep->se_proto != NULL);
			CHECK(sep->se_user != NULL);
			CHECK(sep->se_server != NULL || sep->se_bi != NULL);
			CHECK(sep->se_argc <= CONF_MAXARGS);
			CHECK(sep->se_argv[sep->se_argc] == NULL);
		}
	}
	/* One long run of mixed lines, past the line limit. */
	for (len = 0; len + 64 < sizeof(buf);) {
		i = random() % nitems(tokens);
		tlen = tokens[i][0] == '\0' ? 1 : strlen(tokens[i]);
		memcpy(buf + len, tokens[i], tlen);
		len += tlen;
	}
	parse_len(buf, len, NULL);
	return 1;
}

/* Every prefix of a real file parses without reading past its end. */
static int
test_truncations(void)
{
	static const char text[] =
	    "#@ ipsec\n"
	    "ftp\tstream\ttcp\tnowait/3/10\troot\t/usr/libexec/ftpd\t"
	    "ftpd -l\r\n"
	    "\t-A 'quoted arg' \"other\"\n"
	    "[::1]:\n"
	    "comsat dgram udp6 wait tty:tty/class /usr/libexec/comsat\n"
	    ":root:root:0600:/run/x.sock stream unix nowait root internal "
	    "echo\n"
	    "127.0.0.1:8007 stream tcp nowait.7 root internal echo";
	size_t len;

	for (len = 0; len <= sizeof(text) - 1; len++)
		parse_len(text, len, NULL);
	CHECK(count(list) == 4);
	return 1;
}

/*
 * Look-ups.
 */
static struct servtab *
parse_one(const char *line)
{
	parse(expand(line));
	return nmsgs == 0 && count(list) == 1 ? list : NULL;
}

static const struct resolve_error {
	const char	*name;
	const char	*line;		/* "@": the test's directory */
	uid_t		 euid;
	const char	*want;		/* the message starts so */
} resolve_errors[] = {
	{ "unknown_service_tcp", "nosuchsvc stream tcp nowait root internal "
	  "echo", 0, "t.conf:1: nosuchsvc/tcp: unknown service 'nosuchsvc' "
	  "for tcp: not in /etc/services" },
	{ "unknown_service_udp", "nosuchsvc dgram udp6 wait root internal "
	  "echo", 0, "t.conf:1: nosuchsvc/udp6: unknown service 'nosuchsvc' "
	  "for udp: not in /etc/services" },
	{ "v4_address_for_tcp6", "127.0.0.1:8007 stream tcp6 nowait root "
	  "internal echo", 0, "t.conf:1: 8007/tcp6: cannot use address "
	  "'127.0.0.1' for tcp6: " },
	{ "v6_address_for_tcp", "[::1]:8007 stream tcp nowait root internal "
	  "echo", 0, "t.conf:1: 8007/tcp: cannot use address '::1' for "
	  "tcp: " },
	{ "v6_address_for_udp4", "[::1]:8007 dgram udp4 wait root internal "
	  "echo", 0, "t.conf:1: 8007/udp4: cannot use address '::1' for "
	  "udp4: " },
	{ "unknown_user", "8007 stream tcp nowait nosuchuser internal echo",
	  0, "t.conf:1: 8007/tcp: unknown user 'nosuchuser'" },
	{ "unknown_group", "8007 stream tcp nowait nobody:nosuchgroup "
	  "internal echo", 0,
	  "t.conf:1: 8007/tcp: unknown group 'nosuchgroup'" },
	{ "unknown_group_dot", "8007 stream tcp nowait nobody.nosuchgroup "
	  "internal echo", 0,
	  "t.conf:1: 8007/tcp: unknown group 'nosuchgroup'" },
	{ "nonroot_other_user", "8007 stream tcp nowait root internal echo",
	  NOBODY, "t.conf:1: 8007/tcp: cannot run as user 'root': inetd is "
	  "not running as root" },
	{ "nonroot_other_group", "8007 stream tcp nowait nobody:daemon "
	  "internal echo", NOBODY, "t.conf:1: 8007/tcp: cannot run as group "
	  "'daemon': inetd is not running as root" },
	{ "program_directory", "8007 stream tcp nowait root @ x", 0,
	  "t.conf:1: 8007/tcp: program @ is not a regular file" },
	{ "program_not_executable", "8007 stream tcp nowait root @/noexec",
	  0, "t.conf:1: 8007/tcp: program @/noexec is not executable" },
	{ "socket_owner_unknown", ":nosuchuser:::@/s.sock stream unix "
	  "nowait root internal echo", 0, "t.conf:1: @/s.sock/unix: unknown "
	  "socket owner 'nosuchuser'" },
	{ "socket_group_unknown", "::nosuchgroup::@/s.sock stream unix "
	  "nowait root internal echo", 0, "t.conf:1: @/s.sock/unix: unknown "
	  "socket group 'nosuchgroup'" },
	{ "nonroot_socket_owner", ":daemon:::@/s.sock stream unix nowait "
	  "nobody internal echo", NOBODY, "t.conf:1: @/s.sock/unix: cannot "
	  "give the socket to user 'daemon': inetd is not running as root" },
};

static int
check_resolve_error(const struct resolve_error *t)
{
	char want[512];

	strlcpy(want, expand(t->want), sizeof(want));
	CHECK(parse_one(t->line) != NULL);
	CHECK(config_resolve(list, t->euid, capture) == -1);
	CHECK(nmsgs == 1);
	CHECK(msgs[0].priority == LOG_ERR);
	CHECK(strncmp(msgs[0].text, want, strlen(want)) == 0);
	return 1;
}

static void
test_resolve_errors(void)
{
	char name[128];
	size_t i;

	for (i = 0; i < nitems(resolve_errors); i++) {
		snprintf(name, sizeof(name), "resolve_%s",
		    resolve_errors[i].name);
		result(name, check_resolve_error(&resolve_errors[i]));
	}
}

static int
check_inet(const struct servtab *sep, int family, const char *addr,
    int port)
{
	char buf[INET6_ADDRSTRLEN];
	const struct sockaddr_in *sin = &sep->se_ctrladdr.sin;
	const struct sockaddr_in6 *sin6 = &sep->se_ctrladdr.sin6;

	CHECK(sep->se_ctrladdr.sa.sa_family == family);
	if (family == AF_INET) {
		CHECK(sep->se_ctrladdr_size == sizeof(*sin));
		CHECK(ntohs(sin->sin_port) == port);
	} else {
		CHECK(sep->se_ctrladdr_size == sizeof(*sin6));
		CHECK(ntohs(sin6->sin6_port) == port);
	}
	CHECK(strcmp(sockaddr_str(&sep->se_ctrladdr.sa, buf, sizeof(buf)),
	    addr) == 0);
	return 1;
}

static int
test_resolve_addresses(void)
{
	static const struct {
		const char	*line;
		int		 family;
		const char	*addr;
		int		 port;
	} t[] = {
		{ "echo stream tcp nowait root internal",
		  AF_INET, "0.0.0.0", 7 },
		{ "echo dgram udp wait root internal",
		  AF_INET, "0.0.0.0", 7 },
		{ "discard stream tcp6 nowait root internal",
		  AF_INET6, "::", 9 },
		{ "127.0.0.1:8007 stream tcp nowait root internal echo",
		  AF_INET, "127.0.0.1", 8007 },
		{ "[::1]:8007 stream tcp6 nowait root internal echo",
		  AF_INET6, "::1", 8007 },
		{ "[::1]:8007 dgram udp46 wait root internal echo",
		  AF_INET6, "::1", 8007 },
		{ "*:8007 stream tcp46 nowait root internal echo",
		  AF_INET6, "::", 8007 },
		{ "127.0.0.1:65535 stream tcp46 nowait root internal echo",
		  AF_INET6, "127.0.0.1", 65535 },
	};
	size_t i;

	for (i = 0; i < nitems(t); i++) {
		CHECK(parse_one(t[i].line) != NULL);
		CHECK(config_resolve(list, 0, capture) == 0);
		CHECK(nmsgs == 0);
		if (!check_inet(list, t[i].family, t[i].addr, t[i].port))
			return 0;
	}
	/* tcp46 keeps an IPv4 address in its mapped form. */
	CHECK(IN6_IS_ADDR_V4MAPPED(&list->se_ctrladdr.sin6.sin6_addr));
	/* A name, looked up by the look-up process, and its port set. */
	CHECK(parse_one("localhost:8007 stream tcp nowait root internal "
	    "echo") != NULL);
	CHECK(config_resolve(list, 0, capture) == 0);
	if (!check_inet(list, AF_INET, "127.0.0.1", 8007))
		return 0;
	/* A forward target's name and service name, the same way. */
	CHECK(parse_one("127.0.0.1:8009 stream tcp nowait root internal "
	    "forward localhost:echo") != NULL);
	CHECK(config_resolve(list, 0, capture) == 0);
	CHECK(parse_one("127.0.0.1:8009 stream tcp nowait root internal "
	    "forward localhost:no-such-service") != NULL);
	CHECK(config_resolve(list, 0, capture) == -1);
	CHECK(nmsgs == 1 && strstr(msgs[0].text, "cannot resolve forward "
	    "target localhost port no-such-service: ") != NULL);
	return 1;
}

static int
test_resolve_default_host(void)
{
	parse_defhost("8007 stream tcp nowait root internal echo\n",
	    "127.0.0.1");
	CHECK(count(list) == 1);
	CHECK(config_resolve(list, 0, capture) == 0);
	return check_inet(list, AF_INET, "127.0.0.1", 8007);
}

static int
test_resolve_users(void)
{
	const struct servtab *sep;
	int i, found;

	CHECK((sep = parse_one("echo stream tcp nowait root internal")));
	CHECK(config_resolve(list, 0, capture) == 0);
	CHECK(sep->se_uid == 0 && sep->se_gid == 0);
	CHECK(sep->se_ngroups >= 1 && sep->se_groups[0] == 0);

	CHECK((sep = parse_one("echo stream tcp nowait nobody internal")));
	CHECK(config_resolve(list, 0, capture) == 0);
	CHECK(sep->se_uid == NOBODY && sep->se_gid == NOBODY);

	CHECK((sep = parse_one("echo stream tcp nowait daemon.nogroup "
	    "internal")));
	CHECK(config_resolve(list, 0, capture) == 0);
	CHECK(sep->se_uid == 1 && sep->se_gid == NOBODY);
	for (i = found = 0; i < sep->se_ngroups; i++)
		found |= sep->se_groups[i] == NOBODY;
	CHECK(found);

	CHECK((sep = parse_one("echo stream tcp nowait root:12345 "
	    "internal")));
	CHECK(config_resolve(list, 0, capture) == 0);
	CHECK(sep->se_uid == 0 && sep->se_gid == 12345);

	/* Not root: an entry for inetd's own user runs as it is. */
	CHECK((sep = parse_one("echo stream tcp nowait nobody internal")));
	CHECK(config_resolve(list, NOBODY, capture) == 0);
	CHECK(sep->se_uid == NOBODY);
	CHECK(nmsgs == 0);
	return 1;
}

static int
test_resolve_class(void)
{
	CHECK(parse_one("echo stream tcp nowait root/staff internal"));
	CHECK(config_resolve(list, 0, capture) == 0);
	CHECK(nmsgs == 1);
	CHECK(msgs[0].priority == LOG_DEBUG);
	CHECK(strcmp(msgs[0].text, "t.conf:1: echo/tcp: login class staff "
	    "ignored on Linux") == 0);
	return 1;
}

static int
test_resolve_many_groups(void)
{
	int rc;

	CHECK(parse_one("echo stream tcp nowait daemon internal"));
	setenv(FAKE_MANY_GROUPS, "1", 1);
	rc = config_resolve(list, 0, capture);
	unsetenv(FAKE_MANY_GROUPS);
	CHECK(rc == -1);
	CHECK(nmsgs == 1 && msgs[0].priority == LOG_ERR);
	CHECK(strcmp(msgs[0].text, "t.conf:1: echo/tcp: user daemon is in "
	    "more than 256 groups") == 0);
	return 1;
}

static int
test_resolve_program(void)
{
	const struct servtab *sep;

	CHECK((sep = parse_one("8007 stream tcp nowait nobody @/prog")));
	CHECK(config_resolve(list, 0, capture) == 0);
	CHECK(sep->se_argc == 1 && streq(sep->se_argv[0], "prog"));
	CHECK(!sep->se_program_missing);
	/* Not installed (yet): a warning, and the entry waits for it. */
	CHECK((sep = parse_one("8007 stream tcp nowait root @/missing")));
	CHECK(config_resolve(list, 0, capture) == 0);
	CHECK(nmsgs == 1 && msgs[0].priority == LOG_WARNING);
	CHECK(strcmp(msgs[0].text, expand("t.conf:1: 8007/tcp: program "
	    "@/missing is not installed: not served until it is")) == 0);
	CHECK(sep->se_program_missing);
	return 1;
}

/*
 * Plain tcp and udp on the wildcard address are dual-stack, unless an
 * IPv6 entry has the same port and socket type; a bind address given
 * keeps its family.
 */
static int
test_dual_stack(void)
{
	static const struct {
		int		 family;
		const char	*addr;
		int		 port;
	} want[] = {
		{ AF_INET6, "::", 8007 },
		{ AF_INET, "0.0.0.0", 8008 },	/* paired with the next */
		{ AF_INET6, "::", 8008 },
		{ AF_INET6, "::", 8008 },	/* udp: tcp6 is a stream */
		{ AF_INET, "127.0.0.1", 8009 },
		{ AF_INET, "0.0.0.0", 8010 },	/* paired with udp46 */
		{ AF_INET6, "::1", 8010 },
		{ AF_INET, "0.0.0.0", 8011 },	/* tcp4 */
	};
	const struct servtab *sep;
	size_t i;
	int fd;

	if ((fd = socket(AF_INET6, SOCK_DGRAM, 0)) == -1)
		return 1;	/* no IPv6: all stay IPv4 */
	close(fd);
	parse("8007 stream tcp nowait root internal echo\n"
	    "8008 stream tcp nowait root internal echo\n"
	    "8008 stream tcp6 nowait root internal echo\n"
	    "8008 dgram udp wait root internal echo\n"
	    "127.0.0.1:8009 stream tcp nowait root internal echo\n"
	    "*:8010 dgram udp wait root internal echo\n"
	    "[::1]:8010 dgram udp46 wait root internal echo\n"
	    "8011 stream tcp4 nowait root internal echo\n");
	CHECK(count(list) == (int)nitems(want));
	list = config_resolve_all(list, 0, capture);
	CHECK(nmsgs == 0 && count(list) == (int)nitems(want));
	for (i = 0; i < nitems(want); i++) {
		sep = nth(i);
		if (!check_inet(sep, want[i].family, want[i].addr,
		    want[i].port))
			return 0;
		CHECK(sep->se_family == want[i].family);
		if (sep->se_plain_inet && want[i].family == AF_INET6)
			CHECK(!sep->se_v6only);
	}
	return 1;
}

static int
test_resolve_unix(void)
{
	const struct servtab *sep;
	char path[sizeof(sep->se_ctrladdr.sun.sun_path)];

	strlcpy(path, expand("@/s.sock"), sizeof(path));
	CHECK((sep = parse_one("@/s.sock stream unix nowait root internal "
	    "echo")));
	CHECK(config_resolve(list, 0, capture) == 0);
	CHECK(sep->se_ctrladdr.sun.sun_family == AF_UNIX);
	CHECK(strcmp(sep->se_ctrladdr.sun.sun_path, path) == 0);
	CHECK(sep->se_ctrladdr_size == offsetof(struct sockaddr_un,
	    sun_path) + strlen(path) + 1);
	CHECK(sep->se_sockuid == 0 && sep->se_sockgid == getegid());
	CHECK(sep->se_sockmode == CONF_UNIXMODE);

	CHECK((sep = parse_one(":daemon:nogroup:0666:@/s.sock stream unix "
	    "nowait root internal echo")));
	CHECK(config_resolve(list, 0, capture) == 0);
	CHECK(sep->se_sockuid == 1 && sep->se_sockgid == NOBODY);
	CHECK(sep->se_sockmode == 0666);

	CHECK((sep = parse_one("::4242::@/s.sock stream unix nowait root "
	    "internal echo")));
	CHECK(config_resolve(list, 0, capture) == 0);
	CHECK(sep->se_sockgid == 4242);

	/* Not root: the socket belongs to inetd's own user. */
	CHECK((sep = parse_one("@/s.sock stream unix nowait nobody internal "
	    "echo")));
	CHECK(config_resolve(list, NOBODY, capture) == 0);
	CHECK(sep->se_sockuid == NOBODY);
	return 1;
}

static int
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *fp;

	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	fputs(text, fp);
	if (fclose(fp) == EOF || chmod(path, mode) == -1)
		return -1;
	return 0;
}

static int
test_load(void)
{
	char path[512], text[1024];
	int error = -1;

	snprintf(path, sizeof(path), "%s/inetd.conf", tmpdir);
	snprintf(text, sizeof(text),
	    "8007 stream tcp nowait root internal echo\n"
	    "8008 stream tcp nowait nosuchuser internal echo\n"
	    "8009 stream tcp nowait nobody %s/prog prog -x\n"
	    "8010 stream tcp nowait root bogus\n"
	    "8011 dgram udp wait root internal daytime\n", tmpdir);
	CHECK(write_file(path, text, 0644) == 0);
	list = config_load(path, "127.0.0.1", 0, capture, &error);
	CHECK(error == 0);
	CHECK(count(list) == 3);
	CHECK(streq(nth(0)->se_service, "8007"));
	CHECK(streq(nth(1)->se_service, "8009"));
	CHECK(streq(nth(2)->se_service, "8011"));
	CHECK(streq(nth(2)->se_file, path));
	CHECK(nth(2)->se_line == 5);
	if (!check_inet(nth(2), AF_INET, "127.0.0.1", 8011))
		return 0;
	CHECK(nmsgs == 2);
	CHECK(strstr(msgs[0].text, ":4: 8010/tcp: program 'bogus'"));
	CHECK(strstr(msgs[1].text, ":2: 8008/tcp: unknown user"));
	return 1;
}

/*
 * A look-up process that dies fails its entry only; one that hangs fails
 * the rest of the load too, which would wait as long.
 */
static int
load_lookups(const char *first_user)
{
	char path[512], text[512];
	int error = -1;

	snprintf(path, sizeof(path), "%s/lookups.conf", tmpdir);
	snprintf(text, sizeof(text),
	    "8007 stream tcp nowait %s internal echo\n"
	    "8008 stream tcp nowait nobody internal echo\n", first_user);
	CHECK(write_file(path, text, 0644) == 0);
	list = config_load(path, "127.0.0.1", 0, capture, &error);
	CHECK(error == 0);
	return 1;
}

static int
test_resolve_lookup_dies(void)
{
	CHECK(load_lookups("lookup-dies"));
	CHECK(count(list) == 1 && nth(0)->se_uid == NOBODY);
	CHECK(nmsgs == 1 && msgs[0].priority == LOG_ERR);
	CHECK(strstr(msgs[0].text, ":1: 8007/tcp: user 'lookup-dies' not "
	    "looked up: the look-up process died (nsswitch.conf)") != NULL);
	return 1;
}

static int
test_resolve_lookup_hangs(void)
{
	int loaded;

	lookup_seconds = 1;
	loaded = load_lookups("lookup-hangs");
	lookup_seconds = 30;
	CHECK(loaded);
	CHECK(count(list) == 0);
	CHECK(nmsgs == 2);
	CHECK(strstr(msgs[0].text, ":1: 8007/tcp: user 'lookup-hangs' not "
	    "looked up: no answer in 1 s (nsswitch.conf)") != NULL);
	CHECK(strstr(msgs[1].text, ":2: 8008/tcp: user 'nobody' not "
	    "looked up: no answer in 1 s (nsswitch.conf)") != NULL);
	return 1;
}

/*
 * What the look-up process writes is checked: a bad answer fails the
 * look-up it answers, and the strings of the questions in the memory
 * file are never read back.
 */
static int
load_corrupt(const char *mode)
{
	char path[512];
	int error = -1;

	snprintf(path, sizeof(path), "%s/corrupt.conf", tmpdir);
	CHECK(write_file(path,
	    "8007 stream tcp nowait lookup-corrupts internal echo\n"
	    "localhost:8008 stream tcp nowait nobody internal echo\n",
	    0644) == 0);
	setenv(CORRUPT_MODE, mode, 1);
	config_free(list);
	nmsgs = 0;
	list = config_load(path, NULL, 0, capture, &error);
	unsetenv(CORRUPT_MODE);
	unlink(path);
	CHECK(error == 0);
	return 1;
}

#define BAD_ANSWER	"not looked up: the look-up process gave a bad answer"

static int
test_lookup_bad_answers(void)
{
	static const char *const bad_groups[] = {
		"ngroups-negative", "ngroups-big", "group-id"
	};
	static const char *const bad_address[] = {
		"addrlen", "family", "gai-error"
	};
	size_t i;

	for (i = 0; i < nitems(bad_groups); i++) {
		CHECK(load_corrupt(bad_groups[i]));
		CHECK(count(list) == 0 && nmsgs == 2);
		CHECK(strstr(msgs[0].text, ":1: 8007/tcp: user "
		    "'lookup-corrupts' " BAD_ANSWER) != NULL);
		CHECK(strstr(msgs[1].text, ":2: 8008/tcp: user 'nobody' "
		    BAD_ANSWER) != NULL);
	}
	for (i = 0; i < nitems(bad_address); i++) {
		CHECK(load_corrupt(bad_address[i]));
		CHECK(count(list) == 1 && nth(0)->se_uid == 0);
		CHECK(nmsgs == 1);
		CHECK(strstr(msgs[0].text, ":2: 8008/tcp: cannot use address "
		    "'localhost' for tcp: " BAD_ANSWER) != NULL);
	}
	CHECK(load_corrupt("status"));
	CHECK(count(list) == 0 && nmsgs == 2);
	CHECK(strstr(msgs[0].text, BAD_ANSWER) != NULL);
	CHECK(strstr(msgs[1].text, BAD_ANSWER) != NULL);
	/* Answers good, questions overwritten: the daemon's own are used. */
	CHECK(load_corrupt("strings"));
	CHECK(nmsgs == 0 && count(list) == 2);
	return check_inet(nth(1), AF_INET, "127.0.0.1", 8008);
}

static int
test_load_failures(void)
{
	char path[512];
	int error, fd;

	snprintf(path, sizeof(path), "%s/missing.conf", tmpdir);
	error = 0;
	CHECK(config_load(path, NULL, 0, capture, &error) == NULL);
	CHECK(error == ENOENT);

	error = 0;
	CHECK(config_load(tmpdir, NULL, 0, capture, &error) == NULL);
	CHECK(error == EISDIR);

	snprintf(path, sizeof(path), "%s/empty.conf", tmpdir);
	CHECK(write_file(path, "", 0644) == 0);
	error = -1;
	CHECK(config_load(path, NULL, 0, capture, &error) == NULL);
	CHECK(error == 0);

	/* A sparse file: large, but nothing is written or read. */
	snprintf(path, sizeof(path), "%s/huge.conf", tmpdir);
	CHECK((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) != -1);
	CHECK(ftruncate(fd, 64 * 1024 * 1024 + 1) == 0);
	close(fd);
	error = 0;
	CHECK(config_load(path, NULL, 0, capture, &error) == NULL);
	CHECK(error == EFBIG);
	unlink(path);
	CHECK(nmsgs == 0);
	return 1;
}

/*
 * include: the files of these tests live in tmpdir/inc, made by
 * inc_write() and removed, in reverse order, by inc_cleanup().
 */
#define INC_MAXFILES	24

static char	 inc_made[INC_MAXFILES][512];
static int	 inc_nmade;

/* Two buffers in turn: a message names two files. */
static const char *
inc_path(const char *name)
{
	static char path[2][400];
	static int turn;

	turn = !turn;
	snprintf(path[turn], sizeof(path[turn]), "%s/inc/%s", tmpdir, name);
	return path[turn];
}

/* A file, or a directory when text is NULL. */
static int
inc_write(const char *name, const char *text)
{
	const char *path = inc_path(name);

	if (inc_nmade == INC_MAXFILES)
		return -1;
	if (text == NULL ? mkdir(path, 0755) : write_file(path, text, 0644))
		return -1;
	strlcpy(inc_made[inc_nmade++], path, sizeof(inc_made[0]));
	return 0;
}

static void
inc_cleanup(void)
{
	while (inc_nmade > 0) {
		inc_nmade--;
		if (unlink(inc_made[inc_nmade]) == -1)
			rmdir(inc_made[inc_nmade]);
	}
	config_set_includedir(NULL);
}

static struct servtab *
inc_load(const char *name)
{
	int error = -1;

	nmsgs = 0;
	config_free(list);
	list = config_load(inc_path(name), NULL, 0, capture, &error);
	return error == 0 ? list : NULL;
}

static int
has_msg(const char *text)
{
	int i;

	for (i = 0; i < nmsgs && i < MAXMSGS; i++)
		if (strstr(msgs[i].text, text) != NULL)
			return 1;
	return 0;
}

/* NetBSD's positional extensions: buffers, accept-max and filter, :max. */
static int
test_netbsd_positional(void)
{
	parse("127.0.0.1:8013 stream tcp,rcvbuf=64k,sndbuf=1m nowait root "
	    "internal daytime\n"
	    "echo stream,4:dataready tcp nowait:10 root internal\n"
	    "echo stream:httpready tcp6,sndbuf=3K wait.7 root internal\n"
	    "echo dgram udp,rcvbuf=16384 wait:5 root internal\n");
	CHECK(nmsgs == 0 && count(list) == 4);
	CHECK(streq(nth(0)->se_proto, "tcp"));
	CHECK(nth(0)->se_rcvbuf == 64 * 1024);
	CHECK(nth(0)->se_sndbuf == 1024 * 1024);
	CHECK(nth(0)->se_deferaccept == 0);
	CHECK(nth(1)->se_socktype == SOCK_STREAM);
	CHECK(nth(1)->se_maxchild == 4);
	CHECK(nth(1)->se_deferaccept == 1);
	CHECK(nth(1)->se_maxrate == 10 && nth(1)->se_wait == 0);
	CHECK(nth(2)->se_deferaccept == 1 && nth(2)->se_maxchild ==
	    CONF_DEFAULT);
	CHECK(nth(2)->se_maxrate == 7 && nth(2)->se_wait == 1);
	CHECK(nth(2)->se_sndbuf == 3072);
	return 1;
}

static int
test_netbsd_sizes(void)
{
	parse("echo stream tcp,sndbuf=1k,rcvbuf=2M nowait root internal\n"
	    "echo stream tcp,sndbuf=1g,rcvbuf=1 nowait root internal\n");
	CHECK(nmsgs == 0 && count(list) == 2);
	CHECK(nth(0)->se_sndbuf == 1024 && nth(0)->se_rcvbuf == 2097152);
	CHECK(nth(1)->se_sndbuf == 1073741824 && nth(1)->se_rcvbuf == 1);
	return 1;
}

/* The issue's line, and what it means: the positional entry's fields. */
static int
test_kv_entry(void)
{
	const struct servtab *kv, *pos;

	parse("127.0.0.1:echo on socktype = stream, protocol = tcp, "
	    "wait = no, user = root;\n"
	    "127.0.0.1:echo stream tcp nowait root internal\n");
	CHECK(nmsgs == 0 && count(list) == 2);
	kv = nth(0);
	pos = nth(1);
	CHECK(kv->se_line == 1 && pos->se_line == 2);
	CHECK(streq(kv->se_host, "127.0.0.1") && streq(kv->se_service,
	    "echo"));
	CHECK(streq(kv->se_proto, pos->se_proto));
	CHECK(kv->se_socktype == pos->se_socktype);
	CHECK(kv->se_family == AF_INET && kv->se_v6only == 0);
	CHECK(kv->se_wait == pos->se_wait);
	CHECK(streq(kv->se_user, "root") && kv->se_group == NULL);
	CHECK(kv->se_bi == pos->se_bi && kv->se_bi != NULL);
	CHECK(kv->se_server == NULL && kv->se_argc == 0);
	CHECK(kv->se_off == 0 && kv->se_opts == NULL);
	return 1;
}

/* Lines, comments, several definitions and a positional one on a line. */
static int
test_kv_layout(void)
{
	parse("# before\n"
	    "8014 on   # a comment; with a ';' in it\n"
	    "protocol = tcp,\n"
	    "\n"
	    "        # a whole line of comment, wait = yes;\n"
	    "  user = nobody, group = nogroup,   exec = /bin/cat,\n"
	    "args = cat '#not a comment' \"x;y\", wait = no; 8015 on "
	    "protocol = udp6, user = root, args = echo; 8016 stream tcp "
	    "nowait root internal echo\n"
	    "\tx\n"
	    "::1:8017 off protocol=tcp6,user=root,args=echo;\n");
	CHECK(nmsgs == 0 && count(list) == 4);
	CHECK(nth(0)->se_line == 2 && streq(nth(0)->se_service, "8014"));
	CHECK(streq(nth(0)->se_user, "nobody"));
	CHECK(streq(nth(0)->se_group, "nogroup"));
	CHECK(streq(nth(0)->se_server, "/bin/cat") && nth(0)->se_wait == 0);
	CHECK(nth(0)->se_argc == 3);
	CHECK(streq(nth(0)->se_argv[1], "#not a comment"));
	CHECK(streq(nth(0)->se_argv[2], "x;y"));
	/* NetBSD's defaults: socktype from protocol; internal dgram waits. */
	CHECK(nth(1)->se_line == 7 && nth(1)->se_socktype == SOCK_DGRAM);
	CHECK(nth(1)->se_family == AF_INET6 && nth(1)->se_wait == 1);
	CHECK(nth(1)->se_bi != NULL);
	/* The positional entry after them takes its continuation line. */
	CHECK(nth(2)->se_line == 7 && streq(nth(2)->se_service, "8016"));
	CHECK(nth(2)->se_argc == 2 && streq(nth(2)->se_argv[1], "x"));
	CHECK(nth(3)->se_line == 9 && nth(3)->se_off == 1);
	CHECK(streq(nth(3)->se_host, "::1"));
	return 1;
}

static int
test_kv_escapes(void)
{
	parse("x on protocol = tcp, user = root, wait = no, exec = /bin/echo,"
	    " args = echo \"a\\tb\\nc\\rd\" 'e\\\\f' \"\\'\\\"\" '\\x41\\x7e' "
	    "un'quo'ted a\\b \"\";\n");
	CHECK(nmsgs == 0 && count(list) == 1);
	CHECK(list->se_argc == 8);
	CHECK(streq(list->se_argv[1], "a\tb\nc\rd"));
	CHECK(streq(list->se_argv[2], "e\\f"));
	CHECK(streq(list->se_argv[3], "'\""));
	CHECK(streq(list->se_argv[4], "A~"));
	CHECK(streq(list->se_argv[5], "unquoted"));
	CHECK(streq(list->se_argv[6], "a\\b"));	/* no escapes unquoted */
	CHECK(streq(list->se_argv[7], ""));
	return 1;
}

static int
test_kv_keys(void)
{
	parse("9000 on bind = ::1, protocol = tcp6, user = root:wheel,\n"
	    "  sndbuf = 8k, recvbuf = 1m, acceptfilter = dataready,\n"
	    "  service_max = 20, ip_max = 3, max_child_per_ip = 2,\n"
	    "  accept_max = 5, wait = no, exec = internal, args = echo;\n"
	    "9001 on bind = 127.0.0.2, protocol = udp, user = root,\n"
	    "  max_child = 7, max_conn_per_ip_per_minute = 9,\n"
	    "  exec = internal, args = echo;\n"
	    "9002 on bind = *, protocol = tcp, user = root, args = echo;\n"
	    "9003 on bind = [::1], protocol = tcp6, user = root, args = echo;\n");
	CHECK(nmsgs == 0 && count(list) == 4);
	CHECK(streq(nth(3)->se_host, "::1"));
	CHECK(streq(nth(0)->se_host, "::1") && nth(0)->se_family == AF_INET6);
	CHECK(streq(nth(0)->se_user, "root:wheel") || (streq(nth(0)->se_user,
	    "root") && streq(nth(0)->se_group, "wheel")));
	CHECK(nth(0)->se_sndbuf == 8192 && nth(0)->se_rcvbuf == 1048576);
	CHECK(nth(0)->se_deferaccept == 1);
	CHECK(nth(0)->se_maxrate == 20 && nth(0)->se_maxcpm == 3);
	CHECK(nth(0)->se_maxperip == 2 && nth(0)->se_maxchild == 5);
	CHECK(streq(nth(1)->se_host, "127.0.0.2"));
	/* Plain udp means IPv4, as in a positional line. */
	CHECK(nth(1)->se_family == AF_INET && nth(1)->se_wait == 1);
	CHECK(nth(1)->se_maxchild == 7 && nth(1)->se_maxcpm == 9);
	CHECK(nth(2)->se_host == NULL && nth(2)->se_wait == 0);
	return 1;
}

/* The access, environment and binding keys, as options.h keeps them. */
static int
test_acl_keys(void)
{
	const struct svc_options *o;

	parse("9000 on protocol = tcp, user = root, wait = no,\n"
	    "  exec = /bin/cat,\n"
	    "  only_from = 127.0.0.1 \"10.{1,2}\", no_access = ::1,\n"
	    "  env = A=1 'B=two words', passenv = HOME, env = C=,\n"
	    "  bind_device = lo, freebind = yes;\n"
	    "9001 on protocol = tcp, user = root, wait = no, exec = /bin/cat,\n"
	    "  passenv = , freebind = no;\n"
	    "9002 on protocol = tcp, user = root, wait = no,\n"
	    "  exec = /bin/cat;\n");
	CHECK(nmsgs == 0 && count(list) == 3);
	CHECK((o = nth(0)->se_opts) != NULL && o->so_access != NULL);
	CHECK(o->so_nenv == 3 && streq(o->so_env[1], "B=two words") &&
	    streq(o->so_env[2], "C="));
	CHECK(o->so_npassenv == 1 && streq(o->so_passenv[0], "HOME") &&
	    o->so_passenv_given);
	CHECK(streq(o->so_bind_device, "lo") && o->so_freebind == 1);
	CHECK(options_env_named(o, "B=x", 1) && !options_env_named(o, "D", 1));
	CHECK((o = nth(1)->se_opts) != NULL && o->so_access == NULL);
	CHECK(o->so_passenv_given && o->so_npassenv == 0 && !o->so_freebind);
	CHECK(nth(2)->se_opts == NULL);
	return 1;
}

/* A key-values definition takes the -a address and "HOST:" lines too. */
static int
test_kv_default_host(void)
{
	parse_defhost("echo on protocol = tcp, user = root;\n"
	    "127.0.0.3:\n"
	    "echo on protocol = tcp, user = root;\n", "127.0.0.2");
	CHECK(nmsgs == 0 && count(list) == 2);
	CHECK(streq(nth(0)->se_host, "127.0.0.2"));
	CHECK(streq(nth(1)->se_host, "127.0.0.3"));
	return 1;
}

/* Bad definitions are dropped alone; every bad key is reported. */
static int
test_kv_errors(void)
{
	parse("echo on protocol = tcp, user = root,\n"
	    "  sndbuf = 1x,\n"
	    "  colour = red,\n"
	    "  ipsec = 'in ipsec esp/transport//require';\n"
	    "echo on protocol = tcp, user = root;\n"
	    "b off protocol = tcp; echo stream tcp nowait root internal\n");
	CHECK(count(list) == 2);
	CHECK(nmsgs == 4);
	CHECK(strncmp(msgs[0].text, "t.conf:2: echo/tcp: bad sndbuf", 30) ==
	    0);
	CHECK(streq(msgs[1].text, "t.conf:3: echo/tcp: unknown key "
	    "'colour'"));
	CHECK(streq(msgs[2].text, "t.conf:4: echo/tcp: ipsec: not supported "
	    "on Linux"));
	CHECK(streq(msgs[3].text, "t.conf:6: b: missing key user"));
	return 1;
}

/* An "off" entry is parsed and resolved, then left out of the load. */
static int
test_kv_off_resolved(void)
{
	parse("echo off protocol = tcp, user = no-such-user-here;\n"
	    "127.0.0.1:echo off protocol = tcp, user = root;\n");
	CHECK(nmsgs == 0 && count(list) == 2);
	list = config_resolve_all(list, 0, capture);
	CHECK(list == NULL);
	CHECK(nmsgs == 2);
	CHECK(streq(msgs[0].text, "t.conf:1: echo/tcp: unknown user "
	    "'no-such-user-here'"));
	CHECK(msgs[1].priority == LOG_DEBUG);
	CHECK(streq(msgs[1].text, "t.conf:2: echo/tcp: off: "
	    "checked, not loaded"));
	return 1;
}

/* The 4096 bytes of a definition do not count its comments. */
static int
test_kv_long(void)
{
	static char text[3 * CONF_LINE_MAX];
	size_t n = 0;
	int i;

	n += snprintf(text + n, sizeof(text) - n, "echo on protocol = tcp,\n");
	for (i = 0; i < 100; i++)
		n += snprintf(text + n, sizeof(text) - n, "  # %060d\n", i);
	n += snprintf(text + n, sizeof(text) - n, "  user = root;\n"
	    "daytime on protocol = tcp, user = root, args = ");
	for (i = 0; i < 60; i++)
		n += snprintf(text + n, sizeof(text) - n, "%070d ", i);
	snprintf(text + n, sizeof(text) - n, ";\ntime on protocol = tcp,\n"
	    "  user = root;\n");
	parse(text);
	CHECK(count(list) == 2);
	CHECK(streq(nth(0)->se_service, "echo"));
	CHECK(streq(nth(1)->se_service, "time") && nth(1)->se_line == 104);
	CHECK(nmsgs == 1);
	CHECK(streq(msgs[0].text, "t.conf:103: definition too long (more "
	    "than 4096 bytes without its comments)"));
	parse_len("echo on protocol = tcp,\n user = r\0oot;\n", 39, NULL);
	CHECK(count(list) == 0 && nmsgs == 1);
	CHECK(streq(msgs[0].text, "t.conf:1: definition contains a NUL "
	    "byte"));
	return 1;
}

/* ".include GLOB": a node that load.c expands. */
static int
test_dot_include_parse(void)
{
	parse(".include \"conf.d/*.conf\" ignored\n"
	    ".include other.conf\n");
	CHECK(count(list) == 2);
	CHECK(streq(nth(0)->se_include, "conf.d/*.conf"));
	CHECK(nth(0)->se_include_glob == 1 && nth(1)->se_include_glob == 1);
	CHECK(nmsgs == 1 && msgs[0].priority == LOG_WARNING);
	CHECK(streq(msgs[0].text, "t.conf:1: .include: words after the "
	    "pattern ignored"));
	return 1;
}

static int
test_include_parse(void)
{
	parse("include /etc/inetd.d\n"
	    "echo stream tcp nowait root internal\n"
	    "include 'my services.conf'\n");
	CHECK(nmsgs == 0);
	CHECK(count(list) == 3);
	CHECK(streq(nth(0)->se_include, "/etc/inetd.d"));
	CHECK(nth(0)->se_line == 1);
	CHECK(streq(nth(0)->se_file, CONF));
	CHECK(nth(1)->se_include == NULL);
	CHECK(streq(nth(1)->se_service, "echo"));
	CHECK(streq(nth(2)->se_include, "my services.conf"));
	/* config_resolve() leaves include nodes to config_load(). */
	CHECK(config_resolve(list, 0, capture) == -1);
	return 1;
}

static int
test_include_parse_errors(void)
{
	parse("include\n");
	CHECK(count(list) == 0);
	CHECK(nmsgs == 1 && msgs[0].priority == LOG_ERR);
	CHECK(streq(msgs[0].text, "t.conf:1: include: expected one file or "
	    "directory, got 0 words"));
	parse("\ninclude a b\n");
	CHECK(count(list) == 0);
	CHECK(nmsgs == 1);
	CHECK(streq(msgs[0].text, "t.conf:2: include: expected one file or "
	    "directory, got 2 words"));
	/* Six fields or more: an entry for a service named "include". */
	parse("include stream tcp nowait root /bin/cat cat\n");
	CHECK(count(list) == 1 && nth(0)->se_include == NULL);
	return 1;
}

static int
test_include_load(void)
{
	char want[1024];

	CHECK(inc_write("", NULL) == 0);
	CHECK(inc_write("d", NULL) == 0);
	CHECK(inc_write("main.conf",
	    "8001 stream tcp nowait root internal echo\n"
	    "include d\n"
	    "include \"sub.conf\"\n"
	    "include missing.conf\n"
	    "8009 stream tcp nowait root internal time\n") == 0);
	CHECK(inc_write("d/20-b.conf",
	    "8003 stream tcp nowait root internal daytime\n") == 0);
	CHECK(inc_write("d/10-a.conf", "# first fragment\n"
	    "8002 stream tcp nowait root internal discard\n"
	    "8099 stream tcp nowait nosuchuser internal echo\n") == 0);
	CHECK(inc_write("d/.hidden.conf", "garbage\n") == 0);
	CHECK(inc_write("d/notes.txt", "garbage\n") == 0);
	CHECK(inc_write("d/30-c.conf.dpkg-old", "garbage\n") == 0);
	CHECK(inc_write("sub.conf",
	    "8004 dgram udp wait root internal echo\n") == 0);
	CHECK(inc_load("main.conf") != NULL);
	CHECK(count(list) == 5);
	CHECK(streq(nth(0)->se_service, "8001"));
	CHECK(streq(nth(1)->se_service, "8002"));
	CHECK(streq(nth(1)->se_file, inc_path("d/10-a.conf")));
	CHECK(nth(1)->se_line == 2);
	CHECK(streq(nth(2)->se_service, "8003"));
	CHECK(streq(nth(3)->se_service, "8004"));
	CHECK(streq(nth(3)->se_file, inc_path("sub.conf")));
	CHECK(streq(nth(4)->se_service, "8009"));
	CHECK(nth(4)->se_line == 5);
	CHECK(nmsgs == 2);
	snprintf(want, sizeof(want), "%s:3: 8099/tcp: unknown user",
	    inc_path("d/10-a.conf"));
	CHECK(has_msg(want));
	snprintf(want, sizeof(want), "%s:4: include %s: No such file or "
	    "directory", inc_path("main.conf"), inc_path("missing.conf"));
	CHECK(has_msg(want));

	/* The same fragments after the file, as for /etc/inetd.d. */
	CHECK(inc_write("plain.conf",
	    "8005 stream tcp nowait root internal echo\n") == 0);
	config_set_includedir(inc_path("d"));
	CHECK(inc_load("plain.conf") != NULL);
	CHECK(count(list) == 3);
	CHECK(streq(nth(0)->se_service, "8005"));
	CHECK(streq(nth(1)->se_service, "8002"));
	CHECK(streq(nth(2)->se_service, "8003"));
	config_set_includedir(inc_path("nonexistent.d"));
	CHECK(inc_load("plain.conf") != NULL);
	CHECK(count(list) == 1 && nmsgs == 0);
	inc_cleanup();
	return 1;
}

static int
test_include_loops(void)
{
	char name[32], text[128], want[1024];
	int i;

	CHECK(inc_write("", NULL) == 0);
	CHECK(inc_write("self.conf", "include self.conf\n"
	    "8001 stream tcp nowait root internal echo\n") == 0);
	CHECK(inc_load("self.conf") != NULL);
	CHECK(count(list) == 1 && nmsgs == 1);
	snprintf(want, sizeof(want), "%s:1: include %s: include loop",
	    inc_path("self.conf"), inc_path("self.conf"));
	CHECK(strncmp(msgs[0].text, want, strlen(want)) == 0);

	/* a includes b includes a: refused in b, a's own entry loads. */
	CHECK(inc_write("a.conf", "include b.conf\n"
	    "8002 stream tcp nowait root internal echo\n") == 0);
	CHECK(inc_write("b.conf", "8003 stream tcp nowait root internal "
	    "echo\ninclude a.conf\n") == 0);
	CHECK(inc_load("a.conf") != NULL);
	CHECK(count(list) == 2 && nmsgs == 1);
	CHECK(streq(nth(0)->se_service, "8003"));
	snprintf(want, sizeof(want), "%s:2: include %s: include loop",
	    inc_path("b.conf"), inc_path("a.conf"));
	CHECK(strncmp(msgs[0].text, want, strlen(want)) == 0);

	/* n0 includes n1 ... includes n9: the first 8 files are read. */
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "n%d.conf", i);
		snprintf(text, sizeof(text), "%d stream tcp nowait root "
		    "internal echo\ninclude n%d.conf\n", 8100 + i, i + 1);
		CHECK(inc_write(name, text) == 0);
	}
	CHECK(inc_load("n0.conf") != NULL);
	CHECK(count(list) == 8 && nmsgs == 1);
	snprintf(want, sizeof(want), "%s:2: include %s: includes nested "
	    "more than 7 deep", inc_path("n7.conf"), inc_path("n8.conf"));
	CHECK(streq(msgs[0].text, want));
	inc_cleanup();
	return 1;
}

/*
 * ".include GLOB": the matches in name order, relative to the file's
 * directory, a directory skipped; the loop, once-only and regular-file
 * checks are include's.
 */
static int
test_dot_include_load(void)
{
	char want[1024];

	CHECK(inc_write("", NULL) == 0);
	CHECK(inc_write("g", NULL) == 0);
	CHECK(inc_write("g/sub", NULL) == 0);
	CHECK(inc_write("g/b.conf", "8002 on protocol = tcp, user = root, "
	    "args = echo;\n") == 0);
	CHECK(inc_write("g/a.conf", ".include ../g/b.conf\n"
	    "8001 stream tcp nowait root internal echo\n") == 0);
	CHECK(inc_write("main.conf", ".include g/*\n"
	    ".include g/none-*.conf\n"
	    ".include main.conf\n") == 0);
	CHECK(inc_load("main.conf") != NULL);
	CHECK(count(list) == 2);
	CHECK(streq(nth(0)->se_service, "8002"));
	CHECK(streq(nth(1)->se_service, "8001"));
	/* b.conf once, through a.conf; no match: a note; main.conf: loop. */
	CHECK(nmsgs == 3);
	snprintf(want, sizeof(want), "%s:1: include %s: read already",
	    inc_path("main.conf"), inc_path("g/b.conf"));
	CHECK(strncmp(msgs[0].text, want, strlen(want)) == 0);
	snprintf(want, sizeof(want), "%s:2: include %s: no file matches",
	    inc_path("main.conf"), inc_path("g/none-*.conf"));
	CHECK(msgs[1].priority == LOG_DEBUG && streq(msgs[1].text, want));
	snprintf(want, sizeof(want), "%s:3: include %s: include loop",
	    inc_path("main.conf"), inc_path("main.conf"));
	CHECK(msgs[2].priority == LOG_ERR);
	CHECK(strncmp(msgs[2].text, want, strlen(want)) == 0);
	inc_cleanup();
	return 1;
}

/* A FIFO or a symbolic link in tmpdir/inc, removed by inc_cleanup(). */
static int
inc_special(const char *name, const char *link_to)
{
	const char *path = inc_path(name);

	if (inc_nmade == INC_MAXFILES || (link_to != NULL ?
	    symlink(link_to, path) : mkfifo(path, 0644)) == -1)
		return -1;
	strlcpy(inc_made[inc_nmade++], path, sizeof(inc_made[0]));
	return 0;
}

/*
 * Nothing blocks on a FIFO (the test would hang), and a file is read
 * once in a load, whatever the name it is included by.
 */
/* xinetd's format: list becomes the entries of text. */
static struct servtab *
xparse(const char *text)
{
	struct xinetd_defaults *defs = NULL;

	list = xinetd_parse(text, strlen(text), CONF, NULL, &defs, capture);
	xinetd_defaults_free(defs);
	return list;
}

static int
test_xinetd_detect(void)
{
	CHECK(xinetd_detect("# c\n\nservice echo\n{\n}\n", 21));
	CHECK(xinetd_detect("defaults {\n", 11));
	CHECK(xinetd_detect("  includedir /etc/xinetd.d\n", 27));
	CHECK(!xinetd_detect("echo stream tcp nowait root internal\n", 37));
	CHECK(!xinetd_detect("service stream tcp nowait root /bin/x\n", 38));
	CHECK(!xinetd_detect("include /etc/inetd.d\n", 21));
	CHECK(!xinetd_detect("# only comments\n", 16));
	CHECK(!xinetd_detect("service", 3));
	return 1;
}

/*
 * Defaults apply to the services after them; "=" replaces, "+=" adds,
 * "-=" takes out; the defaults' disabled list leaves a service out.
 */
static int
test_xinetd_attributes(void)
{
	const struct servtab *sep;

	xparse("defaults\n{\n\tinstances = 3\n\tper_source = 2\n"
	    "\tdisabled = off1\n}\nservice s\n{\n\tport = 8000\n"
	    "\tsocket_type = stream\n\twait = no\n\tuser = root\n"
	    "\tgroup = daemon\n\tserver = /bin/echo\n"
	    "\tserver_args = a b c\n\tserver_args -= b\n"
	    "\tserver_args += d\n\tper_source = UNLIMITED\n}\n"
	    "service off1\n{\n\tport = 8001\n\tsocket_type = stream\n"
	    "\twait = no\n\tuser = root\n\tserver = /bin/echo\n}\n");
	CHECK(nmsgs == 1 && msgs[0].priority == LOG_DEBUG);
	CHECK(count(list) == 1);
	sep = list;
	CHECK(sep->se_line == 7);
	CHECK(streq(sep->se_service, "8000"));
	/* IPv4 only, as xinetd: plain tcp would be dual-stack. */
	CHECK(streq(sep->se_proto, "tcp4"));
	CHECK(sep->se_maxchild == 3 && sep->se_maxperip == 0);
	CHECK(streq(sep->se_user, "root") && streq(sep->se_group, "daemon"));
	CHECK(sep->se_argc == 4 && streq(sep->se_argv[0], "echo") &&
	    streq(sep->se_argv[1], "a") && streq(sep->se_argv[2], "c") &&
	    streq(sep->se_argv[3], "d"));
	return 1;
}

/* include and includedir are nodes that load.c reads in this format. */
static int
test_xinetd_includes(void)
{
	xparse("includedir /etc/xinetd.d\ninclude other\n");
	CHECK(nmsgs == 0 && count(list) == 2);
	CHECK(streq(list->se_include, "/etc/xinetd.d") &&
	    list->se_include_xinetd && list->se_line == 1);
	CHECK(streq(list->se_next->se_include, "other") &&
	    list->se_next->se_include_xinetd);
	return 1;
}

static int
test_xinetd_errors(void)
{
	xparse("service a\n{\n\tsocket_type = stream\n\tonlyfrom = x\n}\n"
	    "service b\n\tport = 1\n"
	    "service c\n{\n\tport = 9\n");
	CHECK(count(list) == 0);
	/* b's line after it is no attribute out of a block. */
	CHECK(nmsgs == 4);
	CHECK(streq(msgs[0].text, "t.conf:4: a: unknown attribute "
	    "'onlyfrom'"));
	CHECK(strstr(msgs[1].text, "t.conf:6: b: expected '{'") ==
	    msgs[1].text);
	CHECK(strstr(msgs[2].text, "t.conf:7: expected \"service NAME\"") ==
	    msgs[2].text);
	CHECK(streq(msgs[3].text, "t.conf:8: c: missing '}'"));
	return 1;
}

/*
 * An include names an xinetd file or directory, told by its content:
 * its defaults reach the files read after it, a directory's names with
 * a dot or a final '~' are left out; of a directory an inetd.conf
 * include names, a file without a dot in another format is left
 * alone; an empty directory is no error.
 */
static int
test_xinetd_load(void)
{
	CHECK(inc_write("", NULL) == 0);
	CHECK(inc_write("xd", NULL) == 0);
	CHECK(inc_write("empty", NULL) == 0);
	CHECK(inc_write("other", NULL) == 0);
	CHECK(inc_write("main.conf", "include empty\ninclude x.conf\n"
	    "include xd\ninclude other\n") == 0);
	CHECK(inc_write("x.conf", "defaults\n{\n\tinstances = 5\n}\n"
	    "includedir xd\n") == 0);
	CHECK(inc_write("xd/echo", "service echo\n{\n\ttype = INTERNAL\n"
	    "\tport = 8007\n\tsocket_type = stream\n\twait = no\n}\n") == 0);
	CHECK(inc_write("xd/echo~", "garbage\n") == 0);
	CHECK(inc_write("xd/echo.rpmsave", "garbage\n") == 0);
	CHECK(inc_write("other/README", "Not a configuration file.\n") == 0);
	CHECK(inc_load("main.conf") != NULL);
	/* xd/echo once: the second include reads no file again. */
	CHECK(count(list) == 1);
	CHECK(streq(list->se_service, "8007") && list->se_maxchild == 5);
	CHECK(streq(list->se_file, inc_path("xd/echo")));
	CHECK(nmsgs == 1 && msgs[0].priority == LOG_WARNING &&
	    strstr(msgs[0].text, "read already") != NULL);
	return 1;
}

static int
test_include_special_files(void)
{
	char want[1024];
	int error = -1;

	CHECK(inc_write("", NULL) == 0);
	CHECK(inc_write("d", NULL) == 0);
	CHECK(inc_special("d/10-fifo.conf", NULL) == 0);
	CHECK(inc_write("d/20-a.conf",
	    "8001 stream tcp nowait root internal echo\n") == 0);
	CHECK(inc_special("alias.conf", "d/20-a.conf") == 0);
	CHECK(inc_write("main.conf", "include d\ninclude d/20-a.conf\n"
	    "include alias.conf\n") == 0);
	list = config_read(inc_path("main.conf"), NULL, capture, &error);
	CHECK(error == 0 && count(list) == 1 && nmsgs == 3);
	snprintf(want, sizeof(want), "%s:1: include %s: not a regular file",
	    inc_path("main.conf"), inc_path("d/10-fifo.conf"));
	CHECK(streq(msgs[0].text, want) && msgs[0].priority == LOG_ERR);
	snprintf(want, sizeof(want), "%s:2: include %s: read already in "
	    "this load, not read again", inc_path("main.conf"),
	    inc_path("d/20-a.conf"));
	CHECK(streq(msgs[1].text, want) && msgs[1].priority == LOG_WARNING);
	snprintf(want, sizeof(want), "%s:3: include %s: read already",
	    inc_path("main.conf"), inc_path("alias.conf"));
	CHECK(strncmp(msgs[2].text, want, strlen(want)) == 0);

	/* The FIFO as the file loaded: reported, nothing read. */
	config_free(list);
	nmsgs = 0;
	error = -1;
	list = config_load(inc_path("d/10-fifo.conf"), NULL, 0, capture,
	    &error);
	CHECK(list == NULL && error == 0 && nmsgs == 1);
	snprintf(want, sizeof(want), "%s: not a regular file",
	    inc_path("d/10-fifo.conf"));
	CHECK(streq(msgs[0].text, want));
	inc_cleanup();
	return 1;
}

static void
make_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char path[512];

	snprintf(tmpdir, sizeof(tmpdir), "%s/test_config.XXXXXX",
	    base != NULL && *base != '\0' ? base : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		perror(tmpdir);
		exit(2);
	}
	snprintf(path, sizeof(path), "%s/prog", tmpdir);
	if (write_file(path, "#!/bin/sh\nexit 0\n", 0755) == -1) {
		perror(path);
		exit(2);
	}
	snprintf(path, sizeof(path), "%s/noexec", tmpdir);
	if (write_file(path, "#!/bin/sh\nexit 0\n", 0644) == -1) {
		perror(path);
		exit(2);
	}
}

static void
remove_tmpdir(void)
{
	static const char *const files[] = {
		"prog", "noexec", "inetd.conf", "empty.conf"
	};
	char path[512];
	size_t i;

	for (i = 0; i < nitems(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, files[i]);
		unlink(path);
	}
	rmdir(tmpdir);
}

int
main(int argc, char *argv[])
{
	static const struct unit_test tests[] = {
		{ "exec_entry", test_exec_entry },
		{ "exec_no_args", test_exec_no_args },
		{ "internal_by_service", test_internal_by_service },
		{ "internal_by_argument", test_internal_by_argument },
		{ "internal_option_argument", test_internal_option_argument },
		{ "auth_entries", test_auth_entries },
		{ "tcpmux_entries", test_tcpmux_entries },
		{ "protocols", test_protocols },
		{ "wait_forms", test_wait_forms },
		{ "user_forms", test_user_forms },
		{ "quotes", test_quotes },
		{ "backslash", test_backslash },
		{ "comments", test_comments },
		{ "ipsec_line", test_ipsec_line },
		{ "continuation", test_continuation },
		{ "continuation_orphans", test_continuation_orphans },
		{ "crlf", test_crlf },
		{ "no_final_newline", test_no_final_newline },
		{ "empty_input", test_empty_input },
		{ "nul_byte", test_nul_byte },
		{ "long_lines", test_long_lines },
		{ "args_limit", test_args_limit },
		{ "host_prefix", test_host_prefix },
		{ "default_host", test_default_host },
		{ "host_lines", test_host_lines },
		{ "unix_forms", test_unix_forms },
		{ "good_and_bad_lines", test_good_and_bad_lines },
		{ "servtab_name", test_names },
		{ "sockaddr_str", test_sockaddr_str },
		{ "where", test_where },
		{ "port_and_clock", test_port_and_clock },
		{ "garbage", test_garbage },
		{ "truncations", test_truncations },
		{ "resolve_addresses", test_resolve_addresses },
		{ "resolve_default_host", test_resolve_default_host },
		{ "resolve_users", test_resolve_users },
		{ "resolve_class", test_resolve_class },
		{ "resolve_many_groups", test_resolve_many_groups },
		{ "resolve_lookup_dies", test_resolve_lookup_dies },
		{ "resolve_lookup_hangs", test_resolve_lookup_hangs },
		{ "resolve_program", test_resolve_program },
		{ "resolve_unix", test_resolve_unix },
		{ "dual_stack", test_dual_stack },
		{ "load", test_load },
		{ "lookup_bad_answers", test_lookup_bad_answers },
		{ "load_failures", test_load_failures },
		{ "netbsd_positional", test_netbsd_positional },
		{ "netbsd_sizes", test_netbsd_sizes },
		{ "kv_entry", test_kv_entry },
		{ "kv_layout", test_kv_layout },
		{ "kv_escapes", test_kv_escapes },
		{ "kv_keys", test_kv_keys },
		{ "kv_default_host", test_kv_default_host },
		{ "kv_errors", test_kv_errors },
		{ "kv_off_resolved", test_kv_off_resolved },
		{ "kv_long", test_kv_long },
		{ "acl_keys", test_acl_keys },
		{ "dot_include_parse", test_dot_include_parse },
		{ "include_parse", test_include_parse },
		{ "include_parse_errors", test_include_parse_errors },
		{ "include_load", test_include_load },
		{ "include_loops", test_include_loops },
		{ "dot_include_load", test_dot_include_load },
		{ "include_special_files", test_include_special_files },
		{ "xinetd_detect", test_xinetd_detect },
		{ "xinetd_attributes", test_xinetd_attributes },
		{ "xinetd_includes", test_xinetd_includes },
		{ "xinetd_errors", test_xinetd_errors },
		{ "xinetd_load", test_xinetd_load },
	};

	if (argc == 4 && strcmp(argv[1], LOOKUP_ARG) == 0)
		return lookup_serve(argv[2], argv[3]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	config_set_builtins(&stub_builtins);
	make_tmpdir();
	run_parse_errors(parse_errors, nitems(parse_errors));
	unit_run(tests, nitems(tests), forget);
	test_resolve_errors();
	remove_tmpdir();
	return unit_summary();
}
