#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Harness of the integration tests for inetd.

Each test starts the built daemon in -d mode with a configuration it writes
into its own temporary directory, on 127.0.0.1 / ::1 high ports, waits for
the "ready: N services listening" line on the daemon's stderr, talks to it
over real sockets and checks the bytes.  The daemon is always stopped and
reaped at the end of the test.

usage: test_*.py [INETD] [TEST ...]   (each test file runs its own tests)
    INETD   the daemon to test (an argument containing "/"), else $INETD,
            else ./inetd
    TEST    names of the tests to run (default: all)

Prints "PASS name", "FAIL name: reason" or "SKIP name: reason" per test and
ends with "N passed, M failed, K skipped"; the exit status is 1 when M > 0.
The daemon's log of a failed test goes to stderr.  Standard library only.
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
SANITIZER_LOG = "sanitizer"   # reports: this name, a dot and the pid
SANITIZER_MARKS = ("runtime error", "ERROR: AddressSanitizer",
                   "LeakSanitizer", "UndefinedBehaviorSanitizer")
SANITIZER_ENV = {
    "ASAN_OPTIONS": "abort_on_error=1:halt_on_error=1:detect_leaks=1",
    "UBSAN_OPTIONS": "abort_on_error=1:halt_on_error=1:print_stacktrace=1",
}
# The daemon's two answers to SIGHUP.
RELOAD_TAKEN = re.compile(r"reloaded \S+: \d+ services? listening")
RELOAD_REFUSED = "configuration not reloaded"
# Its word for a child that a signal killed.
CHILD_KILLED = re.compile(r"child \d+ killed by signal (\d+)")
EPOCH_1900 = 2208988800
RING = bytes(range(0x20, 0x7F))         # chargen's 95 printable characters
BUILTIN_PORTS = (7, 9, 13, 19, 37)
# Signals 32 and 33 are glibc's own: its sigaction() and sigprocmask() refuse
# them, so a daemon cannot reset them, and posix_spawn() (GNU make starts
# commands with it) leaves them ignored in what it starts.  Not inetd's doing.
GLIBC_SIGNALS = (1 << 31) | (1 << 32)

INETD = "./inetd"     # set by main(); read it as harness.INETD
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


def cpu_seconds(pid):
    """User plus system CPU time a process has used, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def check_idle(pid, seconds=2.0, most=0.2, what="daemon"):
    """Fail if the process spends more than most CPU seconds of the next
    seconds: a loop that spins uses them all."""
    before = cpu_seconds(pid)
    time.sleep(seconds)
    used = cpu_seconds(pid) - before
    check(used <= most, f"{what} used {used:.2f} s of CPU in {seconds} s "
          "while it had nothing to do (spinning?)")


def open_fds(pid):
    """The descriptors open in a process, sorted."""
    return sorted(int(name) for name in os.listdir(f"/proc/{pid}/fd"))


def bound_sockets(pid):
    """{(proto, port)} of the listening TCP and the bound UDP sockets the
    process holds, as the kernel sees them (not as it says)."""
    inodes = set()
    for name in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/{name}")
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found = set()
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        with contextlib.suppress(OSError), \
                open(f"/proc/{pid}/net/{proto}") as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                local, state, inode = fields[1], fields[3], fields[9]
                if inode in inodes and (proto.startswith("udp") or
                                        state == "0A"):
                    found.add((proto, int(local.rsplit(":", 1)[1], 16)))
    return found


def become_subreaper():
    """Adopt the daemon's orphans (servers outliving it) to reap them."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)      # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def kill_strays(sessions):
    """Kill what the stopped daemons left running: processes in their
    sessions, orphans we adopted as subreaper, and the sessions of those
    orphans (each server is the leader of a session of its own)."""
    me, mine = os.getpid(), os.getsid(0)
    sessions = set(sessions) - {mine}
    for _ in range(3):          # what a killed server's children became
        killed = False
        for pid in all_pids():
            st = proc_stat(pid)
            if not st or st[0] == "Z" or pid == me or \
                    not (st[2] in sessions or st[1] == me):
                continue
            if st[2] != mine:
                sessions.add(st[2])
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                killed = True
        if not killed:
            break
        time.sleep(0.05)
    for _ in steps(STOP_TIMEOUT):
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.02)


def daemon_env(extra=None, logdir=None):
    """The daemon's environment.  With logdir, the sanitizers write their
    reports there (one file a process, forked children included, whose
    stderr is their client), for Test.finish() to find."""
    env = dict(os.environ)
    for key, value in SANITIZER_ENV.items():
        env.setdefault(key, value)
        if logdir is not None and "log_path=" not in env[key]:
            env[key] += f":log_path={os.path.join(logdir, SANITIZER_LOG)}"
    env.update(extra or {})
    return env


def sanitizer_logs(logdir):
    """The first line of each sanitizer report written in logdir."""
    found = []
    for name in sorted(os.listdir(logdir)):
        if name.startswith(SANITIZER_LOG + "."):
            with open(os.path.join(logdir, name), errors="replace") as f:
                text = f.read()
            line = sanitizer_report(text) or text.strip()[:200]
            found.append(f"sanitizer ({name}): {line.strip()}")
    return found


