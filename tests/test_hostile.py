#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Integration tests of hostile clients and system faults.

Descriptors or processes running out, an address that vanishes under a
bound socket, storms of reset connections, clients that never read,
datagrams of extreme sizes, and a daemon started with odd signal state:
after each, the daemon must not have spun, and must still serve.  What
a started server inherits is checked from inside it with tests/probe.

usage: test_hostile.py [INETD] [TEST ...]  (see harness.py)
"""

import contextlib
import ctypes
import grp
import os
import pwd
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

import harness
from harness import *  # noqa: F401,F403

CLONE_NEWNET = 0x40000000
ALIAS = "10.213.0.1"            # exists only inside private_network()


def require_root(why):
    if not IS_ROOT:
        raise Skip(f"not root: {why}")


def tool(name):
    path = shutil.which(name)
    if path is None:
        raise Skip(f"{name} not installed")
    return path


def python():
    return "/usr/bin/python3" if os.path.exists("/usr/bin/python3") \
        else os.path.realpath(sys.executable)


def write_script(t, name, text):
    path = t.path(name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    return path


def own_copy(t, user):
    """The daemon binary, and a pidfile path, that user can use."""
    pw = pwd.getpwnam(user)
    binary = t.path("inetd")
    shutil.copy(harness.INETD, binary)
    os.chmod(binary, 0o755)
    rundir = t.path("run")
    os.mkdir(rundir)
    os.chown(rundir, pw.pw_uid, pw.pw_gid)
    return binary, os.path.join(rundir, "pid")


def no_zombies(d):
    return not [p for p, st in children_of(d.pid).items() if st == "Z"]


# ------------------------------------------------------ descriptors, fork

@test
def emfile_backoff(t):
    """Out of descriptors (prlimit --nofile=64) with clients queued: one
    clear message, no spinning on the listening socket it cannot accept
    from, and service again once descriptors are free."""
    prlimit = tool("prlimit")
    port = t.port()
    d = t.daemon([f"127.0.0.1:{port} stream tcp nowait {ME} internal echo"],
                 wrapper=[prlimit, "--nofile=64", "--"])
    idle = []
    try:
        for _ in range(100):
            idle.append(tcp(port))
        d.wait_log("accept: Too many open files")
        check_idle(d.pid, seconds=3)
        lines = d.log_lines("accept: Too many open files")
        check(len(lines) == 1, f"{len(lines)} messages about descriptors "
              "in 3 s, want 1")
    finally:
        for s in idle:
            s.close()
    check_tcp_builtin("echo", port)
    check(d.proc.poll() is None, "daemon died")


@test
def fork_failure_backoff(t):
    """fork() failing with EAGAIN (RLIMIT_NPROC of a daemon running as
    nobody): the connection is closed, the daemon pauses instead of
    spinning, and serves again as soon as it can fork."""
    require_root("RLIMIT_NPROC does not hold root back, nor can a user "
                 "raise it again")
    prlimit = tool("prlimit")
    binary, pidfile = own_copy(t, "nobody")
    port = t.port()
    d = t.daemon([f"127.0.0.1:{port} stream tcp nowait nobody {t.probe()} "
                  "probe"], user="nobody", binary=binary, pidfile=pidfile,
                 wrapper=[prlimit, "--nproc=1:4096", "--"])
    with tcp(port) as s:
        check(recv_to_eof(s) == b"", "served although fork must fail")
    d.wait_log("fork: Resource temporarily unavailable")
    waiting = [tcp(port) for _ in range(5)]
    try:
        check_idle(d.pid, seconds=3)
        lines = d.log_lines("fork: Resource temporarily unavailable")
        check(len(lines) == 1, f"{len(lines)} messages about fork in 3 s, "
              "want 1")
    finally:
        for s in waiting:
            s.close()
    # As nobody: root may lack CAP_SYS_RESOURCE (containers), and a
    # process's own user may raise its soft limit up to the hard one.
    nobody = pwd.getpwnam("nobody")
    subprocess.run([prlimit, "--pid", str(d.pid), "--nproc=4096:4096"],
                   check=True, timeout=IO_TIMEOUT, user=nobody.pw_uid,
                   group=nobody.pw_gid, extra_groups=[])
    uid = wait_until(lambda: served_uid(port), 2 * IO_TIMEOUT, interval=0.2)
    check(uid, "not served after fork works again")


def served_uid(port):
    try:
        return probe_report(port)["uid"]
    except Fail:
        return None


# ---------------------------------------------------------- addresses

def ip(*args):
    done = subprocess.run([tool("ip"), *args], capture_output=True,
                          timeout=IO_TIMEOUT)
    check(done.returncode == 0,
          f"ip {' '.join(args)}: {done.stderr.decode().strip()}")


@contextlib.contextmanager
def private_network():
    """The test (and the daemons it starts) in a network namespace of its
    own with only lo: addresses added and removed there are nobody
    else's.  The test returns to its own namespace at the end."""
    require_root("network namespaces need CAP_SYS_ADMIN")
    libc = ctypes.CDLL(None, use_errno=True)
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        if libc.unshare(CLONE_NEWNET) != 0:
            raise Skip("unshare(CLONE_NEWNET): "
                       f"{os.strerror(ctypes.get_errno())}")
        try:
            ip("link", "set", "lo", "up")
            yield
        finally:
            if libc.setns(home, CLONE_NEWNET) != 0:
                raise Fail("cannot return to the network namespace")
    finally:
        os.close(home)


