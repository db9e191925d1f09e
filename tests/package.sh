#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The Debian package and the system integration files, run once by
# tests/check.sh (and by `make check-deb`):
#   - `make deb` builds it (dpkg-buildpackage in a copy of the tree);
#   - dpkg-deb -I / -c: metadata (Provides/Conflicts/Replaces
#     inet-superserver and openbsd-inetd, Depends with tcpd, Pre-Depends,
#     the trigger, conffiles) and files where Debian has them;
#   - dpkg --root into a scratch root (maintainer scripts chrootless, with
#     DPKG_ROOT): /etc/inetd.conf created once and then left alone, and
#     removed by a purge when no service is left in it;
#   - in a scratch root, inetd.service stays enabled (deb-systemd-helper's
#     state) when openbsd-inetd, which uses the same unit name, is purged;
#   - apt-get -s with a private dpkg status and cache: tcpd comes with us,
#     and talkd (`openbsd-inetd | xinetd`) installs beside us;
#   - lintian -I -E --pedantic reports nothing (debian/lintian-overrides
#     says why for what it would);
#   - update-inetd(8) --file adds, disables, enables and removes a service
#     in our default inetd.conf, and `inetd -t` accepts every step; it adds
#     tftp to it; and its SIGHUP through /run/inetd.pid (a private /run in
#     a mount namespace) makes a running inetd serve the service it added;
#   - the LSB init script starts, reloads (refusing a bad file), reports
#     status and stops a daemon on a loopback high port; it starts one
#     on a file with a bad line, which serves the rest; reload and
#     force-reload of a stopped daemon succeed quietly; its upgrade action
#     has the running daemon replace itself, keeping a connection; the
#     daemon's messages at start come after the LSB status line;
#   - tests/install.sh installs it with apt and dpkg in a private root
#     (an overlay over /) next to Debian's openbsd-inetd, tcpd and talkd;
#   - systemd-analyze verifies the unit.
# Nothing outside a temporary directory is written: no /etc, no dpkg
# database, apt state or log of this machine.  Prints "PASS name" /
# "FAIL name: why" and "N passed, M failed".
set -u
cd "$(dirname "$0")/.."
TOP=$(pwd)

# shellcheck source=tests/report.sh
. tests/report.sh
TMP=$(mktemp -d /tmp/inetd-package.XXXXXX)
chmod 0755 "$TMP"
DAEMON_PIDFILE=$TMP/run/inetd.pid
cleanup() {
	if [ -s "$DAEMON_PIDFILE" ]; then
		kill "$(cat "$DAEMON_PIDFILE")" 2>/dev/null
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT

# ------------------------------------------------------------------ build
if ! make -s deb DEBDIR="$TMP/deb" >"$TMP/build.log" 2>&1; then
	fail deb_build "$(tail -n 5 "$TMP/build.log" | tr '\n' ' ')"
	finish
fi
DEB=$(ls "$TMP"/deb/inetd_*.deb 2>/dev/null | head -n 1)
if [ -z "$DEB" ]; then
	fail deb_build "no inetd_*.deb in $TMP/deb"
	finish
fi
pass deb_build

# --------------------------------------------------------------- metadata
field() { dpkg-deb -f "$DEB" "$1"; }
check_metadata() {
	local depends
	[ "$(field Package)" = inetd ] ||
	    { echo "Package $(field Package)"; return 1; }
	# openbsd-inetd too: what depends on `openbsd-inetd | xinetd`
	# (talkd) accepts us, and dpkg takes its files over.
	for f in Provides Conflicts Replaces; do
		[ "$(field $f)" = "inet-superserver, openbsd-inetd" ] ||
		    { echo "$f: $(field $f)"; return 1; }
	done
	# tcpd: the lines packages add run /usr/sbin/tcpd.
	depends=$(field Depends)
	for dep in libwrap0 libc6 update-inetd tcpd; do
		case ", $depends," in
		*", $dep "*|*", $dep,"*) ;;
		*) echo "Depends lacks $dep: $depends"; return 1 ;;
		esac
	done
	# The postinst calls update-rc.d and deb-systemd-helper under set -e.
	[ "$(field Pre-Depends)" = "init-system-helpers (>= 1.54~)" ] ||
	    { echo "Pre-Depends: $(field Pre-Depends)"; return 1; }
	case "$(field Maintainer)" in
	*@localhost*|*@*.localdomain*|*'<>'*)
		echo "Maintainer: $(field Maintainer)"; return 1 ;;
	esac
	dpkg-deb -I "$DEB" triggers | grep -qx \
	    'interest-noawait /etc/init.d/openbsd-inetd' ||
	    { echo "no trigger on openbsd-inetd's purge"; return 1; }
	# libbsd is linked in (see the Makefile): named, not depended on.
	case "$(field Static-Built-Using)" in
	"libbsd (= "*) ;;
	*) echo "Static-Built-Using: $(field Static-Built-Using)"; return 1 ;;
	esac
	dpkg-deb -I "$DEB" conffiles >"$TMP/conffiles" || return 1
	printf '/etc/default/inetd\n/etc/init.d/inetd\n' |
	    diff - "$TMP/conffiles" || return 1
	for script in postinst prerm postrm; do
		dpkg-deb -I "$DEB" "$script" | sh -n || return 1
	done
}
run deb_metadata check_metadata

