# SPDX-License-Identifier: BSD-2-Clause
# End-to-end tests: real NATs built from network namespaces (sourced by the NNN-*.sh scripts).
#
# A topology of namespaces, each with a short role name, all prefixed with
# "ti<pid>" so that parallel tests never collide:
#
#   pub 198.51.100.1/24 2001:db8:1::1/64          the public server (kaasd, clients)
#    |
#   rt  198.51.100.254 203.0.113.254               a public router
#    |  2001:db8:1::fe 2001:db8:2::fe
#   nat 203.0.113.1 / 10.0.0.1                     MASQUERADE (NAT44 and NAT66),
#    |  2001:db8:2::1 / fd00:1::1                  conntrack UDP timeout NAT_TIMEOUT s
#   in  10.0.0.2 / 10.0.1.1                        a router inside (INNER=nat: a second NAT)
#    |  fd00:1::2 / fd00:2::1
#   dev 10.0.1.2 fd00:2::2                         the device
#
# Documentation ranges outside, private ranges inside; nothing is routed
# anywhere else. Every namespace, and every process started with bg(), is
# removed on exit, also when the test fails. Exit codes follow automake:
# 0 pass, 1 fail, 77 skip (not root, a tool missing), 99 hard error.
# shellcheck shell=sh disable=SC2034
set -u

e2edir=$(cd "$(dirname "$0")" && pwd)
top_builddir=$(cd "${top_builddir:-$(pwd)}" && pwd)
KAASD=${KAASD:-$top_builddir/servers/kaasd/kaasd}
COAP_CLIENT=${COAP_CLIENT:-coap-client-gnutls}
PYTHON=${PYTHON:-python3}
NAT_TIMEOUT=${NAT_TIMEOUT:-5}
P=ti$$
NSES=
BGPIDS=
FAILS=0
T=$(mktemp -d /tmp/thinice-e2e.XXXXXX)

