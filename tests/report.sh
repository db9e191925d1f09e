# SPDX-License-Identifier: BSD-2-Clause
# Sourced by tests/package.sh and tests/install.sh: how a shell test part
# reports, "PASS name" / "FAIL name: why" and last "N passed, M failed",
# the lines tests/check.sh adds up.
npass=0
nfail=0
pass() { echo "PASS $1"; npass=$((npass + 1)); }
fail() { echo "FAIL $1: $2"; nfail=$((nfail + 1)); }
# run NAME COMMAND...: PASS when the command succeeds, else FAIL with the
# last lines it printed.
run() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		pass "$name"
	else
		fail "$name" "$(echo "$out" | tail -n 3 | tr '\n' ' ')"
	fi
}
finish() {
	echo "$npass passed, $nfail failed"
	[ "$nfail" -eq 0 ]
	exit
}
