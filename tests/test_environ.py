#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Integration tests of the environment of the servers inetd starts.

A server of a TCP connection is told about it (REMOTE_ADDR, REMOTE_PORT,
PROTO, TCPREMOTEIP...), a wait service is not; inetd's own environment is
passed on only with -E, else only a fixed PATH.  Checked from inside the
servers: env(1), a shell script, a Python UDP server, and the probe, which
also reports its session and umask.

usage: test_environ.py [INETD] [TEST ...]  (see harness.py)
"""

import os
import socket
import sys

import harness
from harness import *  # noqa: F401,F403

CONN_VARS = ("REMOTE_ADDR", "REMOTE_PORT", "PROTO", "TCPREMOTEIP",
             "TCPREMOTEPORT", "TCPLOCALIP", "TCPLOCALPORT", "TCP6REMOTEIP",
             "TCP6REMOTEPORT", "TCP6LOCALIP", "TCP6LOCALPORT")
# In the daemon's environment: a marker, and a stale connection variable.
DAEMON_ENV = {"INETD_TEST_MARKER": "marked", "TCPREMOTEIP": "192.0.2.99",
              "PROTO": "stale"}
ENV = "/usr/bin/env"
SERVER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# What a root shell may have: never to reach a server without -E.
ROOT_PATH = "/root/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:" \
    "/sbin:/bin"


def python():
    return "/usr/bin/python3" if os.path.exists("/usr/bin/python3") \
        else os.path.realpath(sys.executable)


def parse_env(text):
    return dict(line.partition("=")[::2] for line in text.splitlines())


def env_of(port, host="127.0.0.1"):
    """What env(1), started for our connection, printed; and the client's
    port of that connection."""
    with tcp(port, host) as s:
        client_port = s.getsockname()[1]
        text = recv_to_eof(s).decode(errors="replace")
    return parse_env(text), client_port


def env_daemon(t, host="127.0.0.1", proto="tcp", flags=()):
    port = t.port(v6=":" in host)
    bracketed = f"[{host}]" if ":" in host else host
    t.daemon([f"{bracketed}:{port} stream {proto} nowait {ME} {ENV} env"],
             flags=flags, env=DAEMON_ENV)
    return port


def tcp_vars(proto, remote, remote_port, local, local_port):
    want = {"REMOTE_ADDR": remote, "REMOTE_PORT": str(remote_port),
            "PROTO": proto, "TCPREMOTEIP": remote,
            "TCPREMOTEPORT": str(remote_port), "TCPLOCALIP": local,
            "TCPLOCALPORT": str(local_port)}
    if proto == "TCP6":
        want.update({"TCP6REMOTEIP": remote,
                     "TCP6REMOTEPORT": str(remote_port),
                     "TCP6LOCALIP": local, "TCP6LOCALPORT": str(local_port)})
    return want


def check_exact(env, want):
    check(env == want, f"environment {sorted(env.items())}, "
          f"want {sorted(want.items())}")


def path_only():
    return {"PATH": SERVER_PATH}


@test
def tcp_ipv4(t):
    """Exactly PATH and the connection's variables: nothing else of the
    daemon's, the stale ones replaced."""
    port = env_daemon(t)
    env, client_port = env_of(port)
    check_exact(env, {**path_only(), **tcp_vars(
        "TCP", "127.0.0.1", client_port, "127.0.0.1", port)})


@test
def tcp_ipv6(t):
    if not ipv6_usable():
        raise Skip("no ::1")
    port = env_daemon(t, "::1", "tcp6")
    env, client_port = env_of(port, "::1")
    check_exact(env, {**path_only(), **tcp_vars(
        "TCP6", "::1", client_port, "::1", port)})


@test
def tcp46_ipv4_client(t):
    """An IPv4 client of a dual-stack socket is an IPv4 client."""
    if not ipv6_usable():
        raise Skip("no ::1")
    port = env_daemon(t, "::ffff:127.0.0.1", "tcp46")
    env, client_port = env_of(port)
    check_exact(env, {**path_only(), **tcp_vars(
        "TCP", "127.0.0.1", client_port, "127.0.0.1", port)})


@test
def keep_environment(t):
    """-E: the daemon's environment too, but never its stale connection
    variables."""
    port = env_daemon(t, flags=("-E",))
    env, client_port = env_of(port)
    want = tcp_vars("TCP", "127.0.0.1", client_port, "127.0.0.1", port)
    check({k: env.get(k) for k in want} == want, f"environment {env}")
    check(env.get("INETD_TEST_MARKER") == "marked",
          "the daemon's environment was not kept")
    check(env.get("PATH") == os.environ.get("PATH"), "PATH changed")
    stale = [k for k in CONN_VARS if k in env and k not in want]
    check(not stale, f"stale variables {stale}")


