#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Interoperability: tstund registers with libcoap's own example RD, coap-rd-gnutls.
. "$(dirname "$0")/lib.sh"

# coap-rd 4.3.1 stores a registration as the resource /rd/<id> and returns
# the registered links on GET of it. It is no full stand-in (updates get
# 4.05, and DELETE crashes it with a double free), so it is stopped before
# tstund, whose DELETE then goes unanswered.
COAP_RD=${COAP_RD:-coap-rd-gnutls}
command -v "$COAP_RD" >/dev/null 2>&1 || skip "$COAP_RD not found (libcoap3-bin)"

port=$(free_port)
rdport=$(free_port)
start_bg "$T/coap-rd.log" "$COAP_RD" -A 127.0.0.1 -p "$rdport"
rdpid=$BG_PID
i=0
while [ $i -lt 50 ] && [ -z "$(ss -Hlun "( sport = :$rdport )" 2>/dev/null)" ]; do
	sleep 0.1
	i=$((i + 1))
done

write_conf "$T/tstund.conf" \
	"listen coap://127.0.0.1:$port" \
	"rd coap://127.0.0.1:$rdport" \
	"rd-endpoint tstun-test" \
	"rd-lifetime 60s"
start_tstund "$T/tstund.conf"
expect_log "$TSTUND_LOG" "tstund[info]: registered with rd 'coap://127.0.0.1:$rdport' as 'tstun-test' at '/rd/"
location=$(sed -n "s|^tstund\[info\]: registered with rd '.*' as 'tstun-test' at '\(/rd/[^']*\)'$|\1|p" "$TSTUND_LOG")
assert_match "coap-rd gave a location under /rd/" '^/rd/[0-9a-zA-Z-]+$' "$location"

coap_get "coap://127.0.0.1:$rdport$location"
assert_eq "coap-rd holds tstund's link" '</tstun>;rt="tstun";ct="0 40 50 60"' "$COAP_OUT"
coap_get "coap://127.0.0.1:$rdport/.well-known/core"
assert_contains "coap-rd lists the registration" "<$location>" "$COAP_OUT"

# tstund stops promptly and cleanly when the RD is gone.
kill "$rdpid"
wait_gone "$rdpid" 30
stop_daemon
assert_log_contains "$TSTUND_LOG" "tstund[info]: removing registration '$location' from rd 'coap://127.0.0.1:$rdport'"
assert_log_contains "$TSTUND_LOG" "tstund[notice]: tstund stopped"

finish
