#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Integration tests of the limits, the reload (SIGHUP) and inetd -t.

Each limit is driven over real connections: max-child (clients wait in the
listen queue), max-connections-per-ip-per-minute and max-child-per-ip
(clients closed at once), the invocation rate that stops a looping service,
their flags -c -C -s -R, the bounded table of client addresses, and
NetBSD's rate-limit matrix (udp/tcp x wait/nowait x per-service/per-IP) in
our syntax.  Per-address tests connect from other loopback addresses
(127.0.0.2, 127.1.x.y): all of 127.0.0.0/8 is local on Linux.

usage: test_limits.py [INETD] [TEST ...]  (see harness.py)
"""

import os
import resource
import signal
import socket
import subprocess
import sys
import threading

import harness
from harness import *  # noqa: F401,F403

ADDRTAB_SIZE = 4096     # per-address entries in the daemon (ratelimit.h)
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") \
    else os.path.realpath(sys.executable)

# A datagram wait server: answers one datagram, then exits.
UDP_ONCE = """\
import socket
s = socket.socket(fileno=0)
data, peer = s.recvfrom(4096)
s.sendto(b"re:" + data, peer)
"""

# A stream wait server: accepts one connection on the listening socket.
TCP_ONCE = """\
import socket
s = socket.socket(fileno=0)
c, _ = s.accept()
c.sendall(b"hello\\n")
c.close()
"""


def script(t, name, text):
    path = t.path(name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    return f"{PYTHON} python3 {path}"


def cat_line(port, limits="nowait"):
    return f"127.0.0.1:{port} stream tcp {limits} {ME} /bin/cat cat"


def tcp_from(port, source="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(IO_TIMEOUT)
    try:
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
    except OSError as e:
        s.close()
        raise Fail(f"connect from {source} to port {port}: {e}") from None
    return s


def echoes(s, data=b"ping\n", seconds=IO_TIMEOUT):
    """True when what is sent comes back (cat, echo)."""
    s.sendall(data)
    return recv_exact(s, len(data), seconds) == data


def held(port, source="127.0.0.1"):
    """A connection served by a cat that keeps running while it is open."""
    s = tcp_from(port, source)
    if not echoes(s):
        s.close()
        raise Fail(f"connection from {source} to port {port} not served")
    return s


def served(port, source="127.0.0.1"):
    with tcp_from(port, source) as s:
        return echoes(s)


def closed_unserved(s, seconds=IO_TIMEOUT):
    """True when the daemon closed the connection without serving it."""
    try:
        s.sendall(b"ping\n")
        s.settimeout(seconds)
        return s.recv(100) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def refused_from(port, source="127.0.0.1"):
    with tcp_from(port, source) as s:
        return closed_unserved(s)


def connect_refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), IO_TIMEOUT).close()
    except ConnectionRefusedError:
        return True
    return False


def live_children(d):
    return [p for p, st in children_of(d.pid).items() if st != "Z"]


def wait_children(d, n, seconds=IO_TIMEOUT):
    check(wait_until(lambda: len(live_children(d)) == n, seconds),
          f"{len(live_children(d))} children of the daemon, want {n}")


def udp_from(port, data, source="127.0.0.1", seconds=1.0):
    """The answer to one datagram sent from source, or None."""
    with udp_socket(source) as s:
        s.sendto(data, ("127.0.0.1", port))
        return udp_reply(s, "127.0.0.1", port, seconds)


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise Fail("no VmRSS in /proc/PID/status")


def write_conf(d, lines):
    """Replace the daemon's file at once, as an editor saving would."""
    tmp = d.conf + ".new"
    with open(tmp, "w") as f:
        f.write("".join(line + "\n" for line in lines))
    os.chmod(tmp, 0o644)
    os.rename(tmp, d.conf)


def reload(d, lines, ok=True):
    """Rewrite the file, SIGHUP, and wait for the daemon's answer: the
    reload taken (ok) or refused, and Fail on the other outcome."""
    write_conf(d, lines)
    d.reload(ok)