# --------------------------------------------------------------- contents
X=$TMP/x
dpkg-deb -x "$DEB" "$X"
check_contents() {
	local f
	for f in usr/sbin/inetd etc/init.d/inetd; do
		[ -f "$X/$f" ] && [ -x "$X/$f" ] ||
		    { echo "$f missing or not executable"; return 1; }
	done
	for f in usr/share/man/man8/inetd.8.gz \
	    usr/share/man/man5/inetd.conf.5.gz \
	    lib/systemd/system/inetd.service etc/default/inetd \
	    usr/share/inetd/inetd.conf usr/share/doc/inetd/copyright \
	    usr/share/doc/inetd/changelog.gz; do
		[ -f "$X/$f" ] || { echo "$f missing"; return 1; }
	done
	[ -d "$X/etc/inetd.d" ] || { echo "etc/inetd.d missing"; return 1; }
	# Created by postinst when missing, never shipped: an admin's or
	# another inetd's file must not be clobbered.
	[ ! -e "$X/etc/inetd.conf" ] ||
	    { echo "etc/inetd.conf shipped"; return 1; }
	grep -qx 'INETD_OPTS="-wW -C 60"' "$X/etc/default/inetd" ||
	    { echo "etc/default/inetd lacks FreeBSD's -wW -C 60"; return 1; }
	grep -q '^ExecStart=/usr/sbin/inetd -i \$INETD_OPTS$' \
	    "$X/lib/systemd/system/inetd.service" ||
	    { echo "unit ExecStart"; return 1; }
	grep -q '^DAEMON=/usr/sbin/inetd$' "$X/etc/init.d/inetd" ||
	    { echo "init script DAEMON"; return 1; }
}
run deb_contents check_contents

check_shipped_files_work() {
	# Everything in the default file is commented out: nothing listens.
	local page lint
	"$X/usr/sbin/inetd" -t "$X/usr/share/inetd/inetd.conf" || return 1
	for page in man8/inetd.8 man5/inetd.conf.5; do
		lint=$(zcat "$X/usr/share/man/$page.gz" |
		    mandoc -Tlint -Wwarning 2>&1)
		[ -z "$lint" ] || { echo "$page: $lint"; return 1; }
	done
}
run deb_binary_and_pages check_shipped_files_work

