#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# rdd simple registration (RFC 9176 section 5.1): POST /.well-known/rd, rdd fetches the registrant's /.well-known/core.
. "$(dirname "$0")/lib.sh"
require_rdd

RDD_PORT=$(free_port)
s1=$(free_port)
s2=$(free_port)
rdd_conf "$T/rdd.conf"
start_rdd "$T/rdd.conf"

# simple LOG ARGS...: rdclient.py simple from a registrant that serves
# /.well-known/core on its port; its lines in LOG (and SIMPLE_OUT).
simple() {
	_slog=$1
	shift
	rdclient simple --port "$RDD_PORT" --wait 5 "$@"
	rd_out >"$_slog"
	SIMPLE_OUT=$(rd_out)
}

# wait_found QUERY: poll GET QUERY until it has a payload (at most 3 s).
wait_found() {
	_n=0
	while [ $_n -lt 30 ]; do
		rdreq GET "$1"
		[ -n "$RD_BODY" ] && return 0
		sleep 0.1
		_n=$((_n + 1))
	done
	return 1
}

# 1. The registrant at 127.0.0.1:s1 has two links.
simple "$T/s1.log" --sport "$s1" --ep simple1 \
	--links '</sensors/temp>;rt="temperature-c";if="sensor",</sensors/light>;rt="light-lux"'
assert_contains "POST /.well-known/rd?ep=simple1: 2.04" "response 2.04" "$SIMPLE_OUT"
assert_contains "rdd asks the registrant for /.well-known/core, from its own port" \
	"request GET /.well-known/core from 127.0.0.1:$RDD_PORT" "$SIMPLE_OUT"
assert_eq "one GET of /.well-known/core" 1 "$(grep -c '^request GET /.well-known/core' "$T/s1.log")"
wait_found '/rd-lookup/res?ep=simple1' || not_ok "simple1's links appear within 3 s"
assert_eq "the links are registered, at the registrant's address" "$(printf '%s\n' \
	"<coap://127.0.0.1:$s1/sensors/light>;rt=light-lux;anchor=coap://127.0.0.1:$s1" \
	"<coap://127.0.0.1:$s1/sensors/temp>;rt=temperature-c;if=sensor;anchor=coap://127.0.0.1:$s1")" \
	"$(lf --sort "$RD_BODY")"
rdreq GET '/rd-lookup/ep?ep=simple1'
assert_match "the endpoint: base from the registrant's address, the default lt" \
	"^</reg/[^>]*>;ep=simple1;base=coap://127\\.0\\.0\\.1:$s1;lt=90000\$" "$(lf "$RD_BODY")"
reg=$(lf "$RD_BODY" | sed 's/^<\([^>]*\)>.*/\1/')
rdreq GET "$reg"
assert_eq "GET $reg: the registrant's links" \
	'</sensors/temp>;rt=temperature-c;if=sensor
</sensors/light>;rt=light-lux' "$(lf "$RD_BODY")"

# 2. Again with lt and d, other links: the same (ep, d) is replaced, a new d is new.
simple "$T/s2.log" --sport "$s1" --ep simple1 --query lt=600 --links '</sensors/hum>;rt="humidity"'
assert_contains "again, with lt=600: 2.04" "response 2.04" "$SIMPLE_OUT"
n=0
while [ $n -lt 30 ]; do
	rdreq GET '/rd-lookup/res?ep=simple1'
	case $RD_BODY in *humidity*) break ;; esac
	sleep 0.1
	n=$((n + 1))
done
assert_eq "the links are replaced" "<coap://127.0.0.1:$s1/sensors/hum>;rt=humidity;anchor=coap://127.0.0.1:$s1" \
	"$(lf "$RD_BODY")"
rdreq GET '/rd-lookup/ep?ep=simple1'
assert_eq "the same registration, lt=600" "<$reg>;ep=simple1;base=coap://127.0.0.1:$s1;lt=600" "$(lf "$RD_BODY")"
simple "$T/s3.log" --sport "$s2" --ep simple1 --query d=lab --links '</x>;rt="x"'
assert_contains "with d=lab: 2.04" "response 2.04" "$SIMPLE_OUT"
wait_found '/rd-lookup/ep?ep=simple1&d=lab' || not_ok "the d=lab registration appears within 3 s"
assert_match "with d=lab: another registration" "^</reg/[^>]*>;ep=simple1;d=lab;base=coap://127\\.0\\.0\\.1:$s2;lt=90000\$" \
	"$(lf "$RD_BODY")"