# ------------------------------------------------------------- max-child

@test
def max_child_queues(t):
    """NetBSD's accept_max: at max-child the third client is queued, not
    refused, and is served as soon as the first child ends."""
    port = t.port()
    d = t.daemon([cat_line(port, "nowait/2")])
    c1, c2 = held(port), held(port)
    with tcp_from(port) as c3:
        c3.sendall(b"three\n")
        check(silent(c3, 1.0), "third client served past max-child 2")
        check(len(live_children(d)) == 2,
              f"{len(live_children(d))} servers running, want 2")
        c1.close()
        check_bytes(recv_exact(c3, 6), b"three\n",
                    "third client after the first ended")
    c2.close()
    lines = d.log_lines(f"{d.conf}:1:", "max-child 2 reached")
    check(len(lines) == 1, f"{len(lines)} max-child messages, want 1")


@test
def max_child_flag(t):
    """-c gives entries without a max-child theirs; /0 means unlimited."""
    limited, unlimited = t.port(), t.port()
    t.daemon([cat_line(limited), cat_line(unlimited, "nowait/0")],
             flags=("-c", "1"))
    first = held(limited)
    with tcp_from(limited) as second:
        second.sendall(b"two\n")
        check(silent(second, 1.0), "-c 1: second client served at once")
        a, b = held(unlimited), held(unlimited)
        a.close()
        b.close()
        first.close()
        check_bytes(recv_exact(second, 4), b"two\n", "queued client")


@test
def max_child_builtin(t):
    """A stream builtin with max-child is served by counted children."""
    port = t.port()
    t.daemon([f"127.0.0.1:{port} stream tcp nowait/1 {ME} internal echo"])
    first = held(port)
    with tcp_from(port) as second:
        second.sendall(b"two\n")
        check(silent(second, 1.0), "second echo client served at once")
        first.close()
        check_bytes(recv_exact(second, 4), b"two\n", "queued echo client")


# ------------------------------------------------------ per-IP limits

@test
def per_ip_rate(t):
    """Matrix: tcp nowait per-IP.  Past N a minute, a client is closed at
    once; other addresses are served; the message is rate-limited."""
    entry, flag = t.port(), t.port()
    d = t.daemon([cat_line(entry, "nowait/0/3"), cat_line(flag)],
                 flags=("-C", "2"))
    for i in range(3):
        check(served(entry), f"connection {i + 1} of 3 not served")
    for i in range(4):
        check(refused_from(entry), f"connection {4 + i} past 3/min served")
    check(served(entry, "127.0.0.2"), "another address refused")
    for i in range(2):
        check(served(flag), f"-C 2: connection {i + 1} not served")
    check(refused_from(flag), "-C 2: third connection served")
    line = d.wait_log(f"{d.conf}:1: {entry} from 127.0.0.1 exceeded "
                      "counts/min (limit 3/min)")
    check(len(d.log_lines(f"{d.conf}:1:", "exceeded")) == 1,
          f"refusals logged more than once: {line}")
    d.wait_log(f"{d.conf}:2: {flag} from 127.0.0.1 exceeded counts/min "
               "(limit 2/min)")


@test
def per_ip_children(t):
    """max-child-per-ip (/N/M/P) and -s: past it, closed at once."""
    entry, flag = t.port(), t.port()
    d = t.daemon([cat_line(entry, "nowait/0/0/2"), cat_line(flag)],
                 flags=("-s", "1"))
    a1, a2 = held(entry), held(entry)
    check(refused_from(entry), "third child for one address")
    other = held(entry, "127.0.0.2")
    d.wait_log(f"{d.conf}:1: {entry} from 127.0.0.1 exceeded counts "
               "(limit 2)")
    a1.close()
    wait_children(d, 2)
    a3 = held(entry)
    f1 = held(flag)
    check(refused_from(flag), "-s 1: second child for one address")
    for s in (a2, a3, other, f1):
        s.close()


