#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Integration tests of the access and binding keys of inetd.conf(5):
only_from, no_access, env, passenv, bind_device and freebind.

Clients come from 127.0.0.1, 127.0.0.2 (any 127/8 address is a source on
loopback) and ::1; a refused one gets nothing and is logged.  The effect
of env and passenv is read by env(1) started as the server, that of
bind_device by the probe on the socket it inherits, and freebind is tried
on an address that is not up, in a private network namespace.

usage: test_acl.py [INETD] [TEST ...]  (see harness.py)
"""

import os
import shutil
import socket
import subprocess
import sys

import harness
from harness import *  # noqa: F401,F403

ENV = "/usr/bin/env"
SERVER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
REFUSED = "refused by only_from/no_access"
DAEMON_ENV = {"INETD_TEST_MARKER": "marked", "INETD_TEST_OTHER": "other"}


def kv(bind, port, socktype="stream", protocol="tcp", wait="no",
       exec_=ENV, args="env", **keys):
    """A key-values definition; keys' values are written as given."""
    host = f"[{bind}]" if ":" in bind else bind
    words = [f"socktype = {socktype}", f"protocol = {protocol}",
             f"wait = {wait}", f"user = {ME}", f"exec = {exec_}"]
    if args:
        words.append(f"args = {args}")
    words += [f"{k} = {v}" for k, v in keys.items()]
    return f"{host}:{port} on " + ", ".join(words) + ";"


def tcp_from(port, source, host="127.0.0.1"):
    """Connect to host:port from the address source; what the server
    sent, up to EOF."""
    s = socket.socket(family_of(host), socket.SOCK_STREAM)
    s.settimeout(IO_TIMEOUT)
    try:
        s.bind((source, 0))
        s.connect((host, port))
        return recv_to_eof(s)
    finally:
        s.close()


def served(port, source, host="127.0.0.1"):
    """Whether a connection from source got the server's output (env's
    PATH line)."""
    return b"PATH=" in tcp_from(port, source, host)


def udp_from(port, source, data, host="127.0.0.1", seconds=1):
    """The answer to a datagram sent from source, or None."""
    with udp_socket(source) as s:
        s.sendto(data, (host, port))
        return udp_reply(s, host, port, seconds)


def need_ipv6():
    if not ipv6_usable():
        raise Skip("no ::1")


def check_refused(d, source):
    d.wait_log(REFUSED, source)


# ------------------------------------------------------------ only_from

@test
def only_from_address(t):
    """only_from = 127.0.0.1: 127.0.0.2 is refused without any server,
    and logged with the service and its address."""
    port = t.port()
    d = t.daemon([kv("127.0.0.1", port, only_from="127.0.0.1")])
    check(served(port, "127.0.0.1"), "127.0.0.1 not served")
    check(tcp_from(port, "127.0.0.2") == b"", "127.0.0.2 got an answer")
    line = d.wait_log(REFUSED, "127.0.0.2")
    check(f"{port}/tcp" in line, f"no service in {line!r}")


@test
def only_from_dual_stack(t):
    """On a dual-stack socket an IPv4 client is matched as IPv4, and an
    IPv6 one against the IPv6 rules, which hold none here."""
    need_ipv6()
    port = t.port(v6=True)
    d = t.daemon([kv("::", port, protocol="tcp46",
                     only_from="127.0.0.1")])
    check(served(port, "127.0.0.1"), "::ffff:127.0.0.1 not served")
    check(tcp_from(port, "127.0.0.2") == b"", "127.0.0.2 got an answer")
    check(tcp_from(port, "::1", "::1") == b"", "::1 got an answer")
    check_refused(d, "127.0.0.2")


@test
def only_from_cidr_ipv6(t):
    need_ipv6()
    port = t.port(v6=True)
    t.daemon([kv("::1", port, protocol="tcp6", only_from="::1/128"),
              kv("127.0.0.1", port, only_from="::1 127.0.0.2/32")])
    check(served(port, "::1", "::1"), "::1 not served")
    check(served(port, "127.0.0.2"), "127.0.0.2 not served")
    check(tcp_from(port, "127.0.0.1") == b"", "127.0.0.1 got an answer")


@test
def no_access(t):
    port = t.port()
    d = t.daemon([kv("127.0.0.1", port, no_access="127.0.0.2")])
    check(served(port, "127.0.0.1"), "127.0.0.1 not served")
    check(served(port, "127.0.0.3"), "127.0.0.3 not served")
    check(tcp_from(port, "127.0.0.2") == b"", "127.0.0.2 got an answer")
    check_refused(d, "127.0.0.2")


