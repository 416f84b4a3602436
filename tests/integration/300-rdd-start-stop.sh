#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# rdd: command line, start on loopback with a new database, answer, SIGTERM/SIGINT exit 0, refusals to start.
. "$(dirname "$0")/lib.sh"
require_rdd

version=$(tstund_version)
[ -n "$version" ] || hard_error "no PACKAGE_VERSION in $top_builddir/config.h"

# -V, -h and bad command lines: nothing is started.
out=$("$RDD" -V 2>"$T/err"); rc=$?
assert_eq "-V exits 0" 0 "$rc"
assert_eq "-V prints the version" "rdd $version" "$out"
assert_eq "-V writes nothing on stderr" "" "$(cat "$T/err")"

out=$("$RDD" -h 2>"$T/err"); rc=$?
assert_eq "-h exits 0" 0 "$rc"
assert_match "-h prints the usage on stdout" '^usage: rdd \[-dnpVh\] \[-f file\]$' "$out"
assert_contains "-h names the default config file" "-f file  configuration file (default " "$out"
assert_contains "-h: the default config file is rdd.conf" "/thinice/rdd.conf)" "$out"
assert_eq "-h writes nothing on stderr" "" "$(cat "$T/err")"

out=$("$RDD" -x 2>"$T/err"); rc=$?
assert_eq "an unknown option exits 2" 2 "$rc"
assert_eq "an unknown option prints nothing on stdout" "" "$out"
assert_eq "an unknown option is named on stderr" "rdd: unknown option -x" "$(head -n 1 "$T/err")"
assert_match "an unknown option shows the usage" '^usage: rdd ' "$(cat "$T/err")"

out=$("$RDD" -f 2>"$T/err"); rc=$?
assert_eq "-f without its argument exits 2" 2 "$rc"
assert_eq "-f without its argument says so" "rdd: option -f needs an argument" "$(head -n 1 "$T/err")"

out=$("$RDD" -n extra 2>"$T/err"); rc=$?
assert_eq "an extra argument exits 2" 2 "$rc"
assert_eq "an extra argument is named on stderr" "rdd: unexpected argument 'extra'" "$(head -n 1 "$T/err")"

# Start: the database is created, the sockets are bound, rdd answers.
RDD_PORT=$(free_port)
client=$(free_port)
conf="$T/rdd.conf"
rdd_conf "$conf"
[ ! -e "$T/rdd.db" ] || hard_error "$T/rdd.db exists before the start"
start_rdd "$conf"
assert_log_contains "$RDD_LOG" "rdd[info]: listening on 'coap://127.0.0.1:$RDD_PORT'"
assert_log_contains "$RDD_LOG" "rdd[notice]: rdd $version started"
if [ -f "$T/rdd.db" ]; then ok "the database file is created"; else not_ok "the database file is created" "no $T/rdd.db"; fi
assert_match "rdd holds its UDP socket" "127\.0\.0\.1:$RDD_PORT " "$(ss -Hlun "( sport = :$RDD_PORT )" 2>/dev/null)"
assert_eq "no TCP socket without coap+tcp" "" "$(ss -Hltn "( sport = :$RDD_PORT )" 2>/dev/null)"

rdreq GET /rd-lookup/ep
assert_eq "an empty directory: GET /rd-lookup/ep is 2.05 link-format" "2.05 cf=40" "$RD_HEAD"
assert_eq "an empty directory: no links" "" "$RD_BODY"
rdreq POST '/rd?ep=node1' --sport "$client" --cf 40 --payload '</sensors/temp>;rt="temperature-c"'
assert_match "a registration is answered 2.01 with a location" '^2\.01 loc=/reg/[^ /]+$' "$RD_HEAD"
rdreq GET '/rd-lookup/res?ep=node1'
assert_eq "the registration is found" \
	"<coap://127.0.0.1:$client/sensors/temp>;rt=temperature-c;anchor=coap://127.0.0.1:$client" \
	"$(lf "$RD_BODY")"

