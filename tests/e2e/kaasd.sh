# SPDX-License-Identifier: BSD-2-Clause
# End-to-end tests: kaasd, its devices and its clients in the netns.sh topology.
#
# Sourced by the 4NN-kaasd-*.sh scripts after netns.sh. kaasd runs in pub
# (198.51.100.1 and 2001:db8:1::1, port 5883 unless told otherwise), the
# devices (device.py) in dev, the clients (coap-client, device.py --get) in
# pub. Each kaasd start gets its own log file; finish kaasd_dump prints them.
# shellcheck shell=sh disable=SC2034,SC2119,SC2120,SC2154

KAASD=${KAASD:-$top_builddir/servers/kaasd/kaasd}
COAP_CLIENT=${COAP_CLIENT:-coap-client-gnutls}
KAASD_PORT=5883
KAASD_LOGS=
KAASD_PIDS=

# kaasd_require: root, the tools, python3 and a built kaasd.
kaasd_require() {
	e2e_require "$COAP_CLIENT"
	e2e_python
	[ -x "$KAASD" ] || hard_error "no kaasd at $KAASD (run from the top build directory after make)"
}

# fam_addrs 4|6: KAASD_ADDR, KAASD_HOST (for URIs), DEV_ADDR, NAT_PUB for a family.
fam_addrs() {
	if [ "$1" = 6 ]; then
		KAASD_ADDR=2001:db8:1::1
		KAASD_HOST="[2001:db8:1::1]"
		DEV_ADDR=fd00:2::2
		NAT_PUB=2001:db8:2::1
	else
		KAASD_ADDR=198.51.100.1
		KAASD_HOST=198.51.100.1
		DEV_ADDR=10.0.1.2
		NAT_PUB=203.0.113.1
	fi
}

# kaasd_start [-p PORT] [DIRECTIVE...]: kaasd in pub with a generated configuration;
# waits for "started".
# Sets KAASD_PID, KAASD_LOG, KAASD_CONF, KAASD_DB (the same database for the same port).
kaasd_start() {
	_port=$KAASD_PORT
	if [ "${1:-}" = -p ]; then
		_port=$2
		shift 2
	fi
	KAASD_CONF=$T/kaasd-$_port.conf
	KAASD_DB=$T/kaasd-$_port.db
	# The last line for a directive wins (listen is a list): test defaults, then the
	# arguments, then KAASD_E2E_CONF ("directive value;directive value", for experiments).
	{
		echo "listen coap://198.51.100.1:$_port"
		echo "listen coap://[2001:db8:1::1]:$_port"
		echo "database $KAASD_DB"
		printf '%s\n' "interval 2s" "interval-min 1s" "relay-timeout 3s" "log-level debug" \
			"log-target stderr" "$@"
		echo "${KAASD_E2E_CONF:-}" | tr ';' '\n'
	} | awk 'NF == 0 { next }
		$1 == "listen" { print; next }
		!($1 in last) { order[n++] = $1 }
		{ last[$1] = $0 }
		END { for (i = 0; i < n; i++) print last[order[i]] }' >"$KAASD_CONF"
	KAASD_LOG=$T/kaasd-$_port.$(date +%s.%N).log
	KAASD_LOGS="$KAASD_LOGS $KAASD_LOG"
	bg pub "$KAASD_LOG" "$KAASD" -f "$KAASD_CONF"
	KAASD_PID=$LAST_PID
	KAASD_PIDS="$KAASD_PIDS $KAASD_PID"
	wait_for 10 grep -q '^kaasd\[notice\]: kaasd .* started' "$KAASD_LOG" || {
		sed 's/^/# | /' "$KAASD_LOG"
		hard_error "kaasd did not start (config $KAASD_CONF)"
	}
}

