#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# SIGHUP: a changed path moves the resource, a broken file changes nothing, listen/user need a restart.
. "$(dirname "$0")/lib.sh"

port=$(free_port)
port2=$(free_port)
client=$(free_port)
conf="$T/tstund.conf"
url="coap://127.0.0.1:$port"

# reload: SIGHUP and wait for the Nth "reloading" notice and the outcome.
reloads=0
reload() {
	reloads=$((reloads + 1))
	kill -HUP "$TSTUND_PID"
	wait_log "$TSTUND_LOG" "tstund[notice]: reloading configuration from '$conf'" 50 "$reloads" ||
		not_ok "reload $reloads is logged"
}

write_conf "$conf" "listen coap://127.0.0.1:$port" "path /tstun"
start_tstund "$conf"
coap_get -p "$client" "$url/tstun"
assert_eq "before the reload: /tstun answers" "127.0.0.1:$client" "$COAP_OUT"

# 1. A new path: the resource moves, /.well-known/core follows.
write_conf "$conf" "listen coap://127.0.0.1:$port" "path /nat/reflexive"
reload
expect_log "$TSTUND_LOG" "tstund[notice]: configuration reloaded" 50 1
coap_get -p "$client" "$url/nat/reflexive"
assert_eq "after the reload: the new path answers" "127.0.0.1:$client" "$COAP_OUT"
coap_get "$url/tstun"
assert_eq "after the reload: the old path is 4.04" "4.04 not found" "$COAP_ERR"
assert_eq "after the reload: the old path has no payload" "" "$COAP_OUT"
coap_get "$url/.well-known/core"
assert_eq "after the reload: /.well-known/core lists the new path" \
	'</nat/reflexive>;rt="tstun";ct="0 40 50 60"' "$COAP_OUT"
assert_eq "the process is the same" 1 "$(grep -c 'started$' "$TSTUND_LOG")"

# 2. A broken file: logged with its location, the old configuration stays.
write_conf "$conf" "listen coap://127.0.0.1:$port" "path /elsewhere" "rd-lifetime forever"
reload
expect_log "$TSTUND_LOG" "tstund[err]: reload failed: $conf:3: invalid value 'forever' for 'rd-lifetime'"
assert_log_contains "$TSTUND_LOG" ", keeping the current configuration"
coap_get -p "$client" "$url/nat/reflexive"
assert_eq "after a failed reload: the old path still answers" "127.0.0.1:$client" "$COAP_OUT"
coap_get "$url/elsewhere"
assert_eq "after a failed reload: the path of the broken file is 4.04" "4.04 not found" "$COAP_ERR"

# A missing file is a failed reload too.
mv "$conf" "$conf.away"
reload
expect_log "$TSTUND_LOG" "tstund[err]: reload failed: $conf: cannot open (No such file or directory), keeping the current configuration"
mv "$conf.away" "$conf"
coap_get -p "$client" "$url/nat/reflexive"
assert_eq "after a reload without a file: still serving" "127.0.0.1:$client" "$COAP_OUT"

# 3. A changed listen (and user): logged, ignored, the old socket stays.
write_conf "$conf" "listen coap://127.0.0.1:$port" "listen coap://127.0.0.1:$port2" \
	"path /nat/reflexive" "user nobody"
reload
expect_log "$TSTUND_LOG" "tstund[warning]: 'listen' changed: restart required, ignoring"
expect_log "$TSTUND_LOG" "tstund[warning]: 'user' changed: restart required, ignoring"
expect_log "$TSTUND_LOG" "tstund[notice]: configuration reloaded" 50 2
coap_get -B 1 "coap://127.0.0.1:$port2/nat/reflexive"
assert_contains "the new listen address is not opened (ICMP port unreachable)" \
	"ICMP: Connection refused" "$COAP_OUT"
assert_eq "nothing listens on the new address" "" "$(ss -Hlun "( sport = :$port2 )" 2>/dev/null)"
coap_get -p "$client" "$url/nat/reflexive"
assert_eq "the old listen address still answers" "127.0.0.1:$client" "$COAP_OUT"
assert_eq "the user did not change" "$(id -un)" "$(ps -o user= -p "$TSTUND_PID" 2>/dev/null || id -un)"

# 4. log-level takes effect at once: at warning, notices are no longer logged.
write_conf "$conf" "listen coap://127.0.0.1:$port" "listen coap://127.0.0.1:$port2" \
	"path /tstun" "user nobody" "log-level warning"
reload
# Still not what runs: the warnings repeat until a restart.
expect_log "$TSTUND_LOG" "tstund[warning]: 'listen' changed: restart required, ignoring" 50 2
expect_log "$TSTUND_LOG" "tstund[warning]: 'user' changed: restart required, ignoring" 50 2
i=0
while [ $i -lt 30 ]; do
	coap_get -p "$client" "$url/tstun"
	[ "$COAP_OUT" = "127.0.0.1:$client" ] && break
	sleep 0.1
	i=$((i + 1))
done
assert_eq "the reload with log-level warning applied the path" "127.0.0.1:$client" "$COAP_OUT"
assert_eq "at log-level warning 'configuration reloaded' (a notice) is not logged" 2 \
	"$(grep -c 'configuration reloaded' "$TSTUND_LOG")"
stop_daemon
assert_log_lacks "$TSTUND_LOG" "SIGTERM received" "at log-level warning the stop notice is not logged"
assert_log_contains "$TSTUND_LOG" "tstund[notice]: reloading configuration from '$conf'"

finish
