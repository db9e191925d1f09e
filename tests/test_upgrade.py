#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Integration tests of the upgrade in place (SIGUSR2, "Upgrade in place"
in inetd.8).

The daemon replaces itself with the binary at its path while threads of
this process keep it busy: no connection may fail or be cut, the PID
stays, and the children it started before are still its to reap.  A
binary that cannot start leaves the running daemon as it was.

usage: test_upgrade.py [INETD] [TEST ...]  (see harness.py)
"""

import os
import re
import shutil
import signal
import socket
import sys
import threading
import time

import harness
from harness import *  # noqa: F401,F403

# test_system's stand-in for systemd's notification socket, without its tests.
_own_tests = list(harness.TESTS)
from test_system import Notify  # noqa: E402
harness.TESTS[:] = _own_tests

UPGRADES = 20           # replacements under load
UPGRADE_PAUSE = 0.25    # s between two of them
STREAM_BYTES = 4 << 20  # one forwarded transfer
STREAM_CHUNK = 64 << 10
STREAM_PAUSE = 0.01     # s between two chunks: a transfer spans upgrades
UPGRADED = "upgraded in place"
REFUSED = "upgrade refused"
FORMAT = "inetd-upgrade 1"     # of the state: what -t names
PATTERN = bytes(range(251)) * (STREAM_CHUNK // 251 + 2)


def chunk_at(offset, n):
    """n bytes of the stream from offset: the pattern repeats every 251."""
    start = offset % 251
    return PATTERN[start:start + n]


class Server:
    """A server thread on a port of 127.0.0.1: once() serves what comes
    (a client, a datagram), until stop is set."""

    def __init__(self, t, kind):
        self.port = t.port()
        self.sock = socket.socket(socket.AF_INET, kind)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        if kind == socket.SOCK_STREAM:
            self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.stop = threading.Event()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        for _ in steps(TEST_TIMEOUT):
            if self.stop.is_set():
                return
            try:
                self.once()
            except socket.timeout:
                continue


class Backend(Server):
    """TCP: handler(conn) runs in a thread of its own for each client."""

    def __init__(self, t, handler):
        self.handler = handler
        self.errors = []
        self.accepted = 0
        super().__init__(t, socket.SOCK_STREAM)

    def once(self):
        conn, _ = self.sock.accept()
        self.accepted += 1
        threading.Thread(target=self.run, args=(conn,), daemon=True).start()

    def run(self, conn):
        try:
            with conn:
                self.handler(conn)
        except OSError as e:
            self.errors.append(f"backend: {e}")


class UdpEcho(Server):
    """UDP: each datagram goes back to its sender."""

    def __init__(self, t):
        super().__init__(t, socket.SOCK_DGRAM)

    def once(self):
        data, peer = self.sock.recvfrom(2048)
        self.sock.sendto(data, peer)


def send_stream(conn):
    """STREAM_BYTES, paced so that a transfer spans upgrades."""
    for off in range(0, STREAM_BYTES, STREAM_CHUNK):
        conn.sendall(chunk_at(off, STREAM_CHUNK))
        time.sleep(STREAM_PAUSE)


def hold(conn):
    """Keeps the client until it closes."""
    conn.settimeout(TEST_TIMEOUT)
    while conn.recv(4096):
        pass


class Load:
    """Client threads, each repeating its exchange until stopped."""

    def __init__(self):
        self.stop = threading.Event()
        self.errors = []
        self.done = {}
        self.threads = []
        self.lock = threading.Lock()

    def run(self, name, exchange_once):
        def loop():
            for _ in steps(TEST_TIMEOUT):
                if self.stop.is_set():
                    return
                try:
                    exchange_once()
                except (Fail, OSError) as e:
                    with self.lock:
                        self.errors.append(f"{name}: {e}")
                    return
                with self.lock:
                    self.done[name] = self.done.get(name, 0) + 1
        th = threading.Thread(target=loop, daemon=True)
        th.start()
        self.threads.append(th)

    def finish(self):
        self.stop.set()
        for th in self.threads:
            th.join(IO_TIMEOUT * 4)
        check(not any(th.is_alive() for th in self.threads),
              "a client thread did not end")


def daytime_once(port):
    with tcp(port) as s:
        check_daytime(recv_to_eof(s))
    time.sleep(0.002)   # the machine is shared: load, not a flood


def echo_once(port):
    """A connection that lives across upgrades: a few exchanges."""
    with tcp(port) as s:
        for _ in range(5):
            data = os.urandom(2000)
            check_bytes(exchange(s, data), data, "echo")
            time.sleep(0.05)


def cat_once(port):
    """The exec'd service: /bin/cat sends back what it read."""
    data = os.urandom(3000)
    with tcp(port) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        check_bytes(recv_to_eof(s), data, "cat")


