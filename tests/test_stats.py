#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Integration tests of the stats builtin (internal stats).

A scripted run drives each entry over real sockets: connections served
and refused by each reason the test can provoke, a server that exits
non-zero and one killed by a signal, an entry that goes looping, a
forward with a known number of bytes, reloads taken and refused; then
the text of `internal stats` is scraped and every counter checked
against what the test did.  Each scrape is read by a strict parser of
the Prometheus text format (0.0.4), written here.  The scripts of
contrib/ that carry the text to Prometheus and node_exporter are run.

usage: test_stats.py [INETD] [TEST ...]  (see harness.py)
"""

import math
import os
import re
import signal
import socket
import subprocess
import sys

import harness
from harness import *  # noqa: F401,F403
import test_acl
import test_limits
import test_wrap

# The tests of the files imported, registered by their import, are not ours.
harness.TESTS[:] = [f for f in harness.TESTS if f.__module__ == __name__]

TOP = os.path.dirname(HERE)
NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')
TYPES = ("counter", "gauge")
REASONS = ("max_child", "max_rate", "per_ip_rate", "per_ip_children",
           "wrappers", "only_from", "looping", "fd_exhaustion")


# ---------------------------------------------------- the text format

def parse_labels(text, where):
    """{name: value} of '{a="x",b="y"}' (text without the braces)."""
    labels, pos = {}, 0
    while pos < len(text):
        m = LABEL.match(text, pos)
        check(m, f"{where}: bad label at {text[pos:]!r}")
        check(m.group(1) not in labels, f"{where}: label twice")
        labels[m.group(1)] = re.sub(r"\\(.)", lambda e: "\n" if
                                    e.group(1) == "n" else e.group(1),
                                    m.group(2))
        pos = m.end()
        if pos < len(text):
            check(text[pos] == ",", f"{where}: no comma after a label")
            pos += 1
    return labels


def parse_sample(line, where):
    """(name, labels, value) of one sample line."""
    m = re.match(r"([^{ ]+)(?:\{(.*)\})? (\S+)\Z", line)
    check(m, f"{where}: not a sample: {line!r}")
    check(NAME.match(m.group(1)), f"{where}: bad name {m.group(1)!r}")
    value = float(m.group(3))
    check(not math.isnan(value) and value >= 0 and value == int(value),
          f"{where}: value {m.group(3)!r} not a count")
    return m.group(1), parse_labels(m.group(2) or "", where), int(value)


def parse_metrics(text):
    """The text of a scrape, checked strictly: each family has one HELP
    and one TYPE line before its samples, which are together; counters
    end in _total; no series twice; one line each, each ending in a
    newline.  Returns {(name, frozenset(labels)): value} and the types."""
    check(text.endswith("\n"), "the text does not end with a newline")
    series, types, current, done = {}, {}, None, set()
    for n, line in enumerate(text[:-1].split("\n"), 1):
        where = f"line {n}"
        m = re.match(r"# (HELP|TYPE) (\S+) (.+)\Z", line)
        if m:
            name = m.group(2)
            check(NAME.match(name), f"{where}: bad name {name!r}")
            if m.group(1) == "HELP":
                check(name not in done and name != current,
                      f"{where}: family {name} given twice")
                if current is not None:
                    done.add(current)
                current = name
            else:
                check(name == current and name not in types,
                      f"{where}: TYPE of {name} without its HELP")
                check(m.group(3) in TYPES, f"{where}: type {m.group(3)}")
                check(m.group(3) != "counter" or name.endswith("_total"),
                      f"{where}: counter {name} does not end in _total")
                types[name] = m.group(3)
            continue
        check(not line.startswith("#"), f"{where}: stray comment {line!r}")
        name, labels, value = parse_sample(line, where)
        check(name == current and name in types,
              f"{where}: {name} out of its family")
        key = (name, frozenset(labels.items()))
        check(key not in series, f"{where}: series twice: {line!r}")
        series[key] = value
    return series, types


def scrape(port, host="127.0.0.1"):
    with tcp(port, host) as s:
        return parse_metrics(recv_to_eof(s, 1 << 24).decode())


def scrape_unix(path):
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(IO_TIMEOUT)
        s.connect(path)
        return parse_metrics(recv_to_eof(s, 1 << 24).decode())


class Entry:
    """The series of one entry in a scrape: its labels, and each counter
    with the other labels given."""

    def __init__(self, series, service, protocol="tcp", address="127.0.0.1"):
        self.series = series
        self.labels = {"service": service, "protocol": protocol,
                       "address": address}

    def get(self, name, **more):
        key = (name, frozenset({**self.labels, **more}.items()))
        return self.series.get(key)

    def expect(self, want):
        """want: {metric or (metric, label, value): count}; the refusals
        not named are expected 0, the exits not named absent."""
        for reason in REASONS:
            want.setdefault(("inetd_connections_refused_total", "reason",
                             reason), 0)
        for key, count in want.items():
            name, more = (key, {}) if isinstance(key, str) else \
                (key[0], {key[1]: key[2]})
            got = self.get(name, **more)
            check(got == count, f"{self.labels['service']}: {name} "
                  f"{more or ''}: {got}, not {count}")
        for kind in ("exits", "signals"):
            name = f"inetd_server_{kind}_total"
            named = {k[2] for k in want if not isinstance(k, str) and
                     k[0] == name}
            got = {dict(labels)[kind[:-1] if kind == "signals" else
                                "status"]
                   for (n, labels) in self.series
                   if n == name and self.labels.items() <= dict(labels)
                   .items()}
            check(got == named, f"{self.labels['service']}: {name} for "
                  f"{sorted(got)}, not {sorted(named)}")


def daemon_counter(series, name, **labels):
    return series.get((name, frozenset(labels.items())))


# ------------------------------------------------------- the clients

def forward_bytes(port, n):
    data = bytes(range(256)) * (n // 256) + b"x" * (n % 256)
    with tcp(port) as s:
        check(exchange(s, data) == data, "forward: not echoed")


def tcpmux_ask(port, name):
    s = tcp(port)
    s.sendall(name.encode() + b"\r\n")
    return s, s.recv(64)


def loop_datagram(port):
    """From the well-known port of a builtin: whether one could be sent."""
    for source in (7, 13, 19, 37):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.bind(("127.0.0.1", source))
            except OSError:
                continue
            s.sendto(b"loop?", ("127.0.0.1", port))
            return True
    return False


# ------------------------------------------------------------- tests

@test
def scripted_run(t):
    """Each counter of each entry after a scripted run, exactly; the
    counters survive a reload; a reload refused and its error counted."""
    if not IS_ROOT:
        raise Skip("not root: a datagram from a builtin's port needs it")
    t.child_signals.add(signal.SIGKILL)     # the crashing server
    p = {k: t.port() for k in ("stats", "rate", "perip", "crash", "exit3",
                               "loop", "echo", "fwd", "uecho", "mux")}
    lines = [
        f"127.0.0.1:{p['stats']} stream tcp nowait {ME} internal stats",
        f"127.0.0.1:{p['rate']} stream tcp nowait/5/2 {ME} internal "
        "daytime",
        f"127.0.0.1:{p['perip']} stream tcp nowait/5/0/1 {ME} /bin/cat cat",
        f"127.0.0.1:{p['crash']} stream tcp nowait {ME} /bin/sh "
        "sh -c 'kill -9 $$'",
        f"127.0.0.1:{p['exit3']} stream tcp nowait {ME} /bin/sh "
        "sh -c 'exit 3'",
        f"127.0.0.1:{p['loop']} stream tcp nowait.2 {ME} /bin/false false",
        f"127.0.0.1:{p['echo']} stream tcp nowait {ME} internal echo",
        f"127.0.0.1:{p['fwd']} stream tcp nowait {ME} internal forward "
        f"127.0.0.1:{p['echo']}",
        f"127.0.0.1:{p['uecho']} dgram udp wait {ME} internal echo",
        f"127.0.0.1:{p['mux']} stream tcp nowait {ME} internal tcpmux",
        f"tcpmux/+hold stream tcp nowait/1 {ME} /bin/cat cat",
    ]
    d = t.daemon(lines)
    # Per-IP rate: 2 a minute, the third refused.
    for _ in range(2):
        with tcp(p["rate"]) as s:
            check_daytime(recv_to_eof(s))
    check(test_limits.ended_unserved(p["rate"]), "third daytime served")
    # Per-IP children: 1, the second closed at once.
    holder = tcp(p["perip"])
    check(exchange(holder, b"hi\n") == b"hi\n", "cat did not echo")
    check(test_limits.ended_unserved(p["perip"]), "second cat served")
    holder.close()
    # Exits: killed by SIGKILL, and status 3.
    check(test_limits.ended_unserved(p["crash"]), "crash served")
    check(test_limits.ended_unserved(p["exit3"]), "exit 3 served")
    # Looping: two failures a minute, and the third start closes it.
    for _ in range(2):
        check(test_limits.ended_unserved(p["loop"]), "false served")
    with socket.socket() as s:
        s.settimeout(IO_TIMEOUT)
        s.connect_ex(("127.0.0.1", p["loop"]))
        d.wait_log(f"{p['loop']}/tcp server failing (looping)")
    # Forward: 3000 bytes each way through the echo builtin.
    forward_bytes(p["fwd"], 3000)
    # Loop check: a datagram from a builtin's port is not answered.
    if not loop_datagram(p["uecho"]):
        raise Skip("no builtin port free on 127.0.0.1 to send from")
    d.wait_log("loop request REFUSED")
    # max-child of a tcpmux service: the second client is turned away.
    held, answer = tcpmux_ask(p["mux"], "hold")
    check(answer.startswith(b"+Go"), f"tcpmux: {answer!r}")
    busy, answer = tcpmux_ask(p["mux"], "hold")
    check(answer.startswith(b"-"), f"tcpmux at max-child: {answer!r}")
    busy.close()
    held.close()
    # All servers reaped, the forwarded connection closed.
    d.reload()
    with open(d.conf, "a") as f:
        f.write("nonsense\n")
    d.reload(ok=False)

    def settled():
        series, _ = scrape(p["stats"])
        return all(Entry(series, str(p[k])).get("inetd_children") == 0
                   for k in ("rate", "perip")) \
            and Entry(series, "tcpmux/+hold", address="*").get(
                "inetd_children") == 0 \
            and Entry(series, str(p["fwd"])).get(
                "inetd_forward_connections") == 0 and series
    series = wait_until(settled, IO_TIMEOUT)
    check(series, "servers still running, or the forward open")
    scrapes = Entry(series, str(p["stats"])).get(
        "inetd_connections_accepted_total")
    Entry(series, str(p["stats"])).expect({
        "inetd_connections_accepted_total": scrapes,
        "inetd_servers_started_total": 0, "inetd_children": 0,
        "inetd_looping_total": 0})
    Entry(series, str(p["rate"])).expect({
        "inetd_connections_accepted_total": 2,
        ("inetd_connections_refused_total", "reason", "per_ip_rate"): 1,
        # With max-child, a builtin's client gets a child to count.
        "inetd_servers_started_total": 2,
        ("inetd_server_exits_total", "status", "0"): 2})
    Entry(series, str(p["perip"])).expect({
        "inetd_connections_accepted_total": 1,
        ("inetd_connections_refused_total", "reason", "per_ip_children"): 1,
        "inetd_servers_started_total": 1,
        ("inetd_server_exits_total", "status", "0"): 1})
    Entry(series, str(p["crash"])).expect({
        "inetd_connections_accepted_total": 1,
        "inetd_servers_started_total": 1,
        ("inetd_server_signals_total", "signal", "9"): 1})
    Entry(series, str(p["exit3"])).expect({
        "inetd_connections_accepted_total": 1,
        "inetd_servers_started_total": 1,
        ("inetd_server_exits_total", "status", "3"): 1})
    Entry(series, str(p["loop"])).expect({
        "inetd_connections_accepted_total": 2,
        "inetd_servers_started_total": 2, "inetd_looping_total": 1,
        ("inetd_server_exits_total", "status", "1"): 2})
    Entry(series, str(p["echo"])).expect({
        "inetd_connections_accepted_total": 1})
    Entry(series, str(p["fwd"])).expect({
        "inetd_connections_accepted_total": 1,
        "inetd_servers_started_total": 0,
        ("inetd_forward_bytes_total", "direction", "in"): 3000,
        ("inetd_forward_bytes_total", "direction", "out"): 3000,
        "inetd_forward_connections": 0, "inetd_children": None})
    Entry(series, str(p["uecho"]), "udp").expect({
        ("inetd_connections_refused_total", "reason", "looping"): 1,
        "inetd_forward_bytes_total": None})
    Entry(series, str(p["mux"])).expect({
        "inetd_connections_accepted_total": 2,
        "inetd_servers_started_total": 2,
        ("inetd_server_exits_total", "status", "0"): 2})
    Entry(series, "tcpmux/+hold", address="*").expect({
        "inetd_connections_accepted_total": 1,
        ("inetd_connections_refused_total", "reason", "max_child"): 1,
        "inetd_servers_started_total": 1,
        ("inetd_server_exits_total", "status", "0"): 1})
    for labels, count in (({"result": "ok"}, 1), ({"result": "refused"}, 1)):
        got = daemon_counter(series, "inetd_reloads_total", **labels)
        check(got == count, f"reloads {labels}: {got}, not {count}")
    got = daemon_counter(series, "inetd_config_errors_total")
    check(got == 1, f"configuration errors: {got}, not 1")
    for name in ("inetd_log_messages_dropped_total", "inetd_uptime_seconds"):
        check(daemon_counter(series, name) is not None, f"no {name}")


@test
def unix_socket_and_labels(t):
    """On a UNIX socket path; a label with a quote, a backslash and a
    newline's escape (a UNIX path) is escaped as the format wants, and
    a scrape sees itself counted."""
    path = t.path('odd"na\\me')
    d = t.daemon([f"'{path}' stream unix nowait {ME} internal stats"])
    for n in (1, 2):
        series, types = scrape_unix(path)
        got = Entry(series, path, "unix", "").get(
            "inetd_connections_accepted_total")
        check(got == n, f"scrape {n}: accepted {got}")
    check(types["inetd_children"] == "gauge", "children not a gauge")
    check(d.proc.poll() is None, "daemon died")


def slow_client(port):
    """A client with a small receive buffer, that reads nothing yet."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(IO_TIMEOUT)
    s.connect(("127.0.0.1", port))
    return s


