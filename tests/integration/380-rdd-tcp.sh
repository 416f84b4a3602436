#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# rdd over coap+tcp:// (RFC 8323): registration, lookup, update, removal, errors and Observe; the base scheme is coap+tcp.
. "$(dirname "$0")/lib.sh"
require_rdd

RDD_PORT=$(free_port)
c1=$(free_port)
c2=$(free_port)
c3=$(free_port)
if have_ipv6_loopback; then
	rdd_conf "$T/rdd.conf" "listen coap+tcp://127.0.0.1:$RDD_PORT" "listen coap+tcp://[::1]:$RDD_PORT"
else
	rdd_conf "$T/rdd.conf" "listen coap+tcp://127.0.0.1:$RDD_PORT"
fi
start_rdd "$T/rdd.conf"
assert_log_contains "$RDD_LOG" "rdd[info]: listening on 'coap+tcp://127.0.0.1:$RDD_PORT'"
assert_match "rdd holds its TCP socket" "127\\.0\\.0\\.1:$RDD_PORT " "$(ss -Hltn "( sport = :$RDD_PORT )" 2>/dev/null)"
tcp="coap+tcp://127.0.0.1:$RDD_PORT"

# coap-client over TCP, from port c1.
coap_debug -p "$c1" -m post -t 40 -e '</sensors/temp>;rt="temperature-c";if="sensor"' "$tcp/rd?ep=tcpnode"
assert_match "coap-client over TCP: POST /rd?ep=tcpnode is 2.01 with Location-Path reg, <id>" \
	'^v:1 t:CON c:2\.01 .*Location-Path:reg, Location-Path:[^ ,]+' "$COAP_PDUS"
id=$(printf '%s\n' "$COAP_PDUS" | sed -n 's/.*c:2\.01 .*Location-Path:reg, Location-Path:\([^ ,\]]*\).*/\1/p' | head -n 1)
reg="/reg/$id"
coap_get "$tcp/rd-lookup/res?ep=tcpnode"
assert_eq "coap-client over TCP: the link, based on coap+tcp://127.0.0.1:$c1" \
	"<coap+tcp://127.0.0.1:$c1/sensors/temp>;rt=temperature-c;if=sensor;anchor=coap+tcp://127.0.0.1:$c1" \
	"$(lf "$COAP_OUT")"
coap_get "$tcp/rd-lookup/ep?ep=tcpnode"
assert_eq "coap-client over TCP: the endpoint, base coap+tcp://" \
	"<$reg>;ep=tcpnode;base=coap+tcp://127.0.0.1:$c1;lt=90000" "$(lf "$COAP_OUT")"
rdreq GET '/rd-lookup/res?ep=tcpnode'
assert_eq "over UDP: the same link, still coap+tcp" \
	"<coap+tcp://127.0.0.1:$c1/sensors/temp>;rt=temperature-c;if=sensor;anchor=coap+tcp://127.0.0.1:$c1" \
	"$(lf "$RD_BODY")"

# rdclient over TCP: register, read, update, remove.
rdreq POST '/rd?ep=tcp2&lt=300' --tcp --sport "$c2" --cf 40 \
	--payload '</a>;rt="x",<coap+tcp://203.0.113.7:40001/candidates>;rel="candidateof";anchor="coap+tcp://10.10.10.1:5683"'
