#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench-tstun.sh: tstund vs coturn STUN Binding replies/s on loopback, fixed clients and churn.
#
# usage: tools/bench/bench-tstun.sh [BUILD_DIR]
#   BUILD_DIR holds tools/bench/tice-bench and servers/tstund/tstund
#   (default ../build if it has them, else $PWD).
# Environment (defaults in brackets):
#   DUR [10]  seconds per run      LONG [60]  seconds of the long churn run
#   WARMUP [1]                     IVAL [5]   sampling interval of the long run
#   REPS [3]  runs per table row; the row shows the median by replies/s
#   QUIET [120]  before each row, wait up to this long for the machine to idle
#   LOAD ["--sockets 64 --inflight 8"]   extra tice-bench options for every run
#   COTURN_PORT [3478]  TSTUN_PORT [5783]  LIBCOAP_PORT [5784]
#   LIBCOAP [1]  also measure libcoap's coap-server-gnutls (GET /time) for reference
#   PIN [1]  pin the servers to SERVER_CPUS and tice-bench to BENCH_CPUS (taskset;
#            defaults: the first and the second half of the CPUs), so each side
#            gets its own cores. 0: let the scheduler place them (on a shared
#            machine other work then moves the server instead of slowing it).
# Everything runs on 127.0.0.1, every process started here is stopped by PID on
# exit, and the whole script is bounded by a watchdog.
set -u

BUILD=${1:-}
if [ -z "$BUILD" ]; then
	if [ -x ../build/tools/bench/tice-bench ]; then BUILD=../build; else BUILD=$PWD; fi
fi
DUR=${DUR:-10}
LONG=${LONG:-60}
WARMUP=${WARMUP:-1}
IVAL=${IVAL:-5}
LOAD=${LOAD:---sockets 64 --inflight 8}
read -r -a load <<<"$LOAD"
COTURN_PORT=${COTURN_PORT:-3478}
TSTUN_PORT=${TSTUN_PORT:-5783}
LIBCOAP_PORT=${LIBCOAP_PORT:-5784}
LIBCOAP=${LIBCOAP:-1}
REPS=${REPS:-3}
QUIET=${QUIET:-120}
BENCH=$BUILD/tools/bench/tice-bench
TSTUND=$BUILD/servers/tstund/tstund
HZ=$(getconf CLK_TCK)
NCPU=$(nproc)
PIN=${PIN:-1}
[ "$NCPU" -ge 2 ] || PIN=0
SERVER_CPUS=${SERVER_CPUS:-0-$(( NCPU / 2 - 1 ))}
BENCH_CPUS=${BENCH_CPUS:-$(( NCPU / 2 ))-$(( NCPU - 1 ))}
srv_pin=()
bench_pin=()
if [ "$PIN" = 1 ]; then
	command -v taskset >/dev/null || { echo "bench-tstun: PIN=1 needs taskset" >&2; exit 1; }
	srv_pin=(taskset -c "$SERVER_CPUS")
	bench_pin=(taskset -c "$BENCH_CPUS")
fi

die() {
	echo "bench-tstun: $*" >&2
	exit 1
}

[ -x "$BENCH" ] || die "no tice-bench in '$BUILD' (make tools/bench/tice-bench)"
tmp=$(mktemp -d /tmp/bench-tstun.XXXXXX) || die "mktemp failed"
pids=()
watchdog=