@test
def address_vanishes(t):
    """The address of bound sockets is removed, then the interface goes
    down: nothing spins, the other services serve, and the sockets serve
    again when the address is back."""
    with private_network():
        ip("addr", "add", f"{ALIAS}/32", "dev", "lo")
        port, other = t.port(), t.port()
        d = t.daemon([f"{ALIAS}:{port} stream tcp nowait {ME} internal echo",
                      f"{ALIAS}:{port} dgram udp wait {ME} internal echo",
                      f"127.0.0.1:{other} stream tcp nowait {ME} "
                      "internal daytime"])
        # Taken before any client: the daemon closes an echo connection
        # only when it next looks at it.
        fds = open_fds(d.pid)
        check_tcp_builtin("echo", port, ALIAS)
        check_bytes(udp(port, b"one", ALIAS), b"one", "UDP echo")
        ip("addr", "del", f"{ALIAS}/32", "dev", "lo")
        check_idle(d.pid)
        check_tcp_builtin("daytime", other)
        ip("link", "set", "lo", "down")
        check_idle(d.pid)
        ip("link", "set", "lo", "up")
        ip("addr", "add", f"{ALIAS}/32", "dev", "lo")
        check_tcp_builtin("daytime", other)
        check_tcp_builtin("echo", port, ALIAS)
        check_bytes(udp(port, b"two", ALIAS), b"two", "UDP echo after")
        # The daemon may not have seen the last client's close yet.
        check(wait_until(lambda: open_fds(d.pid) == fds, IO_TIMEOUT),
              f"descriptors changed: {fds} -> {open_fds(d.pid)}")
        check(not d.log_lines("waiting for events"),
              "the wait for events failed")


@test
def address_appears_later(t):
    """An address missing at startup: the bind is retried (once per
    INETD_RETRY_SECONDS, not in a loop) until the address exists."""
    with private_network():
        port = t.port()
        d = t.daemon([f"{ALIAS}:{port} stream tcp nowait {ME} internal echo",
                      f"127.0.0.1:{port} stream tcp nowait {ME} "
                      "internal daytime"], env={"INETD_RETRY_SECONDS": "1"})
        d.wait_log("Cannot assign requested address")
        check_idle(d.pid)
        ip("addr", "add", f"{ALIAS}/32", "dev", "lo")
        ok = wait_until(lambda: reachable(ALIAS, port), 8, interval=0.2)
        check(ok, "address added but not served within 8 s")
        check_tcp_builtin("echo", port, ALIAS)
        check_tcp_builtin("daytime", port)


def reachable(host, port):
    try:
        tcp(port, host).close()
        return True
    except Fail:
        return False


# ------------------------------------------------------------- clients

