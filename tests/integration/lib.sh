# SPDX-License-Identifier: BSD-2-Clause
# Integration tests: shared helpers to run daemons on loopback and check what they answer.
#
# Sourced by the NNN-*.sh scripts, which make check runs from the top build
# directory with $srcdir (the top source directory, maybe relative) exported
# by automake's parallel test harness. Run by hand from the top build
# directory, or set top_builddir (and TSTUND) in the environment.
#
# Exit codes follow automake: 0 pass, 1 fail, 77 skip, 99 hard error.
# Every process a test starts is recorded by PID and stopped on exit; every
# wait is bounded. The rdd tests (3NN-rdd-*.sh) find rdd as $RDD and talk to
# it with rdclient.py (see the rdd section at the end).

# shellcheck shell=sh disable=SC2034,SC2016
set -u

testdir=$(cd "$(dirname "$0")" && pwd)
top_builddir=$(cd "${top_builddir:-$(pwd)}" && pwd)
top_srcdir=$(cd "${srcdir:-$testdir/../..}" && pwd)
TSTUND=${TSTUND:-$top_builddir/servers/tstund/tstund}
RDD=${RDD:-$top_builddir/servers/rdd/rdd}
COAP_CLIENT=${COAP_CLIENT:-coap-client-gnutls}
PYTHON=${PYTHON:-python3}

PASSES=0
FAILS=0
PIDS=
T=

# ---------------------------------------------------------------- lifecycle

hard_error() {
	echo "ERROR: $*" >&2
	exit 99
}

skip() {
	echo "SKIP: $*"
	exit 77
}

# Stop what this test started (by PID only) and remove the temp dir.
cleanup() {
	_rc=$?
	trap - EXIT
	for _pid in $PIDS; do
		if alive "$_pid"; then
			kill -TERM "$_pid" 2>/dev/null
			wait_gone "$_pid" 30 || kill -KILL "$_pid" 2>/dev/null
		fi
	done
	if [ -n "$T" ] && [ -f "$T/ports" ]; then
		while read -r _p; do
			rmdir "$PORT_CLAIMS/$_p" 2>/dev/null
		done <"$T/ports"
	fi
	if [ -n "$T" ] && [ -d "$T" ]; then
		if [ "${TI_KEEP_TMP:-0}" = 1 ]; then
			echo "kept $T"
		else
			rm -rf "$T"
		fi
	fi
	exit "$_rc"
}

trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

command -v "$COAP_CLIENT" >/dev/null 2>&1 || skip "$COAP_CLIENT not found (install libcoap3-bin)"
[ -x "$TSTUND" ] || hard_error "no tstund at $TSTUND (run from the top build directory after make)"
command -v timeout >/dev/null 2>&1 || hard_error "timeout(1) is missing"

T=$(mktemp -d "${TMPDIR:-/tmp}/thinice-test.XXXXXX") || hard_error "mktemp failed"
: >"$T/ports"

# require_python: skip without python3; else use the interpreter itself
# (not a wrapper such as a pyenv shim, which costs time on every call).
require_python() {
	command -v "$PYTHON" >/dev/null 2>&1 || skip "$PYTHON not found"
	PYTHON=$("$PYTHON" -c 'import sys; print(sys.executable)') || skip "$PYTHON does not run"
}

# The package version, from the build's config.h.
tstund_version() {
	sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h"
}

# alive PID: the process exists and is not a zombie.
alive() {
	[ -r "/proc/$1/stat" ] || return 1
	_state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$_state" ] && [ "$_state" != Z ]
}

# wait_gone PID TENTHS: wait up to TENTHS/10 s for PID to exit.
wait_gone() {
	_n=0
	while [ "$_n" -lt "$2" ]; do
		alive "$1" || return 0
		sleep 0.1
		_n=$((_n + 1))
	done
	! alive "$1"
}

forget_pid() {
	_rest=
	for _p in $PIDS; do
		[ "$_p" = "$1" ] || _rest="$_rest $_p"
	done
	PIDS=$_rest
}

# ---------------------------------------------------------------- ports

rand16() {
	od -An -N2 -tu2 /dev/urandom | tr -d ' \n'
}

port_in_use() {
	if command -v ss >/dev/null 2>&1; then
		[ -n "$(ss -Hantu "( sport = :$1 )" 2>/dev/null)" ]
	else
		"$PYTHON" -c 'import socket,sys
for t in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, t)
    s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null && return 1
		return 0
	fi
}

