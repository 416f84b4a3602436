#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Set up and run every test: build with -Werror, make check, make distcheck,
# then the unit and integration tests again under ASan and UBSan.
# Usage: scripts/test.sh
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/deps.sh"
thinice_install_deps $THINICE_BUILD_DEPS $THINICE_TEST_DEPS || exit 1

jobs=$(nproc)
failed_steps=""
pass=0
fail=0

# Add the PASS/FAIL/ERROR counts of a build's test-suite.log to the totals.
count() {
	log="$1/test-suite.log"
	[ -f "$log" ] || return 0
	p=$(sed -n 's/^# PASS: *//p' "$log" | head -n 1)
	f=$(sed -n 's/^# FAIL: *//p' "$log" | head -n 1)
	e=$(sed -n 's/^# ERROR: *//p' "$log" | head -n 1)
	pass=$((pass + ${p:-0}))
	fail=$((fail + ${f:-0} + ${e:-0}))
}

step() {
	name="$1"
	shift
	echo "=== $name"
	if ! "$@"; then
		echo "=== $name: FAILED"
		failed_steps="$failed_steps $name"
		return 1
	fi
}

show_failures() {
	for f in $(find "$1" -name '*.log' ! -name 'config.log' ! -name 'test-suite.log'); do
		if grep -qE '^(FAIL|ERROR)' "${f%.log}.trs" 2>/dev/null; then
			echo "--- $f"
			tail -n 40 "$f"
		fi
	done
}

cd "$top" && ./autogen.sh >/dev/null 2>&1 || { echo "autogen failed"; exit 1; }

b="$top/build/check"
rm -rf "$b" && mkdir -p "$b" && cd "$b"
step configure "$top/configure" -q --enable-werror &&
	step build make -j"$jobs" &&
	{ step check make -j"$jobs" check || show_failures "$b"; }
count "$b"
distcheck() {
	make -j"$jobs" distcheck >"$b/distcheck.out" 2>&1 && tail -n 4 "$b/distcheck.out" || {
		tail -n 60 "$b/distcheck.out"
		return 1
	}
}
[ -z "$failed_steps" ] && step distcheck distcheck

a="$top/build/asan"
rm -rf "$a" && mkdir -p "$a" && cd "$a"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
step asan-configure "$top/configure" -q --enable-werror --with-sanitizer=address,undefined &&
	step asan-build make -j"$jobs" &&
	{ step asan-check make -j"$jobs" check || show_failures "$a"; }
count "$a"

echo
if [ -n "$failed_steps" ]; then
	echo "failed steps:$failed_steps"
fi
echo "tests: $pass passed, $fail failed"
[ -z "$failed_steps" ] && [ "$fail" -eq 0 ]
