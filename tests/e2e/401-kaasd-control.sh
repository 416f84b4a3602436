#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Control runs: without keepalives, and with keepalives one hop short of the NAT, the NAT
# drops the binding, the relay answers 5.04, and kaasd says (and logs) the binding is lost.
. "$(dirname "$0")/netns.sh"
. "$(dirname "$0")/kaasd.sh"
kaasd_require
netns_topo
fam_addrs 4
short=$(($(topo_nat_hops) - 1))
note "the NAT is $(topo_nat_hops) hop(s) from kaasd: keepalives with TTL $short die before it"

# Both runs at once, each with its own kaasd in pub:
# (a) port 5883: interval 60 s, so after discovery no keepalive for the whole run;
# (b) port 5884: keepalive-ttl forced one short of the NAT, a keepalive every 2 s.
kaasd_start -p 5883 "interval 60s" "interval-min 60s"
LOG_A=$KAASD_LOG
kaasd_start -p 5884 "keepalive-ttl $short"
LOG_B=$KAASD_LOG
KAASD_PORT=5883
dev_start deva 4 || hard_error "deva: the subscription failed"
ID_A=$DEV_ID
KAASD_PORT=5884
dev_start devb 4 || hard_error "devb: the subscription failed"
ID_B=$DEV_ID
ok "both devices subscribed: deva kaas/$ID_A on 5883, devb kaas/$ID_B on 5884"
KAASD_PORT=5883
wait_for 10 state_is "$ID_A" alive
note "deva after discovery: $(kaasd_status "$ID_A" 5883)"
note "devb, forced TTL: $(kaasd_status "$ID_B" 5884)"
cap_start dev e0 "$T/dev.pcap" src host "$KAASD_ADDR"
cap_start nat e0 "$T/nat.pcap" udp and src host "$KAASD_ADDR"
cap_start rt e0 "$T/rt.pcap" udp and src host "$KAASD_ADDR"

silence=$((NAT_TIMEOUT * 2 + 2))
note "both devices stay silent for $silence s (NAT UDP timeout $NAT_TIMEOUT s)"
gone_a=
gone_b=
i=0
while [ $i -lt $silence ]; do
	sleep 1
	i=$((i + 1))
	[ -z "$gone_a" ] && ! ct_has nat 10.0.1.2 5883 && gone_a=$i
	[ -z "$gone_b" ] && ! ct_has nat 10.0.1.2 5884 && gone_b=$i
done
check "(a) the NAT dropped the binding without keepalives (gone after ${gone_a:-?} s)" \
	[ -n "$gone_a" ]
check "(b) the NAT dropped the binding with TTL $short keepalives (gone after ${gone_b:-?} s)" \
	[ -n "$gone_b" ]
check_eq "(a) keepalives sent by kaasd on 5883 during the silence (seen at the first router)" \
	"$(cap_count "$T/rt.pcap" src port 5883)" 0
k=$(cap_count "$T/rt.pcap" src port 5884)
check "(b) keepalives sent by kaasd on 5884 during the silence: $k (>= $((silence / 3)))" \
	[ "$k" -ge $((silence / 3)) ]
check_eq "(b) of them, reached the NAT" "$(cap_count "$T/nat.pcap" src port 5884)" 0
check_eq "datagrams from kaasd's address that reached the devices" "$(cap_count "$T/dev.pcap")" 0
st=$(kaasd_status "$ID_B" 5884)
note "devb before the relay: $st"
check "(b) the status does not claim the binding alive ($(jget "$st" state))" \
	[ "$(jget "$st" state)" != alive ]

t0=$(date +%s)
r=$(relay_get "coap://198.51.100.1:5883/relay/deva/hello")
check "(a) the relay answers 5.04 after $(($(date +%s) - t0)) s: $r" \
	sh -c "echo '$r' | grep -q '^5.04'"
t0=$(date +%s)
r=$(relay_get "coap://198.51.100.1:5884/relay/devb/hello")
check "(b) the relay answers 5.04 after $(($(date +%s) - t0)) s: $r" \
	sh -c "echo '$r' | grep -q '^5.04'"
check_eq "requests the devices received" \
	"$(dev_count deva requests)/$(dev_count devb requests)" 0/0

KAASD_PORT=5883
st=$(kaasd_status "$ID_A" 5883)
note "deva after the relay: $st"
check_eq "(a) state after the relay drew Port Unreachable from the NAT" "$(jget "$st" state)" lost
check_eq "(a) evidence" "$(jget "$st" evidence.icmp) from $(jget "$st" evidence.from)" \
	"port-unreachable from 203.0.113.1"
check "(a) the log names the lost binding" \
	grep -q '^kaasd\[warning\]: deva: binding 203\.0\.113\.1:[0-9]* lost' "$LOG_A"
st=$(kaasd_status "$ID_B" 5884)
note "devb after the relay: $st"
check_eq "(b) state after the relay drew Port Unreachable from the NAT" "$(jget "$st" state)" lost
check_eq "(b) keepalive_ttl (forced)" "$(jget "$st" keepalive_ttl)" "$short"
check "(b) the log names the lost binding" \
	grep -q '^kaasd\[warning\]: devb: binding 203\.0\.113\.1:[0-9]* lost' "$LOG_B"
kaasd_finish
