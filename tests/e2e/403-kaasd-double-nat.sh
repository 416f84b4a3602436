#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# kaasd through two NATs, discovering the path without a TTL hint: the keepalive TTL passes
# both NATs, both bindings stay open, no keepalive reaches the device.
. "$(dirname "$0")/netns.sh"
. "$(dirname "$0")/kaasd.sh"
kaasd_require
netns_topo double
ka_scenario 4 --no-ttl
kaasd_finish
