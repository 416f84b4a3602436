# SPDX-License-Identifier: BSD-2-Clause
# End-to-end tests: real NATs built from network namespaces (sourced by the 4NN-*.sh scripts).
#
# The library is generic: the kaasd tests add their own helpers in kaasd.sh,
# the tice tests will add theirs. It builds, in namespaces whose names all
# start with "ti<pid>-" (set TI_NETNS_PREFIX to change "ti") so that parallel
# tests never collide, this chain (netns_topo):
#
#   pub  198.51.100.1/24  2001:db8:1::1/64           public servers (daemons, clients)
#    |
#   rt   198.51.100.254 | 203.0.113.254             a public router
#    |   2001:db8:1::fe | 2001:db8:2::fe
#   nat  203.0.113.1    | 10.0.0.1                   NAT: MASQUERADE for IPv4 and IPv6 (NAT66),
#    |   2001:db8:2::1  | fd00:1::1                  conntrack UDP timeouts NAT_TIMEOUT s
#   in   10.0.0.2       | 10.0.1.1                   a router inside; "netns_topo double"
#    |   fd00:1::2      | fd00:2::1                  makes it a second NAT (same timeouts)
#   dev  10.0.1.2  fd00:2::2                         the device
#
# Documentation ranges outside, private ranges inside; the public router has
# no route to the private ranges, so only what the NAT translates gets through,
# and nothing is routed out of the namespaces. TOPO_PATH lists the routers
# from pub to dev in order, TOPO_NATS the NATs: topo_hops, topo_nat_hops and
# topo_src_at derive hop counts and addresses from them, so that the tests do
# not hard-code them. NAT_TIMEOUT (default 5) and TI_KEEP_TMP=1 (keep the
# temporary directory with the logs and captures) come from the environment.
#
# Every namespace, and every process started with bg, is removed on exit, also
# when the test fails or is interrupted. Exit codes follow automake: 0 pass,
# 1 fail, 77 skip (not root, a tool missing, no namespaces), 99 hard error.
#
# Helpers: e2e_require, e2e_python, in_ns, bg, stop_pid, wait_for, ct_list,
# ct_has, ct_timeout, cap_start, cap_count, cap_show, and the TAP-like
# reporting: note, ok, not_ok, check, check_eq, finish.
# shellcheck shell=sh disable=SC2034,SC2119,SC2120
set -u

e2edir=$(cd "$(dirname "$0")" && pwd)
top_builddir=$(cd "${top_builddir:-$(pwd)}" && pwd)
NAT_TIMEOUT=${NAT_TIMEOUT:-5}
P=${TI_NETNS_PREFIX:-ti}$$-
NSES=
BGPIDS=
FAILS=0
CHECKS=0
T=

# ---------------------------------------------------------------- lifecycle

e2e_cleanup() {
	_rc=$?
	trap - EXIT INT TERM HUP PIPE
	for _p in $BGPIDS; do
		kill -TERM "$_p" 2>/dev/null
	done
	for _p in $BGPIDS; do
		_i=0
		while kill -0 "$_p" 2>/dev/null && [ $_i -lt 20 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		kill -KILL "$_p" 2>/dev/null
	done
	for _n in $NSES; do
		ip netns del "$_n" 2>/dev/null
	done
	if [ -n "$T" ] && [ -d "$T" ]; then
		if [ "${TI_KEEP_TMP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
	fi
	case $_rc in
	0 | 1 | 77 | 99) ;;
	*)
		echo "ERROR: the test script itself failed (exit status $_rc)" >&2
		_rc=99
		;;
	esac
	exit "$_rc"
}
trap e2e_cleanup EXIT
trap 'exit 99' INT TERM HUP PIPE

skip() {
	echo "SKIP: $*"
	exit 77
}

hard_error() {
	echo "ERROR: $*" >&2
	exit 99
}

note() { echo "# $*"; }
ok() {
	CHECKS=$((CHECKS + 1))
	echo "ok $CHECKS - $*"
}
not_ok() {
	CHECKS=$((CHECKS + 1))
	FAILS=$((FAILS + 1))
	echo "not ok $CHECKS - $*"
}

# check DESCRIPTION COMMAND...: one check, passes when COMMAND succeeds.
check() {
	_d=$1
	shift
	if "$@"; then ok "$_d"; else not_ok "$_d"; fi
}

# check_eq DESCRIPTION GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1: $2"; else not_ok "$1: got '$2', want '$3'"; fi
}

# finish [HOOK]: exit 0 when every check passed, else run HOOK (print logs) and exit 1.
finish() {
	if [ "$CHECKS" = 0 ]; then
		hard_error "no check ran"
	fi
	if [ "$FAILS" -gt 0 ]; then
		echo "$FAILS of $CHECKS check(s) failed"
		[ -n "${1:-}" ] && "$1"
		exit 1
	fi
	echo "all $CHECKS check(s) passed"
	exit 0
}

