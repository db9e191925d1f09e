#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Integration tests of the tcpmux builtin (RFC 1078).

A client names a service on the tcpmux port and gets the program of the
entry "tcpmux/NAME" (or "tcpmux/+NAME", for which inetd says "+Go").

usage: test_tcpmux.py [INETD] [TEST ...]  (see harness.py)
"""

import contextlib
import os
import pwd
import socket
import sys
import time

import harness
from harness import *  # noqa: F401,F403

NOT_AVAILABLE = b"-Service not available\r\n"
BUSY = b"-Service busy\r\n"


def mux_daemon(t, flags=()):
    """The multiplexor and its services; returns (daemon, port)."""
    port = t.port()
    d = t.daemon([
        f"127.0.0.1:{port} stream tcp nowait root internal tcpmux",
        f"tcpmux/+Echo stream tcp nowait {ME} /bin/cat cat",
        f"tcpmux/plain stream tcp nowait {ME} /bin/sh sh -c "
        "'printf \"+ready\\r\\n\"; exec cat'",
        f"tcpmux/+whoami stream tcp nowait nobody {t.probe()} probe",
        f"tcpmux/+env stream tcp46 nowait {ME} /usr/bin/env env",
        f"tcpmux/echo stream tcp nowait {ME} /bin/false false",
    ], flags=flags)
    return d, port


def ask(port, request, seconds=IO_TIMEOUT):
    """Send request at once, then read to EOF."""
    with tcp(port) as s:
        s.sendall(request)
        s.shutdown(socket.SHUT_WR)
        try:
            return recv_to_eof(s, seconds=seconds)
        except ConnectionResetError:
            raise Fail(f"connection reset after {request[:40]!r}") from None


@test
def no_socket_of_their_own(t):
    """The entries offered by tcpmux bind nothing: the daemon holds one
    socket, tcpmux's."""
    d, port = mux_daemon(t)
    bound = bound_sockets(d.pid)
    check(bound == {("tcp", port)}, f"bound {sorted(bound)}, want tcpmux's "
          f"port {port} alone")


@test
def help_lists_names(t):
    """Each name once, as written, in file order; the duplicate "echo"
    (the same name as "Echo") is not listed twice."""
    _, port = mux_daemon(t)
    want = b"Echo\r\nplain\r\nwhoami\r\nenv\r\n"
    for request in (b"help\r\n", b"HELP\n"):
        check_bytes(ask(port, request), want, f"answer to {request!r}")


@test
def plus_go_keeps_bytes(t):
    """The name is matched without case; bytes sent with it, after its
    CRLF, reach the server."""
    _, port = mux_daemon(t)
    with tcp(port) as s:
        s.sendall(b"eCHo\r\nfirst bytes\n")
        check_bytes(recv_exact(s, 17), b"+Go\r\nfirst bytes\n", "reply")
        check_bytes(exchange(s, b"more\n"), b"more\n", "echo through cat")
        s.shutdown(socket.SHUT_WR)
        check(recv_to_eof(s) == b"", "more after the echo")


@test
def plain_service_answers_itself(t):
    _, port = mux_daemon(t)
    check_bytes(ask(port, b"PLAIN\r\nhello\n"), b"+ready\r\nhello\n",
                "reply of a service without +")


@test
def unknown_name(t):
    """Refused, even with data after the name (which must not turn the
    close into a reset that loses the reply)."""
    _, port = mux_daemon(t)
    for request in (b"nosuch\r\n", b"\r\n", b"tcpmux/+Echo\r\n",
                    b"Ech\r\n", b"Echo \r\n", b"nosuch\r\n" + b"x" * 5000):
        check_bytes(ask(port, request), NOT_AVAILABLE,
                    f"reply to {request[:20]!r}")


@test
def child_title(t):
    """The child waiting for a name says so in ps: setproctitle() of
    libbsd, which the daemon links statically."""
    d, port = mux_daemon(t)
    with tcp(port):
        def titles():
            out = []
            for pid in children_of(d.pid):
                with contextlib.suppress(OSError):
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        out.append(f.read().split(b"\0")[0])
            return out
        got = wait_until(titles, IO_TIMEOUT)
        check(got == [b"inetd: tcpmux [127.0.0.1]"], f"titles {got!r}")


@test
def long_name(t):
    _, port = mux_daemon(t)
    with tcp(port) as s:
        s.sendall(b"a" * 300 + b"\r\n")
        try:
            got = recv_to_eof(s)
        except ConnectionResetError:
            raise Fail("reset: the reply may be lost") from None
    check_bytes(got, b"-Service name too long\r\n", "reply to 300 bytes")


@test
def server_credentials_and_fds(t):
    if not IS_ROOT:
        raise Skip("not root: cannot run a server as nobody")
    _, port = mux_daemon(t)
    text = ask(port, b"whoami\r\n").decode(errors="replace")
    check(text.startswith("+Go\r\n"), f"reply {text[:40]!r}")
    lines = text.splitlines()
    uid = pwd.getpwnam("nobody").pw_uid
    check(f"uid {uid} {uid}" in lines, f"server not run as nobody: {lines}")
    fds = sorted(line.split()[1] for line in lines if line.startswith("fd "))
    check(fds == ["0", "1", "2"], f"open descriptors {fds}")


