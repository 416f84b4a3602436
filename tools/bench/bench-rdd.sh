#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench-rdd.sh: rdd lookups/s, durable registrations/s, RSS per registration and Observe
# fan-out at several directory sizes, side by side with libcoap's coap-rd where it can.
#
# usage: tools/bench/bench-rdd.sh [BUILD_DIR]
#   BUILD_DIR holds servers/rdd/rdd, tools/bench/tice-bench and tools/bench/rdd-populate
#   (default ../build if it has them, else $PWD).
# Environment (defaults in brackets):
#   SIZES ["100 10000"]  registered endpoints per column; SIZES="100 10000 1000000" for
#            the full table (populating 1M takes a few minutes: see CACHE)
#   KINDS [all]  lookup kinds to run, from: ep ep-prefix ep-by-link res-by-ep
#            res-candidate res-rt-page
#   DUR [3]  seconds per run    WARMUP [1]    REPS [3]  runs per cell; the cell
#            shows the median by replies/s
#   QUIET [30]  before each cell, wait up to this long for the machine to idle
#   LOAD ["--sockets 16 --inflight 4"]  tice-bench load of lookups and registrations
#   TIMEOUT_MS [5000]  a request unanswered after this counts as lost
#   OBSERVERS [10000]  IDLE_OBSERVERS [100]  TRIGGERS [25]  the fan-out run (0: skip);
#            the idle observers watch a query no change touches; 25 changes cover
#            rdd's periodic confirmable notification (RFC 7641 section 4.5)
#   RDD_PORT [5883]  ANCHOR_PORT [5884]
#   ANCHOR [1]  also run libcoap's coap-rd-gnutls (in memory; populated over CoAP)
#   DBDIR [a temporary directory]  where rdd's databases live during the runs: its
#            disk's fsync cost is part of the durable registration figures
#   CACHE [none]  a directory that keeps populated databases (rdd-<N>.db) between
#            runs; they are copied to DBDIR before use
#   PIN [1]  pin the servers to SERVER_CPUS and tice-bench to BENCH_CPUS (taskset;
#            defaults: the first and the second half of the CPUs)
# Everything runs on 127.0.0.1, every process started here is stopped by PID on
# exit, every run is bounded by its --duration or --count and a timeout, and the
# whole script by a watchdog.
set -u

BUILD=${1:-}
if [ -z "$BUILD" ]; then
	if [ -x ../build/tools/bench/tice-bench ]; then BUILD=../build; else BUILD=$PWD; fi
fi
SIZES=${SIZES:-100 10000}
KINDS=${KINDS:-ep ep-prefix ep-by-link res-by-ep res-candidate res-rt-page}
DUR=${DUR:-3}
WARMUP=${WARMUP:-1}
REPS=${REPS:-3}
QUIET=${QUIET:-30}
LOAD=${LOAD:---sockets 16 --inflight 4}
read -r -a load <<<"$LOAD"
TIMEOUT_MS=${TIMEOUT_MS:-5000}
OBSERVERS=${OBSERVERS:-10000}
IDLE_OBSERVERS=${IDLE_OBSERVERS:-100}
TRIGGERS=${TRIGGERS:-25}
RDD_PORT=${RDD_PORT:-5883}
ANCHOR_PORT=${ANCHOR_PORT:-5884}
ANCHOR=${ANCHOR:-1}
CACHE=${CACHE:-}
BENCH=$BUILD/tools/bench/tice-bench
POPULATE=$BUILD/tools/bench/rdd-populate
RDD=$BUILD/servers/rdd/rdd
HZ=$(getconf CLK_TCK)
NCPU=$(nproc)
PIN=${PIN:-1}
[ "$NCPU" -ge 2 ] || PIN=0
SERVER_CPUS=${SERVER_CPUS:-0-$((NCPU / 2 - 1))}
BENCH_CPUS=${BENCH_CPUS:-$((NCPU / 2))-$((NCPU - 1))}
srv_pin=()
bench_pin=()

