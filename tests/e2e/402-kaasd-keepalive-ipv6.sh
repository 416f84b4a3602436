#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# kaasd over a real IPv6 NAT (NAT66 MASQUERADE): the IPv4 test with hop limits.
. "$(dirname "$0")/netns.sh"
. "$(dirname "$0")/kaasd.sh"
kaasd_require
netns_topo
ka_scenario 6
kaasd_finish
