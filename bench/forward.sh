#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/forward.sh: inetd's forward builtin against rinetd and socat.
#
#   bash bench/forward.sh INETD SCRATCHDIR
#
# Over 127.0.0.1, with bench/fwdbench.c as backend and client: MiB/s of one
# 1 GiB stream and conn/s of 64-byte exchanges at concurrency 1 and 16,
# through a direct connection (the ceiling), a bare splice relay (the
# floor of a splice forwarder: the stream only), inetd's forward, rinetd
# and `socat TCP-LISTEN:...,fork` (from Debian's packages, fetched with
# apt-get download and unpacked with dpkg -x into SCRATCHDIR, never
# installed); then 10,000 connections held through inetd, with its memory
# per connection.  Each figure is the median of FWD_ROUNDS runs (default
# 3); beside it, the CPU time the forwarder spent per GiB and per
# connection, which the other load of a shared machine disturbs less.
# Prints a markdown table and puts it in bench/RESULTS.md, in the section
# between the "forward" markers.  Run as root (raises descriptor limits).
# Not part of make check.
set -eu

INETD=$(realpath "$1")
SCRATCH=$2
ROUNDS=${FWD_ROUNDS:-3}
HOLD=${FWD_HOLD:-10000}
HERE=$(dirname "$(realpath "$0")")
W=$SCRATCH/forward
BACKEND_PORT=23190
FWD_PORT=23191
RELAY_PORT=23192
mkdir -p "$W"
W=$(realpath "$W")

cc -std=gnu11 -D_GNU_SOURCE -O2 -Wall -Wextra -o "$W/fwdbench" \
    "$HERE/fwdbench.c"
B=$W/fwdbench

fetch() {
	if [ ! -x "$W/root/usr/sbin/rinetd" ] || [ ! -x "$W/root/usr/bin/socat" ]
	then
		(cd "$W" && { apt-get download rinetd socat >/dev/null 2>&1 ||
		    { apt-get update >/dev/null 2>&1 &&
		    apt-get download rinetd socat >/dev/null; }; })
		for deb in "$W"/rinetd_*.deb "$W"/socat_*.deb; do
			dpkg -x "$deb" "$W/root"
		done
	fi
}

PIDS=
stop_all() {
	for pid in $PIDS; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in $PIDS; do
		wait "$pid" 2>/dev/null || true
	done
	PIDS=
}
trap stop_all EXIT INT TERM