def big_answers(t, entries, children, width):
    """6 clients, at once, of a stats entry among entries that are never
    bound (tcpmux ones, their names width long: a big answer, cheaply),
    read only once all are connected: none is cut, the daemon serves others
    meanwhile, and children made as many answers as children allows."""
    stats, echo = t.port(), t.port()
    lines = [f"127.0.0.1:{stats} stream tcp nowait {ME} internal stats",
             f"127.0.0.1:{echo} stream tcp nowait {ME} internal echo"]
    lines += [f"tcpmux/+{'s' * width}{i:04d} stream tcp nowait {ME} "
              "/bin/cat cat" for i in range(entries - 2)]
    d = t.daemon(lines)
    slow = [slow_client(stats) for _ in range(6)]
    with tcp(echo) as s:
        check(exchange(s, b"ping") == b"ping", "echo blocked by the scrapes")
    last = f"tcpmux/+{'s' * width}{entries - 3:04d}"
    for s in slow:
        with s:
            series, _ = parse_metrics(recv_to_eof(s, 1 << 26, 30).decode())
        check(Entry(series, last, address="*").get(
            "inetd_servers_started_total") == 0, "answer cut")
    series, _ = scrape(stats)
    got = Entry(series, str(stats)).get("inetd_servers_started_total")
    check(got in children, f"{got} answers made by children")
    check(d.proc.poll() is None, "daemon died")


