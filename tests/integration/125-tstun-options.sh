#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# No-Response (RFC 7967), Observe and token handling of the UDP answerer, with hand-built requests.
. "$(dirname "$0")/lib.sh"
require_python

port=$(free_port)
sport=$(free_port)
write_conf "$T/tstund.conf" "listen coap://127.0.0.1:$port"
start_tstund "$T/tstund.conf"

# req ARGS...: one request to tstund from $sport, the reply decoded.
req() {
	raw --port "$port" --sport "$sport" --wait 0.4 "$@"
}

# No-Response: 2 suppresses 2.xx, 8 4.xx, 16 5.xx.
assert_eq "CON, No-Response 2.xx: an empty ACK only" "ACK 0.00 mid=257 token=- opts=- payload=-" \
	"$(req --mid 0x0101 --token 01 --opt 11=tstun --opt 258=u:2)"
assert_eq "NON, No-Response 2.xx: nothing" none \
	"$(req --type NON --mid 0x0102 --token 02 --opt 11=tstun --opt 258=u:2)"
assert_eq "CON, No-Response 4.xx on a 2.05: answered" \
	"ACK 2.05 mid=259 token=03 opts=12:0;14:0 payload=127.0.0.1:$sport" \
	"$(req --mid 0x0103 --token 03 --opt 11=tstun --opt 258=u:8)"
assert_eq "CON to an unknown path, No-Response 4.xx: an empty ACK" "ACK 0.00 mid=260 token=- opts=- payload=-" \
	"$(req --mid 0x0104 --token 04 --opt 11=nope --opt 258=u:8)"
assert_eq "NON to an unknown path, No-Response 4.xx: nothing" none \
	"$(req --type NON --mid 0x0105 --token 05 --opt 11=nope --opt 258=u:8)"
r=$(req --type NON --mid 0x0106 --token 06 --opt 11=nope --opt 258=u:2)
assert_match "NON to an unknown path, No-Response 2.xx only: NON 4.04" \
	"^NON 4\.04 mid=[0-9]+ token=06 opts=- payload=not found$" "$r"
assert_eq "CON Proxy-Uri, No-Response 5.xx: an empty ACK" "ACK 0.00 mid=263 token=- opts=- payload=-" \
	"$(req --mid 0x0107 --token 07 --opt 11=tstun --opt 35=coap://198.51.100.1/ --opt 258=u:16)"
assert_eq "CON, No-Response 0 (interested in all): answered" \
	"ACK 2.05 mid=264 token=08 opts=12:0;14:0 payload=127.0.0.1:$sport" \
	"$(req --mid 0x0108 --token 08 --opt 11=tstun --opt 258=)"

# Observe is not supported: the request is answered once, without Observe.
assert_eq "GET with Observe 0: a plain 2.05 without Observe" \
	"ACK 2.05 mid=513 token=0102030405060708 opts=12:50;14:0 payload={\"address\":\"127.0.0.1\",\"port\":$sport,\"family\":\"ipv4\",\"transport\":\"udp\",\"uri\":\"coap://127.0.0.1:$sport\"}" \
	"$(req --mid 0x0201 --token 0102030405060708 --opt 6=u:0 --opt 11=tstun --opt 17=u:50)"

# A NON response gets a fresh MID per response, and echoes the token.
r1=$(req --type NON --mid 0x0301 --token aa --opt 11=tstun)
r2=$(req --type NON --mid 0x0301 --token bb --opt 11=tstun)
assert_match "NON GET: NON 2.05, token aa" "^NON 2\.05 mid=[0-9]+ token=aa opts=12:0;14:0 payload=127\.0\.0\.1:$sport$" "$r1"
assert_match "NON GET: NON 2.05, token bb" "^NON 2\.05 mid=[0-9]+ token=bb opts=12:0;14:0 payload=127\.0\.0\.1:$sport$" "$r2"
m1=$(printf '%s' "$r1" | sed 's/.* mid=\([0-9]*\) .*/\1/')
m2=$(printf '%s' "$r2" | sed 's/.* mid=\([0-9]*\) .*/\1/')
if [ "$m1" != "$m2" ]; then ok "two NON responses have different MIDs ($m1, $m2)"; else not_ok "two NON responses have different MIDs" "both $m1"; fi

# Uri-Host, Uri-Port and a query are ignored.
assert_eq "Uri-Host, Uri-Port, Uri-Query: ignored" \
	"ACK 2.05 mid=1025 token=- opts=12:40;14:0 payload=<coap://127.0.0.1:$sport>" \
	"$(req --mid 0x0401 --opt 3=tstun.example --opt 7=u:5783 --opt 11=tstun --opt 15=a=b --opt 17=u:40)"

stop_daemon
finish
