#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Integration tests of TCP wrappers: -w (servers), -W (builtins).

libwrap reads /etc/hosts.allow and /etc/hosts.deny.  The tests never touch
the machine's: each daemon runs in a private mount namespace (unshare -m,
propagation private) where the test's own files are bind-mounted over
those two, so only that daemon and its children see them.  Clients come
from 127.0.0.1, and from 127.0.0.2 where a rule must tell two apart.

usage: test_wrap.py [INETD] [TEST ...]  (see harness.py)
"""

import os
import select
import shutil
import socket
import sys

import harness
from harness import *  # noqa: F401,F403

OTHER = "127.0.0.2"     # a second loopback client address

# Runs as: sh -c MOUNT_RULES sh ALLOW DENY SERVICES DAEMON-ARGV...
MOUNT_RULES = """\
set -e
allow=$1 deny=$2 services=$3
shift 3
if [ -f /etc/hosts.allow ] && [ -f /etc/hosts.deny ]; then
	mount --bind "$allow" /etc/hosts.allow
	mount --bind "$deny" /etc/hosts.deny
	mount --bind "$services" /etc/services
else
	# Nothing to mount over: a copy of /etc with the files, over /etc.
	etc=$(dirname "$allow")/etc
	cp -a /etc "$etc"
	cp "$allow" "$etc/hosts.allow"
	cp "$deny" "$etc/hosts.deny"
	cp "$services" "$etc/services"
	mount --bind "$etc" /etc
fi
exec "$@"
"""


def wrapped(t, lines, allow=(), deny=(), flags=("-w", "-W"), name="inetd",
            services=(), **kw):
    """A daemon that sees the rules allow and deny (lists of lines) as
    its /etc/hosts.allow and /etc/hosts.deny, and /etc/services with the
    lines services added."""
    if not IS_ROOT:
        raise Skip("not root: a private mount namespace needs "
                   "CAP_SYS_ADMIN")
    unshare = shutil.which("unshare")
    if unshare is None:
        raise Skip("unshare(1) not installed")
    paths = []
    for table, rules in (("allow", allow), ("deny", deny)):
        path = t.path(f"{name}.hosts.{table}")
        with open(path, "w") as f:
            f.write("".join(rule + "\n" for rule in rules))
        os.chmod(path, 0o644)
        paths.append(path)
    path = t.path(f"{name}.services")
    with open("/etc/services") as machine, open(path, "w") as f:
        f.write(machine.read() + "".join(line + "\n" for line in services))
    paths.append(path)
    return t.daemon(lines, flags=flags, name=name, wrapper=[
        unshare, "-m", "--propagation", "private", "--",
        "/bin/sh", "-c", MOUNT_RULES, "sh", *paths], **kw)


def connect_from(port, source="127.0.0.1", host="127.0.0.1"):
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                      socket.SOCK_STREAM)
    s.settimeout(IO_TIMEOUT)
    try:
        s.bind((source, 0))
        s.connect((host, port))
    except OSError as e:
        s.close()
        raise Fail(f"connect from {source} to port {port}: {e}") from None
    return s


def refused(port, source="127.0.0.1", host="127.0.0.1"):
    """True if the service closes the connection without a byte."""
    with connect_from(port, source, host) as s:
        return recv_to_eof(s) == b""


def check_refused(d, port, service, program, source="127.0.0.1",
                  host="127.0.0.1"):
    check(refused(port, source, host), f"{service} served {source}")
    d.wait_log(f"refused connection from {source}, service {service} "
               f"({program})")


def udp_from(source, port, data, seconds=1.0):
    """Send one datagram from source to 127.0.0.1; the answer or None."""
    with udp_socket(source) as s:
        s.sendto(data, ("127.0.0.1", port))
        return udp_reply(s, "127.0.0.1", port, seconds)


@test
def deny_all(t):
    """ALL: ALL in hosts.deny with -wW: a server and the builtins, forked
    or answered at once, are closed without anything run, and logged.
    The machine's own files stay as they were."""
    with open("/etc/hosts.allow", "rb") as f:
        host_allow = f.read()
    probe, echo, daytime = t.port(), t.port(), t.port()
    d = wrapped(t, [f"127.0.0.1:{probe} stream tcp nowait {ME} {t.probe()}",
                    f"127.0.0.1:{echo} stream tcp nowait {ME} internal echo",
                    f"127.0.0.1:{daytime} stream tcp nowait {ME} "
                    "internal daytime"], deny=["ALL: ALL"])
    check_refused(d, probe, "probe", t.probe())
    check_refused(d, echo, "echo", "internal")
    check_refused(d, daytime, "daytime", "internal")
    check(not d.log_lines("exited with status"), "a refused child failed")
    with open("/etc/hosts.allow", "rb") as f:
        check(f.read() == host_allow, "the machine's /etc/hosts.allow "
              "changed")


