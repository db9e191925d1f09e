#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The built package installed as an administrator replacing openbsd-inetd
# would, with apt and dpkg, on this machine's own system seen through an
# overlay: its /, read-only below, and a tmpfs above that takes every
# write.  Private mount, network and PID namespaces: the machine's
# /etc, dpkg database and ports are untouched, only loopback exists, and
# every process started inside ends with the test.  Run as root by
# tests/package.sh, which builds the package:
#
#   tests/install.sh DEB DEBDIR WORKDIR
#
# DEBDIR holds tcpd, openbsd-inetd and talkd from Debian's archive
# (`make test-debs` fetches them); WORKDIR is an empty directory.
#   - apt-get -s: the package pulls tcpd in, and talkd (`openbsd-inetd
#     | xinetd`) installs beside it, nothing removed;
#   - dpkg -i replaces an installed openbsd-inetd; purging openbsd-inetd
#     leaves inetd.service enabled (link and deb-systemd-helper state);
#   - the init script starts the daemon; update-inetd --add, --disable,
#     --enable and --remove of a plain `tcp` line, and the daemon
#     follows each, on 127.0.0.1 and ::1; a line through tcpd runs;
#   - talkd's own postinst adds its services and the daemon binds them;
#   - the same package installed again upgrades the running daemon in
#     place: same process, still serving.
# Prints "PASS name" / "FAIL name: why" and "N passed, M failed".
set -u

if [ "$#" -ne 3 ]; then
	echo "usage: $0 DEB DEBDIR WORKDIR" >&2
	exit 2
fi
if [ -z "${INETD_INSTALL_NS:-}" ]; then
	INETD_INSTALL_NS=1 exec unshare -m -n -p -f --propagation private \
	    bash "$0" "$@"
fi
DEB=$1 DEBS=$2 W=$3
R=$W/root
INETD_DEB=/tmp/debs/$(basename "$DEB")
export DEBIAN_FRONTEND=noninteractive

# shellcheck source=tests/report.sh
. "$(dirname "$0")/report.sh"

# A command in the root, as root there.
in_root() { chroot "$R" "$@"; }
deb_of() { ls "$DEBS/$1"_*.deb 2>/dev/null | head -n 1; }

# The root: / through the overlay, with its own /proc (of this PID
# namespace), /run and /tmp.  Maintainer scripts start nothing
# (policy-rc.d); the test starts the daemon itself.  No man-db rebuild,
# and TCP wrappers rules of its own that allow everything.
make_root() {
	local p
	mount -t tmpfs tmpfs "$W" || return 1
	mkdir "$W/upper" "$W/work" "$R" || return 1
	mount -t overlay overlay \
	    -o "lowerdir=/,upperdir=$W/upper,workdir=$W/work" "$R" || return 1
	mount -t proc proc "$R/proc" &&
	    mount --rbind /dev "$R/dev" &&
	    mount -t tmpfs tmpfs "$R/run" &&
	    mount -t tmpfs tmpfs "$R/tmp" || return 1
	ip link set lo up || return 1
	mkdir "$R/tmp/debs"
	for p in tcpd openbsd-inetd talkd; do
		[ -n "$(deb_of $p)" ] || { echo "no $p in $DEBS"; return 1; }
		cp "$(deb_of $p)" "$R/tmp/debs/$p.deb"
	done
	cp "$DEB" "$R$INETD_DEB"
	printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"
	chmod 0755 "$R/usr/sbin/policy-rc.d"
	rm -f "$R/var/lib/man-db/auto-update"
	: >"$R/etc/hosts.allow"
	: >"$R/etc/hosts.deny"
	# An administrator's machine without tcpd, inetd or talkd yet.
	for p in inetd talkd tcpd openbsd-inetd; do
		if in_root dpkg -s "$p" >/dev/null 2>&1; then
			in_root dpkg --purge --force-depends "$p" >/dev/null ||
			    return 1
		fi
	done
}

# apt_plan ARGS...: the Inst/Remv lines of `apt-get -s ARGS` in the root.
apt_plan() {
	in_root apt-get -q -s -o Debug::NoLocking=1 "$@" 2>&1 |
	    grep -E '^(Inst|Remv) ' | cut -d' ' -f1,2
}
check_apt() {
	local plan
	plan=$(apt_plan install "$INETD_DEB")
	echo "$plan" | grep -qx 'Inst tcpd' ||
	    { echo "tcpd not pulled in: $plan"; return 1; }
	if echo "$plan" | grep -E '^Inst (openbsd-inetd|xinetd)$'; then
		echo "another inetd pulled in"
		return 1
	fi
	plan=$(apt_plan install "$INETD_DEB" talkd)
	echo "$plan" | grep -qx 'Inst talkd' ||
	    { echo "talkd not installable beside inetd: $plan"; return 1; }
	if echo "$plan" | grep -E '^(Remv inetd|Inst (openbsd-inetd|xinetd))$'
	then
		echo "talkd brings another inetd"
		return 1
	fi
}

status_of() {
	in_root dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null |
	    tr -d ' '
}
WANTS=/etc/systemd/system/multi-user.target.wants/inetd.service
unit_enabled() {
	[ -L "$R$WANTS" ] && DPKG_MAINTSCRIPT_PACKAGE=inetd \
	    in_root deb-systemd-helper --quiet is-enabled inetd.service
}
# What `apt install ./inetd_*.deb` does on a host with openbsd-inetd:
# dpkg removes it in favour of inetd (Conflicts + Replaces); then the
# administrator purges it, and its postrm purges the unit name we share.
check_dpkg() {
	in_root dpkg -i /tmp/debs/tcpd.deb /tmp/debs/openbsd-inetd.deb ||
	    return 1
	unit_enabled || { echo "openbsd-inetd's unit not enabled"; return 1; }
	in_root dpkg -i "$INETD_DEB" || return 1
	# Removed, its conffiles kept: "rc" (or "ic").
	[ "$(status_of inetd)" = ii ] &&
	    [ "$(status_of openbsd-inetd | cut -c2)" = c ] ||
	    { echo "inetd $(status_of inetd), openbsd-inetd" \
	    "$(status_of openbsd-inetd)"; return 1; }
	in_root dpkg --purge openbsd-inetd || return 1
	unit_enabled || { echo "disabled by openbsd-inetd's purge"; return 1; }
	[ -f "$R/etc/inetd.conf" ] || { echo "no /etc/inetd.conf"; return 1; }
}