# Discovery (RFC 9176 section 4): /.well-known/core lists the RD's resources.
coap_get "coap://127.0.0.1:$RDD_PORT/.well-known/core"
wkc=$(lf --sort-attrs "$COAP_OUT")
assert_contains "/.well-known/core: </rd>;rt=\"core.rd\";ct=\"40 50\"" '</rd>;ct=40 50;rt=core.rd' "$wkc"
assert_contains "/.well-known/core: </rd-lookup/ep>;rt=\"core.rd-lookup-ep\";ct=\"40 50\"" \
	'</rd-lookup/ep>;ct=40 50;rt=core.rd-lookup-ep' "$wkc"
assert_contains "/.well-known/core: </rd-lookup/res>;rt=\"core.rd-lookup-res\";ct=\"40 50\"" \
	'</rd-lookup/res>;ct=40 50;rt=core.rd-lookup-res' "$wkc"
coap_get "coap://127.0.0.1:$RDD_PORT/.well-known/core?rt=core.rd*"
assert_eq "/.well-known/core?rt=core.rd*: the three RD resources" \
	'</rd-lookup/ep>;ct=40 50;rt=core.rd-lookup-ep
</rd-lookup/res>;ct=40 50;rt=core.rd-lookup-res
</rd>;ct=40 50;rt=core.rd' "$(lf --sort --sort-attrs "$COAP_OUT")"
coap_get "coap://127.0.0.1:$RDD_PORT/.well-known/core?rt=core.rd-lookup-res"
assert_eq "/.well-known/core?rt=core.rd-lookup-res: that one" '</rd-lookup/res>;ct=40 50;rt=core.rd-lookup-res' \
	"$(lf --sort-attrs "$COAP_OUT")"
coap_get "coap://127.0.0.1:$RDD_PORT/.well-known/core?rt=core.rd"
assert_eq "/.well-known/core?rt=core.rd: the registration interface" '</rd>;ct=40 50;rt=core.rd' \
	"$(lf --sort-attrs "$COAP_OUT")"

stop_daemon "$RDD_PID"
assert_log_contains "$RDD_LOG" "rdd[notice]: SIGTERM received, shutting down"
assert_eq "the last log line is 'stopped'" "rdd[notice]: rdd stopped" "$(tail -n 1 "$RDD_LOG")"
assert_eq "the port is released" "" "$(ss -Hlun "( sport = :$RDD_PORT )" 2>/dev/null)"

# SIGINT stops it the same way; the database is opened again.
start_rdd "$conf" "$T/rdd-int.log"
rdreq GET '/rd-lookup/res?ep=node1'
assert_eq "after a restart the registration is still there" \
	"<coap://127.0.0.1:$client/sensors/temp>;rt=temperature-c;anchor=coap://127.0.0.1:$client" \
	"$(lf "$RD_BODY")"
kill -INT "$RDD_PID"
wait_gone "$RDD_PID" 50
wait "$RDD_PID"; rc=$?
forget_pid "$RDD_PID"
assert_eq "SIGINT: exit status 0" 0 "$rc"
assert_log_contains "$RDD_LOG" "rdd[notice]: SIGINT received, shutting down"
assert_log_contains "$RDD_LOG" "rdd[notice]: rdd stopped"

# systemd readiness (Type=notify): READY=1 once serving, RELOADING=1 and
# READY=1 around a reload, STOPPING=1 on SIGTERM.
start_bg "$T/notify.log" "$PYTHON" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
s.settimeout(30)
while True:
    m = s.recv(4096).decode("utf-8", "replace")
    print("|".join(sorted(l for l in m.split("\n") if l and not l.startswith("MONOTONIC_USEC="))), flush=True)' \
	"$T/notify.sock"