die() {
	echo "bench-rdd: $*" >&2
	exit 1
}

if [ "$PIN" = 1 ]; then
	command -v taskset >/dev/null || die "PIN=1 needs taskset"
	srv_pin=(taskset -c "$SERVER_CPUS")
	bench_pin=(taskset -c "$BENCH_CPUS")
fi
for f in "$BENCH" "$POPULATE" "$RDD"; do
	[ -x "$f" ] || die "no '$f' (make in '$BUILD')"
done
for n in $SIZES; do
	case $n in '' | *[!0-9]*) die "SIZES: '$n' is not a number" ;; esac
	[ "$n" -ge 1 ] || die "SIZES: sizes start at 1"
done
if [ "$ANCHOR" = 1 ] && ! command -v coap-rd-gnutls >/dev/null; then
	echo "bench-rdd: coap-rd-gnutls not installed (apt-get install libcoap3-bin), no anchor" >&2
	ANCHOR=0
fi
tmp=$(mktemp -d /tmp/bench-rdd.XXXXXX) || die "mktemp failed"
DBDIR=${DBDIR:-$tmp}
mkdir -p "$DBDIR" || die "cannot create '$DBDIR'"
[ -z "$CACHE" ] || mkdir -p "$CACHE" || die "cannot create '$CACHE'"
pids=()
watchdog=
dbs=()

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
	for f in "${dbs[@]}"; do
		rm -f "$f" "$f-wal" "$f-shm"
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Fan-out observers need a socket each.
if [ "$OBSERVERS" -gt 0 ]; then
	hard=$(ulimit -Hn)
	if [ "$hard" != unlimited ] && [ $((OBSERVERS + IDLE_OBSERVERS + 200)) -gt "$hard" ]; then
		OBSERVERS=$((hard - IDLE_OBSERVERS - 200))
		echo "bench-rdd: open files limited to $hard: $OBSERVERS observers" >&2
	fi
fi

# A generous bound on the whole script: every run, populate at 2,000/s, QUIET per cell.
nkinds=$(wc -w <<<"$KINDS")
nsizes=$(wc -w <<<"$SIZES")
total_n=0
for n in $SIZES; do total_n=$((total_n + n)); done
cells=$(((nkinds * 2 + 5) * nsizes))
runs=$((cells * (REPS * (DUR + WARMUP + 15) + QUIET + 10) + (TRIGGERS * 15 + 60) * nsizes \
	+ total_n * (1 + ANCHOR) / 2000 + 300))
(
	trap 'kill "$ws" 2>/dev/null; exit 0' TERM
	sleep "$runs" &
	ws=$!
	wait "$ws"
	echo "bench-rdd: watchdog: over ${runs}s, stopping" >&2
	kill -TERM $$
) &
watchdog=$!

port_free() {
	command -v ss >/dev/null || return 0
	! ss -Huan "sport = :$1" | grep -q .
}

busy_ticks() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# Wait up to QUIET seconds for the machine to idle (under 0.2 cores busy over 2 s).
quiet() {
	local i b0 b1
	[ "$QUIET" -gt 0 ] || return 0
	for i in $(seq $(((QUIET + 1) / 2))); do
		b0=$(busy_ticks)
		sleep 2
		b1=$(busy_ticks)
		[ $(((b1 - b0) * 10)) -lt $((HZ * 2 * 2)) ] && return 0
	done
	echo "  machine still busy after ${QUIET}s, measuring anyway" >&2
}

rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

field() { # field KEY LINE
	local kv
	for kv in $2; do
		[ "${kv%%=*}" = "$1" ] && {
			echo "${kv#*=}"
			return
		}
	done
	echo -
}

