#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Stopping with an RD that never answers the DELETE: at most a second's wait; a second SIGTERM exits at once with 1.
. "$(dirname "$0")/lib.sh"
require_python

port=$(free_port)
rdport=$(free_port)
rdlog="$T/rd.log"
rd="coap://127.0.0.1:$rdport"
now_ms() { echo $(($(date +%s%N) / 1000000)); }

start_rdstub "$rdport" "$rdlog" --no-delete-reply
write_conf "$T/tstund.conf" "listen coap://127.0.0.1:$port" "rd $rd" "rd-endpoint tstun-test" "rd-lifetime 60s"

# 1. One SIGTERM: the DELETE is sent, tstund waits about a second, exits 0.
start_tstund "$T/tstund.conf" "$T/one.log"
expect_log "$TSTUND_LOG" "tstund[info]: registered with rd '$rd' as 'tstun-test' at '/reg/1'"
t0=$(now_ms)
stop_daemon
elapsed=$(($(now_ms) - t0))
assert_log_contains "$rdlog" "DELETE /reg/1 -> (no reply)" "the RD got the DELETE"
if [ "$elapsed" -ge 800 ] && [ "$elapsed" -le 3000 ]; then
	ok "the stop waited about a second for the DELETE's answer (${elapsed} ms)"
else
	not_ok "the stop waits about a second for the DELETE's answer" "took ${elapsed} ms"
fi
assert_log_contains "$TSTUND_LOG" "tstund[notice]: tstund stopped"

# 2. A second SIGTERM during that wait: exit at once, status 1.
start_tstund "$T/tstund.conf" "$T/two.log"
expect_log "$TSTUND_LOG" "tstund[info]: registered with rd '$rd' as 'tstun-test' at '/reg/2'"
kill -TERM "$TSTUND_PID"
expect_log "$TSTUND_LOG" "tstund[info]: removing registration '/reg/2' from rd '$rd'"
t0=$(now_ms)
kill -TERM "$TSTUND_PID"
wait_gone "$TSTUND_PID" 50
elapsed=$(($(now_ms) - t0))
wait "$TSTUND_PID"
rc=$?
forget_pid "$TSTUND_PID"
assert_eq "a second SIGTERM: exit status 1" 1 "$rc"
assert_log_contains "$TSTUND_LOG" "tstund[warning]: second SIGTERM, exiting at once"
if [ "$elapsed" -le 500 ]; then
	ok "the second SIGTERM ended it at once (${elapsed} ms)"
else
	not_ok "the second SIGTERM ends it at once" "took ${elapsed} ms"
fi
assert_log_lacks "$TSTUND_LOG" "tstund stopped" "no 'stopped' after a forced exit"

finish