def udp_once_answers(t, limits, n):
    """A daemon serving UDP_ONCE as a wait service with limits, which has
    answered n datagrams: (daemon, port)."""
    port = t.port()
    d = t.daemon([f"127.0.0.1:{port} dgram udp {limits} {ME} "
                  + script(t, "udp_once.py", UDP_ONCE)])
    for i in range(n):
        check(udp_from(port, b"%d" % i, seconds=IO_TIMEOUT) == b"re:%d" % i,
              f"datagram {i + 1} of {n} not answered")
    return d, port


@test
def per_ip_udp_wait(t):
    """Matrix: udp wait per-IP, judged by the datagram's sender."""
    d, port = udp_once_answers(t, "wait/0/3", 3)
    check(udp_from(port, b"x") is None, "fourth datagram answered")
    check(udp_from(port, b"y", "127.0.0.2", IO_TIMEOUT) == b"re:y",
          "another address not answered")
    d.wait_log(f"{d.conf}:1: {port} from 127.0.0.1 exceeded counts/min "
               "(limit 3/min)")


@test
def per_ip_builtins(t):
    """Per-IP rate of builtins: each TCP connection or UDP datagram the
    daemon answers counts."""
    port = t.port()
    t.daemon([f"127.0.0.1:{port} stream tcp nowait/0/2 {ME} internal echo",
              f"127.0.0.1:{port} dgram udp wait/0/2 {ME} internal echo"])
    for i in range(2):
        check(served(port), f"TCP echo {i + 1} of 2 not served")
        check(udp_from(port, b"u", seconds=IO_TIMEOUT) == b"u",
              f"UDP echo {i + 1} of 2 not answered")
    check(refused_from(port), "third TCP echo served")
    check(udp_from(port, b"u") is None, "third UDP echo answered")
    check(udp_from(port, b"v", "127.0.0.2", IO_TIMEOUT) == b"v",
          "UDP echo refused another address")


@test
def addr_table_bounded(t):
    """A flood from more addresses than the table holds: the memory stays
    put, and the addresses seen least recently are forgotten."""
    port = t.port()
    d = t.daemon([f"127.0.0.1:{port} dgram udp wait/0/2 {ME} internal echo"])
    for _ in range(2):
        check(udp(port, b"a") == b"a", "first address not answered")
    check(udp_from(port, b"a") is None, "first address: third answered")

    def flood(first, count):
        for n in range(first, first + count):
            source = f"127.1.{n >> 8 & 255}.{n & 255}"
            if udp_from(port, b"f", source, IO_TIMEOUT) != b"f":
                raise Fail(f"datagram from {source} not answered")

    flood(0, ADDRTAB_SIZE + 100)
    full = d.wait_log("table of client addresses full")
    check(f"{ADDRTAB_SIZE} entries" in full, f"table size: {full}")
    check(udp_from(port, b"a", seconds=IO_TIMEOUT) == b"a",
          "first address still counted after the flood")
    before = rss_kb(d.pid)
    flood(ADDRTAB_SIZE + 100, 8000)
    grown = rss_kb(d.pid) - before
    check(grown < 128, f"daemon grew by {grown} kB for 8000 new addresses")


# ------------------------------------ invocation rate (-R): busy or looping

# A server that fails for a client sending "fail", and serves the others
# as cat would, the line they sent first echoed.
FAIL_OR_CAT = """\
read line
case $line in fail) exit 1;; esac
echo "$line"
exec cat
"""


def check_looping_line(d, port, proto, span):
    d.wait_log(f"{d.conf}:1: {port}/{proto} server failing (looping), "
               f"service terminated for {span}")


def check_not_looping(d):
    check(not d.log_lines("looping"), "a busy service was taken to be "
          f"looping: {d.log_lines('looping')[:1]}")


def ended_unserved(port):
    """A connection whose server ended without a word."""
    with tcp_from(port) as s:
        try:
            return recv_to_eof(s) == b""
        except ConnectionResetError:
            return True


