#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""make bench: our inetd against its peers and the floors, side by side.

usage: bench.py [options] INETD

Runs every scenario against our daemon, the floors (bench/floor.c: the
least any inetd must do per request) and the peers from Debian's
packages (fetched with apt-get download, unpacked with dpkg -x into the
scratch folder, never installed), one server at a time, each in rounds
so that a disturbance of the machine spreads over all of them; the
median of the rounds is reported.  Prints one markdown table and the
targets of issue 7, and writes both, with the machine's description,
to bench/RESULTS.md.

Peers run in the foreground (inetutils-inetd only detaches, it is then
followed by its pidfile) on 127.0.0.1 high ports, in a private mount
namespace (unshare -m) with a tmpfs on /run and their own /etc/services,
which maps the builtin names to the bench's ports.  Everything started
is stopped by its pid.  Standard library only.

options:
    --tools DIR     where load and floor are built (default build/bench)
    --scratch DIR   peer packages and work files (default build/bench)
    --rounds N      rounds of every measurement (default 5; the exec
                    rows run in the first 3 only, each twice as long)
    --secs S        seconds per throughput run (default 1)
    --only NAMES    comma-separated servers to run (default all)
    --parts NAMES   comma-separated parts to run: rows of the main table
                    by key (daytime1, echo16, true1, ...), or rss, idle,
                    scale, strace, wrap, sandbox (default all); sandbox
                    runs with true1
    --quick         one short round: checks the machinery, rough numbers
    --out FILE      results file (default bench/RESULTS.md; - for none)
"""

import argparse
import contextlib
import ctypes
import datetime
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)

PEER_PACKAGES = ("openbsd-inetd", "xinetd", "inetutils-inetd", "ucspi-tcp",
                 "rinetd", "socat")

# Every server gets a block of ports from BASE on, all of them running at
# once, so that the runs of a scenario follow each other server by server
# and whatever else the machine does spreads over all of them.  The
# ports are above the kernel's ephemeral range (32768-60999 on Debian)
# and the tests' range (20000-32000), so that neither collides.
BASE = 63000
PORT_BLOCK = 128
OFFSETS = {"echo": 7, "discard": 9, "daytime": 13, "chargen": 19,
           "time": 37, "true": 100, "cat": 101}
BUILTINS = ("echo", "discard", "daytime", "chargen", "time")
# The scale configurations spread their services over these addresses
# (all of 127/8 is loopback), SCALE_PORTS ports each.
SCALE_ADDRS = ["127.0.0.%d" % i for i in range(2, 7)]
SCALE_PORT0 = 61000
SCALE_PORTS = 2500
RELOAD_ADDR = "127.0.0.7"       # where a reload moves the last service

READY_TIMEOUT = 10      # s for a server to listen on its ports
SCALE_TIMEOUT = 10      # s for a load or reload of a big configuration
STOP_TIMEOUT = 3        # s for a server to exit after SIGTERM
PAYLOAD = 64            # bytes of an echo or cat request
USER = "root"

# Whether lower or higher is better, by unit.
LOWER_BETTER = {"kB", "ms", "calls"}


class Scenario:
    """One row of the table: a load run against the service `svc`."""

    def __init__(self, key, label, svc, c=1, proto="tcp", size=0,
                 expect=None, unit="conn/s", bulk=False):
        self.key, self.label, self.svc, self.c = key, label, svc, c
        self.proto, self.size, self.expect = proto, size, expect
        self.unit, self.bulk = unit, bulk
        # A few hundred execs a second: fewer, longer runs.
        self.execs = svc in ("true", "cat")
        self.secs_factor = 2 if self.execs else 1


SCENARIOS = [
    Scenario("daytime1", "TCP daytime, c=1", "daytime", 1, expect=26),
    Scenario("daytime16", "TCP daytime, c=16", "daytime", 16, expect=26),
    Scenario("time1", "TCP time, c=1", "time", 1, expect=4),
    Scenario("time16", "TCP time, c=16", "time", 16, expect=4),
    Scenario("echo1", "TCP echo 64 B, c=1", "echo", 1, size=PAYLOAD,
             expect=PAYLOAD),
    Scenario("echo16", "TCP echo 64 B, c=16", "echo", 16, size=PAYLOAD,
             expect=PAYLOAD),
    Scenario("chargen", "TCP chargen stream, c=1", "chargen", 1,
             unit="MiB/s", bulk=True),
    Scenario("true1", "exec /bin/true, c=1", "true", 1, expect=0),
    Scenario("true16", "exec /bin/true, c=16", "true", 16, expect=0),
    Scenario("cat1", "exec /bin/cat 64 B, c=1", "cat", 1, size=PAYLOAD,
             expect=PAYLOAD),
    Scenario("cat16", "exec /bin/cat 64 B, c=16", "cat", 16, size=PAYLOAD,
             expect=PAYLOAD),
    Scenario("uecho1", "UDP echo 64 B, c=1", "echo", 1, "udp", PAYLOAD,
             PAYLOAD),
    Scenario("uecho16", "UDP echo 64 B, c=16", "echo", 16, "udp", PAYLOAD,
             PAYLOAD),
    Scenario("udaytime1", "UDP daytime, c=1", "daytime", 1, "udp", 1, 26),
    Scenario("udaytime16", "UDP daytime, c=16", "daytime", 16, "udp", 1,
             26),
]
BY_KEY = {s.key: s for s in SCENARIOS}
IDLE_SCENARIOS = [
    Scenario("idle1", "TCP daytime, c=1, 1,000 idle services", "daytime",
             1, expect=26),
    Scenario("idle16", "TCP daytime, c=16, 1,000 idle services", "daytime",
             16, expect=26),
]
EXEC_ROUNDS = 3         # rounds of the exec rows (the slowest), and of
                        # the peers in the 1,000 services rows
SCALE_SIZES = (1000, 5000, 10000)
PEER_SCALE_SIZES = (1000, 10000)
IDLE_SERVICES = 1000
# The idle RSS rows: each daemon in the foreground, as a service manager
# runs it, and detached, as an init script starts it.
RSS_MODES = (("foreground", "rss5"), ("detached", "rss5d"))


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


# ---------------------------------------------------------------- processes

def become_subreaper():
    """Daemons that detach are adopted, so that they can be reaped."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)


