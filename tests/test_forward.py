#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Integration tests of the forward builtin (TCP and UDP port forwarding).

Each test starts its own backend servers in threads of this process, on
127.0.0.1 / ::1 high ports, and a daemon forwarding to them.

usage: test_forward.py [INETD] [TEST ...]  (see harness.py)

FORWARD_BULK_MIB sets the size of the bulk test (default 1024 MiB each way,
also under AddressSanitizer: the bytes never pass through the daemon's
memory, so its sanitizers cost little there).
"""

import contextlib
import fcntl
import hashlib
import os
import signal
import socket
import struct
import subprocess
import sys
import termios
import threading
import time

import harness
from harness import *  # noqa: F401,F403

# test_wrap's private mount namespace for hosts.allow, without its tests.
_own_tests = list(harness.TESTS)
import test_wrap  # noqa: E402
harness.TESTS[:] = _own_tests

HERE = os.path.dirname(os.path.abspath(__file__))
CONVERTER = os.path.join(HERE, "..", "contrib", "rinetd2inetd")


def bulk_mib():
    return int(os.environ.get("FORWARD_BULK_MIB", "1024"))


# ----------------------------------------------------------------- backends

class Backend:
    """A TCP server in threads: handler(conn) runs for each connection."""

    def __init__(self, t, handler, host="127.0.0.1", backlog=128):
        self.port = t.port(v6=":" in host)
        self.sock = socket.socket(family_of(host), socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, self.port))
        self.sock.listen(backlog)
        self.handler = handler
        self.errors = []
        self.conns = []
        self.done = 0           # connections whose handler has returned
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, peer = self.sock.accept()
            except OSError:
                return
            conn.settimeout(30)
            self.conns.append(conn)
            threading.Thread(target=self.run, args=(conn, peer),
                             daemon=True).start()

    def run(self, conn, peer):
        try:
            self.handler(conn, peer)
        except Exception as e:      # reported by the test
            self.errors.append(f"{type(e).__name__}: {e}")
        finally:
            conn.close()
            self.done += 1

    def wait_done(self, n=1):
        """Wait until n handlers have returned, their checks made."""
        check(wait_until(lambda: self.done >= n, IO_TIMEOUT),
              f"backend: {self.done} of {n} connections finished")

    def close(self):
        self.sock.close()


def echo_handler(conn, peer):
    while True:
        data = conn.recv(65536)
        if not data:
            return
        conn.sendall(data)


def forward_line(port, target_port, extra="", proto="tcp",
                 host="127.0.0.1", target="127.0.0.1"):
    kind = "stream" if proto.startswith("tcp") else "dgram"
    wait = "nowait" if kind == "stream" else "wait"
    bind = f"[{host}]" if ":" in host else host
    tgt = f"[{target}]" if ":" in target else target
    return (f"{bind}:{port} {kind} {proto} {wait} {ME} internal forward "
            f"{tgt}:{target_port} {extra}").rstrip()


@test
def relay_loops_refused(t):
    """Forward entries whose targets lead back to one of them (two TCP
    entries aimed at each other, three UDP ones in a ring) would pass
    each connection round without end: -t names them, and the daemon
    starts without them and serves the rest, among them an entry that
    leads into the loop without being part of it."""
    a, b, c, x, y, z, e = (t.port() for _ in range(7))
    lines = [forward_line(a, b), forward_line(b, a), forward_line(c, a),
             forward_line(x, y, proto="udp"),
             forward_line(y, z, proto="udp"),
             forward_line(z, x, proto="udp"),
             f"127.0.0.1:{e} stream tcp nowait {ME} internal echo"]
    conf = t.path("loops.conf")
    with open(conf, "w") as f:
        f.write("".join(line + "\n" for line in lines))
    done = subprocess.run([harness.INETD, "-t", conf], capture_output=True,
                          stdin=subprocess.DEVNULL, env=daemon_env(),
                          timeout=STOP_TIMEOUT)
    err = done.stderr.decode(errors="replace")
    check(done.returncode != 0, f"-t passed a file with loops: {err!r}")
    for n in (1, 2, 4, 5, 6):
        check(f"loops.conf:{n}: " in err, f"line {n} not named: {err!r}")
    check("relay loop" in err and "loops.conf:3:" not in err,
          f"-t said {err!r}")
    d = t.daemon(lines)
    bound = bound_sockets(d.pid)
    check(("tcp", c) in bound and ("tcp", e) in bound,
          f"the entries outside the loops are not served: {bound}")
    for proto, port in (("tcp", a), ("tcp", b), ("udp", x), ("udp", y),
                        ("udp", z)):
        check((proto, port) not in bound, f"{proto} {port} bound: {bound}")
    with tcp(e) as s:
        check_bytes(exchange(s, b"ping"), b"ping", "echo beside the loops")


def forwarder(t, target_port, extra="", flags=("-l",), proto="tcp"):
    port = t.port()
    d = t.daemon([forward_line(port, target_port, extra, proto)],
                 flags=flags)
    return port, d


def block_stream(seed, mib):
    """mib MiB of pseudo-random data as 1 MiB memoryviews, not periodic."""
    pool = hashlib.shake_256(seed).digest(8 << 20)
    view = memoryview(pool)
    for i in range(mib):
        off = (i * 7919 * 64) % ((7 << 20) - 64)
        yield view[off:off + (1 << 20)]


def expected_hash(seed, mib):
    h = hashlib.sha256()
    for block in block_stream(seed, mib):
        h.update(block)
    return h.hexdigest()


def send_stream(sock, seed, mib, half_close=True):
    for block in block_stream(seed, mib):
        sock.sendall(block)
    if half_close:
        sock.shutdown(socket.SHUT_WR)


def hash_to_eof(sock, limit):
    h = hashlib.sha256()
    n = 0
    buf = bytearray(1 << 20)
    while n <= limit:
        got = sock.recv_into(buf)
        if got == 0:
            break
        h.update(memoryview(buf)[:got])
        n += got
    return n, h.hexdigest()


# --------------------------------------------------------------------- TCP

@test
def tcp_echo(t):
    b = Backend(t, echo_handler)
    port, d = forwarder(t, b.port)
    data = os.urandom(1 << 20)
    with tcp(port) as s:
        check_bytes(exchange(s, data), data, "forwarded echo")
        s.shutdown(socket.SHUT_WR)
        check(recv_to_eof(s) == b"", "data after the echo")
    d.wait_log("done-remote-closed", f"{len(data)} bytes in",
               f"{len(data)} bytes out")


@test
def bulk_both_ways(t):
    """MiB each way at once, checked by hash; a small exchange through the
    same daemon meanwhile is answered promptly (no connection stalls it)."""
    mib = bulk_mib()
    want_up, want_down = expected_hash(b"up", mib), expected_hash(b"down", mib)
    result = {}

    def bulk_backend(conn, peer):
        sender = threading.Thread(
            target=send_stream, args=(conn, b"down", mib), daemon=True)
        sender.start()
        result["up"] = hash_to_eof(conn, (mib << 20) + 1)
        sender.join(120)

    bulk = Backend(t, bulk_backend)
    echo = Backend(t, echo_handler)
    port, echo_port = t.port(), t.port()
    t.daemon([forward_line(port, bulk.port),
              forward_line(echo_port, echo.port)])
    start = time.monotonic()
    with tcp(port) as s:
        s.settimeout(60)
        sender = threading.Thread(target=send_stream,
                                  args=(s, b"up", mib), daemon=True)
        sender.start()
        slowest = 0.0
        for _ in range(3):
            time.sleep(0.2)
            t0 = time.monotonic()
            with tcp(echo_port) as e:
                check_bytes(exchange(e, b"ping"), b"ping", "echo meanwhile")
            slowest = max(slowest, time.monotonic() - t0)
        result["down"] = hash_to_eof(s, (mib << 20) + 1)
        sender.join(60)
    took = time.monotonic() - start
    check(not bulk.errors, f"backend: {bulk.errors}")
    check(wait_until(lambda: "up" in result, 10), "backend saw no EOF")
    check(result["up"] == (mib << 20, want_up),
          f"client to backend: {result['up'][0]} bytes, hash differs")
    check(result["down"] == (mib << 20, want_down),
          f"backend to client: {result['down'][0]} bytes, hash differs")
    check(slowest < 1.0, f"a small exchange took {slowest:.2f} s "
          "during the bulk transfer")
    print(f"  bulk: {mib} MiB each way in {took:.1f} s, "
          f"{2 * mib / took:.0f} MiB/s in all", file=sys.stderr)


@test
def half_close(t):
    """The client's FIN reaches the backend, which answers after it."""
    def after_eof(conn, peer):
        got = b""
        while True:
            data = conn.recv(65536)
            if not data:
                break
            got += data
        conn.sendall(b"got %d bytes" % len(got))
        conn.shutdown(socket.SHUT_WR)
        time.sleep(0.2)

    b = Backend(t, after_eof)
    port, d = forwarder(t, b.port)
    with tcp(port) as s:
        s.sendall(b"x" * 100000)
        s.shutdown(socket.SHUT_WR)
        check_bytes(recv_to_eof(s), b"got 100000 bytes", "reply after FIN")
    d.wait_log("done-remote-closed")


