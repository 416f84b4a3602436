#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Build the libFuzzer targets with clang straight from the sources, and run each one.
#
# Usage: run-fuzz.sh [-s SRCDIR] [-b BUILDDIR] [-w WORKDIR] [-t SECONDS] [TARGET...]
#
#   -s SRCDIR    source tree (default: two levels above this script)
#   -b BUILDDIR  a configured build tree, for config.h (default: .)
#   -w WORKDIR   binaries, grown corpora and crash artifacts
#                (default: BUILDDIR/tests/fuzz/work)
#   -t SECONDS   run each target this long; 0 only builds (default: 60)
#   TARGET       fuzz_msg, fuzz_tstund_proto, fuzz_conf, fuzz_linkfmt (default: all)
#
# Each target is compiled with $CC (default clang) and
# -fsanitize=fuzzer,address,undefined together with the few library sources
# it needs (listed in sources() below), so no libtool archive built by
# another compiler is involved. The seed corpus SRCDIR/tests/fuzz/corpus/TARGET
# (or corpus/NAME for fuzz_NAME) is read but never written: new inputs go to
# WORKDIR/corpus-TARGET, crashes to WORKDIR/TARGET-crash-*. Replay one with
# `WORKDIR/TARGET FILE`, or with the gcc-built tests/fuzz/replay_* program.
# From make: ./configure --enable-fuzzing && make fuzz FUZZ_SECONDS=60.
# Exit status: 0 when every target built and ran without a finding.
set -u

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
builddir=.
workdir=
seconds=60
while getopts s:b:w:t: opt; do
	case $opt in
	s) srcdir=$OPTARG ;;
	b) builddir=$OPTARG ;;
	w) workdir=$OPTARG ;;
	t) seconds=$OPTARG ;;
	*) sed -n '5,12p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- fuzz_msg fuzz_tstund_proto fuzz_conf fuzz_linkfmt
srcdir=$(cd "$srcdir" && pwd)
builddir=$(cd "$builddir" && pwd)
workdir=${workdir:-$builddir/tests/fuzz/work}
CC=${CC:-clang}

if [ ! -f "$builddir/config.h" ]; then
	echo "run-fuzz.sh: no config.h in '$builddir': run configure first, or pass -b" >&2
	exit 2
fi
mkdir -p "$workdir" || exit 2

sources() {
	case $1 in
	fuzz_msg)
		echo src/ti_msg.c src/ti_err.c ;;
	fuzz_tstund_proto)
		echo servers/tstund/tstund_proto.c src/ti_msg.c src/ti_addr.c src/ti_util.c \
			src/ti_err.c ;;
	fuzz_conf)
		echo src/ti_conf.c src/ti_log.c src/ti_util.c src/ti_err.c ;;
	fuzz_linkfmt)
		echo src/ti_linkfmt.c src/ti_util.c src/ti_err.c ;;
	*)
		return 1 ;;
	esac
}

cflags="-std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
	-fno-omit-frame-pointer -I$builddir -I$srcdir/src -I$srcdir/servers/tstund"
coap=$(pkg-config --cflags --libs libcoap-3-gnutls 2>/dev/null) || coap=

status=0
for t in "$@"; do
	srcs=$(sources "$t") || { echo "run-fuzz.sh: unknown target '$t'" >&2; status=1; continue; }
	files="$srcdir/tests/fuzz/$t.c"
	for s in $srcs; do
		files="$files $srcdir/$s"
	done
	extra=
	[ "$t" = fuzz_conf ] && extra=$coap
	echo "== $t: building"
	# shellcheck disable=SC2086 # word splitting of the flag lists is intended
	if ! $CC $cflags -o "$workdir/$t" $files $extra; then
		status=1
		continue
	fi
	[ "$seconds" -gt 0 ] || continue
	mkdir -p "$workdir/corpus-$t"
	seeds=$srcdir/tests/fuzz/corpus/$t
	[ -d "$seeds" ] || seeds=$srcdir/tests/fuzz/corpus/${t#fuzz_}
	echo "== $t: running for ${seconds}s"
	"$workdir/$t" -max_total_time="$seconds" -print_final_stats=1 \
		-artifact_prefix="$workdir/$t-" "$workdir/corpus-$t" "$seeds" \
		>"$workdir/$t.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$workdir/$t.log")
	echo "== $t: exit $rc, ${execs:-?} executions, log $workdir/$t.log"
	if [ $rc -ne 0 ]; then
		grep -E '^(==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)' \
			"$workdir/$t.log" | head -n 8
		status=1
	fi
done
exit $status