@test
def big_answer_not_cut(t):
    """Answers of 600 kB, larger than a client's receive buffer: the
    daemon holds at most 4 (STATS_MAXCONN) of those the kernel has not
    taken whole, writing as the clients read; children make the others."""
    big_answers(t, 128, (0, 1, 2), 240)


@test
def many_entries_answered_by_children(t):
    """Past 128 entries (STATS_INLINE_MAX) every answer is made by a
    child, so that the loop is never held while it is made."""
    big_answers(t, 1500, (6,), 1)


@test
def fd_exhaustion_counted(t):
    """accept() out of descriptors is counted; the connections are
    served once descriptors are free again."""
    if not IS_ROOT:
        raise Skip("not root: prlimit of a process needs it")
    stats, discard = t.port(), t.port()
    d = t.daemon([f"127.0.0.1:{stats} stream tcp nowait {ME} internal stats",
                  f"127.0.0.1:{discard} stream tcp nowait {ME} internal "
                  "discard"], wrapper=["prlimit", "--nofile=40:40"])
    clients = [tcp(discard) for _ in range(45)]
    d.wait_log("accept: Too many open files")
    for s in clients:
        s.close()

    def counted():
        series, _ = scrape(stats)
        e = Entry(series, str(discard))
        return e.get("inetd_connections_accepted_total") == len(clients) \
            and e
    e = wait_until(counted, IO_TIMEOUT)
    check(e, "not every connection accepted once descriptors were free")
    got = e.get("inetd_connections_refused_total", reason="fd_exhaustion")
    check(got >= 1, f"fd_exhaustion: {got}")