@test
def backend_half_close(t):
    """The backend's FIN reaches the client, which can still send."""
    def first_close(conn, peer):
        conn.sendall(b"banner\r\n")
        conn.shutdown(socket.SHUT_WR)
        got = b""
        while True:
            data = conn.recv(65536)
            if not data:
                break
            got += data
        check(got == b"late data", f"backend got {got!r}")

    b = Backend(t, first_close)
    port, d = forwarder(t, b.port)
    with tcp(port) as s:
        check_bytes(recv_to_eof(s), b"banner\r\n", "banner before FIN")
        s.sendall(b"late data")
        s.shutdown(socket.SHUT_WR)
    d.wait_log("done-local-closed", "9 bytes in", "8 bytes out")
    b.wait_done()
    check(not b.errors, f"backend: {b.errors}")


@test
def small_writes_backend_full(t):
    """Small messages, each read on its own, to a backend that reads
    nothing for a while: what its socket does not take waits in the
    daemon and arrives whole and in order."""
    def late_reader(conn, peer):
        time.sleep(2)
        n, digest = hash_to_eof(conn, 16 << 20)
        conn.sendall(b"%d %s" % (n, digest.encode()))

    b = Backend(t, late_reader)
    b.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    port, d = forwarder(t, b.port)
    h = hashlib.sha256()
    count, size = 2500, 2000   # more than the daemon's socket buffers
    with tcp(port) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(count):
            msg = b"%05d" % i + os.urandom(size - 5)
            s.sendall(msg)
            h.update(msg)
            time.sleep(0.0005)     # read one by one
        s.shutdown(socket.SHUT_WR)
        want = b"%d %s" % (count * size, h.hexdigest().encode())
        check_bytes(recv_to_eof(s, seconds=20), want, "what the backend got")
    d.wait_log("done-remote-closed", f"{count * size} bytes in")
    check(not b.errors, f"backend: {b.errors}")