# Waits (at most 10 s) until something accepts on the port.
wait_port() {
	i=0
	while ! (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || { echo "port $1 never opened" >&2; exit 1; }
		sleep 0.1
	done
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# CPU time of a process and its reaped children, in clock ticks.
ticks() {
	[ "$1" = - ] && { echo 0; return; }
	stat=$(cat /proc/"$1"/stat)
	echo "${stat##*) }" | awk '{ print $12 + $13 + $14 + $15 }'
}

# pid what... : the median of ROUNDS runs, and the forwarder's CPU time
# per unit of work (per GiB or per connection) over all of them, in ms or
# microseconds: a figure that other load on the machine disturbs less.
measure() {
	pid=$1
	shift
	t0=$(ticks "$pid")
	r=0
	: >"$W/runs"
	while [ $r -lt "$ROUNDS" ]; do
		"$B" "$@" >>"$W/runs"
		r=$((r + 1))
	done
	t1=$(ticks "$pid")
	hz=$(getconf CLK_TCK)
	fig=$(awk '{ print $1 }' "$W/runs" | median)
	if [ "$1" = stream ]; then
		cost=$(awk -v t=$((t1 - t0)) -v hz="$hz" -v r="$ROUNDS" \
		    'BEGIN { printf "%.0f", t * 1000 / hz / r }')
	else
		cost=$(awk -v t=$((t1 - t0)) -v hz="$hz" \
		    '{ n += $3 } END { printf "%.1f", n ? t * 1e6 / hz / n : 0 }' \
		    "$W/runs")
	fi
	echo "$fig $cost"
}

run_set() {	# name port forwarder-pid [stream-only]
	s=$(measure "$3" stream 127.0.0.1 "$2" 1073741824)
	if [ $# -gt 3 ]; then
		echo "$1 $s - - - -" >>"$W/results"
		echo "  $1: $s (MiB/s, CPU ms/GiB)" >&2
		return
	fi
	c1=$(measure "$3" rate 127.0.0.1 "$2" 1 3)
	c16=$(measure "$3" rate 127.0.0.1 "$2" 16 3)
	echo "$1 $s $c1 $c16" >>"$W/results"
	echo "  $1: $s (MiB/s, CPU ms/GiB), $c1 (conn/s, CPU us/conn) c=1," \
	    "$c16 c=16" >&2
}

start() {	# command...
	"$@" >"$W/server.log" 2>&1 &
	PIDS="$PIDS $!"
	LAST=$!
}

fetch
: >"$W/results"
"$B" server $BACKEND_PORT &
PIDS=$!
BACKEND=$!
wait_port $BACKEND_PORT

echo "direct (ceiling)" >&2
run_set direct $BACKEND_PORT -

echo "splice relay (floor)" >&2
start "$B" relay $RELAY_PORT 127.0.0.1 $BACKEND_PORT
RELAY_PID=$LAST
wait_port $RELAY_PORT
run_set relay $RELAY_PORT $RELAY_PID stream-only
kill "$RELAY_PID"
wait "$RELAY_PID" 2>/dev/null || true

echo "inetd forward" >&2
# The held connections all come from one address to one entry: past the
# default shares of an address and of an entry, so the limits are set.
printf '127.0.0.1:%s stream tcp nowait/16384/0/16384 root internal forward 127.0.0.1:%s\n' \
    $FWD_PORT $BACKEND_PORT >"$W/inetd.conf"
start "$INETD" -d -p "$W/inetd.pid" "$W/inetd.conf"
INETD_PID=$LAST
wait_port $FWD_PORT
run_set inetd $FWD_PORT $INETD_PID

# 10,000 connections held: the daemon's memory before and after.
rss() { awk '/^VmRSS/ { print $2 }' /proc/"$1"/status; }
slab() { awk '/^Slab:/ { print $2 }' /proc/meminfo; }
rss0=$(rss $INETD_PID)
slab0=$(slab)
"$B" hold 127.0.0.1 $FWD_PORT $HOLD 30 \
    >"$W/hold.out" 2>&1 &
HOLDER=$!
i=0
until grep -q held "$W/hold.out" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 600 ] && kill -0 $HOLDER 2>/dev/null || break
	sleep 0.1
done
sleep 2
established=$(ss -Htn state established "( sport = :$BACKEND_PORT )" | wc -l)
rss1=$(rss $INETD_PID)
nofile=$(awk '/^Max open files/ { print $4 }' /proc/"$INETD_PID"/limits)
slab1=$(slab)
kill $HOLDER 2>/dev/null || true
wait $HOLDER 2>/dev/null || true
echo "  held: $established connections at the backend" >&2
kill "$INETD_PID"
wait "$INETD_PID" 2>/dev/null || true

echo "rinetd" >&2
printf '127.0.0.1 %s 127.0.0.1 %s\npidlogfile %s/rinetd.pid\n' \
    $FWD_PORT $BACKEND_PORT "$W" >"$W/rinetd.conf"
start "$W/root/usr/sbin/rinetd" -f -c "$W/rinetd.conf"
RINETD_PID=$LAST
wait_port $FWD_PORT
run_set rinetd $FWD_PORT $RINETD_PID
kill "$RINETD_PID"
wait "$RINETD_PID" 2>/dev/null || true

echo "socat" >&2
start "$W/root/usr/bin/socat" \
    TCP-LISTEN:$FWD_PORT,bind=127.0.0.1,fork,reuseaddr,backlog=1024 \
    TCP:127.0.0.1:$BACKEND_PORT
SOCAT_PID=$LAST
wait_port $FWD_PORT
run_set socat $FWD_PORT $SOCAT_PID
kill "$SOCAT_PID"
wait "$SOCAT_PID" 2>/dev/null || true

table=$(awk -v held="$established" -v want="$HOLD" -v nofile="$nofile" \
    -v rss="$((rss1 - rss0))" -v slab="$((slab1 - slab0))" '
{
	s[$1] = $2; sc[$1] = $3; c1[$1] = $4; c1c[$1] = $5
	c16[$1] = $6; c16c[$1] = $7; order[NR] = $1
}
function cpu(v, n) { return n == "direct" ? "-" : v }
function ratio(a, b) { return b > 0 ? sprintf("%.2fx", a / b) : "-" }
function verdict(ok) { return ok ? "met" : "NOT met" }
END {
	print "| forwarder | 1 GiB stream MiB/s | conn/s c=1 | conn/s c=16 " \
	    "| CPU ms/GiB | CPU us/conn c=1 | CPU us/conn c=16 |"
	print "|---|---:|---:|---:|---:|---:|---:|"
	for (i = 1; i <= NR; i++) {
		n = order[i]
		printf "| %s | %d | %s | %s | %s | %s | %s |\n", \
		    n == "direct" ? "direct copy (ceiling)" : \
		    n == "relay" ? "bare splice relay (floor)" : \
		    n == "inetd" ? "inetd forward" : \
		    n == "socat" ? "socat TCP-LISTEN,fork" : n, \
		    s[n], c1[n], c16[n], cpu(sc[n], n), cpu(c1c[n], n), \
		    cpu(c16c[n], n)
	}
	print ""
	print "| target (ratios in this run) | measured | |"
	print "|---|---:|---|"
	printf "| throughput >= 1.5x rinetd | %s | %s |\n", \
	    ratio(s["inetd"], s["rinetd"]), \
	    verdict(s["inetd"] >= 1.5 * s["rinetd"])
	printf "| throughput >= 0.6x direct copy | %s | %s |\n", \
	    ratio(s["inetd"], s["direct"]), \
	    verdict(s["inetd"] >= 0.6 * s["direct"])
	printf "| throughput, inetd over the bare splice relay | %s | |\n", \
	    ratio(s["inetd"], s["relay"])
	printf "| throughput, bare splice relay over direct copy | %s | |\n", \
	    ratio(s["relay"], s["direct"])
	printf "| conn/s c=1 >= 1.2x rinetd | %s | %s |\n", \
	    ratio(c1["inetd"], c1["rinetd"]), \
	    verdict(c1["inetd"] >= 1.2 * c1["rinetd"])
	printf "| conn/s c=16 >= 1.2x rinetd | %s | %s |\n", \
	    ratio(c16["inetd"], c16["rinetd"]), \
	    verdict(c16["inetd"] >= 1.2 * c16["rinetd"])
	printf "| CPU per connection, c=1 / c=16, rinetd over inetd | " \
	    "%s / %s | |\n", ratio(c1c["rinetd"], c1c["inetd"]), \
	    ratio(c16c["rinetd"], c16c["inetd"])
	printf "| CPU per GiB, rinetd over inetd | %s | |\n", \
	    ratio(sc["rinetd"], sc["inetd"])
	printf "| %d concurrent connections held | %d | %s (descriptor " \
	    "limit of inetd: %s) |\n", want, held, verdict(held >= want), \
	    nofile
	if (held > 0)
		printf "| memory per held connection | %.0f B daemon RSS, " \
		    "%.0f B kernel slab (whole path) | |\n", \
		    rss * 1024 / held, slab * 1024 / held
}' "$W/results")

echo "$table"
results=$HERE/RESULTS.md
{
	if [ -f "$results" ]; then
		sed '/^<!-- forward: begin -->$/,/^<!-- forward: end -->$/d' \
		    "$results"
	fi
	echo "<!-- forward: begin -->"
	echo "## Port forwarding (bench/forward.sh)"
	echo
	echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r), loopback;"
	echo "median of $ROUNDS runs; rinetd $(dpkg-deb -f "$W"/rinetd_*.deb \
	    Version 2>/dev/null || echo '?') and socat $(dpkg-deb -f \
	    "$W"/socat_*.deb Version 2>/dev/null || echo '?') from Debian."
	echo
	echo "$table"
	echo
	echo "Rates are conn/s of 64-byte request/response exchanges"
	echo "(no half-close, which rinetd does not pass on).  The CPU columns"
	echo "are the forwarder's own user and system time per GiB or per"
	echo "connection (socat's includes its children), which the other load"
	echo "of a shared machine disturbs less than the rates.  The bare"
	echo "splice relay (fwdbench relay) serves one connection at a time"
	echo "and does nothing but poll(2) and splice(2) through a pipe as"
	echo "large as inetd's: what splice itself costs on this kernel, the"
	echo "floor of the stream row for any forwarder that does not copy"
	echo "through user space.  Holding fails"
	echo "short of the target when the descriptor limit of inetd (two"
	echo "sockets per connection) cannot be raised far enough, as for a root"
	echo "without CAP_SYS_RESOURCE."
	echo "<!-- forward: end -->"
} >"$W/RESULTS.md"
cp "$W/RESULTS.md" "$results"
