#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Integration tests of the auth builtin (RFC 1413 ident).

The connections asked about are real: a process running as a known user
(nobody, or a test user in a private mount namespace) holds a TCP
connection to a listener of the test, over IPv4 or IPv6, and the test asks
the daemon who owns either end of it.

usage: test_auth.py [INETD] [TEST ...]  (see harness.py)
"""

import contextlib
import os
import pwd
import re
import select
import shutil
import socket
import subprocess
import sys
import time

import harness
from harness import *  # noqa: F401,F403

NOBODY = pwd.getpwnam("nobody")
TEST_UID = 54321        # the user of the namespace tests, unknown outside
TEST_USER = "identtest"

HOLDER = """\
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
print(s.getsockname()[1], flush=True)
sys.stdin.read()
"""


def python():
    return "/usr/bin/python3" if os.path.exists("/usr/bin/python3") \
        else os.path.realpath(sys.executable)


def require_root():
    if not IS_ROOT:
        raise Skip("not root: cannot hold a connection as another user")


def require_ipv6():
    if not ipv6_usable():
        raise Skip("no ::1")


@contextlib.contextmanager
def held_connection(uid, gid, host="127.0.0.1"):
    """A connection from a process of uid to a listener of ours; yields
    (holder's port, listener's port).  The listener's accepted end is
    ours (the test's user)."""
    listener = socket.socket(family_of(host), socket.SOCK_STREAM)
    proc = None
    accepted = None
    try:
        listener.bind((host, 0))
        listener.listen(1)
        listener.settimeout(IO_TIMEOUT)
        server_port = listener.getsockname()[1]
        proc = subprocess.Popen(
            [python(), "-c", HOLDER, host, str(server_port)], cwd="/",
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, user=uid,
            group=gid, extra_groups=[])
        r, _, _ = select.select([proc.stdout], [], [], IO_TIMEOUT)
        check(r, f"the holder running as uid {uid} did not connect")
        line = proc.stdout.readline()
        check(line.strip().isdigit(), f"holder said {line!r}")
        accepted, _ = listener.accept()
        yield int(line), server_port
    finally:
        if proc is not None:
            proc.stdin.close()
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(STOP_TIMEOUT)
            proc.stdout.close()
        if accepted is not None:
            accepted.close()
        listener.close()


def ident(port, queries, host="127.0.0.1"):
    """Send the queries on one connection; the reply lines."""
    with tcp(port, host) as s:
        s.sendall("".join(q + "\r\n" for q in queries).encode())
        return recv_lines(s, len(queries))


def auth_daemon(t, options, host="127.0.0.1", proto="tcp", **kw):
    port = t.port(v6=":" in host)
    bracketed = f"[{host}]" if ":" in host else host
    t.daemon([f"{bracketed}:{port} stream {proto} nowait root internal "
              f"auth {options}"], **kw)
    return port


def check_replies(got, want):
    check(got == want, f"replies {got}, want {want}")


def owner_test(t, host, proto="tcp", daemon_host=None):
    require_root()
    port = auth_daemon(t, "-r", daemon_host or host, proto)
    with held_connection(NOBODY.pw_uid, NOBODY.pw_gid, host) as (c, s):
        check_replies(ident(port, [f"{c} , {s}", f"{s},{c}"], host),
                      [f"{c} , {s} : USERID : UNIX : nobody",
                       f"{s} , {c} : USERID : UNIX : {ME}"])


@test
def owner_ipv4(t):
    owner_test(t, "127.0.0.1")


@test
def owner_ipv6(t):
    require_ipv6()
    owner_test(t, "::1", "tcp6")


@test
def owner_ipv4_client_of_tcp46(t):
    """An IPv4 client of a dual-stack socket asks about IPv4 connections."""
    require_ipv6()
    owner_test(t, "127.0.0.1", "tcp46", daemon_host="::ffff:127.0.0.1")


@test
def queries_and_errors(t):
    """Several queries on one connection, each error in turn; a listening
    socket is no one's connection."""
    require_root()
    port = auth_daemon(t, "-r")
    with held_connection(NOBODY.pw_uid, NOBODY.pw_gid) as (c, s):
        check_replies(ident(port, [
            f"{c} , {s}", "abc", "0 , 23", "70000 , 23", "12 , 34 x",
            "123456 , 1", f" {c}\t,  {s} ", f"{s} , 1", f"{c} , {s}"]), [
            f"{c} , {s} : USERID : UNIX : nobody",
            "0 , 0 : ERROR : INVALID-PORT",
            "0 , 23 : ERROR : INVALID-PORT",
            "70000 , 23 : ERROR : INVALID-PORT",
            "0 , 0 : ERROR : INVALID-PORT",
            "0 , 0 : ERROR : INVALID-PORT",
            f"{c} , {s} : USERID : UNIX : nobody",
            f"{s} , 1 : ERROR : NO-USER",
            f"{c} , {s} : USERID : UNIX : nobody"])


@test
def no_user(t):
    """A connection that does not exist, or exists between other
    addresses than the client's, is no one's."""
    require_root()
    port = auth_daemon(t, "-r")
    with held_connection(NOBODY.pw_uid, NOBODY.pw_gid) as (c, s):
        check_replies(ident(port, [f"{c} , {s + 1 if s < 65535 else 1}"]),
                      [f"{c} , {s + 1 if s < 65535 else 1} : ERROR : "
                       "NO-USER"])


@test
def no_user_other_family(t):
    """A connection between IPv6 addresses is no one's for a client that
    asks over IPv4, though its ports are the ones asked about."""
    require_root()
    require_ipv6()
    port = auth_daemon(t, "-r")
    with held_connection(NOBODY.pw_uid, NOBODY.pw_gid, "::1") as (c, s):
        check_replies(ident(port, [f"{c} , {s}"]),
                      [f"{c} , {s} : ERROR : NO-USER"])


@test
def hidden_without_r(t):
    """Without -r every query is answered HIDDEN-USER, with -d its name."""
    require_root()
    hidden, fallback = t.port(), t.port()
    t.daemon([f"127.0.0.1:{hidden} stream tcp nowait root internal auth",
              f"127.0.0.1:{fallback} stream tcp nowait root internal auth "
              "-d guest"])
    with held_connection(NOBODY.pw_uid, NOBODY.pw_gid) as (c, s):
        check_replies(ident(hidden, [f"{c} , {s}", "1 , 2"]),
                      [f"{c} , {s} : ERROR : HIDDEN-USER",
                       "1 , 2 : ERROR : HIDDEN-USER"])
        check_replies(ident(fallback, [f"{c} , {s}", "x"]),
                      [f"{c} , {s} : USERID : UNIX : guest",
                       "0 , 0 : ERROR : INVALID-PORT"])


@test
def numeric_osname_fallback(t):
    require_root()
    numeric, fallback = t.port(), t.port()
    t.daemon([f"127.0.0.1:{numeric} stream tcp nowait root internal auth "
              "-ri -o LINUX",
              f"127.0.0.1:{fallback} stream tcp nowait root internal auth "
              "-r -dguest"])
    with held_connection(NOBODY.pw_uid, NOBODY.pw_gid) as (c, s):
        check_replies(ident(numeric, [f"{c} , {s}"]),
                      [f"{c} , {s} : USERID : LINUX : {NOBODY.pw_uid}"])
        check_replies(ident(fallback, [f"{c} , {s}", "1 , 2"]),
                      [f"{c} , {s} : USERID : UNIX : nobody",
                       "1 , 2 : USERID : UNIX : guest"])


@test
def random_names(t):
    """-g: a made-up name for every valid query, existing or not."""
    require_root()
    port = auth_daemon(t, "-r -g")
    with held_connection(NOBODY.pw_uid, NOBODY.pw_gid) as (c, s):
        got = ident(port, [f"{c} , {s}", f"{c} , {s}", "1 , 2"])
    pattern = re.compile(r"^(\d+) , (\d+) : USERID : UNIX : ([0-9a-z]{12})$")
    matches = [pattern.match(line) for line in got]
    check(len(got) == 3 and all(matches), f"replies {got}")
    names = {m.group(3) for m in matches}
    check(len(names) == 3, f"names repeat: {got}")
    check("nobody" not in names, "the real name was given")


@test
def line_limit(t):
    """A query longer than 1000 bytes gets UNKNOWN-ERROR and the
    connection is closed; one of 1000 is only an invalid query."""
    port = auth_daemon(t, "-r")
    with tcp(port) as s:
        s.sendall(b" " * 990 + b"1 , 2 , 3\r\n")
        check_replies(recv_lines(s, 1), ["0 , 0 : ERROR : INVALID-PORT"])
        s.sendall(b"9" * 2000)
        check_replies(recv_lines(s, 1), ["0 , 0 : ERROR : UNKNOWN-ERROR"])
        check(recv_to_eof(s) == b"", "more after UNKNOWN-ERROR")


@test
def timeout(t):
    """-t 1: a query not finished within a second ends the connection,
    silently; so does an idle connection after an answer."""
    port = auth_daemon(t, "-r -t 1")
    with tcp(port) as s:
        start = time.monotonic()
        s.sendall(b"12 , ")
        check(recv_to_eof(s, seconds=IO_TIMEOUT) == b"",
              "bytes sent at the timeout")
        took = time.monotonic() - start
    check(0.8 <= took <= 3.5, f"closed after {took:.1f} s, want about 1")
    with tcp(port) as s:
        s.sendall(b"1 , 2\r\n")
        check_replies(recv_lines(s, 1), ["1 , 2 : ERROR : NO-USER"])
        start = time.monotonic()
        check(recv_to_eof(s) == b"", "bytes sent at the timeout")
        took = time.monotonic() - start
    check(took <= 3.5, f"idle connection closed after {took:.1f} s")


@test
def bad_options(t):
    bad, missing = t.port(), t.port()
    d = t.daemon([f"127.0.0.1:{bad} stream tcp nowait root internal auth "
                  "-r -q",
                  f"127.0.0.1:{missing} stream tcp nowait root internal "
                  "auth -t"], ready=False)
    d.wait_log(f"{d.conf}:1: 127.0.0.1:{bad}/tcp: auth: unknown option -q")
    d.wait_log(f"{d.conf}:2: 127.0.0.1:{missing}/tcp: auth: option -t needs "
               "a value")


# ------------------------------------------------- ~/.noident, ~/.fakeid

WRAPPER = 'mount --bind "$0" /etc/passwd && exec "$@"'


def namespace_daemon(t, lines, name=TEST_USER):
    """A daemon that sees a passwd file with the test user, whose home is
    in the test's directory; the machine's /etc is not touched."""
    require_root()
    unshare = shutil.which("unshare")
    if unshare is None:
        raise Skip("no unshare(1)")
    probe = subprocess.run([unshare, "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        raise Skip("cannot make a mount namespace: "
                   f"{probe.stderr.decode(errors='replace').strip()}")
    home = t.path("home")
    os.mkdir(home, 0o700)
    os.chown(home, TEST_UID, TEST_UID)
    passwd = t.path("passwd")
    with open("/etc/passwd") as f:
        text = f.read()
    with open(passwd, "w") as f:
        f.write(text + f"{name}:x:{TEST_UID}:{TEST_UID}:ident "
                f"test:{home}:/bin/sh\n")
    os.chmod(passwd, 0o644)
    t.daemon(lines, wrapper=[unshare, "-m", "sh", "-c", WRAPPER, passwd])
    return home


def dotfile(home, name, text=None, link=None):
    path = os.path.join(home, name)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    if link is not None:
        os.symlink(link, path)
        os.lchown(path, TEST_UID, TEST_UID)
    elif text is not None:
        with open(path, "w") as f:
            f.write(text)
        os.chown(path, TEST_UID, TEST_UID)


@test
def dotfiles(t):
    """-n and -f read the owner's files as the owner: a link to a file
    only root may read gives nothing, -f refuses another user's name, -F
    allows it, -i compares uids."""
    nf, big_f, fi = t.port(), t.port(), t.port()
    home = namespace_daemon(t, [
        f"127.0.0.1:{nf} stream tcp nowait root internal auth -r -n -f",
        f"127.0.0.1:{big_f} stream tcp nowait root internal auth -rF",
        f"127.0.0.1:{fi} stream tcp nowait root internal auth -r -f -i"])
    secret = t.path("secret")
    with open(secret, "w") as f:
        f.write("rootsecret\n")
    os.chmod(secret, 0o600)
    with held_connection(TEST_UID, TEST_UID) as (c, s):
        q = f"{c} , {s}"

        def answers(*ports):
            return [ident(p, [q])[0].rpartition(" : ")[2] for p in ports]

        check(answers(nf, big_f, fi) == [TEST_USER, TEST_USER,
                                         str(TEST_UID)],
              f"without files: {answers(nf, big_f, fi)}")
        dotfile(home, ".fakeid", "  alias\textra words\n")
        check(answers(nf, big_f, fi) == ["alias"] * 3,
              f".fakeid alias: {answers(nf, big_f, fi)}")
        dotfile(home, ".fakeid", "root\n")
        check(answers(nf, big_f) == [TEST_USER, "root"],
              f".fakeid root: {answers(nf, big_f)}")
        dotfile(home, ".fakeid", "0\n")
        check(answers(fi, nf) == [str(TEST_UID), "0"],
              f".fakeid 0: {answers(fi, nf)}")
        dotfile(home, ".fakeid", link=secret)
        check(answers(nf, big_f) == [TEST_USER, TEST_USER],
              f".fakeid linked to root's file: {answers(nf, big_f)}")
        dotfile(home, ".fakeid", "alias\n")
        dotfile(home, ".noident", "")
        check(ident(nf, [q]) == [f"{q} : ERROR : HIDDEN-USER"],
              f".noident: {ident(nf, [q])}")
        check(answers(big_f) == ["alias"], ".noident without -n hid")


@test
def unfit_user_name(t):
    """A user name that could end the reply line (a CR, a control
    character, a blank, as a directory might give) is never sent: the uid
    stands for it, as with -i."""
    port = t.port()
    namespace_daemon(t, [f"127.0.0.1:{port} stream tcp nowait root "
                         "internal auth -r"], name="ident\rtest\x07 x")
    with held_connection(TEST_UID, TEST_UID) as (c, s):
        check_replies(ident(port, [f"{c} , {s}"]),
                      [f"{c} , {s} : USERID : UNIX : {TEST_UID}"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