# answers HOST PORT PATTERN: within 5 s, a connection gets a reply
# matching PATTERN; refused HOST PORT: within 5 s, connections fail.
answers() {
	local i
	for i in $(seq 1 50); do
		in_root nc -w 2 "$1" "$2" </dev/null 2>/dev/null |
		    grep -q "$3" && return 0
		sleep 0.1
	done
	echo "nothing like '$3' from $1 port $2"
	return 1
}
refused() {
	local i
	for i in $(seq 1 50); do
		in_root nc -z -w 2 "$1" "$2" 2>/dev/null || return 0
		sleep 0.1
	done
	echo "$1 port $2 still answers"
	return 1
}
both_answer() { answers 127.0.0.1 "$1" "$2" && answers ::1 "$1" "$2"; }
both_refused() { refused 127.0.0.1 "$1" && refused ::1 "$1"; }

check_start() {
	in_root /etc/init.d/inetd start || return 1
	for _ in $(seq 1 50); do
		[ -s "$R/run/inetd.pid" ] && break
		sleep 0.1
	done
	in_root /etc/init.d/inetd status
}

# update-inetd signals the daemon through /run/inetd.pid after each
# change.  openbsd-inetd's file comments daytime out with a single '#',
# which update-inetd leaves to the administrator: qotd (port 17 of this
# network namespace's own loopback) is served by the daytime builtin.
uinetd() {
	in_root update-inetd "$@" 2>&1 | grep -v 'uninitialized value'
	return 0
}
check_update_inetd() {
	local line='qotd\tstream\ttcp\tnowait\troot\tinternal\tdaytime'
	uinetd --group OTHER --add "$line"
	grep -q "^qotd	stream	tcp	" "$R/etc/inetd.conf" ||
	    { echo "--add wrote no line"; return 1; }
	both_answer 17 ':' || { echo "after --add"; return 1; }
	uinetd --disable qotd
	both_refused 17 || { echo "after --disable"; return 1; }
	uinetd --enable qotd
	both_answer 17 ':' || { echo "after --enable"; return 1; }
	uinetd --remove qotd
	both_refused 17 || { echo "after --remove"; return 1; }
	! grep -q 'qotd' "$R/etc/inetd.conf" ||
	    { echo "--remove left the line"; return 1; }
}

# A line as fingerd's postinst writes it, through tcpd, which came as a
# dependency.
check_tcpd_line() {
	uinetd --group INFO --add \
	    'finger\tstream\ttcp\tnowait\tnobody\t/usr/sbin/tcpd\t/usr/bin/id'
	both_answer 79 'uid=65534' || return 1
	uinetd --remove finger
	both_refused 79
}

# talkd's postinst adds talk and ntalk (udp) with update-inetd.
check_talkd() {
	in_root dpkg -i /tmp/debs/talkd.deb || return 1
	for _ in $(seq 1 50); do
		ss -Hlun | grep -q ':518 ' && return 0
		sleep 0.1
	done
	echo "ntalk not bound: $(grep talk "$R/etc/inetd.conf")"
	return 1
}

# The same package again, as apt upgrades it: the postinst has the
# running daemon replace itself (SIGUSR2), so the process stays, its
# image now started with the state of the old one, and it still serves.
check_postinst_upgrade() {
	local pid
	pid=$(cat "$R/run/inetd.pid") || return 1
	# From now on maintainer scripts act, as on a real system.
	rm -f "$R/usr/sbin/policy-rc.d"
	in_root dpkg -i "$INETD_DEB" >/dev/null 2>&1 ||
	    { echo "dpkg -i of the same package failed"; return 1; }
	[ "$(cat "$R/run/inetd.pid")" = "$pid" ] && kill -0 "$pid" ||
	    { echo "inetd $pid replaced by $(cat "$R/run/inetd.pid")"; \
	    return 1; }
	for _ in $(seq 1 50); do
		tr '\0' '\n' <"$R/proc/$pid/environ" |
		    grep -q '^INETD_UPGRADE_FD=' && break
		sleep 0.1
	done
	tr '\0' '\n' <"$R/proc/$pid/environ" | grep -q '^INETD_UPGRADE_FD=' ||
	    { echo "inetd $pid was not upgraded in place"; return 1; }
	ss -Hlun | grep -q ':518 ' || { echo "ntalk no longer bound"; return 1; }
}

if ! out=$(make_root 2>&1); then
	fail install_root "$(echo "$out" | tail -n 3 | tr '\n' ' ')"
	finish
fi
run install_apt_dependencies check_apt
run install_replaces_openbsd_inetd_unit_enabled check_dpkg
if [ "$(status_of inetd)" != ii ]; then
	fail install_daemon "inetd is not installed"
	finish
fi
run install_init_script_starts check_start
run install_update_inetd_flows check_update_inetd
run install_tcpd_line check_tcpd_line
run install_talkd check_talkd
run install_postinst_upgrade_in_place check_postinst_upgrade
in_root /etc/init.d/inetd stop >/dev/null 2>&1
finish
