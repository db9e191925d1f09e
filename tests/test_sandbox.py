#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Integration tests of the limit and sandbox keys of the key-values
notation (inetd.conf(5)): rlimit_*, nice, umask, timeout, no_new_privs,
private_tmp, private_network, protect_system, chroot, capabilities.

Each is read from inside the server, the probe: its limits from
/proc/self/limits, NoNewPrivs and the capability sets from its status, its
namespaces compared with the daemon's, its mounts, its umask and priority;
timeout from a server that ignores SIGTERM.  Every key fails closed: a
daemon that is not root cannot make a namespace, and the connection is
refused with the service named in the log.

usage: test_sandbox.py [INETD] [TEST ...]  (see harness.py)
"""

import os
import pwd
import shutil
import subprocess
import sys
import time

import harness
from harness import *  # noqa: F401,F403

# The probe outside /tmp: a private /tmp would hide the test's copy.
PROBE_BUILT = harness.PROBE
# rlimit_KEY: its line in /proc/self/limits, and a value to give it.
RLIMITS = {
    "as": ("Max_address_space", "1g", 1 << 30),
    "cpu": ("Max_cpu_time", "100", 100),
    "data": ("Max_data_size", "512m", 512 << 20),
    "rss": ("Max_resident_set", "64m", 64 << 20),
    "stack": ("Max_stack_size", "4m", 4 << 20),
    "files": ("Max_open_files", "77", 77),
    "nproc": ("Max_processes", "1k", 1024),
    "core": ("Max_core_file_size", "0", 0),
    "fsize": ("Max_file_size", "2g", 2 << 30),
}
KILL_DELAY = 5          # s from SIGTERM to SIGKILL (CHILD_KILL_DELAY_MS)
CAP_NET_BIND_SERVICE, CAP_NET_RAW = 10, 13


def entry(port, server, args, user=None, **keys):
    """A key-values line: a nowait TCP server on 127.0.0.1:port."""
    opts = ", ".join(f"{k} = {v}" for k, v in keys.items())
    return (f"127.0.0.1:{port} on socktype = stream, protocol = tcp, "
            f"wait = no, user = {user or ME}, exec = {server}, "
            f"args = {args}" + (f", {opts}" if opts else "") + ";")


def facts(port):
    """The probe's report: {key: [rest, ...]} (a key may repeat)."""
    with tcp(port) as s:
        text = recv_to_eof(s).decode(errors="replace")
    got = {}
    for line in text.splitlines():
        key, _, rest = line.partition(" ")
        got.setdefault(key, []).append(rest)
    check("sigign" in got, f"probe output incomplete: {text!r}")
    return got


def fact(got, key, name):
    """The value of "KEY NAME VALUE" lines (the last one: the top mount)."""
    values = [rest.partition(" ")[2] for rest in got.get(key, [])
              if rest.partition(" ")[0] == name]
    check(values, f"no {key} {name} in the report")
    return values[-1]


def daemon_ns(d, name):
    return os.readlink(f"/proc/{d.pid}/ns/{name}")


def probe_daemon(t, user=None, name="inetd", **keys):
    """A daemon (of that name) with one probe entry with keys; its port."""
    need_root()
    port = t.port()
    d = t.daemon([entry(port, PROBE_BUILT, "probe", user=user, **keys)],
                 name=name)
    return d, port


def need_root():
    if not IS_ROOT:
        raise Skip("not root: namespaces, mounts and other users need it")


@test
def rlimits(t):
    keys = {f"rlimit_{k}": v[1] for k, v in RLIMITS.items()}
    _, port = probe_daemon(t, **keys)
    got = facts(port)
    for key, (name, _, want) in RLIMITS.items():
        value = fact(got, "limit", name)
        check(value == f"{want} {want}",
              f"rlimit_{key}: {name} is {value}, want {want} {want}")


@test
def rlimit_unlimited(t):
    _, port = probe_daemon(t, rlimit_core="unlimited")
    value = fact(facts(port), "limit", "Max_core_file_size")
    check(value == "unlimited unlimited", f"core limit {value}")


@test
def nice_and_umask(t):
    _, port = probe_daemon(t, nice="7", umask="027")
    got = facts(port)
    check(got["nice"] == ["7"], f"nice {got['nice']}")
    check(got["umask"] == ["027"], f"umask {got['umask']}")
    _, plain = probe_daemon(t, name="plain")
    got = facts(plain)
    check(got["nice"] == ["0"] and got["umask"] == ["022"],
          f"without keys: nice {got['nice']}, umask {got['umask']}")


@test
def kept_across_reload(t):
    """A reload applies the keys of the new file to the next servers."""
    d, port = probe_daemon(t, nice="5")
    check(facts(port)["nice"] == ["5"], "nice = 5 not applied")
    with open(d.conf, "w") as f:
        f.write(entry(port, PROBE_BUILT, "probe", nice="10",
                      no_new_privs="yes") + "\n")
    d.reload()
    got = facts(port)
    check(got["nice"] == ["10"], f"after the reload: nice {got['nice']}")
    check(fact(got, "status", "NoNewPrivs") == "1",
          "no_new_privs of the new file not applied")


