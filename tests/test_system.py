#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Integration tests of inetd as a system service: include files and the
/etc/inetd.d directory, systemd's notification protocol (READY, RELOADING,
WATCHDOG, STOPPING over $NOTIFY_SOCKET), the -i foreground flag, and
`inetd -t` on the inetd.conf files other systems ship (tests/configs).

usage: test_system.py [INETD] [TEST ...]  (see harness.py)
"""

import os
import pwd
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import harness
from harness import *  # noqa: F401,F403

CONFIGS = os.path.join(HERE, "configs")


def run_check(args, seconds=STOP_TIMEOUT):
    """inetd -t ARGS: (exit status, stderr)."""
    try:
        done = subprocess.run([harness.INETD, "-t", *args],
                              stdin=subprocess.DEVNULL, capture_output=True,
                              env=daemon_env(), timeout=seconds)
    except subprocess.TimeoutExpired:
        raise Fail(f"inetd -t {' '.join(args)} still running after "
                   f"{seconds} s") from None
    err = done.stderr.decode(errors="replace")
    report = sanitizer_report(err)
    check(not report, f"sanitizer: {report}")
    return done.returncode, err


def write(path, lines):
    with open(path, "w") as f:
        f.write("".join(line + "\n" for line in lines))
    os.chmod(path, 0o644)


# ------------------------------------------------------------------ include

@test
def include_fragments(t):
    """include FILE and include DIR (its *.conf in name order), relative to
    the including file; a bad fragment line is named by fragment and line."""
    p1, p2, p3, p4 = t.port(), t.port(), t.port(), t.port()
    os.mkdir(t.path("inetd.d"))
    write(t.path("inetd.d/20-daytime.conf"),
          [f"127.0.0.1:{p2} stream tcp nowait {ME} internal daytime"])
    write(t.path("inetd.d/10-echo.conf"),
          ["# a fragment", f"127.0.0.1:{p1} stream tcp nowait {ME} "
           "internal echo", f"127.0.0.1:{p4} stream tcp nowait "
           "nosuchuser_x9 internal echo"])
    write(t.path("inetd.d/README"), ["not a fragment"])
    write(t.path("extra.conf"),
          [f"127.0.0.1:{p3} dgram udp wait {ME} internal time"])
    d = t.daemon(["include inetd.d", "include 'extra.conf'"])
    check(d.ready == 3, f"ready with {d.ready} services, want 3")
    check_tcp_builtin("echo", p1)
    check_tcp_builtin("daytime", p2)
    check_time(udp(p3, b"x"))
    d.wait_log(t.path("inetd.d/10-echo.conf") + ":3:", "nosuchuser_x9")
    # A reload reads the directory again: a fragment dropped in serves.
    write(t.path("inetd.d/10-echo.conf"),
          [f"127.0.0.1:{p1} stream tcp nowait {ME} internal echo"])
    p5 = t.port()
    write(t.path("inetd.d/30-chargen.conf"),
          [f"127.0.0.1:{p5} stream tcp nowait {ME} internal chargen"])
    os.kill(d.pid, signal.SIGHUP)
    check(wait_until(lambda: tcp_reachable(p5), IO_TIMEOUT),
          "fragment added before SIGHUP does not serve")
    check_tcp_builtin("chargen", p5)
    check_tcp_builtin("echo", p1)



@test
def include_errors_checked(t):
    """-t names the including file and line of a loop or a missing file."""
    write(t.path("a.conf"), ["include b.conf",
                             "include missing.conf"])
    write(t.path("b.conf"), [f"127.0.0.1:{t.port()} stream tcp nowait {ME} "
                             "internal echo", "include a.conf"])
    status, err = run_check([t.path("a.conf")])
    check(status == 1, f"exit status {status}, want 1")
    check(f"{t.path('b.conf')}:2: include {t.path('a.conf')}: include loop"
          in err, f"no loop message: {err!r}")
    check(f"{t.path('a.conf')}:2: include {t.path('missing.conf')}: No such "
          "file" in err, f"no missing-file message: {err!r}")


@test
def include_error_refuses_reload(t):
    port, other = t.port(), t.port()
    d = t.daemon([f"127.0.0.1:{port} stream tcp nowait {ME} internal echo"])
    write(d.conf, [f"127.0.0.1:{other} stream tcp nowait {ME} internal echo",
                   "include nothere.conf"])
    os.kill(d.pid, signal.SIGHUP)
    d.wait_log(f"{d.conf}:2: include {t.path('nothere.conf')}: No such file")
    d.wait_log("not reloaded")
    check_tcp_builtin("echo", port)
    check(not tcp_reachable(other), "the refused file was loaded")


@test
def includedir_default(t):
    """Without a file argument inetd reads /etc/inetd.conf, then the *.conf
    of /etc/inetd.d: checked in a private mount namespace with a copy of
    /etc, so the machine's /etc is not touched."""
    if not IS_ROOT or shutil.which("unshare") is None:
        raise Skip("needs root and unshare(1) for a private /etc")
    etc = t.path("etc")
    subprocess.run(["cp", "-a", "/etc", etc], check=True,
                   stderr=subprocess.DEVNULL)
    shutil.rmtree(os.path.join(etc, "inetd.d"), ignore_errors=True)
    port = t.port()
    write(os.path.join(etc, "inetd.conf"),
          [f"127.0.0.1:{port} stream tcp nowait root internal echo"])
    os.mkdir(os.path.join(etc, "inetd.d"))
    write(os.path.join(etc, "inetd.d", "50-time.conf"),
          [f"127.0.0.1:{port} dgram udp wait root internal time",
           "bad line"])
    binary = t.path("inetd")
    shutil.copy(harness.INETD, binary)
    done = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c",
         'mount --bind "$1" /etc && exec "$2" -t', "sh", etc, binary],
        capture_output=True, env=daemon_env(), timeout=STOP_TIMEOUT)
    err = done.stderr.decode(errors="replace")
    check(done.returncode == 1, f"exit status {done.returncode}, want 1: "
          f"{err!r}")
    check("/etc/inetd.d/50-time.conf:2: missing fields" in err,
          f"fragment error not named: {err!r}")
    check("/etc/inetd.conf: 1 error" in err, f"summary: {err!r}")


