#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# coap+tcp:// listeners: the TCP mapping, the coap+tcp scheme, errors, Ping/Pong and reload.
. "$(dirname "$0")/lib.sh"
require_python

port=$(free_port)
client=$(free_port)
conf="$T/tstund.conf"
write_conf "$conf" "listen coap+tcp://127.0.0.1:$port" "listen coap://127.0.0.1:$port"
start_tstund "$conf"
assert_log_contains "$TSTUND_LOG" "tstund[info]: listening on 'coap+tcp://127.0.0.1:$port'"
tcp="coap+tcp://127.0.0.1:$port"
json_tcp="{\"address\":\"127.0.0.1\",\"port\":$client,\"family\":\"ipv4\",\"transport\":\"tcp\",\"uri\":\"coap+tcp://127.0.0.1:$client\"}"

coap_get -p "$client" "$tcp/tstun"
assert_eq "TCP text/plain" "127.0.0.1:$client" "$COAP_OUT"
coap_get -p "$client" -A 40 "$tcp/tstun"
assert_eq "TCP link-format: scheme coap+tcp" "<coap+tcp://127.0.0.1:$client>" "$COAP_OUT"
coap_get -p "$client" -A 50 "$tcp/tstun"
assert_eq "TCP JSON: transport tcp, scheme coap+tcp" "$json_tcp" "$COAP_OUT"
rm -f "$T/cbor.bin"
coap_get -p "$client" -A 60 -o "$T/cbor.bin" "$tcp/tstun"
assert_eq "TCP CBOR" "$json_tcp" "$("$PYTHON" "$testdir/coapraw.py" cbor "$T/cbor.bin" 2>&1)"

# Options of the TCP responses, as over UDP.
for a in "50 application/json" "60 application/cbor" "40 application/link-format" "0 text/plain"; do
	cf=${a%% *} name=${a#* }
	coap_debug -A "$cf" "$tcp/tstun"
	assert_match "TCP Accept $cf: 2.05 with Max-Age:0" "^v:1 t:CON c:2\.05 .*Max-Age:0 \]" "$COAP_PDUS"
	assert_match "TCP Accept $cf: Content-Format:$name" "^v:1 t:CON c:2\.05 .*\[ Content-Format:$name," "$COAP_PDUS"
done

# The same port number over UDP still says udp.
coap_get -p "$client" -A 50 "coap://127.0.0.1:$port/tstun"
assert_eq "UDP on the same port number: transport udp" \
	"{\"address\":\"127.0.0.1\",\"port\":$client,\"family\":\"ipv4\",\"transport\":\"udp\",\"uri\":\"coap://127.0.0.1:$client\"}" \
	"$COAP_OUT"

# /.well-known/core over TCP (libcoap's; attribute order is its own).
coap_get "$tcp/.well-known/core"
assert_match "TCP /.well-known/core lists </tstun>" '^</tstun>;' "$COAP_OUT"
assert_contains "TCP /.well-known/core: rt=\"tstun\"" ';rt="tstun"' "$COAP_OUT"
assert_contains "TCP /.well-known/core: ct=\"0 40 50 60\"" ';ct="0 40 50 60"' "$COAP_OUT"
coap_get "$tcp/.well-known/core?rt=tstun"
assert_match "TCP /.well-known/core?rt=tstun lists it" '^</tstun>;' "$COAP_OUT"
coap_get "$tcp/.well-known/core?rt=core.rd"
assert_eq "TCP /.well-known/core?rt=core.rd: empty" "" "$COAP_OUT"

# Errors over TCP.
coap_get -A 41 "$tcp/tstun"
assert_eq "TCP Accept 41: 4.06" "4.06 accept: 0 40 50 60" "$COAP_ERR"
coap_get -m put -e x "$tcp/tstun"
assert_match "TCP PUT: 4.05" '^4\.05 ' "$COAP_ERR"
coap_get -m delete "$tcp/tstun"
assert_match "TCP DELETE: 4.05" '^4\.05 ' "$COAP_ERR"
coap_get "$tcp/nope"
assert_match "TCP unknown path: 4.04" '^4\.04 ' "$COAP_ERR"
coap_get -O 35,coap://198.51.100.1/tstun "$tcp/tstun"
assert_match "TCP Proxy-Uri: 5.05" '^5\.05 ' "$COAP_ERR"
coap_debug -O 2049,x "$tcp/tstun"
assert_match "TCP unknown critical option: 4.02" '^v:1 t:CON c:4\.02 ' "$COAP_PDUS"
coap_debug -O 5 "$tcp/tstun"
assert_match "TCP If-None-Match: 4.12 as over UDP" '^v:1 t:CON c:4\.12 ' "$COAP_PDUS"
coap_debug -O 1,0x0102 "$tcp/tstun"
assert_match "TCP If-Match with an ETag: 4.12 as over UDP" '^v:1 t:CON c:4\.12 ' "$COAP_PDUS"

# Ping signal: libcoap answers with Pong (after its CSM).
assert_eq "TCP Ping: CSM, then Pong" "7.01 7.03" \
	"$(timeout 10 "$PYTHON" "$testdir/coapraw.py" tcp-ping --port "$port" 2>&1)"

# Reload: the TCP resource moves with the path.
write_conf "$conf" "listen coap+tcp://127.0.0.1:$port" "listen coap://127.0.0.1:$port" "path /nat/reflexive"
kill -HUP "$TSTUND_PID"
expect_log "$TSTUND_LOG" "tstund[notice]: configuration reloaded"
coap_get -p "$client" "$tcp/nat/reflexive"
assert_eq "TCP after reload: the new path answers" "127.0.0.1:$client" "$COAP_OUT"
coap_get "$tcp/tstun"
assert_match "TCP after reload: the old path is 4.04" '^4\.04 ' "$COAP_ERR"
coap_get "$tcp/.well-known/core"
assert_match "TCP after reload: /.well-known/core lists the new path" '^</nat/reflexive>;' "$COAP_OUT"
assert_not_contains "TCP after reload: /.well-known/core no longer lists /tstun" '</tstun>' "$COAP_OUT"
stop_daemon

# A dual-stack [::] TCP listener shows IPv4 clients as IPv4, not ::ffff:.
if have_ipv6_loopback; then
	write_conf "$conf" "listen coap+tcp://[::]:$port"
	start_tstund "$conf" "$T/tstund-dual.log"
	coap_get -p "$client" -A 50 "$tcp/tstun"
	assert_eq "dual-stack TCP, IPv4 client: an IPv4 address" "$json_tcp" "$COAP_OUT"
	coap_get -p "$client" -A 40 "coap+tcp://[::1]:$port/tstun"
	assert_eq "dual-stack TCP, IPv6 client" "<coap+tcp://[::1]:$client>" "$COAP_OUT"
	stop_daemon
else
	echo "# no ::1 on this host: the dual-stack part is not run"
fi

finish