@test
def both_lists(t):
    """The longer prefix decides, whichever list it is in."""
    port, port2 = t.port(), t.port()
    t.daemon([kv("127.0.0.1", port, only_from="127.0.0.0/8",
                 no_access="127.0.0.2"),
              kv("127.0.0.1", port2, only_from="127.0.0.2",
                 no_access="127.0.0.0/8")])
    check(served(port, "127.0.0.1"), "127.0.0.1 not served")
    check(tcp_from(port, "127.0.0.2") == b"", "127.0.0.2 served")
    check(served(port2, "127.0.0.2"), "127.0.0.2 not let in")
    check(tcp_from(port2, "127.0.0.1") == b"", "127.0.0.1 served")


@test
def stream_builtin_refused(t):
    """A builtin the daemon serves itself asks too."""
    port = t.port()
    d = t.daemon([kv("127.0.0.1", port, exec_="internal", args="daytime",
                     only_from="127.0.0.1")])
    check(tcp_from(port, "127.0.0.1") != b"", "127.0.0.1 not served")
    check(tcp_from(port, "127.0.0.2") == b"", "127.0.0.2 got the time")
    check_refused(d, "127.0.0.2")


@test
def datagram_builtin_refused(t):
    port = t.port()
    d = t.daemon([kv("127.0.0.1", port, socktype="dgram", protocol="udp",
                     wait="yes", exec_="internal", args="echo",
                     only_from="127.0.0.1")])
    check(udp_from(port, "127.0.0.1", b"hi") == b"hi", "no echo")
    check(udp_from(port, "127.0.0.2", b"hi") is None, "127.0.0.2 echoed")
    check_refused(d, "127.0.0.2")


@test
def datagram_server_refused(t):
    """A datagram server is not started for a refused sender: its
    datagram is dropped; an allowed one's starts it."""
    port = t.port()
    probe = t.probe()
    d = t.daemon([kv("127.0.0.1", port, socktype="dgram", protocol="udp",
                     wait="yes", exec_=probe, args="probe -R",
                     no_access="127.0.0.2")])
    check(udp_from(port, "127.0.0.2", b"x") is None, "127.0.0.2 answered")
    check_refused(d, "127.0.0.2")
    reply = udp_from(port, "127.0.0.1", b"x", seconds=IO_TIMEOUT)
    check(reply is not None and b"sigign" in reply, "127.0.0.1 unanswered")


@test
def forward_refused(t):
    """The forward builtin, over TCP and UDP, asks before it connects
    or makes an association."""
    port, echo = t.port(), t.port()
    d = t.daemon([
        f"127.0.0.1:{echo} stream tcp nowait {ME} internal echo",
        f"127.0.0.1:{echo} dgram udp wait {ME} internal echo",
        kv("127.0.0.1", port, exec_="internal",
           args=f"forward 127.0.0.1:{echo}", only_from="127.0.0.1"),
        kv("127.0.0.1", port, socktype="dgram", protocol="udp", wait="yes",
           exec_="internal", args=f"forward 127.0.0.1:{echo}",
           only_from="127.0.0.1")])
    with tcp(port) as s:
        check(exchange(s, b"ping\n") == b"ping\n",
              "not forwarded")
    check(tcp_from(port, "127.0.0.2") == b"", "127.0.0.2 forwarded")
    check(udp_from(port, "127.0.0.1", b"hi", seconds=IO_TIMEOUT) == b"hi",
          "datagram not forwarded")
    check(udp_from(port, "127.0.0.2", b"hi") is None,
          "127.0.0.2's datagram forwarded")
    check_refused(d, "127.0.0.2")


@test
def empty_only_from(t):
    """only_from with no value: nobody, as in xinetd."""
    port = t.port()
    d = t.daemon([kv("127.0.0.1", port, only_from="")])
    check(tcp_from(port, "127.0.0.1") == b"", "127.0.0.1 got an answer")
    check_refused(d, "127.0.0.1")


# --------------------------------------------------------- refused keys

def check_t(t, lines, *want):
    """inetd -t on lines fails, with a FILE:LINE message with want."""
    conf = t.path("check.conf")
    with open(conf, "w") as f:
        f.write("".join(line + "\n" for line in lines))
    done = subprocess.run([harness.INETD, "-t", conf], capture_output=True,
                          text=True, timeout=30)
    check(done.returncode != 0, f"-t passed: {done.stderr!r}")
    check(f"{conf}:1: " in done.stderr and
          all(w in done.stderr for w in want),
          f"-t said {done.stderr!r}, want {want!r}")


