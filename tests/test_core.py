#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Integration tests of the core daemon: builtins, spawning, config, signals.

usage: test_core.py [INETD] [TEST ...]  (see harness.py)
"""

import contextlib
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time

import harness
from harness import *  # noqa: F401,F403

@test
def echo_tcp(t):
    port = serve_builtin(t, "echo")
    data = os.urandom(4096)
    with tcp(port) as s:
        check_bytes(exchange(s, data), data, "echo")
        s.shutdown(socket.SHUT_WR)
        check(recv_to_eof(s) == b"", "echo sent more than it got")


@test
def echo_data_and_fin(t):
    """Data and the FIN that follows at once, before the daemon reads:
    the echo comes back and the connection closes, though no event
    follows the one that reported both (the sockets are edge-triggered)."""
    port = serve_builtin(t, "echo")
    for i in range(20):
        data = b"%d" % i * (i * 100 + 1)
        with tcp(port) as s:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            check_bytes(recv_to_eof(s, seconds=10), data, f"echo {i}")


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
def udp_builtins_answer_from_address_sent_to(t):
    """Bound to every address, a datagram builtin answers from the
    address the client sent to, not from the one the routing table
    picks: a connected client (or one that checks, as udp() does) would
    drop the answer as a stranger's."""
    port = t.port()
    names = ("echo", "daytime", "time", "chargen")
    t.daemon([f"*:{port + i} dgram udp wait {ME} internal {name}"
              for i, name in enumerate(names)] +
             [f"[::]:{port + 4} dgram udp46 wait {ME} internal echo"])
    for i, name in enumerate(names):
        check(len(udp(port + i, b"x", host="127.0.0.2")) > 0,
              f"{name}: empty answer")
    check_bytes(udp(port + 4, b"mapped", host="127.0.0.2"), b"mapped",
                "dual-stack echo to 127.0.0.2")


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
def udp_loop_defence_own_ports(t):
    """The ports of the daemon's own datagram entries, at any address,
    are refused as sources, as the configuration says after each reload:
    an entry added refuses its port, one removed no longer does."""
    echo, other = t.port(), t.port()
    echo_line = f"127.0.0.1:{echo} dgram udp wait {ME} internal echo"
    d = t.daemon([echo_line])

    def answered():
        with udp_socket(port=other) as s:
            s.sendto(b"ping", ("127.0.0.1", echo))
            return udp_reply(s, "127.0.0.1", echo, 0.5) is not None

    def reload(lines, n):
        with open(d.conf, "w") as f:
            f.write("".join(line + "\n" for line in lines))
        os.kill(d.pid, signal.SIGHUP)
        d.wait_log(f"reloaded {d.conf}: {n} services")

    check(answered(), f"no answer to a client on port {other}")
    reload([echo_line,
            f"127.0.0.2:{other} dgram udp wait {ME} internal discard"], 2)
    check(not answered(), f"answered port {other}, a discard entry's")
    d.wait_log(f"loop request REFUSED from 127.0.0.1 port {other}")
    reload([echo_line], 1)
    check(answered(), f"port {other} refused after its entry went")


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
    # Like the daemon's, so a TIME_WAIT left by an earlier test on this
    # port does not stop us; a listening socket still keeps inetd out.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
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


def write_conf(d, lines):
    with open(d.conf, "w") as f:
        f.write("".join(line + "\n" for line in lines))


def says_hello(port):
    with contextlib.suppress(Fail), tcp(port) as s:
        return recv_to_eof(s) == b"hello\n"
    return False


@test
def reload_program_missing(t):
    """A program not installed (yet) is a warning, not an error: the
    reload is taken, the rest is served, -t exits 0, and the entry is
    served once the program is there."""
    keep, later, added = t.port(), t.port(), t.port()
    good = f"127.0.0.1:{keep} stream tcp nowait {ME} internal echo"
    prog = t.path("later")
    d = t.daemon([good], env={"INETD_RETRY_SECONDS": "1"})
    write_conf(d, [good,
                   f"127.0.0.1:{later} stream tcp nowait {ME} {prog} later",
                   f"127.0.0.1:{added} stream tcp nowait {ME} "
                   "internal daytime"])
    d.reload()
    d.wait_log(f"{d.conf}:2:", prog, "not installed")
    status, err = run_inetd(["-t", d.conf])
    check(status == 0 and "not installed" in err,
          f"-t: status {status}: {err!r}")
    check_tcp_builtin("echo", keep)
    check_tcp_builtin("daytime", added)
    check(not tcp_reachable(later), "entry without its program listens")
    with open(prog + ".new", "w") as f:
        f.write("#!/bin/sh\necho hello\n")
    os.chmod(prog + ".new", 0o755)
    os.rename(prog + ".new", prog)
    check(wait_until(lambda: says_hello(later), 8, interval=0.2),
          "program installed, entry not served within 8 s")


