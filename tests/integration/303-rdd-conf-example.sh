#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The shipped conf/rdd.conf is valid and lists every directive of the schema, commented, at its default.
. "$(dirname "$0")/lib.sh"
require_rdd

conf="$top_srcdir/conf/rdd.conf"
if [ ! -f "$conf" ]; then
	not_ok "conf/rdd.conf exists" "no file $conf"
	finish
fi
ok "conf/rdd.conf exists"

out=$("$RDD" -n -f "$conf" 2>&1); rc=$?
assert_eq "rdd -n accepts conf/rdd.conf" "0 configuration OK" "$rc $out"

# The default database follows --localstatedir at build time; the file
# shows the one of a --localstatedir=/var build (what rdd.service expects).
# Compare database lines by their directive only.
nodb() {
	sed 's|^\(#\{0,1\}\)database /.*/lib/thinice/rdd\.db$|\1database <localstatedir>/lib/thinice/rdd.db|'
}
assert_match "conf/rdd.conf shows the database of a --localstatedir=/var build" \
	'^#database /var/lib/thinice/rdd\.db$' "$(cat "$conf")"

# The schema, as -p prints it for this file. Every directive is commented
# out, so this is the built-in defaults as well.
"$RDD" -p -f "$conf" >"$T/schema" 2>&1 || not_ok "rdd -p reads conf/rdd.conf"
assert_eq "conf/rdd.conf changes no default" "$("$RDD" -p -f /dev/null 2>&1)" "$(cat "$T/schema")"

# The lines of -p as they appear commented out in the file:
#   "listen coap://0.0.0.0:5683"  ->  "#listen coap://0.0.0.0:5683"
#   "# user (not set)"            ->  "# user (not set)"
sed 's/^\([a-z]\)/#\1/' "$T/schema" | nodb | sort >"$T/want"
# The directive lines of the file: "#name value" or "# name (not set)",
# leaving out include (not a setting) and prose comments.
grep -E '^#[a-z][a-z-]* |^# [a-z][a-z-]* \(not set\)$' "$conf" | grep -v '^#include ' | nodb | sort >"$T/have"

missing=$(comm -23 "$T/want" "$T/have")
extra=$(comm -13 "$T/want" "$T/have")
assert_eq "every directive of the schema is in conf/rdd.conf at its default" "" "$missing"
assert_eq "conf/rdd.conf has no directive the schema lacks or with another value" "" "$extra"

names_schema=$(sed 's/^# //; s/ .*//' "$T/schema" | sort -u)
names_conf=$(sed 's/^# *//; s/ .*//' "$T/have" | sort -u)
assert_eq "the directive names match" "$names_schema" "$names_conf"
for d in listen log-level log-target user database synchronous group-commit lifetime-min lifetime-max \
	lifetime-default max-registrations max-links-per-registration max-payload \
	max-lookup-results max-observers max-observers-per-peer max-idle-sessions session-timeout; do
	assert_match "conf/rdd.conf documents '$d'" "^# ?$d " "$(cat "$conf")"
done

# No directive is active in the shipped file.
active=$(grep -Ev '^[[:space:]]*(#|$)' "$conf")
assert_eq "conf/rdd.conf sets nothing" "" "$active"

# Uncommenting every directive line gives a valid file with the same settings.
sed -E 's/^#([a-z][a-z-]* )/\1/' "$conf" | grep -v '^include ' >"$T/uncommented.conf"
out=$("$RDD" -n -f "$T/uncommented.conf" 2>&1); rc=$?
assert_eq "conf/rdd.conf with its defaults uncommented is valid" "0 configuration OK" "$rc $out"
assert_eq "and means the defaults" "$(nodb <"$T/schema")" \
	"$("$RDD" -p -f "$T/uncommented.conf" 2>&1 | nodb)"

finish