@test
def refused_keys(t):
    port = t.port()
    check_t(t, [kv("127.0.0.1", port, only_from="localhost")],
            "only_from", "localhost", "names are not supported")
    check_t(t, [kv("127.0.0.1", port, no_access=".example.org")],
            "no_access", "domain names")
    check_t(t, [kv("127.0.0.1", port, only_from="10.0.0.0/33")],
            "only_from", "not an address")
    check_t(t, [kv("127.0.0.1", port, wait="yes", exec_=t.probe(),
                   args="probe -A", only_from="127.0.0.1")],
            "wait stream")
    check_t(t, [kv("127.0.0.1", port, env="REMOTE_ADDR=192.0.2.1")],
            "env", "REMOTE_ADDR", "describes the connection")
    check_t(t, [kv("127.0.0.1", port, env="A=1 A=2")], "given twice")
    check_t(t, [kv("127.0.0.1", port, passenv="A=1")], "passenv")
    check_t(t, [kv("127.0.0.1", port, exec_="internal", args="echo",
                   env="A=1")], "builtin")
    check_t(t, [kv("127.0.0.1", port,
                   bind_device="a-name-far-too-long")], "bind_device")
    check_t(t, [kv("127.0.0.1", port, freebind="maybe")], "freebind")


# -------------------------------------------------------------- env

def env_of(port):
    with tcp(port) as s:
        text = recv_to_eof(s).decode(errors="replace")
    return dict(line.partition("=")[::2] for line in text.splitlines())


def entry_vars(env):
    """What is left of a server's environment without the variables of
    its connection."""
    conn = ("REMOTE_", "PROTO", "TCP")
    return {k: v for k, v in env.items() if not k.startswith(conn)}


@test
def env_and_passenv(t):
    """env adds and replaces, passenv takes what it names of inetd's
    environment and nothing else of it, even with -E."""
    port, port2, port3 = t.port(), t.port(), t.port()
    t.daemon([kv("127.0.0.1", port, env='"GREETING=hello world" LANG=C'),
              kv("127.0.0.1", port2, passenv="INETD_TEST_MARKER NOT_SET",
                 env="PATH=/opt/bin"),
              kv("127.0.0.1", port3, passenv="")],
             flags=("-E",), env=DAEMON_ENV)
    env = entry_vars(env_of(port))
    check(env.get("GREETING") == "hello world" and env.get("LANG") == "C",
          f"env not set: {env}")
    check(env.get("INETD_TEST_OTHER") == "other", f"-E lost: {env}")
    check(entry_vars(env_of(port2)) == {"PATH": "/opt/bin",
                                        "INETD_TEST_MARKER": "marked"},
          f"passenv: {entry_vars(env_of(port2))}")
    check(entry_vars(env_of(port3)) == {"PATH": SERVER_PATH},
          f"empty passenv: {entry_vars(env_of(port3))}")
    check(env_of(port3).get("REMOTE_ADDR") == "127.0.0.1",
          "connection variables lost")


# ---------------------------------------------------------- binding

def probe_device(port):
    return probe_report(port)["device"]


@test
def bind_device_lo(t):
    """bind_device = lo on the socket a wait server inherits; a reload
    that drops it gives a new socket, not bound."""
    if not IS_ROOT:
        raise Skip("SO_BINDTODEVICE needs CAP_NET_RAW")
    port = t.port()
    probe = t.probe()
    d = t.daemon([kv("127.0.0.1", port, wait="yes", exec_=probe,
                     args="probe -A", bind_device="lo")])
    check(probe_device(port) == "lo", "not bound to lo")
    with open(d.conf, "w") as f:
        f.write(kv("127.0.0.1", port, wait="yes", exec_=probe,
                   args="probe -A") + "\n")
    d.reload()
    found = wait_until(lambda: probe_device(port) == "(none)", IO_TIMEOUT)
    check(found, "still bound to lo after the reload")


# lo up, so that the kernel knows which addresses are the machine's.
NETNS_SCRIPT = 'ip link set lo up && exec "$0" "$@"'


def netns_daemon(t, keys, name):
    unshare, ip = shutil.which("unshare"), shutil.which("ip")
    if unshare is None or ip is None or not IS_ROOT:
        raise Skip("needs unshare(1), ip(8) and root")
    if subprocess.run([unshare, "-n", "true"]).returncode != 0:
        raise Skip("no network namespace")
    port = t.port()
    return t.daemon([kv("192.0.2.1", port, **keys),
                     kv("2001:db8::1", port, protocol="tcp6", **keys)],
                    wrapper=[unshare, "-n", "sh", "-c", NETNS_SCRIPT],
                    name=name)


@test
def freebind(t):
    """In a network namespace of its own, where 192.0.2.1 and
    2001:db8::1 are not up, entries with freebind listen on them, and
    entries without cannot bind."""
    d = netns_daemon(t, {"freebind": "yes"}, "freebind")
    check(d.ready == 2, f"{d.ready} services listening with freebind")
    d = netns_daemon(t, {}, "plain")
    check(d.ready == 0, "listening on an address that is not up")
    d.wait_log("192.0.2.1", "bind")
    d.wait_log("2001:db8::1", "bind")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
