#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# kaasd over a real IPv4 NAT: a silent device's binding stays open, no keepalive reaches it;
# a device that does not answer (sleeping radio) costs a 5.04, a device can DELETE itself.
. "$(dirname "$0")/netns.sh"
. "$(dirname "$0")/kaasd.sh"
kaasd_require
netns_topo
ka_scenario 4

# A second device whose radio sleeps: it asks for its status and deletes its subscription
# from its own socket, and answers nothing.
dev_start dev2 4 --no-answer --status-after 1 --delete-after 6 --duration 10 ||
	hard_error "dev2: the subscription failed"
ok "dev2 subscribed: kaas/$DEV_ID"
wait_for 5 grep -q '^status ' "$DEV_LOG"
st=$(sed -n 's/^status //p' "$DEV_LOG")
check_eq "dev2's own GET /kaas/$DEV_ID: ep" "$(jget "$st" ep)" dev2
t0=$(date +%s)
r=$(relay_get "coap://198.51.100.1:5883/relay/dev2/hello")
dt=$(($(date +%s) - t0))
check_eq "relay to the sleeping radio (relay-timeout 3 s; answered after $dt s)" \
	"$r" "5.04 device did not answer"
n=$(dev_count dev2 requests)
check "the request reached dev2 ($n time(s), retransmissions included)" [ "${n:-0}" -ge 1 ]
wait_for 10 grep -q '^deleted ' "$DEV_LOG"
check_eq "dev2's DELETE from its own socket" "$(sed -n 's/^deleted //p' "$DEV_LOG")" 2.02
check_eq "GET /kaas/$DEV_ID after the DELETE" "$(kaasd_status "$DEV_ID" | cut -c1-4)" 4.04
check "the log says the subscription ended" \
	grep -q "^kaasd\[info\]: dev2: subscription $DEV_ID ended" "$KAASD_LOG"
kaasd_finish
