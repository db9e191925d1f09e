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


@test
def nss_modules_stay_out(t):
    """Users and groups are looked up in a child: with an nsswitch.conf
    naming an NSS module (systemd's), the daemon maps none after a load
    and a reload, and its entries still run as the users they name."""
    if not IS_ROOT or shutil.which("unshare") is None:
        raise Skip("needs root and unshare(1) for a private nsswitch.conf")
    module = subprocess.run(["sh", "-c", "ldconfig -p | grep -c "
                             "libnss_systemd.so.2"], capture_output=True,
                            text=True).stdout.strip()
    if module in ("", "0"):
        raise Skip("libnss_systemd.so.2 not installed: no module to load")
    nss = t.path("nsswitch.conf")
    write(nss, ["passwd: files systemd", "group: files systemd"])
    echo, probe = t.port(), t.port()
    d = t.daemon([f"127.0.0.1:{echo} stream tcp nowait root internal echo",
                  f"127.0.0.1:{probe} stream tcp nowait nobody {t.probe()} "
                  "probe"],
                 wrapper=["unshare", "-m", "--propagation", "private", "--",
                          "sh", "-c", 'mount --bind "$0" /etc/nsswitch.conf '
                          '&& exec "$@"', nss])
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
    n = Notify(t, abstract=True)
    port = t.port()
    conf, pidfile = t.path("fg.conf"), t.path("fg.pid")
    write(conf, builtin_lines(port, "daytime"))
    with open(t.path("fg.log"), "wb") as log:
        proc = subprocess.Popen([harness.INETD, "-i", "-p", pidfile, conf],
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
    r"program /\S+: No such file or directory$",
    r"unknown user '[^']+'$",
    r"unknown group '[^']+'$",
    r"unknown service '[^']+' for (tcp|udp): not in /etc/services$",
)]
ENTRY = re.compile(r"^[^\s#]")


def entry_lines(text):
    """Line numbers where entries start (not HOST: lines)."""
    return {i for i, line in enumerate(text.splitlines(), 1)
            if ENTRY.match(line) and len(line.split()) > 1}


def check_corpus(t, name):
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
        check(any(p.search(what) for p in PRECISE),
              f"{name}:{lineno}: not a precise message: {what}")
    check(status == (1 if errors else 0), f"{name}: exit status {status} "
          f"with {len(errors)} errors")
    loaded = len(entries) - len(errors)
    if not errors:
        check(f"{loaded} service" in err, f"{name}: {err.strip()}, want "
              f"{loaded} services")
    return errors


@test
def corpus_debian(t):
    check(not check_corpus(t, "debian.inetd.conf"),
          "errors in Debian's builtins")


@test
def corpus_freebsd(t):
    errors = check_corpus(t, "freebsd.inetd.conf")
    check(any("RPC" in e for e in errors.values()), "rpc lines not refused")


@test
def corpus_openbsd(t):
    check_corpus(t, "openbsd.inetd.conf")


@test
def corpus_netbsd(t):
    check_corpus(t, "netbsd.inetd.conf")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
