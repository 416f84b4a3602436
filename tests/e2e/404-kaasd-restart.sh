#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# kaasd stopped (SIGTERM), then killed (SIGKILL), each time restarted on its database:
# the keepalives resume from the stored TTL and the binding stays, the device does nothing.
. "$(dirname "$0")/netns.sh"
. "$(dirname "$0")/kaasd.sh"
kaasd_require
netns_topo
fam_addrs 4
kaasd_start
dev_start dev1 4 || hard_error "the subscription failed"
ok "the device subscribed: kaas/$DEV_ID"
wait_for 15 state_is "$DEV_ID" alive
st0=$(kaasd_status "$DEV_ID")
note "status before the restarts: $st0"
check_eq "state before the restarts" "$(jget "$st0" state)" alive
cap_start dev e0 "$T/dev.pcap" src host "$KAASD_ADDR"

for sig in TERM KILL; do
	stop_pid "$KAASD_PID" "$sig"
	t0=$(date +%s.%N)
	sleep 1
	kaasd_start
	note "kaasd down for $(awk "BEGIN { printf \"%.2f\", $(date +%s.%N) - $t0 }") s after SIG$sig"
	check "after SIG$sig the restarted kaasd resumed the subscription" \
		grep -q '^kaasd\[info\]: resumed 1 subscription' "$KAASD_LOG"
	cap_start nat e0 "$T/nat-$sig.pcap" udp and src host "$KAASD_ADDR" and src port "$KAASD_PORT"
	if [ $sig = TERM ]; then w=$((NAT_TIMEOUT * 2 + 1)); else w=$((NAT_TIMEOUT * 3 + 1)); fi
	watch_bindings 4 "$w"
	note "seconds left on the binding, every second:$BIND_LEFT"
	check_eq "after SIG$sig: samples without the binding over $w s" "$BIND_MISSES" 0
	k=$(cap_count "$T/nat-$sig.pcap")
	check "after SIG$sig: keepalives that reached the NAT in $w s: $k (>= $((w / NAT_TIMEOUT)))" \
		[ "$k" -ge $((w / NAT_TIMEOUT)) ]
	st=$(kaasd_status "$DEV_ID")
	note "status after SIG$sig: $st"
	for f in id ep candidate keepalive_ttl hops_to_nat; do
		check_eq "after SIG$sig: $f as before" "$(jget "$st" "$f")" "$(jget "$st0" "$f")"
	done
	check_eq "after SIG$sig: state" "$(jget "$st" state)" alive
done
check_eq "datagrams from kaasd's address that reached the device" "$(cap_count "$T/dev.pcap")" 0
r=$(relay_get "coap://198.51.100.1:5883/relay/dev1/hello")
check_eq "the relay reaches the device" "$r" "hello from dev1"
check_eq "the device received only the relayed request" \
	"$(dev_count dev1 total)/$(dev_count dev1 requests)" 1/1
kaasd_finish
