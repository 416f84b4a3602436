#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# kaasd killed and restarted on its database: keepalives resume, the device does nothing.
. "$(dirname "$0")/natlib.sh"
. "$(dirname "$0")/kaasd_common.sh"
require_e2e
topo_up
start_kaasd
start_device dev1 10.0.1.2 198.51.100.1:5883 --ttl 64 || hard_error "subscription refused"
wait_for 20 sh -c "grep -q 'dev1: keepalive TTL' '$KAASD_LOG'" || not_ok "discovery finished"
start_capture "$T/dev.pcap"
stop_pid "$KAASD_PID" KILL
ok "kaasd killed with SIGKILL"
sleep 1
start_kaasd
check "the restarted kaasd resumed the subscription" grep -q "resumed 1 subscription" "$KAASD_LOG"
sleep $((NAT_TIMEOUT * 3))
check "the binding outlived 3 NAT timeouts after the restart" conntrack_has nat 10.0.1.2
r=$(coap pub -m get "coap://198.51.100.1:5883/relay/dev1/hello")
check "the relay still reaches the device ($r)" [ "$r" = "hello from dev1" ]
check "only the relayed request reached the device" [ "$(captured "$T/dev.pcap")" = 1 ]
st=$(status_json 198.51.100.1:5883 "$DEVICE_ID")
echo "# status: $st"
check "the discovered TTL was kept (3)" [ "$(json_field "$st" keepalive_ttl)" = 3 ]
finish
