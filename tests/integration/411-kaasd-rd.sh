#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# kaasd with rdd: kaasd registers its links (rt="kaas"), follows each subscriber's RD
# registration, and ends the subscription when the registration is removed.
. "$(dirname "$0")/lib.sh"
require_rdd
RDD_PORT=$(free_port)
KAASD_PORT=$(free_port)
DEV_PORT=$(free_port)
rdd_conf "$T/rdd.conf"
start_rdd "$T/rdd.conf"
write_conf "$T/kaasd.conf" "listen coap://127.0.0.1:$KAASD_PORT" "database $T/kaasd.db" \
	"allow-loopback yes" "keepalive-ttl 1" "rd coap://127.0.0.1:$RDD_PORT" \
	"rd-endpoint kaas-test"
start_kaasd "$T/kaasd.conf"

# kaasd's own registration.
_n=0
while [ $_n -lt 50 ]; do
	rdreq GET "rd-lookup/res?rt=kaas"
	[ -n "$RD_BODY" ] && break
	sleep 0.1
	_n=$((_n + 1))
done
assert_contains "kaasd's /kaas link is in the RD" "coap://127.0.0.1:$KAASD_PORT/kaas>" "$RD_BODY"
rdreq GET "rd-lookup/ep?ep=kaas-test"
assert_contains "registered as rd-endpoint" 'ep="kaas-test"' "$RD_BODY"
rdreq GET "rd-lookup/res?rt=kaas-relay"
assert_contains "and its /relay link" "coap://127.0.0.1:$KAASD_PORT/relay>" "$RD_BODY"

# A device registers with the RD and subscribes to kaasd.
rdreq POST "rd?ep=node7&lt=600" --cf 40 --payload '</hello>;rt="x"' --sport "$DEV_PORT"
assert_eq "the device registers with the RD" 2.01 "$RD_CODE"
loc=${RD_HEAD#*loc=}
kreq POST "kaas?ep=node7&lt=600" --sport "$DEV_PORT"
assert_eq "the device subscribes" "2.01 loc=/kaas/1" "$RD_HEAD"
sleep 1 # kaasd's Observe of the lookup is answered
kreq GET kaas/1
assert_eq "subscribed" 2.05 "$RD_CODE"
# A subscriber that never registered is left alone.
kreq POST "kaas?ep=other&lt=600" --sport "$DEV_PORT"
assert_eq "a subscriber without a registration" "2.01 loc=/kaas/2" "$RD_HEAD"

rdreq DELETE "${loc#/}"
assert_eq "the device's registration is removed" 2.02 "$RD_CODE"
expect_log "$KAASD_LOG" "node7: subscription 1 ended (its RD registration is gone)" 50
kreq GET kaas/1
assert_eq "its subscription is gone" 4.04 "$RD_CODE"
kreq GET kaas/2
assert_eq "the other one stays" 2.05 "$RD_CODE"

# A graceful stop takes kaasd's links out of the RD.
stop_daemon "$KAASD_PID"
rdreq GET "rd-lookup/res?rt=kaas"
assert_eq "after SIGTERM kaasd's links are gone from the RD" "" "$RD_BODY"
finish
