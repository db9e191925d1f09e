#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""The manual pages cannot fall behind the program: every flag of the
usage message is in inetd.8 (SYNOPSIS and the option list), every builtin
the daemon knows is in inetd.conf.5, and `mandoc -Tlint -Wwarning` is
silent on both pages.  The program itself says what it accepts: its usage
message, and the list of builtins in the message for an unknown one.

usage: test_docs.py [INETD] [TEST ...]  (see harness.py)
"""

import os
import re
import shutil
import subprocess
import sys

import harness
from harness import *  # noqa: F401,F403

TOP = os.path.dirname(HERE)
PAGES = ("inetd.8", "inetd.conf.5")


def page(name):
    with open(os.path.join(TOP, name)) as f:
        return f.read()


def section(text, title):
    """The mdoc source of section .Sh TITLE."""
    m = re.search(r"(?ms)^\.Sh " + re.escape(title) + r"\n(.*?)(?=^\.Sh |\Z)",
                  text)
    check(m, f"no section {title}")
    return m.group(1)


def run(args):
    status, _, err = run_inetd(args)
    return status, err


def usage_flags():
    """{letter: takes an argument} from the usage message."""
    status, err = run(["-?"])
    check(status == 64 and "usage:" in err, f"no usage: {status} {err!r}")
    flags = {}
    for group in re.findall(r"\[([^\]]*)\]", err):
        m = re.fullmatch(r"-([A-Za-z0-9]+)", group)
        if m:
            flags.update((c, False) for c in m.group(1))
        m = re.fullmatch(r"-([A-Za-z0-9]) \S+", group)
        if m:
            flags[m.group(1)] = True
    check(len(flags) >= 4, f"too few flags found in {err!r}")
    return flags


def synopsis_flags(text):
    found = set()
    for line in section(text, "SYNOPSIS").splitlines():
        m = re.match(r"\.Op Fl (\S+)", line)
        if m:
            found.update(m.group(1))
    return found


@test
def flags_documented(t):
    text = page("inetd.8")
    synopsis = synopsis_flags(text)
    options = set(re.findall(r"(?m)^\.It Fl (\S)", text))
    for flag, has_arg in sorted(usage_flags().items()):
        check(flag in synopsis, f"-{flag} is not in the SYNOPSIS of inetd.8")
        check(flag in options, f"-{flag} has no .It Fl {flag} in inetd.8")
    accepted = set(usage_flags())
    for flag in sorted(options - accepted):
        # A flag documented but refused would be a lie in the page.
        status, err = run([f"-{flag}", "-t", "/dev/null"])
        check(status != 64, f"inetd.8 documents -{flag}, not accepted")


def builtin_names(t):
    """The builtins the daemon knows, for stream and for dgram."""
    conf = t.path("builtins.conf")
    with open(conf, "w") as f:
        f.write(f"127.0.0.1:1 stream tcp nowait {ME} internal nosuch\n"
                f"127.0.0.1:1 dgram udp wait {ME} internal nosuch\n")
    _, err = run(["-t", conf])
    names = set()
    for kind in ("stream", "dgram"):
        m = re.search(r"no builtin service named 'nosuch' for " + kind +
                      r" \(there are: ([^)]*)\)", err)
        check(m, f"no list of {kind} builtins in {err!r}")
        names.update(n.strip() for n in m.group(1).split(","))
    return names


@test
def builtins_documented(t):
    names = builtin_names(t)
    check({"echo", "discard", "chargen", "daytime", "time"} <= names,
          f"builtins: {sorted(names)}")
    builtins = section(page("inetd.conf.5"), "BUILTIN SERVICES")
    items = set()
    for line in builtins.splitlines():
        if line.startswith(".It "):
            items.update(re.findall(r"[A-Za-z0-9_-]+", line[4:]))
    for name in sorted(names):
        check(name in items, f"builtin {name} has no .It entry in the "
              "BUILTIN SERVICES section of inetd.conf.5")


@test
def mandoc_lint(t):
    if shutil.which("mandoc") is None:
        raise Skip("mandoc is not installed")
    for name in PAGES:
        done = subprocess.run(["mandoc", "-Tlint", "-Wwarning",
                               os.path.join(TOP, name)],
                              capture_output=True, timeout=30)
        out = (done.stdout + done.stderr).decode(errors="replace").strip()
        check(not out and done.returncode == 0, f"{name}: {out}")


@test
def pages_cover_topics(t):
    """The sections a sysadmin looks for are there."""
    need = {
        "inetd.8": ("SYNOPSIS", "DESCRIPTION", "SIGNALS", "LOGGING",
                    "ENVIRONMENT", "FILES", "EXIT STATUS", "EXAMPLES",
                    "SEE ALSO"),
        "inetd.conf.5": ("DESCRIPTION", "BUILTIN SERVICES", "FILES",
                         "EXAMPLES"),
    }
    for name, titles in need.items():
        text = page(name)
        for title in titles:
            check(re.search(r"(?m)^\.Sh " + re.escape(title) + "$", text),
                  f"{name} has no {title} section")
    examples = section(page("inetd.8"), "EXAMPLES") + \
        section(page("inetd.conf.5"), "EXAMPLES")
    for what, pattern in (("nc forwarding", r"nowait\s+nobody\s+/\S*/nc"),
                          ("a script as nobody", r"nowait\s+nobody\s+/"),
                          ("dgram wait tftp", r"tftp\s+dgram\s+udp\s+wait")):
        check(re.search(pattern, examples), f"no EXAMPLES line for {what}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