# kaasd_finish: stop every kaasd still running (SIGTERM), check that each stopped cleanly
# and that no log holds a sanitizer report, then finish.
kaasd_finish() {
	_rcs=
	for _p in $KAASD_PIDS; do
		kill -0 "$_p" 2>/dev/null || continue
		kill -TERM "$_p"
		wait_for 5 sh -c "! kill -0 $_p 2>/dev/null" || kill -KILL "$_p"
		wait "$_p"
		_rcs="$_rcs $?"
	done
	check "every kaasd still running exits 0 on SIGTERM (exit codes:$_rcs)" \
		[ -z "$(echo "$_rcs" | tr -d ' 0')" ]
	# shellcheck disable=SC2086 # file names without blanks
	_bad=$(grep -l 'Sanitizer\|runtime error' $KAASD_LOGS 2>/dev/null)
	check "no sanitizer report in kaasd's logs${_bad:+ ($_bad)}" [ -z "$_bad" ]
	finish kaasd_dump
}

# kaasd_dump: every kaasd log, the device logs (the finish hook).
kaasd_dump() {
	for _l in $KAASD_LOGS "$T"/device-*.log; do
		[ -f "$_l" ] || continue
		echo "# ---- ${_l#"$T"/} (last 60 lines)"
		grep -v '^kaasd\[debug\]: stats:' "$_l" | tail -n 60 | sed 's/^/# | /'
	done
}

# kaasd_stats: the last "stats:" line kaasd logged (every 10 s), without the prefix.
kaasd_stats() {
	sed -n 's/^kaasd\[debug\]: stats: //p' "$KAASD_LOG" | tail -n 1
}

# dev_start NAME FAMILY [device.py options...]: a device in dev that subscribes to kaasd
# (on KAASD_PORT) and stays silent. Sets DEV_PID, DEV_ID (the N of kaas/N), DEV_LOG.
dev_start() {
	_name=$1
	fam_addrs "$2"
	shift 2
	DEV_LOG=$T/device-$_name.log
	bg dev "$DEV_LOG" "$PYTHON" "$e2edir/device.py" --bind "$DEV_ADDR" \
		--kaasd "$KAASD_HOST:$KAASD_PORT" --ep "$_name" --state "$T/device-$_name.state" "$@"
	DEV_PID=$LAST_PID
	wait_for 40 dev_subscribed "$DEV_PID" "$DEV_LOG"
	DEV_ID=$(sed -n 's|^location kaas/||p' "$DEV_LOG" | head -n 1)
	if [ -z "$DEV_ID" ]; then
		sed 's/^/# | /' "$DEV_LOG"
		return 1
	fi
	return 0
}

# dev_subscribed PID LOG: the device printed its location, or gave up, or died.
dev_subscribed() {
	grep -q '^location \|^refused\|^no answer' "$2" || ! kill -0 "$1" 2>/dev/null
}

# dev_count NAME KEY: a counter of the device (pings, requests, other, total).
dev_count() {
	sed -n "s/^$2 //p" "$T/device-$1.state" 2>/dev/null | tail -n 1
}

# kaasd_status ID [PORT]: the JSON of GET /kaas/ID (asked from pub over KAASD_HOST).
kaasd_status() {
	in_ns pub timeout 30 "$PYTHON" "$e2edir/device.py" --kaasd "$KAASD_HOST:${2:-$KAASD_PORT}" \
		--get "kaas/$1" 2>&1
}

# jget JSON KEY[.SUBKEY]: one field of a JSON object ("null" for null or absent).
jget() {
	"$PYTHON" -c '
import json, sys
try:
    v = json.loads(sys.argv[1])
    for k in sys.argv[2].split("."):
        v = v.get(k) if isinstance(v, dict) else None
except ValueError:
    v = "not-json"
print("null" if v is None else v)' "$1" "$2"
}

# within SECONDS TIME: TIME (Unix seconds) is a number at most SECONDS ago.
within() {
	case $2 in
	'' | *[!0-9]*) return 1 ;;
	esac
	[ $(($(date +%s) - $2)) -le "$1" ]
}