# wait_ready PID PROBE...: poll with a one-request probe for up to 30 s.
wait_ready() {
	local pid=$1 i
	shift
	for i in $(seq 300); do
		kill -0 "$pid" 2>/dev/null || return 1
		"$BENCH" "$@" --count 1 --sockets 1 --inflight 1 --duration 1 \
			--timeout-ms 200 >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# CPU ticks (user + system, all threads) a process has used so far.
cpu_of() {
	local stat rest
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || {
		echo 0
		return
	}
	rest=${stat##*) }
	# shellcheck disable=SC2086 # split the stat fields
	set -- $rest
	echo $((${12} + ${13}))
}

# Wait up to 15 s until PID used no CPU for 0.2 s: requests a run left in flight
# must not be served during the next one.
drain() {
	local i c0 c1
	c0=$(cpu_of "$1")
	for i in $(seq 75); do
		sleep 0.2
		c1=$(cpu_of "$1")
		[ "$c1" = "$c0" ] && return 0
		c0=$c1
	done
}

declare -A res
# cell KEY PID tice-bench-args...: REPS runs against the server PID; res[KEY] is the
# median run's line (by replies/s) with " range=MIN-MAX server_cpu=CORES" appended,
# CORES being what the server used on average while the runs (and warmups) ran.
cell() {
	local key=$1 pid=$2 i line lines=() med range c0 t0 cpu=0 secs=0 scpu
	shift 2
	quiet
	echo "+ tice-bench $* ${load[*]} --duration $DUR --warmup $WARMUP" >&2
	for i in $(seq "$REPS"); do
		c0=$(cpu_of "$pid")
		t0=$(date +%s.%N)
		line=$(timeout $((DUR + WARMUP + TIMEOUT_MS / 1000 + 30)) "${bench_pin[@]}" "$BENCH" \
			"$@" "${load[@]}" --timeout-ms "$TIMEOUT_MS" --duration "$DUR" \
			--warmup "$WARMUP" 2>&1 | tail -n 1)
		cpu=$((cpu + $(cpu_of "$pid") - c0))
		secs=$(awk -v s="$secs" -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print s + b - a }')
		echo "  $line" >&2
		lines+=("$(field rps "$line") $line")
		drain "$pid"
	done
	scpu=$(awk -v c="$cpu" -v hz="$HZ" -v t="$secs" 'BEGIN { printf "%.2f", c / hz / t }')
	med=$(printf '%s\n' "${lines[@]}" | sort -n | sed -n "$(((REPS + 1) / 2))p")
	range=$(printf '%s\n' "${lines[@]}" | sort -n | awk 'NR == 1 { a = $1 } END { print a "-" $1 }')
	res[$key]="${med#* } range=$range server_cpu=$scpu"
}

# Lookup kinds: name|rdd path|rdd query|coap-rd path|coap-rd query (empty path: no
# counterpart). %n is a random endpoint number below N, %a the same as 10.x.y.z.
kind_def() {
	case $1 in
	ep) echo "ep|/rd-lookup/ep|ep=node%n|/.well-known/core|href=/rd/node%n" ;;
	ep-prefix) echo "ep-prefix|/rd-lookup/ep|ep=node%n*&count=10|/.well-known/core|href=/rd/node%n*" ;;
	ep-by-link) echo "ep-by-link|/rd-lookup/ep|anchor=coap://%a:5683||" ;;
	res-by-ep) echo "res-by-ep|/rd-lookup/res|ep=node%n|/rd/node%n|" ;;
	res-candidate) echo "res-candidate|/rd-lookup/res|rel=candidateof&anchor=coap://%a:5683||" ;;
	res-rt-page) echo "res-rt-page|/rd-lookup/res|rt=temperature-c&count=10||" ;;
	*) die "KINDS: unknown kind '$1'" ;;
	esac
}
for k in $KINDS; do kind_def "$k" >/dev/null; done

