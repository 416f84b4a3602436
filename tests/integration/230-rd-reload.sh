#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# SIGHUP and the RD registration: kept when nothing changed, redone on rd-endpoint/path changes, ended when rd goes.
. "$(dirname "$0")/lib.sh"
require_python

port=$(free_port)
rdport=$(free_port)
rdlog="$T/rd.log"
conf="$T/tstund.conf"
rd="coap://127.0.0.1:$rdport"
link='</tstun>;rt="tstun";ct="0 40 50 60"'

reloads=0
reload() {
	reloads=$((reloads + 1))
	kill -HUP "$TSTUND_PID"
	expect_log "$TSTUND_LOG" "tstund[notice]: configuration reloaded" 50 "$reloads"
}

start_rdstub "$rdport" "$rdlog"
write_conf "$conf" "listen coap://127.0.0.1:$port" "rd $rd" "rd-endpoint tstun-one" "rd-lifetime 60s"
start_tstund "$conf"
expect_log "$TSTUND_LOG" "tstund[info]: registered with rd '$rd' as 'tstun-one' at '/reg/1'" 30

# 1. A reload that changes nothing about the registration keeps it.
write_conf "$conf" "listen coap://127.0.0.1:$port" "rd $rd" "rd-endpoint tstun-one" "rd-lifetime 60s" \
	"max-idle-sessions 50"
reload
sleep 0.5
assert_eq "unchanged rd settings: no new registration" 1 "$(grep -c '^POST /rd' "$rdlog")"
assert_eq "unchanged rd settings: no DELETE" 0 "$(grep -c '^DELETE' "$rdlog")"

# 2. A new endpoint name: the old registration goes, a new one is made.
write_conf "$conf" "listen coap://127.0.0.1:$port" "rd $rd" "rd-endpoint tstun-two" "rd-lifetime 60s"
reload
expect_log "$TSTUND_LOG" "tstund[info]: registered with rd '$rd' as 'tstun-two' at '/reg/2'" 30
expect_log "$rdlog" "DELETE /reg/1 -> 2.02" 30
assert_log_contains "$rdlog" "POST /rd?ep=tstun-two&lt=60 ct=40 payload=$link -> 2.01 /reg/2"

# 3. A new path: registered again with the new link.
write_conf "$conf" "listen coap://127.0.0.1:$port" "path /nat/reflexive" "rd $rd" \
	"rd-endpoint tstun-two" "rd-lifetime 60s"
reload
expect_log "$TSTUND_LOG" "tstund[info]: registered with rd '$rd' as 'tstun-two' at '/reg/3'" 30
expect_log "$rdlog" "DELETE /reg/2 -> 2.02" 30
assert_log_contains "$rdlog" \
	"POST /rd?ep=tstun-two&lt=60 ct=40 payload=</nat/reflexive>;rt=\"tstun\";ct=\"0 40 50 60\" -> 2.01 /reg/3"
coap_get "$rd/rd-lookup/res?rt=tstun"
assert_match "the lookup shows the new path" '^<coap://127\.0\.0\.1:[0-9]+/nat/reflexive>;rt="tstun";ct="0 40 50 60"$' "$COAP_OUT"

# 4. A new lifetime: registered again with it.
write_conf "$conf" "listen coap://127.0.0.1:$port" "path /nat/reflexive" "rd $rd" \
	"rd-endpoint tstun-two" "rd-lifetime 2m"
reload
expect_log "$TSTUND_LOG" "tstund[info]: registered with rd '$rd' as 'tstun-two' at '/reg/4'" 30
assert_log_contains "$rdlog" "POST /rd?ep=tstun-two&lt=120 ct=40"

# 5. rd removed: the registration ends, nothing new.
write_conf "$conf" "listen coap://127.0.0.1:$port" "path /nat/reflexive"
reload
expect_log "$rdlog" "DELETE /reg/4 -> 2.02" 30
sleep 0.5
assert_eq "without rd: no registration made" 4 "$(grep -c '^POST /rd' "$rdlog")"
coap_get "$rd/rd-lookup/res?rt=tstun"
assert_eq "without rd: the lookup is empty" "" "$COAP_OUT"

# 6. rd back: registered again.
write_conf "$conf" "listen coap://127.0.0.1:$port" "rd $rd" "rd-endpoint tstun-three" "rd-lifetime 60s"
reload
expect_log "$TSTUND_LOG" "tstund[info]: registered with rd '$rd' as 'tstun-three' at '/reg/5'" 30

# 7. A failed reload leaves the registration alone.
write_conf "$conf" "listen coap://127.0.0.1:$port" "rd $rd" "rd-endpoint tstun-four" "rd-lifetime 10s"
kill -HUP "$TSTUND_PID"
expect_log "$TSTUND_LOG" "tstund[err]: reload failed: $conf:4: invalid value '10s' for 'rd-lifetime'"
sleep 0.3
assert_eq "a failed reload: no new registration" 5 "$(grep -c '^POST /rd' "$rdlog")"
assert_log_lacks "$rdlog" "DELETE /reg/5" "a failed reload: the registration stays"

stop_daemon
assert_log_contains "$rdlog" "DELETE /reg/5 -> 2.02" "the last registration is removed on stop"
coap_get "$rd/rd-lookup/ep"
assert_eq "nothing is left registered" "" "$COAP_OUT"

finish