# state_is ID STATE: the subscription is in STATE now.
state_is() {
	[ "$(jget "$(kaasd_status "$1")" state)" = "$2" ]
}

# relay_get URI: coap-client GET from pub; prints the payload, or for an error response
# the code and diagnostic ("5.04 device unreachable"), or "no answer".
relay_get() {
	_o=$(in_ns pub timeout -k 2 30 "$COAP_CLIENT" -B 10 -m get "$1" 2>"$T/coap.err")
	_e=$(grep -v '^[A-Z][A-Z][A-Z][A-Z] ' "$T/coap.err" | head -n 1)
	if [ -n "$_o" ]; then
		echo "$_o"
	elif [ -n "$_e" ]; then
		echo "$_e"
	else
		echo "no answer"
	fi
}

# watch_bindings FAMILY SECONDS: sample the conntrack table of every NAT on the path for
# the device's binding, every second for SECONDS seconds. BIND_MISSES counts the samples
# where a NAT lacked it; BIND_LEFT has the seconds each binding had left, per sample
# ("4 3 4 ..." or, for two NATs, "4/4 3/3 ...", "-" for a missing binding).
watch_bindings() {
	BIND_MISSES=0
	BIND_LEFT=
	_w=0
	while [ $_w -lt "$2" ]; do
		sleep 1
		_sample=
		for _n in $TOPO_NATS; do
			_left=$(ct_timeout "$_n" "$(topo_src_at "$_n" "$1")" "$KAASD_PORT")
			_sample="$_sample/${_left:--}"
		done
		case $_sample in
		*-*) BIND_MISSES=$((BIND_MISSES + 1)) ;;
		esac
		BIND_LEFT="$BIND_LEFT ${_sample#/}"
		_w=$((_w + 1))
	done
}