# rdd_conf FILE DB SYNC [EXTRA-LINE]
rdd_conf() {
	{
		echo "listen coap://127.0.0.1:$RDD_PORT"
		echo "database $2"
		echo "synchronous $3"
		echo "max-registrations 100000000"
		echo "max-observers 10000000"
		echo "max-observers-per-peer 10000000"
		echo "max-idle-sessions 1000000"
		echo "log-level warning"
		[ -n "${4:-}" ] && echo "$4"
	} >"$1"
}

# start_rdd TAG DB SYNC [EXTRA-LINE]: sets rpid.
start_rdd() {
	rdd_conf "$tmp/$1.conf" "$2" "$3" "${4:-}"
	"${srv_pin[@]}" "$RDD" -f "$tmp/$1.conf" >"$tmp/$1.log" 2>&1 &
	rpid=$!
	pids+=("$rpid")
	wait_ready "$rpid" --target "127.0.0.1:$RDD_PORT" --rd lookup-ep --query ep=node0 ||
		die "rdd did not start: $(tail -n 5 "$tmp/$1.log")"
}

start_anchor() { # sets apid
	"${srv_pin[@]}" coap-rd-gnutls -A 127.0.0.1 -p "$ANCHOR_PORT" >"$tmp/coap-rd.log" 2>&1 &
	apid=$!
	pids+=("$apid")
	wait_ready "$apid" --target "127.0.0.1:$ANCHOR_PORT" --path /rd ||
		die "coap-rd-gnutls did not start: $(tail -n 5 "$tmp/coap-rd.log")"
}

# db_for N: sets db to a database with node0 .. node<N-1>, fresh in DBDIR.
declare -A popinfo
db_for() {
	local n=$1 src out
	db=$DBDIR/rdd-$1.db
	rm -f "$db" "$db-wal" "$db-shm"
	dbs+=("$db")
	src=$db
	[ -n "$CACHE" ] && src=$CACHE/rdd-$n.db
	if [ -z "$CACHE" ] || [ ! -s "$src" ]; then
		rm -f "$src" "$src-wal" "$src-shm"
		echo "+ rdd-populate -n $n $src" >&2
		out=$("$POPULATE" -q -n "$n" "$src") || die "rdd-populate failed"
		echo "  $out" >&2
		popinfo[$n]=$out
	else
		popinfo[$n]="from cache $src"
	fi
	[ "$src" = "$db" ] || cp "$src" "$db" || die "cannot copy '$src'"
}

group_commit_known() { # whether this rdd has the group-commit directive
	rdd_conf "$tmp/gc.conf" "$tmp/gc.db" full "group-commit no"
	"$RDD" -n -f "$tmp/gc.conf" >/dev/null 2>&1
}

for p in "$RDD_PORT" "$ANCHOR_PORT"; do
	port_free "$p" || die "udp port $p on loopback is in use"
done

echo "machine: $NCPU CPUs, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)," \
	"$(uname -sr)" >&2
echo "sizes: $SIZES; load: $LOAD, ${DUR}s per run after ${WARMUP}s warmup, $REPS runs" >&2
echo "databases in $DBDIR ($(df -PT "$DBDIR" | awk 'NR == 2 { print $2 " on " $1 }'))" >&2
if [ "$PIN" = 1 ]; then
	echo "pinned: servers on CPUs $SERVER_CPUS, tice-bench on CPUs $BENCH_CPUS" >&2
fi
gc=0
group_commit_known && gc=1

# Baselines: RSS of each server with nothing registered, after one request.
start_rdd base "$DBDIR/rdd-empty.db" full
dbs+=("$DBDIR/rdd-empty.db")
base_rdd=$(rss_kb "$rpid")
stop_pid "$rpid"
if [ "$ANCHOR" = 1 ]; then
	start_anchor
	base_anchor=$(rss_kb "$apid")
	stop_pid "$apid"
fi