# ---------------------------------------- install into a scratch root
R=$TMP/root
dpkg_root() {
	dpkg --root="$R" --log="$TMP/dpkg.log" --force-script-chrootless \
	    --force-depends --force-not-root "$@"
}
new_root() {
	rm -rf "$R"
	mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/etc"
	: >"$R/var/lib/dpkg/status"
}
check_install() {
	new_root
	dpkg_root -i "$DEB" || return 1
	cmp "$R/etc/inetd.conf" "$X/usr/share/inetd/inetd.conf" ||
	    { echo "postinst did not create /etc/inetd.conf"; return 1; }
	[ -f "$R/usr/sbin/inetd" ] || return 1
	# The untouched template, or one whose services are all commented
	# out, goes with a purge, as openbsd-inetd's does.
	printf '#<off># daytime\tstream\ttcp\tnowait\troot\tinternal\n' \
	    >>"$R/etc/inetd.conf"
	dpkg_root -P inetd || return 1
	[ ! -e "$R/etc/inetd.conf" ] ||
	    { echo "purge left a file without services"; return 1; }
	dpkg_root -i "$DEB" || return 1
	# An admin's file survives a reinstall, a removal and a purge.
	echo "daytime stream tcp nowait root internal" >>"$R/etc/inetd.conf"
	cp "$R/etc/inetd.conf" "$TMP/mine.conf"
	dpkg_root -i "$DEB" || return 1
	cmp "$R/etc/inetd.conf" "$TMP/mine.conf" ||
	    { echo "reinstall changed /etc/inetd.conf"; return 1; }
	dpkg_root -r inetd || return 1
	[ ! -e "$R/usr/sbin/inetd" ] || { echo "binary left"; return 1; }
	[ -e "$R/etc/default/inetd" ] || { echo "conffile removed"; return 1; }
	dpkg_root -P inetd || return 1
	[ ! -e "$R/etc/default/inetd" ] ||
	    { echo "purge left conffile"; return 1; }
	cmp "$R/etc/inetd.conf" "$TMP/mine.conf" ||
	    { echo "purge changed /etc/inetd.conf"; return 1; }
}
run deb_install_scratch_root check_install

