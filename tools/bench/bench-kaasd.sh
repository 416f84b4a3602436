#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench-kaasd.sh: kaasd keepalives/s, CPU, scheduling error and memory per subscription
# with up to millions of subscriptions, inside a network namespace of its own.
#
# usage: tools/bench/bench-kaasd.sh [BUILD_DIR]      (as root: it creates a namespace)
#   BUILD_DIR holds servers/kaasd/kaasd and tools/bench/kaasd-populate (default $PWD).
# Environment (defaults in brackets):
#   SIZES ["100000 1000000"]  subscriptions per run
#   INTERVAL [25]  keepalive interval in seconds (1M at 25 s is 40k keepalives/s)
#   WARM [50]  seconds after the database is loaded before measuring (the restart
#            spreads the first keepalives over half an interval)
#   DUR [75]  seconds measured: a whole number of intervals, so that the phase of the
#            keepalives after the restart does not bias the rate
#   CACHE [none]  a directory keeping populated databases (kaasd-<N>-<INTERVAL>.db)
#   CPU [0]  the core kaasd is pinned to (taskset)
# No anchor: no other implementation of keepalives on behalf of a device exists.
# The devices are 10.128.0.0/9 (kaasd-populate), routed from kaasd's namespace over a
# veth pair into a sink namespace that drops them: every keepalive is really sent
# (sendmmsg with IP_TTL), and the veth's tx counter is the keepalive count. The namespace and
# every process started here are removed on exit; a watchdog bounds the whole run.
set -u

BUILD=${1:-$PWD}
SIZES=${SIZES:-100000 1000000}
INTERVAL=${INTERVAL:-25}
WARM=${WARM:-50}
DUR=${DUR:-75}
CACHE=${CACHE:-}
CPU=${CPU:-0}
KAASD=$BUILD/servers/kaasd/kaasd
POPULATE=$BUILD/tools/bench/kaasd-populate
HZ=$(getconf CLK_TCK)
NS=kb$$
T=$(mktemp -d /tmp/bench-kaasd.XXXXXX)
PIDS=

die() {
	echo "bench-kaasd: $*" >&2
	exit 1
}