@test
def allow_overrides_deny(t):
    """A hosts.allow rule wins over ALL: ALL in hosts.deny; with -l the
    allowed connection is logged; the server it starts inherits nothing
    of the check (fds 0-2 only, default signals)."""
    probe, echo, daytime = t.port(), t.port(), t.port()
    d = wrapped(t, [f"127.0.0.1:{probe} stream tcp nowait {ME} {t.probe()}",
                    f"127.0.0.1:{echo} stream tcp nowait {ME} internal echo",
                    f"127.0.0.1:{daytime} stream tcp nowait {ME} "
                    "internal daytime"],
                allow=["probe: 127.0.0.1", "echo: 127.0.0.1"],
                deny=["ALL: ALL"], flags=("-w", "-W", "-l"))
    r = probe_report(probe)
    check(sorted(r["fd"]) == [0, 1, 2], f"server's fds {r['fd']}")
    for key in ("sigblk", "sigign"):
        check(int(r[key], 16) & ~GLIBC_SIGNALS == 0, f"{key} {r[key]}")
    check_tcp_builtin("echo", echo)
    check_refused(d, daytime, "daytime", "internal")
    d.wait_log(f"connection from 127.0.0.1, service probe ({t.probe()})")
    d.wait_log("connection from 127.0.0.1, service echo (internal)")


@test
def service_specific_rules(t):
    """Rules name a builtin by its name, and a server by the basename of
    its argv[0], whatever its port: only those named are refused."""
    echo, daytime, named, plain = (t.port() for _ in range(4))
    d = wrapped(t, [f"127.0.0.1:{echo} stream tcp nowait {ME} internal echo",
                    f"127.0.0.1:{daytime} stream tcp nowait {ME} "
                    "internal daytime",
                    f"127.0.0.1:{named} stream tcp nowait {ME} {t.probe()} "
                    "/some/where/myname",
                    f"127.0.0.1:{plain} stream tcp nowait {ME} {t.probe()} "
                    "probe"],
                deny=["echo, myname: ALL"])
    check_refused(d, echo, "echo", "internal")
    check_tcp_builtin("daytime", daytime)
    check_refused(d, named, "myname", t.probe())
    check(probe_report(plain)["argv"] == ["probe"], "probe not served")


def greeter(t, service, program="greeter"):
    """A server that says hello, under the program name given."""
    return f"127.0.0.1:{service} stream tcp nowait {ME} /bin/echo " \
        f"{program} hello"


def greeters(t, *names):
    """Ports for service names, and their lines for /etc/services.  (A
    number in a rule's daemon list matches the server's port.)"""
    ports = [t.port() for _ in names]
    return ports, [f"{n} {p}/tcp" for n, p in zip(names, ports)]


def greeted(port, source="127.0.0.1"):
    with connect_from(port, source) as s:
        return recv_to_eof(s) == b"hello\n"


@test
def service_name_rules(t):
    """A server is also known to the rules by its service field: a rule
    of hosts.allow for it wins over ALL: ALL in hosts.deny, and a rule of
    hosts.deny for it refuses, as one for the program's name would."""
    (allowed, denied), services = greeters(t, "wrapok", "wrapno")
    d = wrapped(t, [greeter(t, "wrapok")], allow=["wrapok: 127.0.0.1"],
                deny=["ALL: ALL"], services=services)
    check(greeted(allowed), "allowed by its service name: not served")
    check(not greeted(allowed, OTHER), f"served {OTHER}")
    d.wait_log(f"refused connection from {OTHER}, service greeter "
               "(/bin/echo)")
    d = wrapped(t, [greeter(t, "wrapno")], deny=["wrapno: 127.0.0.1"],
                services=services, name="denying")
    check(not greeted(denied), "refused by its service name: served")
    d.wait_log("refused connection from 127.0.0.1, service wrapno "
               "(/bin/echo)")
    check(greeted(denied, OTHER), f"{OTHER} not served")