def pid_alive(pid):
    """Whether pid is a live child of the bench's (adopted ones too): a
    pid it no longer has may be someone else's by now."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state, ppid = f.read().rsplit(")", 1)[1].split()[:2]
    except OSError:
        return False
    return state != "Z" and int(ppid) == os.getpid()


def reap():
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass


def stop_pid(pid):
    """SIGTERM, then SIGKILL after STOP_TIMEOUT; reaped."""
    reap()
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if not pid_alive(pid):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + STOP_TIMEOUT
        while time.monotonic() < deadline:
            reap()
            if not pid_alive(pid):
                return
            time.sleep(0.01)


def memory_kb(pid):
    """Resident kB of a process: "rss" in all, "anon" anonymous pages,
    "unnamed" pages mapping no file (heap, stack, bss), and the pages of
    each file it maps, by path."""
    mem = {"rss": 0, "anon": 0, "unnamed": 0}
    name = None
    with contextlib.suppress(OSError):
        with open(f"/proc/{pid}/smaps") as f:
            for line in f:
                fields = line.split()
                if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                    name = fields[5] if len(fields) > 5 and \
                        fields[5].startswith("/") else "unnamed"
                elif fields[0] == "Rss:":
                    mem["rss"] += int(fields[1])
                    mem[name] = mem.get(name, 0) + int(fields[1])
                elif fields[0] == "Anonymous:":
                    mem["anon"] += int(fields[1])
    return mem if mem["rss"] else None


# What the libraries of a daemon are there for, by file name.
LIBRARY_KINDS = [
    ("libc and the dynamic loader", r"/(libc|ld-linux[^/]*)\.so"),
    ("libwrap and the RPC and Kerberos libraries it needs",
     r"/lib(wrap|nsl|tirpc|gssapi_krb5|krb5|k5crypto|com_err|krb5support|"
     r"keyutils|resolv)\.so"),
    ("NSS modules loaded by getpwnam() and getgrouplist(), with theirs",
     r"/lib(nss_[a-z]+|m|cap|systemd)\.so"),
    ("libbsd and libmd", r"/lib(bsd|md)\.so"),
]


def median_memory(mems):
    """The median of each figure of several memory_kb() results."""
    if not mems:
        return None
    return {k: statistics.median(m.get(k, 0) for m in mems)
            for k in set().union(*mems)}


def memory_breakdown(mem):
    """Where the resident memory goes, as text."""
    parts, counted = [], mem["unnamed"]
    for kind, pattern in LIBRARY_KINDS:
        kb = sum(v for k, v in mem.items() if re.search(pattern, k))
        if kb:      # libwrap, say, is loaded with -w or -W only
            parts.append(f"{kind} {kb:,.0f} kB")
        counted += kb
    parts.append(f"heap, stack and bss {mem['unnamed']:,.0f} kB")
    parts.append(f"the program and other files {mem['rss'] - counted:,.0f} kB")
    return "; ".join(parts)


# ------------------------------------------------------------------ network

def tcp_accepts(addr, port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        try:
            s.connect((addr, port))
            return True
        except OSError:
            return False


def wait_listening(endpoints, seconds, alive=None):
    """Seconds until every (addr, port) accepts, or None."""
    start = time.monotonic()
    pending = list(endpoints)
    while pending:
        if time.monotonic() - start > seconds:
            return None
        if alive is not None and not alive():
            return None
        if tcp_accepts(*pending[0]):
            pending.pop(0)
        else:
            time.sleep(0.002)
    return time.monotonic() - start


def wait_free(endpoints, seconds=5):
    """Wait until the previous server has let go of the ports."""
    deadline = time.monotonic() + seconds
    for addr, port, kind in endpoints:
        while True:
            with socket.socket(socket.AF_INET, kind) as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    s.bind((addr, port))
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise SystemExit(f"bench: {addr} port {port} stays "
                                         "busy: another program uses it")
                    time.sleep(0.05)


# ------------------------------------------------------------------- config

class Service:
    """An entry for any server: svc is a builtin name, or true/cat."""

    def __init__(self, svc, proto, addr, port):
        self.svc, self.proto, self.addr, self.port = svc, proto, addr, port

    @property
    def builtin(self):
        return self.svc not in ("true", "cat")


PROGRAMS = {"true": ["/bin/true", "true"], "cat": ["/bin/cat", "cat"]}


def main_services(ports):
    svcs = [Service(name, "tcp", "127.0.0.1", ports[name])
            for name in ("daytime", "time", "echo", "chargen", "true",
                         "cat")]
    svcs += [Service(name, "udp", "127.0.0.1", ports[name])
             for name in ("daytime", "echo")]
    return svcs


def five_services(ports):
    return [Service("daytime", "tcp", "127.0.0.1", ports["daytime"]),
            Service("daytime", "udp", "127.0.0.1", ports["daytime"]),
            Service("echo", "tcp", "127.0.0.1", ports["echo"]),
            Service("echo", "udp", "127.0.0.1", ports["echo"]),
            Service("true", "tcp", "127.0.0.1", ports["true"])]


def scale_endpoint(i):
    return SCALE_ADDRS[i // SCALE_PORTS], SCALE_PORT0 + i % SCALE_PORTS


def scale_services(n, moved=False):
    """n exec'd services; moved: the last one on RELOAD_ADDR instead."""
    svcs = []
    for i in range(n):
        addr, port = scale_endpoint(i)
        if moved and i == n - 1:
            addr = RELOAD_ADDR
        svcs.append(Service("true", "tcp", addr, port))
    return svcs


def idle_services(ports):
    return ([Service("daytime", "tcp", "127.0.0.1", ports["daytime"])] +
            scale_services(IDLE_SERVICES - 1))


def inetd_lines(svcs, numeric_builtins):
    """inetd.conf lines; peers name builtins by service (/etc/services)."""
    lines = []
    for s in svcs:
        socktype = "stream" if s.proto == "tcp" else "dgram"
        wait = "nowait" if s.proto == "tcp" else "wait"
        if s.builtin:
            field = s.port if numeric_builtins else s.svc
            prog = ["internal", s.svc] if numeric_builtins else ["internal"]
        else:
            field, prog = s.port, PROGRAMS[s.svc]
        lines.append(f"{s.addr}:{field} {socktype} {s.proto} {wait} {USER} "
                     + " ".join(prog))
    return "".join(line + "\n" for line in lines)


