#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Control runs: without keepalives, and with a keepalive TTL one hop short of the NAT, the
# binding expires, the relay answers 5.04, and kaasd says the binding is lost.
. "$(dirname "$0")/natlib.sh"
. "$(dirname "$0")/kaasd_common.sh"
require_e2e
topo_up
silence=$((NAT_TIMEOUT * 2 + 2))

# (a) TTL forced to 1: every keepalive dies at the public router, before the NAT.
start_kaasd "keepalive-ttl 1"
start_device dev1 10.0.1.2 198.51.100.1:5883 --ttl 64 || hard_error "subscription refused"
sleep "$silence"
check "(ttl 1) the NAT dropped the binding" no_binding nat 10.0.1.2
r=$(coap pub -m get "coap://198.51.100.1:5883/relay/dev1/hello")
check "(ttl 1) the relay answers 5.04 ($r)" sh -c "echo '$r' | grep -q '^5.04'"
st=$(status_json 198.51.100.1:5883 "$DEVICE_ID")
echo "# status: $st"
check "(ttl 1) the status says the binding is lost" [ "$(json_field "$st" state)" = lost ]
check "(ttl 1) the log says so" grep -q "dev1: binding .* lost" "$KAASD_LOG"
check "(ttl 1) the device received nothing" [ "$(device_count dev1 requests)" = 0 ]
stop_pid "$DEVICE_PID"
stop_pid "$KAASD_PID"
rm -f "$KAASD_DB"*

# (b) No keepalives within the NAT timeout (interval 60 s): the same.
start_kaasd "interval 60s" "interval-min 60s"
start_device dev2 10.0.1.2 198.51.100.1:5883 --ttl 64 || hard_error "subscription refused"
sleep 4 # discovery ends; the next keepalive is a minute away
sleep "$silence"
check "(no keepalives) the NAT dropped the binding" no_binding nat 10.0.1.2
r=$(coap pub -m get "coap://198.51.100.1:5883/relay/dev2/hello")
check "(no keepalives) the relay answers 5.04 ($r)" sh -c "echo '$r' | grep -q '^5.04'"
st=$(status_json 198.51.100.1:5883 "$DEVICE_ID")
check "(no keepalives) the status says lost" [ "$(json_field "$st" state)" = lost ]
finish