@test
def refusing_rule_wins(t):
    """Rules with options in hosts.allow alone: when the rule for one
    name refuses and the other's grants, whichever comes first, the
    client is refused."""
    (first, last), services = greeters(t, "wrapfirst", "wraplast")
    d = wrapped(t, [greeter(t, "wrapfirst"),
                    greeter(t, "wraplast", "greeter2")],
                allow=["wrapfirst: 127.0.0.1: DENY",
                       "greeter: ALL: ALLOW",
                       "wraplast: ALL: ALLOW",
                       "greeter2: 127.0.0.1: DENY"], services=services)
    check(not greeted(first), "refused by the service's rule: served")
    d.wait_log("refused connection from 127.0.0.1, service wrapfirst ")
    check(not greeted(last), "refused by the program's rule: served")
    d.wait_log("refused connection from 127.0.0.1, service greeter2 ")


@test
def options_run_once(t):
    """Finding which name decides runs no option: the spawn of the
    deciding rule runs once per connection, and twist replaces the
    server, though the rules were read more than once."""
    (spawned, twisted), services = greeters(t, "wrapspawn", "wraptwist")
    mark = t.path("spawned")
    d = wrapped(t, [greeter(t, "wrapspawn"), greeter(t, "wraptwist")],
                allow=[f"wrapspawn: 127.0.0.1: spawn (echo %d >> {mark})",
                       "wraptwist: 127.0.0.1: twist /bin/echo twisted"],
                deny=["ALL: ALL"], services=services)
    for _ in range(2):
        check(greeted(spawned), "not served")
    check(wait_until(lambda: os.path.exists(mark) and
                     open(mark).read().count("\n") >= 2, IO_TIMEOUT),
          "spawn did not run")
    with open(mark) as f:
        lines = f.read().splitlines()
    check(lines == ["wrapspawn"] * 2,
          f"spawn ran as {lines}, want once a connection")
    # Refused, twist would leave the greeter to answer.
    with connect_from(twisted) as s:
        check_bytes(recv_to_eof(s), b"twisted\n", "twist")


@test
def netmask_patterns(t):
    """ALL: 127.0.0.0/255.0.0.0 allows loopback clients (bar one EXCEPT
    names); a rule for another network does not."""
    echo, probe = t.port(), t.port()
    lines = [f"127.0.0.1:{echo} stream tcp nowait {ME} internal echo",
             f"127.0.0.1:{probe} stream tcp nowait {ME} {t.probe()}"]
    d = wrapped(t, lines, allow=[f"ALL: 127.0.0.0/255.0.0.0 EXCEPT {OTHER}"],
                deny=["ALL: ALL"])
    check_tcp_builtin("echo", echo)
    probe_report(probe)
    check_refused(d, echo, "echo", "internal", source=OTHER)
    check_refused(d, probe, "probe", t.probe(), source=OTHER)
    e2, p2 = t.port(), t.port()
    other = wrapped(t, [f"127.0.0.1:{e2} stream tcp nowait {ME} "
                        "internal echo",
                        f"127.0.0.1:{p2} stream tcp nowait {ME} "
                        f"{t.probe()}"],
                    allow=["ALL: 10.0.0.0/255.0.0.0"], deny=["ALL: ALL"],
                    name="other")
    check_refused(other, e2, "echo", "internal")
    check_refused(other, p2, "probe", t.probe())


@test
def flags_select_what_is_checked(t):
    """-w checks servers only, -W builtins only, neither flag nothing; a
    stream wait server (it accepts its clients itself) is never checked."""
    rules = {"deny": ["ALL: ALL"]}
    for flags in ((), ("-w",), ("-W",)):
        name = "inetd" + "".join(flags)
        echo, probe, swait = t.port(), t.port(), t.port()
        d = wrapped(t, [f"127.0.0.1:{echo} stream tcp nowait {ME} "
                        "internal echo",
                        f"127.0.0.1:{probe} stream tcp nowait {ME} "
                        f"{t.probe()}",
                        f"127.0.0.1:{swait} stream tcp wait {ME} "
                        f"{t.probe()} probe -A"],
                    flags=flags, name=name, **rules)
        if "-W" in flags:
            check_refused(d, echo, "echo", "internal")
        else:
            check_tcp_builtin("echo", echo)
        if "-w" in flags:
            check_refused(d, probe, "probe", t.probe())
        else:
            probe_report(probe)
        probe_report(swait)