def fifo(path):
    os.mkfifo(path, 0o644)


@test
def include_fifo_refused(t):
    """A FIFO is never opened so that it blocks: as a fragment of an
    included directory, as an included file and as the file itself, -t
    names it and returns; the regular fragments are still read."""
    os.mkdir(t.path("d"))
    fifo(t.path("d/10-fifo.conf"))
    fifo(t.path("fifo.conf"))
    write(t.path("d/20-echo.conf"),
          [f"127.0.0.1:{t.port()} stream tcp nowait {ME} internal echo"])
    write(t.path("main.conf"), ["include d", "include fifo.conf"])
    status, err = run_check([t.path("main.conf")])
    check(status == 1, f"exit status {status}, want 1: {err!r}")
    check(f"{t.path('main.conf')}:1: include {t.path('d/10-fifo.conf')}: "
          "not a regular file" in err, f"fragment not named: {err!r}")
    check(f"{t.path('main.conf')}:2: include {t.path('fifo.conf')}: not a "
          "regular file" in err, f"included FIFO not named: {err!r}")
    check("2 errors" in err, f"want 2 errors: {err!r}")
    status, err = run_check([t.path("fifo.conf")])
    check(status == 1 and f"{t.path('fifo.conf')}: not a regular file" in
          err, f"FIFO as the file: status {status}, {err!r}")


@test
def include_fifo_reload_refused(t):
    """SIGHUP over a tree with a FIFO fragment: the reload is refused as a
    whole, the FIFO named, and the running services still answer."""
    port, other = t.port(), t.port()
    d = t.daemon([f"127.0.0.1:{port} stream tcp nowait {ME} internal echo"])
    os.mkdir(t.path("d"))
    fifo(t.path("d/10-fifo.conf"))
    write(t.path("d/20-echo.conf"),
          [f"127.0.0.1:{other} stream tcp nowait {ME} internal echo"])
    write(d.conf, [f"127.0.0.1:{port} stream tcp nowait {ME} internal echo",
                   "include d"])
    os.kill(d.pid, signal.SIGHUP)
    d.wait_log(f"{d.conf}:2: include {t.path('d/10-fifo.conf')}: not a "
               "regular file")
    d.wait_log("1 error, configuration not reloaded")
    check_tcp_builtin("echo", port)
    check(not tcp_reachable(other), "the refused file was loaded")
    check_idle(d.pid)