assert_match "POST /rd over TCP: 2.01" '^2\.01 loc=/reg/' "$RD_HEAD"
reg2=${RD_HEAD#* loc=}
rdreq GET "$reg2" --tcp
assert_eq "GET $reg2 over TCP" '2.05 cf=40|</a>;rt=x
<coap+tcp://203.0.113.7:40001/candidates>;rel=candidateof;anchor=coap+tcp://10.10.10.1:5683' \
	"$RD_HEAD|$(lf "$RD_BODY")"
rdreq GET '/rd-lookup/res?rel=candidateof&anchor=coap+tcp://10.10.10.1:5683' --tcp
assert_eq "a coap+tcp candidate, found over TCP" \
	'<coap+tcp://203.0.113.7:40001/candidates>;rel=candidateof;anchor=coap+tcp://10.10.10.1:5683' "$(lf "$RD_BODY")"
rdreq GET '/rd-lookup/res?ep=tcp2&rt=x' --tcp --accept 50
assert_eq "JSON over TCP" "2.05 cf=50|<coap+tcp://127.0.0.1:$c2/a>;rt=x;anchor=coap+tcp://127.0.0.1:$c2" \
	"$RD_HEAD|$(lf --json "$RD_BODY")"
rdreq POST "$reg2?lt=600" --tcp --sport "$c2"
assert_eq "update over TCP: 2.04" 2.04 "$RD_CODE"
rdreq GET '/rd-lookup/ep?ep=tcp2' --tcp
assert_eq "the update applied" "<$reg2>;ep=tcp2;base=coap+tcp://127.0.0.1:$c2;lt=600" "$(lf "$RD_BODY")"
rdreq POST "$reg2" --tcp --sport "$c3"
rdreq GET '/rd-lookup/ep?ep=tcp2' --tcp
assert_eq "an update from another connection: the implicit base follows it" \
	"<$reg2>;ep=tcp2;base=coap+tcp://127.0.0.1:$c3;lt=600" "$(lf "$RD_BODY")"
rdreq POST "$reg2" --sport "$c3"
rdreq GET '/rd-lookup/ep?ep=tcp2' --tcp
assert_eq "an update over UDP: the base becomes coap://" \
	"<$reg2>;ep=tcp2;base=coap://127.0.0.1:$c3;lt=600" "$(lf "$RD_BODY")"
rdreq DELETE "$reg2" --tcp
assert_eq "DELETE over TCP: 2.02" 2.02 "$RD_CODE"
rdreq GET "$reg2" --tcp
assert_eq "GET after DELETE over TCP: 4.04" 4.04 "$RD_CODE"

# A large registration in one TCP message (no 1024-byte datagram limit).
big=
i=0
while [ $i -lt 40 ]; do
	big="$big${big:+,}</sensors/s$i>;rt=\"temperature-c\";if=\"sensor\""
	i=$((i + 1))
done
rdreq POST '/rd?ep=tcpbig' --tcp --sport "$c2" --payload "$big"
assert_match "a ${#big}-byte registration in one TCP message: 2.01" '^2\.01 loc=/reg/' "$RD_HEAD"
rdreq GET '/rd-lookup/res?ep=tcpbig' --tcp
assert_eq "its lookup over TCP: all 40 links" 40 "$(lf "$RD_BODY" | grep -c "^<coap+tcp://127.0.0.1:$c2/sensors/s")"

# Errors over TCP: the same codes and diagnostics.
rdreq POST /rd --tcp --payload '</a>'
assert_match "TCP: no ep: 4.00 with a diagnostic" '^4\.00( cf=0)?\|.' "$RD_HEAD|$RD_BODY"
rdreq GET /rd-lookup/res --tcp --accept 0
assert_match "TCP: Accept 0: 4.06 with a diagnostic" '^4\.06( cf=0)?\|.' "$RD_HEAD|$RD_BODY"
rdreq POST '/rd?ep=x' --tcp --cf 41 --payload '</a>'
assert_match "TCP: Content-Format 41: 4.15 with a diagnostic" '^4\.15( cf=0)?\|.' "$RD_HEAD|$RD_BODY"
coap_get "$tcp/reg/999999"
assert_match "coap-client over TCP: unknown registration: 4.04" '^4\.04 ' "$COAP_ERR"

# Observe over TCP: a registration over UDP is notified on the TCP connection.
O="$T/obs.log"
observe_bg "$O" '/rd-lookup/res?ep=tcpobs' --tcp
assert_match "Observe over TCP: the first answer, with Observe" '^0 TCP 2\.05 obs=[0-9]+ cf=40 payload=$' \
	"$(sed -n 1p "$O")"
rdreq POST '/rd?ep=tcpobs' --sport "$c3" --payload '</o>;rt="o"'
if obs_wait "$O" 2 50; then
	assert_match "the notification arrives over TCP" '^1 TCP 2\.05 obs=[0-9]+ cf=40 payload=' "$(sed -n 2p "$O")"
	assert_eq "with the new result" "<coap://127.0.0.1:$c3/o>;rt=o;anchor=coap://127.0.0.1:$c3" \
		"$(lf "$(sed -n '2s/^[^ ]* [^ ]* [^ ]* [^ ]* [^ ]* payload=//p' "$O")")"
else
	not_ok "a notification over TCP within 5 s" "the observer's log:"
	sed 's/^/      | /' "$O"
fi

# Simple registration over TCP: rdd asks for /.well-known/core on the same connection.
rdclient simple --port "$RDD_PORT" --tcp --sport "$c1" --wait 5 --ep tcpsimple \
	--links '</sensors/temp>;rt="temperature-c"'
out=$(rd_out)
assert_contains "simple registration over TCP: 2.04" "response 2.04" "$out"
assert_contains "rdd sends GET /.well-known/core over the connection" \
	"request GET /.well-known/core from the connection" "$out"
n=0
while [ $n -lt 30 ]; do
	rdreq GET '/rd-lookup/res?ep=tcpsimple'
	[ -n "$RD_BODY" ] && break
	sleep 0.1
	n=$((n + 1))
done
assert_eq "the links, at coap+tcp://127.0.0.1:$c1" \
	"<coap+tcp://127.0.0.1:$c1/sensors/temp>;rt=temperature-c;anchor=coap+tcp://127.0.0.1:$c1" "$(lf "$RD_BODY")"

# IPv6 over TCP.
if have_ipv6_loopback; then
	rdreq POST '/rd?ep=tcp6' --tcp --host ::1 --sport "$c1" --payload '</v6>'
	assert_match "POST over TCP/IPv6: 2.01" '^2\.01 loc=/reg/' "$RD_HEAD"
	rdreq GET '/rd-lookup/res?ep=tcp6'
	assert_eq "base coap+tcp://[::1]:PORT" "<coap+tcp://[::1]:$c1/v6>;anchor=coap+tcp://[::1]:$c1" "$(lf "$RD_BODY")"
else
	echo "# no ::1 on this host: TCP over IPv6 is not tried"
fi

stop_daemon "$RDD_PID"
finish
