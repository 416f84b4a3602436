#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Block-wise GET (RFC 7959 Block2) of the reflexive resource and /.well-known/core.
. "$(dirname "$0")/lib.sh"
require_python

port=$(free_port)
client=$(free_port)
write_conf "$T/tstund.conf" "listen coap://127.0.0.1:$port"
start_tstund "$T/tstund.conf"
url="coap://127.0.0.1:$port/tstun"
json="{\"address\":\"127.0.0.1\",\"port\":$client,\"family\":\"ipv4\",\"transport\":\"udp\",\"uri\":\"coap://127.0.0.1:$client\"}"
len=${#json}
[ "$len" -gt 64 ] || hard_error "the JSON should span several 16-byte blocks"

# coap-client reassembles 16-byte blocks.
coap_get -p "$client" -b 16 -A 50 "$url"
assert_eq "-b 16 -A 50: the whole JSON, reassembled" "$json" "$COAP_OUT"
coap_debug -p "$client" -b 16 -A 50 "$url"
blocks=$(printf '%s\n' "$COAP_PDUS" | grep -c '^v:1 t:ACK c:2\.05 .*Block2:')
assert_eq "-b 16: the JSON came in $(( (len + 15) / 16 )) blocks" "$(( (len + 15) / 16 ))" "$blocks"
coap_get -p "$client" -b 32 -A 60 -o "$T/cbor.bin" "$url"
assert_eq "-b 32 -A 60: the whole CBOR, reassembled" "$json" \
	"$("$PYTHON" "$testdir/coapraw.py" cbor "$T/cbor.bin" 2>&1)"
coap_get -b 16 "coap://127.0.0.1:$port/.well-known/core"
assert_eq "-b 16 /.well-known/core: the whole link" '</tstun>;rt="tstun";ct="0 40 50 60"' "$COAP_OUT"

# The blocks themselves: Block2 = NUM << 4 | M << 3 | SZX, Size2 on block 0.
block() {
	raw --port "$port" --sport "$client" --wait 0.7 --mid "$1" --opt 11=tstun --opt 17=u:50 --opt "23=u:$2"
}
part() {
	printf '%s' "$json" | cut -c"$1"-"$2"
}
last=$(( (len - 1) / 16 ))
assert_eq "block 0 of 16 bytes: M set, Size2 the full length" \
	"ACK 2.05 mid=1 token=- opts=12:50;14:0;23:8;28:$len payload=$(part 1 16)" "$(block 1 0)"
assert_eq "block 1 of 16 bytes: M set, no Size2" \
	"ACK 2.05 mid=2 token=- opts=12:50;14:0;23:24 payload=$(part 17 32)" "$(block 2 16)"
assert_eq "the last block: M clear" \
	"ACK 2.05 mid=3 token=- opts=12:50;14:0;23:$((last << 4)) payload=$(part $((last * 16 + 1)) "$len")" \
	"$(block 3 $((last << 4)))"
assert_eq "block 0 of 1024 bytes: all of it, M clear" \
	"ACK 2.05 mid=4 token=- opts=12:50;14:0;23:6;28:$len payload=$json" "$(block 4 6)"
assert_eq "a block past the end: 4.02" \
	"ACK 4.02 mid=5 token=- opts=- payload=block out of range" "$(block 5 $(((last + 1) << 4)))"
assert_eq "SZX 7 (reserved): 4.00 (RFC 7959 section 2.2)" \
	"ACK 4.00 mid=6 token=- opts=- payload=bad block size" "$(block 6 7)"
assert_eq "a Block2 option of 4 bytes (unrecognized, critical): 4.02" \
	"ACK 4.02 mid=7 token=- opts=- payload=bad option 23" \
	"$(raw --port "$port" --wait 0.7 --mid 7 --opt 11=tstun --opt 23=x:00000010)"

stop_daemon
finish
