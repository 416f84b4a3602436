#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The NAT forgets the binding (its conntrack table flushed) while the device sleeps: the
# next keepalive draws Port Unreachable from the NAT, kaasd reports and logs the loss; the
# device subscribes again and the binding is alive again.
. "$(dirname "$0")/netns.sh"
. "$(dirname "$0")/kaasd.sh"
kaasd_require
netns_topo
fam_addrs 4
kaasd_start
dev_start dev1 4 || hard_error "the subscription failed"
ok "the device subscribed: kaas/$DEV_ID"
wait_for 15 state_is "$DEV_ID" alive
st=$(kaasd_status "$DEV_ID")
note "status: $st"
check_eq "state before" "$(jget "$st" state)" alive
port=$(sed -n 's/.* subscribed from [^ ]* port \([0-9]*\)$/\1/p' "$DEV_LOG")
cap_start dev e0 "$T/dev.pcap" src host "$KAASD_ADDR"

in_ns nat conntrack -F 2>/dev/null
check "conntrack flushed in the NAT" sh -c "! ip netns exec '${P}nat' conntrack -L -p udp \
	--orig-src 10.0.1.2 2>/dev/null | grep -q ."
t0=$(date +%s)
wait_for 10 state_is "$DEV_ID" lost
dt=$(($(date +%s) - t0))
st=$(kaasd_status "$DEV_ID")
note "status: $st"
check_eq "state within $((NAT_TIMEOUT * 2)) s (interval 2 s; it took $dt s)" \
	"$(jget "$st" state)" lost
check_eq "evidence" "$(jget "$st" evidence.icmp) from $(jget "$st" evidence.from)" \
	"port-unreachable from 203.0.113.1"
check "the log names it" \
	grep -q "^kaasd\[warning\]: dev1: binding 203\.0\.113\.1:[0-9]* lost" "$KAASD_LOG"
grep "dev1: binding" "$KAASD_LOG" | sed 's/^/# /'
r=$(relay_get "coap://198.51.100.1:5883/relay/dev1/hello")
check "the relay answers 5.04: $r" sh -c "echo '$r' | grep -q '^5.04'"
sleep 1
check_eq "datagrams from kaasd's address that reached the device" "$(cap_count "$T/dev.pcap")" 0

# The device wakes up and subscribes again from its port (the NAT may map it anew).
stop_pid "$DEV_PID"
dev_start dev1 4 --port "$port" || hard_error "the second subscription failed"
check_eq "the subscription keeps its id" "$DEV_ID" "$(jget "$st" id)"
wait_for 10 state_is "$DEV_ID" alive
st=$(kaasd_status "$DEV_ID")
note "status after the new subscription: $st"
check_eq "state after the new subscription" "$(jget "$st" state)" alive
check_eq "keepalive_ttl after the new subscription" "$(jget "$st" keepalive_ttl)" \
	$(($(topo_hops dev) - 1))
kaasd_finish
