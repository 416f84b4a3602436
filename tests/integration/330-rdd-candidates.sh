#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# thin-ICE candidates in rdd: candidate resource links (rel=candidateof) and embedded candidates, found and replaced.
. "$(dirname "$0")/lib.sh"
require_rdd

RDD_PORT=$(free_port)
c1=$(free_port)
c2=$(free_port)
c3=$(free_port)
rdd_conf "$T/rdd.conf"
start_rdd "$T/rdd.conf"

# Device 1 (private address 10.10.10.1, behind a NAT whose mapping is
# 203.0.113.7:40001) registers its candidate next to its ordinary links.
CAND1='<coap://203.0.113.7:40001/candidates>;rel="candidateof";anchor="coap://10.10.10.1:5683"'
CAND1N='<coap://203.0.113.7:40001/candidates>;rel=candidateof;anchor=coap://10.10.10.1:5683'
rdreq POST '/rd?ep=node1' --sport "$c1" --cf 40 \
	--payload "</sensors/temp>;rt=\"temperature-c\";if=\"sensor\",$CAND1,</sensors/light>;rt=\"light-lux\""
assert_match "node1 registers a candidate link with its links: 2.01" '^2\.01 loc=/reg/' "$RD_HEAD"
reg1=${RD_HEAD#* loc=}
# Device 2 has its own.
CAND2N='<coap://198.51.100.20:40002/candidates>;rel=candidateof;anchor=coap://10.20.20.2:5683'
rdreq POST '/rd?ep=node2' --sport "$c2" \
	--payload '</sensors/temp>;rt="temperature-c",<coap://198.51.100.20:40002/candidates>;rel="candidateof";anchor="coap://10.20.20.2:5683"'
assert_match "node2 registers its candidate: 2.01" '^2\.01 loc=/reg/' "$RD_HEAD"

rdreq GET '/rd-lookup/res?rel=candidateof&anchor=coap://10.10.10.1:5683'
assert_eq "?rel=candidateof&anchor=coap://10.10.10.1:5683: 2.05" "2.05 cf=40" "$RD_HEAD"
assert_eq "?rel=candidateof&anchor=coap://10.10.10.1:5683: node1's candidate, as registered" "$CAND1N" "$(lf "$RD_BODY")"
rdreq GET '/rd-lookup/res?ep=node1&rel=candidateof'
assert_eq "?ep=node1&rel=candidateof: the same" "$CAND1N" "$(lf "$RD_BODY")"
rdreq GET '/rd-lookup/res?rel=candidateof'
assert_eq "?rel=candidateof: both devices' candidates" "$(printf '%s\n' "$CAND1N" "$CAND2N" | LC_ALL=C sort)" \
	"$(lf --sort "$RD_BODY" | LC_ALL=C sort)"
rdreq GET '/rd-lookup/res?rel=candidateof&anchor=coap://10.10.10.1*'
assert_eq "?rel=candidateof&anchor=coap://10.10.10.1* (prefix)" "$CAND1N" "$(lf "$RD_BODY")"
rdreq GET '/rd-lookup/res?rel=candidateof&anchor=coap://10.10.10.1:5684'
assert_eq "another anchor (port 5684): nothing" "2.05 cf=40|" "$RD_HEAD|$RD_BODY"
rdreq GET '/rd-lookup/ep?rel=candidateof&anchor=coap://10.20.20.2:5683'
assert_match "the endpoint lookup by candidate anchor finds node2" '^<[^>]*>;ep=node2;' "$(lf "$RD_BODY")"
rdreq GET '/rd-lookup/res?ep=node1&rt=temperature-c'
assert_eq "node1's ordinary links are unaffected" \
	"<coap://127.0.0.1:$c1/sensors/temp>;rt=temperature-c;if=sensor;anchor=coap://127.0.0.1:$c1" "$(lf "$RD_BODY")"

# Several candidates for the same anchor (e.g. a second NAT mapping, an
# IPv6 address): all returned.
rdreq POST '/rd?ep=node1' --sport "$c1" --payload \
	"</sensors/temp>;rt=\"temperature-c\",$CAND1,<coap://[2001:db8::7]:40001/candidates>;rel=\"candidateof\";anchor=\"coap://10.10.10.1:5683\",<coap://198.51.100.7:40003/candidates>;rel=\"candidateof\";anchor=\"coap://10.10.10.1:5683\""
assert_eq "re-registration with three candidates: 2.01, the same location" "2.01 loc=$reg1" "$RD_HEAD"
rdreq GET '/rd-lookup/res?rel=candidateof&anchor=coap://10.10.10.1:5683'
assert_eq "three candidates for one anchor: all returned" "$(printf '%s\n' \
	'<coap://198.51.100.7:40003/candidates>;rel=candidateof;anchor=coap://10.10.10.1:5683' \
	"$CAND1N" \
	'<coap://[2001:db8::7]:40001/candidates>;rel=candidateof;anchor=coap://10.10.10.1:5683' | LC_ALL=C sort)" \
	"$(lf --sort "$RD_BODY" | LC_ALL=C sort)"

# A new mapping: re-registration with the new candidate replaces the old ones.
rdreq POST '/rd?ep=node1' --sport "$c1" --payload \
	'</sensors/temp>;rt="temperature-c",<coap://203.0.113.7:40777/candidates>;rel="candidateof";anchor="coap://10.10.10.1:5683"'
assert_eq "re-registration with a new candidate: 2.01, the same location" "2.01 loc=$reg1" "$RD_HEAD"
rdreq GET '/rd-lookup/res?rel=candidateof&anchor=coap://10.10.10.1:5683'
assert_eq "only the new candidate is returned" \
	'<coap://203.0.113.7:40777/candidates>;rel=candidateof;anchor=coap://10.10.10.1:5683' "$(lf "$RD_BODY")"
rdreq GET '/rd-lookup/res?href=coap://203.0.113.7:40001/candidates'
assert_eq "the old candidate is gone" "2.05 cf=40|" "$RD_HEAD|$RD_BODY"
# An update of the base leaves absolute candidates alone.
rdreq POST "$reg1?base=coap://203.0.113.7:40777" --sport "$c1"
assert_eq "update with the mapping as base: 2.04" 2.04 "$RD_CODE"
rdreq GET '/rd-lookup/res?ep=node1'
assert_eq "the relative link follows the base, the candidate stays" "$(printf '%s\n' \
	'<coap://203.0.113.7:40777/candidates>;rel=candidateof;anchor=coap://10.10.10.1:5683' \
	'<coap://203.0.113.7:40777/sensors/temp>;rt=temperature-c;anchor=coap://203.0.113.7:40777' | LC_ALL=C sort)" \
	"$(lf --sort "$RD_BODY" | LC_ALL=C sort)"

# Embedded candidates: the same resource under several authorities.
rdreq POST '/rd?ep=node3' --sport "$c3" --payload \
	'</sensors/temp>;rt="temperature-c",<coap://203.0.113.9:40009/sensors/temp>;rt="temperature-c",<coap://[2001:db8::9]:40009/sensors/temp>;rt="temperature-c"'
assert_match "node3 registers three embedded candidates: 2.01" '^2\.01 loc=/reg/' "$RD_HEAD"
rdreq GET '/rd-lookup/res?ep=node3&rt=temperature-c'
assert_eq "all three embedded candidates are returned, each with its anchor" "$(printf '%s\n' \
	"<coap://127.0.0.1:$c3/sensors/temp>;rt=temperature-c;anchor=coap://127.0.0.1:$c3" \
	'<coap://203.0.113.9:40009/sensors/temp>;rt=temperature-c;anchor=coap://127.0.0.1:'"$c3" \
	'<coap://[2001:db8::9]:40009/sensors/temp>;rt=temperature-c;anchor=coap://127.0.0.1:'"$c3" | LC_ALL=C sort)" \
	"$(lf --sort "$RD_BODY" | LC_ALL=C sort)"