regs=0 # registrations runs so far: each uses endpoint names of its own
declare -A rss fan
for n in $SIZES; do
	echo "== $n endpoints" >&2
	db_for "$n"

	start_rdd "full-$n" "$db" full
	rss[rdd-start|$n]=$(rss_kb "$rpid")
	for k in $KINDS; do
		IFS='|' read -r name path query apath aquery <<<"$(kind_def "$k")"
		cell "$name|rdd|$n" "$rpid" --target "127.0.0.1:$RDD_PORT" --path "$path" --query "$query" \
			--random "$n"
	done
	rss[rdd|$n]=$(rss_kb "$rpid")
	regs=$((regs + 1))
	cell "register-full|rdd|$n" "$rpid" --target "127.0.0.1:$RDD_PORT" --rd register \
		--query "ep=r${regs}x%n"
	# Last: the observers' sessions stay in rdd after they leave.
	if [ "$OBSERVERS" -gt 0 ]; then
		quiet
		echo "+ tice-bench --rd observe --observers $OBSERVERS --idle-observers" \
			"$IDLE_OBSERVERS --triggers $TRIGGERS" >&2
		line=$(timeout $((TRIGGERS * 12 + 60)) "${bench_pin[@]}" "$BENCH" \
			--target "127.0.0.1:$RDD_PORT" --rd observe --observers "$OBSERVERS" \
			--idle-observers "$IDLE_OBSERVERS" --triggers "$TRIGGERS" --duration 10 2>&1)
		echo "  ${line//$'\n'/$'\n'  }" >&2
		fan[$n]=$(echo "$line" | tail -n 1)
	fi
	stop_pid "$rpid"

	if [ "$gc" = 1 ]; then
		start_rdd "nogc-$n" "$db" full "group-commit no"
		regs=$((regs + 1))
		cell "register-full-nogc|rdd|$n" "$rpid" --target "127.0.0.1:$RDD_PORT" --rd register \
			--query "ep=r${regs}x%n"
		stop_pid "$rpid"
	fi

	start_rdd "normal-$n" "$db" normal
	regs=$((regs + 1))
	cell "register-normal|rdd|$n" "$rpid" --target "127.0.0.1:$RDD_PORT" --rd register \
		--query "ep=r${regs}x%n"
	stop_pid "$rpid"
	rm -f "$db" "$db-wal" "$db-shm"

	[ "$ANCHOR" = 1 ] || continue
	# coap-rd keeps registrations in memory and takes the endpoint name as h=.
	start_anchor
	echo "+ tice-bench --rd register --query 'h=node%n' --count $n (populate coap-rd)" >&2
	line=$(timeout 700 "${bench_pin[@]}" "$BENCH" --target "127.0.0.1:$ANCHOR_PORT" \
		--rd register --query 'h=node%n' --count "$n" --duration 600 "${load[@]}" \
		--timeout-ms "$TIMEOUT_MS" 2>&1 | tail -n 1)
	echo "  $line" >&2
	res[populate|coap-rd|$n]=$line
	rss[coap-rd|$n]=$(rss_kb "$apid")
	for k in $KINDS; do
		IFS='|' read -r name path query apath aquery <<<"$(kind_def "$k")"
		[ -n "$apath" ] || continue
		cell "$name|coap-rd|$n" "$apid" --target "127.0.0.1:$ANCHOR_PORT" --path "$apath" \
			--query "$aquery" --random "$n"
	done
	regs=$((regs + 1))
	cell "register-memory|coap-rd|$n" "$apid" --target "127.0.0.1:$ANCHOR_PORT" --rd register \
		--query "h=r${regs}x%n"
	stop_pid "$apid"
done

# The report.
fmt_int() { # 12345.6 -> 12,346
	awk -v v="$1" 'BEGIN { if (v !~ /^[0-9.]+$/) { print v; exit }
		s = sprintf("%.0f", v); n = length(s)
		for (i = 1; i <= n; i++) { o = o substr(s, i, 1); if ((n - i) % 3 == 0 && i < n) o = o "," }
		print o }'
}

