#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Install the Debian packages thinice needs, when they are missing (sourced by run.sh and test.sh).

# Build and run: the toolchain, libcoap (GnuTLS flavour) and the libraries.
THINICE_BUILD_DEPS="gcc make autoconf automake libtool autoconf-archive pkg-config \
libcoap3-dev libcoap3-bin libgnutls28-dev libsqlite3-dev libjansson-dev"
# Tests: Check, man page lint, python3 for raw CoAP frames, iproute2 for ss/ip netns,
# clang for the fuzzers, coturn as the STUN benchmark anchor, sqlite3 to read
# rdd's database in the durability tests.
THINICE_TEST_DEPS="check mandoc python3 iproute2 iptables conntrack tcpdump \
clang libclang-rt-14-dev coturn sqlite3"
# Tests: node.js and npm for the node-coap interoperability test (390); Debian's
# nodejs and npm only when there is no node or npm at all, so that a node
# installed otherwise (NodeSource's, which brings its own npm) stays.
command -v node >/dev/null 2>&1 || THINICE_TEST_DEPS="$THINICE_TEST_DEPS nodejs"
command -v npm >/dev/null 2>&1 || THINICE_TEST_DEPS="$THINICE_TEST_DEPS npm"

thinice_install_deps() {
	missing=""
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "installing:$missing"
	if [ "$(id -u)" != 0 ]; then
		echo "error: missing Debian packages:$missing (run as root, or install them)" >&2
		return 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || return 1
	# coturn's package must not start a system service here.
	apt-get install -y -qq --no-install-recommends $missing >/dev/null || return 1
}
