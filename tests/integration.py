#!/usr/bin/env python3
"""Integration tests for inetd.

Each test starts the built daemon in -d mode with a configuration it writes
into its own temporary directory, on 127.0.0.1 / ::1 high ports, waits for
the "ready: N services listening" line on the daemon's stderr, talks to it
over real sockets and checks the bytes.  The daemon is always stopped and
reaped at the end of the test.

usage: integration.py [INETD] [TEST ...]
    INETD   the daemon to test (an argument containing "/"), else $INETD,
            else ./inetd
    TEST    names of the tests to run (default: all)

Prints "PASS name", "FAIL name: reason" or "SKIP name: reason" per test and
ends with "N passed, M failed"; the exit status is 1 when M > 0.  The
daemon's log of a failed test goes to stderr.  Standard library only.
"""

import contextlib
import ctypes
import grp
import os
import pwd
import random
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
READY_TIMEOUT = 10      # seconds for the daemon to report it listens
IO_TIMEOUT = 5          # seconds for one network exchange
STOP_TIMEOUT = 5        # seconds for the daemon to exit after a signal
TEST_TIMEOUT = 90       # seconds for a whole test, whatever it does
MAX_STEPS = 100000      # iterations of any polling or I/O loop
SANITIZER_MARKS = ("runtime error", "ERROR: AddressSanitizer",
                   "LeakSanitizer", "UndefinedBehaviorSanitizer")
SANITIZER_ENV = {
    "ASAN_OPTIONS": "abort_on_error=1:halt_on_error=1:detect_leaks=1",
    "UBSAN_OPTIONS": "abort_on_error=1:halt_on_error=1:print_stacktrace=1",
}
EPOCH_1900 = 2208988800
RING = bytes(range(0x20, 0x7F))         # chargen's 95 printable characters
BUILTIN_PORTS = (7, 9, 13, 19, 37)
# Signals 32 and 33 are glibc's own: its sigaction() and sigprocmask() refuse
# them, so a daemon cannot reset them, and posix_spawn() (GNU make starts
# commands with it) leaves them ignored in what it starts.  Not inetd's doing.
GLIBC_SIGNALS = (1 << 31) | (1 << 32)

INETD = "./inetd"
PROBE = os.environ.get("PROBE", os.path.join(HERE, "probe"))
ME = pwd.getpwuid(os.geteuid()).pw_name
IS_ROOT = os.geteuid() == 0


class Fail(Exception):
    """A check did not hold; the message says what was seen."""


class Skip(Exception):
    """The test cannot run here; the message says why."""


class Timeout(Exception):
    """The whole test ran past TEST_TIMEOUT."""


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def check_bytes(got, want, what):
    if got == want:
        return
    diff = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b),
                min(len(got), len(want)))
    raise Fail(f"{what}: got {len(got)} bytes, want {len(want)}; "
               f"first difference at byte {diff}: "
               f"{bytes(got[diff:diff + 16])!r} "
               f"vs {bytes(want[diff:diff + 16])!r}")


def steps(seconds):
    """Yield until seconds have passed, at most MAX_STEPS times."""
    deadline = time.monotonic() + seconds
    for _ in range(MAX_STEPS):
        left = deadline - time.monotonic()
        if left <= 0:
            return
        yield left


def wait_until(pred, seconds, interval=0.05):
    """Poll pred() until it is true; return its last value."""
    value = pred()
    for _ in steps(seconds):
        if value:
            break
        time.sleep(interval)
        value = pred()
    return value


# ---------------------------------------------------------------- processes

def proc_stat(pid):
    """(state, ppid, session) of a process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[1]), int(fields[3])


def all_pids():
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def children_of(ppid):
    """{pid: state} of the live and zombie children of ppid."""
    kids = {}
    for pid in all_pids():
        st = proc_stat(pid)
        if st and st[1] == ppid:
            kids[pid] = st[0]
    return kids


def become_subreaper():
    """Adopt the daemon's orphans (servers outliving it) to reap them."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)      # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def kill_strays(sessions):
    """Kill what the stopped daemons left running: processes in their
    sessions, and orphans we adopted as subreaper."""
    me = os.getpid()
    for pid in all_pids():
        st = proc_stat(pid)
        if st and pid != me and (st[2] in sessions or st[1] == me):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
    for _ in steps(STOP_TIMEOUT):
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.02)


def daemon_env(extra=None):
    env = dict(os.environ)
    for key, value in SANITIZER_ENV.items():
        env.setdefault(key, value)
    env.update(extra or {})
    return env


def sanitizer_report(text):
    return next((line for line in text.splitlines()
                 if any(mark in line for mark in SANITIZER_MARKS)), None)