# ------------------------------------- openbsd-inetd and the shared unit
# openbsd-inetd ships the same unit name, inetd.service, and its postrm
# runs `deb-systemd-helper purge inetd.service`, which deletes the links
# and the state deb-systemd-helper keeps for that name (in
# /var/lib/systemd/deb-systemd-helper-enabled), whichever package made
# them.  A stand-in with its files and its maintainer script snippets
# (dh_installsystemd's, as in bookworm's 0.20221205-2~deb12u1; DPKG_ROOT
# added to its rm of inetd.conf) goes through dpkg in a scratch root.
# deb-systemd-helper follows DPKG_ROOT and, with no systemctl in that
# root, makes the links itself: no systemd runs or is asked anything.
make_openbsd_inetd() {
	local d=$TMP/openbsd-inetd
	mkdir -p "$d/DEBIAN" "$d/lib/systemd/system" "$d/etc/init.d"
	cat >"$d/DEBIAN/control" <<-EOF
	Package: openbsd-inetd
	Version: 0.20221205-2~deb12u1
	Architecture: all
	Maintainer: test <test@example.org>
	Provides: inet-superserver
	Description: stand-in for openbsd-inetd
	EOF
	printf '[Service]\nExecStart=/usr/sbin/inetd -i\n[Install]\n%s\n' \
	    'WantedBy=multi-user.target' >"$d/lib/systemd/system/inetd.service"
	printf '#!/bin/sh\nexit 0\n' >"$d/etc/init.d/openbsd-inetd"
	chmod 0755 "$d/etc/init.d/openbsd-inetd"
	echo /etc/init.d/openbsd-inetd >"$d/DEBIAN/conffiles"
	cat >"$d/DEBIAN/postinst" <<-'EOF'
	#!/bin/sh
	set -e
	if [ "$1" = "configure" ]; then
		deb-systemd-helper unmask 'inetd.service' >/dev/null || true
		if deb-systemd-helper --quiet was-enabled 'inetd.service'; then
			deb-systemd-helper enable 'inetd.service' >/dev/null || true
		else
			deb-systemd-helper update-state 'inetd.service' >/dev/null || true
		fi
	fi
	EOF
	cat >"$d/DEBIAN/postrm" <<-'EOF'
	#!/bin/sh -e
	if [ "$1" = "purge" ]; then
	  if [ -e "$DPKG_ROOT/etc/inetd.conf" ] &&
	      ! grep -q '^[[:alnum:][/]' "$DPKG_ROOT/etc/inetd.conf"; then
	    rm "$DPKG_ROOT/etc/inetd.conf"
	  fi
	fi
	if [ "$1" = "purge" ]; then
		if [ -x "/usr/bin/deb-systemd-helper" ]; then
			deb-systemd-helper purge 'inetd.service' >/dev/null || true
		fi
	fi
	EOF
	chmod 0755 "$d/DEBIAN/postinst" "$d/DEBIAN/postrm"
	dpkg-deb --root-owner-group -b "$d" "$TMP/openbsd-inetd.deb" >/dev/null
}
# dpkg runs no trigger of a package whose dependencies are not met:
# empty packages stand in for ours.
make_stubs() {
	local d=$TMP/stub pkg
	for pkg in libc6:2.36-9 libwrap0:7.6.q-32 update-inetd:4.53 \
	    tcpd:7.6.q-32 init-system-helpers:1.65.2; do
		rm -rf "$d"
		mkdir -p "$d/DEBIAN"
		printf '%s\n' "Package: ${pkg%%:*}" "Version: ${pkg#*:}" \
		    'Architecture: all' 'Maintainer: test <test@example.org>' \
		    'Description: stand-in' >"$d/DEBIAN/control"
		dpkg-deb --root-owner-group -b "$d" "$TMP/stubs/${pkg%%:*}.deb" \
		    >/dev/null || return 1
	done
}
WANTS=etc/systemd/system/multi-user.target.wants/inetd.service
unit_enabled() {
	[ -L "$R/$WANTS" ] &&
	    DPKG_ROOT=$R DPKG_MAINTSCRIPT_PACKAGE=inetd \
	    deb-systemd-helper --quiet is-enabled inetd.service
}
check_openbsd_inetd_purge() {
	mkdir -p "$TMP/stubs"
	make_openbsd_inetd && make_stubs || return 1
	new_root
	dpkg_root -i "$TMP"/stubs/*.deb || return 1
	dpkg_root -i "$TMP/openbsd-inetd.deb" || return 1
	unit_enabled || { echo "stand-in did not enable its unit"; return 1; }
	# What `apt install ./inetd_*.deb` does: dpkg removes openbsd-inetd
	# in favour of inetd (Conflicts + Replaces), its conffiles stay.
	dpkg_root -i "$DEB" || return 1
	unit_enabled || { echo "not enabled after install"; return 1; }
	dpkg_root -P openbsd-inetd || return 1
	unit_enabled || { echo "disabled by openbsd-inetd's purge"; return 1; }
	[ -f "$R/etc/inetd.conf" ] ||
	    { echo "no /etc/inetd.conf after openbsd-inetd's purge"; return 1; }
	# Our own purge still disables it, and leaves no state.
	dpkg_root -P inetd || return 1
	[ ! -L "$R/$WANTS" ] || { echo "purge left the unit enabled"; return 1; }
	[ ! -e "$R/var/lib/systemd/deb-systemd-helper-enabled/inetd.service.dsh-also" ] ||
	    { echo "purge left deb-systemd-helper's state"; return 1; }
	# The other way round: openbsd-inetd installed after us keeps its
	# unit enabled when we are purged.
	dpkg_root -i "$DEB" || return 1
	dpkg_root -r inetd || return 1
	dpkg_root -i "$TMP/openbsd-inetd.deb" || return 1
	dpkg_root -P inetd || return 1
	unit_enabled || { echo "our purge disabled openbsd-inetd's unit"; return 1; }
}
if command -v deb-systemd-helper >/dev/null; then
	run deb_unit_enabled_after_openbsd_inetd_purge check_openbsd_inetd_purge
else
	echo "SKIP deb_unit_enabled_after_openbsd_inetd_purge: no deb-systemd-helper"
fi

# ------------------------------------------------------------------- apt
# apt-get -s against Debian's archive with a private dpkg status, cache and
# lists: what apt would install, nothing installed.  The machine's lists
# are read when it has some, else fetched into the test directory.
APT=$TMP/apt
apt_sim() {
	apt-get -q -o Dir::State::status="$APT/status" \
	    -o Dir::Cache="$APT/cache" \
	    -o Dir::State::extended_states="$APT/extended_states" \
	    -o Debug::NoLocking=1 ${APT_LISTS:+-o Dir::State::Lists="$APT_LISTS"} \
	    "$@"
}
apt_lists() {
	mkdir -p "$APT/cache"
	: >"$APT/status"
	ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1 && return 0
	[ "$(id -u)" = 0 ] || return 1
	APT_LISTS=$APT/lists
	mkdir -p "$APT_LISTS/partial"
	apt_sim update >"$APT/update.log" 2>&1 &&
	    ls "$APT_LISTS"/*_Packages* >/dev/null 2>&1
}
# apt_plan OUT ARGS...: the Inst/Remv lines of `apt-get -s ARGS`.
apt_plan() {
	local out=$1
	shift
	apt_sim -s "$@" >"$out.log" 2>&1 ||
	    { tail -n 5 "$out.log"; return 1; }
	grep -E '^(Inst|Remv) ' "$out.log" | cut -d' ' -f1,2 >"$out"
}
check_apt() {
	local p deps
	# A fresh system: our package and talkd, which Depends on
	# `openbsd-inetd | xinetd`, together, with tcpd pulled in.
	apt_plan "$APT/fresh" install "$DEB" talkd || return 1
	for p in inetd talkd tcpd; do
		grep -qx "Inst $p" "$APT/fresh" ||
		    { echo "fresh: $p not installed"; return 1; }
	done
	if grep -E '^Inst (openbsd-inetd|xinetd)$' "$APT/fresh"; then
		echo "fresh: another inetd chosen"
		return 1
	fi
	# This machine with inetd installed: `apt-get install talkd` keeps
	# it.  Our dependencies are named too, for those this machine lacks.
	cp /var/lib/dpkg/status "$APT/status"
	{
		echo
		dpkg-deb -f "$DEB" | sed '/^Description:/,$d'
		echo "Status: install ok installed"
		echo "Description: inetd"
	} >>"$APT/status"
	deps=$(dpkg-deb -f "$DEB" Pre-Depends Depends | cut -d' ' -f2- |
	    tr ',' '\n' | sed 's/[[:space:]]*(.*//; s/^[[:space:]]*//')
	# shellcheck disable=SC2086
	apt_plan "$APT/added" install talkd $deps || return 1
	grep -qx "Inst talkd" "$APT/added" ||
	    { echo "talkd not installed"; return 1; }
	if grep -E '^(Remv inetd|Inst openbsd-inetd|Inst xinetd)$' \
	    "$APT/added"; then
		echo "installing talkd replaces inetd"
		return 1
	fi
}
if ! apt_lists; then
	echo "SKIP apt_dependencies: no apt lists, and none fetched" \
	    "(needs root and Debian's archive)"