wait_log "$T/notify.log" bound 50 || hard_error "the notify socket listener did not start"
export NOTIFY_SOCKET="$T/notify.sock"
start_rdd "$conf" "$T/rdd-notify.log"
unset NOTIFY_SOCKET
expect_log "$T/notify.log" "READY=1"
kill -HUP "$RDD_PID"
expect_log "$T/notify.log" "RELOADING=1"
expect_log "$T/notify.log" "READY=1" 50 2
stop_daemon "$RDD_PID"
expect_log "$T/notify.log" "STOPPING=1"
assert_eq "the notifications in order" "READY=1 RELOADING=1 READY=1 STOPPING=1" \
	"$(grep -o 'READY=1\|RELOADING=1\|STOPPING=1' "$T/notify.log" | tr '\n' ' ' | sed 's/ $//')"

# IPv4 and IPv6 listeners side by side, UDP and TCP on the same port number.
if have_ipv6_loopback; then
	write_conf "$T/dual.conf" "listen coap://127.0.0.1:$RDD_PORT" "listen coap://[::1]:$RDD_PORT" \
		"listen coap+tcp://127.0.0.1:$RDD_PORT" "database $T/rdd.db" "lifetime-min 1s"
	start_rdd "$T/dual.conf" "$T/rdd-dual.log"
	assert_log_contains "$RDD_LOG" "rdd[info]: listening on 'coap://[::1]:$RDD_PORT'"
	assert_log_contains "$RDD_LOG" "rdd[info]: listening on 'coap+tcp://127.0.0.1:$RDD_PORT'"
	rdreq GET '/rd-lookup/res?ep=node1' --host ::1
	assert_eq "over IPv6: the same directory" \
		"<coap://127.0.0.1:$client/sensors/temp>;rt=temperature-c;anchor=coap://127.0.0.1:$client" \
		"$(lf "$RD_BODY")"
	rdreq GET '/rd-lookup/res?ep=node1' --tcp
	assert_eq "over TCP: the same directory" \
		"<coap://127.0.0.1:$client/sensors/temp>;rt=temperature-c;anchor=coap://127.0.0.1:$client" \
		"$(lf "$RD_BODY")"
	stop_daemon "$RDD_PID"
else
	echo "# no ::1 on this host: the IPv6 listener is not tried"
fi

# A listen URI without a port means 5683 (only tried when 5683 is free).
if ! port_in_use 5683; then
	write_conf "$T/5683.conf" "listen coap://127.0.0.1" "database $T/rdd.db"
	start_rdd "$T/5683.conf" "$T/rdd-5683.log"
	assert_match "listen coap://127.0.0.1 binds 127.0.0.1:5683" "127\.0\.0\.1:5683 " \
		"$(ss -Hlun "( sport = :5683 )" 2>/dev/null)"
	rdreq GET '/rd-lookup/res?ep=node1' --port 5683
	assert_eq "rdd answers on 5683" "2.05 cf=40" "$RD_HEAD"
	stop_daemon "$RDD_PID"
else
	echo "# port 5683 is in use: the default port is not tried"
fi

# A second rdd on the same port (with its own database) must not start:
# it would take part of the first one's datagrams.
start_rdd "$conf" "$T/first.log"
first=$RDD_PID
write_conf "$T/second.conf" "listen coap://127.0.0.1:$RDD_PORT" "database $T/second.db"
"$RDD" -f "$T/second.conf" >"$T/second.log" 2>&1 </dev/null 3>&- 4<&- &
second=$!
PIDS="$PIDS $second"
wait_gone "$second" 50
if alive "$second"; then
	not_ok "a second rdd on the same port exits" "it is running; its log:"
	sed 's/^/      | /' "$T/second.log"
	stop_daemon "$second"
else
	wait "$second"; rc=$?
	forget_pid "$second"
	assert_eq "a second rdd on the same port: exit status 1" 1 "$rc"
	assert_log_contains "$T/second.log" "rdd[err]: failed to listen on 'coap://127.0.0.1:$RDD_PORT' (cannot bind"
	assert_log_lacks "$T/second.log" "started"
fi
assert_eq "one UDP socket on the port" 1 "$(ss -Hlun "( sport = :$RDD_PORT )" 2>/dev/null | wc -l)"