def sanitizer_report(text):
    return next((line for line in text.splitlines()
                 if any(mark in line for mark in SANITIZER_MARKS)), None)


class Daemon:
    """One inetd process, its configuration and its stderr log.

    wrapper: a command that sets something up and then executes the rest
    of its arguments (the daemon's argv) in the same process, such as
    prlimit(1) or unshare(1), so that self.pid is still the daemon's."""

    def __init__(self, test, lines, flags=(), env=None, name="inetd",
                 pidfile=None, user=None, binary=None, wrapper=(),
                 conf_flag=()):
        self.ready = None       # N of "ready: N services listening"
        self.conf = os.path.join(test.dir, name + ".conf")
        self.pidfile = pidfile or os.path.join(test.dir, name + ".pid")
        self.logpath = os.path.join(test.dir, name + ".log")
        self.expect_exit = False
        with open(self.conf, "w") as f:
            f.write("".join(line + "\n" for line in lines))
        os.chmod(self.conf, 0o644)
        # conf_flag: ("-x",) names an xinetd file.
        self.argv = [*wrapper, binary or INETD, "-d", *flags, "-p",
                     self.pidfile, *conf_flag, self.conf]
        creds = {}
        if user is not None:
            pw = pwd.getpwnam(user)
            creds = {"user": pw.pw_uid, "group": pw.pw_gid,
                     "extra_groups": []}
        with open(self.logpath, "wb") as log:
            self.proc = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                env=daemon_env(env, test.dir), start_new_session=True,
                **creds)
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

    def reload(self, ok=True):
        """SIGHUP, and wait for the outcome of the reload: taken (ok) or
        refused; Fail on the other outcome or on none."""
        def outcomes():
            log = self.log()
            return (len(RELOAD_TAKEN.findall(log)),
                    log.count(RELOAD_REFUSED))

        before = outcomes()
        self.proc.send_signal(signal.SIGHUP)
        after = wait_until(lambda: outcomes() != before and outcomes(),
                           IO_TIMEOUT)
        check(after, f"no outcome of the reload within {IO_TIMEOUT} s")
        taken = after[0] > before[0]
        check(taken == ok, "reload " + ("refused" if ok else "taken") +
              " where it should have been " + ("taken" if ok else "refused"))

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

    def finish(self, child_signals=()):
        """Stop the daemon; what went wrong with it, or None.  A child of
        it killed by a signal not in child_signals went wrong."""
        died = self.proc.poll() is not None and not self.expect_exit
        running = self.proc.poll() is None
        status = self.stop()
        report = sanitizer_report(self.log())
        if report:
            return f"sanitizer: {report.strip()}"
        killed = [m.group(0) for m in CHILD_KILLED.finditer(self.log())
                  if int(m.group(1)) not in child_signals]
        if killed:
            return f"unexpected: {killed[0]}"
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
        # Signals the test itself has its daemons' children killed by.
        self.child_signals = set()

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

    def nobody_files(self):
        """For a daemon run as nobody: a copy of the daemon it can execute,
        and a pidfile in a directory it owns."""
        nobody = pwd.getpwnam("nobody")
        binary = self.path("inetd")
        shutil.copy(INETD, binary)
        os.chmod(binary, 0o755)
        rundir = self.path("run")
        os.mkdir(rundir)
        os.chown(rundir, nobody.pw_uid, nobody.pw_gid)
        return binary, os.path.join(rundir, "pid")

    def probe(self):
        """A copy of tests/probe that user nobody can run."""
        path = self.path("probe")
        if not os.path.exists(path):
            shutil.copy(PROBE, path)
            os.chmod(path, 0o755)
        return path

    def finish(self):
        problems = [p for p in (d.finish(self.child_signals)
                                for d in self.daemons) if p]
        kill_strays({d.pid for d in self.daemons})
        problems += sanitizer_logs(self.dir)
        shutil.rmtree(self.dir, ignore_errors=True)
        return problems


def run_inetd(args, seconds=STOP_TIMEOUT):
    """inetd run with args to its end (-t, -T, a bad flag): its exit
    status, stdout and stderr; Fail on a sanitizer report."""
    done = subprocess.run([INETD, *args], stdin=subprocess.DEVNULL,
                          capture_output=True, env=daemon_env(),
                          timeout=seconds)
    err = done.stderr.decode(errors="replace")
    report = sanitizer_report(err)
    check(not report, f"sanitizer: {report}")
    return done.returncode, done.stdout.decode(errors="replace"), err


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


def tcp_reachable(port, host="127.0.0.1"):
    try:
        tcp(port, host).close()
        return True
    except Fail:
        return False


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


def recv_lines(s, n, seconds=IO_TIMEOUT):
    """The first n CRLF-terminated lines, without their CRLF; fewer only
    on EOF or timeout, the last of them then possibly unfinished."""
    got = bytearray()
    for left in steps(seconds):
        if got.count(b"\r\n") >= n:
            break
        s.settimeout(left)
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        got += chunk
    *lines, rest = bytes(got).split(b"\r\n")
    if len(lines) < n and rest:
        lines.append(rest)      # unfinished: for the failure message
    return [line.decode(errors="replace") for line in lines[:n]]


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
    print(f"{passed} passed, {failed} failed, {outcomes.count('skip')} "
          "skipped")
    return 1 if failed else 0