@test
def include_read_once(t):
    """A file included twice, by two names, or at the bottom of a diamond
    is read once in a load, and each other time is reported."""
    port = t.port()
    write(t.path("x.conf"),
          [f"127.0.0.1:{port} stream tcp nowait {ME} internal echo"])
    os.symlink("x.conf", t.path("alias.conf"))
    write(t.path("b.conf"), ["include x.conf"])
    write(t.path("c.conf"), ["include x.conf"])
    write(t.path("main.conf"), ["include x.conf", "include alias.conf",
                                "include b.conf", "include c.conf"])
    status, err = run_check([t.path("main.conf")])
    check(status == 0, f"exit status {status}, want 0: {err!r}")
    check("1 service, no errors" in err, f"want 1 service: {err!r}")
    for where in (f"{t.path('main.conf')}:2: include {t.path('alias.conf')}",
                  f"{t.path('b.conf')}:1: include {t.path('x.conf')}",
                  f"{t.path('c.conf')}:1: include {t.path('x.conf')}"):
        check(f"{where}: read already in this load, not read again" in err,
              f"not reported: {where}: {err!r}")


@test
def include_fanout_capped(t):
    """More than 1024 files in one load: the load is refused, with the
    include line where the limit was reached."""
    for name in ("d1", "d2"):
        os.mkdir(t.path(name))
        for i in range(600):
            write(t.path(f"{name}/{i:03}.conf"), ["# nothing"])
    write(t.path("main.conf"), ["include d1", "include d2"])
    status, err = run_check([t.path("main.conf")])
    check(status == 1, f"exit status {status}, want 1: {err!r}")
    check(f"{t.path('main.conf')}:2: include {t.path('d2/423.conf')}: more "
          "than 1024 files in one load: this one and the rest are not read"
          in err, f"no limit message: {err!r}")
    check("1 error" in err, f"want 1 error: {err!r}")


# ----------------------------------------------------------- look-ups

def strace_check(t, conf, env=None, wrapper=()):
    """inetd -t CONF under strace -f: (exit status, stderr, trace lines)."""
    if shutil.which("strace") is None:
        raise Skip("strace(1) not installed")
    trace = t.path("trace")
    # LeakSanitizer cannot work under ptrace; the rest of ASan can.
    env = daemon_env(env)
    env["ASAN_OPTIONS"] = env["ASAN_OPTIONS"].replace("detect_leaks=1",
                                                      "detect_leaks=0")
    try:
        done = subprocess.run(
            [*wrapper, "strace", "-f", "-qq", "-o", trace,
             "-e", "trace=execve,openat", harness.INETD, "-t", conf],
            stdin=subprocess.DEVNULL, capture_output=True, env=env,
            timeout=60)
    except subprocess.TimeoutExpired:
        raise Fail("inetd -t under strace still running after 60 s") from None
    err = done.stderr.decode(errors="replace")
    if not os.path.exists(trace):
        raise Skip(f"strace cannot trace here: {err.strip()}")
    with open(trace) as f:
        return done.returncode, err, f.read().splitlines()


def lookup_children(lines):
    """Pids of the look-up processes the trace shows executed."""
    return {line.split()[0] for line in lines
            if "execve(" in line and '"--look-up"' in line
            and "= 0" in line}


@test
def one_lookup_child_per_load(t):
    """300 fragments of one entry each: all their look-ups are asked of
    one look-up process (seen by strace, not timed)."""
    os.mkdir(t.path("d"))
    for i in range(300):
        write(t.path(f"d/{i:03}.conf"),
              [f"127.0.0.1:{20000 + i} stream tcp nowait {ME} internal "
               "echo"])
    write(t.path("main.conf"), ["include d"])
    status, err, lines = strace_check(t, t.path("main.conf"))
    check(status == 0 and "300 services" in err, f"-t: {status}, {err!r}")
    children = lookup_children(lines)
    check(len(children) == 1,
          f"{len(children)} look-up processes, want 1")


def private_etc(files):
    """A wrapper running the rest in a private mount namespace where each
    /etc/NAME of files is bind-mounted from the file of the test."""
    binds = " && ".join(f'mount --bind "${i + 1}" /etc/{name}'
                        for i, name in enumerate(files))
    return ["unshare", "-m", "--propagation", "private", "--", "sh", "-c",
            f'{binds} && shift {len(files)} && exec "$@"', "sh",
            *files.values()]