@test
def only_from_counted(t):
    """A client only_from turns away is counted, and nothing else."""
    stats, echo = t.port(), t.port()
    t.daemon([f"127.0.0.1:{stats} stream tcp nowait {ME} internal stats",
              test_acl.kv("127.0.0.1", echo, exec_="internal",
                          args="echo", only_from="127.0.0.1")])
    for _ in range(3):
        check(test_acl.tcp_from(echo, "127.0.0.2") == b"",
              "127.0.0.2 served")
    with tcp(echo) as s:
        check_bytes(exchange(s, b"ok"), b"ok", "127.0.0.1 refused")
    series, _ = scrape(stats)
    Entry(series, str(echo)).expect({
        "inetd_connections_accepted_total": 1,
        ("inetd_connections_refused_total", "reason", "only_from"): 3})


@test
def wrappers_counted(t):
    """A connection tcp_wrappers refuse (in the child) is counted."""
    stats, cat = t.port(), t.port()
    d = test_wrap.wrapped(t, [
        f"127.0.0.1:{stats} stream tcp nowait {ME} internal stats",
        f"127.0.0.1:{cat} stream tcp nowait {ME} /bin/cat cat"],
        deny=["cat: ALL"], flags=("-w",))
    check(test_wrap.refused(cat), "cat served despite hosts.deny")
    d.wait_log("refused connection from 127.0.0.1, service cat")

    def counted():
        series, _ = scrape(stats)
        e = Entry(series, str(cat))
        return e.get("inetd_server_exits_total", status="0") == 1 and e
    e = wait_until(counted, IO_TIMEOUT)
    check(e, "the child's exit not counted")
    e.expect({"inetd_connections_accepted_total": 1,
              ("inetd_connections_refused_total", "reason", "wrappers"): 1,
              "inetd_servers_started_total": 1,
              ("inetd_server_exits_total", "status", "0"): 1})


