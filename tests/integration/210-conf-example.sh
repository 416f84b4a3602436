#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The shipped conf/tstund.conf is valid and lists every directive of the schema, commented, at its default.
. "$(dirname "$0")/lib.sh"

conf="$top_srcdir/conf/tstund.conf"
if [ ! -f "$conf" ]; then
	not_ok "conf/tstund.conf exists" "no file $conf"
	finish
fi
ok "conf/tstund.conf exists"

out=$("$TSTUND" -n -f "$conf" 2>&1); rc=$?
assert_eq "tstund -n accepts conf/tstund.conf" "0 configuration OK" "$rc $out"

# The schema, as -p prints it for this file. Every directive is commented
# out, so this is the built-in defaults as well.
"$TSTUND" -p -f "$conf" >"$T/schema" 2>&1 || not_ok "tstund -p reads conf/tstund.conf"
assert_eq "conf/tstund.conf changes no default" "$("$TSTUND" -p -f /dev/null 2>&1)" "$(cat "$T/schema")"

# The lines of -p as they appear commented out in the file:
#   "listen coap://0.0.0.0:5783"  ->  "#listen coap://0.0.0.0:5783"
#   "# user (not set)"            ->  "# user (not set)"
sed 's/^\([a-z]\)/#\1/' "$T/schema" | sort >"$T/want"
# The directive lines of the file: "#name value" or "# name (not set)",
# leaving out include (not a setting) and prose comments.
grep -E '^#[a-z][a-z-]* |^# [a-z][a-z-]* \(not set\)$' "$conf" | grep -v '^#include ' | sort >"$T/have"

missing=$(comm -23 "$T/want" "$T/have")
extra=$(comm -13 "$T/want" "$T/have")
assert_eq "every directive of the schema is in conf/tstund.conf at its default" "" "$missing"
assert_eq "conf/tstund.conf has no directive the schema lacks or with another value" "" "$extra"

# Same check on names only, so that a wrong value and a missing directive
# are told apart in the output above.
names_schema=$(sed 's/^# //; s/ .*//' "$T/schema" | sort -u)
names_conf=$(sed 's/^# *//; s/ .*//' "$T/have" | sort -u)
assert_eq "the directive names match" "$names_schema" "$names_conf"
for d in listen path log-level log-target user rd rd-endpoint rd-lifetime rd-base \
	max-idle-sessions session-timeout; do
	assert_match "conf/tstund.conf documents '$d'" "^# ?$d " "$(cat "$conf")"
done

# No directive is active in the shipped file.
active=$(grep -Ev '^[[:space:]]*(#|$)' "$conf")
assert_eq "conf/tstund.conf sets nothing" "" "$active"

# Uncommenting every directive line gives a valid file with the same settings.
sed -E 's/^#([a-z][a-z-]* )/\1/' "$conf" | grep -v '^include ' >"$T/uncommented.conf"
out=$("$TSTUND" -n -f "$T/uncommented.conf" 2>&1); rc=$?
assert_eq "conf/tstund.conf with its defaults uncommented is valid" "0 configuration OK" "$rc $out"
assert_eq "and means the defaults" "$(cat "$T/schema")" "$("$TSTUND" -p -f "$T/uncommented.conf" 2>&1)"

finish