def needs_private_etc():
    if not IS_ROOT or shutil.which("unshare") is None:
        raise Skip("needs root and unshare(1) for a private /etc")


@test
def names_looked_up_in_child(t):
    """A bind host name and a forward target name are looked up by the
    look-up process, never by the daemon: in a private /etc/hosts, only
    that process opens it, and the daemon serves on what it answered."""
    needs_private_etc()
    hosts = t.path("hosts")
    write(hosts, ["127.0.0.1 localhost", "127.0.0.1 inetd-test-bind",
                  "127.0.0.1 inetd-test-target"])
    nss = t.path("nsswitch.conf")
    write(nss, ["passwd: files", "group: files", "hosts: files"])
    echo, fwd = t.port(), t.port()
    lines = [f"inetd-test-bind:{echo} stream tcp nowait {ME} internal echo",
             f"127.0.0.1:{fwd} stream tcp nowait {ME} internal forward "
             f"inetd-test-target:{echo}"]
    write(t.path("main.conf"), lines)
    wrapper = private_etc({"hosts": hosts, "nsswitch.conf": nss})
    status, err, trace = strace_check(t, t.path("main.conf"),
                                      wrapper=wrapper)
    check(status == 0 and "2 services" in err, f"-t: {status}, {err!r}")
    children = lookup_children(trace)
    readers = {line.split()[0] for line in trace
               if '"/etc/hosts"' in line and "openat(" in line}
    check(readers and readers <= children,
          f"/etc/hosts opened by {readers}, look-up processes {children}")
    d = t.daemon(lines, wrapper=wrapper)
    check(d.ready == 2, f"ready with {d.ready} services, want 2")
    check_tcp_builtin("echo", echo)
    s = tcp(fwd)
    got = exchange(s, b"through\r\n")
    s.close()
    check(got == b"through\r\n", f"forward through the name: {got!r}")


@test
def hung_lookup_keeps_running_config(t):
    """A name whose look-up never gets an answer (a name server that does
    not reply) fails the reload after INETD_LOOKUP_SECONDS with the file
    and line, and the running services still answer."""
    needs_private_etc()
    blackhole = udp_socket(f"127.{random.randrange(1, 255)}."
                           f"{random.randrange(1, 255)}.77", 53)
    try:
        resolv = t.path("resolv.conf")
        write(resolv, [f"nameserver {blackhole.getsockname()[0]}",
                       "options timeout:30 attempts:5"])
        nss = t.path("nsswitch.conf")
        write(nss, ["passwd: files", "group: files", "hosts: dns"])
        port, other = t.port(), t.port()
        d = t.daemon([f"127.0.0.1:{port} stream tcp nowait {ME} internal "
                      "echo"], env={"INETD_LOOKUP_SECONDS": "2"},
                     wrapper=private_etc({"resolv.conf": resolv,
                                          "nsswitch.conf": nss}))
        write(d.conf, [f"127.0.0.1:{port} stream tcp nowait {ME} internal "
                       "echo", f"hangs.inetd-test.example:{other} stream "
                       f"tcp nowait {ME} internal echo"])
        os.kill(d.pid, signal.SIGHUP)
        d.wait_log(f"{d.conf}:2: {other}/tcp: cannot use address "
                   "'hangs.inetd-test.example' for tcp: not looked up: no "
                   "answer in 2 s", seconds=10)
        d.wait_log("1 error, configuration not reloaded")
        check_tcp_builtin("echo", port)
        check(not tcp_reachable(other), "the refused file was loaded")
    finally:
        blackhole.close()