@test
def no_new_privs(t):
    _, port = probe_daemon(t, no_new_privs="yes")
    check(fact(facts(port), "status", "NoNewPrivs") == "1",
          "NoNewPrivs not set")
    _, plain = probe_daemon(t, name="plain", no_new_privs="no")
    check(fact(facts(plain), "status", "NoNewPrivs") == "0",
          "NoNewPrivs set by no_new_privs = no")


@test
def private_tmp(t):
    with open("/tmp/.inetd-test-marker", "w"):
        pass
    try:
        d, port = probe_daemon(t, private_tmp="yes")
        got = facts(port)
    finally:
        os.unlink("/tmp/.inetd-test-marker")
    check(fact(got, "ns", "mnt") != daemon_ns(d, "mnt"),
          "the server shares the daemon's mount namespace")
    for point in ("/tmp", "/var/tmp"):
        mount = fact(got, "mount", point)
        check(mount.startswith("tmpfs rw"), f"{point}: {mount}")
        check(fact(got, "writable", point) == "yes", f"{point} read-only")
    check(got["tmpentries"] == ["0"], f"/tmp holds {got['tmpentries']}")
    check(fact(got, "mount", "/").split()[1].startswith("rw"),
          "/ read-only without protect_system")
    check(fact(got, "ns", "net") == daemon_ns(d, "net"),
          "a network namespace without private_network")


@test
def private_network(t):
    d, port = probe_daemon(t, private_network="yes")
    got = facts(port)       # read over the connection made outside
    check(fact(got, "ns", "net") != daemon_ns(d, "net"),
          "the server shares the daemon's network namespace")
    check(got.get("netif") == ["lo up"], f"interfaces {got.get('netif')}")
    check(fact(got, "ns", "mnt") == daemon_ns(d, "mnt"),
          "a mount namespace without private_tmp or protect_system")


@test
def protect_system(t):
    d, port = probe_daemon(t, protect_system="yes")
    got = facts(port)
    check(fact(got, "ns", "mnt") != daemon_ns(d, "mnt"),
          "the server shares the daemon's mount namespace")
    check(fact(got, "mount", "/").split()[1].startswith("ro"),
          f"/ is {fact(got, 'mount', '/')}")
    for path in ("/", "/usr", "/tmp"):
        check(fact(got, "writable", path) == "EROFS",
              f"{path}: {fact(got, 'writable', path)}")
    check(got["tmpentries"] != ["0"], "protect_system made a private /tmp")
    _, both = probe_daemon(t, name="both", protect_system="yes",
                           private_tmp="yes")
    got = facts(both)
    check(fact(got, "writable", "/usr") == "EROFS", "/usr writable")
    check(fact(got, "writable", "/tmp") == "yes", "private /tmp read-only")
    check(got["tmpentries"] == ["0"], f"/tmp holds {got['tmpentries']}")


def make_chroot(t):
    """A directory holding the probe at /probe with its libraries."""
    root = t.path("root")
    os.makedirs(os.path.join(root, "proc"))
    shutil.copy(PROBE_BUILT, os.path.join(root, "probe"))
    out = subprocess.run(["ldd", PROBE_BUILT], capture_output=True,
                         text=True, check=True).stdout
    for word in out.split():
        if word.startswith("/"):
            dest = root + word
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copy(word, dest)
    return root


@test
def chroot(t):
    need_root()
    unshare = shutil.which("unshare")
    if unshare is None or shutil.which("ldd") is None:
        raise Skip("no unshare(1) or ldd(1)")
    root = make_chroot(t)
    os.mkdir(os.path.join(root, "tmp"))
    port, confined = t.port(), t.port()
    # The probe reads /proc: the daemon's private namespace mounts it there.
    t.daemon([entry(port, "/probe", "probe", chroot=root),
              entry(confined, "/probe", "probe", chroot=root,
                    protect_system="yes", private_tmp="yes")],
             wrapper=[unshare, "-m", "--propagation", "private", "sh", "-c",
                      'mount --bind /proc "$0/proc" && exec "$@"', root])
    st = os.stat(root)
    got = facts(port)
    check(got["root"] == [f"{st.st_dev} {st.st_ino}"],
          f"the server's / is {got['root']}, not {root}")
    check(fact(got, "writable", "/") == "yes", "the chroot is read-only")
    # With protect_system, DIR is a read-only mount of its own, and the
    # private /tmp is DIR's /tmp.
    got = facts(confined)
    check(fact(got, "writable", "/") == "EROFS",
          f"/ in the chroot: {fact(got, 'writable', '/')}")
    check(fact(got, "writable", "/tmp") == "yes", "private /tmp read-only")
    check(fact(got, "mount", "/tmp").startswith("tmpfs"),
          f"/tmp is {fact(got, 'mount', '/tmp')}")


