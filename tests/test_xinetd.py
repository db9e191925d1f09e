#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""xinetd's configuration format, read natively (issue 17).

Real xinetd files (tests/configs/xinetd: Debian's xinetd package, and
the files public projects ship) are checked with -t -x: every message
names the file, the line of the attribute and a precise reason.  The
daemon is started on xinetd files (high ports, 127.0.0.1) and talked to:
Debian's builtins served in the daemon, an exec'd server with
server_args, a redirect, per_source, instances and cps.  inetd -T prints
what the files became, in the key-values notation.

usage: test_xinetd.py [INETD] [TEST ...]  (see harness.py)
"""

import os
import re
import shutil
import socket
import subprocess
import sys

import harness
from harness import *  # noqa: F401,F403

CORPUS = os.path.join(HERE, "configs", "xinetd")
TOP = os.path.dirname(HERE)

# What -t may say of a line of a real xinetd file: precise reasons only.
PRECISE = [re.compile(p) for p in (
    r"program /\S+ is not installed: not served until it is$",
    r"RPC services are not supported$",
    r"\S+ is not applied: .+",
    r"flag [A-Z]+ is not (applied|supported) .+",
    r"(only_from|no_access|access_times) is not supported: the entry is "
    r"refused rather than open .+",
    r"(nice|umask|passenv|env|rlimit_\w+) is not supported: not applied$",
    r"cps: at most \d+ servers a minute; .+",
    r"\w+: \"[^\"]*\": .+",
    r"no builtin service named '(servers|services)' .+",
    r"the comment at the end of the line is ignored .+",
)]
MESSAGE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): (?P<name>[^:]+): "
                     r"(?P<what>.*)$")
SUMMARY = re.compile(r"^inetd: .*: (\d+ errors?|\d+ services?, no errors)$")


def check_messages(err, files):
    """Each message a precise one about an attribute or service line of
    one of files; returns {(file, line): what} of the errors and
    warnings."""
    found = {}
    for line in err.splitlines():
        if SUMMARY.match(line):
            continue
        m = MESSAGE.match(line)
        check(m, f"not a FILE:LINE: NAME: message: {line!r}")
        path, lineno = m.group("file"), int(m.group("line"))
        check(path in files, f"message about another file: {line!r}")
        with open(path) as f:
            text = f.read().splitlines()[lineno - 1].strip()
        check(text and not text.startswith("#"), f"message about a "
              f"comment or blank line: {line!r}")
        check(any(p.search(m.group("what")) for p in PRECISE),
              f"not a precise message: {line!r}")
        found[(path, lineno)] = m.group("what")
    return found


def corpus_files():
    return sorted(os.path.join(CORPUS, n) for n in os.listdir(CORPUS)
                  if os.path.isfile(os.path.join(CORPUS, n)))


def copy_debian(t, enable):
    """Debian's /etc/xinetd.conf and /etc/xinetd.d in the test's
    directory, the includedir pointing there; enabled if asked."""
    top = t.path("debian")
    shutil.copytree(os.path.join(CORPUS, "debian"), top)
    conf = os.path.join(top, "xinetd.conf")
    with open(conf) as f:
        text = f.read()
    check("includedir /etc/xinetd.d" in text, "Debian's includedir moved")
    with open(conf, "w") as f:
        f.write(text.replace("/etc/xinetd.d", os.path.join(top,
                                                           "xinetd.d")))
    if enable:
        for name in os.listdir(os.path.join(top, "xinetd.d")):
            path = os.path.join(top, "xinetd.d", name)
            with open(path) as f:
                text = f.read()
            with open(path, "w") as f:
                f.write(re.sub(r"disable(\s*)= yes", r"disable\1= no", text))
    return conf


@test
def corpus_projects(t):
    """Every file of the corpus: -t -x says only precise things, each at
    the line of the attribute it is about."""
    for path in corpus_files():
        status, _, err = run_inetd(["-t", "-x", path])
        errors = check_messages(err, {path})
        check(status in (0, 1), f"{path}: exit status {status}")
        check((status == 1) == bool(re.search(r"\d+ errors?$",
                                              err.splitlines()[-1])),
              f"{path}: status {status} but {err.splitlines()[-1]!r}")
        check(errors or status == 0, f"{path}: no message, status {status}")


@test
def corpus_debian_as_shipped(t):
    """Debian's files as installed: every service is disabled, nothing
    opens and nothing is wrong."""
    conf = copy_debian(t, enable=False)
    status, _, err = run_inetd(["-t", "-x", conf])
    check(status == 0 and "0 services, no errors" in err,
          f"status {status}: {err}")


@test
def corpus_debian_enabled(t):
    """Debian's builtins, enabled: the fifteen of echo, discard, chargen,
    daytime and time load as builtins; xinetd's own "servers" and
    "services" have none here, and say so."""
    conf = copy_debian(t, enable=True)
    status, out, err = run_inetd(["-T", "-x", conf])
    d = os.path.dirname(conf)
    files = {os.path.join(d, "xinetd.d", n)
             for n in os.listdir(os.path.join(d, "xinetd.d"))}
    errors = check_messages(err, files | {conf})
    names = sorted(os.path.basename(f) for f, _ in errors)
    check(names == ["servers", "services"], f"errors in {names}")
    check(status == 1, f"exit status {status}")
    entries = out.count(";\n")
    check(entries == 15, f"{entries} entries, want 15:\n{out}")
    for name in ("echo", "discard", "chargen", "daytime", "time"):
        check(out.count(f"args = {name};") == 3, f"{name}: not three "
              f"builtins (tcp, udp, and the UNLISTED udp):\n{out}")
    check("exec =" not in out, f"a builtin runs a program:\n{out}")
    # IPv4 only, as xinetd listened: plain tcp is dual-stack here.
    check(out.count("protocol = tcp4,") == 5 and
          out.count("protocol = udp4,") == 10, f"not IPv4 only:\n{out}")


def xinetd(t, text, **kw):
    """The daemon on an xinetd file (-x)."""
    return t.daemon(text.splitlines(), conf_flag=("-x",), **kw)


def debian_file(name, port):
    """Debian's /etc/xinetd.d/NAME, enabled, on 127.0.0.1:port."""
    with open(os.path.join(CORPUS, "debian", "xinetd.d", name)) as f:
        text = f.read()
    text = re.sub(r"disable(\s*)= yes", r"disable\1= no", text)
    return re.sub(r"(?m)^(\s*)user(\s*)= root$", rf"\1user\2= root\n\1port"
                  rf"\2= {port}\n\1bind\2= 127.0.0.1", text)


