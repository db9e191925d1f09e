#!/bin/bash
# Run every test part of `make check` and sum their results.
#
# Each part prints "PASS name" / "FAIL name: reason" lines and ends with
# "N passed, M failed".  A part that ends without that line, or exits
# non-zero without reporting a failure, crashed: it counts as one failure.
# The last line printed is the total, "N passed, M failed"; the exit
# status is non-zero when anything failed.
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
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run_part() {
	local name=$1 status summary pass fail
	shift
	echo "== $name: $*"
	timeout --foreground -k 10 "$PART_TIMEOUT" "$@" 2>&1 | tee "$log"
	status=${PIPESTATUS[0]}
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	if [ -z "$summary" ]; then
		echo "FAIL $name: ended without a summary (exit status $status)"
		total_fail=$((total_fail + 1))
		return
	fi
	pass=${summary%% *}
	fail=${summary#*, }
	fail=${fail%% *}
	if [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then
		echo "FAIL $name: exit status $status with no failed test"
		fail=1
	fi
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
}

run_part unit tests/test_config
run_part unit-asan build/asan/test_config
run_part unit-ratelimit tests/test_ratelimit
run_part unit-ratelimit-asan build/asan/test_ratelimit
# Valgrind also sees reads of uninitialised memory, which ASan does not.
VALGRIND="valgrind -q --error-exitcode=99 --leak-check=full"
VALGRIND="$VALGRIND --errors-for-leak-kinds=definite,indirect"
run_part unit-valgrind $VALGRIND tests/test_config
run_part unit-ratelimit-valgrind $VALGRIND tests/test_ratelimit
run_part fuzz tests/fuzz/run.sh build/fuzz/fuzz_config 60
run_part fuzz-load tests/fuzz/run.sh build/fuzz/fuzz_load 20 build/fuzz/load
for t in tests/test_*.py; do
	run_part "$(basename "$t" .py)" "$PYTHON" "$t" ./inetd
	run_part "$(basename "$t" .py)-asan" "$PYTHON" "$t" build/asan/inetd
done
# The Debian package, its scripts and the systemd unit: once, it builds.
run_part package bash tests/package.sh

echo "== total"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