# e2e_require TOOL...: skip unless root, every tool is there and namespaces work.
e2e_require() {
	[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
	for _t in ip iptables ip6tables conntrack tcpdump timeout "$@"; do
		command -v "$_t" >/dev/null 2>&1 || skip "needs $_t"
	done
	ip netns add "${P}probe" 2>/dev/null || skip "cannot create network namespaces here"
	ip netns del "${P}probe"
	T=$(mktemp -d "${TMPDIR:-/tmp}/thinice-e2e.XXXXXX") || hard_error "mktemp failed"
}

# e2e_python: the interpreter itself (not a wrapper such as a pyenv shim), or skip.
e2e_python() {
	_py=${PYTHON:-python3}
	command -v "$_py" >/dev/null 2>&1 || skip "needs $_py"
	PYTHON=$("$_py" -c 'import sys; print(sys.executable)') || skip "$_py does not run"
}

# ---------------------------------------------------------------- namespaces

ns() { echo "$P$1"; }

# in_ns ROLE COMMAND...: run COMMAND in the namespace of ROLE.
in_ns() {
	_r=$1
	shift
	ip netns exec "$P$_r" "$@"
}

ns_add() { # role
	ip netns add "$P$1" || hard_error "ip netns add $P$1"
	NSES="$NSES $P$1"
	ip -n "$P$1" link set lo up
	in_ns "$1" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 >/dev/null ||
		hard_error "sysctl in $1"
}

# ns_link A IFA B IFB: a veth pair between the namespaces of roles A and B.
NS_LINKS=0
ns_link() {
	_a=ti$$l${NS_LINKS}a
	_b=ti$$l${NS_LINKS}b
	NS_LINKS=$((NS_LINKS + 1))
	ip link add "$_a" type veth peer name "$_b" || hard_error "ip link add veth"
	ip link set "$_a" netns "$P$1" name "$2" || hard_error "veth to $1"
	ip link set "$_b" netns "$P$3" name "$4" || hard_error "veth to $3"
	ip -n "$P$1" link set "$2" up
	ip -n "$P$3" link set "$4" up
}

ns_addr() { # role if cidr...
	_r=$1
	_i=$2
	shift 2
	for _c in "$@"; do
		case $_c in
		*:*) ip -n "$P$_r" addr add "$_c" dev "$_i" nodad ;;
		*) ip -n "$P$_r" addr add "$_c" dev "$_i" ;;
		esac || hard_error "address $_c on $_r"
	done
}

ns_route() { # role -4|-6 dest via
	ip -n "$P$1" "$2" route add "$3" via "$4" || hard_error "route $3 via $4 in $1"
}

# ns_nat ROLE OUTIF: MASQUERADE (IPv4 and IPv6) out of OUTIF, UDP conntrack timeouts
# of NAT_TIMEOUT seconds (both the unreplied and the "stream" timeout).
ns_nat() {
	in_ns "$1" iptables -w -t nat -A POSTROUTING -o "$2" -j MASQUERADE ||
		hard_error "iptables MASQUERADE in $1"
	in_ns "$1" ip6tables -w -t nat -A POSTROUTING -o "$2" -j MASQUERADE ||
		hard_error "ip6tables MASQUERADE in $1"
	in_ns "$1" sysctl -qw net.netfilter.nf_conntrack_udp_timeout="$NAT_TIMEOUT" \
		net.netfilter.nf_conntrack_udp_timeout_stream="$NAT_TIMEOUT" >/dev/null ||
		hard_error "conntrack UDP timeouts in $1"
	TOPO_NATS="$TOPO_NATS $1"
}

# netns_topo [double]: the chain above (double: two NATs).
TOPO_PATH=
TOPO_NATS=
netns_topo() {
	for _r in pub rt nat in dev; do ns_add "$_r"; done
	ns_link pub e0 rt e0
	ns_link rt e1 nat e0
	ns_link nat e1 in e0
	ns_link in e1 dev e0
	ns_addr pub e0 198.51.100.1/24 2001:db8:1::1/64
	ns_addr rt e0 198.51.100.254/24 2001:db8:1::fe/64
	ns_addr rt e1 203.0.113.254/24 2001:db8:2::fe/64
	ns_addr nat e0 203.0.113.1/24 2001:db8:2::1/64
	ns_addr nat e1 10.0.0.1/24 fd00:1::1/64
	ns_addr in e0 10.0.0.2/24 fd00:1::2/64
	ns_addr in e1 10.0.1.1/24 fd00:2::1/64
	ns_addr dev e0 10.0.1.2/24 fd00:2::2/64
	ns_route pub -4 default 198.51.100.254
	ns_route pub -6 default 2001:db8:1::fe
	ns_route nat -4 default 203.0.113.254
	ns_route nat -6 default 2001:db8:2::fe
	ns_route nat -4 10.0.1.0/24 10.0.0.2
	ns_route nat -6 fd00:2::/64 fd00:1::2
	ns_route in -4 default 10.0.0.1
	ns_route in -6 default fd00:1::1
	ns_route dev -4 default 10.0.1.1
	ns_route dev -6 default fd00:2::1
	TOPO_PATH="rt nat in"
	ns_nat nat e0
	if [ "${1:-}" = double ]; then
		ns_nat in e0
	fi
	# Check the paths when ping is there (the kernel queues the first datagrams
	# while it resolves neighbours, so nothing depends on this).
	if command -v ping >/dev/null 2>&1; then
		wait_for 5 in_ns dev ping -c 1 -W 1 198.51.100.1 >/dev/null 2>&1 ||
			hard_error "no IPv4 path from dev to pub"
		wait_for 5 in_ns dev ping -6 -c 1 -W 1 2001:db8:1::1 >/dev/null 2>&1 ||
			hard_error "no IPv6 path from dev to pub"
	fi
	# The pings left ICMP entries only; start every test with an empty table.
	for _n in $TOPO_NATS; do in_ns "$_n" conntrack -F >/dev/null 2>&1; done
}