# free_port: print a port free for UDP and TCP, below the ephemeral range
# (32768 up). A port is claimed with an atomic mkdir under $TMPDIR, so that
# tests running in parallel (make -j check) never pick the same one; the
# claims go when the test ends (and after 30 minutes, should a test have
# been killed before its cleanup).
PORT_CLAIMS=${TMPDIR:-/tmp}/thinice-test-ports-$(id -u)
[ -d "$PORT_CLAIMS" ] && find "$PORT_CLAIMS" -mindepth 1 -maxdepth 1 -type d -mmin +30 \
	-exec rmdir {} + 2>/dev/null
free_port() {
	mkdir -p "$PORT_CLAIMS" 2>/dev/null
	_i=0
	while [ "$_i" -lt 200 ]; do
		_p=$((20000 + $(rand16) % 12768))
		if ! port_in_use "$_p" && mkdir "$PORT_CLAIMS/$_p" 2>/dev/null; then
			echo "$_p" >>"$T/ports"
			echo "$_p"
			return 0
		fi
		_i=$((_i + 1))
	done
	hard_error "no free port found"
}

have_ipv6_loopback() {
	grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null
}

# ---------------------------------------------------------------- assertions

ok() {
	PASSES=$((PASSES + 1))
	echo "ok - $1"
}

not_ok() {
	FAILS=$((FAILS + 1))
	echo "FAIL - $1"
	shift
	for _line in "$@"; do
		printf '    %s\n' "$_line"
	done
}

# assert_eq DESC EXPECTED ACTUAL
assert_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "expected: [$2]" "got:      [$3]"
	fi
}

# assert_match DESC ERE ACTUAL: some line of ACTUAL matches the extended regex.
assert_match() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then
		ok "$1"
	else
		not_ok "$1" "expected a line matching: $2" "got: [$3]"
	fi
}

# assert_contains DESC FIXED ACTUAL: some line of ACTUAL contains FIXED.
assert_contains() {
	if printf '%s\n' "$3" | grep -Fq -- "$2"; then
		ok "$1"
	else
		not_ok "$1" "expected to contain: [$2]" "got: [$3]"
	fi
}

assert_not_contains() {
	if printf '%s\n' "$3" | grep -Fq -- "$2"; then
		not_ok "$1" "expected not to contain: [$2]" "got: [$3]"
	else
		ok "$1"
	fi
}

# assert_log_contains LOG FIXED [DESC]
assert_log_contains() {
	if grep -Fq -- "$2" "$1"; then
		ok "${3:-log has '$2'}"
	else
		not_ok "${3:-log has '$2'}" "expected a line containing: [$2]" "log $1:"
		sed 's/^/      | /' "$1"
	fi
}

# assert_log_lacks LOG FIXED [DESC]
assert_log_lacks() {
	if grep -Fq -- "$2" "$1"; then
		not_ok "${3:-log lacks '$2'}" "unexpected line containing: [$2]"
		grep -F -- "$2" "$1" | sed 's/^/      | /'
	else
		ok "${3:-log lacks '$2'}"
	fi
}

# wait_log LOG FIXED [TENTHS] [MIN_COUNT]: wait until LOG has MIN_COUNT
# (default 1) lines containing FIXED, at most TENTHS/10 s (default 5 s).
wait_log() {
	_n=0
	while [ "$_n" -lt "${3:-50}" ]; do
		[ "$(grep -Fc -- "$2" "$1" 2>/dev/null)" -ge "${4:-1}" ] && return 0
		sleep 0.1
		_n=$((_n + 1))
	done
	return 1
}

# expect_log LOG FIXED [TENTHS] [MIN_COUNT]: wait_log as an assertion.
expect_log() {
	if wait_log "$@"; then
		ok "log has '$2'"
	else
		not_ok "log has '$2' (waited $(( ${3:-50} / 10 )) s)" "log $1:"
		sed 's/^/      | /' "$1"
	fi
}

