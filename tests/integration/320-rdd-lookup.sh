#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# rdd lookup interface (RFC 9176 section 6): endpoint and resource lookups, filters, paging, JSON, URI resolution.
. "$(dirname "$0")/lib.sh"
require_rdd

RDD_PORT=$(free_port)
c1=$(free_port)
c4=$(free_port)
if have_ipv6_loopback; then
	rdd_conf "$T/rdd.conf" "listen coap://[::1]:$RDD_PORT"
else
	rdd_conf "$T/rdd.conf"
fi
start_rdd "$T/rdd.conf"

# Three registrations. node1: base from its source address (port c1), a
# relative anchor. node2: the second example of RFC 9176 section 5.3 with
# a coap base (rdd knows coap schemes only). other3: an explicit base, an
# absolute target with its own anchor, a multi-valued rt.
B1="coap://127.0.0.1:$c1"
B2="coap://[2001:db8:1::1]"
B3="coap://198.51.100.9:61616"
rdreq POST '/rd?ep=node1&d=floor1&et=oic.d.sensor' --sport "$c1" --cf 40 \
	--payload '</sensors/temp>;rt="temperature-c";if="sensor";ct=0,</sensors/light>;rt="light-lux";if="sensor",</t>;anchor="/sensors/temp";rel="alternate"'