def connect_and_reset(port):
    """Connect, and close at once with a RST (SO_LINGER 0)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    try:
        s.connect(("127.0.0.1", port))
    finally:
        s.close()


@test
def reset_storm(t):
    """1000 connections reset right after connect, to builtins served in
    the daemon and to a spawned server: no descriptor leaks, no zombies,
    and every service still answers."""
    # cat may write to a connection already reset: the test's doing.
    t.child_signals.add(signal.SIGPIPE)
    echo, daytime, cat = t.port(), t.port(), t.port()
    d = t.daemon([f"127.0.0.1:{echo} stream tcp nowait {ME} internal echo",
                  f"127.0.0.1:{daytime} stream tcp nowait {ME} "
                  "internal daytime",
                  f"127.0.0.1:{cat} stream tcp nowait {ME} /bin/cat cat"])
    fds = open_fds(d.pid)
    for port, count in ((echo, 450), (daytime, 450), (cat, 100)):
        for _ in range(count):
            connect_and_reset(port)
    check_tcp_builtin("echo", echo)
    check_tcp_builtin("daytime", daytime)
    with tcp(cat) as s:
        check_bytes(exchange(s, b"still here"), b"still here", "cat")
    check(wait_until(lambda: open_fds(d.pid) == fds, 10),
          f"descriptors {open_fds(d.pid)}, before the storm {fds}")
    check(wait_until(lambda: no_zombies(d), 10), "zombie children")
    check(not d.log_lines("accept:"), f"accept failed: "
          f"{d.log_lines('accept:')[:1]}")


def push(s, data, seconds=3):
    """Send data without reading until the peer takes no more for half a
    second; return how much was sent."""
    s.setblocking(False)
    sent = 0
    for _ in steps(seconds):
        if sent == len(data):
            break
        try:
            sent += s.send(data[sent:sent + 65536])
        except BlockingIOError:
            _, w, _ = select.select([], [s], [], 0.5)
            if not w:
                break
    return sent


@test
def echo_10mb_unread(t):
    """A client sends 10 MB to echo and reads nothing: flow control stops
    it, the daemon sleeps meanwhile and serves others; once the client
    reads, all 10 MB come back in order."""
    port, other = t.port(), t.port()
    d = t.daemon([f"127.0.0.1:{port} stream tcp nowait {ME} internal echo",
                  f"127.0.0.1:{other} stream tcp nowait {ME} "
                  "internal daytime"])
    data = os.urandom(10 << 20)
    with tcp(port) as s:
        sent = push(s, data)
        check_idle(d.pid)
        check_tcp_builtin("daytime", other)
        got = exchange(s, data[sent:], want=len(data), seconds=60)
    check_bytes(got, data, "echo of 10 MB read late")


@test
def clients_never_read(t):
    """chargen clients that never read and echo clients that fill both
    directions: the daemon waits without spinning, serves the others,
    and frees everything when they go."""
    chargen, echo, daytime = t.port(), t.port(), t.port()
    d = t.daemon([f"127.0.0.1:{chargen} stream tcp nowait {ME} "
                  "internal chargen",
                  f"127.0.0.1:{echo} stream tcp nowait {ME} internal echo",
                  f"127.0.0.1:{daytime} stream tcp nowait {ME} "
                  "internal daytime"])
    fds = open_fds(d.pid)
    stalled = [tcp(chargen) for _ in range(8)] + [tcp(echo) for _ in range(4)]
    try:
        for s in stalled[8:]:
            push(s, b"x" * (8 << 20), seconds=2)
        check_idle(d.pid)
        check_tcp_builtin("daytime", daytime)
        check_tcp_builtin("echo", echo)
    finally:
        for s in stalled:
            s.close()
    check(wait_until(lambda: open_fds(d.pid) == fds, 10),
          f"descriptors {open_fds(d.pid)}, before {fds}")


@test
def builtin_conn_past_1024(t):
    """An echo connection whose descriptor in the daemon is past 1024
    (FD_SETSIZE) is served in the daemon's table like any other, not
    handed to a child: the loop's one wait has no such bound."""
    echo = t.port()
    listeners = [f"{t.path(f's{i}')} stream unix nowait {ME} internal "
                 "daytime" for i in range(1100)]
    d = t.daemon(listeners +
                 [f"127.0.0.1:{echo} stream tcp nowait {ME} internal echo"])
    check(len(open_fds(d.pid)) > 1100,
          f"the daemon holds {len(open_fds(d.pid))} descriptors")
    with tcp(echo) as s:
        check_bytes(exchange(s, b"past 1024"), b"past 1024", "echo")
        check(children_of(d.pid) == {},
              f"children {children_of(d.pid)}: the echo got one")


