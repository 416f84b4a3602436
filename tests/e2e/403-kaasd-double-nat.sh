#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# kaasd through two NATs: the keepalive TTL passes both, both bindings stay.
. "$(dirname "$0")/natlib.sh"
. "$(dirname "$0")/kaasd_common.sh"
require_e2e
topo_up nat
start_kaasd
# The outer NAT sees the inner NAT's address (10.0.0.2) as the source.
keepalive_scenario 4 198.51.100.1:5883 10.0.1.2 203.0.113.1 10.0.0.2 10.0.1.2
finish