def udp_once(port):
    """A UDP client of the forward entry, a few datagrams long."""
    with udp_socket() as s:
        s.settimeout(IO_TIMEOUT)
        for i in range(5):
            data = os.urandom(500)
            s.sendto(data, ("127.0.0.1", port))
            try:
                got, _ = s.recvfrom(2048)
            except socket.timeout:
                raise Fail(f"no answer to datagram {i}") from None
            check_bytes(got, data, "forwarded datagram")
            time.sleep(0.05)


def stream_once(port):
    with tcp(port) as s:
        got = 0
        for _ in steps(TEST_TIMEOUT):
            s.settimeout(IO_TIMEOUT)
            block = s.recv(STREAM_CHUNK)
            if not block:
                break
            check(block == chunk_at(got, len(block)),
                  f"forwarded stream corrupt at byte {got}")
            got += len(block)
        check(got == STREAM_BYTES, f"forwarded stream cut after {got} of "
              f"{STREAM_BYTES} bytes")


def upgrade(d, ok=True):
    """SIGUSR2, and wait for the outcome: upgraded (ok) or refused."""
    def outcomes():
        log = d.log()
        return log.count(UPGRADED), log.count(REFUSED)

    before = outcomes()
    os.kill(d.pid, signal.SIGUSR2)
    after = wait_until(lambda: outcomes() != before and outcomes(),
                       IO_TIMEOUT * 2)
    check(after, f"no outcome of the upgrade within {IO_TIMEOUT * 2} s")
    check((after[0] > before[0]) == ok, "upgrade " +
          ("refused" if ok else "done") + " where it should have been " +
          ("done" if ok else "refused"))


def check_same_daemon(d):
    check(d.proc.poll() is None, "the daemon exited")
    with open(d.pidfile) as f:
        check(f.read().strip() == str(d.pid), "the pidfile changed")
    pids = set(re.findall(r"inetd\[(\d+)\]", d.log()))
    check(pids == {str(d.pid)}, f"log lines of other processes: {pids}")


def fds_added(pid, before):
    """What the daemon holds that it did not before, but the pipes that
    forward keeps for reuse."""
    added = []
    for fd in open_fds(pid):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue    # closed meanwhile
        if fd not in before and not link.startswith("pipe:"):
            added.append(link)
    return added


def no_zombies(pid):
    """Every child of the daemon has ended and was reaped: none is left,
    not even as a zombie."""
    check(wait_until(lambda: not children_of(pid), IO_TIMEOUT * 2),
          f"children of the daemon left: {children_of(pid)}")


