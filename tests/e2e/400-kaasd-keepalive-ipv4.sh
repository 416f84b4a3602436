#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# kaasd over a real IPv4 NAT: the binding of a silent device stays open, nothing reaches it.
. "$(dirname "$0")/natlib.sh"
. "$(dirname "$0")/kaasd_common.sh"
require_e2e
topo_up
start_kaasd
keepalive_scenario 4 198.51.100.1:5883 10.0.1.2 203.0.113.1 10.0.1.2
finish