@test
def late_reader_warm_pool(t):
    """Once a first exchange has filled the pipe pool, the daemon sends a
    client's first data along with the connect and watches the sockets
    for room only when they run out of it: a client that reads late,
    through an echo backend, backs up both ways and gets all back."""
    b = Backend(t, echo_handler)
    port, d = forwarder(t, b.port, flags=())
    with tcp(port) as s:
        check_bytes(exchange(s, b"warm"), b"warm", "first exchange")
    data = os.urandom(32 << 20)    # more than all the buffers on the way
    for i in range(3):
        with tcp(port) as s:
            sender = threading.Thread(target=s.sendall, args=(data,),
                                      daemon=True)
            sender.start()
            time.sleep(0.5)
            check_bytes(recv_exact(s, len(data)), data, f"echo {i}")
            sender.join(IO_TIMEOUT)
    check(not b.errors, f"backend: {b.errors}")


@test
def concurrent_500(t):
    b = Backend(t, echo_handler, backlog=1024)
    port, d = forwarder(t, b.port, flags=())
    payloads = [b"client %d " % i + os.urandom(100) for i in range(500)]
    socks = []
    try:
        for data in payloads:
            s = tcp(port)
            socks.append(s)
        for s, data in zip(socks, payloads):
            s.sendall(data)
        # all 500 are open at once through the daemon; now finish them
        for s in socks:
            s.shutdown(socket.SHUT_WR)
        replies = read_all(socks, 30)
    finally:
        for s in socks:
            s.close()
    bad = [i for i, (r, p) in enumerate(zip(replies, payloads)) if r != p]
    check(not bad, f"{len(bad)} of 500 clients got wrong answers")
    check(not b.errors, f"backend: {b.errors[:3]}")


def read_all(socks, seconds):
    got = {s: bytearray() for s in socks}
    left = set(socks)
    for s in socks:
        s.setblocking(False)
    import select
    for remaining in steps(seconds):
        if not left:
            break
        r, _, _ = select.select(list(left)[:500], [], [], min(remaining, 1))
        for s in r:
            try:
                chunk = s.recv(65536)
            except BlockingIOError:
                continue
            except ConnectionResetError:
                chunk = b""
            if chunk:
                got[s] += chunk
            else:
                left.discard(s)
    check(not left, f"{len(left)} connections still open after {seconds} s")
    return [bytes(got[s]) for s in socks]


@test
def backend_down(t):
    down = t.port()
    port, d = forwarder(t, down)
    for _ in range(3):
        with tcp(port) as s:
            start = time.monotonic()
            check(recv_to_eof(s) == b"", "data from a dead backend")
            check(time.monotonic() - start < 2, "client not closed at once")
    d.wait_log("connect to 127.0.0.1 port", "Connection refused")
    d.wait_log("local-connect-failed")
    refused = d.log_lines("Connection refused")
    check(len(refused) == 1, f"{len(refused)} warnings for 3 refusals "
          "within 10 s, want 1")


@test
def backend_slow(t):
    """A backend whose listen queue is full never answers the SYN: the
    client is closed after connect-timeout."""
    slow = socket.socket()
    slow.bind(("127.0.0.1", t.port()))
    slow.listen(0)
    filler = []
    try:
        for _ in range(3):      # fill the queue (backlog 0 takes one or two)
            f = socket.socket()
            f.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                f.connect(slow.getsockname())
            filler.append(f)
        time.sleep(0.2)
        port, d = forwarder(t, slow.getsockname()[1], "connect-timeout=1")
        with tcp(port) as s:
            start = time.monotonic()
            check(recv_to_eof(s, seconds=8) == b"", "data from nowhere")
            took = time.monotonic() - start
        check(0.8 <= took < 3, f"closed after {took:.1f} s, want about 1")
        d.wait_log("local-connect-timeout")
        d.wait_log("no answer")
    finally:
        for f in filler:
            f.close()
        slow.close()


@test
def client_reset(t):
    """A client that resets mid-stream makes the daemon close both sides."""
    seen = {}

    def reader(conn, peer):
        total = 0
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    seen["end"] = "eof"
                    break
                total += len(data)
        except ConnectionResetError:
            seen["end"] = "reset"
        seen["bytes"] = total

    b = Backend(t, reader)
    port, d = forwarder(t, b.port)
    s = tcp(port)
    s.sendall(os.urandom(200000))
    time.sleep(0.2)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    check(wait_until(lambda: "end" in seen, IO_TIMEOUT),
          "backend connection still open after the client's reset")
    check(seen["end"] == "reset", f"backend saw {seen['end']}, want a reset")
    d.wait_log("remote-reset")


@test
def target_reset(t):
    def resetter(conn, peer):
        conn.recv(10)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack("ii", 1, 0))

    b = Backend(t, resetter)
    port, d = forwarder(t, b.port)
    with tcp(port) as s:
        s.sendall(b"hello")
        try:
            end = recv_to_eof(s)
        except ConnectionResetError:
            end = b"reset"
        check(end in (b"", b"reset"), f"client got {end!r}")
    d.wait_log("local-reset")