def xinetd_conf(svcs):
    out = ["defaults\n{\n\tinstances = UNLIMITED\n\tper_source = UNLIMITED\n"
           "\tcps = 1000000 1\n}\n"]
    for i, s in enumerate(svcs):
        socktype = "stream" if s.proto == "tcp" else "dgram"
        body = [f"socket_type = {socktype}", f"protocol = {s.proto}",
                f"wait = {'no' if s.proto == 'tcp' else 'yes'}",
                f"user = {USER}", f"bind = {s.addr}", f"port = {s.port}"]
        if s.builtin:
            name = s.svc
            body = ["type = INTERNAL", f"id = {s.svc}-{socktype}"] + body
        else:
            name = f"bench{i}"
            body = ["type = UNLISTED", f"server = {PROGRAMS[s.svc][0]}"] + body
        out.append(f"service {name}\n{{\n" +
                   "".join(f"\t{line}\n" for line in body) + "}\n")
    return "\n".join(out)


def services_file(ports):
    return "".join(f"{name}\t\t{ports[name]}/{proto}\n"
                   for name in BUILTINS for proto in ("tcp", "udp"))


# ------------------------------------------------------------------ servers

class Server:
    """A server under test: what it serves, how to start and stop it."""

    name = "?"
    column = True           # has a column in the main table
    single_process = False  # an inetd-like daemon, for the RSS rows
    # How the RSS rows start it: "foreground" as a service manager runs it,
    # "detached" as an init script starts it; None: as the other rows do.
    mode = None
    scales = False          # takes the scale configurations
    serves = ()             # builtins and programs it can serve

    def __init__(self, bench, slot):
        self.bench = bench
        self.ports = {name: BASE + slot * PORT_BLOCK + off
                      for name, off in OFFSETS.items()}
        self.pids = []
        self.procs = []

    def port(self, sc):
        """The port serving scenario sc, or None when not supported."""
        return self.ports[sc.svc] if sc.svc in self.serves else None

    def endpoints(self, svcs):
        """The TCP (address, port) pairs it listens on once started."""
        return [(s.addr, s.port) for s in svcs
                if s.proto == "tcp" and s.svc in self.serves]

    def path(self, suffix):
        return os.path.join(self.bench.work, self.name + suffix)

    def start(self, svcs):
        """Start with these services; returns False if it cannot run."""
        raise NotImplementedError

    def reload(self, svcs):
        raise NotImplementedError

    def main_pid(self):
        return self.pids[0] if self.pids else None

    def alive(self):
        return all(pid_alive(p) for p in self.pids)

    def stop(self):
        for pid in self.pids:
            stop_pid(pid)
        for p in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(STOP_TIMEOUT)
        self.pids, self.procs = [], []

    def detach(self, argv, namespace=False):
        """Start a daemon that detaches, and follow the process that stays:
        the bench's orphan running the same program."""
        program = os.path.realpath(argv[0])
        p = self.spawn(argv, namespace)
        with contextlib.suppress(subprocess.TimeoutExpired):
            p.wait(READY_TIMEOUT)
        self.procs, self.pids = [], []
        for _ in range(READY_TIMEOUT * 100):
            for pid in (int(n) for n in os.listdir("/proc") if n.isdigit()):
                with contextlib.suppress(OSError):
                    if (pid_alive(pid) and os.readlink(f"/proc/{pid}/exe")
                            == program):
                        self.adopt(pid)
                        return True
            time.sleep(0.01)
        return False

    def launch(self, argv, foreground, namespace=True, detached=None):
        """A daemon that detaches unless given the flags foreground; it is
        run detached in that mode, or when detached says so."""
        if detached if detached is not None else self.mode == "detached":
            return self.detach(argv, namespace)
        self.spawn(argv[:1] + foreground + argv[1:], namespace)
        return True

    def spawn(self, argv, namespace=False):
        """Peers run in a mount namespace of their own, with a tmpfs on
        /run (pidfiles) and an /etc/services naming the bench's ports."""
        if namespace:
            services = self.path(".services")
            with open(services, "w") as f:
                f.write(services_file(self.ports))
            argv = ["unshare", "-m", "--propagation", "private", "--",
                    "sh", "-c", 'mount -t tmpfs tmpfs /run && '
                    'mount --bind "$0" /etc/services && exec "$@"',
                    services, *argv]
        with open(self.path(".log"), "ab") as logf:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                 stdout=logf, stderr=logf,
                                 start_new_session=True)
        self.procs.append(p)
        self.adopt(p.pid)
        return p

    def adopt(self, pid):
        """pid is this server's; the bench stops it at the latest when it
        ends, whatever happens."""
        self.pids.append(pid)
        self.bench.started.append(self)


class InetdLike(Server):
    """A daemon reading an inetd.conf-like file, reloaded by SIGHUP."""

    single_process = True
    scales = True
    serves = ("daytime", "time", "echo", "chargen", "true", "cat")

    def write_conf(self, svcs):
        with open(self.path(".conf"), "w") as f:
            f.write(self.conf_text(svcs))

    def conf_text(self, svcs):
        return inetd_lines(svcs, numeric_builtins=False)

    def reload(self, svcs):
        self.write_conf(svcs)
        os.kill(self.main_pid(), signal.SIGHUP)


class Ours(InetdLike):
    name = "ours"

    def conf_text(self, svcs):
        return inetd_lines(svcs, numeric_builtins=True)

    def start(self, svcs):
        self.write_conf(svcs)
        return self.launch([self.bench.inetd, *self.bench.ours_flags,
                            *self.flags(), "-p", self.path(".pid"),
                            self.path(".conf")],
                           ["-i"] if self.mode else ["-d"], namespace=False)

    def flags(self):
        return []


class OursWrapped(Ours):
    """Ours with -w (exec'd servers) or -W (builtins): libwrap's cost."""

    column = single_process = scales = False

    def __init__(self, bench, slot, flag, svc):
        super().__init__(bench, slot)
        self.flag = flag
        self.name = f"ours {flag}"
        self.serves = (svc,)

    def path(self, suffix):
        return os.path.join(self.bench.work, "ours" + self.flag + suffix)

    def flags(self):
        return [self.flag]


# The sandbox row: ours with these keys on exec /bin/true, against the
# plain entry and against what a peer does, unshare(1) per connection.
SANDBOX_KEYS = "no_new_privs = yes, private_tmp = yes, private_network = yes"
UNSHARE = "/usr/bin/unshare"