@test
def debian_builtins_in_daemon(t):
    """Debian's echo and daytime files (their -stream and -dgram ids) are
    served by the daemon itself: no child while a client is served."""
    echo, daytime = t.port(), t.port()
    d = xinetd(t, debian_file("echo", echo) + debian_file("daytime",
                                                          daytime))
    check(d.ready == 4, f"{d.ready} services listening, want 4")
    with tcp(echo) as s:
        check(exchange(s, b"xinetd\n") == b"xinetd\n", "echo over TCP")
        check(not children_of(d.pid), "a child serves the builtin")
    check(udp(echo, b"dgram") == b"dgram", "echo over UDP")
    with tcp(daytime) as s:
        check_daytime(recv_to_eof(s))
    check_daytime(udp(daytime, b"x"))


@test
def exec_server_args(t):
    """An exec'd server gets argv[0] (its basename) and server_args; with
    NAMEINARGS, server_args start with argv[0]."""
    port, port2 = t.port(), t.port()
    xinetd(t, f"""
service hello
{{
	type		= UNLISTED
	port		= {port}
	bind		= 127.0.0.1
	socket_type	= stream
	wait		= no
	user		= nobody
	server		= /bin/sh
	server_args	= -c echo${{IFS}}$0
}}
service named
{{
	type		= UNLISTED
	port		= {port2}
	bind		= 127.0.0.1
	socket_type	= stream
	wait		= no
	user		= nobody
	flags		= NAMEINARGS
	server		= /bin/sh
	server_args	= shell -c echo${{IFS}}$0
}}
""")
    with tcp(port) as s:
        check_bytes(recv_to_eof(s), b"sh\n", "argv[0] and server_args")
    with tcp(port2) as s:
        check_bytes(recv_to_eof(s), b"shell\n", "NAMEINARGS argv[0]")