# topo_hops ROLE: the TTL at which a packet from pub dies at ROLE (1 for the first
# router); for dev, the number of routers in between plus one.
topo_hops() {
	_h=0
	for _r in $TOPO_PATH dev; do
		_h=$((_h + 1))
		[ "$_r" = "$1" ] && {
			echo $_h
			return 0
		}
	done
	return 1
}

# topo_nat_hops: hops from pub to the first (outermost) NAT.
topo_nat_hops() {
	for _n in $TOPO_NATS; do
		topo_hops "$_n"
		return
	done
}

# topo_src_at NAT 4|6: the source address NAT sees on the device's datagrams (the device's
# own, or that of the NAT inside it).
topo_src_at() {
	_inner=
	for _tn in $TOPO_NATS; do
		[ "$_tn" != "$1" ] && [ "$(topo_hops "$_tn")" -gt "$(topo_hops "$1")" ] && _inner=$_tn
	done
	case "$_inner:$2" in
	:4) echo 10.0.1.2 ;;
	:6) echo fd00:2::2 ;;
	in:4) echo 10.0.0.2 ;;
	in:6) echo fd00:1::2 ;;
	*) hard_error "topo_src_at: no address for $_inner" ;;
	esac
}

# ---------------------------------------------------------------- processes

# bg ROLE LOGFILE COMMAND...: start COMMAND in ROLE's namespace (stdout and stderr to
# LOGFILE), remember its PID in LAST_PID and for the cleanup.
bg() {
	_r=$1
	_log=$2
	shift 2
	ip netns exec "$P$_r" "$@" >"$_log" 2>&1 &
	LAST_PID=$!
	BGPIDS="$BGPIDS $LAST_PID"
}

# stop_pid PID [SIGNAL]: signal one of our processes, wait up to 5 s, then SIGKILL.
stop_pid() {
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

# wait_for SECONDS COMMAND...: poll COMMAND every 0.2 s until it succeeds.
wait_for() {
	_ws=$1
	shift
	_wi=0
	while [ $_wi -lt $((_ws * 5)) ]; do
		"$@" && return 0
		sleep 0.2
		_wi=$((_wi + 1))
	done
	return 1
}

# ---------------------------------------------------------------- conntrack

# ct_list ROLE [conntrack filter...]: the UDP entries of ROLE's conntrack table.
ct_list() {
	_r=$1
	shift
	in_ns "$_r" conntrack -L -p udp "$@" 2>/dev/null
}

# ct_has ROLE ORIG_SRC DPORT: an entry for UDP from ORIG_SRC to port DPORT exists.
ct_has() {
	ct_list "$1" --orig-src "$2" --orig-port-dst "$3" | grep -q .
}

# ct_timeout ROLE ORIG_SRC DPORT: seconds left on that entry (empty if none).
ct_timeout() {
	ct_list "$1" --orig-src "$2" --orig-port-dst "$3" | awk '{ print $3; exit }'
}

# ---------------------------------------------------------------- captures

# cap_start ROLE IF FILE FILTER...: tcpdump in ROLE on IF to FILE; CAP_PID is its PID.
cap_start() {
	_r=$1
	_if=$2
	_f=$3
	shift 3
	bg "$_r" "$_f.log" tcpdump -i "$_if" -n -U --immediate-mode -s 128 -w "$_f" "$@"
	CAP_PID=$LAST_PID
	wait_for 10 grep -q "listening on" "$_f.log" || hard_error "tcpdump in $_r did not start"
}

# cap_count FILE [FILTER...]: packets in FILE (matching FILTER).
cap_count() {
	_f=$1
	shift
	tcpdump -r "$_f" -n "$@" 2>/dev/null | wc -l | tr -d ' '
}

# cap_show FILE [FILTER...]: the packets, as comment lines.
cap_show() {
	_f=$1
	shift
	tcpdump -r "$_f" -n -v "$@" 2>/dev/null | sed 's/^/#   /'
}
