#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Run one fuzzer for a bounded time, as one test:
#
#	tests/fuzz/run.sh FUZZER SECONDS [WORKDIR]
#
# New inputs go to WORKDIR/corpus (default: NAME.run/ in the fuzzer's
# directory), the seeds in tests/fuzz/corpus/NAME are only read, and
# tests/fuzz/NAME.dict is its dictionary (default: inetd.dict, the
# words of inetd.conf).  libFuzzer's own output goes to
# WORKDIR/fuzz.log, whose tail is shown when something is found.
# Prints "PASS NAME" or "FAIL NAME: reason", then "N passed, M failed";
# the exit status is non-zero on failure.
set -u
fuzzer=$1
seconds=$2
here=$(dirname "$0")
name=$(basename "$fuzzer")
work=${3:-$(dirname "$fuzzer")/$name.run}
dict=$here/$name.dict
[ -f "$dict" ] || dict=$here/inetd.dict

fail() {
	echo "FAIL $name: $*"
	echo "0 passed, 1 failed"
	exit 1
}

[ -x "$fuzzer" ] || fail "$fuzzer not built (make fuzz builds it)"
mkdir -p "$work/corpus" || fail "cannot create $work/corpus"
log=$work/fuzz.log
# -timeout: one input parsing for seconds is a hang, not a slow run.
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=8192 -print_final_stats=1 -dict="$dict" \
    -artifact_prefix="$work/" "$work/corpus" "$here/corpus/$name" \
    >"$log" 2>&1
status=$?
if [ "$status" -ne 0 ]; then
	tail -n 40 "$log"
	fail "exit status $status, input saved as $work/crash-* or" \
	    "$work/leak-* (reproduce: $fuzzer FILE)"
fi
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
echo "PASS $name (${runs:-?} inputs in $seconds s)"
echo "1 passed, 0 failed"