@test
def redirect(t):
    """redirect = HOST PORT is the forward builtin: a client of one port
    talks to the echo builtin of another, through the daemon."""
    front, back = t.port(), t.port()
    d = xinetd(t, f"""
service echo
{{
	type		= INTERNAL UNLISTED
	port		= {back}
	bind		= 127.0.0.1
	socket_type	= stream
	wait		= no
}}
service front
{{
	type		= UNLISTED
	port		= {front}
	bind		= 127.0.0.1
	socket_type	= stream
	wait		= no
	redirect	= 127.0.0.1 {back}
}}
""")
    with tcp(front) as s:
        check(exchange(s, b"through\n") == b"through\n", "redirected echo")
        check(not children_of(d.pid), "a child forwards")


def service(port, extra="", name="cat", server="/bin/cat"):
    """An UNLISTED stream service of server on 127.0.0.1:port."""
    return f"""
service {name}
{{
	type		= UNLISTED
	port		= {port}
	bind		= 127.0.0.1
	socket_type	= stream
	wait		= no
	user		= {ME}
	server		= {server}
{extra}
}}
"""


def held(port):
    s = tcp(port)
    if exchange(s, b"ping\n") != b"ping\n":
        s.close()
        raise Fail("connection not served")
    return s


@test
def per_source(t):
    """per_source = 1: a second connection from the same address while
    the first is served is closed unserved."""
    port = t.port()
    xinetd(t, service(port, "\tper_source\t= 1"))
    with held(port):
        with tcp(port) as s:
            try:
                s.sendall(b"x\n")
                got = recv_to_eof(s)
            except ConnectionResetError:
                got = b""
            check(got == b"", f"second client served: {got!r}")
    check(wait_until(lambda: _served(port), IO_TIMEOUT),
          "not served again after the first left")


def _served(port):
    try:
        with tcp(port) as s:
            return exchange(s, b"again\n") == b"again\n"
    except (OSError, Fail):
        return False


@test
def instances(t):
    """instances = 1: the second client waits in the listen queue until
    the first leaves, then is served."""
    port = t.port()
    xinetd(t, service(port, "\tinstances\t= 1"))
    first = held(port)
    with tcp(port) as second:
        second.sendall(b"queued\n")
        check(silent(second, 1.0), "second client served at instances = 1")
        first.close()
        check(recv_exact(second, 7) == b"queued\n", "second client not "
              "served after the first left")


@test
def cps(t):
    """cps = 1 10: at most 60 servers a minute; the 61st client waits in
    the listen queue (told at -t as a warning)."""
    port = t.port()
    d = xinetd(t, service(port, "\tserver_args = hi\n\tcps = 1 10",
                          name="hi", server="/bin/echo"))
    d.wait_log("cps: at most 60 servers a minute")
    for i in range(60):
        with tcp(port) as s:
            check(recv_to_eof(s) == b"hi\n", f"connection {i + 1} of 60")
    with tcp(port) as s:
        check(silent(s, 1.5), "61st client in the minute served")
    d.wait_log("60 servers started in a minute, throttling")