class OursSandboxed(Ours):
    """Ours serving exec /bin/true in a sandbox: its keys (sandbox), or
    unshare(1) as the server (unshare), as an xinetd user would."""

    column = single_process = scales = False
    serves = ("true",)

    def __init__(self, bench, slot, how):
        super().__init__(bench, slot)
        self.how = how
        self.name = f"ours {how}"

    def conf_text(self, svcs):
        lines = []
        for s in svcs:
            if s.svc != "true":
                continue
            if self.how == "unshare":
                lines.append(f"{s.addr}:{s.port} stream tcp nowait {USER} "
                             f"{UNSHARE} unshare -n -m /bin/true")
            else:
                lines.append(f"{s.addr}:{s.port} on socktype = stream, "
                             f"protocol = tcp, wait = no, user = {USER}, "
                             f"exec = /bin/true, args = true, "
                             f"{SANDBOX_KEYS};")
        return "".join(line + "\n" for line in lines)


class OpenbsdInetd(InetdLike):
    name = "openbsd-inetd"

    def start(self, svcs):
        self.write_conf(svcs)
        argv = [self.bench.peer("usr/sbin/inetd"), "-R", "100000000",
                self.path(".conf")]
        return self.launch(argv, ["-i"])


class InetutilsInetd(InetdLike):
    name = "inetutils-inetd"

    def start(self, svcs):
        """It stays in the foreground only with -d, which also prints a
        debugging line per request: it runs detached, as in production,
        but for the foreground RSS row."""
        self.write_conf(svcs)
        argv = [self.bench.peer("usr/sbin/inetutils-inetd"), "-R",
                "100000000", self.path(".conf")]
        return self.launch(argv, ["-d"], detached=self.mode != "foreground")


class Xinetd(InetdLike):
    name = "xinetd"

    def conf_text(self, svcs):
        return xinetd_conf(svcs)

    def start(self, svcs):
        self.write_conf(svcs)
        argv = [self.bench.peer("usr/sbin/xinetd"), "-f", self.path(".conf"),
                "-filelog", self.path(".filelog")]
        return self.launch(argv, ["-dontfork"])


class PerPort(Server):
    """One process per exec'd service (tcpserver, socat)."""

    serves = ("true", "cat")

    def start(self, svcs):
        for s in svcs:
            if s.proto == "tcp" and s.svc in self.serves:
                self.spawn(self.argv(s.port, PROGRAMS[s.svc][0]),
                           namespace=True)
        return True


class Tcpserver(PerPort):
    name = "tcpserver"

    def argv(self, port, prog):
        # -H -R -l0: no DNS or ident look-up, so only the exec is measured.
        return [self.bench.peer("usr/bin/tcpserver"), "-q", "-H", "-R",
                "-l", "0", "-c", "1000", "-b", "1024", "127.0.0.1",
                str(port), prog]


class Socat(PerPort):
    name = "socat"

    def argv(self, port, prog):
        # nofork: the forked socat execs the program on the socket itself.
        return [self.bench.peer("usr/bin/socat"),
                f"TCP4-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork,"
                "backlog=1024", f"EXEC:{prog},nofork"]


class Rinetd(Server):
    """Only for the idle RSS row: it forwards, it serves nothing itself."""

    name = "rinetd"
    column = False
    single_process = True
    serves = BUILTINS + ("true",)

    def start(self, svcs):
        with open(self.path(".conf"), "w") as f:
            for s in svcs:
                if s.proto == "tcp":
                    f.write(f"127.0.0.1 {s.port} 127.0.0.1 9\n")
        argv = [self.bench.peer("usr/sbin/rinetd"), "-c", self.path(".conf")]
        return self.launch(argv, ["-f"])


class Floor(Server):
    """bench/floor.c: in-process servers and fork+exec per connection."""

    name = "floor"
    serves = ("daytime", "time", "echo", "true", "cat")

    def start(self, svcs):
        floor = self.bench.tool("floor")
        self.kinds = []
        for kind, svc in (("daytime", "daytime"), ("time", "time"),
                          ("echo", "echo"), ("udp-echo", "echo"),
                          ("udp-daytime", "daytime"), ("fork", "true"),
                          ("fork", "cat")):
            prog = [PROGRAMS[svc][0]] if kind == "fork" else []
            self.spawn([floor, kind, str(self.ports[svc]), *prog])
            self.kinds.append(svc)
        return True

    def pid_serving(self, svc):
        return self.pids[self.kinds.index(svc)]


class FloorSpawn(Floor):
    name = "floor-spawn"
    serves = ("true", "cat")

    def start(self, svcs):
        self.kinds = list(self.serves)
        for svc in self.kinds:
            self.spawn([self.bench.tool("floor"), "spawn",
                        str(self.ports[svc]), PROGRAMS[svc][0]])
        return True


PEERS = [OpenbsdInetd, Xinetd, InetutilsInetd, Tcpserver, Socat]
FLOORS = [Floor, FloorSpawn]


# -------------------------------------------------------------------- bench