@test
def udp_builtin(t):
    """-W on a dgram builtin: each datagram's sender is checked in a
    child; refused ones are dropped and logged, allowed ones answered.
    A flood of refused datagrams neither spins the daemon nor shuts
    out allowed clients for long."""
    port = t.port()
    d = wrapped(t, [f"127.0.0.1:{port} dgram udp wait {ME} internal echo"],
                deny=[f"ALL: {OTHER}"], flags=("-W",))
    for i in range(3):
        check(udp_from(OTHER, port, b"no %d" % i, 0.3) is None,
              f"answered {OTHER}")
        check_bytes(udp(port, b"yes %d" % i), b"yes %d" % i, "echo")
    d.wait_log(f"refused connection from {OTHER}, service echo (internal)")
    with udp_socket(OTHER) as s:
        for i in range(300):
            s.sendto(b"flood %d" % i, ("127.0.0.1", port))
    check_idle(d.pid, seconds=2, most=0.3)
    kids = children_of(d.pid)
    check(len(kids) <= 1, f"{len(kids)} children for one socket")
    check_bytes(udp(port, b"after", tries=10), b"after", "echo after flood")


@test
def udp_builtin_twist(t):
    """A twist rule for a later datagram of a -W dgram builtin's child:
    libwrap refuses it (the child has checked a client before), and the
    child goes on answering the others (inetd.8)."""
    port = t.port()
    d = wrapped(t, [f"127.0.0.1:{port} dgram udp wait {ME} internal echo"],
                allow=[f"ALL: {OTHER}: twist /bin/echo twisted",
                       "ALL: 127.0.0.1"], deny=["ALL: ALL"], flags=("-W",))
    check_bytes(udp(port, b"first"), b"first", "echo")
    check(udp_from(OTHER, port, b"twist me", 0.5) is None,
          f"answered {OTHER}")
    d.wait_log(f"refused connection from {OTHER}, service echo (internal)")
    check_bytes(udp(port, b"after"), b"after", "echo after the twist rule")


UDP_SERVER = """\
import socket
s = socket.socket(fileno=0)
data, peer = s.recvfrom(4096)
s.sendto(b"%s:%d:" % (peer[0].encode(), peer[1]) + data, peer)
"""


@test
def udp_server(t):
    """-w on a dgram wait server: the sender of the datagram that would
    start it is checked; a refused one is read and dropped, so the server
    only ever sees what an allowed client sent."""
    script = t.path("udpserver.py")
    with open(script, "w") as f:
        f.write(UDP_SERVER)
    python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") \
        else os.path.realpath(sys.executable)
    port = t.port()
    d = wrapped(t, [f"127.0.0.1:{port} dgram udp wait {ME} {python} "
                    f"python3 {script}"], deny=[f"python3: {OTHER}"],
                flags=("-w",))
    for i in range(3):
        check(udp_from(OTHER, port, b"no %d" % i, 0.3) is None,
              f"{OTHER} was served")
        reply = udp(port, b"yes %d" % i)
        check(reply.startswith(b"127.0.0.1:") and
              reply.endswith(b":yes %d" % i), f"answer {reply!r}")
    d.wait_log(f"refused connection from {OTHER}, service python3 "
               f"({python})")
    check(not d.log_lines("exited with status"), "a server failed")


@test
def forked_echo_10mb_unread(t):
    """Under -W echo runs in a child: 10 MB sent without reading stalls
    it without spinning, and all of it comes back once read."""
    port = t.port()
    d = wrapped(t, [f"127.0.0.1:{port} stream tcp nowait {ME} internal echo"],
                flags=("-W",))
    data = os.urandom(10 << 20)
    with tcp(port) as s:
        s.setblocking(False)
        sent = 0
        for _ in steps(3):
            try:
                sent += s.send(data[sent:sent + 65536])
            except BlockingIOError:
                if not select.select([], [s], [], 0.5)[1]:
                    break
        kids = [p for p, st in children_of(d.pid).items() if st != "Z"]
        check(len(kids) == 1, f"{len(kids)} children serving echo")
        check_idle(kids[0], what="echo child")
        check_idle(d.pid)
        got = exchange(s, data[sent:], want=len(data), seconds=60)
    check_bytes(got, data, "echo of 10 MB read late")