# ka_scenario FAMILY [device.py options]: the device subscribes once and stays silent for
# 5 NAT timeouts; kaasd must keep every NAT binding on the path, no keepalive may reach
# the device, and a request through the relay must reach it and come back. With a TTL
# hint, discovery must not reach the device either; without one (--no-ttl), the probe
# that discovery sends one hop past the last router reaches it, once (the device answers
# RST and discovery ends).
ka_scenario() {
	fam_addrs "$1"
	_fam=$1
	shift
	_want_ttl=$(($(topo_hops dev) - 1))
	_want_hops=$(topo_nat_hops)
	_disc_max=0
	case " $* " in
	*" --no-ttl "*) _disc_max=1 ;;
	esac
	note "path from pub: $TOPO_PATH dev; NATs: $TOPO_NATS; expect keepalive TTL $_want_ttl" \
		"(the last router before dev), NAT at $_want_hops hop(s)"
	kaasd_start
	# Everything from kaasd's address that reaches the device, from the subscription on.
	cap_start dev e0 "$T/dev.pcap" src host "$KAASD_ADDR"
	for _n in $TOPO_NATS; do
		cap_start "$_n" e0 "$T/$_n.pcap" udp and src host "$KAASD_ADDR" and src port "$KAASD_PORT"
	done
	dev_start dev1 "$_fam" "$@" || {
		not_ok "the device subscribed"
		return
	}
	ok "the device subscribed from $DEV_ADDR${*:+ ($*)}: kaas/$DEV_ID"
	# Discovery ends with "<ep>: keepalive TTL n, NAT at n hop(s)..." in the log.
	wait_for 15 grep -q '^kaasd\[info\]: dev1: keepalive TTL' "$KAASD_LOG"
	sleep 0.3
	_st=$(kaasd_status "$DEV_ID")
	_n_disc=$(cap_count "$T/dev.pcap")
	_p_disc=$(dev_count dev1 pings)
	_t0=$(date +%s)
	note "$(grep 'dev1: keepalive TTL' "$KAASD_LOG")"
	note "status after discovery: $_st"
	check_eq "state after discovery" "$(jget "$_st" state)" alive
	check_eq "keepalive_ttl" "$(jget "$_st" keepalive_ttl)" "$_want_ttl"
	check_eq "hops_to_nat" "$(jget "$_st" hops_to_nat)" "$_want_hops"
	_pd=$(cap_show "$T/dev.pcap" | grep -c 'length 4$')
	_d="discovery probes that reached the device: $_pd (the device counted ${_p_disc:-?})"
	check "$_d; at most $_disc_max" \
		[ "$((_pd > ${_p_disc:-9} ? _pd : ${_p_disc:-9}))" -le $_disc_max ]
	_cand=$(jget "$_st" candidate)
	case $_cand in
	"coap://$NAT_PUB:"* | "coap://[$NAT_PUB]:"*)
		ok "the candidate is the NAT's public address: $_cand"
		;;
	*) not_ok "the candidate is the NAT's public address: got '$_cand'" ;;
	esac
	_cport=${_cand##*:}
	_silence=$((NAT_TIMEOUT * 5 + 1))
	note "the device stays silent for $_silence s (NAT UDP timeouts $NAT_TIMEOUT s)"
	watch_bindings "$_fam" "$_silence"
	_nats=$(echo "$TOPO_NATS" | sed 's/^ //' | tr ' ' /)
	note "seconds left on the binding in $_nats, every second:$BIND_LEFT"
	check_eq "samples without a binding over $_silence s" "$BIND_MISSES" 0
	_first=
	for _n in $TOPO_NATS; do
		[ -z "$_first" ] && _first=$_n
		_src=$(topo_src_at "$_n" "$_fam")
		check "conntrack in $_n still holds the binding from $_src after $_silence s" \
			ct_has "$_n" "$_src" "$KAASD_PORT"
		note "conntrack in $_n: $(ct_list "$_n" --orig-src "$_src" | tr -s ' ')"
	done
	check "the outer binding still maps to the candidate port $_cport" \
		sh -c "ip netns exec '$P$_first' conntrack -L -p udp --orig-port-dst $KAASD_PORT 2>/dev/null |
			grep -q 'dport=$_cport '"
	_elapsed=$(($(date +%s) - _t0))
	_n_dev=$(($(cap_count "$T/dev.pcap") - _n_disc))
	check_eq "datagrams from kaasd's address that reached the device in $_elapsed s" "$_n_dev" 0
	check_eq "keepalives the device received (its own count)" \
		"$(($(dev_count dev1 pings) - _p_disc))" 0
	for _n in $TOPO_NATS; do
		_k=$(cap_count "$T/$_n.pcap")
		# At least one keepalive every NAT timeout reached this NAT, and none reached dev.
		check "keepalives that reached $_n in $_elapsed s: $_k (>= $((_elapsed / NAT_TIMEOUT)))" \
			[ "$_k" -ge $((_elapsed / NAT_TIMEOUT)) ]
	done
	note "kaasd stats: $(kaasd_stats)"
	_r=$(relay_get "coap://$KAASD_HOST:$KAASD_PORT/relay/dev1/hello")
	check_eq "GET /relay/dev1/hello through kaasd and the NAT" "$_r" "hello from dev1"
	check_eq "requests the device received" "$(dev_count dev1 requests)" 1
	sleep 0.5
	check_eq "datagrams from kaasd at the device since discovery, the relayed request included" \
		"$(($(cap_count "$T/dev.pcap") - _n_disc))" 1
	cap_show "$T/dev.pcap"
	_st=$(kaasd_status "$DEV_ID")
	note "status at the end: $_st"
	check_eq "state at the end" "$(jget "$_st" state)" alive
	check_eq "evidence" "$(jget "$_st" evidence.icmp) from $(jget "$_st" evidence.from)" \
		"time-exceeded from $NAT_PUB"
	_last=$(jget "$_st" last_keepalive)
	check "the last keepalive is recent (last_keepalive $_last, now $(date +%s))" \
		within "$NAT_TIMEOUT" "$_last"
}