# Stop one of our children: TERM, up to 5 s, then KILL; reap it and forget its PID.
stop_pid() {
	local pid=$1 i keep=()
	for i in "${pids[@]}"; do
		[ "$i" = "$pid" ] || keep+=("$i")
	done
	pids=("${keep[@]}")
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

cleanup() {
	while [ "${#pids[@]}" -gt 0 ]; do
		stop_pid "${pids[0]}"
	done
	[ -n "$watchdog" ] && kill "$watchdog" 2>/dev/null && wait "$watchdog" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Every run is bounded by its --duration; this bounds the whole script too.
runs=$(( ((DUR + WARMUP + 5) * REPS + QUIET + 2) * 10 + LONG + WARMUP + QUIET + 120 ))
(
	trap 'kill "$ws" 2>/dev/null; exit 0' TERM
	sleep "$runs" &
	ws=$!
	wait "$ws"
	echo "bench-tstun: watchdog: over ${runs}s, stopping" >&2
	kill -TERM $$
) &
watchdog=$!

port_free() {
	command -v ss >/dev/null || return 0
	! ss -Huan "sport = :$1" | grep -q .
}

# CPU seconds (user + system, all threads) a process has used so far.
cpu_of() {
	local stat rest
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	rest=${stat##*) }
	# shellcheck disable=SC2086 # split the stat fields
	set -- $rest
	echo $(( ${12} + ${13} ))
}

# CPU ticks the whole machine has been busy so far (user nice system irq softirq steal).
busy_ticks() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# Wait up to QUIET seconds for the machine to idle (under 0.2 cores busy over
# 2 s), so that other work disturbs the runs less; the table shows what remained.
quiet() {
	local i b0 b1
	for i in $(seq $(( (QUIET + 1) / 2 ))); do
		b0=$(busy_ticks)
		sleep 2
		b1=$(busy_ticks)
		[ $(( (b1 - b0) * 10 )) -lt $(( HZ * 2 * 2 )) ] && return 0
	done
	[ "$QUIET" -gt 0 ] && echo "  machine still busy after ${QUIET}s, measuring anyway" >&2
	return 0
}

# sampler PID: after WARMUP, every IVAL seconds, print the cores PID and the
# whole machine kept busy; runs next to the long run, stopped by TERM.
sampler() {
	local c0 b0 c1 b1 sp
	trap 'kill "$sp" 2>/dev/null; exit 0' TERM
	sleep "$WARMUP" &
	sp=$!
	wait "$sp"
	c0=$(cpu_of "$1")
	b0=$(busy_ticks)
	for _ in $(seq $(( LONG / IVAL ))); do
		sleep "$IVAL" &
		sp=$!
		wait "$sp"
		c1=$(cpu_of "$1")
		b1=$(busy_ticks)
		awk -v c=$((c1 - c0)) -v b=$((b1 - b0)) -v hz="$HZ" -v t="$IVAL" \
			'BEGIN { printf "server_cpu=%.2f machine_cpu=%.2f\n", c / hz / t, b / hz / t }'
		c0=$c1
		b0=$b1
	done
}

rss_of() {
	awk '/^VmRSS:/ { print $2 " " $3 }' "/proc/$1/status" 2>/dev/null
}

threads_of() {
	find "/proc/$1/task" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l
}

# CPU seconds of our finished children so far into $child_cpu. Not in a
# $(...) subshell: 'times' must run in this shell to see them.
child_cpu() {
	times >"$tmp/times"
	child_cpu=$(awk 'function sec(t, m) { split(t, m, /[ms]/); return m[1] * 60 + m[2] }
		NR == 2 { printf "%.2f\n", sec($1) + sec($2) }' "$tmp/times")
}

# wait_ready PID PROBE...: poll with a one-request probe for up to 10 s.
wait_ready() {
	local pid=$1 i
	shift
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || return 1
		"$BENCH" "$@" --count 1 --sockets 1 --inflight 1 --duration 1 \
			--timeout-ms 200 >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

rows=()
# measure NAME PID THREADS CLIENTS tice-bench-args...: one row of the table,
# from REPS runs: the best (by replies/s; other work on the machine only ever
# lowers a closed-loop rate), and the median.
measure() {
	local name=$1 pid=$2 nthr=$3 clients=$4 c0 c1 g0 i line lines=() churn=() scpu gcpu
	local t=$((REPS * (DUR + WARMUP))) best med range b0 b1 ocpu rss
	shift 4
	[ "$clients" = churn ] && churn=(--churn)
	quiet
	c0=$(cpu_of "$pid")
	b0=$(busy_ticks)
	child_cpu
	g0=$child_cpu
	echo "+ tice-bench $* ${load[*]} ${churn[*]} --duration $DUR --warmup $WARMUP" >&2
	for i in $(seq "$REPS"); do
		line=$(timeout $((DUR + WARMUP + 30)) "${bench_pin[@]}" "$BENCH" "$@" "${load[@]}" \
			"${churn[@]}" --duration "$DUR" --warmup "$WARMUP" 2>&1 | tail -n 1)
		echo "  $line" >&2
		lines+=("$(field rps "$line") $line")
	done
	child_cpu
	b1=$(busy_ticks)
	c1=$(cpu_of "$pid")
	rss=$(rss_of "$pid")
	scpu=$(awk -v a="$c0" -v b="$c1" -v hz="$HZ" -v t=$t 'BEGIN { printf "%.2f", (b - a) / hz / t }')
	gcpu=$(awk -v a="$g0" -v b="$child_cpu" -v t=$t 'BEGIN { printf "%.2f", (b - a) / t }')
	ocpu=$(awk -v a="$b0" -v b="$b1" -v hz="$HZ" -v t=$t -v s="$scpu" -v g="$gcpu" \
		'BEGIN { o = (b - a) / hz / t - s - g; printf "%.2f", o < 0 ? 0 : o }')
	best=$(printf '%s\n' "${lines[@]}" | sort -n | tail -n 1)
	med=$(printf '%s\n' "${lines[@]}" | sort -n | sed -n "$(( (REPS + 1) / 2 ))p")
	range=$(printf '%s\n' "${lines[@]}" | sort -n | awk 'NR == 1 { a = $1 } END { print a "-" $1 }')
	rows+=("$name|$nthr|$clients|${best#* }|${med%% *}|$range|$scpu|$gcpu|$ocpu|$rss")
}

field() { # field KEY LINE
	local kv
	for kv in $2; do
		[ "${kv%%=*}" = "$1" ] && { echo "${kv#*=}"; return; }
	done
	echo -
}

start_coturn() { # start_coturn TAG EXTRA-ARGS...: sets cpid
	local tag=$1
	shift
	mkdir -p "$tmp/$tag"
	"${srv_pin[@]}" turnserver --stun-only --no-cli --no-tls --no-dtls --listening-ip 127.0.0.1 \
		--listening-port "$COTURN_PORT" --log-file stdout --simple-log -n \
		--pidfile "$tmp/$tag/pid" --userdb "$tmp/$tag/turndb" "$@" \
		>"$tmp/$tag/log" 2>&1 &
	cpid=$!
	pids+=("$cpid")
	wait_ready "$cpid" --proto stun --target "127.0.0.1:$COTURN_PORT" ||
		die "coturn did not start, see its log: $(tail -n 5 "$tmp/$tag/log")"
}

ncoturn=0
bench_coturn() { # bench_coturn LABEL EXTRA-ARGS...
	local label=$1 n
	shift
	ncoturn=$((ncoturn + 1))
	start_coturn "coturn$ncoturn" "$@"
	n="$(threads_of "$cpid") ($(sed -n 's/.*Total General servers: \([0-9]*\).*/\1/p' \
		"$tmp/coturn$ncoturn/log" | head -n 1) relay)"
	measure "$label" "$cpid" "$n" fixed --proto stun --target "127.0.0.1:$COTURN_PORT"
	measure "$label" "$cpid" "$n" churn --proto stun --target "127.0.0.1:$COTURN_PORT"
	stop_pid "$cpid"
}

for p in "$COTURN_PORT" "$TSTUN_PORT" "$LIBCOAP_PORT"; do
	port_free "$p" || die "udp port $p on loopback is in use"
done

echo "machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)," \
	"$(uname -sr)" >&2
echo "load: $LOAD, ${DUR}s per run after ${WARMUP}s warmup" >&2
if [ "$PIN" = 1 ]; then
	echo "pinned: servers on CPUs $SERVER_CPUS, tice-bench on CPUs $BENCH_CPUS" >&2
else
	echo "not pinned" >&2
fi

if command -v turnserver >/dev/null; then
	echo "coturn $(turnserver --version 2>/dev/null | head -n 1)" >&2
	bench_coturn "coturn default"
	bench_coturn "coturn -m 1" -m 1
	bench_coturn "coturn -m 0" -m 0
else
	echo "bench-tstun: turnserver not installed (apt-get install coturn), skipping coturn" >&2
fi

if [ "$LIBCOAP" = 1 ] && command -v coap-server-gnutls >/dev/null; then
	"${srv_pin[@]}" coap-server-gnutls -A 127.0.0.1 -p "$LIBCOAP_PORT" >"$tmp/libcoap.log" 2>&1 &
	lpid=$!
	pids+=("$lpid")
	if wait_ready "$lpid" --target "127.0.0.1:$LIBCOAP_PORT" --path /time; then
		n=$(threads_of "$lpid")
		measure "libcoap coap-server" "$lpid" "$n" fixed --target "127.0.0.1:$LIBCOAP_PORT" --path /time
		measure "libcoap coap-server" "$lpid" "$n" churn --target "127.0.0.1:$LIBCOAP_PORT" --path /time
	fi
	stop_pid "$lpid"
fi

long=
if [ -x "$TSTUND" ]; then
	printf 'listen coap://127.0.0.1:%s\n' "$TSTUN_PORT" >"$tmp/tstund.conf"
	"${srv_pin[@]}" "$TSTUND" -f "$tmp/tstund.conf" >"$tmp/tstund.log" 2>&1 &
	tpid=$!
	pids+=("$tpid")
	wait_ready "$tpid" --target "127.0.0.1:$TSTUN_PORT" ||
		die "tstund did not start: $(tail -n 5 "$tmp/tstund.log")"
	n=$(threads_of "$tpid")
	measure tstund "$tpid" "$n" fixed --target "127.0.0.1:$TSTUN_PORT"
	measure tstund "$tpid" "$n" churn --target "127.0.0.1:$TSTUN_PORT"
	quiet
	rss0=$(rss_of "$tpid")
	echo "  tstund long churn run, ${LONG}s" >&2
	sampler "$tpid" >"$tmp/samples" &
	spid=$!
	pids+=("$spid")
	long=$(timeout $((LONG + WARMUP + 30)) "${bench_pin[@]}" "$BENCH" \
		--target "127.0.0.1:$TSTUN_PORT" "${load[@]}" --churn --duration "$LONG" \
		--warmup "$WARMUP" --interval "$IVAL" 2>&1)
	rss1=$(rss_of "$tpid")
	stop_pid "$spid"
	stop_pid "$tpid"
else
	echo "bench-tstun: no tstund in '$BUILD' (make servers/tstund/tstund), skipping it" >&2
fi

# The report.
printf '\n| server | threads | clients | replies/s | median | range | p50 us | p99 us | lost |'
printf ' server CPU | bench CPU | other CPU | replies/s per server core | server RSS |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n'
for r in "${rows[@]}"; do
	IFS='|' read -r name nthr clients line med range scpu gcpu ocpu rss <<<"$r"
	printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
		"$name" "$nthr" "$clients" "$(field rps "$line")" "$med" "$range" \
		"$(field p50_us "$line")" "$(field p99_us "$line")" "$(field lost "$line")" \
		"$scpu" "$gcpu" "$ocpu" \
		"$(awk -v r="$med" -v c="$scpu" 'BEGIN { if (c > 0) printf "%.0f", r / c; else print "-" }')" \
		"$rss"
done
echo "(replies/s, latency and lost: the best of $REPS runs of ${DUR}s; median and range of"
echo " replies/s over the $REPS. CPU: cores busy on average over all $REPS runs and warmups:"
echo " the server, tice-bench, and everything else on the machine ($(nproc) CPUs in all);"
echo " per server core: median replies/s over server CPU; server RSS: VmRSS after the row.)"

rps_of() { # rps_of NAME-PREFIX CLIENTS
	local r name nthr clients line rest
	for r in "${rows[@]}"; do
		IFS='|' read -r name nthr clients line rest <<<"$r"
		case $name in "$1"*) [ "$clients" = "$2" ] && { field rps "$line"; return; } ;; esac
	done
	echo 0
}

echo
for c in fixed churn; do
	t=$(rps_of tstund "$c")
	for ref in "coturn default" "coturn -m 1" "coturn -m 0" "libcoap"; do
		o=$(rps_of "$ref" "$c")
		[ "$o" != 0 ] && [ "$t" != 0 ] &&
			awk -v t="$t" -v o="$o" -v c="$c" -v n="$ref" \
				'BEGIN { printf "ratio tstund/%s %s: %.2f\n", n, c, t / o }'
	done
done
if [ -n "$long" ]; then
	echo
	echo "tstund long churn run (${LONG}s, every ${IVAL}s; cores busy: tstund, whole machine):"
	paste -d ' ' <(echo "$long" | grep '^interval') "$tmp/samples"
	echo "$long" | grep -v '^interval'
	echo "$long" | awk '/^interval/ { for (i = 1; i <= NF; i++) if ($i ~ /^rps=/) {
			v = substr($i, 5); n++; s += v; if (n == 1 || v < mn) mn = v; if (v > mx) mx = v } }
		END { if (n) printf "samples=%d min=%d max=%d mean=%.0f min/max=%.2f\n",
			n, mn, mx, s / n, mn / mx }'
	echo "tstund VmRSS before the long run: ${rss0:-?}, after: ${rss1:-?}"
fi