@test
def forward_tcp(t):
    """The forward builtin over TCP is checked under -W, in a child: an
    allowed client reaches the target, a refused one not."""
    target, port = t.port(), t.port()
    d = wrapped(t, [f"127.0.0.1:{target} stream tcp nowait {ME} "
                    "internal echo",
                    f"127.0.0.1:{port} stream tcp nowait {ME} "
                    f"internal forward 127.0.0.1:{target}"],
                deny=[f"ALL: {OTHER}"], flags=("-W",))
    check_tcp_builtin("echo", port)
    check(refused(port, source=OTHER), f"forward served {OTHER}")
    d.wait_log(f"refused connection from {OTHER}, service ", "(internal)")


@test
def ipv6_rules(t):
    """[::1] in a rule matches an IPv6 client."""
    if not ipv6_usable():
        raise Skip("no ::1")
    echo, daytime = t.port(v6=True), t.port(v6=True)
    d = wrapped(t, [f"[::1]:{echo} stream tcp6 nowait {ME} internal echo",
                    f"[::1]:{daytime} stream tcp6 nowait {ME} "
                    "internal daytime"],
                allow=["echo: [::1]"], deny=["ALL: ALL"])
    check_tcp_builtin("echo", echo, "::1")
    check_refused(d, daytime, "daytime", "internal", source="::1",
                  host="::1")


@test
def dual_stack_ipv4_rules(t):
    """An IPv4 client of a plain tcp entry (one dual-stack socket) is
    matched by the IPv4 rules, as it would be on an IPv4 socket."""
    if not ipv6_usable():
        raise Skip("no ::1")
    echo, probe = t.port(v6=True), t.port(v6=True)
    d = wrapped(t, [f"{echo} stream tcp nowait {ME} internal echo",
                    f"{probe} stream tcp nowait {ME} {t.probe()}"],
                allow=["ALL: 127.0.0.1"], deny=["ALL: ALL"])
    check_tcp_builtin("echo", echo)
    probe_report(probe)
    check_refused(d, echo, "echo", "internal", source=OTHER)
    check_refused(d, probe, "probe", t.probe(), source=OTHER)


@test
def tcpmux_service(t):
    """-w checks the program a tcpmux client names, under its basename,
    before inetd says "+Go"; -W checks tcpmux itself."""
    port = t.port()
    d = wrapped(t, [f"127.0.0.1:{port} stream tcp nowait root internal "
                    "tcpmux",
                    f"tcpmux/+cat stream tcp nowait {ME} /bin/cat cat"],
                allow=[f"tcpmux: 127.0.0.1 {OTHER}", "cat: 127.0.0.1"],
                deny=["ALL: ALL"])
    with connect_from(port) as s:
        s.sendall(b"cat\r\nhi\n")
        check_bytes(recv_exact(s, 8), b"+Go\r\nhi\n", "allowed client")
    with connect_from(port, OTHER) as s:
        s.sendall(b"cat\r\n")
        check(recv_to_eof(s) == b"", f"cat served {OTHER}")
    d.wait_log(f"refused connection from {OTHER}, service cat (/bin/cat)")


@test
def only_from_in_datagram_child(t):
    """-W: the child answering a datagram builtin asks the entry's
    only_from of each sender, as the daemon asked the first one's."""
    port = t.port()
    wrapped(t, [f"127.0.0.1:{port} on socktype = dgram, protocol = udp, "
                f"wait = yes, user = {ME}, exec = internal, args = echo, "
                "only_from = 127.0.0.1;"], allow=["ALL: ALL"])
    with udp_socket("127.0.0.1") as mine, udp_socket(OTHER) as other:
        mine.sendto(b"one", ("127.0.0.1", port))
        check(udp_reply(mine, "127.0.0.1", port, IO_TIMEOUT) == b"one",
              "no echo for 127.0.0.1")
        # The child lingers for a second: it gets this one.
        other.sendto(b"two", ("127.0.0.1", port))
        check(udp_reply(other, "127.0.0.1", port, 0.5) is None,
              f"{OTHER} echoed by the child")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