def proxy_report_handler(conn, peer):
    """Parse a PROXY header (v1 or v2), answer with what it said."""
    head = conn.recv(16, socket.MSG_PEEK | socket.MSG_WAITALL)
    if head.startswith(b"PROXY "):
        line = b""
        while not line.endswith(b"\r\n"):
            line += conn.recv(1)
        conn.sendall(b"v1 " + line[:-2] + b"\n")
    elif head[:12] == b"\r\n\r\n\x00\r\nQUIT\n":
        head = conn.recv(16, socket.MSG_WAITALL)
        length = struct.unpack("!H", head[14:16])[0]
        body = conn.recv(length, socket.MSG_WAITALL) if length else b""
        fam = head[13]
        if fam >> 4 == 1:
            src, dst = socket.inet_ntop(socket.AF_INET, body[0:4]), \
                socket.inet_ntop(socket.AF_INET, body[4:8])
            sport, dport = struct.unpack("!HH", body[8:12])
        else:
            src, dst = socket.inet_ntop(socket.AF_INET6, body[0:16]), \
                socket.inet_ntop(socket.AF_INET6, body[16:32])
            sport, dport = struct.unpack("!HH", body[32:36])
        conn.sendall(b"v2 %02x %02x %s %s %d %d\n" % (
            head[12], fam, src.encode(), dst.encode(), sport, dport))
    else:
        conn.sendall(b"none\n")
    echo_handler(conn, peer)


def check_proxy_header(port, want, host="127.0.0.1"):
    """The backend reports the header it parsed: want is its report, a
    format of the client's port and the forwarder's."""
    with tcp(port, host) as s:
        line = recv_exact(s, 200, seconds=1).decode()
        want = want.format(client=s.getsockname()[1], port=port)
        check(line == want, f"backend read {line!r}, want {want!r}")
        check_bytes(exchange(s, b"after"), b"after", "data after header")


@test
def proxy_v1(t):
    b = Backend(t, proxy_report_handler)
    port, d = forwarder(t, b.port, "proxy-v1")
    check_proxy_header(port, "v1 PROXY TCP4 127.0.0.1 127.0.0.1 {client} "
                       "{port}\n")


@test
def proxy_v2(t):
    b = Backend(t, proxy_report_handler)
    port, d = forwarder(t, b.port, "proxy-v2")
    check_proxy_header(port, "v2 21 11 127.0.0.1 127.0.0.1 {client} {port}\n")


@test
def proxy_v2_ipv6(t):
    if not ipv6_usable():
        raise Skip("no ::1")
    b = Backend(t, proxy_report_handler)
    port = t.port(v6=True)
    t.daemon([forward_line(port, b.port, "proxy-v2", proto="tcp6",
                           host="::1")])
    check_proxy_header(port, "v2 21 21 ::1 ::1 {client} {port}\n", "::1")


@test
def ipv6_target(t):
    if not ipv6_usable():
        raise Skip("no ::1")
    b = Backend(t, echo_handler, host="::1")
    port = t.port()
    t.daemon([forward_line(port, b.port, target="::1")])
    with tcp(port) as s:
        check_bytes(exchange(s, b"to six"), b"to six", "echo over ::1")


@test
def idle_timeout(t):
    b = Backend(t, echo_handler)
    port, d = forwarder(t, b.port, "timeout=1")
    with tcp(port) as s:
        check_bytes(exchange(s, b"hi"), b"hi", "echo")
        start = time.monotonic()
        check(recv_to_eof(s, seconds=5) == b"", "data while idle")
        took = time.monotonic() - start
    check(0.8 <= took < 3, f"closed after {took:.1f} s idle, want about 1")
    d.wait_log("idle-timeout")


@test
def bad_entries(t):
    p = t.port()
    lines = {
        1: (f"127.0.0.1:{p} stream tcp nowait {ME} internal forward",
            "needs a target"),
        2: (f"127.0.0.1:{p} stream tcp nowait {ME} internal forward "
            "127.0.0.1", "HOST:PORT"),
        3: (f"127.0.0.1:{p} stream tcp nowait {ME} internal forward "
            "::1:80", "brackets"),
        4: (f"127.0.0.1:{p} stream tcp nowait {ME} internal forward "
            "127.0.0.1:80 fast", "unknown forward option 'fast'"),
        5: (f"127.0.0.1:{p} stream tcp nowait {ME} internal forward "
            "127.0.0.1:80 timeout=0", "timeout=0"),
        6: (f"127.0.0.1:{p} dgram udp wait {ME} internal forward "
            "127.0.0.1:80 proxy-v1", "proxy-v1"),
        7: (f"127.0.0.1:{p} stream tcp nowait {ME} internal forward "
            "nosuchhost.invalid:80", "nosuchhost.invalid"),
        8: (f"127.0.0.1:{p} stream tcp nowait {ME} internal forward "
            f"127.0.0.1:{p}", "own address"),
        9: (f"127.0.0.1:{p} stream tcp nowait {ME} internal forward "
            "127.0.0.1:80 proxy-v1 proxy-v2", "exclude"),
    }
    d = t.daemon([lines[n][0] for n in sorted(lines)], ready=False)
    d.wait_log("ready:")
    for n, (_, word) in sorted(lines.items()):
        found = d.log_lines(f"{d.conf}:{n}:")
        check(found, f"no message for line {n}")
        check(any(word in line for line in found),
              f"message for line {n} lacks {word!r}: {found[0]}")


