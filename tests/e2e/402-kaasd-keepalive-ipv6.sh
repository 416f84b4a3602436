#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# kaasd over a real IPv6 NAT (NAT66 MASQUERADE): as the IPv4 test, with hop limits.
. "$(dirname "$0")/natlib.sh"
. "$(dirname "$0")/kaasd_common.sh"
require_e2e
topo_up
start_kaasd
keepalive_scenario 6 '[2001:db8:1::1]:5883' fd00:2::2 2001:db8:2::1 fd00:2::2
finish