@test
def refusals(t):
    """What would let in a client xinetd refuses refuses the entry:
    access_times, flag SENSOR, a bind address that is none, an unknown
    attribute (a typo of only_from); the others still load."""
    ports = {name: t.port() for name in "absce"}
    attrs = {"a": "access_times = 08:00-17:00", "b": "bind = 127.0.0.300",
             "s": "flags = SENSOR", "c": "onlyfrom = 127.0.0.1",
             "e": "per_source = 2 # a comment xinetd takes for a value"}
    text = "".join(service(ports[n], "\t" + attrs[n], name=n).replace(
        "bind\t\t= 127.0.0.1\n", "" if n == "b" else
        "bind\t\t= 127.0.0.1\n") for n in "absce")
    path = t.path("refused.conf")
    with open(path, "w") as f:
        f.write(text)
    lines = text.splitlines()

    def at(s):
        return f"{path}:{lines.index(s) + 1}: "
    status, out, err = run_inetd(["-T", "-x", path])
    check(status == 1, f"exit status {status}")
    for want in (at("\t" + attrs["a"]) + "a/tcp4: access_times is not "
                 "supported",
                 at("service b") + f"{ports['b']}/tcp4: cannot use address "
                 "'127.0.0.300'",
                 at("\t" + attrs["s"]) + "s: flag SENSOR is not "
                 "supported",
                 at("\t" + attrs["c"]) + "c: unknown attribute 'onlyfrom'",
                 at("\t" + attrs["e"]) + "e: the comment at the end of the "
                 "line is ignored"):
        check(want in err, f"no {want!r} in:\n{err}")
    check(out.count(";\n") == 1 and f"127.0.0.1:{ports['e']} on" in out and
          "max_child_per_ip = 2" in out, f"-T output:\n{out}")


@test
def dump_names_origin(t):
    """-T prints each entry after "# FILE:LINE" of its service line, in
    the key-values notation, with what the attributes became."""
    port = t.port()
    path = t.path("x.conf")
    with open(path, "w") as f:
        f.write(f"""defaults
{{
	instances = 7
}}

service tftp
{{
	port = {port}
	bind = ::1
	socket_type = dgram
	protocol = udp
	wait = yes
	user = nobody
	group = nogroup
	server = /bin/cat
	server_args = -u "two words"
	per_source = 3
	cps = 2 5
}}
""")
    status, out, err = run_inetd(["-T", "-x", path])
    check(status == 0, f"status {status}: {err}")
    want = (f"# {path}:6\n[::1]:{port} on socktype = dgram,\n"
            "\tprotocol = udp46,\n\twait = yes,\n\tuser = nobody,\n"
            "\tgroup = nogroup,\n\texec = /bin/cat,\n"
            "\targs = cat -u \"\\\"two\" \"words\\\"\",\n"
            "\tmax_child = 7,\n\tmax_child_per_ip = 3,\n"
            "\tservice_max = 120;\n")
    check_bytes(out.encode(), want.encode(), "-T output")


@test
def include_detected(t):
    """An inetd.conf "include" of an xinetd file or directory reads it in
    xinetd's format, told by its content; a directory's files without a
    dot are read only if they are in it."""
    port = t.port()
    xd = t.path("xinetd.d")
    os.mkdir(xd)
    with open(os.path.join(xd, "echo"), "w") as f:
        f.write(debian_file("echo", port))
    with open(os.path.join(xd, "README"), "w") as f:
        f.write("Not a configuration file.\n")
    d = t.daemon([f"include {xd}"])
    check(d.ready == 2, f"{d.ready} services listening, want 2")
    with tcp(port) as s:
        check(exchange(s, b"in\n") == b"in\n", "echo over TCP")


def round_trip(t, path, *flags):
    """-T of path, then -T of that output: the same entries; each
    comment of the second names the line of the first the entry starts
    on.  Returns the first output."""
    status, first, err = run_inetd(["-T", *flags, path])
    check(status == 0, f"-T {path}: status {status}: {err}")
    again = t.path("dump.conf")
    with open(again, "w") as f:
        f.write(first)
    status, second, err = run_inetd(["-T", again])
    check(status == 0, f"-T of -T's output: status {status}: {err}")

    def entries(text):
        return [line for line in text.splitlines()
                if not line.startswith("#")]
    check(entries(first) == entries(second), "-T of -T's output differs:"
          f"\n{first}\n---\n{second}")
    lines = first.splitlines()
    for m in re.finditer(r"(?m)^# (.*):(\d+)$", second):
        check(m.group(1) == again, f"comment {m.group(0)!r}")
        n = int(m.group(2))
        check(not lines[n - 1].startswith("#") and
              lines[n - 2].startswith("# "), f"{m.group(0)} is no entry of "
              "the first output")
    check(first.count(";\n") == second.count(";\n") > 0, "entries lost")
    return first