else
	run apt_dependencies check_apt
fi

# ---------------------------------------------------------------- lintian
check_lintian() {
	local out
	out=$(lintian -I -E --pedantic "$DEB" 2>&1 |
	    grep -v '^running with root privileges')
	[ -z "$out" ] || { echo "$out"; return 1; }
}
if command -v lintian >/dev/null; then
	run lintian check_lintian
else
	echo "SKIP lintian: lintian is not installed (make deps)"
fi

# ----------------------------------------------------------- update-inetd
check_update_inetd() {
	local conf=$TMP/update-inetd.conf svc=finger line
	if ! command -v update-inetd >/dev/null; then
		echo "update-inetd not installed"
		return 1
	fi
	cp "$X/usr/share/inetd/inetd.conf" "$conf"
	# FAKE_IT: no inetd of this machine is signalled or restarted.
	export UPDATE_INETD_FAKE_IT=1 DEBIAN_FRONTEND=noninteractive
	uinetd() { update-inetd --file "$conf" "$@" 2>&1 |
	    grep -v 'uninitialized value'; }
	uinetd --group INFO --add \
	    "$svc\tstream\ttcp\tnowait\tnobody\t/usr/bin/id\tid"
	line=$(printf '%s\tstream\ttcp\tnowait\tnobody\t/usr/bin/id\tid' "$svc")
	grep -qxF "$line" "$conf" ||
	    { echo "--add: no entry"; return 1; }
	"$X/usr/sbin/inetd" -t "$conf" 2>&1 | grep -q ': 1 service' ||
	    { echo "-t after --add"; return 1; }
	uinetd --disable "$svc"
	grep -q "^#<off># $svc	" "$conf" || { echo "--disable"; return 1; }
	"$X/usr/sbin/inetd" -t "$conf" 2>&1 | grep -q ': 0 services' ||
	    { echo "-t after --disable"; return 1; }
	uinetd --enable "$svc"
	"$X/usr/sbin/inetd" -t "$conf" 2>&1 | grep -q ': 1 service' ||
	    { echo "-t after --enable"; return 1; }
	uinetd --remove "$svc"
	! grep -q "$svc" "$conf" || { echo "--remove"; return 1; }
	"$X/usr/sbin/inetd" -t "$conf" 2>&1 | grep -q ': 0 services' ||
	    { echo "-t after --remove"; return 1; }
}
run update_inetd check_update_inetd