@test
def reload_keeps_connections(t):
    """SIGHUP with a new target: a running connection goes on to the old
    backend, new ones reach the new backend."""
    def tagged(tag):
        def handler(conn, peer):
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                conn.sendall(tag + data)
        return handler

    old, new = Backend(t, tagged(b"old:")), Backend(t, tagged(b"new:"))
    port = t.port()
    d = t.daemon([forward_line(port, old.port)])
    with tcp(port) as s:
        check_bytes(exchange(s, b"1", 5), b"old:1", "before reload")
        with open(d.conf, "w") as f:
            f.write(forward_line(port, new.port) + "\n")
        d.proc.send_signal(signal.SIGHUP)
        d.wait_log("reloaded")
        check_bytes(exchange(s, b"2", 5), b"old:2", "running connection")
        with tcp(port) as s2:
            check_bytes(exchange(s2, b"3", 5), b"new:3", "new connection")


@test
def max_child(t):
    """nowait/2: the third forwarded connection waits in the queue until
    one of the first two ends."""
    b = Backend(t, echo_handler)
    port = t.port()
    line = forward_line(port, b.port).replace(" nowait ", " nowait/2 ")
    d = t.daemon([line])
    first, second = tcp(port), tcp(port)
    for s in (first, second):
        check_bytes(exchange(s, b"a"), b"a", "within max-child")
    third = tcp(port)       # queued by the kernel, not accepted
    third.sendall(b"c")
    check(silent(third, 0.5), "third connection served beyond max-child")
    check(not children_of(d.pid), "forwarded connections got children")
    first.close()
    check_bytes(recv_exact(third, 1, seconds=3), b"c",
                "third connection after one ended")
    second.close()
    third.close()


@test
def max_child_per_ip(t):
    """nowait/0/0/1: a second connection from the same address is closed
    at once, the first goes on."""
    b = Backend(t, echo_handler)
    port = t.port()
    d = t.daemon([forward_line(port, b.port).replace(" nowait ",
                                                      " nowait/0/0/1 ")])
    with tcp(port) as first:
        check_bytes(exchange(first, b"1"), b"1", "first connection")
        with tcp(port) as second:
            check(recv_to_eof(second) == b"", "second connection served")
        check_bytes(exchange(first, b"2"), b"2", "first after the second")
    d.wait_log("exceeded counts")


@test
def many_fds(t):
    """The forwarded sockets live in epoll: connections whose descriptors
    are above FD_SETSIZE (1024) still work."""
    b = Backend(t, echo_handler, backlog=2048)
    port = t.port()
    d = t.daemon([forward_line(port, b.port)])
    socks = []
    try:
        for i in range(700):     # 1400 sockets in the daemon
            socks.append(tcp(port))
        for i, s in enumerate(socks):
            s.sendall(b"%d;" % i)
        for i, s in enumerate(socks):
            want = b"%d;" % i
            check_bytes(recv_exact(s, len(want)), want, f"connection {i}")
    finally:
        for s in socks:
            s.close()
    check(d.proc.poll() is None, "daemon died")


@test
def wrappers(t):
    """-W: a numeric service field is checked as forward-PORT."""
    b = Backend(t, echo_handler)
    port = t.port()
    d = test_wrap.wrapped(t, [forward_line(port, b.port)],
                          allow=[f"forward-{port} : 127.0.0.1"],
                          deny=[f"forward-{port} : ALL"], flags=("-W",))
    with test_wrap.connect_from(port) as s:
        check_bytes(exchange(s, b"allowed"), b"allowed", "allowed client")
    check(test_wrap.refused(port, test_wrap.OTHER),
          f"{test_wrap.OTHER} was not refused")
    d.wait_log("refused connection from 127.0.0.2", f"forward-{port}")


def limited_daemon(t, lines, nofile, **kw):
    """A daemon started with nofile descriptors, which it cannot raise."""
    prlimit = harness.shutil.which("prlimit")
    if prlimit is None:
        raise Skip("prlimit(1) not installed")
    d = t.daemon(lines, wrapper=[prlimit, f"--nofile={nofile}:{nofile}",
                                 "--"], **kw)
    with open(f"/proc/{d.pid}/limits") as f:
        soft = next(int(line.split()[3]) for line in f
                    if line.startswith("Max open files"))
    if soft != nofile:
        raise Skip(f"inetd raised its descriptor limit to {soft}")
    return d


@test
def capacity_refused(t):
    """With 1200 descriptors, 88 connections fit (half of what is left
    above 1024): the next is closed at once and logged, the others go on.
    The entry's limits are above that, so the table's is the one met."""
    b = Backend(t, echo_handler)
    port = t.port()
    line = forward_line(port, b.port).replace(" nowait ",
                                              " nowait/1000/0/1000 ")
    d = limited_daemon(t, [line], 1200)
    socks = []
    try:
        for i in range(88):
            s = tcp(port)
            check_bytes(exchange(s, b"%d" % i), b"%d" % i, f"connection {i}")
            socks.append(s)
        with tcp(port) as extra:
            check(recv_to_eof(extra) == b"", "connection 89 was served")
        d.wait_log("88 connections forwarded", "connection refused")
        check_bytes(exchange(socks[0], b"still"), b"still",
                    "first connection after the refusal")
    finally:
        for s in socks:
            s.close()


def two_entries(t, nofile):
    """Entries A and B with no limits of their own, in a daemon whose
    table holds (nofile - 1024) / 2 connections."""
    b = Backend(t, echo_handler, backlog=256)
    a_port, b_port = t.port(), t.port()
    d = limited_daemon(t, [forward_line(a_port, b.port),
                           forward_line(b_port, b.port)], nofile)
    return d, a_port, b_port