e2e_cleanup() {
	_rc=$?
	trap - EXIT INT TERM
	for _p in $BGPIDS; do
		kill -TERM "$_p" 2>/dev/null
	done
	sleep 0.3
	for _p in $BGPIDS; do
		kill -KILL "$_p" 2>/dev/null
	done
	for _n in $NSES; do
		ip netns del "$_n" 2>/dev/null
	done
	if [ "${TI_KEEP_TMP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
	exit $_rc
}
trap e2e_cleanup EXIT
trap 'exit 99' INT TERM

skip() {
	echo "SKIP: $*"
	exit 77
}

hard_error() {
	echo "ERROR: $*" >&2
	exit 99
}

ok() { echo "ok - $*"; }
not_ok() {
	echo "not ok - $*"
	FAILS=$((FAILS + 1))
}

check() { # description, then a command that must succeed
	_d=$1
	shift
	if "$@"; then ok "$_d"; else not_ok "$_d"; fi
}

finish() {
	if [ "$FAILS" -gt 0 ]; then
		echo "$FAILS check(s) failed; kaasd log:"
		tail -n 40 "$T"/kaasd*.log 2>/dev/null
		exit 1
	fi
	exit 0
}

require_e2e() {
	[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
	for _t in ip iptables ip6tables conntrack tcpdump "$PYTHON" "$COAP_CLIENT"; do
		command -v "$_t" >/dev/null 2>&1 || skip "needs $_t"
	done
	[ -x "$KAASD" ] || hard_error "no kaasd at $KAASD"
	ip netns add "${P}probe" 2>/dev/null || skip "cannot create network namespaces here"
	ip netns del "${P}probe"
}

ns() { echo "$P$1"; }
in_ns() { # role command...
	_r=$1
	shift
	ip netns exec "$P$_r" "$@"
}

add_ns() {
	ip netns add "$P$1" || hard_error "ip netns add $P$1"
	NSES="$NSES $P$1"
	ip -n "$P$1" link set lo up
	in_ns "$1" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
}

# link A IFA B IFB: a veth pair between namespaces A and B.
link() {
	_a=v$$a$LINKS
	_b=v$$b$LINKS
	LINKS=$((LINKS + 1))
	ip link add "$_a" type veth peer name "$_b" || hard_error "veth"
	ip link set "$_a" netns "$P$1" name "$2"
	ip link set "$_b" netns "$P$3" name "$4"
	ip -n "$P$1" link set "$2" up
	ip -n "$P$3" link set "$4" up
}
LINKS=0

addr() { # role if cidr...
	_r=$1
	_i=$2
	shift 2
	for _c in "$@"; do
		ip -n "$P$_r" addr add "$_c" dev "$_i" nodad 2>/dev/null ||
			ip -n "$P$_r" addr add "$_c" dev "$_i" || hard_error "addr $_c on $_r"
	done
}

route() { # role family dest via
	ip -n "$P$1" "$2" route add "$3" via "$4" || hard_error "route $3 via $4 in $1"
}

# nat_on ROLE OUTIF: MASQUERADE out of OUTIF for IPv4 and IPv6, short UDP timeouts.
nat_on() {
	in_ns "$1" iptables -t nat -A POSTROUTING -o "$2" -j MASQUERADE || hard_error "iptables"
	in_ns "$1" ip6tables -t nat -A POSTROUTING -o "$2" -j MASQUERADE || hard_error "ip6tables"
	in_ns "$1" sysctl -qw net.netfilter.nf_conntrack_udp_timeout="$NAT_TIMEOUT" \
		net.netfilter.nf_conntrack_udp_timeout_stream="$NAT_TIMEOUT" ||
		hard_error "conntrack timeouts"
}

# topo_up [INNER]: the topology above; INNER=nat makes the inner router a second NAT.
topo_up() {
	for _r in pub rt nat in dev; do add_ns "$_r"; done
	link pub e0 rt e0
	link rt e1 nat e0
	link nat e1 in e0
	link in e1 dev e0
	addr pub e0 198.51.100.1/24 2001:db8:1::1/64
	addr rt e0 198.51.100.254/24 2001:db8:1::fe/64
	addr rt e1 203.0.113.254/24 2001:db8:2::fe/64
	addr nat e0 203.0.113.1/24 2001:db8:2::1/64
	addr nat e1 10.0.0.1/24 fd00:1::1/64
	addr in e0 10.0.0.2/24 fd00:1::2/64
	addr in e1 10.0.1.1/24 fd00:2::1/64
	addr dev e0 10.0.1.2/24 fd00:2::2/64
	route pub -4 default 198.51.100.254
	route pub -6 default 2001:db8:1::fe
	route nat -4 default 203.0.113.254
	route nat -6 default 2001:db8:2::fe
	route nat -4 10.0.1.0/24 10.0.0.2
	route nat -6 fd00:2::/64 fd00:1::2
	route in -4 default 10.0.0.1
	route in -6 default fd00:1::1
	route dev -4 default 10.0.1.1
	route dev -6 default fd00:2::1
	nat_on nat e0
	if [ "${1:-}" = nat ]; then
		nat_on in e0
	fi
	# The public router knows nothing private: without the NAT nothing gets through.
}

bg() { # role logfile command...: start in a namespace, remember the PID
	_r=$1
	_log=$2
	shift 2
	ip netns exec "$P$_r" "$@" >"$_log" 2>&1 &
	BGPIDS="$BGPIDS $!"
	LAST_PID=$!
}

stop_pid() { # pid [signal]
	kill "-${2:-TERM}" "$1" 2>/dev/null
	_i=0
	while kill -0 "$1" 2>/dev/null && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

wait_for() { # seconds command...: poll every 0.2 s
	_s=$1
	shift
	_i=0
	while [ $_i -lt $((_s * 5)) ]; do
		"$@" && return 0
		sleep 0.2
		_i=$((_i + 1))
	done
	return 1
}

# kaasd in pub with a generated config; extra directives as arguments (one per line).
KAASD_DB=$T/kaasd.db
start_kaasd() {
	{
		echo "listen coap://198.51.100.1:5883"
		echo "listen coap://[2001:db8:1::1]:5883"
		echo "database $KAASD_DB"
		# Defaults for the tests, unless an argument sets the directive.
		for _d in "interval 2s" "interval-min 1s" "relay-timeout 3s" "log-level debug"; do
			_set=0
			for _l in "$@"; do
				[ "${_l%% *}" = "${_d%% *}" ] && _set=1
			done
			[ $_set = 1 ] || echo "$_d"
		done
		for _l in "$@"; do echo "$_l"; done
	} >"$T/kaasd.conf"
	KAASD_LOG=$T/kaasd.$(date +%s%N).log
	bg pub "$KAASD_LOG" "$KAASD" -f "$T/kaasd.conf"
	KAASD_PID=$LAST_PID
	wait_for 10 grep -q "kaasd .* started" "$KAASD_LOG" || {
		cat "$KAASD_LOG"
		hard_error "kaasd did not start"
	}
}

# coap ROLE ARGS...: coap-client-gnutls in a namespace; prints the payload, or for an
# error response its code and diagnostic ("5.04 device did not answer").
coap() {
	_r=$1
	shift
	ip netns exec "$P$_r" timeout 30 "$COAP_CLIENT" -B 10 "$@" 2>&1 |
		grep -v "^WARN\|^INFO\|^NOTICE\|^DEBG\|^EMRG\|^ALRT\|^CRIT\|^ERR"
}

status_json() { # uri-host id
	coap pub -m get -A 50 "coap://$1/kaas/$2"
}

json_field() { # json field
	"$PYTHON" -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print("null" if v is None else v)' "$1" "$2" 2>/dev/null
}

# A device (kaasd_device.py) in dev: subscribes, then stays silent and serves.
start_device() { # name bind-addr kaasd-host extra-args...
	_name=$1
	_bind=$2
	_host=$3
	shift 3
	bg dev "$T/device-$_name.log" "$PYTHON" "$e2edir/kaasd_device.py" --bind "$_bind" \
		--kaasd "$_host" --ep "$_name" --state "$T/device-$_name.state" "$@"
	DEVICE_PID=$LAST_PID
	wait_for 15 grep -q "^location" "$T/device-$_name.log" || {
		cat "$T/device-$_name.log"
		return 1
	}
	DEVICE_ID=$(sed -n 's|^location kaas/||p' "$T/device-$_name.log" | head -n 1)
}

device_count() { # name key: a counter the device wrote
	sed -n "s/^$2 //p" "$T/device-$1.state" 2>/dev/null | tail -n 1
}

# conntrack entries in the NAT for UDP from the device's address.
conntrack_has() { # role orig-src
	in_ns "$1" conntrack -L -p udp --orig-src "$2" 2>/dev/null | grep -q "dport=5883"
}

no_binding() { ! conntrack_has "$@"; }

# tcpdump in dev: every UDP datagram from kaasd's port that reaches the device.
start_capture() { # file
	bg dev "$1.err" tcpdump -i e0 -n -U -w "$1" "udp and src port 5883"
	CAPTURE_PID=$LAST_PID
	wait_for 10 grep -q "listening on" "$1.err" || hard_error "tcpdump did not start"
}

captured() { # file: datagrams captured (tcpdump -U writes each one soon, not at once)
	sleep 1
	tcpdump -r "$1" -n 2>/dev/null | wc -l
}
