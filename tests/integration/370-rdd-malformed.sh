#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# rdd error table: each bad request gets its exact 4.xx/5.03 code and a text/plain diagnostic; none changes the database.
. "$(dirname "$0")/lib.sh"
require_rdd

RDD_PORT=$(free_port)
c1=$(free_port)
conf="$T/rdd.conf"
rdd_conf "$conf" "max-payload 512" "max-links-per-registration 8"
start_rdd "$conf"

# The database the table must leave alone.
rdreq POST '/rd?ep=node1&lt=3600' --sport "$c1" --payload '</sensors/temp>;rt="temperature-c";if="sensor",</sensors/light>;rt="light-lux"'
assert_match "node1 registered" '^2\.01 loc=/reg/' "$RD_HEAD"
reg1=${RD_HEAD#* loc=}
rdreq POST '/rd?ep=node2&d=lab&base=coap://198.51.100.2:61616&et=oic.d.sensor' \
	--payload '</t>;rt="temperature-c",<coap://203.0.113.7:40001/candidates>;rel="candidateof";anchor="coap://10.10.10.1:5683"'
assert_match "node2 registered" '^2\.01 loc=/reg/' "$RD_HEAD"
reg2=${RD_HEAD#* loc=}

# state: everything a client can see of the directory.
state() {
	rdreq GET /rd-lookup/ep
	printf '%s\n' "ep: $RD_HEAD $RD_BODY"
	rdreq GET /rd-lookup/res
	printf '%s\n' "res: $RD_HEAD $RD_BODY"
	for _r in "$reg1" "$reg2"; do
		rdreq GET "$_r"
		printf '%s\n' "$_r: $RD_HEAD $RD_BODY"
	done
}
# db_dump FILE: with sqlite3, every stored column (expiry times included)
# into FILE. rdd holds the database locked, so it is stopped for the dump
# and started again.
dumps=0
db_dump() {
	command -v sqlite3 >/dev/null 2>&1 || return 0
	stop_daemon "$RDD_PID"
	sqlite3 "$T/rdd.db" 'SELECT count(*) FROM reg;
SELECT id, ep, d, base, base_explicit, lt, et, attrs, expires_ms, links FROM reg ORDER BY id;
SELECT count(*) FROM attr;' >"$1" 2>&1
	dumps=$((dumps + 1))
	start_rdd "$conf" "$T/rdd-$dumps.log"
}
before=$(state)
db_dump "$T/db.before"

# bad CODE[+OPTS] DESC REQUEST...: rdreq REQUEST is answered CODE, with
# Content-Format text/plain (cf=0) or none (a diagnostic payload, RFC 7252
# section 5.5.2), the options OPTS if any (e.g. size1=512), and a
# non-empty diagnostic payload.
bad() {
	_want=${1%%+*}
	case $1 in *+*) _extra=" ${1#*+}" ;; *) _extra= ;; esac
	_d=$2
	shift 2
	rdreq "$@"
	case $RD_HEAD in
	"$_want$_extra" | "$_want cf=0$_extra") ok "$_d: ${_want}" ;;
	*) not_ok "$_d: ${_want}" "expected: [$_want cf=0$_extra] (or without cf=0)" "got:      [$RD_HEAD]" ;;
	esac
	if [ -n "$RD_BODY" ]; then ok "$_d: a diagnostic ('$RD_BODY')"
	else not_ok "$_d: a non-empty diagnostic payload" "got an empty payload"; fi
}

