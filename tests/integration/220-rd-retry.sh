#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# An unreachable or refusing Resource Directory: tstund serves meanwhile, retries after 5 s and registers.
. "$(dirname "$0")/lib.sh"
require_python

port_a=$(free_port)
port_b=$(free_port)
rd_a=$(free_port)
rd_b=$(free_port)
client=$(free_port)

# A: the RD is down from the start (nothing listens on rd_a).
write_conf "$T/a.conf" "listen coap://127.0.0.1:$port_a" "rd coap://127.0.0.1:$rd_a" \
	"rd-endpoint tstun-a" "rd-lifetime 60s"
# B: the RD is up but answers the first registration with 5.03.
start_rdstub "$rd_b" "$T/rd-b.log" --fail-registrations 1
write_conf "$T/b.conf" "listen coap://127.0.0.1:$port_b" "rd coap://127.0.0.1:$rd_b" \
	"rd-endpoint tstun-b" "rd-lifetime 60s"

start_tstund "$T/a.conf" "$T/a.log"
pid_a=$TSTUND_PID
start_tstund "$T/b.conf" "$T/b.log"
pid_b=$TSTUND_PID

expect_log "$T/a.log" "tstund[warning]: rd 'coap://127.0.0.1:$rd_a': unreachable, still trying"
expect_log "$T/b.log" "tstund[warning]: rd 'coap://127.0.0.1:$rd_b': answered 5.03, retrying in 5 s"
assert_log_contains "$T/rd-b.log" "POST /rd?ep=tstun-b&lt=60 ct=40 payload=</tstun>;rt=\"tstun\";ct=\"0 40 50 60\" -> 5.03"

# Both keep serving meanwhile.
coap_get -p "$client" "coap://127.0.0.1:$port_a/tstun"
assert_eq "A answers while its RD is unreachable" "127.0.0.1:$client" "$COAP_OUT"
coap_get -p "$client" "coap://127.0.0.1:$port_b/tstun"
assert_eq "B answers while its RD refuses" "127.0.0.1:$client" "$COAP_OUT"
assert_log_lacks "$T/a.log" "registered with rd" "A is not registered yet"

# A's RD comes up; both register on their retry.
start_rdstub "$rd_a" "$T/rd-a.log"
expect_log "$T/a.log" "tstund[info]: registered with rd 'coap://127.0.0.1:$rd_a' as 'tstun-a' at '/reg/" 90
expect_log "$T/b.log" "tstund[info]: registered with rd 'coap://127.0.0.1:$rd_b' as 'tstun-b' at '/reg/1'" 90
loc_a=$(sed -n "s|^tstund\[info\]: registered with rd '.*' as 'tstun-a' at '\(/reg/[0-9]*\)'$|\1|p" "$T/a.log")
assert_log_contains "$T/rd-a.log" "POST /rd?ep=tstun-a&lt=60 ct=40 payload=</tstun>;rt=\"tstun\";ct=\"0 40 50 60\" -> 2.01 $loc_a"
assert_log_lacks "$T/a.log" "retrying in 10 s" "A registered on its first retry"
assert_eq "B registered on its second try" 2 "$(grep -c '^POST /rd?ep=tstun-b' "$T/rd-b.log")"
# The registration abandoned as unreachable must not reach the RD later on.
sleep 1
assert_eq "A's RD got exactly one registration" 1 "$(grep -c '^POST /rd?ep=tstun-a' "$T/rd-a.log")"
coap_get "coap://127.0.0.1:$rd_a/rd-lookup/res?ep=tstun-a"
assert_match "a lookup finds one link for A" '^<coap://127\.0\.0\.1:[0-9]+/tstun>;rt="tstun";ct="0 40 50 60"$' "$COAP_OUT"

stop_daemon "$pid_a"
stop_daemon "$pid_b"
assert_log_contains "$T/rd-a.log" "DELETE $loc_a -> 2.02" "A deregistered $loc_a"
assert_log_contains "$T/rd-b.log" "DELETE /reg/1 -> 2.02" "B deregistered /reg/1"
coap_get "coap://127.0.0.1:$rd_a/rd-lookup/res?ep=tstun-a"
assert_eq "after A stopped, A's RD lists nothing for it" "" "$COAP_OUT"

finish