class Bench:
    def __init__(self, args):
        self.args = args
        self.inetd = os.path.abspath(args.inetd)
        self.tools = os.path.abspath(args.tools)
        self.scratch = os.path.abspath(args.scratch)
        self.root = os.path.join(self.scratch, "root")
        for tool in ("load", "floor"):
            if not os.access(self.tool(tool), os.X_OK):
                raise SystemExit(f"bench: {self.tool(tool)} not built "
                                 "(make bench builds it)")
        # Kept after the run: the servers' logs are there.
        self.work = os.path.join(self.scratch, "work")
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(self.work)
        self.results = {}       # (row key, server name) -> [values]
        self.latency = {}       # row key -> [(p50, p99)] of ours
        self.errors = {}        # (row key, server name) -> errors seen
        self.notes = []
        self.unanswered = set()  # (row, server) of runs with no answer
        self.started = []       # servers that had a pid, see Server.adopt
        self.memory = {}        # (row, server): memory_kb() of each round
        self.ours_flags = self.detect_ours_flags()

    def detect_ours_flags(self):
        """-R 0 once the daemon has a rate limit (issue 3): the bench
        invokes each service far more than 256 times a minute."""
        usage = subprocess.run([self.inetd, "-?"], capture_output=True,
                               text=True).stderr
        self.usage = usage
        return ["-R", "0"] if re.search(r"-R\b", usage) else []

    def tool(self, name):
        return os.path.join(self.tools, name)

    def peer(self, path):
        return os.path.join(self.root, path)

    # ----------------------------------------------------------- peers

    def fetch_peers(self):
        """apt-get download + dpkg -x, once; missing peers are skipped."""
        debs = os.path.join(self.scratch, "debs")
        os.makedirs(debs, exist_ok=True)
        have = {name.split("_")[0] for name in os.listdir(debs)
                if name.endswith(".deb")}
        missing = [p for p in PEER_PACKAGES if p not in have]
        if missing:
            log(f"fetching {' '.join(missing)} with apt-get download")
            cmd = ["apt-get", "download", *missing]
            r = subprocess.run(cmd, cwd=debs, capture_output=True, text=True)
            if r.returncode != 0:
                log("apt-get download failed; trying apt-get update first")
                subprocess.run(["apt-get", "update"], capture_output=True)
                r = subprocess.run(cmd, cwd=debs, capture_output=True,
                                   text=True)
                if r.returncode != 0:
                    log(f"apt-get download: {r.stderr.strip()[-300:]}")
        for name in sorted(os.listdir(debs)):
            stamp = os.path.join(self.root, "." + name)
            if name.endswith(".deb") and not os.path.exists(stamp):
                os.makedirs(self.root, exist_ok=True)
                subprocess.run(["dpkg", "-x", os.path.join(debs, name),
                                self.root], check=True)
                open(stamp, "w").close()
        binaries = {"openbsd-inetd": "usr/sbin/inetd",
                    "xinetd": "usr/sbin/xinetd",
                    "inetutils-inetd": "usr/sbin/inetutils-inetd",
                    "tcpserver": "usr/bin/tcpserver",
                    "socat": "usr/bin/socat", "rinetd": "usr/sbin/rinetd"}
        self.available = {name for name, path in binaries.items()
                          if os.access(self.peer(path), os.X_OK)}
        for name in binaries:
            if name not in self.available:
                self.notes.append(f"{name}: not available (apt-get download "
                                  "failed), left out")

    def versions(self):
        out = []
        debs = os.path.join(self.scratch, "debs")
        for name in sorted(os.listdir(debs)):
            if name.endswith(".deb"):
                pkg, ver = name.split("_")[:2]
                out.append(f"{pkg} {ver.replace('%3a', ':')}")
        return out

    def wanted(self, name):
        only = self.args.only
        return not only or name in only.split(",")

    def part(self, name):
        parts = self.args.parts
        return not parts or name in parts.split(",")

    def servers(self):
        """Every server wanted, each with its own block of ports."""
        classes = [Ours] + FLOORS + [cls for cls in PEERS
                                     if cls.name in self.available]
        out = [cls(self, slot) for slot, cls in enumerate(classes)
               if self.wanted(cls.name)]
        if self.wanted("ours"):
            for flag, svc in self.wrapper_flags():
                out.append(OursWrapped(self, len(classes) + len(out), flag,
                                       svc))
            if self.part("sandbox") and os.geteuid() == 0:
                for how in ("sandbox", "unshare"):
                    out.append(OursSandboxed(self, len(classes) + len(out),
                                             how))
        return out

    def wrapper_flags(self):
        """-w (exec'd servers) and -W (builtins), once inetd has them."""
        flags = re.search(r"\[-([a-zA-Z]+)\]", self.usage)
        flags = flags.group(1) if flags else ""
        return [(f"-{flag}", svc) for flag, svc in (("w", "true"),
                                                    ("W", "daytime"))
                if flag in flags and self.part("wrap")]

    # ------------------------------------------------------------ runs

    def start(self, server, svcs, endpoints=None):
        """Start and wait until it listens; False (and stopped) if not."""
        wait_free([(s.addr, s.port, socket.SOCK_STREAM if s.proto == "tcp"
                    else socket.SOCK_DGRAM) for s in svcs])
        if endpoints is None:
            endpoints = server.endpoints(svcs)
        if not server.start(svcs) or wait_listening(
                endpoints, READY_TIMEOUT, server.alive) is None:
            server.stop()
            self.note_once(f"{server.name} did not start listening "
                           f"(see {server.path('.log')})")
            return False
        return True

    def note_once(self, note):
        if note not in self.notes:
            self.notes.append(note)
            log(note)

    def load(self, sc, port, secs=None, count=None):
        secs = secs or self.args.secs * sc.secs_factor
        # A counted run counts every connection the daemon sees.
        warmup = 0 if count else self.warmup
        argv = [self.tool("load"), "-m", "bulk" if sc.bulk else sc.proto,
                "-c", str(sc.c), "-d", str(secs), "-w", str(warmup),
                "-s", str(sc.size)]
        if sc.expect is not None:
            argv += ["-e", str(sc.expect)]
        if count:
            argv += ["-n", str(count)]
        argv += ["127.0.0.1", str(port)]
        r = subprocess.run(argv, capture_output=True, text=True,
                           timeout=secs + warmup + 30)
        if r.returncode != 0:
            raise SystemExit(f"bench: {' '.join(argv)}: {r.stderr.strip()}")
        return dict(kv.split("=", 1) for kv in r.stdout.split())

    def record(self, key, server, value):
        self.results.setdefault((key, server), []).append(value)

    def run_scenario(self, sc, server):
        if (sc.key, server.name) in self.unanswered:
            return
        out = self.load(sc, server.port(sc))
        value = float(out["rx_mib_s"] if sc.bulk else out["conn_s"])
        self.record(sc.key, server.name, value)
        if value == 0:
            # Nothing answered (datagrams dropped): once is enough.
            self.unanswered.add((sc.key, server.name))
        errors = int(out["errors"])
        if errors:
            self.errors[(sc.key, server.name)] = self.errors.get(
                (sc.key, server.name), 0) + errors
        if server.name == "ours" and not sc.bulk:
            self.latency.setdefault(sc.key, []).append(
                (int(out["p50_us"]), int(out["p99_us"])))

    def main_round(self, servers, r):
        """All servers at once; each scenario runs on one after the
        other, starting with a different one each round."""
        running = []
        try:
            for srv in servers:
                if self.start(srv, main_services(srv.ports)):
                    running.append(srv)
            first = r % max(len(running), 1)
            for sc in SCENARIOS:
                if not self.part(sc.key) or (sc.execs and
                                             r >= EXEC_ROUNDS):
                    continue
                for server in running[first:] + running[:first]:
                    if server.port(sc) is not None and \
                            self.scenario_wanted(sc, server):
                        self.run_scenario(sc, server)
        finally:
            for server in servers:
                server.stop()

    def scenario_wanted(self, sc, server):
        # The time rows only check ours against the floor: the code path
        # is daytime's.
        return not (sc.svc == "time" and server.name not in ("ours",
                                                             "floor"))

    def rss_round(self, servers):
        """Each daemon started both ways: a daemon that detaches leaves
        the pages it touched before in its parent, not in itself."""
        if "rinetd" in self.available and self.wanted("rinetd"):
            servers = servers + [Rinetd(self, 0)]
        for mode, key in RSS_MODES:
            for server in servers:
                if server.single_process:
                    server.mode = mode
                    self.rss_of(server, key)
                    server.mode = None

    def rss_of(self, server, key):
        if not self.start(server, five_services(server.ports)):
            return
        time.sleep(0.2)
        mem = memory_kb(server.main_pid())
        if mem:
            self.record(key, server.name, mem["rss"])
            if key == "rss5":
                self.record("anon5", server.name, mem["anon"])
            self.memory.setdefault((key, server.name), []).append(mem)
        server.stop()

    def idle_round(self, servers, r):
        """1,000 configured services: RSS and the daytime rate; for the
        peers, which no target is about, in the first rounds only."""
        for server in servers:
            if not server.scales or (server.name != "ours" and
                                     r >= EXEC_ROUNDS):
                continue
            svcs = idle_services(server.ports)
            ends = [(svcs[0].addr, svcs[0].port),
                    (svcs[-1].addr, svcs[-1].port)]
            if not self.start(server, svcs, ends):
                continue
            try:
                time.sleep(0.2)
                mem = memory_kb(server.main_pid())
                if mem:
                    self.record("rss1000", server.name, mem["rss"])
                for sc in IDLE_SCENARIOS:
                    out = self.load(sc, server.ports["daytime"])
                    self.record(sc.key, server.name, float(out["conn_s"]))
            finally:
                server.stop()

    def scale_once(self, server, n):
        """Load, then reload with the last service moved: seconds each."""
        svcs = scale_services(n)
        wait_free([(s.addr, s.port, socket.SOCK_STREAM) for s in svcs])
        last = scale_services(n, moved=True)[-1]
        start = time.monotonic()
        if not server.start(svcs):
            return None, None
        try:
            loaded = wait_listening([(svcs[-1].addr, svcs[-1].port)],
                                    SCALE_TIMEOUT, server.alive)
            if loaded is None:
                return None, None
            loaded = time.monotonic() - start
            time.sleep(0.2)
            start = time.monotonic()
            server.reload(scale_services(n, moved=True))
            reloaded = wait_listening([(last.addr, last.port)],
                                      SCALE_TIMEOUT, server.alive)
            return loaded, reloaded
        finally:
            server.stop()

    def scale_round(self, servers, first_round):
        for server in servers:
            if not server.scales:
                continue
            sizes = SCALE_SIZES if server.name == "ours" else \
                PEER_SCALE_SIZES
            if server.name != "ours" and not first_round:
                continue        # peers once: some take long at 10,000
            for n in sizes:
                if (server.name, n) in self.scale_failed:
                    continue
                loaded, reloaded = self.scale_once(server, n)
                if loaded is None or reloaded is None:
                    self.scale_failed.add((server.name, n))
                    what = "load" if loaded is None else "reload"
                    self.note_once(f"{server.name}: {what} of {n:,} "
                                   "services did not finish within "
                                   f"{SCALE_TIMEOUT} s (or the daemon "
                                   "died)")
                if loaded is not None:
                    self.record(f"load{n}", server.name, loaded * 1000)
                if reloaded is not None:
                    self.record(f"reload{n}", server.name, reloaded * 1000)

    # ---------------------------------------------------------- strace

    def syscalls(self, servers):
        """System calls per connection in the daemon (strace -c -f)."""
        if shutil.which("strace") is None:
            self.notes.append("strace not installed: no syscall counts")
            return
        rows = [("sys_daytime", BY_KEY["daytime1"], 2000),
                ("sys_true", BY_KEY["true1"], 200)]
        for server in servers:
            todo = [(key, sc, n) for key, sc, n in rows
                    if server.port(sc) is not None and server.column]
            if not todo or not self.start(server,
                                          main_services(server.ports)):
                continue
            try:
                for key, sc, n in todo:
                    calls, table = self.strace_count(server, sc, n)
                    if calls is not None:
                        self.record(key, server.name, calls / n)
                    if server.name == "ours":
                        self.strace_tables[key] = table
            finally:
                server.stop()

    def strace_count(self, server, sc, n):
        pid = server.pid_serving(sc.svc) if isinstance(server, Floor) \
            else server.main_pid()
        out = os.path.join(self.work, "strace.out")
        st = subprocess.Popen(["strace", "-c", "-f", "-o", out, "-p",
                               str(pid)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        time.sleep(0.5)         # attached by then
        try:
            self.load(sc, server.port(sc), secs=30, count=n)
        finally:
            st.send_signal(signal.SIGINT)
            st.wait(10)
        with open(out) as f:
            text = f.read()
        for line in text.splitlines():
            fields = line.split()
            if fields and fields[-1] == "total":
                return int(fields[3]), text
        return None, text

    # ------------------------------------------------------------- run

    def run(self):
        self.warmup = 0.1 if self.args.quick else 0.2
        rounds = 1 if self.args.quick else self.args.rounds
        self.fetch_peers()
        servers = self.servers()
        self.scale_failed = set()
        self.strace_tables = {}
        started = time.monotonic()
        try:
            self.rounds(servers, rounds)
        finally:
            for server in self.started:
                server.stop()
        self.elapsed = time.monotonic() - started

    def rounds(self, servers, rounds):
        for r in range(rounds):
            log(f"round {r + 1} of {rounds}: "
                + ", ".join(s.name for s in servers))
            self.main_round(servers, r)
            if self.part("rss"):
                self.rss_round(servers)
            if self.part("idle"):
                self.idle_round(servers, r)
            if self.part("scale"):
                self.scale_round(servers, r == 0)
        if self.part("strace"):
            log("counting system calls with strace")
            self.syscalls(servers)


# ------------------------------------------------------------------ report

COLUMNS = ["ours", "floor", "floor-spawn", "openbsd-inetd", "xinetd",
           "inetutils-inetd", "tcpserver", "socat", "rinetd"]


def fmt(value, unit):
    if value is None:
        return "–"
    if unit == "MiB/s" or (unit == "calls" and value < 100):
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def ratio(a, b):
    return a / b if a is not None and b else None


def fmt_ratio(r):
    return "–" if r is None else f"{r:.2f}x"


class Report:
    def __init__(self, bench):
        self.b = bench
        self.med = {k: median(v) for k, v in bench.results.items()}
        self.targets = []

    def get(self, key, server):
        return self.med.get((key, server))

    def over_floor(self, key, unit="conn/s"):
        """ours/floor: the median of each round's ratio, a round running
        the servers one after the other, so that what else the machine
        does weighs on both; the better floor of each round."""
        ours = self.b.results.get((key, "ours"), [])
        floors = [self.b.results.get((key, f), [])
                  for f in ("floor", "floor-spawn")]
        pick = min if unit in LOWER_BETTER else max
        ratios = []
        for i, value in enumerate(ours):
            best = pick((f[i] for f in floors if i < len(f) and f[i]),
                        default=None)
            if value is not None and best:
                ratios.append(value / best)
        return median(ratios)

    def best_peer(self, key, unit):
        peers = [c for c in COLUMNS if c not in ("ours", "floor",
                                                 "floor-spawn")]
        vals = [(self.get(key, p), p) for p in peers
                if self.get(key, p)]
        if not vals:
            return None, None
        pick = min if unit in LOWER_BETTER else max
        return pick(vals)

    def check_rss(self, mode, key):
        rss = self.get(key, "ours")
        peers = {p: self.get(key, p) for p in COLUMNS[3:] if self.get(key, p)}
        if rss is None or not peers:
            return
        low = min(peers, key=peers.get)
        where = [f"{name}: {memory_breakdown(mem)}." for name in ("ours", low)
                 if (mem := median_memory(self.b.memory.get((key, name))))]
        self.check(f"idle RSS with 5 services below every single-process "
                   f"peer, {mode}", f"{rss:,.0f} kB against "
                   + ", ".join(f"{p} {v:,.0f} kB" for p, v in peers.items()),
                   rss < peers[low], "Where it goes (medians): "
                   + " ".join(where) if where else "")

    def rows(self):
        rows = [(sc.key, sc.label, sc.unit) for sc in SCENARIOS]
        rows += [("rss5", "idle RSS, 5 services, in the foreground", "kB"),
                 ("rss5d", "idle RSS, 5 services, detached", "kB"),
                 ("anon5", "idle anonymous memory (its own, no shared "
                  "pages), 5 services", "kB"),
                 ("rss1000", "idle RSS, 1,000 services", "kB")]
        rows += [(sc.key, sc.label, sc.unit) for sc in IDLE_SCENARIOS]
        for n in SCALE_SIZES:
            rows.append((f"load{n}", f"config load, {n:,} services", "ms"))
        for n in SCALE_SIZES:
            rows.append((f"reload{n}", f"SIGHUP reload, {n:,} services",
                         "ms"))
        rows += [("sys_daytime", "syscalls per daytime connection",
                  "calls"),
                 ("sys_true", "syscalls per exec /bin/true connection "
                  "(with the child)", "calls")]
        return rows

    def table(self):
        cols = [c for c in COLUMNS
                if any(srv == c for (_, srv) in self.b.results)]
        head = (["scenario", "unit"] + cols +
                ["ours/floor", "ours/best peer", "ours p50 / p99 µs"])
        lines = ["| " + " | ".join(head) + " |",
                 "|" + "|".join(["---"] * 2 + ["---:"] * (len(head) - 2))
                 + "|"]
        for key, label, unit in self.rows():
            if not any(self.get(key, c) is not None for c in cols):
                continue
            cells = [label, unit]
            for c in cols:
                cell = fmt(self.get(key, c), unit)
                if (key, c) in self.b.errors and cell != "–":
                    cell += "*"
                cells.append(cell)
            ours = self.get(key, "ours")
            cells.append(fmt_ratio(self.over_floor(key, unit)))
            best, who = self.best_peer(key, unit)
            cells.append(fmt_ratio(ratio(ours, best)) +
                         (f" ({who})" if who else ""))
            lat = self.b.latency.get(key)
            cells.append("%d / %d" % (median([p for p, _ in lat]),
                                      median([q for _, q in lat]))
                         if lat else "")
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def check(self, text, value, ok, why=""):
        verdict = "–" if ok is None else ("met" if ok else "NOT met")
        self.targets.append(f"- {text}: {value} — **{verdict}**"
                            + (f" {why}" if why and not ok else ""))

    def check_ratio(self, text, key, minimum):
        r = self.over_floor(key)
        self.check(text, fmt_ratio(r), None if r is None else
                   r >= minimum)

    def build_targets(self):
        for key, label in (("daytime1", "TCP daytime c=1"),
                           ("daytime16", "TCP daytime c=16"),
                           ("time1", "TCP time c=1"),
                           ("time16", "TCP time c=16")):
            self.check_ratio(f"{label} >= 0.9x floor", key, 0.9)
        calls = self.get("sys_daytime", "ours")
        self.check("syscalls per daytime connection in the daemon <= 4",
                   fmt(calls, "calls"), None if calls is None else
                   calls <= 4.05)
        for key in ("echo1", "echo16"):
            self.check_ratio(f"{BY_KEY[key].label} >= 0.7x floor", key,
                             0.7)
        for key in ("true1", "true16", "cat1", "cat16"):
            self.check_ratio(f"{BY_KEY[key].label} >= 0.9x the better of "
                             "the fork and posix_spawn floors", key, 0.9)
        for key, minimum in (("uecho1", 0.9), ("uecho16", 0.8),
                             ("udaytime1", 0.9), ("udaytime16", 0.8)):
            self.check_ratio(f"{BY_KEY[key].label} >= {minimum}x floor",
                             key, minimum)
        for mode, key in RSS_MODES:
            self.check_rss(mode, key)
        rss = self.get("rss5", "ours")
        r1000 = self.get("rss1000", "ours")
        if r1000 is not None and rss is not None:
            self.check("idle RSS with 1,000 services (report; linear and "
                       "small)", f"{r1000:,.0f} kB, "
                       f"{(r1000 - rss) * 1024 / (IDLE_SERVICES - 5):,.0f} "
                       "bytes per extra service", None)
        for what in ("load", "reload"):
            a = self.get(f"{what}5000", "ours")
            b = self.get(f"{what}10000", "ours")
            r = ratio(b, a)
            self.check(f"config {what} of 10,000 services <= 2.5x the time "
                       "for 5,000", f"{fmt(b, 'ms')} ms / {fmt(a, 'ms')} ms"
                       f" = {fmt_ratio(r)}", None if r is None else r <= 2.5)
        for idle, base in (("idle1", "daytime1"), ("idle16", "daytime16")):
            r = ratio(self.get(idle, "ours"), self.get(base, "ours"))
            self.check(f"{BY_KEY[base].label} with 1,000 idle services >= "
                       "0.8x that with a few", fmt_ratio(r),
                       None if r is None else r >= 0.8)
        for key, flag in (("true1", "-w"), ("daytime1", "-W")):
            plain = self.get(key, "ours")
            wrapped = self.get(key, f"ours {flag}")
            if plain and wrapped:
                cost = (1 / wrapped - 1 / plain) * 1e6
                self.check(f"libwrap cost with {flag} ({BY_KEY[key].label})",
                           f"{wrapped:,.0f} conn/s against {plain:,.0f}: "
                           f"{cost:+,.0f} µs per connection", None)
            elif plain:
                self.check(f"libwrap cost with {flag}", "not measured: "
                           f"inetd has no {flag} flag yet", None)
        self.sandbox_check()

    def sandbox_check(self):
        plain = self.get("true1", "ours")
        keys = self.get("true1", "ours sandbox")
        unshared = self.get("true1", "ours unshare")
        if not (plain and keys):
            return
        text = (f"{keys:,.0f} conn/s against {plain:,.0f} plain: "
                f"{(1 / keys - 1 / plain) * 1e6:+,.0f} µs per connection")
        if unshared:
            text += (f"; unshare -n -m per connection: {unshared:,.0f} "
                     f"conn/s, {fmt_ratio(keys / unshared)} of it")
        self.check(f"sandbox cost ({SANDBOX_KEYS.replace(' = yes', '')}; "
                   f"{BY_KEY['true1'].label})", text, None)

    def machine(self):
        cpu = "?"
        with contextlib.suppress(OSError):
            with open("/proc/cpuinfo") as f:
                cpu = next((line.split(":", 1)[1].strip() for line in f
                            if line.startswith("model name")), "?")
        debian = "?"
        with contextlib.suppress(OSError):
            with open("/etc/debian_version") as f:
                debian = f.read().strip()
        commit = subprocess.run(["git", "-C", TOP, "rev-parse", "--short",
                                 "HEAD"], capture_output=True,
                                text=True).stdout.strip() or "?"
        # Only changes to what runs (the daemon's sources, the bench).
        dirty = subprocess.run(["git", "-C", TOP, "status", "--porcelain",
                                "--untracked-files=no", "--", "*.c", "*.h",
                                "Makefile", "bench", ":!tests",
                                ":!bench/RESULTS.md"],
                               capture_output=True, text=True).stdout
        if dirty.strip():
            commit += " with uncommitted changes"
        load = os.getloadavg()
        return [f"- date: {datetime.datetime.now():%Y-%m-%d %H:%M}",
                f"- machine: {os.cpu_count()} CPUs ({cpu}), Linux "
                f"{platform.release()}, Debian {debian}",
                f"- load average before the report: {load[0]:.2f}",
                f"- inetd: {self.b.inetd} (commit {commit}), flags "
                f"`-d {' '.join(self.b.ours_flags)}`".rstrip(),
                f"- peers: {', '.join(self.b.versions())}",
                f"- {self.b.args.rounds if not self.b.args.quick else 1} "
                f"rounds (exec rows: {EXEC_ROUNDS}, twice as long), "
                f"{self.b.args.secs} s per run after "
                f"{self.b.warmup} s of warm-up; median of the rounds; "
                f"the whole run took {self.b.elapsed / 60:.1f} min"]

    def text(self):
        self.build_targets()
        parts = ["# inetd benchmark results (`make bench`)", "",
                 "Written by bench/bench.py; the last run only.", "",
                 *self.machine(), "", self.table(), "",
                 "Higher is better for conn/s and MiB/s, lower for kB, ms "
                 "and calls.  floor: in-process server (daytime, time, "
                 "echo, UDP) or fork+exec per connection; floor-spawn: "
                 "posix_spawn per connection; ours/floor is the median of "
                 "the rounds' ratios to the better floor (a round runs the "
                 "servers one after the other).  ours/best peer compares "
                 "with the best peer that serves the row.  A * marks a "
                 "cell whose runs had errors (refused, reset, short or "
                 "lost replies).  Every server "
                 "runs as root on 127.0.0.1; the load generator "
                 "(bench/load.c) shares the machine.", "",
                 "## Targets (issue 7)", "", *self.targets]
        if self.b.notes:
            parts += ["", "## Notes", ""] + [f"- {n}" for n in self.b.notes]
        table = self.b.strace_tables.get("sys_daytime")
        if table:
            parts += ["", "## strace -c -f of ours, 2,000 daytime "
                      "connections at c=1", "", "```", table.strip(), "```"]
        return "\n".join(parts) + "\n"


def kept_sections(path):
    """The sections other benchmarks keep in the same file, between
    "<!-- NAME: begin -->" and "<!-- NAME: end -->" (bench/forward.sh)."""
    section = re.compile(r"^<!-- ([\w-]+): begin -->$.*?^<!-- \1: end -->$",
                         re.M | re.S)
    with contextlib.suppress(OSError):
        with open(path) as f:
            return "".join("\n" + m.group(0) + "\n"
                           for m in section.finditer(f.read()))
    return ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("inetd")
    ap.add_argument("--tools", default=os.path.join(TOP, "build", "bench"))
    ap.add_argument("--scratch", default=os.path.join(TOP, "build",
                                                      "bench"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--secs", type=float, default=1.0)
    ap.add_argument("--only", default="")
    ap.add_argument("--parts", default="")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    args = ap.parse_args()
    if args.quick:
        args.secs = 0.5
    if os.geteuid() != 0:
        raise SystemExit("bench: run as root (peers need a private mount "
                         "namespace for their /etc/services)")
    os.makedirs(args.scratch, exist_ok=True)
    become_subreaper()
    bench = Bench(args)
    bench.run()
    text = Report(bench).text()
    print(text)
    if args.out != "-":
        text += kept_sections(args.out)
        with open(args.out, "w") as f:
            f.write(text)
        log(f"results written to {args.out}")


if __name__ == "__main__":
    main()