# update-inetd refuses to add a service whose line a single '#' comments
# out ("entry is commented out by user"): the default file has none.
check_update_inetd_tftp() {
	local conf=$TMP/tftp.conf line
	cp "$X/usr/share/inetd/inetd.conf" "$conf"
	line='tftp\tdgram\tudp\twait\troot\t/usr/sbin/in.tftpd\tin.tftpd -s /srv/tftp'
	UPDATE_INETD_FAKE_IT=1 DEBIAN_FRONTEND=noninteractive \
	    update-inetd --file "$conf" --group BOOT --add "$line" 2>&1 |
	    grep -v 'uninitialized value'
	grep -qxF "$(printf '%b' "$line")" "$conf" ||
	    { echo "--add tftp: no entry"; return 1; }
}
run update_inetd_add_tftp check_update_inetd_tftp

# update-inetd's SIGHUP reaches a running inetd through /run/inetd.pid: a
# private mount namespace with its own /run, so the machine's is untouched.
check_update_inetd_signal() {
	local port=$((21000 + RANDOM % 9000)) conf=$TMP/live.conf
	cp "$X/usr/share/inetd/inetd.conf" "$conf"
	cat >"$TMP/live.sh" <<-EOF
	set -e
	mount -t tmpfs tmpfs /run
	"$X/usr/sbin/inetd" -i -p /run/inetd.pid "$conf" &
	for i in \$(seq 1 50); do
		[ -s /run/inetd.pid ] && break
		sleep 0.1
	done
	DEBIAN_FRONTEND=noninteractive update-inetd --file "$conf" \\
	    --group OTHER --add \\
	    "127.0.0.1:$port\tstream\ttcp\tnowait\troot\tinternal\tdaytime" \\
	    2>&1 | grep -v 'uninitialized value' || :
	ok=1
	for i in \$(seq 1 50); do
		if nc -w 2 127.0.0.1 $port </dev/null | grep -q ':'; then
			ok=0
			break
		fi
		sleep 0.1
	done
	kill \$(cat /run/inetd.pid)
	wait
	exit \$ok
	EOF
	unshare -m --propagation private sh "$TMP/live.sh" ||
	    { echo "service added by update-inetd does not answer"; return 1; }
}
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
	run update_inetd_signals_inetd check_update_inetd_signal
else
	echo "SKIP update_inetd_signals_inetd: needs root and unshare(1)"
fi

# ------------------------------------------------------------ init script
# The shipped script, pointed at the shipped binary, a test pidfile and a
# test /etc/default/inetd.
INIT=$TMP/inetd.init
PORT=$((21000 + RANDOM % 9000))
PORT2=$((PORT + 1))
mkdir -p "$TMP/run"
sed -e "s|^DAEMON=.*|DAEMON=$X/usr/sbin/inetd|" \
    -e "s|^PIDFILE=.*|PIDFILE=$DAEMON_PIDFILE|" \
    -e "s|^DEFAULTS=.*|DEFAULTS=$TMP/default|" "$X/etc/init.d/inetd" >"$INIT"
chmod 0755 "$INIT"
echo "INETD_OPTS=\"-wW -C 60 $TMP/init.conf\"" >"$TMP/default"
echo "127.0.0.1:$PORT stream tcp nowait root internal daytime" >"$TMP/init.conf"

