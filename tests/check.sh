#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Run every test part of `make check` and sum their results.
#
# Each part prints "PASS name" / "FAIL name: reason" / "SKIP name: reason"
# lines and ends with "N passed, M failed", to which ", K skipped" may be
# added.  A part that ends without that line, or exits non-zero without
# reporting a failure, crashed: it counts as one failure.  The last line
# printed is the total, "N passed, M failed, K skipped", so that a run
# without root shows what it left out; the exit status is non-zero when
# anything failed.
set -u
cd "$(dirname "$0")/.."

# Sanitizer findings abort the process (so a test sees a crash, not a
# message it might miss), and leaks are checked when a process exits.
: "${ASAN_OPTIONS:=abort_on_error=1:halt_on_error=1:detect_leaks=1}"
: "${UBSAN_OPTIONS:=abort_on_error=1:halt_on_error=1:print_stacktrace=1}"
export ASAN_OPTIONS UBSAN_OPTIONS

PART_TIMEOUT=600	# seconds; the whole check normally takes 2-3 minutes
PYTHON=${PYTHON:-python3}

total_pass=0
total_fail=0
total_skip=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run_part() {
	local name=$1 status summary pass fail skip start=$SECONDS
	shift
	echo "== $name: $*"
	timeout --foreground -k 10 "$PART_TIMEOUT" "$@" 2>&1 | tee "$log"
	status=${PIPESTATUS[0]}
	echo "== $name: $((SECONDS - start)) s"
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' \
	    "$log" | tail -n 1)
	if [ -z "$summary" ]; then
		echo "FAIL $name: ended without a summary (exit status $status)"
		total_fail=$((total_fail + 1))
		return
	fi
	pass=${summary%% *}
	fail=${summary#*, }
	fail=${fail%% *}
	skip=0
	case $summary in
	*skipped) skip=${summary##*failed, }; skip=${skip%% *} ;;
	esac
	if [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then
		echo "FAIL $name: exit status $status with no failed test"
		fail=1
	fi
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	total_skip=$((total_skip + skip))
}

run_part unit tests/test_config
run_part unit-asan build/asan/test_config
run_part unit-builtins tests/test_builtins
run_part unit-builtins-asan build/asan/test_builtins
run_part unit-ratelimit tests/test_ratelimit
run_part unit-ratelimit-asan build/asan/test_ratelimit
run_part unit-reload tests/test_reload
run_part unit-reload-asan build/asan/test_reload
run_part unit-access tests/test_access
run_part unit-access-asan build/asan/test_access
run_part unit-options tests/test_options
run_part unit-options-asan build/asan/test_options
# Valgrind also sees reads of uninitialised memory, which ASan does not.
# The look-up child is the test program executed again: valgrind follows.
VALGRIND="valgrind -q --error-exitcode=99 --leak-check=full"
VALGRIND="$VALGRIND --trace-children=yes"
VALGRIND="$VALGRIND --errors-for-leak-kinds=definite,indirect"
run_part unit-valgrind $VALGRIND tests/test_config
run_part unit-builtins-valgrind $VALGRIND tests/test_builtins
run_part unit-ratelimit-valgrind $VALGRIND tests/test_ratelimit
run_part unit-reload-valgrind $VALGRIND tests/test_reload
run_part unit-access-valgrind $VALGRIND tests/test_access
run_part unit-options-valgrind $VALGRIND tests/test_options
run_part fuzz tests/fuzz/run.sh build/fuzz/fuzz_config 60
# The other inputs are small: a short run each finds what is shallow.
for fuzzer in fuzz_auth fuzz_tcpmux fuzz_proxy fuzz_load; do
	run_part "$fuzzer" tests/fuzz/run.sh "build/fuzz/$fuzzer" 20
done
for t in tests/test_*.py; do
	run_part "$(basename "$t" .py)" "$PYTHON" "$t" ./inetd
	run_part "$(basename "$t" .py)-asan" "$PYTHON" "$t" build/asan/inetd
done
# The Debian package, its scripts and the systemd unit: once, it builds.
run_part package bash tests/package.sh

echo "== total"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
