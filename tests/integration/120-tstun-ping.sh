#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# CoAP ping (empty CON) gets a Reset; empty NON, responses, Resets and foreign versions get nothing.
. "$(dirname "$0")/lib.sh"
require_python

port=$(free_port)
write_conf "$T/tstund.conf" "listen coap://127.0.0.1:$port"
start_tstund "$T/tstund.conf"

# rawhex HEX: send that datagram, print the decoded reply or "none".
rawhex() {
	raw --port "$port" --wait 0.3 --hex "$1"
}

assert_eq "ping (empty CON): RST with the same MID" "RST 0.00 mid=4660 token=- opts=- payload=-" "$(rawhex 40001234)"
assert_eq "ping with another MID: RST echoes it" "RST 0.00 mid=65534 token=- opts=- payload=-" "$(rawhex 4000fffe)"
sport=$(free_port)
for k in 1 2 3; do
	assert_eq "keepalive ping $k from one port: RST" "RST 0.00 mid=$k token=- opts=- payload=-" \
		"$(raw --port "$port" --sport "$sport" --wait 0.3 --hex "4000000$k")"
done
assert_eq "empty NON: no answer" none "$(rawhex 50001234)"
assert_eq "empty ACK: no answer" none "$(rawhex 60001234)"
assert_eq "RST: no answer" none "$(rawhex 70001234)"
assert_eq "CON 2.05 (a response sent to the server): RST" "RST 0.00 mid=8738 token=- opts=- payload=-" "$(rawhex 41452222aa)"
assert_eq "NON 2.05: no answer" none "$(rawhex 51452222aa)"
assert_eq "ACK 2.05: no answer" none "$(rawhex 61452222aa)"
assert_eq "CON 7.02 (a signal code over UDP): RST" "RST 0.00 mid=8739 token=- opts=- payload=-" "$(rawhex 40e22223)"
assert_eq "version 2 CON GET: no answer" none "$(rawhex 80013333b5747374756e)"
assert_eq "version 0 ping: no answer" none "$(rawhex 00003333)"
assert_eq "3 bytes: no answer" none "$(rawhex 400012)"
assert_eq "empty CON with a token (format error): RST" "RST 0.00 mid=17476 token=- opts=- payload=-" "$(rawhex 41004444aa)"
assert_eq "empty CON with trailing bytes (format error): RST" "RST 0.00 mid=17477 token=- opts=- payload=-" "$(rawhex 40004445ff)"
assert_eq "CON GET with token length 9 (format error): RST" "RST 0.00 mid=21845 token=- opts=- payload=-" \
	"$(rawhex 4901555511223344556677889900)"
assert_eq "CON GET with a payload marker and no payload (format error): RST" \
	"RST 0.00 mid=21846 token=- opts=- payload=-" "$(rawhex 40015556b5747374756eff)"
assert_eq "NON GET with a format error: no answer" none "$(rawhex 59015557)"
assert_eq "CON GET with a truncated option: RST" "RST 0.00 mid=21848 token=- opts=- payload=-" "$(rawhex 40015558b57473)"

# The same GET built by hand: the reply in full.
sport=$(free_port)
assert_eq "hand-built CON GET /tstun: ACK 2.05, text/plain, Max-Age 0" \
	"ACK 2.05 mid=26214 token=0a0b opts=12:0;14:0 payload=127.0.0.1:$sport" \
	"$(raw --port "$port" --sport "$sport" --mid 0x6666 --token 0a0b --opt 11=tstun)"

stop_daemon
assert_log_contains "$TSTUND_LOG" "tstund[info]: 'coap://127.0.0.1:$port': 22 received, 13 answered, 0 send failures"

finish
