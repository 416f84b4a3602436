#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# tstund starts on loopback, answers, logs its lifecycle and exits 0 on SIGTERM; command line basics.
. "$(dirname "$0")/lib.sh"

version=$(tstund_version)
[ -n "$version" ] || hard_error "no PACKAGE_VERSION in $top_builddir/config.h"

# -V, -h and bad command lines: nothing is started.
out=$("$TSTUND" -V 2>"$T/err"); rc=$?
assert_eq "-V exits 0" 0 "$rc"
assert_eq "-V prints the version" "tstund $version" "$out"
assert_eq "-V writes nothing on stderr" "" "$(cat "$T/err")"

out=$("$TSTUND" -h 2>"$T/err"); rc=$?
assert_eq "-h exits 0" 0 "$rc"
assert_match "-h prints the usage on stdout" '^usage: tstund \[-dnpVh\] \[-f file\]$' "$out"
assert_contains "-h names the default config file" "-f file  configuration file (default " "$out"
assert_eq "-h writes nothing on stderr" "" "$(cat "$T/err")"

out=$("$TSTUND" -x 2>"$T/err"); rc=$?
assert_eq "an unknown option exits 2" 2 "$rc"
assert_eq "an unknown option prints nothing on stdout" "" "$out"
assert_eq "an unknown option is named on stderr" "tstund: unknown option -x" "$(head -n 1 "$T/err")"
assert_match "an unknown option shows the usage" '^usage: tstund ' "$(cat "$T/err")"

out=$("$TSTUND" -f 2>"$T/err"); rc=$?
assert_eq "-f without its argument exits 2" 2 "$rc"
assert_eq "-f without its argument says so" "tstund: option -f needs an argument" "$(head -n 1 "$T/err")"

out=$("$TSTUND" -n extra 2>"$T/err"); rc=$?
assert_eq "an extra argument exits 2" 2 "$rc"
assert_eq "an extra argument is named on stderr" "tstund: unexpected argument 'extra'" "$(head -n 1 "$T/err")"

# Start, answer, stop.
port=$(free_port)
client=$(free_port)
write_conf "$T/tstund.conf" "listen coap://127.0.0.1:$port"
start_tstund "$T/tstund.conf"
assert_log_contains "$TSTUND_LOG" "tstund[info]: listening on 'coap://127.0.0.1:$port'"
assert_log_contains "$TSTUND_LOG" "tstund[notice]: tstund $version started"

coap_get -p "$client" "coap://127.0.0.1:$port/tstun"
assert_eq "GET /tstun answers with the client's address" "127.0.0.1:$client" "$COAP_OUT"
assert_eq "GET /tstun: no error on stderr" "" "$COAP_ERR"

# The socket is bound to 127.0.0.1 only, for UDP only.
assert_match "tstund holds its UDP socket" "127\.0\.0\.1:$port " "$(ss -Hlun "( sport = :$port )" 2>/dev/null)"
assert_eq "no TCP socket without coap+tcp" "" "$(ss -Hltn "( sport = :$port )" 2>/dev/null)"

stop_daemon
assert_log_contains "$TSTUND_LOG" "tstund[notice]: SIGTERM received, shutting down"
assert_log_contains "$TSTUND_LOG" "tstund[info]: 'coap://127.0.0.1:$port': 1 received, 1 answered, 0 send failures"
assert_eq "the last log line is 'stopped'" "tstund[notice]: tstund stopped" "$(tail -n 1 "$TSTUND_LOG")"
assert_eq "the port is released" "" "$(ss -Hlun "( sport = :$port )" 2>/dev/null)"

# SIGINT stops it the same way.
start_tstund "$T/tstund.conf"
kill -INT "$TSTUND_PID"
wait_gone "$TSTUND_PID" 50
wait "$TSTUND_PID"; rc=$?
forget_pid "$TSTUND_PID"
assert_eq "SIGINT: exit status 0" 0 "$rc"
assert_log_contains "$TSTUND_LOG" "tstund[notice]: SIGINT received, shutting down"
assert_log_contains "$TSTUND_LOG" "tstund[notice]: tstund stopped"

# A second tstund on the same port must not start (nor share the port).
start_tstund "$T/tstund.conf" "$T/first.log"
first=$TSTUND_PID
"$TSTUND" -f "$T/tstund.conf" >"$T/second.log" 2>&1 </dev/null &
second=$!
PIDS="$PIDS $second"
wait_log "$T/second.log" "started" 10
assert_eq "one UDP socket on the port" 1 "$(ss -Hlun "( sport = :$port )" 2>/dev/null | wc -l)"
if alive "$second"; then
	not_ok "a second tstund on the same port exits" "it is running; its log:"
	sed 's/^/      | /' "$T/second.log"
	stop_daemon "$second"
else
	wait "$second"; rc=$?
	forget_pid "$second"
	assert_eq "a second tstund on the same port: exit status 1" 1 "$rc"
	assert_log_contains "$T/second.log" "tstund[err]: failed to listen on 'coap://127.0.0.1:$port' (cannot bind (Address already in use))"
fi
stop_daemon "$first"

# A port already taken: exit 1 with the reason, before "started".
if command -v "$PYTHON" >/dev/null 2>&1; then
	start_bg "$T/holder.log" "$PYTHON" -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
print("bound", flush=True)
time.sleep(30)' "$port"
	holder=$BG_PID
	wait_log "$T/holder.log" bound 50 || hard_error "the port holder did not start"
	"$TSTUND" -f "$T/tstund.conf" >"$T/busy.log" 2>&1 </dev/null & busy=$!
	PIDS="$PIDS $busy"
	wait_gone "$busy" 50
	wait "$busy"; rc=$?
	forget_pid "$busy"
	assert_eq "a busy port: exit status 1" 1 "$rc"
	assert_log_contains "$T/busy.log" "tstund[err]: failed to listen on 'coap://127.0.0.1:$port' (cannot bind (Address already in use))"
	assert_log_lacks "$T/busy.log" "started"
	kill "$holder"
else
	echo "# python3 missing: the busy-port case is not run"
fi

finish