@test
def dump_round_trip_positional(t):
    """Every field a positional line can set, FreeBSD's, OpenBSD's and
    NetBSD's: -T of -T's output is identical."""
    p = t.port
    conf = t.path("pos.conf")
    with open(conf, "w") as f:
        f.write(f"""\
127.0.0.1:{p()} stream tcp,rcvbuf=64k,sndbuf=1m nowait root internal daytime
127.0.0.1:{p()} on socktype = stream, protocol = tcp, wait = no,
    user = root, args = echo;
[::1]:{p()} stream tcp6 nowait/10/30/2 nobody:nogroup /bin/echo echo "a b" 'c"d' x\\y
127.0.0.1:{p()} stream tcp nowait.100 nobody /bin/cat
127.0.0.1:{p()} stream:dataready tcp nowait nobody /bin/cat
:nobody:nogroup:600:{t.path("sock")} stream unix nowait nobody /bin/cat cat
tcpmux/+date stream tcp nowait nobody /bin/date date
127.0.0.1:{p()} stream tcp nowait nobody internal forward 127.0.0.1:80 proxy-v2 timeout=30
127.0.0.1:{p()} dgram udp wait:5 nobody /bin/cat
""")
    out = round_trip(t, conf)
    for want in ("sndbuf = 1048576", "recvbuf = 65536", "max_child = 10",
                 "max_child_per_ip = 2", "max_conn_per_ip_per_minute = 30",
                 "service_max = 100", "acceptfilter = dataready",
                 "group = nogroup", 'args = echo "a b" "c\\"d" "x\\\\y"',
                 '"timeout=30"', ":nobody:nogroup:600:", "tcpmux/+date on",
                 "service_max = 5"):
        check(want in out, f"no {want!r} in:\n{out}")


@test
def dump_round_trip_xinetd(t):
    """Debian's xinetd files, enabled but for xinetd's own two, and a
    file with limits, redirect and server_args: -T of -T's output is
    identical."""
    conf = copy_debian(t, enable=True)
    d = os.path.dirname(conf)
    for name in ("servers", "services"):
        os.remove(os.path.join(d, "xinetd.d", name))
    round_trip(t, conf, "-x")
    port = t.port()
    path = t.path("x.conf")
    with open(path, "w") as f:
        f.write(service(port, "\tper_source = 2\n\tinstances = 4\n"
                            "\tcps = 3 1\n\tserver_args = -u") +
                f"""
service fwd
{{
	type = UNLISTED
	port = {t.port()}
	bind = 127.0.0.1
	socket_type = stream
	wait = no
	redirect = ::1 {port}
}}
""")
    round_trip(t, path, "-x")


@test
def xinetd2inetd(t):
    """contrib/xinetd2inetd writes what -T prints, with inetd's messages
    as comments; inetd reads its output as it is."""
    port = t.port()
    src = t.path("xinetd.conf")
    with open(src, "w") as f:
        f.write(service(port, "\tcps = 5 10\n\tbanner = /etc/issue"))
    done = subprocess.run([os.path.join(TOP, "contrib", "xinetd2inetd"),
                           src], capture_output=True, timeout=STOP_TIMEOUT,
                          env=daemon_env({"INETD": harness.INETD}))
    out = done.stdout.decode()
    check(done.returncode == 0, f"status {done.returncode}: {done.stderr}")
    check(f"# {src}:12: cat: banner is not applied" in out and
          "banner is not applied" in done.stderr.decode(),
          f"warning not kept:\n{out}")
    conf = t.path("inetd.conf")
    with open(conf, "w") as f:
        f.write(out)
    d = t.daemon(open(conf).read().splitlines())
    check(d.ready == 1, f"{d.ready} services listening")
    with held(port):
        pass