@test
def throttled_not_looping(t):
    """Servers that work, started at -R a minute: the entry is throttled.
    The next clients wait in the queue, neither refused nor closed, and
    the service is not taken to be looping (an exec'd /bin/echo, as in
    the soak of issue 14)."""
    port = t.port()
    d = t.daemon([f"127.0.0.1:{port} stream tcp nowait {ME} /bin/echo "
                  "echo hi"], flags=("-R", "5"))
    for i in range(5):
        with tcp_from(port) as s:
            check(recv_to_eof(s) == b"hi\n", f"connection {i + 1} of 5")
    with tcp_from(port) as sixth, tcp_from(port) as seventh:
        check(silent(sixth, 1.5), "sixth client served or closed at once "
              "past -R 5: want it to wait in the queue")
        check(silent(seventh, 0.2), "seventh client served or closed")
        line = d.wait_log(f"{d.conf}:1: {port}/tcp:", "5 servers started "
                          "in a minute, throttling: new connections wait "
                          "in the queue")
        wait = int(line.rsplit("for up to ", 1)[1].split()[0])
        check(0 < wait <= 60, f"throttled for {wait} s: {line}")
        check(not connect_refused(port), "throttled service closed")
    check(len(d.log_lines("throttling")) == 1, "throttling logged again "
          "within the minute")
    check_not_looping(d)


@test
def throttled_udp_wait(t):
    """A datagram wait server that reads its datagram works: at the rate
    its entry is throttled, not looping; the datagram waits."""
    d, port = udp_once_answers(t, "wait.2", 2)
    check(udp_from(port, b"x") is None, "third start in a minute answered")
    d.wait_log(f"{d.conf}:1: {port}/udp:", "throttling")
    check_not_looping(d)


@test
def looping_failing_server(t):
    """A server that fails at once (exit 1; killed by a signal under -R):
    as many failures in a minute as the rate, and the next start makes
    the socket close for the retry time; it opens again after it."""
    t.child_signals.add(signal.SIGKILL)     # the server kills itself
    entry, flag = t.port(), t.port()
    d = t.daemon([f"127.0.0.1:{entry} stream tcp nowait.2 {ME} /bin/false "
                  "false",
                  f"127.0.0.1:{flag} stream tcp nowait {ME} /bin/sh "
                  "sh -c 'kill -9 $$'"],
                 flags=("-R", "3"), env={"INETD_RETRY_SECONDS": "3"})
    for i in range(2):
        check(ended_unserved(entry), f"connection {i + 1}: served?")
    check(not d.log_lines("looping"), "looping before a third start")
    with socket.socket() as s:      # reset when the socket closes
        s.settimeout(IO_TIMEOUT)
        s.connect_ex(("127.0.0.1", entry))
        check_looping_line(d, entry, "tcp", "3 s")
    check(connect_refused(entry), "looping service still listening")
    for i in range(3):
        check(ended_unserved(flag), f"-R 3: connection {i + 1}: served?")
    with socket.socket() as s:
        s.settimeout(IO_TIMEOUT)
        s.connect_ex(("127.0.0.1", flag))
        d.wait_log(f"{d.conf}:2: {flag}/tcp server failing (looping)")
    check(wait_until(lambda: connect_refused(flag), IO_TIMEOUT),
          "-R 3: looping service still listening")
    d.wait_log(f"{d.conf}:1:", "listening again after looping",
               seconds=8)
    check(tcp_reachable(entry), "not listening after the retry time")


@test
def looping_tcp_wait(t):
    """Matrix: tcp wait per-service (wait.N): a wait server that exits at
    once without accepting leaves its client queued, is started again
    and again, and makes the entry loop."""
    port = t.port()
    d = t.daemon([f"127.0.0.1:{port} stream tcp wait.2 {ME} /bin/false "
                  "false"])
    with tcp_from(port) as s:
        check_looping_line(d, port, "tcp", "10 min")
        try:
            got = recv_to_eof(s)
        except ConnectionResetError:
            got = b""
        check(got == b"", f"client of a looping wait service got {got!r}")