cellstr() { # cellstr KEY: "rps (p50 / p99 ms)" and what went wrong
	local l=${res[$1]:-} extra=
	[ -n "$l" ] || {
		echo "-"
		return
	}
	for f in lost errors empty; do
		# A registration's 2.01 has no payload.
		[ "$f" = empty ] && [ "$(field method "$l")" = POST ] && continue
		[ "$(field $f "$l")" = 0 ] || [ "$(field $f "$l")" = - ] || extra+=" $f $(field $f "$l")"
	done
	[ "$(field error_codes "$l")" = - ] || extra+=" ($(field error_codes "$l"))"
	printf '%s/s (%s / %s ms, %s core)%s' "$(fmt_int "$(field rps "$l")")" \
		"$(awk -v u="$(field p50_us "$l")" 'BEGIN { printf "%.1f", u / 1000 }')" \
		"$(awk -v u="$(field p99_us "$l")" 'BEGIN { printf "%.1f", u / 1000 }')" \
		"$(field server_cpu "$l")" "${extra:+ [${extra# }]}"
}

perreg() { # perreg KB BASE-KB N: bytes per registration (below 10,000 only the RSS)
	if [ -z "$1" ] || [ -z "$2" ]; then
		echo "-"
		return
	fi
	awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { if (n < 10000) printf "%.1f MB", a / 1024
		else printf "%.0f B (%.1f MB)", (a - b) * 1024 / n, a / 1024 }'
}

printf '\n| measure | server | request |'
for n in $SIZES; do printf ' %s |' "$(fmt_int "$n")"; done
printf '\n|---|---|---|'
for n in $SIZES; do printf -- '---|'; done
echo
for k in $KINDS; do
	IFS='|' read -r name path query apath aquery <<<"$(kind_def "$k")"
	printf '| lookup %s | rdd | GET %s?%s |' "$name" "$path" "$query"
	for n in $SIZES; do printf ' %s |' "$(cellstr "$name|rdd|$n")"; done
	echo
	if [ "$ANCHOR" = 1 ] && [ -n "$apath" ]; then
		printf '| lookup %s | coap-rd | GET %s%s |' "$name" "$apath" "${aquery:+?$aquery}"
		for n in $SIZES; do printf ' %s |' "$(cellstr "$name|coap-rd|$n")"; done
		echo
	fi
done
for r in "register-full|rdd|synchronous full" "register-full-nogc|rdd|synchronous full, group-commit no" \
	"register-normal|rdd|synchronous normal" "register-memory|coap-rd|in memory, not durable"; do
	IFS='|' read -r key srv what <<<"$r"
	[ -n "${res[$key|$srv|${SIZES%% *}]:-}" ] || continue
	printf '| registrations (%s) | %s | POST /rd?%s=r<run>x<seq> |' "$what" "$srv" \
		"$([ "$srv" = rdd ] && echo ep || echo h)"
	for n in $SIZES; do printf ' %s |' "$(cellstr "$key|$srv|$n")"; done
	echo
done
printf '| RSS per registration | rdd | after the lookups, minus empty (%s kB); [at start] |' "$base_rdd"
for n in $SIZES; do
	printf ' %s [%s] |' "$(perreg "${rss[rdd|$n]:-}" "$base_rdd" "$n")" \
		"$(perreg "${rss[rdd-start|$n]:-}" "$base_rdd" "$n")"
done
echo
if [ "$ANCHOR" = 1 ]; then
	printf '| RSS per registration | coap-rd | after populating, minus empty (%s kB) |' "$base_anchor"
	for n in $SIZES; do printf ' %s |' "$(perreg "${rss[coap-rd|$n]:-}" "$base_anchor" "$n")"; done
	echo
