#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# rdd SIGHUP: new limits apply at once, a broken file changes nothing, listen/database need a restart.
. "$(dirname "$0")/lib.sh"
require_rdd

RDD_PORT=$(free_port)
port2=$(free_port)
client=$(free_port)
conf="$T/rdd.conf"

reloads=0
reload() {
	reloads=$((reloads + 1))
	kill -HUP "$RDD_PID"
	wait_log "$RDD_LOG" "rdd[notice]: reloading configuration from '$conf'" 50 "$reloads" ||
		not_ok "reload $reloads is logged"
}

# lt_of EP: the lt the endpoint lookup shows for EP.
lt_of() {
	rdreq GET "/rd-lookup/ep?ep=$1"
	lf "$RD_BODY" | sed -n 's/.*;lt=\([0-9]*\).*/\1/p'
}

rdd_conf "$conf" "lifetime-max 1h" "lifetime-default 1h"
start_rdd "$conf"
rdreq POST '/rd?ep=node1&lt=7200' --sport "$client" --payload '</sensors/temp>;rt="temperature-c"'
assert_match "registered" '^2\.01 loc=/reg/' "$RD_HEAD"
loc=${RD_HEAD#* loc=}
assert_eq "lt=7200 under lifetime-max 1h: lowered to 3600" 3600 "$(lt_of node1)"

# 1. lifetime-max raised: the next registration keeps its lt.
rdd_conf "$conf" "lifetime-max 2h" "lifetime-default 1h"
reload
expect_log "$RDD_LOG" "rdd[notice]: configuration reloaded" 50 1
rdreq POST '/rd?ep=node1&lt=7200' --sport "$client" --payload '</sensors/temp>;rt="temperature-c"'
assert_eq "re-registration after the reload: same location" "2.01 loc=$loc" "$RD_HEAD"
assert_eq "after the reload lifetime-max is 2h: lt=7200 kept" 7200 "$(lt_of node1)"
assert_eq "the process is the same" 1 "$(grep -c 'started$' "$RDD_LOG")"

# 1b. lifetime-min raised to 10s: a smaller lt is raised to it.
write_conf "$conf" "listen coap://127.0.0.1:$RDD_PORT" "database $T/rdd.db" "lifetime-min 10s" \
	"lifetime-max 2h" "lifetime-default 1h"
reload
expect_log "$RDD_LOG" "rdd[notice]: configuration reloaded" 50 2
rdreq POST '/rd?ep=short&lt=2' --payload '</s>'
assert_match "lt=2 with lifetime-min 10s: registered" '^2\.01 ' "$RD_HEAD"
assert_eq "lt=2 with lifetime-min 10s: raised to 10" 10 "$(lt_of short)"
rdreq DELETE "${RD_HEAD#* loc=}"

# 2. max-payload lowered to 64: a 100-byte registration is 4.13 with Size1 64.
big='</sensors/temperature/indoor/livingroom>;rt="temperature-c";if="sensor";title="living"'
[ ${#big} -gt 64 ] || hard_error "the payload should be over 64 bytes"
rdreq POST '/rd?ep=node2' --payload "$big"
assert_eq "before lowering max-payload: accepted" 2.01 "$RD_CODE"
rdd_conf "$conf" "lifetime-max 2h" "lifetime-default 1h" "max-payload 64"
reload
expect_log "$RDD_LOG" "rdd[notice]: configuration reloaded" 50 3
rdreq POST '/rd?ep=node3' --payload "$big"
assert_eq "after lowering max-payload to 64: 4.13 with Size1 64" "4.13 cf=0 size1=64" "$RD_HEAD"
rdreq GET '/rd-lookup/ep?ep=node3'
assert_eq "and nothing registered" "" "$RD_BODY"

# 3. A broken file: logged with its location, the old configuration stays.
rdd_conf "$conf" "lifetime-max 2h" "lifetime-default 1h" "max-payload 16384" "max-registrations none"
reload
expect_log "$RDD_LOG" "rdd[err]: reload failed: $conf:7: invalid value 'none' for 'max-registrations'"
assert_log_contains "$RDD_LOG" ", keeping the current configuration"
rdreq POST '/rd?ep=node3' --payload "$big"
assert_eq "after a failed reload max-payload is still 64" "4.13 cf=0 size1=64" "$RD_HEAD"
# A whole-file error is a failed reload too.
rdd_conf "$conf" "lifetime-max 2h" "max-payload 16384" "lifetime-default 3h"
reload
expect_log "$RDD_LOG" "rdd[err]: reload failed: $conf: 'lifetime-default' is outside 'lifetime-min'..'lifetime-max'"
rdreq POST '/rd?ep=node3' --payload "$big"
assert_eq "after a failed whole-file check max-payload is still 64" "4.13 cf=0 size1=64" "$RD_HEAD"
# A missing file.
mv "$conf" "$conf.away"
reload
expect_log "$RDD_LOG" "rdd[err]: reload failed: $conf: cannot open (No such file or directory), keeping the current configuration"
mv "$conf.away" "$conf"
rdreq GET '/rd-lookup/res?ep=node1'
assert_eq "after a reload without a file: still serving" \
	"<coap://127.0.0.1:$client/sensors/temp>;rt=temperature-c;anchor=coap://127.0.0.1:$client" \
	"$(lf "$RD_BODY")"

# 4. listen and database changed: logged, ignored, the old socket and database stay.
write_conf "$conf" "listen coap://127.0.0.1:$RDD_PORT" "listen coap://127.0.0.1:$port2" \
	"database $T/other.db" "lifetime-min 1s" "lifetime-max 2h" "lifetime-default 1h" "synchronous off"
reload
expect_log "$RDD_LOG" "rdd[warning]: 'listen' changed: restart required, ignoring"
expect_log "$RDD_LOG" "rdd[warning]: 'database' changed: restart required, ignoring"
expect_log "$RDD_LOG" "rdd[warning]: 'synchronous' changed: restart required, ignoring"
expect_log "$RDD_LOG" "rdd[notice]: configuration reloaded" 50 4
assert_eq "nothing listens on the new address" "" "$(ss -Hlun "( sport = :$port2 )" 2>/dev/null)"
if [ -e "$T/other.db" ]; then not_ok "the new database is not created"; else ok "the new database is not created"; fi
rdreq GET '/rd-lookup/ep'
assert_eq "the old address answers from the old database: node1 and node2" 2 \
	"$(lf "$RD_BODY" | grep -c '^</reg/')"
rdreq POST '/rd?ep=node3' --payload "$big"
assert_eq "that reload applied max-payload back to its default" 2.01 "$RD_CODE"

# 5. log-level takes effect at once.
write_conf "$conf" "listen coap://127.0.0.1:$RDD_PORT" "database $T/rdd.db" "lifetime-min 1s" \
	"lifetime-max 2h" "lifetime-default 1h" "log-level warning"
reload
rdreq GET '/rd-lookup/ep'
assert_eq "still serving after the log-level change" 2.05 "$RD_CODE"
stop_daemon "$RDD_PID"
assert_log_lacks "$RDD_LOG" "SIGTERM received" "at log-level warning the stop notice is not logged"
assert_eq "at log-level warning 'configuration reloaded' is not logged for the last reload" 4 \
	"$(grep -c 'configuration reloaded' "$RDD_LOG")"

finish
