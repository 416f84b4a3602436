#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Error responses of tstund over UDP: 4.02, 4.04, 4.05, 4.06, 4.12 and 5.05, each with its diagnostic.
. "$(dirname "$0")/lib.sh"
require_python

port=$(free_port)
write_conf "$T/tstund.conf" "listen coap://127.0.0.1:$port"
start_tstund "$T/tstund.conf"
base="coap://127.0.0.1:$port"
url="$base/tstun"

# answers DESC "CODE DIAG" ARGS...: coap-client reports that error response
# (stderr "CODE DIAG") and prints no payload.
answers() {
	desc=$1 want=$2
	shift 2
	coap_get "$@"
	assert_eq "$desc: $want" "$want" "$COAP_ERR"
	assert_eq "$desc: no payload on stdout" "" "$COAP_OUT"
}

answers "Accept application/xml (41)" "4.06 accept: 0 40 50 60" -A 41 "$url"
answers "Accept 9999" "4.06 accept: 0 40 50 60" -A 9999 "$url"
answers "PUT" "4.05 method not allowed: use GET" -m put -e x "$url"
answers "POST" "4.05 method not allowed: use GET" -m post -e x "$url"
answers "DELETE" "4.05 method not allowed: use GET" -m delete "$url"
answers "FETCH" "4.05 method not allowed: use GET" -m fetch "$url"
answers "unknown path" "4.04 not found" "$base/nope"
answers "the root" "4.04 not found" "$base/"
answers "a longer path" "4.04 not found" "$base/tstun/more"
answers "paths are case-sensitive" "4.04 not found" "$base/TSTUN"
answers "unknown path with PUT" "4.04 not found" -m put -e x "$base/nope"
answers "OSCORE (9), not supported" "4.02 bad option 9" -O 9,x "$url"
answers "unregistered critical option 2049" "4.02 bad option 2049" -O 2049,x "$url"
answers "Proxy-Uri (35)" "5.05 proxying not supported" -O 35,coap://198.51.100.1/tstun "$url"
answers "If-None-Match" "4.12 precondition failed" -O 5 "$url"
answers "If-Match with an ETag" "4.12 precondition failed" -O 1,0x0102 "$url"
answers "/.well-known/core with Accept JSON" "4.06 accept: 40" -A 50 "$base/.well-known/core"
answers "POST /.well-known/core" "4.05 method not allowed: use GET" -m post -e x "$base/.well-known/core"

# What is not an error.
coap_get -O 1 "$url"
assert_match "an empty If-Match ('exists') matches" '^127\.0\.0\.1:[0-9]+$' "$COAP_OUT"
coap_get -O 2048,x "$url"
assert_match "an unknown elective option (2048) is ignored" '^127\.0\.0\.1:[0-9]+$' "$COAP_OUT"

# Error responses: piggybacked, no options, the diagnostic as payload.
coap_debug -A 41 "$url"
assert_match "4.06 is an ACK without options" "^v:1 t:ACK c:4\.06 i:[0-9a-f]+ \{[0-9a-f]*\} \[ \] :: 'accept: 0 40 50 60'$" "$COAP_PDUS"
coap_debug -N -m delete "$url"
assert_match "a NON DELETE gets a NON 4.05" "^v:1 t:NON c:4\.05 i:[0-9a-f]+ \{[0-9a-f]*\} \[ \] :: 'method not allowed: use GET'$" "$COAP_PDUS"

# Built by hand (coap-client sends Proxy-Scheme elsewhere).
r=$(raw --port "$port" --mid 0x0b01 --token 77 --opt 11=tstun --opt 39=coap)
assert_eq "Proxy-Scheme (39): 5.05" "ACK 5.05 mid=2817 token=77 opts=- payload=proxying not supported" "$r"
r=$(raw --port "$port" --mid 0x0b02 --opt 11=tstun --opt 17=u:50 --opt 17=u:0)
assert_eq "Accept twice (critical, not repeatable): 4.02" "ACK 4.02 mid=2818 token=- opts=- payload=bad option 17" "$r"
r=$(raw --port "$port" --mid 0x0b03 --opt 11=tstun --opt 2049=x)
assert_eq "raw: unknown critical option in a CON: 4.02 naming it" "ACK 4.02 mid=2819 token=- opts=- payload=bad option 2049" "$r"
r=$(raw --port "$port" --type NON --mid 0x0b04 --opt 11=tstun --opt 2049=x)
assert_eq "unknown critical option in a NON: Reset (RFC 7252 5.4.1)" "RST 0.00 mid=2820 token=- opts=- payload=-" "$r"
r=$(raw --port "$port" --mid 0x0b06 --opt 1=x:0102 --opt 1= --opt 11=tstun)
assert_match "If-Match with an ETag and the empty value: one matches, 2.05" \
	"^ACK 2\.05 mid=2822 token=- opts=12:0;14:0 payload=127\.0\.0\.1:[0-9]+$" "$r"
r=$(raw --port "$port" --mid 0x0b07 --opt 11=tstun --opt 17=x:000032)
assert_eq "Accept of 3 bytes (out of range, critical): 4.02" "ACK 4.02 mid=2823 token=- opts=- payload=bad option 17" "$r"
r=$(raw --port "$port" --mid 0x0b08 --opt 11=tstun --opt 258=x:0202)
assert_match "No-Response of 2 bytes (out of range, elective): ignored, 2.05" \
	"^ACK 2\.05 mid=2824 token=- opts=12:0;14:0 payload=127\.0\.0\.1:[0-9]+$" "$r"
set --
i=0
while [ $i -lt 33 ]; do
	set -- "$@" --opt "15=q$i"
	i=$((i + 1))
done
r=$(raw --port "$port" --mid 0x0b05 --opt 11=tstun "$@")
assert_eq "34 options: 4.02 too many options" "ACK 4.02 mid=2821 token=- opts=- payload=too many options" "$r"

# Still serving after all of that.
coap_get "$url"
assert_match "still answering" '^127\.0\.0\.1:[0-9]+$' "$COAP_OUT"
stop_daemon

finish