@test
def looping_udp_unread(t):
    """Matrix: udp wait per-service (wait.N): a server that exits (0)
    without reading its datagram failed; the entry loops, for the
    default retry time."""
    port = t.port()
    d = t.daemon([f"127.0.0.1:{port} dgram udp wait.2 {ME} /bin/true "
                  "true"])
    check(udp_from(port, b"x") is None, "a datagram answered")
    check_looping_line(d, port, "udp", "10 min")


@test
def builtins_not_looping(t):
    """-R counts servers started: builtins served in the daemon start
    none, so they never loop."""
    port = t.port()
    d = t.daemon([f"127.0.0.1:{port} stream tcp nowait {ME} internal echo",
                  f"127.0.0.1:{port} dgram udp wait {ME} internal echo"],
                 flags=("-R", "1"))
    for i in range(5):
        check(served(port), f"TCP echo {i + 1} not served")
        check(udp(port, b"e") == b"e", f"UDP echo {i + 1} not answered")
    check(not d.log_lines("looping"), "an in-daemon builtin looped")


@test
def looping_keeps_children(t):
    """Children of a service stopped for looping still count against its
    max-child when it opens again.  The child is started, then servers
    fail under a rate of 10, and a reload lowers it to 2: the next start
    finds the entry looping."""
    port = t.port()
    server = t.path("fail_or_cat.sh")
    with open(server, "w") as f:
        f.write(FAIL_OR_CAT)
    line = f"127.0.0.1:{port} stream tcp nowait.%d {ME} /bin/sh sh {server}"
    d = t.daemon([line % 10], flags=("-c", "2"),
                 env={"INETD_RETRY_SECONDS": "1"})
    c1 = held(port)
    for i in range(2):
        with tcp_from(port) as s:
            s.sendall(b"fail\n")
            check(recv_to_eof(s) == b"", f"failing connection {i + 1}")
    wait_children(d, 1)
    reload(d, [line % 2])
    with socket.socket() as s:      # reset when the socket closes
        s.settimeout(IO_TIMEOUT)
        s.connect_ex(("127.0.0.1", port))
        check_looping_line(d, port, "tcp", "1 s")
    d.wait_log("listening again after looping", seconds=8)
    c4 = held(port)
    with tcp_from(port) as c5:
        c5.sendall(b"five\n")
        check(silent(c5, 1.0), "max-child 2 exceeded: the child started "
              "before the service looped was forgotten")
        c1.close()
        check_bytes(recv_exact(c5, 5), b"five\n", "queued client")
    c4.close()


# ----------------------------------------------- idle stream builtins