cleanup() {
	for p in $PIDS; do
		kill -TERM "$p" 2>/dev/null
	done
	sleep 0.5
	for p in $PIDS; do
		kill -KILL "$p" 2>/dev/null
	done
	ip netns del "$NS" 2>/dev/null
	ip netns del "${NS}s" 2>/dev/null
	[ -n "${WATCHDOG:-}" ] && kill "$WATCHDOG" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

[ "$(id -u)" = 0 ] || die "needs root (network namespace)"
for f in "$KAASD" "$POPULATE"; do
	[ -x "$f" ] || die "no '$f' (make in '$BUILD')"
done
command -v taskset >/dev/null || die "needs taskset"

# The whole run is bounded: populating 1M takes about a minute.
total=0
for n in $SIZES; do total=$((total + WARM + DUR + 600)); done
(sleep "$total" && echo "bench-kaasd: watchdog fired" >&2 && kill -TERM $$) &
WATCHDOG=$!

ip netns add "$NS" || die "cannot create namespace $NS"
ip netns add "${NS}s" || die "cannot create namespace ${NS}s"
ip -n "$NS" link set lo up
ip link add "${NS}a" type veth peer name "${NS}b" || die "cannot create a veth pair"
ip link set "${NS}a" netns "$NS" name kin
ip link set "${NS}b" netns "${NS}s" name sink
ip -n "$NS" addr add 198.51.100.1/24 dev kin
ip -n "$NS" link set kin up
ip -n "${NS}s" addr add 198.51.100.2/24 dev sink
ip -n "${NS}s" link set sink up
ip -n "$NS" route add 10.128.0.0/9 via 198.51.100.2
# The sink drops every keepalive before routing (no ICMP comes back).
ip netns exec "${NS}s" iptables -t raw -A PREROUTING -d 10.128.0.0/9 -j DROP ||
	die "iptables in the sink namespace failed"

tx() { ip netns exec "$NS" cat /sys/class/net/kin/statistics/tx_packets; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

write_conf() { # db port
	cat >"$T/kaasd-$2.conf" <<CONF
listen coap://198.51.100.1:$2
database $1
synchronous normal
interval ${INTERVAL}s
interval-min 1s
lifetime-max 30d
max-subscriptions 16000000
max-per-address 16
max-per-prefix 4096
max-pps 10000000
log-level debug
log-target stderr
CONF
}

start_kaasd() { # db port log
	write_conf "$1" "$2"
	ip netns exec "$NS" taskset -c "$CPU" "$KAASD" -f "$T/kaasd-$2.conf" 2>"$3" &
	KPID=$!
	PIDS="$PIDS $KPID"
}

wait_log() { # file pattern seconds
	local i=0
	while [ $i -lt $(($3 * 10)) ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# The baseline: kaasd with no subscription.
start_kaasd "$T/empty.db" 5890 "$T/empty.log"
wait_log "$T/empty.log" "listening on" 10 || die "kaasd did not start: $(cat "$T/empty.log")"
sleep 2
RSS0=$(rss_kb "$KPID")
kill -TERM "$KPID"
wait "$KPID" 2>/dev/null

echo "kaasd $("$KAASD" -V | awk '{print $2}'), interval ${INTERVAL} s, pinned to CPU $CPU," \
	"$(nproc) CPUs, $(uname -r); baseline RSS ${RSS0} kB"
echo
echo "| subscriptions | load s | keepalives/s | expected/s | CPU % of one core | late p50 ms | late p99 ms (worst 10 s window) | late max ms | RSS MB | bytes/subscription |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for n in $SIZES; do
	db="$T/kaasd-$n.db"
	cached="${CACHE:+$CACHE/kaasd-$n-$INTERVAL.db}"
	if [ -n "$cached" ] && [ -f "$cached" ]; then
		cp "$cached" "$db"
	else
		"$POPULATE" -n "$n" -L 198.51.100.1:5883 -i "$INTERVAL" "$db" >/dev/null ||
			die "populate $n failed"
		if [ -n "$cached" ]; then
			mkdir -p "$CACHE" && cp "$db" "$cached"
		fi
	fi
	log="$T/kaasd-$n.log"
	t0=$(date +%s.%N)
	start_kaasd "$db" 5883 "$log"
	wait_log "$log" "resumed $n subscription" 300 || die "kaasd did not load $n: $(tail -3 "$log")"
	t1=$(date +%s.%N)
	sleep "$WARM"
	c0=$(cpu_ticks "$KPID")
	x0=$(tx)
	l0=$(grep -c "stats:" "$log")
	s0=$(date +%s.%N)
	sleep "$DUR"
	c1=$(cpu_ticks "$KPID")
	x1=$(tx)
	s1=$(date +%s.%N)
	sleep 10.5 # one more status line, for kaasd's own counters
	sf=$(grep "stats:" "$log" | tail -n 1 | sed -n 's/.*send-failed \([0-9]*\).*/\1/p')
	df=$(grep "stats:" "$log" | tail -n 1 | sed -n 's/.*deferred \([0-9]*\).*/\1/p')
	ka=$(grep "stats:" "$log" | tail -n 1 | sed -n 's/.*keepalives \([0-9]*\).*/\1/p')
	echo "# $n: kaasd counted ${ka:-?} keepalives since its start, ${sf:-?} failed sends, ${df:-?} deferred" >>"$T/notes"
	rss=$(rss_kb "$KPID")
	kill -TERM "$KPID"
	wait "$KPID" 2>/dev/null
	# The status lines of the measured window: lateness percentiles per 10 s.
	late=$(grep "stats:" "$log" | tail -n +"$((l0 + 1))" |
		sed -n 's/.*late-ms p50 \([0-9]*\) p99 \([0-9]*\) max \([0-9]*\).*/\1 \2 \3/p' |
		sort -n -k2 | awk '{p50[NR]=$1; p99=$2; if ($3 > mx) mx = $3} END {
			printf "%s %s %s", p50[int((NR + 1) / 2)], p99, mx }')
	read -r p50 p99 lmax <<<"$late"
	awk -v n="$n" -v t0="$t0" -v t1="$t1" -v s0="$s0" -v s1="$s1" \
		-v dx="$((x1 - x0))" -v dc="$((c1 - c0))" -v hz="$HZ" -v iv="$INTERVAL" \
		-v rss="$rss" -v rss0="$RSS0" -v p50="${p50:--}" -v p99="${p99:--}" \
		-v lmax="${lmax:--}" 'BEGIN {
		load = t1 - t0; dt = s1 - s0
		printf "| %d | %.1f | %.0f | %.0f | %.1f | %s | %s | %s | %.1f | %.0f |\n",
			n, load, dx / dt, n / iv, 100 * dc / hz / dt, p50, p99, lmax,
			rss / 1024, (rss - rss0) * 1024 / n }'
done
echo
cat "$T/notes" 2>/dev/null