@test
def contrib_scripts(t):
    """contrib/inetd-stats-http answers an HTTP request with the text,
    run by inetd as Prometheus would reach it; contrib/inetd-stats-textfile
    writes it for node_exporter, and removes it when inetd is gone."""
    stats, http = t.port(), t.port()
    script = os.path.join(TOP, "contrib", "inetd-stats-http")
    d = t.daemon([f"127.0.0.1:{stats} stream tcp nowait {ME} internal stats",
                  f"127.0.0.1:{http} stream tcp nowait {ME} {script} "
                  f"inetd-stats-http 127.0.0.1:{stats}"])
    with tcp(http) as s:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = recv_to_eof(s).decode()
    head, _, body = answer.partition("\r\n\r\n")
    check(head.startswith("HTTP/1.0 200 OK\r\n"), f"answer: {head!r}")
    check(f"Content-Length: {len(body)}\r\n" in head + "\r\n",
          f"length not {len(body)}: {head!r}")
    series, _ = parse_metrics(body)
    check(Entry(series, str(stats)).get(
        "inetd_connections_accepted_total") == 1, "not the scrape's text")
    textfile = os.path.join(TOP, "contrib", "inetd-stats-textfile")
    run = [textfile, f"127.0.0.1:{stats}", t.dir]
    done = subprocess.run(run, capture_output=True, timeout=IO_TIMEOUT)
    check(done.returncode == 0, f"textfile: {done.stderr!r}")
    with open(t.path("inetd.prom")) as f:
        series, _ = parse_metrics(f.read())
    check(Entry(series, str(stats)).get(
        "inetd_connections_accepted_total") == 2, "not the second scrape")
    d.stop()
    done = subprocess.run(run, capture_output=True, timeout=IO_TIMEOUT)
    check(done.returncode == 1 and not os.path.exists(t.path("inetd.prom")),
          "textfile kept once inetd was gone")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