@test
def nss_modules_stay_out(t):
    """Users, groups and service names are looked up in a child: with an
    nsswitch.conf naming an NSS module (systemd's) first, the daemon maps
    none after a load and a reload, its entries still run as the users
    they name, and an entry named by a service of /etc/services (a
    private one, naming the test's port) listens on that port."""
    if not IS_ROOT or shutil.which("unshare") is None:
        raise Skip("needs root and unshare(1) for a private nsswitch.conf")
    module = subprocess.run(["sh", "-c", "ldconfig -p | grep -c "
                             "libnss_systemd.so.2"], capture_output=True,
                            text=True).stdout.strip()
    if module in ("", "0"):
        raise Skip("libnss_systemd.so.2 not installed: no module to load")
    nss, services = t.path("nsswitch.conf"), t.path("services")
    write(nss, ["passwd: files systemd", "group: files systemd",
                "services: systemd files"])
    echo, probe = t.port(), t.port()
    write(services, [f"inetd-test-echo {echo}/tcp"])
    d = t.daemon(["127.0.0.1:inetd-test-echo stream tcp nowait root "
                  "internal echo",
                  f"127.0.0.1:{probe} stream tcp nowait nobody {t.probe()} "
                  "probe"],
                 wrapper=["unshare", "-m", "--propagation", "private", "--",
                          "sh", "-c", 'mount --bind "$0" /etc/nsswitch.conf '
                          '&& mount --bind "$1" /etc/services && shift && '
                          'exec "$@"', nss, services])
    for when in ("load", "reload"):
        check_tcp_builtin("echo", echo)
        report = probe_report(probe)
        nobody = str(pwd.getpwnam("nobody").pw_uid)
        check(report.get("uid", "").split() == [nobody, nobody],
              f"probe after the {when} ran as uid {report.get('uid')}")
        with open(f"/proc/{d.pid}/maps") as f:
            mapped = sorted({line.split()[-1] for line in f
                             if "libnss_" in line})
        check(not mapped, f"after the {when} the daemon maps {mapped}")
        if when == "load":
            d.reload()


# ---------------------------------------------------------- sd_notify(3)

class Notify:
    """A socket standing for systemd's $NOTIFY_SOCKET."""

    def __init__(self, t, abstract):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            name = f"inetd-test-{os.getpid()}-{random.randrange(1 << 30)}"
            self.sock.bind("\0" + name)
            self.env = "@" + name
        else:
            self.env = t.path("notify")
            self.sock.bind(self.env)

    def recv(self, seconds=IO_TIMEOUT):
        """The next message as a dict, or None after seconds."""
        self.sock.settimeout(seconds)
        try:
            data = self.sock.recv(4096).decode()
        except socket.timeout:
            return None
        return dict(line.split("=", 1) for line in data.splitlines())

    def expect(self, key, seconds=IO_TIMEOUT, skip=("WATCHDOG",)):
        """The next message that is not only one of skip; it must set key."""
        for _ in steps(seconds):
            msg = self.recv(seconds)
            check(msg is not None, f"no {key}= within {seconds} s")
            if set(msg) - set(skip):
                check(key in msg, f"got {msg}, want {key}=")
                return msg
        raise Fail(f"no {key}= within {seconds} s")

    def count(self, key, seconds):
        n = 0
        for left in steps(seconds):
            msg = self.recv(left)
            if msg is not None and key in msg:
                n += 1
        return n


@test
def notify_ready_reload_stop(t):
    n = Notify(t, abstract=True)
    port = t.port()
    d = t.daemon(builtin_lines(port, "echo"), env={"NOTIFY_SOCKET": n.env})
    msg = n.expect("READY")
    check(msg["READY"] == "1", f"READY={msg['READY']}")
    check(msg.get("MAINPID") == str(d.pid), f"MAINPID {msg.get('MAINPID')}, "
          f"daemon {d.pid}")
    check("STATUS" in msg and "2 services" in msg["STATUS"], f"{msg}")
    os.kill(d.pid, signal.SIGHUP)
    msg = n.expect("RELOADING")
    usec = int(msg.get("MONOTONIC_USEC", "0"))
    check(abs(usec / 1e6 - time.monotonic()) < 10,
          f"MONOTONIC_USEC={usec} is not CLOCK_MONOTONIC now")
    check(n.expect("READY")["READY"] == "1", "no READY=1 after reload")
    check_tcp_builtin("echo", port)
    check(d.stop() == 0, "exit status after SIGTERM")
    n.expect("STOPPING")


@test
def notify_watchdog(t):
    """WATCHDOG=1 at half of WATCHDOG_USEC (0.4 s here: every 0.2 s), on
    a socket named by its path."""
    n = Notify(t, abstract=False)
    t.daemon(builtin_lines(t.port(), "echo"),
             env={"NOTIFY_SOCKET": n.env, "WATCHDOG_USEC": "400000"})
    n.expect("READY")
    pings = n.count("WATCHDOG", 1.5)
    check(4 <= pings <= 12, f"{pings} WATCHDOG=1 in 1.5 s, want about 7")


