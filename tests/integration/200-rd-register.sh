#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# tstund registers /tstun with a Resource Directory (stand-in rdstub.py), is found by rt=tstun, and deregisters on stop.
. "$(dirname "$0")/lib.sh"
require_python

port=$(free_port)
rdport=$(free_port)
client=$(free_port)
rdlog="$T/rd.log"
link='</tstun>;rt="tstun";ct="0 40 50 60"'
lookup="coap://127.0.0.1:$rdport/rd-lookup/res?rt=tstun"

start_rdstub "$rdport" "$rdlog"

# 1. Registration with the base taken from the request (no rd-base).
write_conf "$T/tstund.conf" \
	"listen coap://127.0.0.1:$port" \
	"rd coap://127.0.0.1:$rdport" \
	"rd-endpoint tstun-test" \
	"rd-lifetime 60s"
start_tstund "$T/tstund.conf"
expect_log "$TSTUND_LOG" "tstund[info]: registered with rd 'coap://127.0.0.1:$rdport' as 'tstun-test' at '/reg/1'"
assert_log_contains "$rdlog" "POST /rd?ep=tstun-test&lt=60 ct=40 payload=$link -> 2.01 /reg/1" \
	"the RD got POST /rd?ep=tstun-test&lt=60, link-format, the /.well-known/core link"
assert_eq "one registration request" 1 "$(grep -c '^POST /rd' "$rdlog")"

coap_get "$lookup"
assert_match "a lookup of rt=tstun finds tstund's link" \
	'^<coap://127\.0\.0\.1:[0-9]+/tstun>;rt="tstun";ct="0 40 50 60"$' "$COAP_OUT"
coap_get "coap://127.0.0.1:$rdport/rd-lookup/ep"
assert_match "the endpoint is listed with its lifetime" '^</reg/1>;ep="tstun-test";base="coap://127\.0\.0\.1:[0-9]+";lt=60$' "$COAP_OUT"

# A device that looks the link up must reach the reflexive resource there.
found=$(printf '%s' "$COAP_OUT" | sed -n 's/.*base="\([^"]*\)".*/\1/p')
assert_eq "without rd-base, the registered base is tstund's listen address" "coap://127.0.0.1:$port" "$found"
target=$(coap_get "$lookup"; printf '%s' "$COAP_OUT" | sed -n 's/^<\([^>]*\)>.*/\1/p')
coap_get -B 1 -p "$client" "$target"
assert_eq "GET on the looked-up URI reaches tstund" "127.0.0.1:$client" "$COAP_OUT"

# tstund serves while registered.
coap_get -p "$client" "coap://127.0.0.1:$port/tstun"
assert_eq "tstund answers while registered" "127.0.0.1:$client" "$COAP_OUT"

# 2. Stop: the registration is removed before the exit.
stop_daemon
assert_log_contains "$TSTUND_LOG" "tstund[info]: removing registration '/reg/1' from rd 'coap://127.0.0.1:$rdport'"
assert_log_contains "$rdlog" "DELETE /reg/1 -> 2.02" "the RD got DELETE /reg/1"
coap_get "$lookup"
assert_eq "after the stop, the lookup is empty" "" "$COAP_OUT"
assert_eq "after the stop, the lookup is a 2.05" "" "$COAP_ERR"

# 3. rd-base and an RD path: both go into the registration.
write_conf "$T/tstund.conf" \
	"listen coap://127.0.0.1:$port" \
	"path /nat/reflexive" \
	"rd coap://127.0.0.1:$rdport/directory" \
	"rd-endpoint tstun-base" \
	"rd-lifetime 2h" \
	"rd-base coap://127.0.0.1:$port"
start_tstund "$T/tstund.conf" "$T/tstund2.log"
expect_log "$TSTUND_LOG" "tstund[info]: registered with rd 'coap://127.0.0.1:$rdport/directory' as 'tstun-base' at '/reg/2'"
assert_log_contains "$rdlog" \
	"POST /directory?ep=tstun-base&lt=7200&base=coap://127.0.0.1:$port ct=40 payload=</nat/reflexive>;rt=\"tstun\";ct=\"0 40 50 60\" -> 2.01 /reg/2" \
	"the RD got the path, lt=7200, base= and the /nat/reflexive link"
coap_get "$lookup"
assert_eq "with rd-base, the lookup gives tstund's URI" \
	"<coap://127.0.0.1:$port/nat/reflexive>;rt=\"tstun\";ct=\"0 40 50 60\"" "$COAP_OUT"
coap_get -p "$client" "coap://127.0.0.1:$port/nat/reflexive"
assert_eq "and that URI answers" "127.0.0.1:$client" "$COAP_OUT"
stop_daemon
assert_log_contains "$rdlog" "DELETE /reg/2 -> 2.02" "the RD got DELETE /reg/2"

# 4. Without rd-endpoint the name is tstund-<host name>.
write_conf "$T/tstund.conf" "listen coap://127.0.0.1:$port" "rd coap://127.0.0.1:$rdport"
start_tstund "$T/tstund.conf" "$T/tstund3.log"
host=$(cat /proc/sys/kernel/hostname 2>/dev/null || hostname)
ep=$(printf 'tstund-%s' "$host" | cut -c1-63)
expect_log "$TSTUND_LOG" "tstund[info]: registered with rd 'coap://127.0.0.1:$rdport' as '$ep' at '/reg/3'"
assert_log_contains "$rdlog" "POST /rd?ep=$ep&lt=3600 ct=40" "the default endpoint name and lifetime (1h)"
stop_daemon
assert_log_contains "$rdlog" "DELETE /reg/3 -> 2.02" "the RD got DELETE /reg/3"

finish