def served(s, what):
    check_bytes(exchange(s, what.encode()), what.encode(), what)


@test
def address_default_share(t):
    """A table of 38: one address holds at most 4 (an eighth) through the
    entries that set no max-child-per-ip; the fifth is closed at once,
    to either entry, and other addresses are served meanwhile."""
    d, a_port, b_port = two_entries(t, 1100)
    held = []
    try:
        for i in range(4):
            held.append(test_wrap.connect_from(a_port))
            served(held[-1], f"held {i}")
        for port in (a_port, b_port):
            check(test_wrap.refused(port), f"a fifth to port {port} served")
        for port in (a_port, b_port):
            with test_wrap.connect_from(port, test_wrap.OTHER) as s:
                served(s, f"another address to port {port}")
        d.wait_log("from 127.0.0.1 exceeded forwarded connections "
                   "(limit 4, the default of an address)")
        before = len(open_fds(d.pid))
        held.pop().close()
        check(wait_until(lambda: len(open_fds(d.pid)) < before, 5),
              "the closed connection was kept")
        with test_wrap.connect_from(b_port) as s:
            served(s, "the address again after one closed")
    finally:
        for s in held:
            s.close()


@test
def entry_default_share(t):
    """A table of 38: entry A, from 10 addresses, holds at most 19 (half);
    the others wait in the queue, and a client of entry B is served."""
    d, a_port, b_port = two_entries(t, 1100)
    socks = []
    try:
        for i in range(40):
            source = f"127.0.0.{10 + i % 10}"
            socks.append(test_wrap.connect_from(a_port, source))
        for i, s in enumerate(socks[:19]):
            served(s, f"A {i}")
        with test_wrap.connect_from(b_port, "127.0.0.3") as s:
            served(s, "a client of B")
        socks[19].sendall(b"queued")
        check(silent(socks[19], 0.5), "entry A served beyond its share")
        d.wait_log("19 connections forwarded, the default max-child")
        socks[0].close()
        check_bytes(recv_exact(socks[19], 6), b"queued",
                    "a queued connection once one ended")
    finally:
        for s in socks:
            s.close()


def pipe_bytes(pid):
    """The bytes held in the pipes of a process, each pipe counted once."""
    seen, total = set(), 0
    for name in os.listdir(f"/proc/{pid}/fd"):
        path = f"/proc/{pid}/fd/{name}"
        try:
            if not os.readlink(path).startswith("pipe:"):
                continue
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        except OSError:
            continue            # closed meanwhile
        try:
            ino = os.fstat(fd).st_ino
            if ino not in seen:
                seen.add(ino)
                buf = fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4)
                total += struct.unpack("i", buf)[0]
        finally:
            os.close(fd)
    return total


@test
def pipe_budget(t):
    """INETD_PIPE_BUDGET=256 KiB: 6 clients sending 8 MiB each to a
    backend that does not read fill the daemon's pipes up to the budget,
    not beyond (256 KiB each without it); once the backend reads, every
    byte arrives intact."""
    budget, mib, nconn = 256 << 10, 8, 6
    go = threading.Event()
    got = []

    def late_reader(conn, peer):
        go.wait(60)
        got.append(hash_to_eof(conn, (mib + 1) << 20))

    b = Backend(t, late_reader)
    port = t.port()
    d = t.daemon([forward_line(port, b.port)],
                 env={"INETD_PIPE_BUDGET": str(budget)})
    errors = []

    def client(seed):
        try:
            with tcp(port) as s:
                s.settimeout(60)
                send_stream(s, seed, mib)
                recv_to_eof(s, seconds=60)
        except Exception as e:
            errors.append(f"client {seed}: {e}")

    seeds = [b"budget%d" % i for i in range(nconn)]
    threads = [threading.Thread(target=client, args=(seed,), daemon=True)
               for seed in seeds]
    for th in threads:
        th.start()
    most = 0
    for _ in steps(3):
        most = max(most, pipe_bytes(d.pid))
        time.sleep(0.05)
    go.set()
    for th in threads:
        th.join(60)
    check(not errors, "; ".join(errors))
    check(most <= budget, f"{most} bytes in the daemon's pipes, budget "
          f"{budget}")
    check(most >= budget // 2, f"only {most} bytes in the pipes: the "
          "test did not stall the connections")
    want = sorted((mib << 20, expected_hash(seed, mib)) for seed in seeds)
    check(wait_until(lambda: len(got) == nconn, 30), "backend got "
          f"{len(got)} of {nconn} streams")
    check(sorted(got) == want, "streams arrived altered")


@test
def wrapped_held_not_looping(t):
    """-W: 300 connections held through a forward entry, more than -R's
    256 a minute, do not make it "looping": its children only ask
    tcp_wrappers, then hand the connection back to the daemon, which
    forwards it with no process.  Each relays both ways, no child
    remains, a denied client is refused and a new one served."""
    b = Backend(t, echo_handler, backlog=512)
    port = t.port()
    d = test_wrap.wrapped(t, [forward_line(port, b.port)],
                          deny=[f"ALL: {test_wrap.OTHER}"], flags=("-W",))
    socks = []
    try:
        for i in range(300):
            socks.append(tcp(port))
        for i, s in enumerate(socks):
            served(s, f"held {i}")
        check(not d.log_lines("looping"), "the entry was stopped as looping")
        check(wait_until(lambda: not children_of(d.pid), 5),
              f"children remain: {children_of(d.pid)}")
        check(test_wrap.refused(port, test_wrap.OTHER),
              f"{test_wrap.OTHER} was not refused")
        d.wait_log(f"refused connection from {test_wrap.OTHER}")
        with tcp(port) as s:
            served(s, "a new client")
        for i, s in enumerate(socks):
            served(s, f"held {i} again")
    finally:
        for s in socks:
            s.close()


