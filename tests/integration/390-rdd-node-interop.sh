#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Interoperability: node-coap (npm "coap", an independent CoAP stack under node.js) against rdd:
# discovery, registration, both lookups with filters, Observe with notifications, update, DELETE.
#
# The node side is tests/interop/rdd-interop.mjs; the exact coap version is
# pinned by tests/interop/package-lock.json. The test installs it itself
# with npm ci into the build tree (tests/interop/node_modules) and reuses
# that install while the lock file is unchanged, so only the first run needs
# the registry (or npm's cache). Without node, npm, or the package, the test
# is a hard error (99), not a skip: scripts/test.sh installs nodejs and npm.
. "$(dirname "$0")/lib.sh"

RDD=${RDD:-$top_builddir/servers/rdd/rdd}
NODE=${NODE:-node}
NPM=${NPM:-npm}
NPM_TIMEOUT=${NPM_TIMEOUT:-300}

[ -x "$RDD" ] || hard_error "no rdd at $RDD (run from the top build directory after make)"
command -v "$NODE" >/dev/null 2>&1 ||
	hard_error "$NODE not found: install node.js 18 or later (Debian: nodejs; scripts/deps.sh does)"
command -v "$NPM" >/dev/null 2>&1 ||
	hard_error "$NPM not found: install npm (Debian: npm; scripts/deps.sh does)"
"$NODE" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' ||
	hard_error "node.js $("$NODE" --version) is too old: the coap package needs 18 or later"

# ---------------------------------------------------------------- node-coap

# The package files go from the source tree (read-only in distcheck) to
# the build tree; in an in-tree build both are the same directory.
src=$top_srcdir/tests/interop
dir=$top_builddir/tests/interop
mkdir -p "$dir" || hard_error "cannot create $dir"
if [ "$(cd "$src" && pwd -P)" != "$(cd "$dir" && pwd -P)" ]; then
	for f in package.json package-lock.json rdd-interop.mjs; do
		[ -f "$src/$f" ] || hard_error "missing $src/$f"
		cmp -s "$src/$f" "$dir/$f" && continue
		rm -f "$dir/$f"
		cat "$src/$f" >"$dir/$f" || hard_error "cannot copy $src/$f to $dir"
	done
fi

# The version the lock pins, and the one installed (empty when none).
pkg_version() {
	"$NODE" -e 'try { const j = require(process.argv[1]);
		console.log((j.packages ? j.packages["node_modules/coap"] : j).version) } catch (e) {}' "$1"
}
pinned=$(pkg_version "$dir/package-lock.json")
[ -n "$pinned" ] || hard_error "no coap version in $dir/package-lock.json"

stamp=$dir/node_modules/.thinice-package-lock.json
if cmp -s "$dir/package-lock.json" "$stamp" &&
	[ "$(pkg_version "$dir/node_modules/coap/package.json")" = "$pinned" ]; then
	echo "# reusing coap $pinned in $dir/node_modules"
else
	echo "# npm ci: coap $pinned into $dir/node_modules"
	# --prefer-offline: the lock pins versions and hashes, so npm's cache
	# may serve them without asking the registry again.
	timeout -k 10 "$NPM_TIMEOUT" "$NPM" ci --prefix "$dir" --no-audit --no-fund \
		--prefer-offline --ignore-scripts --no-update-notifier >"$T/npm.out" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ] || [ "$(pkg_version "$dir/node_modules/coap/package.json")" != "$pinned" ]; then
		sed 's/^/    | /' "$T/npm.out" >&2
		[ "$rc" -eq 124 ] && rc="timeout after $NPM_TIMEOUT s"
		hard_error "npm ci of coap $pinned failed ($rc): the npm registry or npm's cache is needed on the first run"
	fi
	cat "$dir/package-lock.json" >"$stamp"
fi
echo "# node $("$NODE" --version), coap $pinned"

# ---------------------------------------------------------------- rdd

# start_rdd CONF LOG: lib.sh's when it has one; else start rdd (with
# RDD_FLAGS) in the background and wait for "started" (5 s).
if ! command -v start_rdd >/dev/null 2>&1; then
	start_rdd() {
		RDD_LOG=$2
		: >"$RDD_LOG"
		# shellcheck disable=SC2086
		"$RDD" ${RDD_FLAGS:-} -f "$1" >"$RDD_LOG" 2>&1 </dev/null &
		RDD_PID=$!
		PIDS="$PIDS $RDD_PID"
		_n=0
		while [ "$_n" -lt 50 ]; do
			grep -Eq '^rdd\[notice\]: rdd .* started$' "$RDD_LOG" && return 0
			if ! alive "$RDD_PID"; then
				wait "$RDD_PID"
				_rc=$?
				forget_pid "$RDD_PID"
				not_ok "rdd starts with $1" "it exited with status $_rc; its log:"
				sed 's/^/      | /' "$RDD_LOG"
				finish
			fi
			sleep 0.1
			_n=$((_n + 1))
		done
		not_ok "rdd starts with $1" "no 'started' in its log within 5 s:"
		sed 's/^/      | /' "$RDD_LOG"
		finish
	}
fi

port=$(free_port)
rd6=
if have_ipv6_loopback; then
	rd6="coap://[::1]:$port"
	write_conf "$T/rdd.conf" "listen coap://127.0.0.1:$port" "listen $rd6" \
		"database $T/rdd.db" "lifetime-min 1s"
else
	write_conf "$T/rdd.conf" "listen coap://127.0.0.1:$port" \
		"database $T/rdd.db" "lifetime-min 1s"
fi
# The debug log is shown (its end) only when something failed.
RDD_FLAGS=-d
start_rdd "$T/rdd.conf" "$T/rdd.debug"

# ---------------------------------------------------------------- the run

# shellcheck disable=SC2086
timeout -k 5 150 "$NODE" "$dir/rdd-interop.mjs" "coap://127.0.0.1:$port" $rd6 \
	>"$T/node.out" 2>"$T/node.err"
rc=$?
cat "$T/node.out"
PASSES=$((PASSES + $(grep -c '^ok - ' "$T/node.out")))
FAILS=$((FAILS + $(grep -c '^FAIL - ' "$T/node.out")))
if [ "$rc" -ne 0 ] && ! grep -q '^FAIL - ' "$T/node.out"; then
	not_ok "the node script exits with status 0 (got $rc)" "its stderr:"
	sed 's/^/      | /' "$T/node.err"
elif [ -s "$T/node.err" ]; then
	echo "# node stderr:"
	sed 's/^/# | /' "$T/node.err"
fi

if alive "$RDD_PID"; then
	ok "rdd is still running after the run"
	stop_daemon "$RDD_PID" 0
else
	wait "$RDD_PID"
	_rc=$?
	forget_pid "$RDD_PID"
	not_ok "rdd is still running after the run" "it exited with status $_rc"
fi
assert_log_lacks "$RDD_LOG" "rdd[error]" "rdd logged no error"

if [ "$FAILS" -gt 0 ]; then
	echo "# --- the last 120 lines of rdd's debug log ($RDD_LOG):"
	tail -n 120 "$RDD_LOG" | sed 's/^/# | /'
fi
finish
