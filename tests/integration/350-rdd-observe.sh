#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# rdd Observe (RFC 7641) on lookups and /reg/<id>: a notification when, and only when, the observed result changes.
. "$(dirname "$0")/lib.sh"
require_rdd

RDD_PORT=$(free_port)
c1=$(free_port)
c2=$(free_port)
conf="$T/rdd.conf"
rdd_conf "$conf"
start_rdd "$conf"

# msg LOG N: message N (0: the first answer) of an observer, as logged
# (shell builtins only: this runs often).
msg() {
	while IFS= read -r _ml; do
		case $_ml in "$2 "*) printf '%s\n' "$_ml"; return ;; esac
	done <"$1"
}
# payload LOG N: its payload.
payload() {
	_pm=$(msg "$1" "$2")
	printf '%s' "${_pm#* payload=}"
}
# obsno LOG N: its Observe value.
obsno() {
	_pm=$(msg "$1" "$2")
	_pm=${_pm#* obs=}
	printf '%s' "${_pm%% *}"
}

# notified DESC LOG N EXPECTED [JSON]: the observer got message N within
# 5 s, a 2.05 notification (NON, or the periodic CON) with Observe greater
# than the one before, whose payload is EXPECTED (normalised links; "" for
# none).
notified() {
	nt_d=$1 nt_log=$2 nt_n=$3 nt_want=$4
	if ! obs_wait "$nt_log" $((nt_n + 1)) 50; then
		not_ok "$nt_d: a notification within 5 s" "the observer's log:"
		sed 's/^/      | /' "$nt_log"
		return
	fi
	nt_m=$(msg "$nt_log" "$nt_n")
	assert_match "$nt_d: a 2.05 notification with Observe" "^$nt_n (NON|CON) 2\\.05 obs=[0-9]+ cf=(40|50) " "$nt_m"
	nt_o1=$(obsno "$nt_log" $((nt_n - 1)))
	nt_o2=$(obsno "$nt_log" "$nt_n")
	if [ -n "$nt_o1" ] && [ -n "$nt_o2" ] && [ "$nt_o2" -gt "$nt_o1" ]; then
		ok "$nt_d: Observe grows ($nt_o1 -> $nt_o2)"
	else
		not_ok "$nt_d: Observe grows" "before: [$nt_o1] now: [$nt_o2]"
	fi
	if [ "${5:-}" = json ]; then
		assert_eq "$nt_d: the new result" "$nt_want" "$(lf --json --sort "$(payload "$nt_log" "$nt_n")")"
	else
		assert_eq "$nt_d: the new result" "$nt_want" "$(lf --sort "$(payload "$nt_log" "$nt_n")")"
	fi
}

# quiet DESC LOG N: the observer still has N messages (nothing more came).
quiet() {
	assert_eq "$1: no notification" "$3" "$(obs_count "$2")"
}

# Observers: A res?rt=temperature-c, B ep?ep=node1, C res?rt=humidity (a
# witness for the changes A and B must not see), D the thin-ICE candidate
# lookup in JSON.
A="$T/a.log" B="$T/b.log" C="$T/c.log" D="$T/d.log"
observe_bg "$A" '/rd-lookup/res?rt=temperature-c'
observe_bg "$B" '/rd-lookup/ep?ep=node1'
observe_bg "$C" '/rd-lookup/res?rt=humidity'
observe_bg "$D" '/rd-lookup/res?rel=candidateof&anchor=coap://10.10.10.1:5683' --accept 50
assert_match "A: the first answer is a 2.05 with Observe, empty" '^0 ACK 2\.05 obs=[0-9]+ cf=40 payload=$' "$(msg "$A" 0)"
assert_match "B: the first answer is a 2.05 with Observe, empty" '^0 ACK 2\.05 obs=[0-9]+ cf=40 payload=$' "$(msg "$B" 0)"
assert_match "D: the first answer is JSON, []" '^0 ACK 2\.05 obs=[0-9]+ cf=50 payload=\[\]$' "$(msg "$D" 0)"

# 1. A registration: A, B and D are notified, C is not.
CAND='<coap://203.0.113.7:40001/candidates>;rel="candidateof";anchor="coap://10.10.10.1:5683"'
rdreq POST '/rd?ep=node1' --sport "$c1" --payload "</sensors/temp>;rt=\"temperature-c\",$CAND"
assert_match "node1 registered" '^2\.01 loc=/reg/' "$RD_HEAD"
reg=${RD_HEAD#* loc=}
notified "registration: A" "$A" 1 "<coap://127.0.0.1:$c1/sensors/temp>;rt=temperature-c;anchor=coap://127.0.0.1:$c1"
notified "registration: B" "$B" 1 "<$reg>;ep=node1;base=coap://127.0.0.1:$c1;lt=90000"
notified "registration: D (JSON)" "$D" 1 \
	'<coap://203.0.113.7:40001/candidates>;rel=candidateof;anchor=coap://10.10.10.1:5683' json

# 2. A change that concerns only C: C is notified, A, B and D are not.
rdreq POST '/rd?ep=node2' --sport "$c2" --payload '</hum>;rt="humidity"'
notified "another endpoint's humidity link: C" "$C" 1 "<coap://127.0.0.1:$c2/hum>;rt=humidity;anchor=coap://127.0.0.1:$c2"
sleep 0.5
quiet "another endpoint's humidity link: A" "$A" 2
quiet "another endpoint's humidity link: B" "$B" 2
quiet "another endpoint's humidity link: D" "$D" 2

# 3. An update that changes the base: A and B are notified; D's absolute
# candidate is unchanged, so D is not; C is not.
rdreq POST "$reg?base=coap://198.51.100.7:5683" --sport "$c1"
assert_eq "update of node1's base: 2.04" 2.04 "$RD_CODE"
notified "update of the base: A" "$A" 2 "<coap://198.51.100.7:5683/sensors/temp>;rt=temperature-c;anchor=coap://198.51.100.7:5683"
notified "update of the base: B" "$B" 2 "<$reg>;ep=node1;base=coap://198.51.100.7:5683;lt=90000"
# A change for C after it, as a witness that the notifications went out.
rdreq POST '/rd?ep=node2' --sport "$c2" --payload '</hum>;rt="humidity";if="sensor"'
notified "witness: C" "$C" 2 "<coap://127.0.0.1:$c2/hum>;rt=humidity;if=sensor;anchor=coap://127.0.0.1:$c2"
sleep 0.3
quiet "update of the base: D (the candidate did not change)" "$D" 2
quiet "update of the base: C" "$C" 3

# 4. A bare refresh (update without parameters) changes no result: nobody.
rdreq POST "$reg" --sport "$c1"
assert_eq "refresh: 2.04" 2.04 "$RD_CODE"
rdreq POST '/rd?ep=node2' --sport "$c2" --payload '</hum>;rt="humidity"'
notified "witness: C" "$C" 3 "<coap://127.0.0.1:$c2/hum>;rt=humidity;anchor=coap://127.0.0.1:$c2"
sleep 0.3
quiet "refresh: A" "$A" 3
quiet "refresh: B" "$B" 3
quiet "refresh: D" "$D" 2

# 5. A new NAT mapping: re-registration with a new candidate. D is notified.
rdreq POST '/rd?ep=node1' --sport "$c1" \
	--payload '</sensors/temp>;rt="temperature-c",<coap://203.0.113.7:40777/candidates>;rel="candidateof";anchor="coap://10.10.10.1:5683"'
assert_eq "re-registration with a new candidate: 2.01, same location" "2.01 loc=$reg" "$RD_HEAD"
notified "new candidate: D" "$D" 2 '<coap://203.0.113.7:40777/candidates>;rel=candidateof;anchor=coap://10.10.10.1:5683' json
notified "new candidate, base from the source again: A" "$A" 3 \
	"<coap://127.0.0.1:$c1/sensors/temp>;rt=temperature-c;anchor=coap://127.0.0.1:$c1"
notified "new candidate, base from the source again: B" "$B" 3 "<$reg>;ep=node1;base=coap://127.0.0.1:$c1;lt=90000"

# 6. Removal: A and B become empty, D [].
rdreq DELETE "$reg"
assert_eq "DELETE node1: 2.02" 2.02 "$RD_CODE"
notified "removal: A" "$A" 4 ""
notified "removal: B" "$B" 4 ""
notified "removal: D" "$D" 3 "" json
assert_match "removal: D's payload is []" '^3 (NON|CON) 2\.05 obs=[0-9]+ cf=50 payload=\[\]$' "$(msg "$D" 3)"

# 7. Expiry: lt=2 (lifetime-min 1s): a notification when it comes, and when it goes.
rdreq POST '/rd?ep=node1&lt=2' --sport "$c1" --payload "</sensors/temp>;rt=\"temperature-c\",$CAND"
assert_match "node1 registered with lt=2" '^2\.01 loc=/reg/' "$RD_HEAD"
reg=${RD_HEAD#* loc=}
notified "short registration: A" "$A" 5 "<coap://127.0.0.1:$c1/sensors/temp>;rt=temperature-c;anchor=coap://127.0.0.1:$c1"
notified "short registration: B" "$B" 5 "<$reg>;ep=node1;base=coap://127.0.0.1:$c1;lt=2"
notified "short registration: D" "$D" 4 '<coap://203.0.113.7:40001/candidates>;rel=candidateof;anchor=coap://10.10.10.1:5683' json
notified "expiry: A" "$A" 6 ""
notified "expiry: B" "$B" 6 ""
notified "expiry: D" "$D" 5 "" json
rdreq GET "$reg"
assert_eq "after the expiry GET $reg is 4.04" 4.04 "$RD_CODE"
quiet "expiry of node1: C" "$C" 4

# 8. Observe GET /reg/<id>: a notification with the new links, then 4.04 on DELETE.
rdreq POST '/rd?ep=node9' --sport "$c2" --payload '</a>;rt="x"'
reg9=${RD_HEAD#* loc=}
E="$T/e.log"
observe_bg "$E" "$reg9"
assert_match "GET $reg9 with Observe: 2.05 with Observe, the links" \
	'^0 ACK 2\.05 obs=[0-9]+ cf=40 payload=</a>;rt="?x"?$' "$(msg "$E" 0)"
rdreq POST '/rd?ep=node9' --sport "$c2" --payload '</b>;rt="y"'
notified "re-registration: the observer of $reg9" "$E" 1 '</b>;rt=y'
rdreq POST "$reg9?lt=500" --sport "$c2"
rdreq POST '/rd?ep=node2' --sport "$c2" --payload '</hum>;rt="humidity";ct=0'
notified "witness: C" "$C" 4 "<coap://127.0.0.1:$c2/hum>;rt=humidity;ct=0;anchor=coap://127.0.0.1:$c2"
sleep 0.3
quiet "an lt update does not change the links of $reg9" "$E" 2
rdreq DELETE "$reg9"
assert_eq "DELETE $reg9: 2.02" 2.02 "$RD_CODE"
if obs_wait "$E" 3 50; then
	assert_match "DELETE: the observer of $reg9 gets a 4.04 notification" '^2 (CON|NON|ACK) 4\.04 ' "$(msg "$E" 2)"
	assert_match "the 4.04 notification has a diagnostic" '^2 [A-Z]+ 4\.04 obs=[^ ]* cf=[^ ]* payload=.' "$(msg "$E" 2)"
	if wait_log "$E" end 20; then ok "the observation of $reg9 ended"; else not_ok "the observation of $reg9 ended"; fi
else
	not_ok "DELETE: the observer of $reg9 gets a 4.04 notification within 5 s" "its log:"
	sed 's/^/      | /' "$E"
fi

# 8b. An observed page (count=1): a registration after it changes nothing.
H="$T/h.log"
observe_bg "$H" '/rd-lookup/ep?ep=pg*&count=1'
rdreq POST '/rd?ep=pg1' --sport "$c1" --payload '</p>'
pg1=${RD_HEAD#* loc=}
notified "the first registration on the observed page" "$H" 1 "<$pg1>;ep=pg1;base=coap://127.0.0.1:$c1;lt=90000"
rdreq POST '/rd?ep=pg2' --sport "$c1" --payload '</p>'
pg2=${RD_HEAD#* loc=}
rdreq POST '/rd?ep=node2' --sport "$c2" --payload '</hum>;rt="humidity";if="a"'
notified "witness: C" "$C" 5 "<coap://127.0.0.1:$c2/hum>;rt=humidity;if=a;anchor=coap://127.0.0.1:$c2"
sleep 0.3
quiet "a registration beyond the observed page (count=1)" "$H" 2
rdreq DELETE "$pg1"
notified "the first one removed: the second moves onto the page" "$H" 2 \
	"<$pg2>;ep=pg2;base=coap://127.0.0.1:$c1;lt=90000"

# 9. Notifications are NON with a CON at least every 20 (or 60 s): 25
# changes in a row, each waited for.
G="$T/g.log"
observe_bg "$G" '/rd-lookup/ep?ep=flip'
i=1
while [ $i -le 25 ]; do
	rdreq POST "/rd?ep=flip&lt=$((1000 + i))" --sport "$c2" --payload '</f>'
	obs_wait "$G" $((i + 1)) 50 || break
	i=$((i + 1))
done
assert_eq "25 changes, 25 notifications" 26 "$(obs_count "$G")"
assert_eq "every notification has the new lt" 25 "$(grep -c ';lt="\{0,1\}10[0-9][0-9]"\{0,1\}$' "$G")"
run=$(awk '$2 == "NON" { n++; if (n > m) m = n; next } $1 ~ /^[0-9]+$/ { n = 0 } END { print m + 0 }' "$G")
if [ "$run" -le 20 ]; then ok "at most 20 NON notifications in a row ($run)"
else not_ok "at most 20 NON notifications in a row" "got $run in a row:" "$(cat "$G")"; fi
assert_match "at least one CON among 25 notifications" '^[0-9]+ CON 2\.05 ' "$(sed 1d "$G")"

# 10. max-observers (after a reload): over the cap, a GET is answered without Observe.
rdd_conf "$conf" "max-observers 6" "max-observers-per-peer 6"
kill -HUP "$RDD_PID"
expect_log "$RDD_LOG" "rdd[notice]: configuration reloaded"
F="$T/f.log"
observe_bg "$F" '/rd-lookup/res?rt=x'
assert_match "one observer more than max-observers 6: 2.05 without Observe" '^0 ACK 2\.05 obs=- ' "$(msg "$F" 0)"
rdreq POST '/rd?ep=node2' --sport "$c2" --payload '</hum>;rt="humidity"'
notified "the first observers still observe: C" "$C" 6 "<coap://127.0.0.1:$c2/hum>;rt=humidity;anchor=coap://127.0.0.1:$c2"

stop_daemon "$RDD_PID"
finish
