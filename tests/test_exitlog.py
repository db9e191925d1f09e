#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Integration tests of what inetd logs about connections and servers:
the line of a server's exit (-l; failures always, rate-limited per entry),
the journal's native fields when the standard error is the journal's, and
-H, which leaves the clients' addresses out of every message.

Clients connect from 127.0.0.2 (OTHER), the services listen on 127.0.0.1:
an address in the log that is the client's can only be OTHER.  The
journal is a datagram socket of the test's, named to the daemon by
INETD_JOURNAL_SOCKET, and $JOURNAL_STREAM names the daemon's stderr (the
log file the harness gives it) as systemd would.

usage: test_exitlog.py [INETD] [TEST ...]  (see harness.py)
"""

import os
import re
import signal
import socket
import struct
import sys

import harness
from harness import *  # noqa: F401,F403

# test_log's private /dev/log (the priorities), test_wrap's private
# hosts.allow and test_upgrade's SIGUSR2, without their tests.
_own_tests = list(harness.TESTS)
import test_log  # noqa: E402
import test_upgrade  # noqa: E402
import test_wrap  # noqa: E402
harness.TESTS[:] = _own_tests

OTHER = "127.0.0.2"     # the clients' address
EXIT_LOG_MAX = 10       # failed exits logged per entry and window (exitlog.h)
EXIT_LOG_SECONDS = 10   # the window
FLOOD = 400             # crashing servers started, at most...
FLOOD_SECONDS = 8       # ...in this time
EXIT = r"child (\d+) (exited with status \d+|killed by signal \d+)"
COUNT = re.compile(r"(\d+) more failed exits? not logged \(at most "
                   rf"{EXIT_LOG_MAX} every {EXIT_LOG_SECONDS} s\)")


def connect_from(port, source=OTHER):
    """A connection from source; (socket, its port)."""
    s = test_wrap.connect_from(port, source)
    return s, s.getsockname()[1]


def served(port, source=OTHER):
    """Connect, read to EOF; (bytes, the client's port)."""
    s, cport = connect_from(port, source)
    with s:
        return recv_to_eof(s), cport


def exit_line(d, port, cport, words):
    """The exit line of the server of the client on cport."""
    return d.wait_log(f"{d.conf}:", f"{port}/tcp: child ", words,
                      f"client {OTHER} port {cport}")


def servers(t, *programs):
    """(ports, lines) of nowait entries, one for each program."""
    ports = [t.port() for _ in programs]
    return ports, [f"127.0.0.1:{p} stream tcp nowait {ME} {prog}"
                   for p, prog in zip(ports, programs)]


CRASH = "/bin/sh sh -c \"kill -SEGV $$\""


@test
def exit_lines(t):
    """With -l each server's exit is a line: entry, pid, status or signal,
    duration, client address and port; status 0 at LOG_INFO, a failure at
    LOG_WARNING."""
    t.child_signals.add(signal.SIGSEGV)
    s = test_log.log_socket(t)
    ports, lines = servers(t, "/bin/echo echo hello",
                           "/bin/sh sh -c \"sleep 0.3; exit 3\"", CRASH)
    d = test_log.log_daemon(t, lines, flags=("-l",))
    want = {}
    for port, words in zip(ports, ("exited with status 0",
                                   "exited with status 3",
                                   "killed by signal 11 (SIGSEGV)")):
        _, cport = served(port)
        line = exit_line(d, port, cport, words)
        m = re.search(rf"child (\d+) {re.escape(words)} after "
                      r"(\d+)\.(\d{3}) s, client ", line)
        check(m, f"exit line: {line}")
        ms = int(m.group(2)) * 1000 + int(m.group(3))
        check(ms < 5000, f"{ms} ms for a server that ran less: {line}")
        want[port] = (words, ms)
    check(want[ports[1]][1] >= 300, f"{want[ports[1]][1]} ms for a server "
          "that slept 300 ms")
    found = test_log.wait_messages(
        s, *(rf"^{d.conf}:\d+: {port}/tcp: {EXIT}" for port in ports))
    for (got, _, text), pri in zip(found, (test_log.PRI_INFO,
                                            test_log.PRI_WARNING,
                                            test_log.PRI_WARNING)):
        check(got == pri, f"{text}: priority {got}, want {pri}")


@test
def exit_failures_without_l(t):
    """Without -l a server that exits 0 is not logged, one that fails is."""
    ports, lines = servers(t, "/bin/echo echo hello",
                           "/bin/sh sh -c \"exit 4\"")
    d = t.daemon(lines)
    _, ok = served(ports[0])
    _, bad = served(ports[1])
    exit_line(d, ports[1], bad, "exited with status 4")
    check(not d.log_lines(f"port {ok}"), "an exit with status 0 was "
          "logged without -l")


@test
def exit_line_after_upgrade(t):
    """A server started before an upgrade in place (SIGUSR2) is logged
    with its client, port included, when the new image reaps it."""
    ports, lines = servers(t, "/bin/sh sh -c \"read line; exit 5\"")
    d = t.daemon(lines)
    s, cport = connect_from(ports[0])
    with s:
        check(wait_until(lambda: children_of(d.pid), IO_TIMEOUT),
              "no server started")
        test_upgrade.upgrade(d)
        s.sendall(b"go\n")
        recv_to_eof(s)
    exit_line(d, ports[0], cport, "exited with status 5")


def exits_accounted(d, port):
    """(exit lines of the entry, failed exits counted but not logged)."""
    log = d.log()
    lines = re.findall(rf"{port}/tcp: {EXIT}", log)
    counts = [int(m.group(1)) for m in COUNT.finditer(log)]
    return len(lines), sum(counts), len(counts)


@test
def exit_rate_limit(t):
    """Hundreds of servers crashing at once: at most EXIT_LOG_MAX lines
    per entry and window, then one line counting the others, logged when
    the window is over even if nothing follows.  Every exit is accounted
    for, exactly.  (-R 0: the entry is never stopped as looping.)"""
    t.child_signals.add(signal.SIGSEGV)
    port = t.port()
    d = t.daemon([f"127.0.0.1:{port} stream tcp nowait {ME} {CRASH}"],
                 flags=("-R", "0"))
    started = 0
    for _ in steps(FLOOD_SECONDS):
        if started == FLOOD:
            break
        s, _ = connect_from(port)
        s.close()
        started += 1
    check(started >= 50, f"only {started} connections in {FLOOD_SECONDS} s")
    done = wait_until(lambda: sum(exits_accounted(d, port)[:2]) >= started,
                      EXIT_LOG_SECONDS + FLOOD_SECONDS + 5, interval=0.2)
    logged, counted, windows = exits_accounted(d, port)
    check(done and logged + counted == started,
          f"{started} servers crashed: {logged} logged + {counted} counted")
    check(windows >= 1, "no line counting the exits not logged")
    check(logged <= EXIT_LOG_MAX * (windows + 1),
          f"{logged} exit lines for {windows} count lines: more than "
          f"{EXIT_LOG_MAX} a window")


# ------------------------------------------------------------------ journal

def journal_daemon(t, lines, flags=("-l",), stream=True, name="inetd"):
    """A daemon whose stderr is "the journal" (stream) or not, and the
    test's journal socket."""
    s, path = test_log.log_socket(t, "journal"), t.path("journal")
    log = t.path(name + ".log")     # the harness's stderr file, made first
    open(log, "wb").close()
    st = os.stat(log)
    env = {"INETD_JOURNAL_SOCKET": path,
           "JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}" if stream else
           f"{st.st_dev}:{st.st_ino + 1}"}
    return s, t.daemon(lines, flags=flags, env=env, name=name)


def parse_fields(data):
    """{name: value} of a native journal datagram (both encodings)."""
    fields, i = {}, 0
    while i < len(data):
        nl = data.index(b"\n", i)
        line = data[i:nl]
        if b"=" in line:
            name, value = line.split(b"=", 1)
            i = nl + 1
        else:
            name = line
            size = struct.unpack("<Q", data[nl + 1:nl + 9])[0]
            value = data[nl + 9:nl + 9 + size]
            check(data[nl + 9 + size:nl + 10 + size] == b"\n",
                  f"binary field {name!r} not ended by a newline")
            i = nl + 10 + size
        check(re.fullmatch(rb"[A-Z0-9_]+", name), f"field name {name!r}")
        fields[name.decode()] = value.decode(errors="replace")
    return fields


def journal_messages(s, seconds):
    """The fields of each datagram that arrives within seconds."""
    got = []
    for left in steps(seconds):
        s.settimeout(min(left, 0.3))
        try:
            got.append(parse_fields(s.recv(65536)))
        except socket.timeout:
            break
    return got


def wait_journal(s, seen, pred, what, seconds=IO_TIMEOUT):
    """The first message (of seen, then new ones) for which pred holds."""
    for left in steps(seconds):
        found = next((m for m in seen if pred(m)), None)
        if found:
            return found
        seen += journal_messages(s, min(left, 0.5))
    raise Fail(f"no journal message {what} within {seconds} s; got "
               f"{[m.get('MESSAGE') for m in seen][-5:]}")


def check_fields(m, want):
    for name, value in want.items():
        check(m.get(name) == str(value),
              f"{name}={m.get(name)!r}, want {value!r}: {m}")


@test
def journal_fields(t):
    """stderr is the journal: the connection line, the exit line and the
    end of a forwarded connection go to the journal's socket with their
    fields; the message is the text of the syslog line.  A newline in a
    value (here the name of the configuration file) takes the binary form
    of the protocol."""
    ports, lines = servers(t, "/bin/sh sh -c \"echo hi; exit 3\"")
    daytime, fwd = t.port(), t.port()
    lines += [f"127.0.0.1:{daytime} stream tcp nowait {ME} internal daytime",
              f"127.0.0.1:{fwd} stream tcp nowait {ME} internal forward "
              f"127.0.0.1:{daytime}"]
    s, d = journal_daemon(t, lines, name="inetd\nconf")
    seen = []
    got, cport = served(ports[0])
    check(got == b"hi\n", f"server said {got!r}")
    common = {"SYSLOG_IDENTIFIER": "inetd", "SERVICE": ports[0],
              "REMOTE_ADDR": OTHER, "REMOTE_PORT": cport}
    m = wait_journal(s, seen, lambda m: m.get("REMOTE_PORT") == str(cport)
                     and "EXIT_STATUS" not in m, "for the connection")
    check_fields(m, dict(common, PRIORITY=6, SYSLOG_FACILITY=3,
                         MESSAGE=f"{ports[0]} from {OTHER}"))
    m = wait_journal(s, seen, lambda m: m.get("REMOTE_PORT") == str(cport)
                     and "EXIT_STATUS" in m, "for the exit")
    check_fields(m, dict(common, PRIORITY=4, EXIT_CODE="exited",
                         EXIT_STATUS=3))
    check(re.fullmatch(r"\d+", m.get("PID", "")) and
          re.fullmatch(r"\d+", m.get("DURATION_MS", "")), f"exit: {m}")
    check(re.fullmatch(rf"{re.escape(d.conf)}:1: {ports[0]}/tcp: child "
                       rf"{m['PID']} exited with status 3 after \d+\.\d{{3}} "
                       rf"s, client {OTHER} port {cport}", m["MESSAGE"]),
          f"exit MESSAGE={m['MESSAGE']!r}")
    got, cport = served(fwd)
    check_daytime(got)
    m = wait_journal(s, seen, lambda m: m.get("REMOTE_PORT") == str(cport)
                     and "BYTES_OUT" in m, "for the forwarded connection")
    check_fields(m, {"SERVICE": fwd, "REMOTE_ADDR": OTHER, "BYTES_IN": 0,
                     "BYTES_OUT": len(got), "PRIORITY": 6})
    check("DURATION_MS" in m and f"from {OTHER} port {cport} to 127.0.0.1 "
          f"port {daytime}" in m["MESSAGE"], f"forward: {m}")
    # The lines go to the journal instead of syslogd, copied with -d.
    d.wait_log(f"{fwd} from {OTHER}")


@test
def journal_only_for_its_stream(t):
    """$JOURNAL_STREAM naming another file than stderr: the journal is not
    the log, nothing goes to its socket."""
    ports, lines = servers(t, "/bin/sh sh -c \"exit 3\"")
    s, d = journal_daemon(t, lines, stream=False)
    _, cport = served(ports[0])
    exit_line(d, ports[0], cport, "exited with status 3")
    got = journal_messages(s, 1.0)
    check(not got, f"{len(got)} journal messages: {got[:1]}")


@test
def journal_stalled(t):
    """A journal that reads nothing never blocks the daemon: with -l, more
    connections than its socket queues are all served."""
    port = t.port()
    s, d = journal_daemon(t, [f"127.0.0.1:{port} stream tcp nowait {ME} "
                              "internal daytime"])
    flood = test_log.queue_length() + 200
    for i in range(flood):
        try:
            got, _ = served(port)
            check_daytime(got)
        except Fail as e:
            raise Fail(f"connection {i + 1} of {flood}: {e}") from None
    got = journal_messages(s, IO_TIMEOUT)
    check(got and len(got) <= test_log.queue_length() + 1,
          f"{len(got)} messages queued, the socket holds "
          f"{test_log.queue_length()}")
    check_idle(d.pid)


# ------------------------------------------------------------------ privacy

def loop_source():
    """A UDP socket on OTHER and the port of a builtin (a loop source)."""
    for port in BUILTIN_PORTS:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind((OTHER, port))
            return s
        except OSError:
            s.close()
    raise Skip("no builtin port free on " + OTHER)


def drive_plain(t, hide):
    """Every path of a daemon without wrappers that names a client:
    connection, exit, per-address limits, only_from, builtin loop, TCP
    and UDP forwarding (connection, end, loop), tcpmux.  Its log."""
    t.child_signals.add(signal.SIGSEGV)
    p = {k: t.port() for k in ("crash", "rate", "perip", "echo", "daytime",
                               "fwd", "ufwd", "mux", "only")}
    lines = [f"127.0.0.1:{p['crash']} stream tcp nowait {ME} {CRASH}",
             f"127.0.0.1:{p['rate']} stream tcp nowait/0/1 {ME} "
             "/bin/echo echo",
             f"127.0.0.1:{p['perip']} stream tcp nowait/0/0/1 {ME} "
             "/bin/sleep sleep 2",
             f"127.0.0.1:{p['echo']} dgram udp wait {ME} internal echo",
             f"127.0.0.1:{p['daytime']} stream tcp nowait {ME} "
             "internal daytime",
             f"127.0.0.1:{p['fwd']} stream tcp nowait {ME} internal forward "
             f"127.0.0.1:{p['daytime']}",
             f"127.0.0.1:{p['ufwd']} dgram udp wait {ME} internal forward "
             f"127.0.0.1:{p['echo']} timeout=1",
             f"127.0.0.1:{p['mux']} stream tcp nowait root internal tcpmux",
             f"tcpmux/+hi stream tcp nowait {ME} /bin/echo echo hi",
             f"127.0.0.1:{p['only']} on socktype = stream, protocol = tcp, "
             f"wait = no, user = {ME}, exec = /bin/echo, args = echo, "
             "only_from = 127.0.0.1;"]
    d = t.daemon(lines, flags=("-l",) + (("-H",) if hide else ()))
    served(p["crash"])
    d.wait_log(f"{p['crash']}/tcp: child ", "killed by signal 11")
    served(p["rate"])
    served(p["rate"])
    d.wait_log("exceeded counts/min")
    with connect_from(p["perip"])[0]:
        d.wait_log(f"{p['perip']} from")
        served(p["perip"])
        d.wait_log("exceeded counts (limit 1)")
    with loop_source() as s:
        s.sendto(b"x", ("127.0.0.1", p["echo"]))
        s.sendto(b"x", ("127.0.0.1", p["ufwd"]))
        d.wait_log(f"{p['echo']}/udp: loop request REFUSED from")
        d.wait_log("loop request REFUSED from", f"{p['ufwd']}")
    check_daytime(served(p["fwd"])[0])
    d.wait_log(f"{p['fwd']} from", f"to 127.0.0.1 port {p['daytime']}")
    with udp_socket(OTHER) as s:
        s.sendto(b"ping", ("127.0.0.1", p["ufwd"]))
        check(udp_reply(s, "127.0.0.1", p["ufwd"], IO_TIMEOUT) is not None,
              "no answer through the UDP forward")
        d.wait_log(f"{p['ufwd']} from", "expired")
    with connect_from(p["mux"])[0] as s:
        s.sendall(b"hi\r\n")
        check(recv_to_eof(s) == b"+Go\r\nhi\n", "tcpmux did not serve")
    d.wait_log("+hi from")
    served(p["only"])
    d.wait_log(f"{p['only']}/tcp: ", "refused by only_from")
    return d.log()


def drive_wrapped(t, hide):
    """The TCP wrappers' lines: a refusal and, with -l, a client let in."""
    deny, allow = t.port(), t.port()
    d = test_wrap.wrapped(
        t, [f"127.0.0.1:{deny} stream tcp nowait {ME} internal daytime",
            f"127.0.0.1:{allow} stream tcp nowait {ME} /bin/echo echo"],
        deny=["daytime: ALL"], name="wrapped",
        flags=("-w", "-W", "-l") + (("-H",) if hide else ()))
    served(deny)
    served(allow)
    d.wait_log("refused connection from", "service daytime")
    d.wait_log("connection from", "service echo")
    return d.log()


@test
def privacy_hides_clients(t):
    """-H: every path that logs a client (connections, exits, limits,
    only_from, loop refusals, forwarding, tcpmux, TCP wrappers) says
    "(hidden)" where the address was, and the client's address appears
    nowhere in the log."""
    log = drive_plain(t, True) + drive_wrapped(t, True)
    leaks = [line for line in log.splitlines() if OTHER in line]
    check(not leaks, f"client address in the log: {leaks[:3]}")
    check(log.count("(hidden)") >= 10, "too few lines said (hidden)")


@test
def privacy_off_shows_clients(t):
    """Without -H the same paths name the client: the test of -H drives
    lines that would show it."""
    log = drive_plain(t, False) + drive_wrapped(t, False)
    check("(hidden)" not in log, "(hidden) without -H")
    for words in (f"from {OTHER}", f"client {OTHER} port",
                  f"REFUSED from {OTHER} port", f"connection from {OTHER}",
                  f"refused connection from {OTHER}",
                  f"{OTHER} refused by only_from"):
        check(words in log, f"no {words!r} in the log")


@test
def privacy_journal(t):
    """-H with the journal: no REMOTE_ADDR nor REMOTE_PORT field."""
    ports, lines = servers(t, "/bin/sh sh -c \"exit 3\"")
    s, d = journal_daemon(t, lines, flags=("-l", "-H"))
    served(ports[0])
    seen = []
    m = wait_journal(s, seen, lambda m: "EXIT_STATUS" in m, "for the exit")
    check_fields(m, {"EXIT_STATUS": 3, "SERVICE": ports[0]})
    seen += journal_messages(s, 0.5)
    for m in seen:
        check("REMOTE_ADDR" not in m and "REMOTE_PORT" not in m and
              OTHER not in m["MESSAGE"], f"client in {m}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