# finish: the verdict. A test that asserted nothing fails.
finish() {
	echo "# $PASSES passed, $FAILS failed"
	if [ "$FAILS" -gt 0 ] || [ "$PASSES" -eq 0 ]; then
		for _f in "$T"/*.log; do
			[ -f "$_f" ] || continue
			echo "# --- $_f"
			sed 's/^/# | /' "$_f"
		done
		exit 1
	fi
	exit 0
}

# ---------------------------------------------------------------- daemons

# start_tstund CONF [LOG]: start tstund in the foreground, in the background,
# and wait until it logged "started". Sets TSTUND_PID and TSTUND_LOG. Extra
# command line options come from TSTUND_FLAGS (e.g. -d). Fails the test,
# showing the log, if it exits or is not up within 5 s.
start_tstund() {
	TSTUND_LOG=${2:-$T/tstund.log}
	: >"$TSTUND_LOG"
	# shellcheck disable=SC2086
	"$TSTUND" ${TSTUND_FLAGS:-} -f "$1" >"$TSTUND_LOG" 2>&1 </dev/null &
	TSTUND_PID=$!
	PIDS="$PIDS $TSTUND_PID"
	_n=0
	while [ "$_n" -lt 50 ]; do
		if grep -Eq '^tstund\[notice\]: tstund .* started$' "$TSTUND_LOG"; then
			return 0
		fi
		if ! alive "$TSTUND_PID"; then
			wait "$TSTUND_PID"
			_rc=$?
			forget_pid "$TSTUND_PID"
			not_ok "tstund starts with $1" "it exited with status $_rc; its log:"
			sed 's/^/      | /' "$TSTUND_LOG"
			echo "    config:"
			sed 's/^/      | /' "$1"
			finish
		fi
		sleep 0.1
		_n=$((_n + 1))
	done
	not_ok "tstund starts with $1" "no 'started' in its log within 5 s:"
	sed 's/^/      | /' "$TSTUND_LOG"
	finish
}

# stop_daemon [PID] [EXPECTED_STATUS]: SIGTERM, wait up to 5 s, check the
# exit status (default 0). Defaults to the last tstund started.
# shellcheck disable=SC2120
stop_daemon() {
	_spid=${1:-$TSTUND_PID}
	_want=${2:-0}
	kill -TERM "$_spid" 2>/dev/null
	if ! wait_gone "$_spid" 50; then
		kill -KILL "$_spid" 2>/dev/null
		not_ok "process $_spid exits within 5 s of SIGTERM"
	fi
	wait "$_spid"
	_src=$?
	forget_pid "$_spid"
	assert_eq "process $_spid exits with status $_want after SIGTERM" "$_want" "$_src"
}

# start_bg LOG CMD...: start any helper in the background, recording its PID
# in BG_PID (and for cleanup).
start_bg() {
	_blog=$1
	shift
	"$@" >>"$_blog" 2>&1 </dev/null &
	BG_PID=$!
	PIDS="$PIDS $BG_PID"
}

# start_rdstub PORT LOG [FLAGS...]: the stand-in RD (rdstub.py) on 127.0.0.1.
start_rdstub() {
	_rport=$1
	_rlog=$2
	shift 2
	: >"$_rlog"
	start_bg "$T/rdstub.stderr.log" "$PYTHON" "$testdir/rdstub.py" --port "$_rport" \
		--log "$_rlog" "$@"
	RDSTUB_PID=$BG_PID
	wait_log "$_rlog" "listening on" 50 || {
		not_ok "the stand-in RD starts on port $_rport"
		cat "$T/rdstub.stderr.log"
		finish
	}
}

# ---------------------------------------------------------------- clients

# coap_get ARGS...: run coap-client with ARGS (any method: add -m), -B 3 (a
# -B in ARGS wins) and an overall timeout. Sets COAP_OUT (stdout: the
# payload, without the newline coap-client appends; libcoap's warnings,
# such as "ICMP: Connection refused", land there too), COAP_ERR (stderr:
# "4.04 not found" for an error response) and COAP_RC.
coap_get() {
	timeout -k 2 "${COAP_TIMEOUT:-10}" "$COAP_CLIENT" -B "${COAP_WAIT:-3}" "$@" \
		>"$T/coap.out" 2>"$T/coap.err"
	COAP_RC=$?
	COAP_OUT=$(cat "$T/coap.out")
	COAP_ERR=$(cat "$T/coap.err")
}

# coap_debug ARGS...: coap_get at verbosity 7; COAP_PDUS has the "v:1 ..."
# dumps of the messages received, with their options. (libcoap's debug and
# warning lines go to stdout, so COAP_OUT is not the bare payload here.)
coap_debug() {
	coap_get -v 7 "$@"
	COAP_PDUS=$(awk '/: received [0-9]+ bytes$/ { getline; if ($0 ~ /^v:/) print }' "$T/coap.out")
}

# raw ARGS...: coapraw.py send ARGS (one datagram, prints the decoded reply
# or "none").
raw() {
	timeout -k 2 10 "$PYTHON" "$testdir/coapraw.py" send "$@"
}

# write_conf FILE LINES...: a config file, one argument per line.
write_conf() {
	_wfile=$1
	shift
	printf '%s\n' "$@" >"$_wfile"
}

# ---------------------------------------------------------------- rdd

# require_rdd: the rdd tests need the daemon and python3 (rdclient.py).
# Starts a resident rdclient.py for rdreq and lf, on the shell's fds 3 (its
# requests) and 4 (its "done"): a Python start or any other process costs
# 20-300 ms on a loaded machine, the resident client a few ms per request.
require_rdd() {
	[ -x "$RDD" ] || hard_error "no rdd at $RDD (run from the top build directory after make)"
	require_python
	mkfifo "$T/rdclient.in" "$T/rdclient.done" || hard_error "mkfifo failed"
	"$PYTHON" "$testdir/rdclient.py" serve --in "$T/rdclient.in" --out "$T/rdclient.out" \
		--done "$T/rdclient.done" --ready "$T/rdclient.ready" \
		>"$T/rdclient.stderr" 2>&1 </dev/null &
	RDCLIENT_PID=$!
	PIDS="$PIDS $RDCLIENT_PID"
	_n=0
	while [ ! -e "$T/rdclient.ready" ]; do
		if ! alive "$RDCLIENT_PID" || [ "$_n" -ge 100 ]; then
			hard_error "rdclient.py serve did not start: $(cat "$T/rdclient.stderr")"
		fi
		sleep 0.1
		_n=$((_n + 1))
	done
	# Neither open blocks: the resident client holds both FIFOs open.
	exec 3>"$T/rdclient.in" 4<"$T/rdclient.done"
}

# rdclient ARGS...: rdclient.py ARGS (req, simple or lf), run by the resident one;
# the output is in $T/rdclient.out. Bounded by the request's own timeouts;
# should the resident client die, the read sees end of file.
rdclient() {
	printf '%d\0' $# >&3
	printf '%s\0' "$@" >&3
	IFS= read -r _rdone <&4 ||
		echo "error: the resident rdclient.py is gone" >"$T/rdclient.out"
}

# rd_out: print $T/rdclient.out with shell builtins only.
rd_out() {
	while IFS= read -r _line || [ -n "$_line" ]; do
		printf '%s\n' "$_line"
	done <"$T/rdclient.out"
}

# rdd_conf FILE [LINES...]: an rdd configuration for a test: UDP on
# 127.0.0.1:$RDD_PORT, the database $T/rdd.db, lifetime-min 1s (so that
# expiry tests are fast), then LINES.
rdd_conf() {
	_cfile=$1
	shift
	write_conf "$_cfile" "listen coap://127.0.0.1:$RDD_PORT" "database $T/rdd.db" \
		"lifetime-min 1s" "$@"
}

# start_rdd CONF [LOG]: start rdd in the foreground, in the background, and
# wait until it logged "started". Sets RDD_PID and RDD_LOG. Extra command
# line options come from RDD_FLAGS. Fails the test, showing the log, if it
# exits or is not up within 5 s.
start_rdd() {
	RDD_LOG=${2:-$T/rdd.log}
	: >"$RDD_LOG"
	# shellcheck disable=SC2086
	"$RDD" ${RDD_FLAGS:-} -f "$1" >"$RDD_LOG" 2>&1 </dev/null 3>&- 4<&- &
	RDD_PID=$!
	PIDS="$PIDS $RDD_PID"
	_n=0
	while [ "$_n" -lt 50 ]; do
		if grep -Eq '^rdd\[notice\]: rdd .* started$' "$RDD_LOG"; then
			return 0
		fi
		if ! alive "$RDD_PID"; then
			wait "$RDD_PID"
			_rc=$?
			forget_pid "$RDD_PID"
			not_ok "rdd starts with $1" "it exited with status $_rc; its log:"
			sed 's/^/      | /' "$RDD_LOG"
			echo "    config:"
			sed 's/^/      | /' "$1"
			finish
		fi
		sleep 0.1
		_n=$((_n + 1))
	done
	not_ok "rdd starts with $1" "no 'started' in its log within 5 s:"
	sed 's/^/      | /' "$RDD_LOG"
	finish
}

# kill9_rdd: SIGKILL the running rdd (RDD_PID) and reap it.
kill9_rdd() {
	kill -KILL "$RDD_PID" 2>/dev/null
	wait_gone "$RDD_PID" 50
	wait "$RDD_PID" 2>/dev/null
	forget_pid "$RDD_PID"
}

# rdreq METHOD PATH[?QUERY] [OPTIONS...]: one request to rdd with
# rdclient.py req (UDP to 127.0.0.1:$RDD_PORT unless OPTIONS say otherwise:
# --port, --host, --tcp, --sport, --cf, --accept, --payload, --query, ...).
# Sets RD_HEAD (the code and options: "2.01 loc=/reg/1", "4.00 cf=0"),
# RD_CODE (the code alone; "none" without an answer) and RD_BODY (the
# payload, Block2 reassembled).
rdreq() {
	rdclient req --port "$RDD_PORT" "$@"
	RD_HEAD='' RD_BODY='' _nl=''
	{
		IFS= read -r RD_HEAD
		while IFS= read -r _line || [ -n "$_line" ]; do
			RD_BODY="$RD_BODY$_nl$_line"
			_nl='
'
		done
	} <"$T/rdclient.out"
	RD_CODE=${RD_HEAD%% *}
}

# lf [--sort] [--sort-attrs] [--json] TEXT: TEXT (link-format, or a
# links-json array) normalised to one link per line with unquoted values,
# so that links compare whatever their quoting.
lf() {
	rdclient lf "$@"
	rd_out
}

# observe_bg LOG PATH[?QUERY] [OPTIONS...]: an observer (rdclient.py
# observe) in the background, its messages appended to LOG one a line
# ("N TYPE CODE obs=N cf=N payload=..."), its own errors to LOG without
# .log plus .stderr.log; waits up to 5 s for the first answer. Sets
# OBS_PID. OPTIONS default to --duration 30 (a bound only: cleanup stops it).
observe_bg() {
	_olog=$1
	shift
	: >"$_olog"
	"$PYTHON" "$testdir/rdclient.py" observe --port "$RDD_PORT" --duration 30 --out "$_olog" \
		"$@" >"${_olog%.log}.stderr.log" 2>&1 </dev/null 3>&- 4<&- &
	OBS_PID=$!
	PIDS="$PIDS $OBS_PID"
	obs_wait "$_olog" 1 50 || not_ok "the observer of $1 got its first answer within 5 s"
}

# obs_count LOG: the number of messages an observer got (its first answer included).
obs_count() {
	grep -c '^[0-9][0-9]* ' "$1" 2>/dev/null
}

# obs_last LOG: the last message an observer got.
obs_last() {
	grep '^[0-9][0-9]* ' "$1" 2>/dev/null | tail -n 1
}

# obs_wait LOG N [TENTHS]: wait until an observer got N messages (default 5 s).
obs_wait() {
	_n=0
	while [ "$_n" -lt "${3:-50}" ]; do
		[ "$(obs_count "$1")" -ge "$2" ] && return 0
		sleep 0.1
		_n=$((_n + 1))
	done
	return 1
}

# ---------------------------------------------------------------- kaasd

KAASD=${KAASD:-$top_builddir/servers/kaasd/kaasd}

# start_kaasd CONF: start kaasd in the background and wait until it logged
# "started". Sets KAASD_PID and KAASD_LOG; fails the test if it does not start.
start_kaasd() {
	KAASD_LOG=${2:-$T/kaasd.log}
	: >"$KAASD_LOG"
	"$KAASD" -f "$1" >"$KAASD_LOG" 2>&1 </dev/null &
	KAASD_PID=$!
	PIDS="$PIDS $KAASD_PID"
	_n=0
	while [ "$_n" -lt 50 ]; do
		grep -Eq '^kaasd\[notice\]: kaasd .* started$' "$KAASD_LOG" && return 0
		if ! alive "$KAASD_PID"; then
			not_ok "kaasd starts with $1" "it exited; its log:"
			sed 's/^/      | /' "$KAASD_LOG"
			finish
		fi
		sleep 0.1
		_n=$((_n + 1))
	done
	not_ok "kaasd starts with $1" "no 'started' in its log within 5 s"
	finish
}

# kreq METHOD PATH[?QUERY] [OPTIONS...]: one request to kaasd (rdclient.py req);
# sets RD_HEAD, RD_CODE and RD_BODY like rdreq.
kreq() {
	_m=$1
	_p=$2
	shift 2
	RDD_PORT=$KAASD_PORT rdreq "$_m" "$_p" "$@"
}