daytime_answers() {
	local i
	for i in $(seq 1 50); do
		nc -w 2 127.0.0.1 "$1" </dev/null 2>/dev/null | grep -q ':' &&
		    return 0
		sleep 0.1
	done
	return 1
}
check_init_script() {
	local pid
	"$INIT" start || { echo "start failed"; return 1; }
	# The detached daemon writes it a moment after the script returns.
	for _ in $(seq 1 50); do
		[ -s "$DAEMON_PIDFILE" ] && break
		sleep 0.1
	done
	[ -s "$DAEMON_PIDFILE" ] || { echo "no pidfile"; return 1; }
	pid=$(cat "$DAEMON_PIDFILE")
	"$INIT" status >/dev/null || { echo "status after start"; return 1; }
	daytime_answers "$PORT" || { echo "daytime on $PORT"; return 1; }
	echo "127.0.0.1:$PORT2 stream tcp nowait root internal daytime" \
	    >>"$TMP/init.conf"
	"$INIT" reload || { echo "reload failed"; return 1; }
	daytime_answers "$PORT2" || { echo "no $PORT2 after reload"; return 1; }
	echo "127.0.0.1:$PORT stream tcp nowait nosuchuser internal echo" \
	    >>"$TMP/init.conf"
	if "$INIT" reload >"$TMP/reload.out" 2>&1; then
		echo "reload of a bad file succeeded"
		return 1
	fi
	grep -q "init.conf:3: .*nosuchuser" "$TMP/reload.out" ||
	    { echo "no file:line: $(cat "$TMP/reload.out")"; return 1; }
	[ "$(cat "$DAEMON_PIDFILE")" = "$pid" ] ||
	    { echo "pid changed"; return 1; }
	daytime_answers "$PORT" ||
	    { echo "daytime gone after bad reload"; return 1; }
	"$INIT" stop || { echo "stop failed"; return 1; }
	"$INIT" status >/dev/null
	[ $? -eq 3 ] || { echo "status after stop is not 3"; return 1; }
	# Reparented to PID 1, it may stay a zombie for a while: not running.
	case $(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null) in
	''|Z) ;;
	*) echo "daemon still runs"; return 1 ;;
	esac
}
run init_script check_init_script

# update-inetd runs force-reload after each change, inetd running or not.
check_init_reload_stopped() {
	local action out
	"$INIT" status >/dev/null && { echo "inetd runs"; return 1; }
	for action in reload force-reload; do
		out=$("$INIT" $action 2>&1) ||
		    { echo "$action failed: $out"; return 1; }
		[ -z "$out" ] || { echo "$action printed: $out"; return 1; }
	done
	[ ! -s "$DAEMON_PIDFILE" ] || { echo "$action started inetd"; return 1; }
}
run init_script_reload_when_stopped check_init_reload_stopped

# upgrade: the running daemon replaces itself with the binary renamed over
# DAEMON (as dpkg does), keeping its PID and a connection opened before;
# without a running daemon the action says 7, "not running".
check_init_upgrade() {
	local pid line bin=$X/usr/sbin/inetd
	"$INIT" upgrade >/dev/null 2>&1
	[ $? -eq 7 ] || { echo "upgrade of a stopped daemon is not 7"; return 1; }
	echo "127.0.0.1:$PORT stream tcp nowait root internal echo" \
	    >"$TMP/init.conf"
	"$INIT" start >/dev/null || { echo "start failed"; return 1; }
	for _ in $(seq 1 50); do
		[ -s "$DAEMON_PIDFILE" ] && nc -z 127.0.0.1 "$PORT" && break
		sleep 0.1
	done
	pid=$(cat "$DAEMON_PIDFILE")
	exec 3<>"/dev/tcp/127.0.0.1/$PORT"
	echo before >&3
	read -r -t 5 line <&3
	cp -p "$bin" "$bin.new" && mv "$bin.new" "$bin"
	"$INIT" upgrade >/dev/null || { echo "upgrade failed"; return 1; }
	[ "$(cat "$DAEMON_PIDFILE")" = "$pid" ] &&
	    [ "$(readlink "/proc/$pid/exe")" = "$bin" ] ||
	    { echo "not the same process running the new binary"; return 1; }
	echo after >&3
	read -r -t 5 line <&3
	exec 3>&-
	[ "$line" = after ] || { echo "connection lost: '$line'"; return 1; }
	"$INIT" stop >/dev/null || { echo "stop failed"; return 1; }
}
run init_script_upgrade check_init_upgrade

