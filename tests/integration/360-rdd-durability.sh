#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# rdd durability: a registration survives kill -9 right after its 2.01, keeps its remaining lifetime; stops and expiry across restarts.
. "$(dirname "$0")/lib.sh"
require_rdd

RDD_PORT=$(free_port)
c1=$(free_port)
c2=$(free_port)
conf="$T/rdd.conf"
rdd_conf "$conf"
restarts=0

# restart: start rdd again on the same configuration and database.
restart() {
	restarts=$((restarts + 1))
	start_rdd "$conf" "$T/rdd-$restarts.log"
}

# lt_of EP: the lt the endpoint lookup shows for EP ("" when not found).
lt_of() {
	rdreq GET "/rd-lookup/ep?ep=$1"
	lf "$RD_BODY" | sed -n 's/.*;lt=\([0-9]*\).*/\1/p'
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# 1. kill -9 as soon as the 2.01 is in (rdclient.py sends SIGKILL before it
# even prints the answer).
start_rdd "$conf"
rdreq POST '/rd?ep=node1&lt=3600' --sport "$c1" --payload '</sensors/temp>;rt="temperature-c"' --kill "$RDD_PID"
assert_match "POST /rd?ep=node1&lt=3600: 2.01" '^2\.01 loc=/reg/' "$RD_HEAD"
reg1=${RD_HEAD#* loc=}
wait_gone "$RDD_PID" 50
wait "$RDD_PID"; rc=$?
forget_pid "$RDD_PID"
assert_eq "rdd was killed by SIGKILL" 137 "$rc"
assert_log_lacks "$RDD_LOG" "stopped" "the killed rdd did not stop cleanly"
restart
rdreq GET "$reg1"
assert_eq "after kill -9 and a restart: GET $reg1 is 2.05 with the links" \
	"2.05 cf=40|</sensors/temp>;rt=temperature-c" "$RD_HEAD|$(lf "$RD_BODY")"
rdreq GET '/rd-lookup/res?ep=node1'
assert_eq "and the lookup finds it" \
	"<coap://127.0.0.1:$c1/sensors/temp>;rt=temperature-c;anchor=coap://127.0.0.1:$c1" "$(lf "$RD_BODY")"
lt=$(lt_of node1)
if [ -n "$lt" ] && [ "$lt" -le 3600 ] && [ "$lt" -ge 3590 ]; then
	ok "its lt after the restart is the registered or the remaining one ($lt)"
else
	not_ok "its lt after the restart is the registered or the remaining one (3590..3600)" "got: [$lt]"
fi

# 2. The remaining lifetime: lt=4, killed at once, restarted 2 s later. It
# must go about 2 s after the restart (at 4 s), not 4 s after it (at 6 s).
t0=$(now_ms)
rdreq POST '/rd?ep=node2&lt=4' --sport "$c2" --payload '</t>' --kill "$RDD_PID"
assert_match "POST /rd?ep=node2&lt=4: 2.01" '^2\.01 loc=/reg/' "$RD_HEAD"
reg2=${RD_HEAD#* loc=}
wait_gone "$RDD_PID" 50
wait "$RDD_PID" 2>/dev/null
forget_pid "$RDD_PID"
sleep 2
restart
lt=$(lt_of node2)
if [ -n "$lt" ]; then ok "2 s later, after a restart, node2 is there (lt $lt)"; else not_ok "2 s later, after a restart, node2 is there"; fi
gone=
while [ $(($(now_ms) - t0)) -lt 8000 ]; do
	rdreq GET "$reg2"
	if [ "$RD_CODE" = 4.04 ]; then
		gone=$(($(now_ms) - t0))
		break
	fi
	sleep 0.1
done
if [ -z "$gone" ]; then
	not_ok "node2 expires after the restart" "GET $reg2 still $RD_HEAD 8 s after its registration with lt=4"
elif [ "$gone" -le 5500 ]; then
	ok "node2 expired with its remaining lifetime (gone $gone ms after its registration with lt=4)"
else
	not_ok "node2 expired with its remaining lifetime" \
		"gone $gone ms after its registration with lt=4, restart 2 s after it: the lifetime restarted"
fi
rdreq GET '/rd-lookup/ep?ep=node2'
assert_eq "expired: the endpoint lookup no longer lists it" "" "$RD_BODY"
rdreq POST "$reg2"
assert_eq "expired: an update is 4.04" 4.04 "$RD_CODE"
rdreq DELETE "$reg2"
assert_eq "expired: DELETE is 4.04" 4.04 "$RD_CODE"

# 3. A graceful stop keeps every registration, update and removal.
rdreq POST '/rd?ep=node3&d=lab&et=oic.d.sensor&title=bench&lt=7200' --sport "$c1" \
	--payload '</s/a>;rt="temperature-c";if="sensor",</s/b>;anchor="/s/a";rel="alternate"'
reg3=${RD_HEAD#* loc=}
rdreq POST '/rd?ep=node4&base=coap://[2001:db8::4]:61616' --payload \
	'</x>;rt="x",<coap://203.0.113.7:40001/candidates>;rel="candidateof";anchor="coap://10.10.10.1:5683"'
reg4=${RD_HEAD#* loc=}
rdreq POST '/rd?ep=node5' --cf 50 --payload '[{"href":"/j","rt":["a","b"],"obs":true}]'
reg5=${RD_HEAD#* loc=}
rdreq POST '/rd?ep=node6' --payload '</gone>'
reg6=${RD_HEAD#* loc=}
rdreq DELETE "$reg6"
assert_eq "node6 removed before the stop" 2.02 "$RD_CODE"
rdreq POST "$reg4?lt=5000&base=coap://[2001:db8::44]:61616"
assert_eq "node4 updated before the stop" 2.04 "$RD_CODE"
rdreq POST '/rd?ep=node7&lt=2' --payload '</short>'
reg7=${RD_HEAD#* loc=}
t7=$(now_ms)
rdreq GET /rd-lookup/ep
ep_before=$(lf --sort "$RD_BODY" | grep -v ';ep=node7;' | sed 's/;lt=[0-9]*//')
rdreq GET /rd-lookup/res
res_before=$(lf --sort "$RD_BODY" | grep -v '/short>')
regs_before=
for r in "$reg1" "$reg3" "$reg4" "$reg5"; do
	rdreq GET "$r"
	regs_before="$regs_before$r $RD_HEAD $RD_BODY
"
done
stop_daemon "$RDD_PID"
# node7 (lt=2) expires while rdd is down.
while [ $(($(now_ms) - t7)) -lt 2200 ]; do sleep 0.1; done
restart
rdreq GET /rd-lookup/ep
assert_eq "after a graceful stop and a restart: the same registrations (lt aside)" "$ep_before" \
	"$(lf --sort "$RD_BODY" | sed 's/;lt=[0-9]*//')"
rdreq GET /rd-lookup/res
assert_eq "after a graceful stop and a restart: the same links" "$res_before" "$(lf --sort "$RD_BODY")"
regs_after=
for r in "$reg1" "$reg3" "$reg4" "$reg5"; do
	rdreq GET "$r"
	regs_after="$regs_after$r $RD_HEAD $RD_BODY
"
done
assert_eq "after a graceful stop and a restart: GET /reg/<id> answers the same" "$regs_before" "$regs_after"
lt=$(lt_of node4)
if [ -n "$lt" ] && [ "$lt" -le 5000 ] && [ "$lt" -ge 4990 ]; then ok "node4's updated lt is kept ($lt)"
else not_ok "node4's updated lt is kept (4990..5000)" "got: [$lt]"; fi
rdreq GET "$reg6"
assert_eq "the removal is kept: GET $reg6 is 4.04" 4.04 "$RD_CODE"
rdreq GET "$reg7"
assert_eq "expired while rdd was down: GET $reg7 is 4.04" 4.04 "$RD_CODE"
rdreq GET '/rd-lookup/ep?ep=node7'
assert_eq "expired while rdd was down: not listed" "" "$RD_BODY"

# After the restart: a re-registration keeps its location, a new one gets a
# new id (ids are never reused, not even those of removed registrations).
rdreq POST '/rd?ep=node3&d=lab' --sport "$c1" --payload '</s/a>;rt="temperature-c"'
assert_eq "after the restart, re-registering node3 (d=lab): the same location" "2.01 loc=$reg3" "$RD_HEAD"
rdreq POST '/rd?ep=node8' --payload '</n>'
reg8=${RD_HEAD#* loc=}
case " $reg1 $reg2 $reg3 $reg4 $reg5 $reg6 $reg7 " in
*" $reg8 "*) not_ok "after the restart a new registration gets an unused id" "got $reg8 again" ;;
*) ok "after the restart a new registration gets an unused id ($reg8)" ;;
esac

if command -v sqlite3 >/dev/null 2>&1; then
	stop_daemon "$RDD_PID"
	assert_eq "sqlite3: the database passes integrity_check" ok \
		"$(sqlite3 "$T/rdd.db" 'PRAGMA integrity_check' 2>&1)"
	assert_eq "sqlite3: five registrations stored (node1, node3, node4, node5, node8)" 5 \
		"$(sqlite3 "$T/rdd.db" 'SELECT count(*) FROM reg' 2>&1)"
else
	echo "# sqlite3 not found: the database file itself is not checked"
	stop_daemon "$RDD_PID"
fi

finish