@test
def chroot_program_inside(t):
    """exec names a path inside DIR: a program only outside it is not
    installed there, which -t names (a warning, as for any program not
    installed yet: the entry is served once it is)."""
    need_root()
    root = t.path("empty")
    os.mkdir(root)
    conf = t.path("t.conf")
    with open(conf, "w") as f:
        f.write(entry(t.port(), PROBE_BUILT, "probe", chroot=root) + "\n")
    out = subprocess.run([harness.INETD, "-t", conf], capture_output=True,
                         text=True, timeout=IO_TIMEOUT)
    check(f"{conf}:1:" in out.stderr and
          f"program {root + PROBE_BUILT} is not installed" in out.stderr,
          f"-t said {out.stderr!r}")


def caps_of(got):
    return {name: int(fact(got, "status", name), 16)
            for name in ("CapPrm", "CapEff", "CapBnd", "CapAmb")}


@test
def capabilities_root(t):
    _, port = probe_daemon(t, capabilities="CAP_NET_BIND_SERVICE")
    caps = caps_of(facts(port))
    want = 1 << CAP_NET_BIND_SERVICE
    check(caps["CapBnd"] == want and caps["CapEff"] == want and
          caps["CapPrm"] == want, f"root's server has {caps}")
    check(caps["CapAmb"] == 0, f"ambient for root: {caps}")


@test
def capabilities_user(t):
    _, port = probe_daemon(t, user="nobody", no_new_privs="yes",
                           capabilities="CAP_NET_BIND_SERVICE CAP_NET_RAW")
    got = facts(port)
    uid = pwd.getpwnam("nobody").pw_uid
    check(got["uid"] == [f"{uid} {uid}"], f"uid {got['uid']}")
    caps = caps_of(got)
    want = 1 << CAP_NET_BIND_SERVICE | 1 << CAP_NET_RAW
    for name in caps:
        check(caps[name] == want, f"{name} {caps[name]:x}, want {want:x}")
    _, plain = probe_daemon(t, user="nobody", name="plain")
    caps = caps_of(facts(plain))
    check(caps["CapEff"] == 0 and caps["CapAmb"] == 0,
          f"nobody's server without capabilities = has {caps}")


@test
def timeout(t):
    """SIGTERM at the deadline, ignored here; SIGKILL 5 s later."""
    port = t.port()
    script = "trap '' TERM; echo ready; exec sleep 60"
    d = t.daemon([entry(port, "/bin/sh", f'sh -c "{script}"',
                        timeout="1")])
    t.child_signals.add(9)
    with tcp(port) as s:
        check(recv_exact(s, 6) == b"ready\n", "the server did not start")
        line = d.wait_log("ran past its timeout of 1 s", "SIGTERM")
        termed = time.monotonic()
        check(f"{d.conf}:1: {port}/tcp" in line, f"logged {line!r}")
        check(silent(s, 1.0), "the connection closed at SIGTERM")
        rest = recv_to_eof(s, seconds=KILL_DELAY + IO_TIMEOUT)
        killed = time.monotonic()
    check(rest == b"", f"the server wrote {rest!r}")
    check(killed - termed >= KILL_DELAY - 0.5,
          f"SIGKILL {killed - termed:.1f} s after SIGTERM, want {KILL_DELAY}")
    line = d.wait_log("SIGKILL to its process group")
    check(f"{d.conf}:1: {port}/tcp" in line, f"logged {line!r}")


@test
def timeout_builtin_child(t):
    """A builtin served in a child (tcpmux reading a name) has it too."""
    port = t.port()
    d = t.daemon([f"127.0.0.1:{port} on socktype = stream, protocol = tcp, "
                  f"wait = no, user = {ME}, exec = internal, args = tcpmux, "
                  "timeout = 1;"])
    t.child_signals.add(15)
    with tcp(port) as s:
        line = d.wait_log("ran past its timeout of 1 s")
        check(f"{d.conf}:1:" in line, f"logged {line!r}")
        check(recv_to_eof(s) == b"", "tcpmux answered a silent client")


@test
def fails_closed(t):
    """The kernel refuses a namespace to a daemon that is not root: the
    connection is refused, logged with the entry, never served bare."""
    need_root()
    binary, pidfile = t.nobody_files()
    port = t.port()
    d = t.daemon([entry(port, t.probe(), "probe", user="nobody",
                        private_network="yes")],
                 user="nobody", binary=binary, pidfile=pidfile)
    with tcp(port) as s:
        got = recv_to_eof(s)
    check(got == b"", f"the server ran: {got[:80]!r}")
    line = d.wait_log("private namespaces: unshare")
    check(f"{d.conf}:1: {port}/tcp" in line, f"logged {line!r}")


@test
def builtin_refused(t):
    conf = t.path("t.conf")
    port = t.port()
    with open(conf, "w") as f:
        f.write(f"127.0.0.1:{port} on socktype = stream, protocol = tcp, "
                f"wait = no, user = {ME}, exec = internal, args = echo, "
                "no_new_privs = yes;\n")
    out = subprocess.run([harness.INETD, "-t", conf], capture_output=True,
                         text=True, timeout=IO_TIMEOUT)
    check(out.returncode != 0, "-t accepted no_new_privs on a builtin")
    check(f"{conf}:1:" in out.stderr and "no_new_privs: only for a server"
          in out.stderr,
          f"-t said {out.stderr!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