rdreq GET '/rd-lookup/res?href=coap://203.0.113.9:40009/sensors/temp'
assert_match "a device finds the public candidate by href" '^<coap://203\.0\.113\.9:40009/sensors/temp>;' "$(lf "$RD_BODY")"
rdreq GET '/rd-lookup/res?href=coap://[2001:db8::9]*'
assert_match "and the IPv6 one by prefix" '^<coap://\[2001:db8::9\]:40009/sensors/temp>;' "$(lf "$RD_BODY")"
rdreq POST '/rd?ep=node3' --sport "$c3" --payload \
	'</sensors/temp>;rt="temperature-c",<coap://203.0.113.9:40010/sensors/temp>;rt="temperature-c"'
rdreq GET '/rd-lookup/res?ep=node3&rt=temperature-c'
assert_eq "re-registration: the new set of embedded candidates only" "$(printf '%s\n' \
	"<coap://127.0.0.1:$c3/sensors/temp>;rt=temperature-c;anchor=coap://127.0.0.1:$c3" \
	'<coap://203.0.113.9:40010/sensors/temp>;rt=temperature-c;anchor=coap://127.0.0.1:'"$c3" | LC_ALL=C sort)" \
	"$(lf --sort "$RD_BODY" | LC_ALL=C sort)"

# An IPv6 private anchor (brackets in the query).
rdreq POST '/rd?ep=node4' --payload \
	'<coap://[2001:db8:4::4]:40004/candidates>;rel="candidateof";anchor="coap://[fd00::4]:5683"'
rdreq GET '/rd-lookup/res?rel=candidateof&anchor=coap://[fd00::4]:5683'
assert_eq "an IPv6 anchor: found" \
	'<coap://[2001:db8:4::4]:40004/candidates>;rel=candidateof;anchor=coap://[fd00::4]:5683' "$(lf "$RD_BODY")"

# Removal: the candidates go with the registration.
rdreq DELETE "$reg1"
assert_eq "DELETE node1: 2.02" 2.02 "$RD_CODE"
rdreq GET '/rd-lookup/res?rel=candidateof&anchor=coap://10.10.10.1:5683'
assert_eq "after DELETE node1 has no candidate" "2.05 cf=40|" "$RD_HEAD|$RD_BODY"
rdreq GET '/rd-lookup/res?rel=candidateof&anchor=coap://10.20.20.2:5683'
assert_eq "node2's candidate is still there" "$CAND2N" "$(lf "$RD_BODY")"

stop_daemon "$RDD_PID"
finish
