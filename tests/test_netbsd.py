#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Integration tests of NetBSD's inetd.conf syntax: the key-values
notation (definitions over lines, several on a line, comments, quoted
values with escapes, off entries), the positional extensions (socket
buffer sizes, accept-max and the accept filter, wait:max) and .include
patterns (-f: test_system.py).  Each effect is read over a real connection:
the probe reports the buffers and TCP_DEFER_ACCEPT of the socket it
inherited, and the limits are driven by clients.

usage: test_netbsd.py [INETD] [TEST ...]  (see harness.py)
"""

import os
import socket
import subprocess
import sys

import harness
from harness import *  # noqa: F401,F403


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)


def run_check(conf):
    """inetd -t CONF: (exit status, stderr)."""
    done = subprocess.run([harness.INETD, "-t", conf],
                          stdin=subprocess.DEVNULL, capture_output=True,
                          env=daemon_env(), timeout=STOP_TIMEOUT)
    err = done.stderr.decode(errors="replace")
    report = sanitizer_report(err)
    check(not report, f"sanitizer: {report}")
    return done.returncode, err


def kernel_size(size, which):
    """What SO_SNDBUF/SO_RCVBUF reads back after setting size: capped
    at net.core.wmem_max/rmem_max, then doubled (socket(7))."""
    with open(f"/proc/sys/net/core/{which}_max") as f:
        return 2 * min(size, int(f.read()))


def held(port, source="127.0.0.1"):
    """A connection to a cat, which keeps running while it is open."""
    s = socket.socket()
    s.settimeout(IO_TIMEOUT)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    s.sendall(b"hi\n")
    check_bytes(recv_exact(s, 3), b"hi\n", "cat's echo")
    return s


def cat_kv(port, *keys):
    return (f"127.0.0.1:{port} on protocol = tcp, wait = no, user = {ME},"
            f" exec = /bin/cat, args = cat{''.join(', ' + k for k in keys)};")


# ------------------------------------------------------------ key-values

@test
def kv_definition_serves(t):
    """The issue's definition, over lines with comments in it: an
    internal echo, and a program started with its arguments."""
    echo, prog = t.port(), t.port()
    probe = t.probe()
    d = t.daemon([
        f"127.0.0.1:{echo} on socktype = stream, protocol = tcp, "
        f"wait = no, user = {ME}, args = echo;",
        f"127.0.0.1:{prog} on   # the probe; a ';' in a comment",
        "    protocol = tcp,",
        "# a comment line inside the definition, user = root;",
        f"user = {ME}, wait = no,",
        f"    exec = {probe}, args = probe 'two words' \"x#y;z\";",
    ])
    check(d.ready == 2, f"{d.ready} services listening, want 2")
    with tcp(echo) as s:
        s.sendall(b"ping\n")
        check_bytes(recv_exact(s, 5), b"ping\n", "echo")
    report = probe_report(prog)
    check(report["argv"] == ["probe", "two words", "x#y;z"],
          f"argv {report['argv']}")


@test
def kv_escapes_reach_server(t):
    """NetBSD's escapes in quoted values are undone before exec."""
    port = t.port()
    d = t.daemon([f"127.0.0.1:{port} on protocol = tcp, user = {ME}, "
                  f"wait = no, exec = {t.probe()}, args = probe "
                  r"'tab\there' 'q\'\"' '\x41\x42\\';"])
    check(d.ready == 1, "not listening")
    argv = probe_report(port)["argv"]
    check(argv == ["probe", "tab\there", "q'\"", "AB\\"], f"argv {argv}")


@test
def kv_several_and_off(t):
    """Several definitions and a positional entry on a line; an off
    definition is checked but opens nothing."""
    a, b, off, pos = t.port(), t.port(), t.port(), t.port()
    d = t.daemon([
        f"127.0.0.1:{a} on protocol = tcp, user = {ME}, args = echo; "
        f"127.0.0.1:{off} off protocol = tcp, user = {ME}, args = echo; "
        f"127.0.0.1:{b} on protocol = tcp, user = {ME}, args = echo; "
        f"127.0.0.1:{pos} stream tcp nowait {ME} internal echo",
    ])
    check(d.ready == 3, f"{d.ready} services listening, want 3")
    for port in (a, b, pos):
        with tcp(port) as s:
            s.sendall(b"x\n")
            check_bytes(recv_exact(s, 2), b"x\n", f"echo on {port}")
    check(not tcp_reachable(off), "the off definition listens")