@test
def server_environment(t):
    _, port = mux_daemon(t)
    with tcp(port) as s:
        client_port = s.getsockname()[1]
        s.sendall(b"env\r\n")
        s.shutdown(socket.SHUT_WR)
        text = recv_to_eof(s).decode(errors="replace")
    check(text.startswith("+Go\r\n"), f"reply {text[:40]!r}")
    env = dict(line.partition("=")[::2] for line in text[5:].splitlines())
    want = {"REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": str(client_port),
            "PROTO": "TCP", "TCPREMOTEIP": "127.0.0.1",
            "TCPREMOTEPORT": str(client_port), "TCPLOCALIP": "127.0.0.1",
            "TCPLOCALPORT": str(port)}
    got = {k: env.get(k) for k in want}
    check(got == want, f"environment {env}")


@test
def log_chosen_service(t):
    d, port = mux_daemon(t, flags=("-l",))
    check_bytes(ask(port, b"echo\r\nx"), b"+Go\r\nx", "reply")
    d.wait_log(f"{port} from 127.0.0.1")     # the tcpmux entry itself
    d.wait_log("tcpmux/+Echo from 127.0.0.1")


def limited_mux(t, mode, flags=(), env=None, server="/bin/cat cat"):
    """tcpmux and one entry, "tcpmux/+cat", with the given wait field."""
    port = t.port()
    d = t.daemon([f"127.0.0.1:{port} stream tcp nowait root internal tcpmux",
                  f"tcpmux/+cat stream tcp {mode} {ME} {server}"],
                 flags=flags, env=env)
    return d, port


def go(s):
    s.sendall(b"cat\r\n")
    check_bytes(recv_exact(s, 5), b"+Go\r\n", "reply to cat")


@test
def chosen_max_child(t):
    """nowait/1 on "tcpmux/+cat": while its one server runs, the next
    client is turned away with a reply; the tcpmux entry, which has no
    limit, does not count it.  Once the server exits, one is served."""
    d, port = limited_mux(t, "nowait/1")
    with tcp(port) as first:
        go(first)
        check_bytes(ask(port, b"cat\r\nmore"), BUSY, "past max-child")
        d.wait_log(f"{d.conf}:2:", "max-child 1 reached, tcpmux clients "
                   "are turned away")
        check_bytes(exchange(first, b"x\n"), b"x\n", "first server")
    ok = wait_until(lambda: ask(port, b"cat\r\ny") == b"+Go\r\ny",
                    IO_TIMEOUT)
    check(ok, "not served after the first server exited")


@test
def chosen_rate_per_ip(t):
    """nowait/0/2 on "tcpmux/+cat": a third client a minute from one
    address is turned away, and logged under the entry."""
    d, port = limited_mux(t, "nowait/0/2")
    for i in range(2):
        check_bytes(ask(port, b"cat\r\nz"), b"+Go\r\nz",
                    f"client {i + 1} of 2")
    check_bytes(ask(port, b"cat\r\nz"), BUSY, "third client a minute")
    d.wait_log(f"{d.conf}:2:", "tcpmux/+cat from 127.0.0.1 exceeded "
               "counts/min (limit 2/min)")


@test
def chosen_children_per_ip(t):
    """nowait/0/0/1: one server a client address at a time."""
    _, port = limited_mux(t, "nowait/0/0/1")
    with tcp(port) as first:
        go(first)
        check_bytes(ask(port, b"cat\r\nz"), BUSY, "second from 127.0.0.1")


@test
def chosen_throttled(t):
    """nowait.2 (two starts a minute) with a server that works: the third
    client is turned away, and the entry is throttled, not looping."""
    d, port = limited_mux(t, "nowait.2")
    for i in range(2):
        check_bytes(ask(port, b"cat\r\nz"), b"+Go\r\nz",
                    f"start {i + 1} of 2")
    check_bytes(ask(port, b"cat\r\nz"), NOT_AVAILABLE,
                "third start a minute")
    d.wait_log(f"{d.conf}:2:", "throttling: tcpmux clients are turned away")
    check(not d.log_lines("looping"), "a busy entry looping")


@test
def chosen_looping(t):
    """nowait.2 (two starts a minute) with a server that fails (exit 1):
    the third start finds the entry looping; it is offered again after
    the retry time."""
    d, port = limited_mux(t, "nowait.2", env={"INETD_RETRY_SECONDS": "2"},
                          server="/bin/sh sh -c 'cat; exit 1'")
    for i in range(2):
        check_bytes(ask(port, b"cat\r\nz"), b"+Go\r\nz",
                    f"start {i + 1} of 2")
    check_bytes(ask(port, b"cat\r\nz"), NOT_AVAILABLE,
                "third start a minute")
    d.wait_log(f"{d.conf}:2:", "server failing (looping)")
    check_bytes(ask(port, b"cat\r\nz"), NOT_AVAILABLE, "while looping")
    d.wait_log(f"{d.conf}:2:", "offered by tcpmux again after looping",
               seconds=6)
    check_bytes(ask(port, b"cat\r\nz"), b"+Go\r\nz", "after the retry")


@test
def name_timeout(t):
    """A client that does not finish the name in 10 s is hung up on."""
    _, port = mux_daemon(t)
    with tcp(port) as s:
        start = time.monotonic()
        s.sendall(b"Ech")
        got = recv_to_eof(s, seconds=15)
        took = time.monotonic() - start
    check(got == b"", f"sent {got!r} at the timeout")
    check(9 <= took <= 13, f"closed after {took:.1f} s, want 10")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
