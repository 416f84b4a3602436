#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# rdd registration interface (RFC 9176 section 5.3): register, read, re-register, update, remove.
. "$(dirname "$0")/lib.sh"
require_rdd

RDD_PORT=$(free_port)
c1=$(free_port)
c2=$(free_port)
c3=$(free_port)
rdd_conf "$T/rdd.conf"
start_rdd "$T/rdd.conf"
rd="coap://127.0.0.1:$RDD_PORT"

# loc: the Location-Path of the last answer ("/reg/7").
loc() {
	_l=${RD_HEAD#* loc=}
	[ "$_l" = "$RD_HEAD" ] && _l=
	printf '%s' "${_l%% *}"
}

# The example of RFC 9176 section 5.3 (figure 10), from port c1, with coap-client.
links='</sensors/temp>;rt="temperature-c";if="sensor",</sensors/light>;rt="light-lux";if="sensor"'
coap_debug -p "$c1" -m post -t 40 -e "$links" "$rd/rd?ep=node1"
assert_match "coap-client: POST /rd?ep=node1 is answered 2.01 with Location-Path reg, <id>" \
	'^v:1 t:(ACK|CON) c:2\.01 .*\[ Location-Path:reg, Location-Path:[^ ,]+ \]' "$COAP_PDUS"
id=$(printf '%s\n' "$COAP_PDUS" | sed -n 's/.*c:2\.01 .*Location-Path:reg, Location-Path:\([^ ,]*\) \].*/\1/p' | head -n 1)
[ -n "$id" ] || { not_ok "a registration id"; finish; }
reg="/reg/$id"

# The same request with rdclient: same (ep, d), same location.
rdreq POST '/rd?ep=node1' --sport "$c1" --cf 40 --payload "$links"
assert_eq "the same registration again: 2.01, the same location" "2.01 loc=$reg" "$RD_HEAD"
assert_eq "the 2.01 has no payload" "" "$RD_BODY"

# GET of the registration resource: the links as registered.
rdreq GET "$reg"
assert_eq "GET $reg: 2.05 link-format" "2.05 cf=40" "$RD_HEAD"
assert_eq "GET $reg: the links as registered" "$(lf "$links")" "$(lf "$RD_BODY")"
rdreq GET "$reg" --accept 50
assert_eq "GET $reg with Accept 50: 2.05 JSON" "2.05 cf=50" "$RD_HEAD"
assert_eq "GET $reg with Accept 50: the same links in JSON" "$(lf "$links")" "$(lf --json "$RD_BODY")"
rdreq GET "$reg" --accept 40
assert_eq "GET $reg with Accept 40" "2.05 cf=40" "$RD_HEAD"

# The endpoint lookup: one link to the registration, base from the source
# address, lt the default (25h = 90000 s).
rdreq GET '/rd-lookup/ep?ep=node1'
assert_eq "endpoint lookup: exactly the contract's form" \
	"<$reg>;ep=\"node1\";base=\"coap://127.0.0.1:$c1\";lt=90000" "$RD_BODY"
assert_eq "endpoint lookup (any quoting): ep, base from the source address, lt 90000" \
	"<$reg>;ep=node1;base=coap://127.0.0.1:$c1;lt=90000" "$(lf "$RD_BODY")"
rdreq GET '/rd-lookup/res?ep=node1'
assert_eq "resource lookup: both links, absolute, anchored at the base" \
	"<coap://127.0.0.1:$c1/sensors/light>;rt=light-lux;if=sensor;anchor=coap://127.0.0.1:$c1
<coap://127.0.0.1:$c1/sensors/temp>;rt=temperature-c;if=sensor;anchor=coap://127.0.0.1:$c1" \
	"$(lf --sort "$RD_BODY")"

# Re-registration from another port with other links: same location, links replaced.
rdreq POST '/rd?ep=node1' --sport "$c2" --cf 40 --payload '</sensors/hum>;rt="humidity"'
assert_eq "re-registration: 2.01, the same location" "2.01 loc=$reg" "$RD_HEAD"
rdreq GET "$reg"
assert_eq "re-registration: GET $reg has only the new links" '</sensors/hum>;rt=humidity' "$(lf "$RD_BODY")"
rdreq GET '/rd-lookup/res?ep=node1'
assert_eq "re-registration: the lookup has only the new links, at the new base" \
	"<coap://127.0.0.1:$c2/sensors/hum>;rt=humidity;anchor=coap://127.0.0.1:$c2" "$(lf "$RD_BODY")"
rdreq GET '/rd-lookup/res?rt=temperature-c'
assert_eq "re-registration: the old links are gone" "" "$RD_BODY"
rdreq GET '/rd-lookup/ep?ep=node1'
assert_eq "re-registration: still one registration, base updated" \
	"<$reg>;ep=node1;base=coap://127.0.0.1:$c2;lt=90000" "$(lf "$RD_BODY")"

# (ep, d) names a registration: another sector is another registration.
rdreq POST '/rd?ep=node1&d=floor1' --sport "$c1" --payload '</sensors/temp>;rt="temperature-c"'
assert_match "ep=node1 with d=floor1: a new registration" '^2\.01 loc=/reg/' "$RD_HEAD"
regd=$(loc)
if [ "$regd" != "$reg" ]; then ok "ep=node1 with d=floor1: another location ($regd)"
else not_ok "ep=node1 with d=floor1: another location" "got the same: $regd"; fi
rdreq GET '/rd-lookup/ep?ep=node1'
assert_eq "two registrations named node1, one with d" \
	"<$reg>;ep=node1;base=coap://127.0.0.1:$c2;lt=90000
<$regd>;ep=node1;d=floor1;base=coap://127.0.0.1:$c1;lt=90000" "$(lf --sort "$RD_BODY")"

# Update (RFC 9176 section 5.3.1): lt.
rdreq POST "$reg?lt=120" --sport "$c2"
assert_eq "update ?lt=120: 2.04" 2.04 "$RD_CODE"
rdreq GET "/rd-lookup/ep?ep=node1"
assert_contains "update ?lt=120: the endpoint lookup shows lt=120" \
	"<$reg>;ep=node1;base=coap://127.0.0.1:$c2;lt=120" "$(lf "$RD_BODY")"
rdreq GET "$reg"
assert_eq "update: the links are kept" '</sensors/hum>;rt=humidity' "$(lf "$RD_BODY")"
# An update without lt keeps the last lt.
rdreq POST "$reg" --sport "$c2"
assert_eq "update without parameters: 2.04" 2.04 "$RD_CODE"
rdreq GET "/rd-lookup/ep?ep=node1"
assert_contains "update without lt: lt stays 120" "<$reg>;ep=node1;base=coap://127.0.0.1:$c2;lt=120" \
	"$(lf "$RD_BODY")"
# An implicit base follows the source address of the update.
rdreq POST "$reg" --sport "$c3"
assert_eq "update from another port: 2.04" 2.04 "$RD_CODE"
rdreq GET '/rd-lookup/res?ep=node1&rt=humidity'
assert_eq "update from another port without base: the implicit base follows it" \
	"<coap://127.0.0.1:$c3/sensors/hum>;rt=humidity;anchor=coap://127.0.0.1:$c3" "$(lf "$RD_BODY")"
# An explicit base.
rdreq POST "$reg?base=coap://198.51.100.5:61616" --sport "$c3"
assert_eq "update ?base=coap://198.51.100.5:61616: 2.04" 2.04 "$RD_CODE"
rdreq GET '/rd-lookup/res?ep=node1&rt=humidity'
assert_eq "update with base: the links resolve against it" \
	"<coap://198.51.100.5:61616/sensors/hum>;rt=humidity;anchor=coap://198.51.100.5:61616" "$(lf "$RD_BODY")"
rdreq POST "$reg" --sport "$c1"
rdreq GET '/rd-lookup/res?ep=node1&rt=humidity'
assert_eq "an explicit base stays when an update comes from elsewhere" \
	"<coap://198.51.100.5:61616/sensors/hum>;rt=humidity;anchor=coap://198.51.100.5:61616" "$(lf "$RD_BODY")"
# Extra registration attributes.
rdreq POST "$reg?lt=300&proxy=on" --sport "$c1"
assert_eq "update ?lt=300&proxy=on: 2.04" 2.04 "$RD_CODE"
rdreq GET '/rd-lookup/ep?ep=node1&proxy=on'
assert_eq "update: the new attribute is in the endpoint lookup (and filters)" \
	"<$reg>;ep=node1;base=coap://198.51.100.5:61616;lt=300;proxy=on" "$(lf "$RD_BODY")"

# Remove (RFC 9176 section 5.3.2), then every operation on it is 4.04.
rdreq DELETE "$reg"
assert_eq "DELETE $reg: 2.02" 2.02 "$RD_CODE"
rdreq GET "$reg"
assert_eq "GET after DELETE: 4.04" 4.04 "$RD_CODE"
assert_match "GET after DELETE: a diagnostic" '.' "$RD_BODY"
rdreq POST "$reg?lt=60"
assert_eq "update after DELETE: 4.04" 4.04 "$RD_CODE"
rdreq DELETE "$reg"
assert_eq "DELETE after DELETE: 4.04" 4.04 "$RD_CODE"
rdreq GET '/rd-lookup/ep?ep=node1'
assert_eq "after DELETE only the d=floor1 registration is left" \
	"<$regd>;ep=node1;d=floor1;base=coap://127.0.0.1:$c1;lt=90000" "$(lf "$RD_BODY")"
rdreq GET '/rd-lookup/res?rt=humidity'
assert_eq "after DELETE its links are gone" "" "$RD_BODY"
# A new registration of the removed name: a new resource, never the removed one.
rdreq POST '/rd?ep=node1' --sport "$c1" --payload "$links"
assert_match "registering node1 again after DELETE: 2.01" '^2\.01 loc=/reg/' "$RD_HEAD"
reg2=$(loc)
if [ "$reg2" != "$regd" ]; then ok "that is not the d=floor1 registration"; else not_ok "that is not the d=floor1 registration"; fi

# JSON (Content-Format 50, links-json shape): the same links as link-format.
rdreq POST '/rd?ep=jnode' --sport "$c2" --cf 50 \
	--payload '[{"href":"/sensors/temp","rt":"temperature-c","if":"sensor"},{"href":"/sensors/light","rt":"light-lux","if":"sensor","obs":true}]'
assert_match "a JSON registration: 2.01" '^2\.01 loc=/reg/' "$RD_HEAD"
jreg=$(loc)
rdreq GET "$jreg"
assert_eq "the JSON registration reads back as link-format" \
	'</sensors/temp>;rt=temperature-c;if=sensor
</sensors/light>;rt=light-lux;if=sensor;obs' "$(lf "$RD_BODY")"
rdreq GET '/rd-lookup/res?ep=jnode&obs'
assert_eq "a bare attribute (obs: true) is registered and found" \
	"<coap://127.0.0.1:$c2/sensors/light>;rt=light-lux;if=sensor;obs;anchor=coap://127.0.0.1:$c2" \
	"$(lf "$RD_BODY")"

# Without Content-Format the payload is link-format.
rdreq POST '/rd?ep=nocf' --sport "$c3" --payload '</a>;rt="x"'
assert_match "no Content-Format: 2.01" '^2\.01 loc=/reg/' "$RD_HEAD"
rdreq GET '/rd-lookup/res?ep=nocf'
assert_eq "no Content-Format: read as link-format" "<coap://127.0.0.1:$c3/a>;rt=x;anchor=coap://127.0.0.1:$c3" \
	"$(lf "$RD_BODY")"

# Registration parameters: lt, et, base, extra attributes.
rdreq POST '/rd?ep=node5&lt=600&et=oic.d.sensor&base=coap://[2001:db8::5]:61616&title=hall' \
	--payload '</t>;rt="temperature-c"'
assert_match "ep, lt, et, base and an extra attribute: 2.01" '^2\.01 loc=/reg/' "$RD_HEAD"
r5=$(loc)
rdreq GET '/rd-lookup/ep?ep=node5'
assert_eq "the endpoint lookup shows them all" \
	"<$r5>;ep=node5;base=coap://[2001:db8::5]:61616;lt=600;et=oic.d.sensor;title=hall" "$(lf "$RD_BODY")"
rdreq GET '/rd-lookup/res?ep=node5'
assert_eq "IPv6 base: the target resolves against it" \
	"<coap://[2001:db8::5]:61616/t>;rt=temperature-c;anchor=coap://[2001:db8::5]:61616" "$(lf "$RD_BODY")"
rdreq POST '/rd?ep=short&lt=1' --payload '</t>'
assert_match "lt=1 (lifetime-min 1s): 2.01" '^2\.01 loc=/reg/' "$RD_HEAD"

# Limits that are allowed: ep and d of 63 bytes, UTF-8, lt=4294967295.
e63=$(printf '%063d' 0 | tr 0 e)
d63=$(printf '%063d' 0 | tr 0 d)
rdreq POST /rd --query "ep=$e63" --query "d=$d63" --payload '</t>'
assert_match "ep and d of 63 bytes: 2.01" '^2\.01 loc=/reg/' "$RD_HEAD"
rdreq GET /rd-lookup/ep --query "ep=$e63"
assert_match "ep and d of 63 bytes: listed" "^</reg/[^>]*>;ep=$e63;d=$d63;" "$(lf "$RD_BODY")"
rdreq POST '/rd?ep=nöde-π' --payload '</t>;title="Küche"'
assert_match "a UTF-8 ep: 2.01" '^2\.01 loc=/reg/' "$RD_HEAD"
rdreq GET '/rd-lookup/res?ep=nöde-π'
assert_match "a UTF-8 ep and value: found" '^<coap://127\.0\.0\.1:[0-9]+/t>;title=Küche;anchor=' "$(lf "$RD_BODY")"
rdreq POST '/rd?ep=forever&lt=4294967295' --payload '</t>'
assert_match "lt=4294967295: 2.01" '^2\.01 loc=/reg/' "$RD_HEAD"
rdreq GET '/rd-lookup/ep?ep=forever'
assert_match "lt=4294967295: kept" ';lt=4294967295$' "$(lf "$RD_BODY")"

# An empty payload is a registration without links.
rdreq POST '/rd?ep=empty' --sport "$c3" --cf 40 --payload ''
assert_match "an empty payload: 2.01" '^2\.01 loc=/reg/' "$RD_HEAD"
er=$(loc)
rdreq GET '/rd-lookup/ep?ep=empty'
assert_eq "an empty registration is listed" "<$er>;ep=empty;base=coap://127.0.0.1:$c3;lt=90000" "$(lf "$RD_BODY")"
rdreq GET "$er"
assert_eq "and has no links" "2.05 cf=40|" "$RD_HEAD|$RD_BODY"

# Every registration has its own location.
rdreq GET /rd-lookup/ep
n=$(lf "$RD_BODY" | grep -c '^<')
u=$(lf "$RD_BODY" | sed 's/>.*//' | sort -u | wc -l)
assert_eq "distinct registrations have distinct locations" "$n" "$u"

stop_daemon "$RDD_PID"
finish