assert_match "node1 registered" '^2\.01 loc=/reg/' "$RD_HEAD"
r1=${RD_HEAD#* loc=}
rdreq POST "/rd?ep=node2&d=floor2&base=$B2" --cf 40 \
	--payload '</sensors/temp>;rt="temperature-c";if="sensor",</sensors/light>;rt="light-lux";if="sensor",<http://www.example.com/sensors/t123>;anchor="/sensors/temp";rel="describedby",</t>;anchor="/sensors/temp";rel="alternate"'
assert_match "node2 registered" '^2\.01 loc=/reg/' "$RD_HEAD"
r2=${RD_HEAD#* loc=}
rdreq POST "/rd?ep=other3&base=$B3&lt=600" --cf 40 \
	--payload '</hum>;rt="humidity";if="sensor",<coap://198.51.100.10/abs>;rt="temperature-f";anchor="coap://198.51.100.10",</multi>;rt="sensor-a sensor-b"'
assert_match "other3 registered" '^2\.01 loc=/reg/' "$RD_HEAD"
r3=${RD_HEAD#* loc=}

# The expected answers, normalised: one link per line, attributes sorted.
EP1="<$r1>;base=$B1;d=floor1;ep=node1;et=oic.d.sensor;lt=90000"
EP2="<$r2>;base=$B2;d=floor2;ep=node2;lt=90000"
EP3="<$r3>;base=$B3;ep=other3;lt=600"
N1_TEMP="<$B1/sensors/temp>;anchor=$B1;ct=0;if=sensor;rt=temperature-c"
N1_LIGHT="<$B1/sensors/light>;anchor=$B1;if=sensor;rt=light-lux"
N1_ALT="<$B1/t>;anchor=$B1/sensors/temp;rel=alternate"
N2_TEMP="<$B2/sensors/temp>;anchor=$B2;if=sensor;rt=temperature-c"
N2_LIGHT="<$B2/sensors/light>;anchor=$B2;if=sensor;rt=light-lux"
N2_DESC="<http://www.example.com/sensors/t123>;anchor=$B2/sensors/temp;rel=describedby"
N2_ALT="<$B2/t>;anchor=$B2/sensors/temp;rel=alternate"
N3_HUM="<$B3/hum>;anchor=$B3;if=sensor;rt=humidity"
N3_ABS="<coap://198.51.100.10/abs>;anchor=coap://198.51.100.10;rt=temperature-f"
N3_MULTI="<$B3/multi>;anchor=$B3;rt=sensor-a sensor-b"

# set_of LINES...: the lines sorted, as lf --sort prints them.
set_of() {
	printf '%s\n' "$@" | LC_ALL=C sort
}

# lookup DESC QUERY EXPECTED-LINES...: GET QUERY is a 2.05 link-format
# answer with exactly those links (in any order; none: an empty payload).
lookup() {
	_desc=$1 _q=$2
	shift 2
	rdreq GET "$_q"
	if [ $# -eq 0 ]; then
		assert_eq "$_desc: 2.05, empty payload" "2.05 cf=40|" "$RD_HEAD|$RD_BODY"
		return
	fi
	assert_eq "$_desc: 2.05 link-format" "2.05 cf=40" "$RD_HEAD"
	assert_eq "$_desc" "$(set_of "$@")" "$(LC_ALL=C lf --sort --sort-attrs "$RD_BODY" | LC_ALL=C sort)"
}

# Endpoint lookup.
lookup "ep: every registration" /rd-lookup/ep "$EP1" "$EP2" "$EP3"
rdreq GET /rd-lookup/ep?ep=node1
assert_eq "ep?ep=node1: the contract's order (ep, d, base, lt, et)" \
	"<$r1>;ep=node1;d=floor1;base=$B1;lt=90000;et=oic.d.sensor" "$(lf "$RD_BODY")"
lookup "ep?ep=node1" '/rd-lookup/ep?ep=node1' "$EP1"
lookup "ep?d=floor2" '/rd-lookup/ep?d=floor2' "$EP2"
lookup "ep?et=oic.d.sensor" '/rd-lookup/ep?et=oic.d.sensor' "$EP1"
lookup "ep?ep=node* (prefix)" '/rd-lookup/ep?ep=node*' "$EP1" "$EP2"
lookup "ep?ep=* (any)" '/rd-lookup/ep?ep=*' "$EP1" "$EP2" "$EP3"
lookup "ep?base=$B2" "/rd-lookup/ep?base=$B2" "$EP2"
lookup "ep?base=$B1 (the base from the source address)" "/rd-lookup/ep?base=$B1" "$EP1"
lookup "ep?lt=600" '/rd-lookup/ep?lt=600' "$EP3"
lookup "ep?rt=humidity (a resource attribute: endpoints with such a link)" \
	'/rd-lookup/ep?rt=humidity' "$EP3"
lookup "ep?rt=temperature-c" '/rd-lookup/ep?rt=temperature-c' "$EP1" "$EP2"
lookup "ep?rt=temperature-c&d=floor1 (combined)" '/rd-lookup/ep?rt=temperature-c&d=floor1' "$EP1"
lookup "ep?href=$r2 (the registration resource, RFC 9176 section 6)" "/rd-lookup/ep?href=$r2" "$EP2"
lookup "ep?ep=node1&d=floor2 (nothing matches both)" '/rd-lookup/ep?ep=node1&d=floor2'
lookup "ep?ep=nobody" '/rd-lookup/ep?ep=nobody'

# Resource lookup: every link, absolute, with its anchor.
lookup "res: every link, resolved against its base" /rd-lookup/res \
	"$N1_TEMP" "$N1_LIGHT" "$N1_ALT" "$N2_TEMP" "$N2_LIGHT" "$N2_DESC" "$N2_ALT" \
	"$N3_HUM" "$N3_ABS" "$N3_MULTI"
rdreq GET "/rd-lookup/res?ep=node1&rt=light-lux"
assert_eq "res: the contract's form (target absolute, anchor the base)" \
	"<$B1/sensors/light>;rt=\"light-lux\";if=\"sensor\";anchor=\"$B1\"" "$RD_BODY"
lookup "res?rt=temperature-c" '/rd-lookup/res?rt=temperature-c' "$N1_TEMP" "$N2_TEMP"
lookup "res?rt=temperature* (prefix)" '/rd-lookup/res?rt=temperature*' "$N1_TEMP" "$N2_TEMP" "$N3_ABS"
lookup "res?rt=sensor-b (one value of a list)" '/rd-lookup/res?rt=sensor-b' "$N3_MULTI"
lookup "res?if=sensor" '/rd-lookup/res?if=sensor' "$N1_TEMP" "$N1_LIGHT" "$N2_TEMP" "$N2_LIGHT" "$N3_HUM"
lookup "res?ct=0" '/rd-lookup/res?ct=0' "$N1_TEMP"
lookup "res?ep=node2 (a registration attribute)" '/rd-lookup/res?ep=node2' \
	"$N2_TEMP" "$N2_LIGHT" "$N2_DESC" "$N2_ALT"
lookup "res?d=floor1" '/rd-lookup/res?d=floor1' "$N1_TEMP" "$N1_LIGHT" "$N1_ALT"
lookup "res?et=oic.d.sensor" '/rd-lookup/res?et=oic.d.sensor' "$N1_TEMP" "$N1_LIGHT" "$N1_ALT"
lookup "res?base=$B3" "/rd-lookup/res?base=$B3" "$N3_HUM" "$N3_ABS" "$N3_MULTI"
lookup "res?href=<absolute target>" "/rd-lookup/res?href=$B1/sensors/temp" "$N1_TEMP"
lookup "res?href=<prefix>*" "/rd-lookup/res?href=$B1/sensors/*" "$N1_TEMP" "$N1_LIGHT"
lookup "res?href=<an absolute target as registered>" '/rd-lookup/res?href=coap://198.51.100.10/abs' "$N3_ABS"
lookup "res?href=/sensors/temp (relative: matches no resolved target)" '/rd-lookup/res?href=/sensors/temp'
lookup "res?anchor=<a relative anchor, resolved>" "/rd-lookup/res?anchor=$B2/sensors/temp" "$N2_DESC" "$N2_ALT"
lookup "res?anchor=<the base: links without anchor>" "/rd-lookup/res?anchor=$B1" "$N1_TEMP" "$N1_LIGHT"
lookup "res?anchor=<an absolute anchor>" '/rd-lookup/res?anchor=coap://198.51.100.10' "$N3_ABS"
lookup "res?rel=describedby" '/rd-lookup/res?rel=describedby' "$N2_DESC"
lookup "res?rel=alternate&ep=node2 (combined)" '/rd-lookup/res?rel=alternate&ep=node2' "$N2_ALT"
lookup "res?rt=light-lux&d=floor2 (combined)" '/rd-lookup/res?rt=light-lux&d=floor2' "$N2_LIGHT"
lookup "res?if=sensor&rt=light*&ep=node1 (three filters)" '/rd-lookup/res?if=sensor&rt=light*&ep=node1' "$N1_LIGHT"
lookup "res?ep=node1&rt=humidity (nothing matches both)" '/rd-lookup/res?ep=node1&rt=humidity'
lookup "res?nosuch=1 (an attribute nobody has)" '/rd-lookup/res?nosuch=1'
lookup "res with Accept 40" '/rd-lookup/res?rt=humidity' "$N3_HUM"

# Paging: pages of the full answer, in the same order, cover it exactly.
rdreq GET /rd-lookup/res
all=$(lf "$RD_BODY")
total=$(printf '%s\n' "$all" | grep -c '^<')
assert_eq "res: 10 links in all" 10 "$total"
rdreq GET '/rd-lookup/res?count=3'
assert_eq "res?count=3: the first 3" "$(printf '%s\n' "$all" | sed -n 1,3p)" "$(lf "$RD_BODY")"
pages=
p=0
while [ $p -lt 5 ]; do
	rdreq GET "/rd-lookup/res?page=$p&count=3"
	[ "$RD_CODE" = 2.05 ] || not_ok "res?page=$p&count=3: 2.05" "got: $RD_HEAD $RD_BODY"
	[ -n "$RD_BODY" ] && pages="$pages$(lf "$RD_BODY")
"
	p=$((p + 1))
done
assert_eq "res?page=0..4&count=3: together the whole answer, in order" "$all" "$(printf '%s' "$pages")"
rdreq GET '/rd-lookup/res?page=1&count=3'
assert_eq "res?page=1&count=3: links 4 to 6" "$(printf '%s\n' "$all" | sed -n 4,6p)" "$(lf "$RD_BODY")"
lookup "res?page=4&count=3: past the end" '/rd-lookup/res?page=4&count=3'
rdreq GET '/rd-lookup/res?page=1&count=2&if=sensor'
assert_eq "res?page=1&count=2&if=sensor: paging applies to the filtered answer" 2 \
	"$(lf "$RD_BODY" | grep -c 'if=sensor')"
rdreq GET /rd-lookup/ep
eall=$(lf "$RD_BODY")
rdreq GET '/rd-lookup/ep?page=2&count=1'
assert_eq "ep?page=2&count=1: the third registration" "$(printf '%s\n' "$eall" | sed -n 3p)" "$(lf "$RD_BODY")"
rdreq GET '/rd-lookup/ep?count=2'
assert_eq "ep?count=2: the first two" "$(printf '%s\n' "$eall" | sed -n 1,2p)" "$(lf "$RD_BODY")"
rdreq GET '/rd-lookup/res?page=1'
assert_eq "page without count: 4.00" "4.00 cf=0" "$RD_HEAD"

# JSON (Accept 50): the same links as a JSON array of objects.
rdreq GET '/rd-lookup/res?rt=temperature*' --accept 50
assert_eq "res with Accept 50: 2.05 application/json" "2.05 cf=50" "$RD_HEAD"
json=$RD_BODY
printf '%s' "$json" >"$T/res.json"
check=$("$PYTHON" -c 'import json, sys
v = json.load(open(sys.argv[1]))
assert isinstance(v, list), "not an array"
for o in v:
    assert isinstance(o, dict), "not an object: %r" % (o,)
    assert isinstance(o.get("href"), str), "no href: %r" % (o,)
    for k, x in o.items():
        assert isinstance(x, (str, bool, list)), "%s: %r" % (k, x)
print(len(v))' "$T/res.json" 2>&1)
assert_eq "res with Accept 50: valid JSON, 3 objects with an href each" 3 "$check"
assert_eq "res with Accept 50: the same links as link-format" \
	"$(set_of "$N1_TEMP" "$N2_TEMP" "$N3_ABS")" "$(lf --json --sort --sort-attrs "$json")"
rdreq GET /rd-lookup/ep --accept 50
assert_eq "ep with Accept 50: 2.05 application/json" "2.05 cf=50" "$RD_HEAD"
assert_eq "ep with Accept 50: the same registrations" "$(set_of "$EP1" "$EP2" "$EP3")" \
	"$(lf --json --sort --sort-attrs "$RD_BODY")"
rdreq GET '/rd-lookup/res?ep=nobody' --accept 50
assert_eq "an empty answer in JSON: []" "2.05 cf=50|[]" "$RD_HEAD|$RD_BODY"
rdreq GET '/rd-lookup/ep?ep=node1' --accept 50
printf '%s' "$RD_BODY" >"$T/ep.json"
assert_eq "ep JSON: ep, d, base, lt, et as members" \
	"{\"href\": \"$r1\", \"ep\": \"node1\", \"d\": \"floor1\", \"base\": \"$B1\", \"lt\": \"90000\", \"et\": \"oic.d.sensor\"}" \
	"$("$PYTHON" -c 'import json, sys
v = json.load(open(sys.argv[1]))
o = v[0]
keys = ["href", "ep", "d", "base", "lt", "et"]
print(json.dumps({k: (str(o[k]) if k in o else None) for k in keys}))' "$T/ep.json" 2>&1)"

# IPv6: the base from an IPv6 source address has brackets.
if have_ipv6_loopback; then
	rdreq POST '/rd?ep=v6node' --host ::1 --sport "$c4" --payload '</t>;rt="temperature-c"'
	assert_match "registration over IPv6: 2.01" '^2\.01 loc=/reg/' "$RD_HEAD"
	lookup "IPv6 source address: base coap://[::1]:PORT" '/rd-lookup/res?ep=v6node' \
		"<coap://[::1]:$c4/t>;anchor=coap://[::1]:$c4;rt=temperature-c"
	rdreq GET '/rd-lookup/ep?ep=v6node' --host ::1
	assert_contains "IPv6: the endpoint lookup shows the bracketed base" "base=coap://[::1]:$c4;" "$(lf "$RD_BODY")"
else
	echo "# no ::1 on this host: the IPv6 base is not tried"
fi

# The default port is left out of a base taken from the source address
# (only tried when 5683 is free).
if ! port_in_use 5683; then
	rdreq POST '/rd?ep=defport' --sport 5683 --payload '</t>;rt="temperature-c"'
	assert_match "registration from port 5683: 2.01" '^2\.01 loc=/reg/' "$RD_HEAD"
	lookup "source port 5683: base coap://127.0.0.1 without the port" '/rd-lookup/res?ep=defport' \
		"<coap://127.0.0.1/t>;anchor=coap://127.0.0.1;rt=temperature-c"
else
	echo "# port 5683 is in use: the default port in a base is not tried"
fi

stop_daemon "$RDD_PID"
finish