@test
def notify_watchdog_other_pid(t):
    """WATCHDOG_PID naming another process: no pings."""
    n = Notify(t, abstract=True)
    t.daemon(builtin_lines(t.port(), "echo"),
             env={"NOTIFY_SOCKET": n.env, "WATCHDOG_USEC": "200000",
                  "WATCHDOG_PID": "1"})
    n.expect("READY")
    pings = n.count("WATCHDOG", 0.6)
    check(pings == 0, f"{pings} WATCHDOG=1 for another process's watchdog")


@test
def notify_not_inherited(t):
    """Servers do not get $NOTIFY_SOCKET: they cannot speak for inetd."""
    n = Notify(t, abstract=True)
    port = t.port()
    t.daemon([f"127.0.0.1:{port} stream tcp nowait {ME} /usr/bin/env env"],
             env={"NOTIFY_SOCKET": n.env, "WATCHDOG_USEC": "60000000"})
    n.expect("READY")
    with tcp(port) as s:
        env = recv_to_eof(s).decode(errors="replace")
    check("NOTIFY_SOCKET" not in env and "WATCHDOG_USEC" not in env,
          f"server environment: {env!r}")


@test
def foreground_flag(t):
    """-i: not debug mode, yet no fork: the started process is the daemon,
    tells systemd it is ready, and serves."""
    check_foreground(t, "-i")


@test
def netbsd_foreground_flag(t):
    """-f, NetBSD's name for -i, so that its rc scripts work."""
    check_foreground(t, "-f")


def check_foreground(t, flag):
    n = Notify(t, abstract=True)
    port = t.port()
    conf, pidfile = t.path("fg.conf"), t.path("fg.pid")
    write(conf, builtin_lines(port, "daytime"))
    with open(t.path("fg.log"), "wb") as log:
        proc = subprocess.Popen([harness.INETD, flag, "-p", pidfile, conf],
                                stdin=subprocess.DEVNULL, stdout=log,
                                stderr=log, start_new_session=True,
                                env=daemon_env({"NOTIFY_SOCKET": n.env}))
    try:
        msg = n.expect("READY", seconds=READY_TIMEOUT)
        check(msg.get("MAINPID") == str(proc.pid),
              f"MAINPID {msg.get('MAINPID')}, started {proc.pid}")
        check(proc.poll() is None, f"exited with status {proc.poll()}")
        with open(pidfile) as f:
            check(f.read().strip() == str(proc.pid), "pidfile is not ours")
        with tcp(port) as s:
            check_daytime(recv_to_eof(s))
        proc.send_signal(signal.SIGTERM)
        status = proc.wait(STOP_TIMEOUT)
        check(status == 0, f"exit status {status} after SIGTERM")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(STOP_TIMEOUT)
    with open(t.path("fg.log"), "rb") as f:
        text = f.read().decode(errors="replace")
    report = sanitizer_report(text)
    check(not report, f"sanitizer: {report}")


# ----------------------------------------------------------------- SIGUSR1

@test
def sigusr1_service_table(t):
    """SIGUSR1 logs each entry's state and counters (LOG_INFO)."""
    port, busy = t.port(), t.port()
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", busy))
        blocker.listen(1)
        d = t.daemon([f"127.0.0.1:{port} stream tcp nowait/5/2 {ME} "
                      "internal daytime",
                      f"127.0.0.1:{busy} stream tcp nowait {ME} "
                      "internal echo"])
        for _ in range(2):
            with tcp(port) as s:
                check_daytime(recv_to_eof(s))
        with tcp(port) as s:
            check(recv_to_eof(s) == b"", "third connection in a minute "
                  "served despite the per-address limit of 2")
        os.kill(d.pid, signal.SIGUSR1)
        d.wait_log("service table: 2 entries")
        line = d.wait_log(f"{d.conf}:1:", "connections")
        # A server that has just closed may not be reaped yet.
        check(re.search(r"children [01] of 5;", line), f"children: {line!r}")
        for want in ("listening", "connections 2",
                     "refused: 1 over max-connections-per-ip-per-minute",
                     "0 over max-child-per-ip", "looping 0 times"):
            check(want in line, f"no {want!r} in {line!r}")
        line = d.wait_log(f"{d.conf}:2:", "connections")
        check("not bound" in line, f"busy port not reported: {line!r}")
    check(d.proc.poll() is None, "SIGUSR1 stopped the daemon")


