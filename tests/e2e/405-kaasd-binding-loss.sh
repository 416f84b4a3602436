#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The NAT forgets the binding (conntrack flushed): the next keepalive draws Port Unreachable
# from the NAT's address, and kaasd reports the binding lost.
. "$(dirname "$0")/natlib.sh"
. "$(dirname "$0")/kaasd_common.sh"
require_e2e
topo_up
start_kaasd
start_device dev1 10.0.1.2 198.51.100.1:5883 --ttl 64 || hard_error "subscription refused"
wait_for 20 sh -c "grep -q 'dev1: keepalive TTL 3' '$KAASD_LOG'" || not_ok "discovery finished"
in_ns nat conntrack -F >/dev/null 2>&1
ok "conntrack flushed in the NAT"
lost() { [ "$(json_field "$(status_json 198.51.100.1:5883 "$DEVICE_ID")" state)" = lost ]; }
check "kaasd reports the binding lost within a few intervals" wait_for 10 lost
st=$(status_json 198.51.100.1:5883 "$DEVICE_ID")
echo "# status: $st"
check "the evidence is Port Unreachable from the NAT" \
	sh -c "echo '$st' | grep -q '\"icmp\":\"port-unreachable\",\"from\":\"203.0.113.1\"'"
check "the log names it" grep -q "dev1: binding 203.0.113.1:[0-9]* lost" "$KAASD_LOG"
finish