# What the daemon prints before it detaches (a port in use) comes on its
# own line after the LSB status line, not glued to it.
check_init_start_messages() {
	local busy=$((PORT + 2)) out holder
	python3 -c 'import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
time.sleep(30)' "$busy" &
	holder=$!
	echo "127.0.0.1:$busy stream tcp nowait root internal daytime" \
	    >"$TMP/init.conf"
	echo "127.0.0.1:$PORT stream tcp nowait root internal daytime" \
	    >>"$TMP/init.conf"
	for _ in $(seq 1 50); do
		nc -z 127.0.0.1 "$busy" 2>/dev/null && break
		sleep 0.1
	done
	out=$("$INIT" start 2>&1)
	kill "$holder"
	wait "$holder" 2>/dev/null
	daytime_answers "$PORT" || { echo "daytime on $PORT"; return 1; }
	"$INIT" stop >/dev/null || { echo "stop failed"; return 1; }
	echo "$out" | grep -q "^inetd\[[0-9]*\]: .*$busy.*in use" ||
	    { echo "no message of its own: $out"; return 1; }
	if echo "$out" | grep -q '.inetd\[[0-9]'; then
		echo "message glued to the status line: $out"
		return 1
	fi
}
run init_script_start_messages check_init_start_messages

# One bad line does not keep inetd from starting (at boot, say): it
# serves the valid entries and reports the bad one after the status line.
check_init_start_bad_line() {
	local out
	{
		echo "127.0.0.1:$PORT stream tcp nowait nosuchuser internal echo"
		echo "127.0.0.1:$PORT2 stream tcp nowait root internal daytime"
	} >"$TMP/init.conf"
	out=$("$INIT" start 2>&1) || { echo "start failed: $out"; return 1; }
	daytime_answers "$PORT2" || { echo "daytime on $PORT2"; return 1; }
	"$INIT" stop >/dev/null || { echo "stop failed"; return 1; }
	echo "$out" | grep -q "init.conf:1: .*nosuchuser" ||
	    { echo "bad line not reported: $out"; return 1; }
}
run init_script_start_bad_line check_init_start_bad_line

# ------------------------------------------------ install in a private root
# tests/install.sh: apt and dpkg on this machine's system seen through an
# overlay, in private namespaces, with Debian's tcpd, openbsd-inetd and
# talkd (make test-debs).
DEBS=$TOP/build/test-debs
check_install_private_root() {
	local out=$TMP/install.out
	mkdir "$TMP/install"
	bash tests/install.sh "$DEB" "$DEBS" "$TMP/install" >"$out" 2>&1
	grep -E '^(PASS|FAIL) ' "$out"
	npass=$((npass + $(grep -c '^PASS ' "$out")))
	nfail=$((nfail + $(grep -c '^FAIL ' "$out")))
	grep -qE '^[0-9]+ passed, [0-9]+ failed$' "$out" ||
	    fail install "ended without a summary: $(tail -n 3 "$out" |
	    tr '\n' ' ')"
}
if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null; then
	echo "SKIP install: needs root and unshare(1)"
elif ! ls "$DEBS"/tcpd_*.deb "$DEBS"/openbsd-inetd_*.deb \
    "$DEBS"/talkd_*.deb >/dev/null 2>&1; then
	echo "SKIP install: no tcpd, openbsd-inetd and talkd in $DEBS" \
	    "(make test-debs)"
else
	check_install_private_root
fi

# ------------------------------------------------------------ systemd unit
check_unit() {
	mkdir -p "$TMP/unit"
	sed "s|/usr/sbin/inetd|$X/usr/sbin/inetd|g" \
	    "$X/lib/systemd/system/inetd.service" >"$TMP/unit/inetd.service"
	systemd-analyze verify --man=no "$TMP/unit/inetd.service" || return 1
	grep -qx 'Type=notify' "$TMP/unit/inetd.service" &&
	    grep -q '^WatchdogSec=' "$TMP/unit/inetd.service" &&
	    ! grep -q '^ExecStartPre=.* -t ' "$TMP/unit/inetd.service" &&
	    grep -q '^ExecReload=.* -t ' "$TMP/unit/inetd.service" &&
	    grep -q '^ExecReload=/bin/kill -HUP \$MAINPID' \
	    "$TMP/unit/inetd.service" &&
	    grep -q '^EnvironmentFile=-/etc/default/inetd' \
	    "$TMP/unit/inetd.service"
}
if command -v systemd-analyze >/dev/null; then
	run systemd_unit check_unit
else
	echo "SKIP systemd_unit: systemd-analyze is not installed"
fi

finish