UDP_SIZE_SERVER = """\
import socket
s = socket.socket(fileno=0)
data, peer = s.recvfrom(70000)
s.sendto(b"%d" % len(data), peer)
"""


@test
def udp_extreme_sizes(t):
    """Datagrams of 0 and 65507 bytes (the most IPv4 carries) to every
    UDP builtin and to a spawned server."""
    names = ("echo", "discard", "chargen", "daytime", "time")
    ports = {name: t.port() for name in names}
    spawned = t.port()
    server = write_script(t, "size.py", UDP_SIZE_SERVER)
    lines = [f"127.0.0.1:{ports[n]} dgram udp wait {ME} internal {n}"
             for n in names]
    lines.append(f"127.0.0.1:{spawned} dgram udp wait {ME} {python()} "
                 f"python3 {server}")
    d = t.daemon(lines)
    for size in (0, 65507):
        data = os.urandom(size)
        check_bytes(udp(ports["echo"], data), data, f"echo of {size} bytes")
        with udp_socket() as s:
            s.sendto(data, ("127.0.0.1", ports["discard"]))
            check(udp_reply(s, "127.0.0.1", ports["discard"], 0.3) is None,
                  "discard answered")
        check_chargen_datagram(udp(ports["chargen"], data))
        check_daytime(udp(ports["daytime"], data))
        check_time(udp(ports["time"], data))
        check(udp(spawned, data) == b"%d" % size,
              f"spawned server did not get {size} bytes")
    check(d.proc.poll() is None, "daemon died")
    check_bytes(udp(ports["echo"], b"after"), b"after", "echo after")


@test
def udp_extreme_size_ipv6(t):
    """65527 bytes, the most a UDP datagram carries over IPv6, echoed."""
    if not ipv6_usable():
        raise Skip("no ::1")
    port = t.port(v6=True)
    t.daemon([f"[::1]:{port} dgram udp6 wait {ME} internal echo"])
    data = os.urandom(65527)
    check_bytes(udp(port, data, "::1"), data, "echo of 65527 bytes")


# ------------------------------------------------ what a child inherits

# Starts the daemon with signals blocked and ignored, as a careless
# parent (a shell's nohup, a supervisor) might.
HOSTILE_PARENT = """\
import os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD, signal.SIGTERM,
                       signal.SIGHUP, signal.SIGUSR1, signal.SIGALRM})
for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGUSR2, signal.SIGTSTP):
    signal.signal(sig, signal.SIG_IGN)
os.execv(sys.argv[1], sys.argv[1:])
"""


def check_clean_child(r, what):
    check(sorted(r["fd"]) == [0, 1, 2], f"{what}: open fds {r['fd']}")
    targets = set(r["fd"].values())
    check(len(targets) == 1 and targets.pop().startswith("socket:"),
          f"{what}: fds 0-2 are not one socket: {r['fd']}")
    for key, name in (("sigblk", "blocked"), ("sigign", "ignored")):
        check(int(r[key], 16) & ~GLIBC_SIGNALS == 0,
              f"{what}: {name} signals {r[key]}")


def parse_report(text):
    report = {"argv": [], "fd": {}}
    for line in text.splitlines():
        key, _, rest = line.partition(" ")
        if key == "fd":
            fd, _, target = rest.partition(" ")
            report["fd"][int(fd)] = target
        elif key != "argv":
            report[key] = rest
    check("sigign" in report, f"probe output incomplete: {text!r}")
    return report


