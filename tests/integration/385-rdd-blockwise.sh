#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# rdd block-wise transfers (RFC 7959): a registration over 1024 bytes in Block1, large answers in Block2, 4.13 with Size1 over max-payload, max-lookup-results.
. "$(dirname "$0")/lib.sh"
require_rdd

RDD_PORT=$(free_port)
c1=$(free_port)
conf="$T/rdd.conf"
rdd_conf "$conf" "max-payload 2048"
start_rdd "$conf"
rd="coap://127.0.0.1:$RDD_PORT"

# 30 links of about 50 bytes: about 1600 bytes of link-format.
: >"$T/big.lf"
want=
i=0
while [ $i -lt 30 ]; do
	[ $i -gt 0 ] && printf ',' >>"$T/big.lf"
	printf '</sensors/temperature/%02d>;rt="temperature-c";if="sensor"' $i >>"$T/big.lf"
	want="$want$(printf '</sensors/temperature/%02d>;rt=temperature-c;if=sensor' $i)
"
	i=$((i + 1))
done
want=${want%?}
size=$(wc -c <"$T/big.lf")
if [ "$size" -le 1024 ] || [ "$size" -ge 2048 ]; then
	hard_error "the registration should be 1025..2047 bytes, not $size"
fi

# 1. coap-client sends it in 64-byte Block1 blocks: 2.31 Continue for each
# but the last, then 2.01 with the location.
coap_debug -p "$c1" -b 64 -m post -t 40 -f "$T/big.lf" "$rd/rd?ep=big"
nblocks=$(( (size + 63) / 64 ))
assert_eq "Block1: $((nblocks - 1)) blocks answered 2.31 Continue" "$((nblocks - 1))" \
	"$(printf '%s\n' "$COAP_PDUS" | grep -c ' c:2\.31 ')"
assert_match "Block1: the last block answered 2.01 with Location-Path" \
	'^v:1 t:(ACK|CON) c:2\.01 .*Location-Path:reg, Location-Path:[^ ,]+' "$COAP_PDUS"
id=$(printf '%s\n' "$COAP_PDUS" | sed -n 's/.*c:2\.01 .*Location-Path:reg, Location-Path:\([^ ,\]]*\).*/\1/p' | head -n 1)
reg="/reg/$id"
rdreq GET "$reg"
assert_eq "GET $reg: all 30 links, as registered (the answer is over 1024 bytes: Block2)" "$want" "$(lf "$RD_BODY")"
assert_match "GET $reg came in more than one block" '^2\.05 cf=40 blocks=[2-9]' "$RD_HEAD"
coap_get "$rd$reg"
assert_eq "coap-client GET $reg reassembles the same" "$want" "$(lf "$COAP_OUT")"

