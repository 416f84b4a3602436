#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# GET /tstun: the client's exact address and port as text, link-format, JSON and CBOR, over IPv4 and IPv6.
. "$(dirname "$0")/lib.sh"
require_python

port=$(free_port)
client=$(free_port)
write_conf "$T/tstund.conf" "listen coap://127.0.0.1:$port"
start_tstund "$T/tstund.conf"
url="coap://127.0.0.1:$port/tstun"

# json_fields: the members of the JSON object on stdin, one "name=value" a line.
json_fields() {
	"$PYTHON" -c 'import json, sys
d = json.load(sys.stdin)
assert isinstance(d, dict), "not an object"
assert isinstance(d["port"], int), "port is not a number"
for k in ("address", "port", "family", "transport", "uri"):
    print("%s=%s" % (k, d[k]))
print("members=%d" % len(d))'
}

# text/plain, the default.
coap_get -p "$client" "$url"
assert_eq "text/plain: address:port of the client" "127.0.0.1:$client" "$COAP_OUT"
assert_eq "text/plain: no error" "" "$COAP_ERR"
coap_get -p "$client" -A 0 "$url"
assert_eq "Accept 0 is text/plain" "127.0.0.1:$client" "$COAP_OUT"
coap_get -p "$client" -A text/plain "$url"
assert_eq "Accept text/plain by name" "127.0.0.1:$client" "$COAP_OUT"

# Another client port, another answer: nothing is cached.
client2=$(free_port)
coap_get -p "$client2" "$url"
assert_eq "a second client port is reported as such" "127.0.0.1:$client2" "$COAP_OUT"

# application/link-format.
coap_get -p "$client" -A 40 "$url"
assert_eq "link-format: <coap://address:port>" "<coap://127.0.0.1:$client>" "$COAP_OUT"

# application/json.
coap_get -p "$client" -A 50 "$url"
assert_eq "JSON: the exact object" \
	"{\"address\":\"127.0.0.1\",\"port\":$client,\"family\":\"ipv4\",\"transport\":\"udp\",\"uri\":\"coap://127.0.0.1:$client\"}" \
	"$COAP_OUT"
fields=$(printf '%s' "$COAP_OUT" | json_fields 2>&1)
assert_eq "JSON: parses, with the expected members" "address=127.0.0.1
port=$client
family=ipv4
transport=udp
uri=coap://127.0.0.1:$client
members=5" "$fields"

# application/cbor: decoded by hand (coapraw.py cbor), keys in order.
rm -f "$T/cbor.bin"
coap_get -p "$client" -A 60 -o "$T/cbor.bin" "$url"
assert_eq "CBOR: a payload was written" yes "$([ -s "$T/cbor.bin" ] && echo yes || echo no)"
assert_eq "CBOR: a map of 5 pairs (first byte a5)" a5 "$(od -An -tx1 -N1 "$T/cbor.bin" | tr -d ' ')"
decoded=$("$PYTHON" "$testdir/coapraw.py" cbor "$T/cbor.bin" 2>&1)
assert_eq "CBOR: decodes to the JSON map, port an unsigned integer" \
	"{\"address\":\"127.0.0.1\",\"port\":$client,\"family\":\"ipv4\",\"transport\":\"udp\",\"uri\":\"coap://127.0.0.1:$client\"}" \
	"$decoded"

# Options of the responses: Content-Format per Accept, Max-Age 0, piggybacked ACK.
for a in "0 text/plain" "40 application/link-format" "50 application/json" "60 application/cbor"; do
	cf=${a%% *} name=${a#* }
	coap_debug -p "$client" -A "$cf" "$url"
	assert_match "Accept $cf: ACK 2.05 with Content-Format:$name and Max-Age:0" \
		"^v:1 t:ACK c:2\.05 i:[0-9a-f]+ \{[0-9a-f]*\} \[ Content-Format:$name, Max-Age:0 \]" "$COAP_PDUS"
done

# A NON request is answered with a NON response carrying the same token.
coap_debug -N -p "$client" "$url"
sent=$(awk '/: sent [0-9]+ bytes$/ { getline; if ($0 ~ /^v:1 t:NON c:GET/) print }' "$T/coap.out")
token=$(printf '%s\n' "$sent" | sed -n 's/^v:1 t:NON c:GET i:[0-9a-f]* {\([0-9a-f]*\)}.*/\1/p')
assert_match "NON GET: sent with a token" '^[0-9a-f]+$' "$token"
assert_match "NON GET: answered by NON 2.05 with the request's token" \
	"^v:1 t:NON c:2\.05 i:[0-9a-f]+ \{$token\} \[ Content-Format:text/plain, Max-Age:0 \] :: '127\.0\.0\.1:$client'$" \
	"$COAP_PDUS"
coap_get -N -p "$client" "$url"
assert_eq "NON GET: coap-client prints the address" "127.0.0.1:$client" "$COAP_OUT"

# Query strings and Uri-Host do not matter to the reflexive resource.
coap_get -p "$client" "$url?x=1"
assert_eq "a query is ignored" "127.0.0.1:$client" "$COAP_OUT"
coap_get -p "$client" -O 3,tstun.example "$url"
assert_eq "Uri-Host is accepted" "127.0.0.1:$client" "$COAP_OUT"
coap_get -p "$client" -O 6,0x00 "$url"
assert_eq "Observe is ignored: a plain answer" "127.0.0.1:$client" "$COAP_OUT"

stop_daemon

# IPv6, when the loopback has ::1.
if have_ipv6_loopback; then
	write_conf "$T/tstund6.conf" "listen coap://[::1]:$port"
	start_tstund "$T/tstund6.conf" "$T/tstund6.log"
	url6="coap://[::1]:$port/tstun"
	coap_get -p "$client" "$url6"
	assert_eq "IPv6 text/plain: [address]:port" "[::1]:$client" "$COAP_OUT"
	coap_get -p "$client" -A 40 "$url6"
	assert_eq "IPv6 link-format" "<coap://[::1]:$client>" "$COAP_OUT"
	coap_get -p "$client" -A 50 "$url6"
	assert_eq "IPv6 JSON" \
		"{\"address\":\"::1\",\"port\":$client,\"family\":\"ipv6\",\"transport\":\"udp\",\"uri\":\"coap://[::1]:$client\"}" \
		"$COAP_OUT"
	rm -f "$T/cbor6.bin"
	coap_get -p "$client" -A 60 -o "$T/cbor6.bin" "$url6"
	assert_eq "IPv6 CBOR" \
		"{\"address\":\"::1\",\"port\":$client,\"family\":\"ipv6\",\"transport\":\"udp\",\"uri\":\"coap://[::1]:$client\"}" \
		"$("$PYTHON" "$testdir/coapraw.py" cbor "$T/cbor6.bin" 2>&1)"
	# An IPv6 listener is IPv6-only: nothing answers on 127.0.0.1.
	assert_eq "the IPv6 socket is bound to ::1 only" "" "$(ss -Hlun "( sport = :$port )" 2>/dev/null | grep -v '\[::1\]')"
	stop_daemon
else
	echo "# no ::1 on this host: the IPv6 part is not run"
fi

finish