@test
def kv_off_errors_fail_check(t):
    """An off entry is checked like an on one: its errors fail -t with
    FILE:LINE, and so does a bad key on a later line."""
    conf = t.path("off.conf")
    write(conf, "echo off protocol = tcp,\n"
          "  user = no-such-user-here;\n"
          "echo on protocol = tcp, user = root,\n"
          "  colour = blue;\n"
          "daytime off protocol = tcp, user = root;\n")
    status, err = run_check(conf)
    check(status == 1, f"exit status {status}")
    check(f"{conf}:1: echo/tcp: unknown user 'no-such-user-here'" in err,
          f"off entry's user: {err!r}")
    check(f"{conf}:4: echo/tcp: unknown key 'colour'" in err,
          f"unknown key: {err!r}")
    check("2 errors" in err, err)
    write(conf, "daytime off protocol = tcp, user = root;\n"
          "time on protocol = tcp, user = root;\n")
    status, err = run_check(conf)
    check(status == 0 and "1 service, no errors" in err, err)


# ------------------------------------------------- listening socket options

@test
def socket_buffers(t):
    """tcp,sndbuf=,rcvbuf= and the keys sndbuf, recvbuf: the sizes, with
    k and m powers of 1024, are the listener's, which each connection's
    socket inherits."""
    pos, kv, plain = t.port(), t.port(), t.port()
    probe = t.probe()
    t.daemon([
        f"127.0.0.1:{pos} stream tcp,sndbuf=48k,rcvbuf=40000 nowait {ME} "
        f"{probe} probe",
        f"127.0.0.1:{kv} on protocol = tcp, sndbuf = 72k, "
        f"recvbuf = 1m, wait = no, user = {ME}, exec = {probe};",
        f"127.0.0.1:{plain} stream tcp nowait {ME} {probe} probe",
    ])
    got = probe_report(pos)
    check(int(got["sndbuf"]) == kernel_size(48 * 1024, "wmem"),
          f"sndbuf {got['sndbuf']}")
    check(int(got["rcvbuf"]) == kernel_size(40000, "rmem"),
          f"rcvbuf {got['rcvbuf']}")
    got = probe_report(kv)
    check(int(got["sndbuf"]) == kernel_size(72 * 1024, "wmem"),
          f"sndbuf {got['sndbuf']}")
    check(int(got["rcvbuf"]) == kernel_size(1 << 20, "rmem"),
          f"rcvbuf {got['rcvbuf']}")
    got = probe_report(plain)
    check(int(got["sndbuf"]) != kernel_size(48 * 1024, "wmem"),
          "default sndbuf looks set")


# Speaks first, then reads a line: started at once without an accept filter.
SPEAKER = "/bin/sh sh -c 'echo started; read x; echo got $x'"


@test
def accept_filter(t):
    """stream:dataready and acceptfilter = httpready set TCP_DEFER_ACCEPT
    on the listener: a client that sends nothing starts no server, one
    that sends does; without a filter the server starts at once."""
    pos, kv, plain = t.port(), t.port(), t.port()
    t.daemon([
        f"127.0.0.1:{pos} stream:dataready tcp nowait {ME} {SPEAKER}",
        f"127.0.0.1:{kv} on protocol = tcp, acceptfilter = httpready, "
        f"wait = no, user = {ME}, exec = /bin/sh, "
        "args = sh -c 'echo started; read x; echo got $x';",
        f"127.0.0.1:{plain} stream tcp nowait {ME} {SPEAKER}",
    ])
    for port in (pos, kv):
        with tcp(port) as s:
            check(silent(s, 1.0), f"{port}: server started before the "
                  "client spoke")
            s.sendall(b"x\n")
            check_bytes(recv_to_eof(s), b"started\ngot x\n",
                        f"{port}: after data")
    with tcp(plain) as s:
        check_bytes(recv_exact(s, 8), b"started\n", "without a filter")
        s.sendall(b"y\n")
        check_bytes(recv_to_eof(s), b"got y\n", "without a filter")


@test
def accept_max_queues(t):
    """stream,1 and accept_max = 1: at the limit the next client waits
    in the queue until the running server ends."""
    pos, kv = t.port(), t.port()
    t.daemon([f"127.0.0.1:{pos} stream,1 tcp nowait {ME} /bin/cat cat",
              cat_kv(kv, "accept_max = 1")])
    for port in (pos, kv):
        first = held(port)
        with socket.create_connection(("127.0.0.1", port),
                                      IO_TIMEOUT) as second:
            second.sendall(b"two\n")
            check(silent(second, 1.0), f"port {port}: second client "
                  "served past accept-max 1")
            first.close()
            check_bytes(recv_exact(second, 4), b"two\n",
                        f"port {port}: queued client")


