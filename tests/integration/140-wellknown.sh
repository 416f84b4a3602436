#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# /.well-known/core (RFC 6690) lists the reflexive resource and filters on href, rt and ct.
. "$(dirname "$0")/lib.sh"

port=$(free_port)
write_conf "$T/tstund.conf" "listen coap://127.0.0.1:$port"
start_tstund "$T/tstund.conf"
wkc="coap://127.0.0.1:$port/.well-known/core"
link='</tstun>;rt="tstun";ct="0 40 50 60"'

coap_get "$wkc"
assert_eq "/.well-known/core lists the resource" "$link" "$COAP_OUT"
assert_eq "/.well-known/core: no error" "" "$COAP_ERR"
coap_debug "$wkc"
assert_match "/.well-known/core: ACK 2.05, link-format, Max-Age 0" \
	"^v:1 t:ACK c:2\.05 i:[0-9a-f]+ \{[0-9a-f]*\} \[ Content-Format:application/link-format, Max-Age:0 \] :: '" "$COAP_PDUS"
coap_get -A 40 "$wkc"
assert_eq "Accept 40 is fine" "$link" "$COAP_OUT"

# filter QUERY EXPECTED: the payload of GET /.well-known/core?QUERY, which
# must be a 2.05 (an empty payload is an empty 2.05, not a timeout).
filter() {
	coap_debug "$wkc?$1"
	assert_match "?$1: 2.05" "^v:1 t:ACK c:2\.05 " "$COAP_PDUS"
	coap_get "$wkc?$1"
	assert_eq "?$1: '$2'" "$2" "$COAP_OUT"
	assert_eq "?$1: no error" "" "$COAP_ERR"
}
filter "rt=tstun" "$link"
filter "rt=core.rd" ""
filter "rt=tst*" "$link"
filter "rt=*" "$link"
filter "rt=tstunx" ""
filter "href=/tstun" "$link"
filter "href=/ts*" "$link"
filter "href=/other" ""
filter "ct=40" "$link"
filter "ct=60" "$link"
filter "ct=41" ""
filter "if=core.s" ""
filter "rt=tstun&ct=50" "$link"
filter "rt=tstun&ct=41" ""

# The empty answer carries no payload at all.
coap_debug "$wkc?rt=core.rd"
assert_match "?rt=core.rd: no payload in the 2.05" \
	"^v:1 t:ACK c:2\.05 i:[0-9a-f]+ \{[0-9a-f]*\} \[ Content-Format:application/link-format, Max-Age:0 \]$" "$COAP_PDUS"

coap_debug -N "$wkc"
assert_match "NON GET /.well-known/core: NON 2.05" "^v:1 t:NON c:2\.05 .* :: '</tstun>;rt=\"tstun\";ct=\"0 40 50 60\"'$" "$COAP_PDUS"
stop_daemon

# Another path: the link follows it.
write_conf "$T/tstund.conf" "listen coap://127.0.0.1:$port" "path /nat/reflexive"
start_tstund "$T/tstund.conf"
coap_get "$wkc"
assert_eq "path /nat/reflexive is listed as such" '</nat/reflexive>;rt="tstun";ct="0 40 50 60"' "$COAP_OUT"
coap_get "$wkc?href=/nat/reflexive"
assert_eq "href filter on the configured path" '</nat/reflexive>;rt="tstun";ct="0 40 50 60"' "$COAP_OUT"
coap_get "$wkc?href=/tstun"
assert_eq "href filter on the default path: nothing" "" "$COAP_OUT"
stop_daemon

finish