@test
def upgrade_under_load(t):
    """20 upgrades while daytime, echo, an exec'd cat, a forwarded stream
    and forwarded datagrams are in use: no failure, no cut stream, the
    same PID."""
    ports = [t.port() for _ in range(6)]
    backend = Backend(t, send_stream)
    udp_backend = UdpEcho(t)
    d = t.daemon([
        f"127.0.0.1:{ports[0]} stream tcp nowait {ME} internal daytime",
        f"127.0.0.1:{ports[1]} stream tcp nowait {ME} internal echo",
        f"127.0.0.1:{ports[2]} stream tcp nowait.10000 {ME} /bin/cat cat",
        f"127.0.0.1:{ports[3]} stream tcp nowait {ME} internal forward "
        f"127.0.0.1:{backend.port}",
        # A server started before the upgrades, ending after them.
        f"127.0.0.1:{ports[4]} stream tcp nowait {ME} /bin/sleep sleep 3",
        f"127.0.0.1:{ports[5]} dgram udp wait {ME} internal forward "
        f"127.0.0.1:{udp_backend.port} timeout=2",
    ])
    fds = open_fds(d.pid)
    held = tcp(ports[4])
    check(wait_until(lambda: children_of(d.pid), IO_TIMEOUT),
          "the sleep server did not start")
    load = Load()
    load.run("daytime", lambda: daytime_once(ports[0]))
    load.run("echo", lambda: echo_once(ports[1]))
    load.run("echo2", lambda: echo_once(ports[1]))
    load.run("cat", lambda: cat_once(ports[2]))
    load.run("stream", lambda: stream_once(ports[3]))
    load.run("udp", lambda: udp_once(ports[5]))
    try:
        for _ in range(UPGRADES):
            upgrade(d)
            time.sleep(UPGRADE_PAUSE)
    finally:
        load.finish()
        backend.stop.set()
        udp_backend.stop.set()
        held.close()
    check(not load.errors, "; ".join(load.errors[:3]))
    check(not backend.errors, "; ".join(backend.errors[:3]))
    for name in ("daytime", "echo", "cat", "stream", "udp"):
        check(load.done.get(name, 0) > 0, f"no {name} exchange completed")
    check(d.log().count(UPGRADED) == UPGRADES, "not every upgrade done")
    check_same_daemon(d)
    inherited = re.search(r"upgraded in place: (\d+) children", d.log())
    check(int(inherited.group(1)) >= 1, "the first upgrade inherited no "
          "child: the sleep server was running")
    no_zombies(d.pid)
    os.kill(d.pid, signal.SIGUSR1)
    d.wait_log("0 children running")
    check(wait_until(lambda: not fds_added(d.pid, fds), IO_TIMEOUT),
          f"descriptors left after the upgrades: {fds_added(d.pid, fds)}")


@test
def upgrade_keeps_counters(t):
    """The counts of an entry and of its clients' addresses go across:
    max-connections-per-ip-per-minute 3 still refuses the fourth."""
    port = t.port()
    d = t.daemon([f"127.0.0.1:{port} stream tcp nowait/0/3 {ME} "
                  "internal daytime"])
    for _ in range(3):
        daytime_once(port)
    upgrade(d)
    with tcp(port) as s:
        check(recv_to_eof(s) == b"", "a fourth connection in the minute "
              "was served after the upgrade")
    os.kill(d.pid, signal.SIGUSR1)
    d.wait_log("connections 3;", "1 over max-connections-per-ip")
    check_same_daemon(d)


@test
def upgrade_notify(t):
    """Under a Type=notify unit: RELOADING=1, then READY=1 from the new
    image with the same MAINPID, and its watchdog still pinging."""
    n = Notify(t, abstract=True)
    port = t.port()
    d = t.daemon([f"127.0.0.1:{port} stream tcp nowait {ME} internal echo"],
                 env={"NOTIFY_SOCKET": n.env, "WATCHDOG_USEC": "400000"})
    n.expect("READY")
    upgrade(d)
    n.expect("RELOADING")
    msg = n.expect("READY")
    check(msg.get("MAINPID") == str(d.pid), f"MAINPID {msg.get('MAINPID')}, "
          f"daemon {d.pid}")
    pings = n.count("WATCHDOG", 1.0)
    check(pings >= 2, f"{pings} WATCHDOG=1 in 1 s after the upgrade")
    check_tcp_builtin("echo", port)


@test
def upgrade_forward_max_child(t):
    """Forwarded connections that the old image's keeper finishes do not
    stay counted in the new image: max-child 2 serves again once the two
    open across the upgrade have ended."""
    backend = Backend(t, hold)
    port = t.port()
    d = t.daemon([f"127.0.0.1:{port} stream tcp nowait/2 {ME} internal "
                  f"forward 127.0.0.1:{backend.port}"])
    held = [tcp(port) for _ in range(2)]
    check(wait_until(lambda: backend.accepted == 2, IO_TIMEOUT),
          "the two connections were not forwarded")
    upgrade(d)
    for s in held:
        s.close()
    check(wait_until(lambda: not children_of(d.pid), IO_TIMEOUT),
          "the keeper did not end with its connections")
    with tcp(port) as s:
        check(wait_until(lambda: backend.accepted == 3, IO_TIMEOUT),
              "a new connection was not forwarded after the upgrade: "
              "max-child still counts the keeper's")
    check_idle(d.pid)