# --------------------------------------------------------------------- UDP

class UdpBackend:
    """Echoes each datagram with the sender's port in front."""

    def __init__(self, t, host="127.0.0.1"):
        self.port = t.port()
        self.sock = udp_socket(host, self.port)
        self.sources = set()
        self.payloads = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                data, peer = self.sock.recvfrom(70000)
            except OSError:
                return
            self.sources.add(peer[1])
            self.payloads.append(data)
            self.sock.sendto(b"%d:" % peer[1] + data, peer)


@test
def udp_clients(t):
    b = UdpBackend(t)
    port, d = forwarder(t, b.port, proto="udp")
    clients = [udp_socket() for _ in range(8)]
    try:
        for round_ in range(3):
            for i, c in enumerate(clients):
                c.sendto(b"client %d round %d" % (i, round_),
                         ("127.0.0.1", port))
            for i, c in enumerate(clients):
                reply = udp_reply(c, "127.0.0.1", port, 2)
                check(reply is not None, f"client {i}: no reply")
                src, _, body = reply.partition(b":")
                check(body == b"client %d round %d" % (i, round_),
                      f"client {i} got {reply!r}")
        check(len(b.sources) == 8, f"backend saw {len(b.sources)} source "
              "ports for 8 clients")
        big = os.urandom(60000)
        clients[0].sendto(big, ("127.0.0.1", port))
        reply = udp_reply(clients[0], "127.0.0.1", port, 2)
        check(reply is not None and reply.endswith(big), "60000-byte reply")
    finally:
        for c in clients:
            c.close()


@test
def udp_expiry(t):
    b = UdpBackend(t)
    port, d = forwarder(t, b.port, "timeout=1", proto="udp")
    with udp_socket() as c:
        for data in (b"one", b"two"):
            c.sendto(data, ("127.0.0.1", port))
            reply = udp_reply(c, "127.0.0.1", port, 2)
            check(reply is not None and reply.endswith(data),
                  f"reply to {data!r}: {reply!r}")
            if data == b"one":
                d.wait_log("expired", seconds=5)
    check(len(b.sources) == 2, f"backend saw {len(b.sources)} associations,"
          " want a new one after expiry")
    line = d.wait_log("expired")
    check("1 datagrams 3 bytes in" in line, f"log line: {line}")


PROXY_V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def parse_proxy_v2(data):
    """(command and family byte, (src addr, port), (dst addr, port),
    payload) of a datagram that starts with a PROXY v2 header."""
    check(data[:12] == PROXY_V2_SIG, f"no PROXY v2 signature: {data[:16]!r}")
    check(data[12] == 0x21, f"version/command {data[12]:#x}, want 0x21")
    fam = data[13]
    length = struct.unpack("!H", data[14:16])[0]
    body = data[16:16 + length]
    if fam >> 4 == 1:
        family, size = socket.AF_INET, 4
    elif fam >> 4 == 2:
        family, size = socket.AF_INET6, 16
    else:
        raise Fail(f"PROXY v2 family/transport {fam:#x}: no addresses")
    check(length == 2 * size + 4, f"PROXY v2 length {length}")
    src = socket.inet_ntop(family, body[:size])
    dst = socket.inet_ntop(family, body[size:2 * size])
    sport, dport = struct.unpack("!HH", body[2 * size:2 * size + 4])
    return fam, (src, sport), (dst, dport), data[16 + length:]


def proxy_udp_exchange(t, entry_host, proto, client_host, dest, want_fam):
    """A client on client_host sends to dest on a UDP forward bound to
    entry_host: the target's header must name exactly the client and
    dest, and the reply must come back from dest."""
    b = UdpBackend(t)
    port = t.port(v6=True)
    t.daemon([forward_line(port, b.port, "proxy-v2", proto, host=entry_host)])
    with udp_socket(client_host) as c:
        c.sendto(b"query", (dest, port))
        reply = udp_reply(c, dest, port, 2)
        check(reply is not None, f"no reply from {dest} port {port}")
        me = c.getsockname()[:2]
    check(wait_until(lambda: b.payloads, 2), "the target got nothing")
    fam, src, dst, payload = parse_proxy_v2(b.payloads[0])
    check(fam == want_fam, f"family/transport {fam:#x}, want {want_fam:#x}")
    check(src == me, f"source {src}, want the client {me}")
    check(dst == (dest, port), f"destination {dst}, want {(dest, port)}")
    check(payload == b"query", f"payload {payload!r}")
    check(reply.endswith(b"query"), f"reply {reply!r}")


@test
def udp_proxy_v2(t):
    proxy_udp_exchange(t, "127.0.0.1", "udp", "127.0.0.1", "127.0.0.1",
                       0x12)


@test
def udp_proxy_v2_wildcard(t):
    """Bound to every address, the entry tells the address the client
    sent to, not 0.0.0.0, and replies from it."""
    proxy_udp_exchange(t, "*", "udp", "127.0.0.1", "127.0.0.2", 0x12)


