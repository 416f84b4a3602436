#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# kaasd on loopback: subscription, status, refresh, delete, expiry, persistence, relay,
# and a table of malformed requests, each with its 4.xx/5.xx and diagnostic.
. "$(dirname "$0")/lib.sh"
require_rdd # the resident rdclient.py (it speaks to kaasd as well)
KAASD_PORT=$(free_port)
DEV_PORT=$(free_port)
DEV2_PORT=$(free_port)
MUTE_PORT=$(free_port)
write_conf "$T/kaasd.conf" "listen coap://127.0.0.1:$KAASD_PORT" "database $T/kaasd.db" \
	"allow-loopback yes" "interval-min 1s" "lifetime-min 1s" "keepalive-ttl 1" \
	"relay-timeout 2s" "max-per-address 4" "max-per-prefix 5" "max-subscriptions 6"
start_kaasd "$T/kaasd.conf"

# -------------------------------------------------------------- subscribe
kreq POST "kaas?ep=node1&lt=300&ttl=64&interval=20" --sport "$DEV_PORT"
assert_eq "subscribe: 2.01 with Location-Path kaas/<id>" "2.01 loc=/kaas/1" "$RD_HEAD"
kreq GET kaas/1 --accept 50
assert_eq "status: 2.05" 2.05 "$RD_CODE"
assert_contains "status: the candidate is the source address and port" \
	"\"candidate\":\"coap://127.0.0.1:$DEV_PORT\"" "$RD_BODY"
assert_contains "status: ep" '"ep":"node1"' "$RD_BODY"
assert_contains "status: interval as asked" '"interval":20' "$RD_BODY"
assert_contains "status: forced keepalive TTL" '"keepalive_ttl":1' "$RD_BODY"
assert_contains "status: relay URI" "\"relay\":\"coap://127.0.0.1:$KAASD_PORT/relay/node1\"" \
	"$RD_BODY"
assert_match "status: state" '"state":"(unknown|alive|lost)"' "$RD_BODY"
kreq POST "kaas?ep=node1&lt=300" --sport "$DEV_PORT"
assert_eq "re-subscribing keeps the id" "2.01 loc=/kaas/1" "$RD_HEAD"
kreq POST "kaas?ep=node1&lt=300" --sport "$DEV2_PORT"
assert_eq "from another port: same id" "2.01 loc=/kaas/1" "$RD_HEAD"
kreq GET kaas/1
assert_contains "the candidate moved" "127.0.0.1:$DEV2_PORT" "$RD_BODY"
kreq POST "kaas?ep=node2&lt=300" --sport "$DEV_PORT"
assert_eq "a second endpoint" "2.01 loc=/kaas/2" "$RD_HEAD"
kreq GET .well-known/core
assert_eq "/.well-known/core" '</kaas>;rt="kaas";ct=50,</relay>;rt="kaas-relay"' "$RD_BODY"

# -------------------------------------------------------------- persistence
kill -KILL "$KAASD_PID"
wait "$KAASD_PID" 2>/dev/null
forget_pid "$KAASD_PID"
start_kaasd "$T/kaasd.conf" "$T/kaasd2.log"
assert_log_contains "$KAASD_LOG" "resumed 2 subscription(s)"
kreq GET kaas/1
assert_eq "after kill -9 and restart: still there" 2.05 "$RD_CODE"
assert_contains "with its candidate" "127.0.0.1:$DEV2_PORT" "$RD_BODY"

# -------------------------------------------------------------- relay
"$PYTHON" "$top_srcdir/tests/e2e/device.py" --bind 127.0.0.1 --port "$DEV_PORT" \
	--kaasd "127.0.0.1:$KAASD_PORT" --ep dev --state "$T/dev.state" --duration 20 \
	>"$T/dev.log" 2>&1 &
DEV_PID=$!
PIDS="$PIDS $DEV_PID"
wait_log "$T/dev.log" "location" 50
kreq GET relay/dev/hello
assert_eq "relay: the device's answer" "2.05 cf=0" "$RD_HEAD"
assert_eq "relay: its payload" "hello from dev" "$RD_BODY"
kreq GET relay/dev/nothing
assert_eq "relay: the device's 4.04 comes back" 4.04 "$RD_CODE"
kreq GET relay/nobody/hello
assert_eq "relay: unknown endpoint" "4.04" "$RD_CODE"
assert_eq "relay: unknown endpoint, diagnostic" "no subscription for this endpoint" "$RD_BODY"
"$PYTHON" "$top_srcdir/tests/e2e/device.py" --bind 127.0.0.1 --port "$MUTE_PORT" \
	--kaasd "127.0.0.1:$KAASD_PORT" --ep mute --state "$T/mute.state" --duration 20 --no-answer \
	>"$T/mute.log" 2>&1 &
PIDS="$PIDS $!"
wait_log "$T/mute.log" "location" 50
kreq GET relay/mute/hello --wait 8
assert_eq "relay: a device that does not answer: 5.04" "5.04" "$RD_CODE"
assert_eq "relay: ... after relay-timeout" "device did not answer" "$RD_BODY"
kreq GET relay/node1/hello --wait 8
assert_eq "relay: a closed port (ICMP port unreachable): 5.04" "5.04" "$RD_CODE"
assert_eq "relay: ... at once" "device unreachable" "$RD_BODY"

# -------------------------------------------------------------- delete
kreq DELETE kaas/2 --sport "$DEV2_PORT"
assert_eq "delete (loopback may)" 2.02 "$RD_CODE"
kreq GET kaas/2
assert_eq "deleted: 4.04" 4.04 "$RD_CODE"
kreq DELETE kaas/2
assert_eq "delete again: 4.04" 4.04 "$RD_CODE"