@test
def upgrade_tcpmux_hand_back(t):
    """A tcpmux client that names its service only after the upgrade:
    its child hands the connection back on the channel the new image
    inherited, which starts the server."""
    port = t.port()
    d = t.daemon([
        f"127.0.0.1:{port} stream tcp nowait {ME} internal tcpmux",
        f"tcpmux/+Echo stream tcp nowait {ME} /bin/cat cat",
    ])
    with tcp(port) as s:
        check(wait_until(lambda: children_of(d.pid), IO_TIMEOUT),
              "no tcpmux child")
        upgrade(d)
        s.sendall(b"Echo\r\n")
        check_bytes(recv_exact(s, 5), b"+Go\r\n", "tcpmux answer")
        s.sendall(b"after\n")
        s.shutdown(socket.SHUT_WR)
        check_bytes(recv_to_eof(s), b"after\n", "the server's echo")
    no_zombies(d.pid)
    check_same_daemon(d)


def replace_binary(path, text, mode=0o755):
    """Rename a new file over path, as dpkg does."""
    new = path + ".new"
    with open(new, "w") as f:
        f.write(text)
    os.chmod(new, mode)
    os.rename(new, path)


@test
def upgrade_refused(t):
    """A new binary that cannot start, that is not inetd, or that refuses
    the file, leaves the running daemon serving, and the log says why."""
    binary = t.path("inetd")
    shutil.copy(harness.INETD, binary)
    port = t.port()
    line = f"127.0.0.1:{port} stream tcp nowait {ME} internal echo"
    d = t.daemon([line], binary=binary)
    held = tcp(port)
    check_bytes(exchange(held, b"before\n"), b"before\n", "echo")
    replace_binary(binary, "#!/bin/sh\necho 'error while loading shared "
                   "libraries: libmissing.so.1' >&2\nexit 127\n")
    upgrade(d, ok=False)
    d.wait_log("libmissing.so.1")
    d.wait_log("exited with status 127", "the running inetd goes on")
    replace_binary(binary, "not a program\n", mode=0o644)
    upgrade(d, ok=False)
    d.wait_log("-t: Permission denied")
    # A program that is not inetd, whatever its -t says.
    replace_binary(binary, "#!/bin/sh\nexit 0\n")
    upgrade(d, ok=False)
    d.wait_log("does not read the state in the format")
    # One that passes the check, then cannot be executed: the keeper
    # started for the echo connection goes, the daemon serves it on.
    replace_binary(binary, f"#!/bin/sh\necho '{FORMAT}'\n"
                   "chmod 644 \"$0\"\n")
    os.kill(d.pid, signal.SIGUSR2)
    d.wait_log("upgrade: execve", "Permission denied",
               "the running inetd goes on")
    d.wait_log("upgrading to", "finished by a child")
    check(wait_until(lambda: not children_of(d.pid), IO_TIMEOUT),
          "the keeper of a failed exec did not go")
    shutil.copy(harness.INETD, binary + ".new")
    os.rename(binary + ".new", binary)
    with open(d.conf, "a") as f:
        f.write(f"127.0.0.1:{port} stream tcp nowait nosuchuser0 "
                "internal echo\n")
    upgrade(d, ok=False)
    d.wait_log("-t:", "nosuchuser0")
    check_bytes(exchange(held, b"after\n"), b"after\n", "echo, same "
                "connection, after the refusals")
    check_tcp_builtin("echo", port)
    check_same_daemon(d)
    held.close()
    with open(d.conf, "w") as f:
        f.write(line + "\n")
    upgrade(d)
    check_tcp_builtin("echo", port)
    check_same_daemon(d)


if __name__ == "__main__":
    sys.exit(harness.main(sys.argv[1:]))
