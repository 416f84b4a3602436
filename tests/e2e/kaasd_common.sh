# SPDX-License-Identifier: BSD-2-Clause
# End-to-end tests: the kaasd scenario shared by the 4NN-kaasd-*.sh scripts (sourced after natlib.sh).
# shellcheck shell=sh

# keepalive_scenario FAMILY KAASD_HOST DEVICE_ADDR NAT_PUBLIC [INNER_NAT_ORIG]
# The device subscribes once and stays silent for 5x the NAT timeout: kaasd must keep
# the binding (conntrack), 0 keepalives may reach the device, and a request through
# the relay must reach it and come back.
keepalive_scenario() {
	_fam=$1
	_host=$2
	_dev=$3
	_natpub=$4
	start_device dev1 "$_dev" "$_host" --ttl 64 || {
		not_ok "the device subscribed"
		return
	}
	ok "the device subscribed: /kaas/$DEVICE_ID"
	# From now on the device sends nothing, and nothing from kaasd may reach it.
	start_capture "$T/dev.pcap"
	# Discovery needs a few probes (routers answer about one per second).
	_st=$(status_json "$_host" "$DEVICE_ID")
	_i=0
	while [ "$(json_field "$_st" state)" != alive ] && [ $_i -lt 40 ]; do
		sleep 0.5
		_st=$(status_json "$_host" "$DEVICE_ID")
		_i=$((_i + 1))
	done
	echo "# status: $_st"
	check "the binding is alive after discovery" [ "$(json_field "$_st" state)" = alive ]
	# pub -> rt -> nat -> in -> dev: the largest TTL that stops before the device is 3,
	# and the NAT is 2 hops away.
	check "keepalive TTL 3 (expires at the router behind the NAT)" \
		[ "$(json_field "$_st" keepalive_ttl)" = 3 ]
	check "the NAT is 2 hops away" [ "$(json_field "$_st" hops_to_nat)" = 2 ]
	check "the candidate is the NAT's public address" \
		sh -c "echo '$(json_field "$_st" candidate)' | grep -q '$_natpub'"
	_silence=$((NAT_TIMEOUT * 5 + 2))
	echo "# the device stays silent for $_silence s (NAT UDP timeout $NAT_TIMEOUT s)"
	sleep "$_silence"
	check "conntrack in the NAT still holds the binding after ${_silence} s" \
		conntrack_has nat "$5"
	if [ -n "${6:-}" ]; then
		check "the inner NAT still holds its binding too" conntrack_has in "$6"
	fi
	_n=$(captured "$T/dev.pcap")
	check "0 datagrams from kaasd reached the device during the silence (saw $_n)" [ "$_n" = 0 ]
	check "the device counted no keepalive" [ "$(device_count dev1 pings)" = 0 ]
	_r=$(coap pub -m get "coap://$_host/relay/dev1/hello")
	check "a request through the relay reaches the device and comes back ($_r)" \
		[ "$_r" = "hello from dev1" ]
	check "the device got exactly that request" [ "$(device_count dev1 requests)" = 1 ]
	_st=$(status_json "$_host" "$DEVICE_ID")
	check "still alive" [ "$(json_field "$_st" state)" = alive ]
	_ka=$(grep -c "" "$KAASD_LOG")
	echo "# kaasd log: $_ka lines; last status: $_st"
}