def member_user():
    """(user, primary gid) of a user who is also in another group."""
    for gr in grp.getgrall():
        for name in gr.gr_mem:
            with contextlib.suppress(KeyError):
                pw = pwd.getpwnam(name)
                if pw.pw_gid != gr.gr_gid:
                    return name, pw.pw_gid
    return None


@test
def child_inherits_nothing(t):
    """Started by a parent that blocked and ignored signals, the daemon
    still gives each server exactly fds 0-2, an empty mask and default
    dispositions (nowait, stream wait and dgram wait alike), still reaps
    its children and still stops on SIGTERM."""
    wrapper = [python(), write_script(t, "parent.py", HOSTILE_PARENT)]
    nowait, swait, dwait = t.port(), t.port(), t.port()
    probe = t.probe()
    d = t.daemon([f"127.0.0.1:{nowait} stream tcp nowait {ME} {probe} probe",
                  f"127.0.0.1:{swait} stream tcp wait {ME} {probe} probe -A",
                  f"127.0.0.1:{dwait} dgram udp wait {ME} {probe} probe -R"],
                 wrapper=wrapper)
    check_clean_child(probe_report(nowait), "nowait server")
    check_clean_child(probe_report(swait), "stream wait server")
    check_clean_child(parse_report(udp(dwait, b"?").decode()),
                      "dgram wait server")
    check(wait_until(lambda: no_zombies(d), IO_TIMEOUT),
          "children not reaped: SIGCHLD still blocked in the daemon?")
    status = d.stop()
    check(status == 0, f"exit status {status} after SIGTERM, want 0")


@test
def child_credentials(t):
    """user:group and a user with supplementary groups: the server runs
    with exactly the uid, gid and groups of its entry."""
    require_root("only root can run servers as other users")
    group = next(g for g in grp.getgrall()
                 if g.gr_gid not in (0, pwd.getpwnam("nobody").pw_gid))
    entries = [("nobody", group.gr_name, group.gr_gid)]
    member = member_user()
    if member is not None:
        entries.append((member[0], None, member[1]))
    ports = [t.port() for _ in entries]
    d = t.daemon([f"127.0.0.1:{port} stream tcp nowait "
                  f"{user}{':' + gname if gname else ''} {t.probe()} probe"
                  for port, (user, gname, _) in zip(ports, entries)])
    check(d.ready == len(entries), f"ready with {d.ready} services")
    for port, (user, _, gid) in zip(ports, entries):
        r = probe_report(port)
        uid = pwd.getpwnam(user).pw_uid
        check(r["uid"] == f"{uid} {uid}", f"{user}: uid {r['uid']}")
        check(r["gid"] == f"{gid} {gid}", f"{user}: gid {r['gid']}, "
              f"want {gid}")
        groups = {int(g) for g in r["groups"].split()}
        want = set(os.getgrouplist(user, gid))
        check(groups == want, f"{user}: groups {sorted(groups)}, "
              f"want {sorted(want)}")
        check_clean_child(r, user)


# ------------------------------------------------------------ UDP loops

def forge_udp(src_port, dst_port, payload=b"loop", host="127.0.0.1"):
    """One datagram from host:src_port to host:dst_port, its UDP header
    made by hand on a raw socket (no checksum, which IPv4 allows)."""
    header = struct.pack("!HHHH", src_port, dst_port, 8 + len(payload), 0)
    with socket.socket(socket.AF_INET, socket.SOCK_RAW,
                       socket.IPPROTO_UDP) as s:
        s.sendto(header + payload, (host, 0))


def check_no_loop(d, src_port, dst_port, service_port, what):
    """One forged datagram starts nothing: the daemon stays idle, and
    the echo at service_port still answers."""
    forge_udp(src_port, dst_port)
    check_idle(d.pid, 2.0, 0.2, f"daemon after a forged datagram ({what})")
    check_bytes(udp(service_port, b"still there"), b"still there",
                f"echo after {what}")


def echo_chargen(t):
    """echo and chargen over UDP on ports of our own, not 7 and 19."""
    echo, chargen = t.port(), t.port()
    d = t.daemon([f"127.0.0.1:{echo} dgram udp wait {ME} internal echo",
                  f"127.0.0.1:{chargen} dgram udp wait {ME} internal "
                  "chargen"])
    return d, echo, chargen


