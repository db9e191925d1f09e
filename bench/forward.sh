#!/bin/bash
# bench/forward.sh: inetd's forward builtin against rinetd and socat.
#
#   bash bench/forward.sh INETD SCRATCHDIR
#
# Over 127.0.0.1, with bench/fwdbench.c as backend and client: MiB/s of one
# 1 GiB stream and conn/s of 64-byte exchanges at concurrency 1 and 16,
# through a direct connection (the ceiling), inetd's forward, rinetd and
# `socat TCP-LISTEN:...,fork` (from Debian's packages, fetched with
# apt-get download and unpacked with dpkg -x into SCRATCHDIR, never
# installed); then 10,000 connections held through inetd, with its memory
# per connection.  Each figure is the median of FWD_ROUNDS runs (default
# 3).  Prints a markdown table and puts it in bench/RESULTS.md, in the
# section between the "forward" markers.  Run as root (raises descriptor
# limits).  Not part of make check.
set -eu

INETD=$(realpath "$1")
SCRATCH=$2
ROUNDS=${FWD_ROUNDS:-3}
HOLD=${FWD_HOLD:-10000}
HERE=$(dirname "$(realpath "$0")")
W=$SCRATCH/forward
BACKEND_PORT=23190
FWD_PORT=23191
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

measure() {	# port what... : median of ROUNDS runs
	port=$1
	shift
	r=0
	while [ $r -lt "$ROUNDS" ]; do
		"$B" "$@" | awk '{ print $1 }'
		r=$((r + 1))
	done | median
}

run_set() {	# name port
	s=$(measure "$2" stream 127.0.0.1 "$2" 1073741824)
	c1=$(measure "$2" rate 127.0.0.1 "$2" 1 3)
	c16=$(measure "$2" rate 127.0.0.1 "$2" 16 3)
	echo "$1 $s $c1 $c16" >>"$W/results"
	echo "  $1: $s MiB/s, $c1 conn/s at c=1, $c16 conn/s at c=16" >&2
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
run_set direct $BACKEND_PORT

echo "inetd forward" >&2
printf '127.0.0.1:%s stream tcp nowait root internal forward 127.0.0.1:%s\n' \
    $FWD_PORT $BACKEND_PORT >"$W/inetd.conf"
start "$INETD" -d -p "$W/inetd.pid" "$W/inetd.conf"
INETD_PID=$LAST
wait_port $FWD_PORT
run_set inetd $FWD_PORT

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
run_set rinetd $FWD_PORT
kill "$RINETD_PID"
wait "$RINETD_PID" 2>/dev/null || true

echo "socat" >&2
start "$W/root/usr/bin/socat" \
    TCP-LISTEN:$FWD_PORT,bind=127.0.0.1,fork,reuseaddr,backlog=1024 \
    TCP:127.0.0.1:$BACKEND_PORT
SOCAT_PID=$LAST
wait_port $FWD_PORT
run_set socat $FWD_PORT
kill "$SOCAT_PID"
wait "$SOCAT_PID" 2>/dev/null || true

table=$(awk -v held="$established" -v want="$HOLD" \
    -v rss="$((rss1 - rss0))" -v slab="$((slab1 - slab0))" '
{ s[$1] = $2; c1[$1] = $3; c16[$1] = $4; order[NR] = $1 }
function ratio(a, b) { return b > 0 ? sprintf("%.2fx", a / b) : "-" }
function verdict(ok) { return ok ? "met" : "NOT met" }
END {
	print "| forwarder | 1 GiB stream MiB/s | conn/s c=1 | conn/s c=16 |"
	print "|---|---:|---:|---:|"
	for (i = 1; i <= NR; i++) {
		n = order[i]
		printf "| %s | %d | %d | %d |\n", n == "direct" ? \
		    "direct copy (ceiling)" : n == "inetd" ? "inetd forward" : \
		    n == "socat" ? "socat TCP-LISTEN,fork" : n, \
		    s[n], c1[n], c16[n]
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
	printf "| conn/s c=1 >= 1.2x rinetd | %s | %s |\n", \
	    ratio(c1["inetd"], c1["rinetd"]), \
	    verdict(c1["inetd"] >= 1.2 * c1["rinetd"])
	printf "| conn/s c=16 >= 1.2x rinetd | %s | %s |\n", \
	    ratio(c16["inetd"], c16["rinetd"]), \
	    verdict(c16["inetd"] >= 1.2 * c16["rinetd"])
	printf "| %d concurrent connections held | %d | %s |\n", want, \
	    held, verdict(held >= want)
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
	echo "<!-- forward: end -->"
} >"$W/RESULTS.md"
cp "$W/RESULTS.md" "$results"