# ------------------------------------------------------ real-world configs

# What a sysadmin may be told about a line of another system's file: each
# names the precise reason, never a generic parse error.
PRECISE = [re.compile(p) for p in (
    r"RPC services are not supported$",
    r"unknown user '[^']+'$",
    r"unknown group '[^']+'$",
    r"unknown service '[^']+' for (tcp|udp): not in /etc/services$",
)]
# A program not installed here is a warning: the entry loads, and waits.
WARNING = re.compile(r"program /\S+ is not installed: not served until it "
                     r"is$")
ENTRY = re.compile(r"^[^\s#]")


def entry_lines(text):
    """Line numbers where entries start (not HOST: lines)."""
    return {i for i, line in enumerate(text.splitlines(), 1)
            if ENTRY.match(line) and len(line.split()) > 1}


def check_corpus(t, name, services=None):
    """inetd -t of the file, its comments on entries taken away: every
    message precise, the exit status and the count of services right
    (services: the count, where one line holds several definitions).
    Returns the errors, and the warnings, by line."""
    with open(os.path.join(CONFIGS, name)) as f:
        text = re.sub(r"(?m)^#([a-z])", r"\1", f.read())
    conf = t.path(name)
    with open(conf, "w") as f:
        f.write(text)
    entries = entry_lines(text)
    check(entries, f"{name}: no entry after uncommenting")
    status, err = run_check([conf])
    errors = {}
    for line in err.splitlines():
        m = re.match(re.escape(conf) + r":(\d+): \S+: (.*)$", line)
        if m:
            errors[int(m.group(1))] = m.group(2)
        elif not re.match(r"inetd: .*: (\d+ errors?|\d+ services?, "
                          r"no errors)$", line):
            raise Fail(f"{name}: unexpected output {line!r}")
    for lineno, what in sorted(errors.items()):
        check(lineno in entries, f"{name}:{lineno}: message for a line "
              f"that is no entry: {what}")
        check(any(p.search(what) for p in PRECISE + [WARNING]),
              f"{name}:{lineno}: not a precise message: {what}")
    warnings = {n: e for n, e in errors.items() if WARNING.search(e)}
    errors = {n: e for n, e in errors.items() if n not in warnings}
    check(status == (1 if errors else 0), f"{name}: exit status {status} "
          f"with {len(errors)} errors")
    loaded = services if services is not None else \
        len(entries) - len(errors)
    if not errors:
        check(f"{loaded} service" in err, f"{name}: {err.strip()}, want "
              f"{loaded} services")
    return errors, warnings


@test
def demo_config_loads(t):
    """make run's file, contrib/inetd.conf.demo, loads without a word."""
    status, err = run_check([os.path.join(HERE, "..", "contrib",
                                          "inetd.conf.demo")])
    check(status == 0 and re.search(r": \d+ services, no errors$",
                                    err.strip()), f"-t said {err!r}")


@test
def corpus_debian(t):
    check(not check_corpus(t, "debian.inetd.conf")[0],
          "errors in Debian's builtins")


@test
def corpus_freebsd(t):
    errors, _ = check_corpus(t, "freebsd.inetd.conf")
    check(any("RPC" in e for e in errors.values()), "rpc lines not refused")


@test
def corpus_openbsd(t):
    check_corpus(t, "openbsd.inetd.conf")


@test
def corpus_netbsd(t):
    check_corpus(t, "netbsd.inetd.conf")


@test
def corpus_netbsd_keyvalues(t):
    """NetBSD 10's key-values definitions, over lines and several on a
    line (13 in all), and its positional extensions: no error, and a
    warning for each of the test programs, which this system lacks."""
    errors, warnings = check_corpus(t, "netbsd-keyvalues.inetd.conf", 13)
    check(not errors, f"errors: {errors}")
    check(len(warnings) == 7 and all("/usr/tests/" in e for e in
          warnings.values()), f"warnings: {warnings}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