# A second rdd on the same database (another port) must not start either.
port3=$(free_port)
write_conf "$T/third.conf" "listen coap://127.0.0.1:$port3" "database $T/rdd.db"
"$RDD" -f "$T/third.conf" >"$T/third.log" 2>&1 </dev/null 3>&- 4<&- &
third=$!
PIDS="$PIDS $third"
wait_gone "$third" 50
if alive "$third"; then
	not_ok "a second rdd on the same database exits" "it is running; its log:"
	sed 's/^/      | /' "$T/third.log"
	stop_daemon "$third"
else
	wait "$third"; rc=$?
	forget_pid "$third"
	assert_eq "a second rdd on the same database: exit status 1" 1 "$rc"
	assert_log_contains "$T/third.log" "rdd[err]: cannot open database '$T/rdd.db'"
	assert_log_lacks "$T/third.log" "started"
fi
rdreq GET '/rd-lookup/res?ep=node1'
assert_eq "the first rdd still answers" "2.05 cf=40" "$RD_HEAD"
stop_daemon "$first"

# A port already taken by another program: exit 1 with the reason, before "started".
start_bg "$T/holder.log" "$PYTHON" -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
print("bound", flush=True)
time.sleep(30)' "$RDD_PORT"
holder=$BG_PID
wait_log "$T/holder.log" bound 50 || hard_error "the port holder did not start"
"$RDD" -f "$conf" >"$T/busy.log" 2>&1 </dev/null 3>&- 4<&- &
busy=$!
PIDS="$PIDS $busy"
wait_gone "$busy" 50
if alive "$busy"; then
	not_ok "rdd on a busy port exits" "it is running; its log:"
	sed 's/^/      | /' "$T/busy.log"
	stop_daemon "$busy"
else
	wait "$busy"; rc=$?
	forget_pid "$busy"
	assert_eq "a busy port: exit status 1" 1 "$rc"
	assert_log_contains "$T/busy.log" "rdd[err]: failed to listen on 'coap://127.0.0.1:$RDD_PORT' (cannot bind"
	assert_log_lacks "$T/busy.log" "started"
fi
kill "$holder"
wait_gone "$holder" 30

# A database that cannot be opened: exit 1 with the reason, before "started".
write_conf "$T/nodb.conf" "listen coap://127.0.0.1:$RDD_PORT" "database $T/no/such/dir/rdd.db"
"$RDD" -f "$T/nodb.conf" >"$T/nodb.log" 2>&1 </dev/null 3>&- 4<&- &
nodb=$!
PIDS="$PIDS $nodb"
wait_gone "$nodb" 50
wait "$nodb"; rc=$?
forget_pid "$nodb"
assert_eq "a database in a missing directory: exit status 1" 1 "$rc"
assert_log_contains "$T/nodb.log" "rdd[err]: cannot open database '$T/no/such/dir/rdd.db'"
assert_log_lacks "$T/nodb.log" "started"

# Not a database: exit 1, and the file is left alone.
printf 'this is not an SQLite database, not even close; it is text\n' >"$T/junk.db"
cp "$T/junk.db" "$T/junk.orig"
write_conf "$T/junk.conf" "listen coap://127.0.0.1:$RDD_PORT" "database $T/junk.db"
"$RDD" -f "$T/junk.conf" >"$T/junk.log" 2>&1 </dev/null 3>&- 4<&- &
junk=$!
PIDS="$PIDS $junk"
wait_gone "$junk" 50
if alive "$junk"; then
	not_ok "rdd refuses a file that is not a database" "it is running; its log:"
	sed 's/^/      | /' "$T/junk.log"
	stop_daemon "$junk"
else
	wait "$junk"; rc=$?
	forget_pid "$junk"
	assert_eq "a file that is not a database: exit status 1" 1 "$rc"
	assert_log_contains "$T/junk.log" "rdd[err]: cannot open database '$T/junk.db'"
fi
if cmp -s "$T/junk.db" "$T/junk.orig"; then ok "the file that is not a database is unchanged"
else not_ok "the file that is not a database is unchanged"; fi

finish