def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        if hard != resource.RLIM_INFINITY and hard < n:
            raise Skip(f"RLIMIT_NOFILE {hard} < {n}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, hard))


@test
def idle_clients_not_looping(t):
    """520 idle clients of a stream builtin: 256 fill the daemon's table,
    the next get children up to -R (256 a minute), the rest wait.  No
    idle client makes the service looping; once the idle timeout frees
    the table, a new client is served."""
    raise_nofile(2048)
    port = t.port()
    d = t.daemon([f"127.0.0.1:{port} stream tcp nowait {ME} internal echo"],
                 env={"INETD_IDLE_SECONDS": "10"})
    idle = []
    try:
        for _ in range(520):
            idle.append(tcp_from(port))
        d.wait_log(f"{d.conf}:1: {port}/tcp:", "throttling", seconds=30)
        check_not_looping(d)
        check(not connect_refused(port), "the service was closed")
        with tcp_from(port) as s:
            s.sendall(b"new\n")
            check_bytes(recv_exact(s, 4, seconds=40), b"new\n",
                        "a new client after the idle ones")
        check_not_looping(d)
    finally:
        for s in idle:
            s.close()


def idle_and_active(port):
    """An idle client is closed after the idle timeout (2 s), while one
    that keeps talking is still served."""
    quiet, busy = tcp_from(port), tcp_from(port)
    try:
        check(echoes(quiet), "quiet client's first line")
        closed = False
        for _ in steps(6):
            check(echoes(busy), "the active client was not served")
            if not silent(quiet, 0.3):
                closed = quiet.recv(10) == b""
                break
        check(closed, "the idle client was not closed within 6 s")
        check(echoes(busy), "the active client was closed")
    finally:
        quiet.close()
        busy.close()


@test
def idle_timeout(t):
    """The idle timeout, in the daemon's table and in a forked child (the
    entry with a max-child is served by children)."""
    inside, forked = t.port(), t.port()
    d = t.daemon([f"127.0.0.1:{inside} stream tcp nowait {ME} internal echo",
                  f"127.0.0.1:{forked} stream tcp nowait/10 {ME} "
                  "internal echo"], env={"INETD_IDLE_SECONDS": "2"})
    idle_and_active(inside)
    idle_and_active(forked)
    check_idle(d.pid)


# ---------------------------------------------------------------- reload

@test
def reload_keeps_queue_and_children(t):
    """SIGHUP: the unchanged socket keeps its queue and its children count;
    the new program serves the next connection."""
    port, other = t.port(), t.port()
    d = t.daemon([cat_line(port, "nowait/1")])
    first = held(port)
    with tcp_from(port) as queued:
        queued.sendall(b"two\n")
        check(silent(queued, 0.5), "second client served past max-child")
        reload(d, [f"127.0.0.1:{port} stream tcp nowait/1 {ME} /bin/sh "
                   "sh -c 'echo new; exec cat'",
                   f"127.0.0.1:{other} stream tcp nowait {ME} "
                   "internal daytime"])
        check_tcp_builtin("daytime", other)
        check(silent(queued, 0.5), "queued client served after the reload: "
              "the running child was not counted")
        first.close()
        check_bytes(recv_exact(queued, 8), b"new\ntwo\n",
                    "queued client, served by the new program")


@test
def reload_rejected(t):
    """A file with any error is refused as a whole and each error logged
    with its file and line; the running services stay."""
    keep, added = t.port(), t.port()
    good = f"127.0.0.1:{keep} stream tcp nowait {ME} internal echo"
    d = t.daemon([good])
    new = f"127.0.0.1:{added} stream tcp nowait {ME} internal echo"
    reload(d, [good, new,
               f"127.0.0.1:{t.port()} stream tcp nowait nosuchuser_q7 "
               "internal echo",
               f"127.0.0.1:70000 stream tcp nowait {ME} internal echo"],
           ok=False)
    d.wait_log(f"{d.conf}:3:", "nosuchuser_q7")
    d.wait_log(f"{d.conf}:4:", "70000")
    check(not tcp_reachable(added), "entry of a refused file listens")
    check_tcp_builtin("echo", keep)
    reload(d, [new])
    check_tcp_builtin("echo", added)
    check(wait_until(lambda: not tcp_reachable(keep), IO_TIMEOUT),
          "removed entry still listens")


@test
def reload_keeps_per_ip_counts(t):
    """The per-address counts of an unchanged entry survive a reload."""
    port = t.port()
    line = cat_line(port, "nowait/0/2")
    d = t.daemon([line])
    for i in range(2):
        check(served(port), f"connection {i + 1} of 2 not served")
    reload(d, [line, f"127.0.0.1:{t.port()} stream tcp nowait {ME} "
               "internal echo"])
    check(refused_from(port), "the reload reset the per-address count")
    check(served(port, "127.0.0.2"), "another address refused")


@test
def reload_50_times(t):
    """50 SIGHUPs adding and removing other entries while a client loops
    on an unchanged one: not one of its connections fails."""
    port = t.port()
    others = [t.port() for _ in range(6)]
    steady = f"127.0.0.1:{port} stream tcp nowait {ME} internal daytime"
    d = t.daemon([steady])
    stop = threading.Event()
    stats = {"ok": 0, "errors": []}

    def client():
        for _ in range(MAX_STEPS):
            if stop.is_set():
                return
            try:
                with socket.create_connection(("127.0.0.1", port),
                                              IO_TIMEOUT) as s:
                    data = recv_to_eof(s)
                if len(data) == 26:
                    stats["ok"] += 1
                else:
                    stats["errors"].append(f"got {data!r}")
            except (OSError, Fail) as e:
                stats["errors"].append(str(e))

    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    try:
        for i in range(50):
            lines = [steady] + [
                f"127.0.0.1:{p} stream tcp nowait {ME} internal echo"
                for k, p in enumerate(others) if (i >> k) & 1]
            reload(d, lines[i % 2:] + lines[:i % 2])
    finally:
        stop.set()
        thread.join(IO_TIMEOUT * 2)
    check(not stats["errors"], f"{len(stats['errors'])} failed connections "
          f"of {stats['ok'] + len(stats['errors'])}, first: "
          f"{stats['errors'][:1]}")
    check(stats["ok"] >= 50, f"only {stats['ok']} connections made")
    for k, p in enumerate(others):
        check(tcp_reachable(p) == bool((49 >> k) & 1),
              f"port {p} listening state wrong after the last reload")


# -------------------------------------------------------- -t and flags

def run_check(t, lines, *flags):
    """inetd -t on a file of lines: (exit status, stderr, file)."""
    conf = t.path("check.conf")
    with open(conf, "w") as f:
        f.write("".join(line + "\n" for line in lines))
    pidfile = t.path("check.pid")
    try:
        done = subprocess.run([harness.INETD, "-t", *flags, "-p", pidfile,
                               conf], stdin=subprocess.DEVNULL,
                              capture_output=True, env=daemon_env(),
                              timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Fail("inetd -t still running") from None
    err = done.stderr.decode(errors="replace")
    report = sanitizer_report(err)
    check(not report, f"sanitizer: {report}")
    check(not os.path.exists(pidfile), "inetd -t wrote a pidfile")
    return done.returncode, err, conf


@test
def config_check(t):
    """inetd -t: errors with file:line and status 1, or status 0; nothing
    bound, no pidfile."""
    port = t.port()
    good = f"127.0.0.1:{port} stream tcp nowait {ME} internal echo"
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", port))
        busy.listen(1)
        status, err, _ = run_check(t, [good])
        check(status == 0, f"clean file: status {status}, {err!r}")
        check("no errors" in err, f"clean file: {err!r}")
    status, err, conf = run_check(t, [
        good,
        f"127.0.0.1:{t.port()} stream tcp nowait nosuchuser_q7 "
        "internal echo",
        "#@ ipsec policy",
        f"127.0.0.1:{t.port()} stream tcp nowait {ME} /nonexistent/x x"])
    check(status == 1, f"bad file: status {status}, want 1")
    for n, word in ((2, "nosuchuser_q7"), (4, "/nonexistent/x")):
        check(any(line.startswith(f"{conf}:{n}:") and word in line
                  for line in err.splitlines()),
              f"no {conf}:{n}: message naming {word}: {err!r}")
    # A program not installed is named, but a warning: not counted.
    check("1 error\n" in err, f"no error count: {err!r}")
    status, err, _ = run_check(t, ["#@ ipsec policy", good])
    check(status == 0, f"a warning only: status {status}, {err!r}")
    missing = t.path("missing.conf")
    done = subprocess.run([harness.INETD, "-t", missing],
                          capture_output=True, env=daemon_env(),
                          timeout=STOP_TIMEOUT)
    check(done.returncode == 1, f"missing file: status {done.returncode}")
    check(missing in done.stderr.decode(), "missing file not named")


@test
def bad_limit_flags(t):
    for args in (["-c", "-1"], ["-c", "40000"], ["-C", "x"], ["-R", "1e3"],
                 ["-s", ""]):
        done = subprocess.run([harness.INETD, "-d", *args, t.path("c")],
                              capture_output=True, env=daemon_env(),
                              timeout=STOP_TIMEOUT)
        check(done.returncode == 64,
              f"inetd {' '.join(args)}: status {done.returncode}, want 64")
        check(b"usage" in done.stderr, f"inetd {' '.join(args)}: no usage")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