# 2. The lookups: large answers in Block2, whatever block size the client asks.
res_want=$(printf '%s\n' "$want" | sed "s|^</\\([^>]*\\)>\\(.*\\)\$|<coap://127.0.0.1:$c1/\\1>\\2;anchor=coap://127.0.0.1:$c1|")
rdreq GET '/rd-lookup/res?ep=big'
assert_eq "res?ep=big: all 30 links" "$res_want" "$(lf "$RD_BODY")"
assert_match "res?ep=big: over 1024 bytes, so more than one block" '^2\.05 cf=40 blocks=[2-9]' "$RD_HEAD"
rdreq GET '/rd-lookup/res?ep=big' --block2 2
assert_eq "res?ep=big in 64-byte blocks (Block2 SZX 2): the same" "$res_want" "$(lf "$RD_BODY")"
blocks=${RD_HEAD#*blocks=}
if [ "$blocks" -ge 30 ] 2>/dev/null; then ok "res?ep=big in 64-byte blocks: $blocks blocks"
else not_ok "res?ep=big in 64-byte blocks: 30 or more blocks" "got: $RD_HEAD"; fi
rdreq GET '/rd-lookup/res?ep=big' --block2 0
assert_eq "res?ep=big in 16-byte blocks (SZX 0): the same" "$res_want" "$(lf "$RD_BODY")"
coap_get -b 64 "$rd/rd-lookup/res?ep=big"
assert_eq "coap-client -b 64: the same" "$res_want" "$(lf "$COAP_OUT")"
rdreq GET '/rd-lookup/res?ep=big' --accept 50 --block2 3
assert_eq "res?ep=big in JSON, 128-byte blocks: the same links" "$res_want" "$(lf --json "$RD_BODY")"
coap_debug -b 64 "$rd/rd-lookup/res?ep=big"
assert_match "Block2 answers carry Size2 on the first block" '^v:1 t:ACK c:2\.05 .*Block2:0/M/64.*Size2:' "$COAP_PDUS"

# 3. Over max-payload (2048): 4.13 with Size1 2048, nothing registered.
cp "$T/big.lf" "$T/huge.lf"
printf ',' >>"$T/huge.lf"
cat "$T/big.lf" >>"$T/huge.lf"
hsize=$(wc -c <"$T/huge.lf")
# (One datagram over libcoap's 1472-byte receive buffer cannot be answered
# at all; 370-rdd-malformed.sh checks a single datagram over max-payload.)
rdreq POST '/rd?ep=huge' --payload-file "$T/huge.lf" --wait 1
case $RD_HEAD in
none | "4.13 size1=2048" | "4.13 cf=0 size1=2048") ok "a $hsize-byte datagram: no answer, or 4.13 ($RD_HEAD)" ;;
*) not_ok "a $hsize-byte datagram: no answer, or 4.13 with Size1 2048" "got: $RD_HEAD $RD_BODY" ;;
esac
rdreq POST '/rd?ep=huge' --payload-file "$T/huge.lf" --block1 2 --size1 "$hsize"
assert_match "in 64-byte blocks with Size1 $hsize: 4.13 with Size1 2048" '^4\.13( cf=0)? size1=2048\|.' "$RD_HEAD|$RD_BODY"
rdreq POST '/rd?ep=huge' --payload-file "$T/huge.lf" --block1 6
assert_match "in 1024-byte blocks without Size1: 4.13 with Size1 2048" '^4\.13( cf=0)? size1=2048\|.' "$RD_HEAD|$RD_BODY"
coap_get -b 64 -m post -t 40 -f "$T/huge.lf" "$rd/rd?ep=huge"
assert_match "coap-client -b 64: 4.13" '^4\.13 ' "$COAP_ERR"
rdreq POST '/rd?ep=big' --sport "$c1" --payload-file "$T/huge.lf" --block1 4
assert_match "re-registering 'big' over max-payload: 4.13" '^4\.13( cf=0)? size1=2048' "$RD_HEAD"
rdreq GET '/rd-lookup/ep?ep=huge'
assert_eq "nothing registered for 'huge'" "2.05 cf=40|" "$RD_HEAD|$RD_BODY"
rdreq GET "$reg"
assert_eq "'big' is unchanged" "$want" "$(lf "$RD_BODY")"
# After a refused transfer the next one works.
rdreq POST '/rd?ep=big2' --payload-file "$T/big.lf" --block1 2
assert_match "then a ${size}-byte registration in 64-byte blocks: 2.01" '^2\.01 loc=/reg/' "$RD_HEAD"

# 3b. A notification over the block size: its first block, the rest by GET
# (RFC 7959 section 2.6); rdclient.py observe completes it.
O="$T/obs.log"
observe_bg "$O" '/rd-lookup/res?ep=bignote'
rdreq POST '/rd?ep=bignote' --sport "$c1" --payload-file "$T/big.lf" --block1 6
assert_match "bignote registered in 1024-byte blocks: 2.01" '^2\.01 loc=/reg/' "$RD_HEAD"
if obs_wait "$O" 2 50; then
	note=$(sed -n '2p' "$O")
	assert_match "the large notification came in blocks" '^1 (NON|CON) 2\.05 obs=[0-9]+ cf=40 blocks=[2-9][0-9]* payload=' "$note"
	assert_eq "the large notification, completed: all 30 links" "$res_want" "$(lf "${note#* payload=}")"
else
	not_ok "a notification for bignote within 5 s" "the observer's log:"
	sed 's/^/      | /' "$O"
fi

# 4. max-lookup-results 10 (after a reload): a lookup returns at most 10
# results, and a larger count is lowered to it.
rdreq GET '/rd-lookup/res?ep=big'
all=$(lf "$RD_BODY")
rdd_conf "$conf" "max-payload 2048" "max-lookup-results 10"
kill -HUP "$RDD_PID"
expect_log "$RDD_LOG" "rdd[notice]: configuration reloaded"
rdreq GET '/rd-lookup/res?ep=big'
assert_eq "max-lookup-results 10: the first 10 links" "$(printf '%s\n' "$all" | sed -n 1,10p)" "$(lf "$RD_BODY")"
rdreq GET '/rd-lookup/res?ep=big&count=20'
assert_eq "max-lookup-results 10, count=20: 10 links" 10 "$(lf "$RD_BODY" | grep -c '^<')"
rdreq GET '/rd-lookup/res?ep=big&page=1&count=5'
assert_eq "max-lookup-results 10, page=1&count=5: links 6 to 10" "$(printf '%s\n' "$all" | sed -n 6,10p)" \
	"$(lf "$RD_BODY")"
rdreq GET '/rd-lookup/res?ep=big&page=5&count=5'
assert_eq "max-lookup-results 10, page=5&count=5: links 26 to 30" "$(printf '%s\n' "$all" | sed -n 26,30p)" \
	"$(lf "$RD_BODY")"

stop_daemon "$RDD_PID"
finish