@test
def reload_xinetd(t):
    """SIGHUP reads the -x file again: a service added to it opens, the
    one kept keeps serving."""
    first, second = t.port(), t.port()
    d = xinetd(t, service(first))
    with open(d.conf, "a") as f:
        f.write(service(second, name="cat2"))
    d.reload()
    for port in (first, second):
        check(_served(port), f"port {port} not served after the reload")


@test
def limits_applied(t):
    """nice, umask and rlimit_files are the key-values options of the same
    names: the server runs with them (read by the probe), and -T prints
    them."""
    port = t.port()
    text = service(port, "\tnice = 7\n\tumask = 027\n\trlimit_files = 77",
                   name="probe", server=t.probe())
    d = xinetd(t, text)
    with tcp(port) as s:
        got = recv_to_eof(s).decode(errors="replace").splitlines()
    for want in ("nice 7", "umask 027", "limit Max_open_files 77 77"):
        check(want in got, f"no {want!r} in the probe's report: {got}")
    status, out, err = run_inetd(["-T", "-x", d.conf])
    check(status == 0 and "nice = 7,\n\tumask = 027,\n\trlimit_files = 77;"
          in out, f"-T: {status} {err}\n{out}")


def served_from(port, source):
    """Whether a cat on port echoes to a client bound to source."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(IO_TIMEOUT)
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        try:
            s.sendall(b"ping\n")
            return recv_to_eof_or(s) == b"ping\n"
        except (ConnectionResetError, BrokenPipeError):
            return False


def recv_to_eof_or(s):
    """What comes before EOF, or before a pause of a second."""
    s.settimeout(1.0)
    data = b""
    for _ in steps(IO_TIMEOUT):
        try:
            chunk = s.recv(100)
        except socket.timeout:
            return data
        if not chunk:
            return data
        data += chunk
    return data


@test
def only_from(t):
    """only_from and no_access decide who connects, as in xinetd: the
    defaults' list, a service's += and -=."""
    a, b = t.port(), t.port()
    xinetd(t, "defaults\n{\n\tonly_from = 127.0.0.2 127.0.0.3\n}\n" +
           service(a, "\tonly_from -= 127.0.0.3") +
           service(b, "\tonly_from += 127.0.0.1\n"
                   "\tno_access = 127.0.0.2", name="cat2"))
    check(served_from(a, "127.0.0.2"), "127.0.0.2 refused by only_from")
    check(not served_from(a, "127.0.0.1"), "127.0.0.1 served: not in "
          "only_from")
    check(not served_from(a, "127.0.0.3"), "127.0.0.3 served: taken out "
          "by -=")
    check(served_from(b, "127.0.0.1"), "127.0.0.1 refused: added by +=")
    check(not served_from(b, "127.0.0.2"), "127.0.0.2 served: no_access")


@test
def only_from_refused(t):
    """An only_from form inetd does not take (a host name, xinetd's
    .domain form), or one on a wait stream server, whose clients inetd
    never sees, refuses the entry: it does not open to all."""
    ports = [t.port() for _ in range(4)]
    attrs = ["only_from = localhost", "only_from = .example.com",
             "no_access = example.com",
             "only_from = 127.0.0.1\n\twait = yes"]
    text = "".join(service(p, "\t" + a, name=f"s{i}")
                   for i, (p, a) in enumerate(zip(ports, attrs)))
    path = t.path("acl.conf")
    with open(path, "w") as f:
        f.write(text)       # the last service's wait = yes replaces no
    status, out, err = run_inetd(["-T", "-x", path])
    check(status == 1 and out == "", f"status {status}, -T:\n{out}")
    for i in range(4):
        check(re.search(rf"{re.escape(path)}:\d+: s{i}/tcp4: "
                        r"(only_from|no_access)", err),
              f"s{i} not refused by its access list:\n{err}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