L='</a>;rt="x"'
e64=$(printf '%064d' 0 | tr 0 e)
[ ${#e64} -eq 64 ] || hard_error "e64 should be 64 bytes"

# 4.00: endpoint name and sector.
bad 4.00 "POST /rd without ep" POST /rd --payload "$L"
bad 4.00 "ep empty (ep=)" POST '/rd?ep=' --payload "$L"
bad 4.00 "ep bare (ep)" POST '/rd?ep' --payload "$L"
bad 4.00 "ep of 64 bytes" POST /rd --query "ep=$e64" --payload "$L"
bad 4.00 "d of 64 bytes" POST '/rd?ep=x' --query "d=$e64" --payload "$L"
bad 4.00 "ep with a control character (0x01)" POST /rd --opt 15=x:65703d61016263 --payload "$L"
bad 4.00 "ep with a newline" POST /rd --opt 15=x:65703d610a6263 --payload "$L"
bad 4.00 "ep with DEL (0x7f)" POST /rd --opt 15=x:65703d617f6263 --payload "$L"
bad 4.00 "d with a control character (0x1f)" POST '/rd?ep=x' --opt 15=x:643d611f62 --payload "$L"
bad 4.00 "ep not UTF-8 (0xff)" POST /rd --opt 15=x:65703d61ff62 --payload "$L"
bad 4.00 "ep given twice" POST '/rd?ep=a&ep=b' --payload "$L"
bad 4.00 "ep given twice, same value" POST '/rd?ep=node1&ep=node1' --payload "$L"
bad 4.00 "d given twice" POST '/rd?ep=node1&d=lab&d=lab' --payload "$L"
# 4.00: lifetime.
bad 4.00 "lt=0" POST '/rd?ep=x&lt=0' --payload "$L"
bad 4.00 "lt=4294967296" POST '/rd?ep=x&lt=4294967296' --payload "$L"
bad 4.00 "lt=99999999999999999999" POST '/rd?ep=x&lt=99999999999999999999' --payload "$L"
bad 4.00 "lt=abc" POST '/rd?ep=x&lt=abc' --payload "$L"
bad 4.00 "lt=-1" POST '/rd?ep=x&lt=-1' --payload "$L"
bad 4.00 "lt=1.5" POST '/rd?ep=x&lt=1.5' --payload "$L"
bad 4.00 "lt= (empty)" POST '/rd?ep=x&lt=' --payload "$L"
bad 4.00 "lt=0 on an existing registration" POST '/rd?ep=node1&lt=0' --sport "$c1" --payload "$L"
# 4.00: base.
bad 4.00 "base relative (/foo)" POST '/rd?ep=x&base=/foo' --payload "$L"
bad 4.00 "base without scheme (foo)" POST '/rd?ep=x&base=foo' --payload "$L"
bad 4.00 "base with a query" POST '/rd?ep=x' --query 'base=coap://198.51.100.1/?x=1' --payload "$L"
bad 4.00 "base with a fragment" POST '/rd?ep=x&base=coap://198.51.100.1#f' --payload "$L"
bad 4.00 "base with an unknown scheme (http)" POST '/rd?ep=x&base=http://198.51.100.1' --payload "$L"
bad 4.00 "base with an unknown scheme (foo)" POST '/rd?ep=x&base=foo://198.51.100.1' --payload "$L"
bad 4.00 "base empty" POST '/rd?ep=x&base=' --payload "$L"
bad 4.00 "base on an existing registration, relative" POST '/rd?ep=node1&base=x' --sport "$c1" --payload "$L"
# 4.00: malformed link-format.
bad 4.00 "link-format: '<'" POST '/rd?ep=x' --cf 40 --payload '<'
bad 4.00 "link-format: no '<'" POST '/rd?ep=x' --cf 40 --payload 'garbage'
bad 4.00 "link-format: unterminated quoted value" POST '/rd?ep=x' --cf 40 --payload '</a>;rt="x'
bad 4.00 "link-format: empty parameter (;;)" POST '/rd?ep=x' --cf 40 --payload '</a>;;rt="x"'
bad 4.00 "link-format: trailing comma" POST '/rd?ep=x' --cf 40 --payload '</a>,'
bad 4.00 "link-format: junk after a link" POST '/rd?ep=x' --cf 40 --payload '</a>;rt="x",junk'
bad 4.00 "link-format: junk after the target" POST '/rd?ep=x' --cf 40 --payload '</a>junk'
bad 4.00 "link-format: malformed, on an existing registration" POST '/rd?ep=node1' --sport "$c1" --payload '</a'
bad 4.00 "link-format: malformed, without Content-Format" POST '/rd?ep=x' --payload '</a>;rt="x'
# 4.00: targets and anchors not absolute or starting with '/'.
bad 4.00 "target relative (sensors/temp)" POST '/rd?ep=x' --payload '<sensors/temp>;rt="x"'
bad 4.00 "target relative (../x)" POST '/rd?ep=x' --payload '<../x>'
bad 4.00 "target empty (<>)" POST '/rd?ep=x' --payload '<>;rt="x"'
bad 4.00 "target a query only (<?a=b>)" POST '/rd?ep=x' --payload '<?a=b>'
bad 4.00 "target a network-path reference (//host/x)" POST '/rd?ep=x' --payload '<//198.51.100.1/x>'
bad 4.00 "anchor relative (sensors)" POST '/rd?ep=x' --payload '</a>;anchor="sensors"'
bad 4.00 "anchor relative (#frag)" POST '/rd?ep=x' --payload '</a>;anchor="#x"'
bad 4.00 "a relative target after good links" POST '/rd?ep=node1' --sport "$c1" --payload '</ok>,</ok2>,<bad>'
# 4.00: malformed JSON (Content-Format 50).
bad 4.00 "JSON: not JSON" POST '/rd?ep=x' --cf 50 --payload '{'
bad 4.00 "JSON: an object, not an array" POST '/rd?ep=x' --cf 50 --payload '{"href":"/a"}'
bad 4.00 "JSON: href not a string" POST '/rd?ep=x' --cf 50 --payload '[{"href":1}]'
bad 4.00 "JSON: no href" POST '/rd?ep=x' --cf 50 --payload '[{"rt":"x"}]'
bad 4.00 "JSON: an attribute of type number" POST '/rd?ep=x' --cf 50 --payload '[{"href":"/a","ct":40}]'
bad 4.00 "JSON: a relative href" POST '/rd?ep=x' --cf 50 --payload '[{"href":"a"}]'
bad 4.00 "JSON: link-format sent as JSON" POST '/rd?ep=x' --cf 50 --payload "$L"
# 4.00: lookups.
bad 4.00 "res?page=0 without count" GET '/rd-lookup/res?page=0'
bad 4.00 "ep?page=1 without count" GET '/rd-lookup/ep?page=1'
bad 4.00 "res?page=1&count=abc" GET '/rd-lookup/res?page=1&count=abc'
bad 4.00 "res?page=x&count=1" GET '/rd-lookup/res?page=x&count=1'
# 4.00: simple registration and updates.
bad 4.00 "base on /.well-known/rd" POST '/.well-known/rd?ep=x&base=coap://198.51.100.1'
bad 4.00 "/.well-known/rd without ep" POST '/.well-known/rd'
bad 4.00 "a payload on an update" POST "$reg1" --sport "$c1" --payload '</x>;rt="x"'
bad 4.00 "update lt=0" POST "$reg1?lt=0" --sport "$c1"
bad 4.00 "update lt=abc" POST "$reg1?lt=abc" --sport "$c1"
bad 4.00 "update lt=4294967296" POST "$reg1?lt=4294967296" --sport "$c1"
bad 4.00 "update base relative" POST "$reg2?base=/x"
bad 4.00 "update base http://" POST "$reg2?base=http://198.51.100.1"
bad 4.00 "update base with a query" POST "$reg2" --query 'base=coap://198.51.100.1/?q'

# 4.13: over max-payload (512), with Size1 512.
big=
while [ ${#big} -le 600 ]; do big="$big</sensors/temperature/$((${#big} % 1000))>;rt=\"t\","; done
big="$big</end>"
bad "4.13+size1=512" "a 600+ byte payload in one datagram" POST '/rd?ep=x' --payload "$big"
bad "4.13+size1=512" "a 600+ byte payload for an existing registration" POST '/rd?ep=node1' --sport "$c1" --payload "$big"
bad "4.13+size1=512" "block-wise (64-byte blocks) with Size1 over max-payload: on the first block" \
	POST '/rd?ep=x' --payload "$big" --block1 2 --size1 ${#big}
bad "4.13+size1=512" "block-wise (64-byte blocks) without Size1: when the blocks pass max-payload" \
	POST '/rd?ep=x' --payload "$big" --block1 2
nine='</1>,</2>,</3>,</4>,</5>,</6>,</7>,</8>,</9>'
bad 4.13 "9 links with max-links-per-registration 8" POST '/rd?ep=x' --payload "$nine"
rdreq POST '/rd?ep=x' --payload '</1>,</2>,</3>,</4>,</5>,</6>,</7>,</8>' --sport "$c1"
assert_match "(8 links are accepted)" '^2\.01 ' "$RD_HEAD"
rdreq DELETE "${RD_HEAD#* loc=}"
assert_eq "(and removed again)" 2.02 "$RD_CODE"

# 4.15: unknown Content-Format.
bad 4.15 "Content-Format 41 (application/xml)" POST '/rd?ep=x' --cf 41 --payload "$L"
bad 4.15 "Content-Format 0 (text/plain)" POST '/rd?ep=x' --cf 0 --payload "$L"
bad 4.15 "Content-Format 60 (application/cbor)" POST '/rd?ep=x' --cf 60 --payload "$L"
bad 4.15 "Content-Format 9999" POST '/rd?ep=node1' --sport "$c1" --cf 9999 --payload "$L"

# 4.06: Accept other than 40 or 50.
bad 4.06 "res with Accept 0" GET /rd-lookup/res --accept 0
bad 4.06 "ep with Accept 41" GET /rd-lookup/ep --accept 41
bad 4.06 "ep with Accept 60" GET /rd-lookup/ep --accept 60
bad 4.06 "GET $reg1 with Accept 60" GET "$reg1" --accept 60
bad 4.06 "GET $reg1 with Accept 9999" GET "$reg1" --accept 9999

# 4.04: unknown paths and registrations.
bad 4.04 "GET /nope" GET /nope
bad 4.04 "GET /rd-lookup" GET /rd-lookup
bad 4.04 "GET /rd-lookup/foo" GET /rd-lookup/foo
bad 4.04 "GET /reg" GET /reg
bad 4.04 "GET /reg/999999" GET /reg/999999
bad 4.04 "POST /reg/999999 (update)" POST '/reg/999999?lt=100'
bad 4.04 "DELETE /reg/999999" DELETE /reg/999999
bad 4.04 "GET /reg/abc" GET /reg/abc
bad 4.04 "GET /reg/0" GET /reg/0
bad 4.04 "GET /reg/-1" GET /reg/-1
bad 4.04 "DELETE $reg1/x (below a registration)" DELETE "$reg1/x"
bad 4.04 "GET /RD-LOOKUP/RES (paths are case-sensitive)" GET /RD-LOOKUP/RES

# 4.05: wrong method.
bad 4.05 "GET /rd" GET /rd
bad 4.05 "PUT /rd" PUT '/rd?ep=x' --payload "$L"
bad 4.05 "DELETE /rd" DELETE /rd
bad 4.05 "POST /rd-lookup/res" POST /rd-lookup/res --payload "$L"
bad 4.05 "PUT /rd-lookup/ep" PUT /rd-lookup/ep --payload "$L"
bad 4.05 "DELETE /rd-lookup/ep" DELETE /rd-lookup/ep
bad 4.05 "PUT $reg1" PUT "$reg1" --payload "$L"
bad 4.05 "GET /.well-known/rd" GET /.well-known/rd
bad 4.05 "DELETE /.well-known/rd" DELETE /.well-known/rd
bad 4.05 "POST /.well-known/core" POST /.well-known/core --payload "$L"

# Nothing of that changed the directory.
assert_eq "after the table the directory is unchanged" "$before" "$(state)"
if command -v sqlite3 >/dev/null 2>&1; then
	db_dump "$T/db.after"
	assert_eq "sqlite3: before the table, two registrations" 2 "$(head -n 1 "$T/db.before")"
	assert_eq "sqlite3: after the table every stored row is the same" "$(cat "$T/db.before")" "$(cat "$T/db.after")"
else
	echo "# sqlite3 not found: the stored rows are not compared"
fi

# 5.03: max-registrations reached (after a reload to the current count, 2).
rdd_conf "$conf" "max-payload 512" "max-links-per-registration 8" "max-registrations 2"
kill -HUP "$RDD_PID"
expect_log "$RDD_LOG" "rdd[notice]: configuration reloaded"
bad 5.03 "a third registration with max-registrations 2" POST '/rd?ep=node3' --payload "$L"
rdreq POST '/rd?ep=node1&lt=3600' --sport "$c1" --payload '</sensors/temp>;rt="temperature-c";if="sensor",</sensors/light>;rt="light-lux"'
assert_eq "a re-registration is no new registration: 2.01" "2.01 loc=$reg1" "$RD_HEAD"
rdreq GET '/rd-lookup/ep?ep=node3'
assert_eq "node3 is not registered" "" "$RD_BODY"

# Still serving.
rdreq GET /rd-lookup/res?rt=temperature-c
assert_eq "rdd still answers" 2 "$(lf "$RD_BODY" | grep -c '^<')"
stop_daemon "$RDD_PID"
if command -v sqlite3 >/dev/null 2>&1; then
	assert_eq "sqlite3: two registrations stored" 2 "$(sqlite3 "$T/rdd.db" 'SELECT count(*) FROM reg' 2>&1)"
fi
finish