@test
def wait_colon_max(t):
    """nowait:N and service_max = N: N servers a minute, then the entry
    is throttled and the next client waits."""
    pos, kv = t.port(), t.port()
    d = t.daemon([f"127.0.0.1:{pos} stream tcp nowait:2 {ME} /bin/echo "
                  "echo hi",
                  f"127.0.0.1:{kv} on protocol = tcp, wait = no, "
                  f"user = {ME}, exec = /bin/echo, args = echo hi, "
                  "service_max = 2;"])
    for port in (pos, kv):
        for i in range(2):
            with tcp(port) as s:
                check(recv_to_eof(s) == b"hi\n", f"{port}: connection {i}")
        with tcp(port) as third:
            check(silent(third, 1.0), f"{port}: third server in a minute")
        d.wait_log(f"{port}/tcp:", "2 servers started in a minute")


@test
def ip_max_key(t):
    """ip_max (FreeBSD's max-connections-per-ip-per-minute) and
    max_child_per_ip: past them a client's connection is closed unserved,
    another address's is served."""
    rate, kids = t.port(), t.port()
    t.daemon([cat_kv(rate, "ip_max = 1"),
              cat_kv(kids, "max_child_per_ip = 1")])
    held(rate).close()
    with socket.create_connection(("127.0.0.1", rate), IO_TIMEOUT) as s:
        check(recv_to_eof(s) == b"", "second connection a minute served")
    held(rate, "127.0.0.2").close()
    first = held(kids)
    with socket.create_connection(("127.0.0.1", kids), IO_TIMEOUT) as s:
        check(recv_to_eof(s) == b"", "second child for one address")
    held(kids, "127.0.0.2").close()
    first.close()


@test
def reload_changes_buffers(t):
    """A reload that changes an entry's buffer size sets it on the socket
    the entry keeps; one that turns it off closes the socket."""
    port = t.port()
    probe = t.probe()
    d = t.daemon([f"127.0.0.1:{port} stream tcp,rcvbuf=40k nowait {ME} "
                  f"{probe} probe"])
    check(int(probe_report(port)["rcvbuf"]) == kernel_size(40 << 10,
          "rmem"), "rcvbuf before the reload")
    write(d.conf, f"127.0.0.1:{port} stream tcp,rcvbuf=56k nowait {ME} "
          f"{probe} probe\n")
    d.reload()
    check(int(probe_report(port)["rcvbuf"]) == kernel_size(56 << 10,
          "rmem"), "rcvbuf after the reload")
    write(d.conf, f"127.0.0.1:{port} off protocol = tcp, wait = no, "
          f"user = {ME}, exec = {probe};\n")
    d.reload()
    check(wait_until(lambda: not tcp_reachable(port), IO_TIMEOUT),
          "the entry turned off still listens")


# ------------------------------------------------------------- .include

@test
def dot_include(t):
    """.include GLOB, relative to the including file's directory: the
    matching files in name order, a directory among them skipped; a
    pattern without wildcards that names nothing fails -t."""
    os.makedirs(t.path("conf.d/sub"))
    one, two = t.port(), t.port()
    write(t.path("conf.d/a.conf"),
          f"127.0.0.1:{one} stream tcp nowait {ME} internal echo\n")
    write(t.path("conf.d/b.conf"),
          f"127.0.0.1:{two} on protocol = tcp, user = {ME}, args = echo;\n")
    d = t.daemon([".include conf.d/*"])
    check(d.ready == 2, f"{d.ready} services, want 2")
    for port in (one, two):
        with tcp(port) as s:
            s.sendall(b"x\n")
            check_bytes(recv_exact(s, 2), b"x\n", f"echo on {port}")
    write(t.path("main.conf"), ".include conf.d/*.conf\n"
          ".include conf.d/none-*.conf\n.include missing.conf\n")
    status, err = run_check(t.path("main.conf"))
    check(status == 1, f"exit status {status}: {err}")
    check(f"{t.path('main.conf')}:3: include {t.path('missing.conf')}: "
          "No such file or directory" in err, err)
    check("1 error" in err, err)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