fi
if [ "$OBSERVERS" -gt 0 ]; then
	printf '| one change to %s observers | rdd | last notification: median (max) of %s |' \
		"$(fmt_int "$OBSERVERS")" "$TRIGGERS"
	for n in $SIZES; do
		l=${fan[$n]:-}
		if [ -z "$l" ]; then
			printf ' - |'
			continue
		fi
		printf ' %s ms (%s) [complete %s/%s, stale %s, spurious %s, established %s] |' \
			"$(field last_ms_median "$l")" "$(field last_ms_max "$l")" "$(field complete "$l")" \
			"$TRIGGERS" "$(field stale "$l")" "$(field spurious "$l")" "$(field established "$l")"
	done
	echo
	[ "$ANCHOR" = 1 ] && echo "| one change to observers | coap-rd | not observable (no Observe on /rd or /.well-known/core) | |"
fi
echo
echo "Cells: median of $REPS runs by replies/s (p50 / p99 latency of that run, and the cores the"
echo "server used on average while the $REPS runs and their warmups ran); [...]: requests"
echo "lost, answered with another code, or answered 2.05 with an empty payload (a lookup that"
echo "found nothing). In a request, %n is a random endpoint number below the size and %a the"
echo "same number as 10.x.y.z (the candidate's anchor). Load: $LOAD (closed loop),"
echo "${DUR}s per run. coap-rd-gnutls (libcoap 4.3.1) implements an old RD draft: it has no"
echo "/rd-lookup and does not parse the links; the nearest requests are shown. RSS per"
echo "registration: (VmRSS - VmRSS with nothing registered) / size, from 10,000 up."
for n in $SIZES; do
	echo "populate $n: rdd: ${popinfo[$n]:-?}; coap-rd over CoAP: $(field rps "${res[populate|coap-rd|$n]:-}")/s," \
		"lost $(field lost "${res[populate|coap-rd|$n]:-}")"
done

# The goals of the issue, checked on what was measured.
echo
echo "Goals:"
last=${SIZES##* }
first=${SIZES%% *}
for k in $KINDS; do
	IFS='|' read -r name _ <<<"$(kind_def "$k")"
	min=
	for n in $SIZES; do
		v=$(field rps "${res[$name|rdd|$n]:-}")
		[ "$v" = - ] && continue
		if [ -z "$min" ] || [ "$v" -lt "$min" ]; then min=$v; fi
	done
	a=$(field rps "${res[$name|rdd|$first]:-}")
	b=$(field rps "${res[$name|rdd|$last]:-}")
	p99=$(field p99_us "${res[$name|rdd|$last]:-}")
	awk -v n="$name" -v m="${min:-0}" -v a="$a" -v b="$b" -v p="$p99" -v l="$last" -v f="$first" 'BEGIN {
		flat = (a > 0 && b != "-") ? b / a : 0
		printf "  lookup %-13s >= 36k/s at every size: %-4s (min %d/s); flat %s -> %s: %.2f; p99 at %s: %.1f ms %s\n",
			n, (m >= 36000 ? "met" : "NOT"), m, f, l, flat, l, p / 1000,
			((p != "-" && p < 5000) ? "met" : "NOT") }'
done
v=$(field rps "${res[register-full|rdd|$last]:-}")
echo "  durable registrations (synchronous full) >= 3.2k/s at $last: ${v}/s $(awk -v v="$v" 'BEGIN { print ((v + 0 >= 3200) ? "met" : "NOT") }')"
if [ -n "${rss[rdd|$last]:-}" ]; then
	awk -v a="${rss[rdd|$last]}" -v b="$base_rdd" -v n="$last" 'BEGIN { v = (a - b) * 1024 / n;
		printf "  <= 1 KB RSS per registration at %d: %.0f B %s\n", n, v, (v <= 1024 ? "met" : "NOT") }'
fi
if [ "$OBSERVERS" -gt 0 ] && [ -n "${fan[$last]:-}" ]; then
	v=$(field last_ms_max "${fan[$last]}")
	echo "  one change to $OBSERVERS observers in < 1 s (worst of $TRIGGERS, at $last): ${v} ms" \
		"$(awk -v v="$v" 'BEGIN { print ((v >= 0 && v < 1000) ? "met" : "NOT") }')"
fi