# 3. A large /.well-known/core, sent block-wise (Block2).
big=
i=0
while [ $i -lt 40 ]; do
	big="$big${big:+,}</sensors/s$i>;rt=\"temperature-c\";if=\"sensor\""
	i=$((i + 1))
done
[ ${#big} -gt 1024 ] || hard_error "the big /.well-known/core should be over 1024 bytes"
simple "$T/s4.log" --sport "$s2" --ep bigsimple --links "$big"
assert_contains "a large /.well-known/core: 2.04" "response 2.04" "$SIMPLE_OUT"
assert_match "rdd fetched it block by block" '^request GET /.well-known/core block2=1/' "$SIMPLE_OUT"
n=0
while [ $n -lt 30 ]; do
	rdreq GET '/rd-lookup/res?ep=bigsimple' --block2 6
	[ "$(lf "$RD_BODY" | grep -c '^<')" -ge 40 ] && break
	sleep 0.1
	n=$((n + 1))
done
assert_eq "all 40 links of the large /.well-known/core are registered" 40 "$(lf "$RD_BODY" | grep -c "^<coap://127.0.0.1:$s2/sensors/s[0-9]*>;rt=temperature-c;if=sensor;anchor=")"

# 4. Refusals: nothing is fetched, nothing registered.
simple "$T/s5.log" --sport "$s2" --ep based --query base=coap://198.51.100.1
assert_match "base on /.well-known/rd: 4.00 with a diagnostic" '^response 4\.00 payload=.' "$SIMPLE_OUT"
assert_not_contains "base on /.well-known/rd: no GET of /.well-known/core" "request GET" "$SIMPLE_OUT"
simple "$T/s6.log" --sport "$s2" --ep ''
assert_match "an empty ep on /.well-known/rd: 4.00 with a diagnostic" '^response 4\.00 payload=.' "$SIMPLE_OUT"
assert_not_contains "an empty ep: no GET of /.well-known/core" "request GET" "$SIMPLE_OUT"
simple "$T/s7.log" --sport "$s2" --ep badlt --query lt=0
assert_match "lt=0 on /.well-known/rd: 4.00" '^response 4\.00 payload=.' "$SIMPLE_OUT"
rdreq GET '/rd-lookup/ep?ep=based'
assert_eq "nothing registered for 'based'" "" "$RD_BODY"
rdreq GET '/rd-lookup/ep?ep=badlt'
assert_eq "nothing registered for 'badlt'" "" "$RD_BODY"

# 5. The registrant's /.well-known/core fails or never answers: 2.04 (the
# links come later), but nothing is registered; rdd goes on serving.
simple "$T/s8.log" --sport "$s2" --ep nocore --answer 4.04
assert_contains "a registrant answering 4.04: the POST still gets 2.04" "response 2.04" "$SIMPLE_OUT"
assert_contains "rdd asked" "request GET /.well-known/core" "$SIMPLE_OUT"
simple "$T/s9.log" --sport "$s1" --ep mute --silent --linger 0.5
assert_contains "a registrant that never answers: 2.04" "response 2.04" "$SIMPLE_OUT"
sleep 0.3
rdreq GET '/rd-lookup/ep?ep=nocore'
assert_eq "nothing registered for a 4.04 /.well-known/core" "2.05 cf=40|" "$RD_HEAD|$RD_BODY"
rdreq GET '/rd-lookup/ep?ep=mute'
assert_eq "nothing registered for a silent registrant" "2.05 cf=40|" "$RD_HEAD|$RD_BODY"
rdreq GET '/rd-lookup/res?ep=simple1&rt=humidity'
assert_eq "rdd still serves" "<coap://127.0.0.1:$s1/sensors/hum>;rt=humidity;anchor=coap://127.0.0.1:$s1" \
	"$(lf "$RD_BODY")"

stop_daemon "$RDD_PID"
finish