@test
def udp_proxy_v2_dual_stack(t):
    """An IPv4 client of a udp46 entry is an IPv4 client in the header
    (both addresses), not the IPv4-mapped or UNSPEC one."""
    if not ipv6_usable():
        raise Skip("no IPv6 loopback")
    proxy_udp_exchange(t, "::", "udp46", "127.0.0.1", "127.0.0.2", 0x12)


@test
def udp_proxy_v2_reload(t):
    """An echo entry bound to every address becomes a forward at a
    reload, on the socket it keeps: that socket now tells each datagram's
    address too."""
    b = UdpBackend(t)
    port = t.port()
    d = t.daemon([f"*:{port} dgram udp wait {ME} internal echo"])
    check_bytes(udp(port, b"echo"), b"echo", "echo")
    with open(d.conf, "w") as f:
        f.write(forward_line(port, b.port, "proxy-v2", "udp", host="*") +
                "\n")
    os.kill(d.pid, signal.SIGHUP)
    d.wait_log("reloaded")
    reply = udp(port, b"query", host="127.0.0.2")
    check(reply.endswith(b"query"), f"reply {reply!r}")
    fam, src, dst, _ = parse_proxy_v2(b.payloads[0])
    check(dst == ("127.0.0.2", port), f"destination {dst}")
    check(fam == 0x12 and src[0] == "127.0.0.2",
          f"family {fam:#x}, source {src}")


@test
def udp_proxy_v2_ipv6(t):
    if not ipv6_usable():
        raise Skip("no IPv6 loopback")
    proxy_udp_exchange(t, "::", "udp46", "::1", "::1", 0x22)


# ---------------------------------------------------------------- converter

RINETD_CONF = """\
# global rules
allow 127.0.0.*
deny 127.0.0.99
logfile /var/log/rinetd.log
logcommon
0.0.0.0 8080 192.0.2.10 80
allow 127.0.0.1?
127.0.0.1 8053/udp 192.0.2.53 53/udp [timeout=30]
::1 8443 2001:db8::1 443
127.0.0.1 http 192.0.2.11 http
"""


def rinetd_allows(addr, rule_allow, rule_deny):
    """rinetd's own rule for one forwarding rule of RINETD_CONF."""
    import fnmatch
    if not fnmatch.fnmatchcase(addr, "127.0.0.*") or addr == "127.0.0.99":
        return False
    if rule_allow and not any(fnmatch.fnmatchcase(addr, p)
                              for p in rule_allow):
        return False
    return not any(fnmatch.fnmatchcase(addr, p) for p in rule_deny)


@test
def rinetd2inetd(t):
    conf = t.path("rinetd.conf")
    with open(conf, "w") as f:
        f.write(RINETD_CONF)
    allow, deny = t.path("hosts.allow"), t.path("hosts.deny")
    done = subprocess.run([sys.executable, CONVERTER, "-A", allow, "-D", deny,
                           conf], capture_output=True, timeout=10)
    check(done.returncode == 0, f"status {done.returncode}: "
          f"{done.stderr.decode()}")
    out = done.stdout.decode()
    entries = [line.split() for line in out.splitlines()
               if line and not line.startswith("#")]
    want = [
        ["0.0.0.0:8080", "stream", "tcp", "nowait", "root", "internal",
         "forward", "192.0.2.10:80"],
        ["127.0.0.1:8053", "dgram", "udp", "wait", "root", "internal",
         "forward", "192.0.2.53:53", "timeout=30"],
        ["[::1]:8443", "stream", "tcp6", "nowait", "root", "internal",
         "forward", "[2001:db8::1]:443"],
        ["127.0.0.1:http", "stream", "tcp", "nowait", "root", "internal",
         "forward", "192.0.2.11:http"],
    ]
    check(entries == want, f"entries {entries}")
    check("-l" in out and "/var/log/rinetd.log" in out,
          "no note about the logfile")
    # The rules must decide as rinetd does, judged by libwrap itself.
    import ctypes
    try:
        wrap = ctypes.CDLL("libwrap.so.0")
    except OSError:
        raise Skip("libwrap.so.0 not found") from None
    # libwrap keeps the pointers: the bytes must outlive the checks.
    tables = (allow.encode(), deny.encode())
    ctypes.c_char_p.in_dll(wrap, "hosts_allow_table").value = tables[0]
    ctypes.c_char_p.in_dll(wrap, "hosts_deny_table").value = tables[1]
    wrap.hosts_ctl.argtypes = [ctypes.c_char_p] * 4
    cases = {"forward-8080": (["127.0.0.1?"], []), "http": ([], [])}
    for daemon, (rule_allow, rule_deny) in cases.items():
        for addr in ("127.0.0.1", "127.0.0.12", "127.0.0.99", "127.0.0.5",
                     "10.0.0.1"):
            got = bool(wrap.hosts_ctl(daemon.encode(), b"unknown",
                                      addr.encode(), b"unknown"))
            want_ok = rinetd_allows(addr, rule_allow, rule_deny)
            check(got == want_ok, f"daemon {daemon}, client {addr}: libwrap "
                  f"says {got}, rinetd {want_ok}")
    # and the inetd.conf lines load
    p = [t.port() for _ in range(2)]
    d = t.daemon([" ".join([f"127.0.0.1:{port}", *entry[1:4], ME,
                            *entry[5:]]) for port, entry in zip(p, entries)])
    check(d.ready == 2, f"converted lines: {d.ready} services, want 2")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