# -------------------------------------------------------------- expiry
kreq POST "kaas?ep=short&lt=1" --sport "$DEV2_PORT"
id=${RD_HEAD##*/}
sleep 2.5
kreq GET "kaas/$id"
assert_eq "lifetime expiry ends it" 4.04 "$RD_CODE"
expect_log "$KAASD_LOG" "short: subscription $id ended (lifetime expired)"

# -------------------------------------------------------------- bad requests
# METHOD TARGET EXPECTED-CODE EXPECTED-DIAGNOSTIC [OPTIONS]
bad() {
	_m=$1 _t=$2 _c=$3 _d=$4
	shift 4
	kreq "$_m" "$_t" "$@"
	if [ "$RD_CODE" = "$_c" ] && [ "$RD_BODY" = "$_d" ]; then
		ok "$_m $_t -> $_c $_d"
	else
		not_ok "$_m $_t" "expected: [$_c $_d]" "got: [$RD_CODE $RD_BODY]"
	fi
}
bad POST "kaas" 4.00 "ep: missing"
bad POST "kaas?lt=5" 4.00 "ep: missing"
bad POST "kaas?ep=" 4.00 "ep: empty value"
bad POST 'kaas?ep=a"b' 4.00 "ep: bad character 0x22"
bad POST "kaas?ep=$(printf '%064d' 0)" 4.00 "ep: too long (max 63 bytes)"
bad POST "kaas?ep=x&lt=0" 4.00 "lt: out of range (1-4294967295)"
bad POST "kaas?ep=x&lt=abc" 4.00 "lt: not a number"
bad POST "kaas?ep=x&lt=-5" 4.00 "lt: not a number"
bad POST "kaas?ep=x&lt=007" 4.00 "lt: leading zero"
bad POST "kaas?ep=x&lt=99999999999" 4.00 "lt: out of range (1-4294967295)"
bad POST "kaas?ep=x&ttl=0" 4.00 "ttl: out of range (1-255)"
bad POST "kaas?ep=x&ttl=256" 4.00 "ttl: out of range (1-255)"
bad POST "kaas?ep=x&ttl=6x" 4.00 "ttl: not a number"
bad POST "kaas?ep=x&interval=zz" 4.00 "interval: not a number"
bad POST "kaas?ep=x&ep=y" 4.00 "ep: given twice"
bad POST "kaas?ep=x&foo=1" 4.00 "foo: unknown parameter"
bad POST "kaas?ep=x&=1" 4.00 "empty parameter name"
bad POST "kaas?ep=x" 4.00 "no payload expected" --payload "hello"
bad POST "kaas?ep=x" 4.15 "no payload expected" --cf 0 --payload "hello"
bad GET "kaas" 4.05 "POST to subscribe"
bad PUT "kaas" 4.05 "POST to subscribe"
bad DELETE "kaas" 4.05 "POST to subscribe"
bad POST "kaas/1" 4.05 "GET or DELETE"
bad PUT "kaas/1" 4.05 "GET or DELETE"
bad GET "kaas/abc" 4.04 "no such subscription"
bad GET "kaas/999" 4.04 "no such subscription"
bad GET "kaas/01" 4.04 "no such subscription"
bad GET "kaas/1/x" 4.04 "no such subscription"
bad GET "nothing" 4.04 "not found"
bad GET "" 4.04 "not found"
bad GET "kaas/1" 4.06 "only application/json (50)" --accept 0
bad GET ".well-known/core" 4.06 "only application/link-format (40)" --accept 50
bad POST ".well-known/core" 4.05 "GET only"
bad GET "kaas/1" 4.02 "unknown critical option 9" --opt 9=x
bad GET "kaas/1" 5.05 "not a forward proxy" --opt 35=coap://x/
# The caps: node1, dev and mute hold 3 of 4 for 127.0.0.1; one more fits, then 4.29.
kreq POST "kaas?ep=p0" --sport "$DEV2_PORT"
assert_eq "the third from one address is accepted" 2.01 "$RD_CODE"
bad POST "kaas?ep=p2" 4.29 "too many subscriptions from this address"
kreq GET kaas/1
assert_eq "the table changed nothing that was accepted" 2.05 "$RD_CODE"

# An empty CON (CoAP ping) draws RST; a malformed CON too; a stray response too.
r=$("$PYTHON" "$top_srcdir/tests/integration/coapraw.py" send --port "$KAASD_PORT" --type CON --code 0.00 --mid 77)
assert_match "CoAP ping -> RST" '^RST 0.00 mid=77' "$r"
r=$("$PYTHON" "$top_srcdir/tests/integration/coapraw.py" send --port "$KAASD_PORT" --hex 4001004dff)
assert_match "a CON with a payload marker and no payload -> RST" '^RST 0.00 mid=77' "$r"
r=$("$PYTHON" "$top_srcdir/tests/integration/coapraw.py" send --port "$KAASD_PORT" --type CON --code 2.05 --mid 78 --token aabb)
assert_match "a response that is not ours -> RST" '^RST 0.00 mid=78' "$r"
r=$("$PYTHON" "$top_srcdir/tests/integration/coapraw.py" send --port "$KAASD_PORT" --hex 8101004d)
assert_eq "CoAP version 2: silence" none "$r"
# Loopback is refused unless allowed.
stop_daemon "$KAASD_PID"
KAASD_PORT=$(free_port)
write_conf "$T/strict.conf" "listen coap://127.0.0.1:$KAASD_PORT" "database $T/strict.db"
start_kaasd "$T/strict.conf" "$T/strict.log"
bad POST "kaas?ep=x" 4.03 "loopback address refused"
finish