class Daemon:
    """One inetd process, its configuration and its stderr log."""

    def __init__(self, test, lines, flags=(), env=None, name="inetd",
                 pidfile=None, user=None, binary=None):
        self.ready = None       # N of "ready: N services listening"
        self.conf = os.path.join(test.dir, name + ".conf")
        self.pidfile = pidfile or os.path.join(test.dir, name + ".pid")
        self.logpath = os.path.join(test.dir, name + ".log")
        self.expect_exit = False
        with open(self.conf, "w") as f:
            f.write("".join(line + "\n" for line in lines))
        os.chmod(self.conf, 0o644)
        self.argv = [binary or INETD, "-d", *flags, "-p", self.pidfile,
                     self.conf]
        creds = {}
        if user is not None:
            pw = pwd.getpwnam(user)
            creds = {"user": pw.pw_uid, "group": pw.pw_gid,
                     "extra_groups": []}
        with open(self.logpath, "wb") as log:
            self.proc = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                env=daemon_env(env), start_new_session=True, **creds)
        test.daemons.append(self)
        self.pid = self.proc.pid

    def log(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode(errors="replace")

    def log_lines(self, *words):
        """Lines of the log that contain every one of words."""
        return [line for line in self.log().splitlines()
                if all(w in line for w in words)]

    def wait_log(self, *words, seconds=IO_TIMEOUT):
        """The first log line containing all of words, or Fail."""
        lines = wait_until(lambda: self.log_lines(*words), seconds)
        check(lines, f"no log line with {words!r} within {seconds} s")
        return lines[0]

    def wait_ready(self):
        """Wait for "ready: N services listening"; return N."""
        pattern = re.compile(r"ready: (\d+) services? listening")

        def ready_or_exited():
            return pattern.search(self.log()) or self.proc.poll() is not None

        found = wait_until(ready_or_exited, READY_TIMEOUT)
        if found is True:
            raise Fail(f"daemon exited with status {self.proc.poll()} "
                       "before it was ready")
        check(found, f"daemon not ready within {READY_TIMEOUT} s")
        return int(found.group(1))

    def wait_exit(self, seconds=STOP_TIMEOUT):
        """Exit status, or None if still running after seconds."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            return self.proc.wait(seconds)
        return None

    def stop(self, sig=signal.SIGTERM):
        """Signal the daemon, wait for it (bounded), return its status."""
        self.expect_exit = True
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(sig)
        status = self.wait_exit()
        if status is None:
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT)
        return status

    def finish(self):
        """Stop the daemon; what went wrong with it, or None."""
        died = self.proc.poll() is not None and not self.expect_exit
        running = self.proc.poll() is None
        status = self.stop()
        report = sanitizer_report(self.log())
        if report:
            return f"sanitizer: {report.strip()}"
        if died:
            return f"daemon died during the test (status {status})"
        if running and status != 0:
            return f"daemon exited with status {status} after SIGTERM"
        return None


class Test:
    """State of the running test: its directory and its daemons."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="inetd-test.")
        # mkdtemp makes it 0700: servers running as nobody need to get in.
        os.chmod(self.dir, 0o755)
        self.daemons = []
        self.ports = set()

    def path(self, name):
        return os.path.join(self.dir, name)

    def daemon(self, lines, ready=True, **kw):
        d = Daemon(self, lines, **kw)
        if ready:
            d.ready = d.wait_ready()
        return d

    def port(self, v6=False):
        """A port free for TCP and UDP on 127.0.0.1 (and ::1 if v6).

        Taken below the kernel's ephemeral range, so that no client socket
        of the test is given it between this check and the daemon's bind.
        """
        high = min(ephemeral_low(), 32000)
        if high < 21000:
            high = 32000
        for _ in range(200):
            port = random.randrange(20000, high)
            if port not in self.ports and port_free(port, v6):
                self.ports.add(port)
                return port
        raise Fail("no free port found")

    def probe(self):
        """A copy of tests/probe that user nobody can run."""
        path = self.path("probe")
        if not os.path.exists(path):
            shutil.copy(PROBE, path)
            os.chmod(path, 0o755)
        return path

    def finish(self):
        problems = [p for p in (d.finish() for d in self.daemons) if p]
        kill_strays({d.pid for d in self.daemons})
        shutil.rmtree(self.dir, ignore_errors=True)
        return problems


def ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def port_free(port, v6=False):
    hosts = [(socket.AF_INET, "127.0.0.1")]
    if v6:
        hosts.append((socket.AF_INET6, "::1"))
    with contextlib.ExitStack() as stack:
        for family, host in hosts:
            for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                s = stack.enter_context(socket.socket(family, kind))
                # A TIME_WAIT connection does not keep a server from binding.
                if kind == socket.SOCK_STREAM:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    s.bind((host, port))
                except OSError:
                    return False
    return True


def ipv6_usable():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


# ------------------------------------------------------------------ network

def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def tcp(port, host="127.0.0.1"):
    s = socket.socket(family_of(host), socket.SOCK_STREAM)
    s.settimeout(IO_TIMEOUT)
    try:
        s.connect((host, port))
    except OSError as e:
        s.close()
        raise Fail(f"connect to {host} port {port}: {e}") from None
    return s


def recv_exact(s, n, seconds=IO_TIMEOUT):
    """Up to n bytes: fewer only on EOF or timeout."""
    got = bytearray()
    for left in steps(seconds):
        if len(got) >= n:
            break
        s.settimeout(left)
        try:
            chunk = s.recv(min(n - len(got), 65536))
        except socket.timeout:
            break
        if not chunk:
            break
        got += chunk
    return bytes(got)


def recv_to_eof(s, limit=1 << 20, seconds=IO_TIMEOUT):
    """Everything until the peer closes; Fail if it does not."""
    got = bytearray()
    for left in steps(seconds):
        s.settimeout(left)
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            return bytes(got)
        got += chunk
        check(len(got) <= limit, f"more than {limit} bytes, no EOF")
    raise Fail(f"connection not closed within {seconds} s "
               f"({len(got)} bytes read)")


def exchange(s, data, want=None, seconds=30):
    """Send data while reading the reply, so neither side's buffers fill up;
    return the reply once want (default len(data)) bytes have come."""
    want = len(data) if want is None else want
    got = bytearray()
    sent = 0
    s.setblocking(False)
    for left in steps(seconds):
        if len(got) >= want:
            break
        wlist = [s] if sent < len(data) else []
        r, w, _ = select.select([s], wlist, [], min(left, 1.0))
        if w:
            with contextlib.suppress(BlockingIOError):
                sent += s.send(data[sent:sent + 65536])
        if r:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    s.settimeout(IO_TIMEOUT)
    return bytes(got)


def silent(s, seconds=0.5):
    """True if nothing (no data, no EOF) arrives on s for seconds."""
    r, _, _ = select.select([s], [], [], seconds)
    return not r


def udp_socket(host="127.0.0.1", port=0):
    s = socket.socket(family_of(host), socket.SOCK_DGRAM)
    s.bind((host, port))
    return s


def udp(port, data, host="127.0.0.1", tries=3, seconds=2):
    """Send a datagram, return the answer from host:port (Fail if none)."""
    with udp_socket(host) as s:
        for _ in range(tries):
            s.sendto(data, (host, port))
            reply = udp_reply(s, host, port, seconds)
            if reply is not None:
                return reply
    raise Fail(f"no UDP answer from {host} port {port}")


def udp_reply(s, host, port, seconds):
    """The next datagram from host:port within seconds, or None."""
    for left in steps(seconds):
        r, _, _ = select.select([s], [], [], left)
        if not r:
            return None
        data, peer = s.recvfrom(70000)
        if peer[0] == host and peer[1] == port:
            return data
    return None


# ---------------------------------------------------------------- builtins

def builtin_lines(port, name, host="127.0.0.1", tcp_proto="tcp",
                  udp_proto="udp"):
    return [f"{host}:{port} stream {tcp_proto} nowait {ME} internal {name}",
            f"{host}:{port} dgram {udp_proto} wait {ME} internal {name}"]


def serve_builtin(t, name):
    port = t.port()
    t.daemon(builtin_lines(port, name))
    return port


def chargen_line(k):
    return bytes(RING[(k + i) % len(RING)] for i in range(72)) + b"\r\n"


def check_daytime(data):
    check(len(data) == 26 and data.endswith(b"\r\n"),
          f"daytime: want 26 bytes ending in CRLF, got {data!r}")
    try:
        stamp = time.mktime(time.strptime(data[:24].decode("ascii"),
                                          "%a %b %d %H:%M:%S %Y"))
    except (ValueError, UnicodeDecodeError):
        raise Fail(f"daytime: not ctime format: {data!r}") from None
    check(abs(stamp - time.time()) <= 5,
          f"daytime: {data!r} is not now ({time.ctime()})")


def check_time(data):
    check(len(data) == 4, f"time: want 4 bytes, got {data!r}")
    then = struct.unpack("!I", data)[0] - EPOCH_1900
    check(abs(then - time.time()) <= 5,
          f"time: {then} is not now ({int(time.time())})")


def check_chargen_datagram(data):
    """0..512 bytes of the ring, lines of at most 72 characters, each line
    starting one character further along the ring than the one before."""
    check(len(data) <= 512, f"chargen datagram of {len(data)} bytes")
    if data.endswith(b"\r"):
        data = data[:-1]        # cut between CR and LF
    lines = data.split(b"\r\n")
    for i, line in enumerate(lines):
        check(len(line) <= 72, f"chargen line {i} has {len(line)} characters")
        check(all(c in RING for c in line), f"chargen line {i}: {line!r}")
        check(all(RING.index(b) == (RING.index(a) + 1) % len(RING)
                  for a, b in zip(line, line[1:])),
              f"chargen line {i} does not follow the ring: {line!r}")
    full = [line for line in lines[:-1] if len(line) == 72]
    check(all(RING.index(b[0]) == (RING.index(a[0]) + 1) % len(RING)
              for a, b in zip(full, full[1:])),
          "chargen lines do not rotate by one character")


def check_tcp_builtin(name, port, host="127.0.0.1"):
    """A quick behaviour check of one TCP builtin."""
    with tcp(port, host) as s:
        if name == "echo":
            data = os.urandom(1000)
            check_bytes(exchange(s, data), data, f"echo on {host}")
        elif name == "discard":
            s.sendall(b"x" * 1000)
            check(silent(s), "discard answered")
        elif name == "chargen":
            check_bytes(recv_exact(s, 74), chargen_line(0), "chargen")
        elif name == "daytime":
            check_daytime(recv_to_eof(s))
        elif name == "time":
            check_time(recv_to_eof(s))


# ------------------------------------------------------------------- probe

def probe_report(port, host="127.0.0.1"):
    """Connect to a probe service and parse what it printed."""
    with tcp(port, host) as s:
        text = recv_to_eof(s).decode(errors="replace")
    report = {"argv": [], "fd": {}}
    for line in text.splitlines():
        key, _, rest = line.partition(" ")
        if key == "argv":
            report["argv"].append(rest.partition(" ")[2])
        elif key == "fd":
            fd, _, target = rest.partition(" ")
            report["fd"][int(fd)] = target
        else:
            report[key] = rest
    check("sigign" in report, f"probe output incomplete: {text!r}")
    return report


# ------------------------------------------------------------------- tests

TESTS = []


def test(func):
    TESTS.append(func)
    return func


@test
def echo_tcp(t):
    port = serve_builtin(t, "echo")
    data = os.urandom(4096)
    with tcp(port) as s:
        check_bytes(exchange(s, data), data, "echo")
        s.shutdown(socket.SHUT_WR)
        check(recv_to_eof(s) == b"", "echo sent more than it got")


@test
def echo_tcp_1mb(t):
    port = serve_builtin(t, "echo")
    data = os.urandom(1 << 20)
    with tcp(port) as s:
        check_bytes(exchange(s, data), data, "echo of 1 MB")


@test
def echo_udp(t):
    port = serve_builtin(t, "echo")
    for size in (1, 1000, 8192, 65507):
        data = os.urandom(size)
        check_bytes(udp(port, data), data, f"UDP echo of {size} bytes")


@test
def echo_udp_empty(t):
    port = serve_builtin(t, "echo")
    check_bytes(udp(port, b""), b"", "UDP echo of 0 bytes")


@test
def discard_tcp(t):
    port = serve_builtin(t, "discard")
    with tcp(port) as s:
        s.sendall(os.urandom(65536))
        check(silent(s), "discard sent something back or closed")
        s.sendall(os.urandom(65536))
        check(silent(s), "discard sent something back or closed")
        s.shutdown(socket.SHUT_WR)
        check(recv_to_eof(s) == b"", "discard sent data")


@test
def discard_udp(t):
    port = serve_builtin(t, "discard")
    with udp_socket() as s:
        s.sendto(b"hello", ("127.0.0.1", port))
        check(udp_reply(s, "127.0.0.1", port, 0.5) is None,
              "discard answered a datagram")


@test
def chargen_tcp(t):
    port = serve_builtin(t, "chargen")
    nlines = 100        # past the 95 characters of the ring
    with tcp(port) as s:
        got = recv_exact(s, 74 * nlines)
    want = b"".join(chargen_line(k) for k in range(nlines))
    check_bytes(got, want, "chargen")


@test
def chargen_udp(t):
    port = serve_builtin(t, "chargen")
    for _ in range(20):
        check_chargen_datagram(udp(port, b"x"))


@test
def daytime_tcp(t):
    port = serve_builtin(t, "daytime")
    with tcp(port) as s:
        check_daytime(recv_to_eof(s))


@test
def daytime_udp(t):
    port = serve_builtin(t, "daytime")
    check_daytime(udp(port, b"x"))


@test
def time_tcp(t):
    port = serve_builtin(t, "time")
    with tcp(port) as s:
        check_time(recv_to_eof(s))


@test
def time_udp(t):
    port = serve_builtin(t, "time")
    check_time(udp(port, b"x"))


@test
def udp_loop_defence(t):
    port = serve_builtin(t, "echo")
    for source in BUILTIN_PORTS[:2]:
        try:
            s = udp_socket(port=source)
        except OSError as e:
            raise Skip(f"cannot bind UDP port {source}: {e.strerror}")
        with s:
            s.sendto(b"ping", ("127.0.0.1", port))
            check(udp_reply(s, "127.0.0.1", port, 0.5) is None,
                  f"answered a datagram from port {source}")
    check_bytes(udp(port, b"pong"), b"pong", "echo after refused datagrams")


@test
def builtin_any_port(t):
    names = ("echo", "discard", "chargen", "daytime", "time")
    ports = {name: t.port() for name in names}
    t.daemon([f"127.0.0.1:{ports[n]} stream tcp nowait {ME} internal {n}"
              for n in names])
    check(t.daemons[0].ready == len(names),
          f"ready with {t.daemons[0].ready} services, want {len(names)}")
    for name in names:
        check_tcp_builtin(name, ports[name])


@test
def config_forms(t):
    """-a, a bare HOST: line, nowait.N, wait/N/M/P, user.group, user:group,
    a continuation line and Debian's comment forms all load and serve."""
    p = [t.port() for _ in range(5)]
    group = grp.getgrgid(pwd.getpwnam(ME).pw_gid).gr_name
    d = t.daemon([
        "#:STANDARD: a Debian section comment",
        f"{p[0]} stream tcp nowait {ME} internal echo",
        "#<off># 9999 stream tcp nowait root internal echo",
        "",
        "127.0.0.1:",
        f"{p[1]}\tstream\ttcp\tnowait.500\t{ME}.{group}\tinternal daytime",
        f"{p[2]} stream tcp nowait/10/20/5 {ME}:{group} internal time",
        f"{p[3]} dgram udp wait/1 {ME} internal echo",
        f"{p[4]} stream tcp nowait {ME} {t.probe()}",
        "\tprobe 'a b' \"c\"",
    ], flags=("-a", "127.0.0.1"))
    check(d.ready == 5, f"ready with {d.ready} services, want 5")
    check_tcp_builtin("echo", p[0])
    check_tcp_builtin("daytime", p[1])
    check_tcp_builtin("time", p[2])
    check_bytes(udp(p[3], b"dgram"), b"dgram", "UDP echo")
    argv = probe_report(p[4])["argv"]
    check(argv == ["probe", "a b", "c"], f"argv {argv}")


@test
def nowait_nobody(t):
    if not IS_ROOT:
        raise Skip("not root: cannot run a server as nobody")
    nobody = pwd.getpwnam("nobody")
    port = t.port()
    argv = ["probe", "-x", "two words", "single quoted", "last"]
    t.daemon([f"127.0.0.1:{port} stream tcp nowait nobody {t.probe()} "
              "probe -x \"two words\" 'single quoted' last"])
    r = probe_report(port)
    uid, gid = nobody.pw_uid, nobody.pw_gid
    check(r["uid"] == f"{uid} {uid}", f"uid {r['uid']}, want {uid}")
    check(r["gid"] == f"{gid} {gid}", f"gid {r['gid']}, want {gid}")
    groups = {int(g) for g in r["groups"].split()}
    want = set(os.getgrouplist("nobody", gid))
    check(groups == want, f"groups {sorted(groups)}, want {sorted(want)}")
    check(r["argv"] == argv, f"argv {r['argv']}, want {argv}")
    check(sorted(r["fd"]) == [0, 1, 2], f"open fds {r['fd']}")
    targets = set(r["fd"].values())
    check(len(targets) == 1 and targets.pop().startswith("socket:"),
          f"fds 0-2 are not the connection: {r['fd']}")
    for key, what in (("sigblk", "blocked"), ("sigign", "ignored")):
        check(int(r[key], 16) & ~GLIBC_SIGNALS == 0,
              f"{what} signals {r[key]}")


@test
def exec_default_argv0(t):
    port = t.port()
    t.daemon([f"127.0.0.1:{port} stream tcp nowait {ME} {t.probe()}"])
    r = probe_report(port)
    check(r["argv"] == ["probe"], f"argv {r['argv']}, want ['probe']")


@test
def wait_tftp(t):
    tftpd, client = "/usr/sbin/in.tftpd", shutil.which("tftp")
    if not (os.access(tftpd, os.X_OK) and client):
        raise Skip("tftpd-hpa or tftp-hpa not installed")
    if not IS_ROOT:
        raise Skip("not root: in.tftpd -s needs chroot")
    root, fetched = t.path("tftproot"), t.path("client")
    os.mkdir(root, 0o755)
    os.mkdir(fetched)
    data = os.urandom(100000)
    with open(os.path.join(root, "file.bin"), "wb") as f:
        f.write(data)
    os.chmod(os.path.join(root, "file.bin"), 0o644)
    port = t.port()
    # -t 1: the server exits 1 s after its last request instead of 900 s.
    t.daemon([f"127.0.0.1:{port} dgram udp wait root {tftpd} "
              f"in.tftpd -t 1 -s {root}"])
    try:
        subprocess.run([client, "127.0.0.1", str(port), "-c", "get",
                        "file.bin"], cwd=fetched, timeout=20,
                       stdin=subprocess.DEVNULL, capture_output=True)
    except subprocess.TimeoutExpired:
        raise Fail("tftp get did not finish within 20 s") from None
    try:
        with open(os.path.join(fetched, "file.bin"), "rb") as f:
            got = f.read()
    except OSError as e:
        raise Fail(f"tftp fetched nothing: {e.strerror}") from None
    check_bytes(got, data, "file fetched by tftp")


UDP_SERVER = """\
import os, socket, time
time.sleep(0.3)     # long enough for the test to count the daemon's children
s = socket.socket(fileno=0)
data, peer = s.recvfrom(4096)
s.sendto(b"%d:" % os.getpid() + data, peer)
"""


@test
def wait_udp_resume(t):
    """A dgram wait server answers one request and exits: the daemon must
    start exactly one server at a time and watch the socket again after."""
    script = t.path("udpserver.py")
    with open(script, "w") as f:
        f.write(UDP_SERVER)
    python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") \
        else os.path.realpath(sys.executable)
    port = t.port()
    d = t.daemon([f"127.0.0.1:{port} dgram udp wait {ME} {python} "
                  f"python3 {script}"])
    pids = []
    for i in range(3):
        with udp_socket() as s:
            s.sendto(b"request %d" % i, ("127.0.0.1", port))
            most = 0
            reply = None
            for _ in steps(IO_TIMEOUT):
                live = [p for p, st in children_of(d.pid).items() if st != "Z"]
                most = max(most, len(live))
                reply = udp_reply(s, "127.0.0.1", port, 0.05)
                if reply is not None:
                    break
        check(reply is not None, f"request {i} not answered")
        pid, _, echoed = reply.partition(b":")
        check(echoed == b"request %d" % i, f"request {i}: answer {reply!r}")
        check(most <= 1, f"{most} servers at once for a wait service")
        pids.append(pid)
    check(len(set(pids)) == 3, f"answers came from servers {pids}")


def require_ipv6():
    if not ipv6_usable():
        raise Skip("no ::1")


@test
def ipv6_tcp6(t):
    require_ipv6()
    port = t.port(v6=True)
    t.daemon([f"[::1]:{port} stream tcp6 nowait {ME} internal echo"])
    check_tcp_builtin("echo", port, "::1")


@test
def ipv6_udp6(t):
    require_ipv6()
    port = t.port(v6=True)
    t.daemon([f"[::1]:{port} dgram udp6 wait {ME} internal echo"])
    check_bytes(udp(port, b"six", "::1"), b"six", "UDP echo on ::1")


@test
def ipv6_tcp46(t):
    require_ipv6()
    port = t.port(v6=True)
    t.daemon([f"[::1]:{port} stream tcp46 nowait {ME} internal daytime"])
    check_tcp_builtin("daytime", port, "::1")


@test
def ipv6_tcp46_takes_ipv4(t):
    """tcp46 is one IPv6 socket that also accepts IPv4 (IPV6_V6ONLY off):
    bound to the IPv4-mapped loopback it answers 127.0.0.1."""
    require_ipv6()
    port = t.port(v6=True)
    t.daemon([f"[::ffff:127.0.0.1]:{port} stream tcp46 nowait {ME} "
              "internal echo"])
    check_tcp_builtin("echo", port, "127.0.0.1")


@test
def ipv6_pair_tcp_tcp6(t):
    """FreeBSD's paired tcp + tcp6 lines on one port both bind."""
    require_ipv6()
    port = t.port(v6=True)
    d = t.daemon([f"127.0.0.1:{port} stream tcp nowait {ME} internal time",
                  f"[::1]:{port} stream tcp6 nowait {ME} internal daytime"])
    check(d.ready == 2, f"ready with {d.ready} services, want 2")
    check_tcp_builtin("time", port, "127.0.0.1")
    check_tcp_builtin("daytime", port, "::1")


@test
def concurrent_100(t):
    port = t.port()
    d = t.daemon([f"127.0.0.1:{port} stream tcp nowait {ME} /bin/cat cat"])
    payloads = [b"client %d " % i + os.urandom(200) for i in range(100)]
    socks = [tcp(port) for _ in payloads]
    try:
        for s, data in zip(socks, payloads):
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        replies = read_all(socks, seconds=30)
    finally:
        for s in socks:
            s.close()
    bad = [i for i, (r, p) in enumerate(zip(replies, payloads)) if r != p]
    check(not bad, f"{len(bad)} of 100 clients got wrong answers, "
          f"first: client {bad[0] if bad else -1}")
    def zombies():
        return sorted(p for p, st in children_of(d.pid).items() if st == "Z")

    check(wait_until(lambda: not zombies(), IO_TIMEOUT),
          f"{len(zombies())} zombie children of the daemon, "
          f"{len(children_of(d.pid))} children in all")


def read_all(socks, seconds):
    """Read each socket to EOF at the same time; the list of contents."""
    got = {s: bytearray() for s in socks}
    open_socks = set(socks)
    for s in socks:
        s.setblocking(False)
    for left in steps(seconds):
        if not open_socks:
            break
        r, _, _ = select.select(list(open_socks), [], [], min(left, 1.0))
        for s in r:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if chunk:
                got[s] += chunk
            else:
                open_socks.discard(s)
    check(not open_socks, f"{len(open_socks)} connections still open "
          f"after {seconds} s")
    return [bytes(got[s]) for s in socks]


@test
def bad_lines(t):
    good1, good2, p = t.port(), t.port(), t.port()
    notexec = t.path("notexec")
    with open(notexec, "w") as f:
        f.write("#!/bin/sh\n")
    os.chmod(notexec, 0o644)
    many = " ".join(f"a{i}" for i in range(70))
    bad = {     # line number: (text, word the message must contain)
        3: (f"127.0.0.1:{p} stream tcp nowait nosuchuser_x9 internal echo",
            "nosuchuser_x9"),
        4: (f"127.0.0.1:{p} bogus tcp nowait {ME} internal echo", "bogus"),
        5: (f"127.0.0.1:70000 stream tcp nowait {ME} internal echo", "70000"),
        6: (f"127.0.0.1:{p} stream tcp nowait {ME} /bin/echo echo {many}",
            "arg"),
        7: (f"127.0.0.1:{p} stream tcp nowait {ME} {notexec} notexec",
            notexec),
    }
    d = t.daemon(["# good lines are 2 and 8",
                  f"127.0.0.1:{good1} stream tcp nowait {ME} internal echo"]
                 + [bad[n][0] for n in sorted(bad)]
                 + [f"127.0.0.1:{good2} stream tcp nowait {ME} "
                    "internal daytime"])
    check(d.ready == 2, f"ready with {d.ready} services, want 2")
    check_tcp_builtin("echo", good1)
    check_tcp_builtin("daytime", good2)
    for n, (_, word) in sorted(bad.items()):
        lines = d.log_lines(f"{d.conf}:{n}:")
        check(lines, f"no message for line {n}")
        check(any(word.lower() in line.lower() for line in lines),
              f"message for line {n} does not mention {word!r}: {lines[0]}")


def occupy(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", port))
    s.listen(1)
    return s


@test
def bind_in_use(t):
    busy, free = t.port(), t.port()
    with occupy(busy):
        d = t.daemon([f"127.0.0.1:{busy} stream tcp nowait {ME} internal echo",
                      f"127.0.0.1:{free} stream tcp nowait {ME} "
                      "internal daytime"])
        line = d.wait_log("Address already in use")
        check(f"{d.conf}:1:" in line, f"message lacks {d.conf}:1: {line}")
        check_tcp_builtin("daytime", free)


@test
def bind_retry(t):
    busy, free = t.port(), t.port()
    with occupy(busy):
        d = t.daemon([f"127.0.0.1:{busy} stream tcp nowait {ME} internal echo",
                      f"127.0.0.1:{free} stream tcp nowait {ME} "
                      "internal daytime"], env={"INETD_RETRY_SECONDS": "1"})
        d.wait_log("Address already in use")
    reachable = wait_until(lambda: tcp_reachable(busy), 8, interval=0.2)
    check(reachable, "freed port not bound within 8 s")
    check_tcp_builtin("echo", busy)
    check_tcp_builtin("daytime", free)


def tcp_reachable(port):
    try:
        tcp(port).close()
        return True
    except Fail:
        return False


@test
def log_connections(t):
    echo, probe = t.port(), t.port()
    d = t.daemon([f"127.0.0.1:{echo} stream tcp nowait {ME} internal echo",
                  f"127.0.0.1:{probe} stream tcp nowait {ME} {t.probe()} "
                  "probe"], flags=("-l",))
    check_tcp_builtin("echo", echo)
    probe_report(probe)
    for port, name in ((echo, "echo"), (probe, "probe")):
        found = wait_until(lambda: [
            line for line in d.log_lines(" from 127.0.0.1")
            if str(port) in line or name in line], IO_TIMEOUT)
        check(found, f"no \"SERVICE from 127.0.0.1\" line for {name}")


def check_signal_cleanup(t, sig):
    port = t.port()
    d = t.daemon(builtin_lines(port, "echo"))
    with open(d.pidfile) as f:
        check(f.read().strip() == str(d.pid), "pidfile does not hold the pid")
    check_tcp_builtin("echo", port)
    status = d.stop(sig)
    check(status == 0, f"exit status {status} after {sig.name}, want 0")
    check(not os.path.exists(d.pidfile), "pidfile left behind")
    check(not tcp_reachable(port), "TCP port still open")
    check(port_free(port), "port still bound")


@test
def sigterm_cleanup(t):
    check_signal_cleanup(t, signal.SIGTERM)


@test
def sigint_cleanup(t):
    check_signal_cleanup(t, signal.SIGINT)


@test
def second_instance(t):
    first = t.daemon(builtin_lines(t.port(), "echo"))
    second = t.daemon(builtin_lines(t.port(), "daytime"), name="second",
                      pidfile=first.pidfile, ready=False)
    status = second.wait_exit()
    second.expect_exit = True
    check(status == 69, f"second instance: exit status {status}, want 69")
    with open(first.pidfile) as f:
        check(f.read().strip() == str(first.pid),
              "pidfile no longer holds the first daemon's pid")
    check(first.proc.poll() is None, "first instance died")


def run_inetd(args):
    """Run the daemon expecting it to exit at once: (status, stderr)."""
    try:
        done = subprocess.run([INETD, *args], stdin=subprocess.DEVNULL,
                              capture_output=True, env=daemon_env(),
                              timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Fail(f"inetd {' '.join(args)} still running after "
                   f"{STOP_TIMEOUT} s") from None
    err = done.stderr.decode(errors="replace")
    report = sanitizer_report(err)
    check(not report, f"sanitizer: {report}")
    return done.returncode, err


@test
def bad_flag(t):
    status, err = run_inetd(["-d", "-Z", "-p", t.path("pid"), t.path("conf")])
    check(status == 64, f"exit status {status}, want 64")
    check("usage" in err.lower(), f"no usage message: {err!r}")


@test
def unreadable_config(t):
    missing = t.path("missing.conf")
    status, err = run_inetd(["-d", "-p", t.path("pid"), missing])
    check(status == 66, f"exit status {status}, want 66")
    check(missing in err, f"message does not name the file: {err!r}")


@test
def stalled_clients(t):
    """Clients that never read chargen or echo, or never send to echo, must
    not stall other services."""
    chargen, echo, daytime = t.port(), t.port(), t.port()
    t.daemon([f"127.0.0.1:{chargen} stream tcp nowait {ME} internal chargen",
              f"127.0.0.1:{echo} stream tcp nowait {ME} internal echo",
              f"127.0.0.1:{daytime} stream tcp nowait {ME} internal daytime"])
    stalled = [tcp(chargen) for _ in range(4)] + [tcp(echo) for _ in range(6)]
    try:
        for s in stalled[4:8]:
            fill(s)
        time.sleep(0.5)
        for _ in range(5):
            start = time.monotonic()
            check_tcp_builtin("daytime", daytime)
            took = time.monotonic() - start
            check(took < 2, f"daytime took {took:.1f} s")
        check_tcp_builtin("echo", echo)
    finally:
        for s in stalled:
            s.close()


def fill(s, limit=64 << 20, seconds=2):
    """Send without reading until the connection will take no more."""
    s.setblocking(False)
    sent = 0
    chunk = b"z" * 65536
    for _ in steps(seconds):
        if sent >= limit:
            break
        try:
            sent += s.send(chunk)
        except BlockingIOError:
            _, w, _ = select.select([], [s], [], 0.2)
            if not w:
                break


@test
def child_status_logged(t):
    p1, p2 = t.port(), t.port()
    d = t.daemon([f"127.0.0.1:{p1} stream tcp nowait {ME} /bin/sh "
                  "sh -c \"exit 3\"",
                  f"127.0.0.1:{p2} stream tcp nowait {ME} /bin/sh "
                  "sh -c 'kill -9 $$'"])
    for port in (p1, p2):
        with tcp(port) as s:
            recv_to_eof(s)
    d.wait_log(f"{d.conf}:1:", "exited with status 3")
    d.wait_log(f"{d.conf}:2:", "killed by signal 9")


@test
def unprivileged(t):
    """Run as nobody: its own entries serve, another user's are refused."""
    if not IS_ROOT:
        raise Skip("already not root: the other tests run unprivileged")
    nobody = pwd.getpwnam("nobody")
    binary = t.path("inetd")
    shutil.copy(INETD, binary)
    os.chmod(binary, 0o755)
    rundir = t.path("run")
    os.mkdir(rundir)
    os.chown(rundir, nobody.pw_uid, nobody.pw_gid)
    echo, other, probe = t.port(), t.port(), t.port()
    d = t.daemon([f"127.0.0.1:{echo} stream tcp nowait nobody internal echo",
                  f"127.0.0.1:{other} stream tcp nowait root internal echo",
                  f"127.0.0.1:{probe} stream tcp nowait nobody {t.probe()} "
                  "probe"], user="nobody", binary=binary,
                 pidfile=os.path.join(rundir, "pid"))
    check(d.ready == 2, f"ready with {d.ready} services, want 2")
    d.wait_log(f"{d.conf}:2:")
    check_tcp_builtin("echo", echo)
    check(not tcp_reachable(other), "root's entry serves")
    uid = probe_report(probe)["uid"]
    check(uid == f"{nobody.pw_uid} {nobody.pw_uid}", f"server uid {uid}")


# ------------------------------------------------------------------ runner

def on_alarm(signum, frame):
    raise Timeout(f"test ran longer than {TEST_TIMEOUT} s")


def on_terminate(signum, frame):
    """SIGTERM (from timeout(1)) stops the run like Ctrl-C, so the running
    test still stops its daemons."""
    raise KeyboardInterrupt


def run_test(func):
    """Run one test; return "pass", "fail" or "skip" after printing it."""
    name = func.__name__
    t = Test()
    outcome, reason = "pass", None
    signal.alarm(TEST_TIMEOUT)
    try:
        func(t)
    except Skip as e:
        outcome, reason = "skip", str(e)
    except (Fail, Timeout) as e:
        outcome, reason = "fail", str(e)
    except Exception as e:      # a broken test is a failure, not a crash
        outcome, reason = "fail", f"{type(e).__name__}: {e}"
    finally:
        signal.alarm(0)
        logs = [(d.argv, d.log()) for d in t.daemons]
        problems = t.finish()
    if problems:
        reason = "; ".join(([reason] if outcome == "fail" else []) + problems)
        outcome = "fail"
    if outcome == "pass":
        print(f"PASS {name}", flush=True)
    elif outcome == "skip":
        print(f"SKIP {name}: {reason}", flush=True)
    else:
        print(f"FAIL {name}: {reason}", flush=True)
        for argv, log in logs:
            print(f"  {name}: {' '.join(argv)}", file=sys.stderr)
            for line in log.splitlines()[-20:]:
                print(f"  | {line}", file=sys.stderr)
        sys.stderr.flush()
    return outcome


def main(args):
    global INETD
    binaries = [a for a in args if "/" in a]
    names = [a for a in args if "/" not in a]
    INETD = os.path.abspath(binaries[0] if binaries
                            else os.environ.get("INETD", "./inetd"))
    selected = [f for f in TESTS if not names or f.__name__ in names]
    unknown = set(names) - {f.__name__ for f in TESTS}
    if unknown:
        print(f"unknown tests: {' '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    if not os.access(INETD, os.X_OK) or not os.access(PROBE, os.X_OK):
        print(f"FAIL setup: {INETD} or {PROBE} not built")
        print("0 passed, 1 failed")
        return 1
    become_subreaper()
    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, on_terminate)
    outcomes = []
    try:
        for func in selected:
            outcomes.append(run_test(func))
    except KeyboardInterrupt:
        print(f"FAIL {func.__name__}: interrupted", flush=True)
        outcomes.append("fail")
    passed, failed = outcomes.count("pass"), outcomes.count("fail")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