SCRIPT = """\
#!/bin/sh
# A qmail-style server: who is the client?
echo "client $TCPREMOTEIP port $TCPREMOTEPORT via $PROTO to $TCPLOCALPORT"
"""


@test
def shell_script_server(t):
    script = t.path("who.sh")
    with open(script, "w") as f:
        f.write(SCRIPT)
    os.chmod(script, 0o755)
    port = t.port()
    user = "nobody" if IS_ROOT else ME
    t.daemon([f"127.0.0.1:{port} stream tcp nowait {user} {script}"],
             env=DAEMON_ENV)
    with tcp(port) as s:
        client_port = s.getsockname()[1]
        got = recv_to_eof(s)
    check_bytes(got, f"client 127.0.0.1 port {client_port} via TCP to "
                f"{port}\n".encode(), "what the script said")


UDP_SERVER = """\
import os, socket
s = socket.socket(fileno=0)
data, peer = s.recvfrom(4096)
s.sendto("\\n".join(sorted(os.environ)).encode(), peer)
"""


@test
def udp_wait_service(t):
    """A wait service has no connection: none of its variables."""
    script = t.path("udpenv.py")
    with open(script, "w") as f:
        f.write(UDP_SERVER)
    port = t.port()
    t.daemon([f"127.0.0.1:{port} dgram udp wait {ME} {python()} python3 "
              f"{script}"], env=DAEMON_ENV)
    names = udp(port, b"env?").decode().split("\n")
    got = [n for n in names if n in CONN_VARS or n == "INETD_TEST_MARKER"]
    check(not got, f"a wait service got {got}")
    check("PATH" in names, f"names {names}")


@test
def unix_socket_service(t):
    """A UNIX-domain client has no address: PATH only."""
    path = t.path("env.sock")
    t.daemon([f"{path} stream unix nowait {ME} {ENV} env"], env=DAEMON_ENV)
    os.chmod(path, 0o666)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(IO_TIMEOUT)
        s.connect(path)
        env = parse_env(recv_to_eof(s).decode(errors="replace"))
    check_exact(env, path_only())


# The daemon as a root shell with umask 0 would start it.
UMASK_0 = ("/bin/sh", "-c", 'umask 0; exec "$@"', "sh")


def session_daemon(t, lines, flags=()):
    return t.daemon(lines, flags=flags, wrapper=UMASK_0,
                    env={**DAEMON_ENV, "PATH": ROOT_PATH})


def check_own_session(d, pid, sid, what):
    check(sid == pid, f"{what}: session {sid}, want its own ({pid})")
    check(sid != os.getsid(d.pid), f"{what}: in the daemon's session")


@test
def server_session_umask_path(t):
    """A server leads a session of its own, has umask 022 whatever the
    daemon's, and the fixed PATH, not the daemon's (root's) one."""
    port = t.port()
    user = "nobody" if IS_ROOT else ME
    d = session_daemon(t, [f"127.0.0.1:{port} stream tcp nowait {user} "
                           f"{t.probe()} probe"])
    r = probe_report(port)
    sid, pid = map(int, r["session"].split())
    check_own_session(d, pid, sid, "server")
    check(r["umask"] == "022", f"server's umask {r['umask']}, want 022")
    check(r["path"] == SERVER_PATH, f"server's PATH {r['path']!r}")


@test
def forked_child_session_umask(t):
    """A child forked to serve a builtin (max-child makes it one) has a
    session of its own and umask 022 too."""
    port = t.port()
    d = session_daemon(t, [f"127.0.0.1:{port} stream tcp nowait/5 {ME} "
                           "internal echo"])
    with tcp(port) as s:
        check_bytes(exchange(s, b"ping"), b"ping", "echo")
        kids = children_of(d.pid)
        check(len(kids) == 1, f"children of the daemon: {kids}")
        pid = next(iter(kids))
        check_own_session(d, pid, proc_stat(pid)[2], "forked echo")
        with open(f"/proc/{pid}/status") as f:
            mask = [line.split()[1] for line in f
                    if line.startswith("Umask:")]
        check(mask == ["0022"], f"forked echo's umask {mask}")


@test
def keep_environment_path(t):
    """-E: the server gets the daemon's PATH as it is."""
    port = t.port()
    session_daemon(t, [f"127.0.0.1:{port} stream tcp nowait {ME} "
                       f"{t.probe()} probe"], flags=("-E",))
    r = probe_report(port)
    check(r["path"] == ROOT_PATH, f"-E: server's PATH {r['path']!r}")
    check(r["umask"] == "022", f"-E: server's umask {r['umask']}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