@test
def udp_loop_echo_chargen(t):
    """A datagram forged from chargen's port to echo's: echo must not
    answer it, or the two answer each other for ever."""
    require_root("forging a datagram takes a raw socket")
    d, echo, chargen = echo_chargen(t)
    check_no_loop(d, chargen, echo, echo, "chargen to echo")
    d.wait_log(f"{d.conf}:1: {echo}/udp: loop request REFUSED from "
               f"127.0.0.1 port {chargen}")


@test
def udp_loop_echo_itself(t):
    """A datagram forged from echo's port to echo itself."""
    require_root("forging a datagram takes a raw socket")
    d, echo, _ = echo_chargen(t)
    check_no_loop(d, echo, echo, echo, "echo to itself")


@test
def udp_loop_forward(t):
    """A UDP forward to the echo port, and a datagram forged from the echo
    port to the forward: it must neither go round through the echo nor
    stop a client of the forward from being served."""
    require_root("forging a datagram takes a raw socket")
    echo, fwd = t.port(), t.port()
    d = t.daemon([f"127.0.0.1:{echo} dgram udp wait {ME} internal echo",
                  f"127.0.0.1:{fwd} dgram udp wait {ME} internal forward "
                  f"127.0.0.1:{echo}"])
    check_no_loop(d, echo, fwd, fwd, "echo to the forward")
    d.wait_log(f"{d.conf}:2: {fwd}/udp: loop request REFUSED from "
               f"127.0.0.1 port {echo}")


class UdpEcho:
    """A UDP echo server of the test's own, on a port inetd knows only as
    a forward target."""

    def __init__(self, t):
        self.port = t.port()
        self.sock = udp_socket(port=self.port)
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        for _ in steps(TEST_TIMEOUT):
            try:
                data, peer = self.sock.recvfrom(70000)
                self.sock.sendto(data, peer)
            except OSError:
                return


@test
def udp_loop_forward_target(t):
    """A datagram forged from the forward's target, an echo server that
    is not inetd's: only the forward can tell it is not a client."""
    require_root("forging a datagram takes a raw socket")
    target = UdpEcho(t)
    fwd = t.port()
    d = t.daemon([f"127.0.0.1:{fwd} dgram udp wait {ME} internal forward "
                  f"127.0.0.1:{target.port}"])
    try:
        check_no_loop(d, target.port, fwd, fwd, "the target to the forward")
    finally:
        target.sock.close()


# ------------------------------------------------ a UDP port of its own

@test
def udp_port_not_shared(t):
    """User nobody cannot bind a UDP service's address and port, with
    SO_REUSEADDR or SO_REUSEPORT, and so cannot take its datagrams."""
    require_root("the other user is nobody")
    port = t.port()
    d = t.daemon([f"127.0.0.1:{port} dgram udp wait {ME} internal echo"])
    code = ("import errno, socket, sys\n"
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            "s.setsockopt(socket.SOL_SOCKET, getattr(socket, sys.argv[1]), "
            "1)\n"
            "try:\n"
            "    s.bind(('127.0.0.1', int(sys.argv[2])))\n"
            "    print('bound')\n"
            "except OSError as e:\n"
            "    print(errno.errorcode[e.errno])\n")
    for option in ("SO_REUSEADDR", "SO_REUSEPORT"):
        done = subprocess.run([python(), "-c", code, option, str(port)],
                              user="nobody", group="nogroup",
                              extra_groups=[], capture_output=True,
                              timeout=10, cwd="/")
        out = done.stdout.decode().strip()
        check(out == "EADDRINUSE", f"nobody with {option}: {out!r} "
              f"{done.stderr.decode()!r}, want EADDRINUSE")
    check_bytes(udp(port, b"mine"), b"mine", "echo")
    os.kill(d.pid, signal.SIGHUP)
    d.wait_log("reloaded")
    check_bytes(udp(port, b"kept"), b"kept", "echo after a reload")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