@test
def reload_port_busy(t):
    """A port in use at a reload is a condition of the system: the rest
    loads, and the entry binds once the port is free."""
    keep, busy, added = t.port(), t.port(), t.port()
    good = f"127.0.0.1:{keep} stream tcp nowait {ME} internal echo"
    d = t.daemon([good], env={"INETD_RETRY_SECONDS": "1"})
    with occupy(busy):
        write_conf(d, [good,
                       f"127.0.0.1:{busy} stream tcp nowait {ME} "
                       "internal echo",
                       f"127.0.0.1:{added} stream tcp nowait {ME} "
                       "internal daytime"])
        d.reload()
        d.wait_log(f"{d.conf}:2:", "Address already in use")
        check_tcp_builtin("daytime", added)
    check(wait_until(lambda: tcp_reachable(busy), 8, interval=0.2),
          "freed port not bound within 8 s")
    check_tcp_builtin("echo", busy)
    check_tcp_builtin("echo", keep)


# The daemon alone in a network namespace of its own, whose addresses
# the test may change: only its loopback, brought up.
NETNS_WRAPPER = 'ip link set lo up && exec "$@"'


def in_netns(d, *argv):
    return subprocess.run(["nsenter", "-t", str(d.pid), "-n", *argv],
                          stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=IO_TIMEOUT)


def daytime_in_netns(d, host, port):
    out = in_netns(d, "nc", "-w", "2", host, str(port)).stdout
    return b":" in out


@test
def reload_address_not_up(t):
    """An address not configured at a reload is a condition of the
    system: the rest loads, and the entry binds once the address is up."""
    if not IS_ROOT or not shutil.which("unshare") or \
            not shutil.which("nsenter") or not shutil.which("nc"):
        raise Skip("needs root, unshare(1), nsenter(1) and nc(1)")
    keep, port, added = t.port(), t.port(), t.port()
    good = f"127.0.0.1:{keep} stream tcp nowait {ME} internal daytime"
    d = t.daemon([good], env={"INETD_RETRY_SECONDS": "1"},
                 wrapper=["unshare", "-n", "sh", "-c", NETNS_WRAPPER, "sh"])
    write_conf(d, [good,
                   f"192.0.2.1:{port} stream tcp nowait {ME} "
                   "internal daytime",
                   f"127.0.0.1:{added} stream tcp nowait {ME} "
                   "internal daytime"])
    d.reload()
    d.wait_log(f"{d.conf}:2:", "Cannot assign requested address")
    check(daytime_in_netns(d, "127.0.0.1", added), "new entry not served")
    check(daytime_in_netns(d, "127.0.0.1", keep), "old entry not served")
    done = in_netns(d, "ip", "addr", "add", "192.0.2.1/32", "dev", "lo")
    check(done.returncode == 0, f"ip addr add: {done.stderr!r}")
    check(wait_until(lambda: daytime_in_netns(d, "192.0.2.1", port), 8,
                     interval=0.2), "address up, entry not bound within 8 s")


def dual_stack_answers(port, name):
    for host in ("127.0.0.1", "::1"):
        check_tcp_builtin(name, port, host)


@test
def dual_stack_plain_tcp(t):
    """A Debian line (plain tcp, no address) answers IPv4 and IPv6
    clients; udp too."""
    require_ipv6()
    port = t.port(v6=True)
    d = t.daemon([f"{port} stream tcp nowait {ME} internal daytime",
                  f"{port} dgram udp wait {ME} internal echo"])
    check(d.ready == 2, f"ready with {d.ready} services, want 2")
    dual_stack_answers(port, "daytime")
    for host in ("127.0.0.1", "::1"):
        check_bytes(udp(port, b"x", host=host), b"x", f"udp echo on {host}")
    check(bound_sockets(d.pid) == {("tcp6", port), ("udp6", port)},
          f"sockets {bound_sockets(d.pid)}")


@test
def dual_stack_freebsd_pair(t):
    """A FreeBSD file pairing tcp and tcp6 on one port: plain tcp stays
    IPv4, both bind and each answers its family."""
    require_ipv6()
    port = t.port(v6=True)
    d = t.daemon([f"{port} stream tcp nowait {ME} internal time",
                  f"{port} stream tcp6 nowait {ME} internal daytime"])
    check(d.ready == 2, f"ready with {d.ready} services, want 2")
    check_tcp_builtin("time", port)
    check_tcp_builtin("daytime", port, "::1")
    check(bound_sockets(d.pid) == {("tcp", port), ("tcp6", port)},
          f"sockets {bound_sockets(d.pid)}")



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
        done = subprocess.run([harness.INETD, *args], stdin=subprocess.DEVNULL,
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
    t.child_signals.add(signal.SIGKILL)     # the server kills itself
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
    binary, pidfile = t.nobody_files()
    echo, other, probe = t.port(), t.port(), t.port()
    d = t.daemon([f"127.0.0.1:{echo} stream tcp nowait nobody internal echo",
                  f"127.0.0.1:{other} stream tcp nowait root internal echo",
                  f"127.0.0.1:{probe} stream tcp nowait nobody {t.probe()} "
                  "probe"], user="nobody", binary=binary, pidfile=pidfile)
    check(d.ready == 2, f"ready with {d.ready} services, want 2")
    d.wait_log(f"{d.conf}:2:")
    check_tcp_builtin("echo", echo)
    check(not tcp_reachable(other), "root's entry serves")
    uid = probe_report(probe)["uid"]
    check(uid == f"{nobody.pw_uid} {nobody.pw_uid}", f"server uid {uid}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
