#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Integration tests of inetd's messages to syslogd (/dev/log): their format
and priority, a log socket that stops reading (the daemon keeps serving, and
says how many messages it dropped), and a syslogd that restarts.

The daemon runs in a private mount namespace whose /dev is a tmpfs of links
to the real /dev, plus /dev/log, a link to a datagram socket of the test's:
nothing outside the test sees it.  As root only.

usage: test_log.py [INETD] [TEST ...]  (see harness.py)
"""

import contextlib
import os
import re
import shutil
import socket
import sys

from harness import *  # noqa: F401,F403

FLOOD = 3000            # connections made while the log socket is full
CONNECT_SECONDS = 5     # for the answer to one of them
# LOG_DAEMON (3 << 3) with LOG_INFO (6) and LOG_WARNING (4).
PRI_INFO, PRI_WARNING = 30, 28
LINE = re.compile(r"<(\d+)>([A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d) "
                  r"inetd\[(\d+)\]: (.*)$")

# $0 is the test's directory; the rest is the daemon's argv.
PRIVATE_DEV = r"""
set -e
mkdir "$0/dev"
mount --bind /dev "$0/dev"
mount -t tmpfs -o mode=755 inetd-test-dev /dev
for f in "$0"/dev/* "$0"/dev/.[!.]*; do
	[ -e "$f" ] || [ -L "$f" ] && ln -s "$f" /dev/
done
rm -f /dev/log
ln -s "$0/log" /dev/log
exec "$@"
"""


def log_socket(t, name="log"):
    """The test's /dev/log (or another log of that name): a datagram
    socket nobody reads until we do."""
    path = t.path(name)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    return s


def log_daemon(t, lines, flags=()):
    if not IS_ROOT:
        raise Skip("needs root for a private mount namespace")
    if not shutil.which("unshare"):
        raise Skip("no unshare(1)")
    wrapper = ("unshare", "-m", "--propagation", "private", "sh", "-c",
               PRIVATE_DEV, t.dir)
    return t.daemon(lines, flags=flags, wrapper=wrapper)


def read_log(s, seconds):
    """The datagrams that arrive within seconds, parsed, until a pause."""
    got = []
    for left in steps(seconds):
        s.settimeout(min(left, 0.5))
        try:
            data = s.recv(65536)
        except socket.timeout:
            break
        text = data.decode(errors="replace")
        m = LINE.match(text)
        check(m, f"not a syslog line: {text!r}")
        got.append((int(m.group(1)), int(m.group(3)), m.group(4)))
    return got


def wait_messages(s, *patterns, seconds=IO_TIMEOUT):
    """For each pattern, the first (pri, pid, text) whose text matches it;
    Fail unless all arrive within seconds."""
    seen = []
    for left in steps(seconds):
        seen += read_log(s, left)
        found = [next((m for m in seen if re.search(p, m[2])), None)
                 for p in patterns]
        if all(found):
            return found
    raise Fail(f"no log message matching each of {patterns!r} within "
               f"{seconds} s; got {[m[2] for m in seen][-5:]}")


def wait_message(s, pattern, seconds=IO_TIMEOUT):
    return wait_messages(s, pattern, seconds=seconds)[0]


def daytime_ok(port):
    s = tcp(port)
    try:
        check_daytime(recv_to_eof(s, seconds=CONNECT_SECONDS))
    finally:
        s.close()


def queue_length():
    with open("/proc/sys/net/unix/max_dgram_qlen") as f:
        return int(f.read())


@test
def log_format(t):
    """Messages reach /dev/log as syslog(3) writes them: "<PRI>Mmm dd
    hh:mm:ss inetd[PID]: text", LOG_DAEMON, with the daemon's pid."""
    s = log_socket(t)
    port = t.port()
    d = log_daemon(t, [f"127.0.0.1:{port} stream tcp nowait root internal "
                       "daytime"], flags=("-l",))
    pri, pid, _ = wait_message(s, r"^ready: 1 services? listening$")
    check(pri == PRI_INFO, f"ready logged with priority {pri}, "
          f"not {PRI_INFO}")
    check(pid == d.pid, f"pid {pid} in the message, the daemon is {d.pid}")
    daytime_ok(port)
    pri, pid, _ = wait_message(s, rf"^{port} from 127\.0\.0\.1$")
    check(pri == PRI_INFO and pid == d.pid,
          f"-l line with priority {pri} and pid {pid}")


@test
def log_full_never_blocks(t):
    """With -l and a log socket that nobody reads, the daemon still answers
    every connection; once the socket is read again it says how many
    messages it dropped (glibc's syslog() would block the daemon)."""
    s = log_socket(t)
    port = t.port()
    d = log_daemon(t, [f"127.0.0.1:{port} stream tcp nowait root internal "
                       "daytime"], flags=("-l",))
    for i in range(FLOOD):
        try:
            daytime_ok(port)
        except Fail as e:
            raise Fail(f"connection {i + 1} of {FLOOD}: {e}") from None
    got = read_log(s, IO_TIMEOUT)
    check(got and len(got) <= queue_length() + 1,
          f"{len(got)} messages queued, the socket holds "
          f"{queue_length()}")
    daytime_ok(port)
    (pri, pid, text), _ = wait_messages(s, r"^\d+ log messages? dropped$",
                                        rf"^{port} from 127\.0\.0\.1$")
    dropped = int(text.split()[0])
    least = FLOOD - queue_length() - 10
    check(least <= dropped <= FLOOD + 1,
          f"{dropped} dropped, expected {least} to {FLOOD + 1}")
    check(pri == PRI_WARNING and pid == d.pid,
          f"drop count with priority {pri} and pid {pid}")
    check_idle(d.pid)


@test
def log_reconnects(t):
    """When syslogd goes away and comes back on a new socket (a restart),
    the messages go to the new one."""
    s = log_socket(t)
    port = t.port()
    log_daemon(t, [f"127.0.0.1:{port} stream tcp nowait root internal "
                   "daytime"], flags=("-l",))
    wait_message(s, r"^ready")
    s.close()
    os.unlink(t.path("log"))
    daytime_ok(port)
    s = log_socket(t)
    daytime_ok(port)
    wait_message(s, rf"^{port} from 127\.0\.0\.1$")


@test
def log_socket_not_inherited(t):
    """The daemon's log socket stays out of the servers it starts: a server
    sees its connection on 0, 1 and 2, and nothing else."""
    s = log_socket(t)
    port = t.port()
    log_daemon(t, [f"127.0.0.1:{port} stream tcp nowait nobody {t.probe()} "
                   "probe"], flags=("-l",))
    wait_message(s, r"^ready")
    r = probe_report(port)
    check(sorted(r["fd"]) == [0, 1, 2], f"open fds {r['fd']}")
    wait_message(s, rf"^{port} from 127\.0\.0\.1$")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
