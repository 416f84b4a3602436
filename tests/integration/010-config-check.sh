#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# tstund -n and -p: good and bad configurations, error locations, printing every directive.
. "$(dirname "$0")/lib.sh"

# bad NAME LINE PHRASE CONF-LINES...: -n on CONF-LINES exits 1, prints
# nothing on stdout and exactly one line on stderr, "tstund: FILE:LINE: ..."
# containing PHRASE (LINE empty: "tstund: FILE: ...", a whole-file error).
bad() {
	name=$1 line=$2 phrase=$3
	shift 3
	f="$T/bad.conf"
	write_conf "$f" "$@"
	out=$("$TSTUND" -n -f "$f" 2>"$T/err")
	rc=$?
	err=$(cat "$T/err")
	assert_eq "$name: exit status 1" 1 "$rc"
	assert_eq "$name: nothing on stdout" "" "$out"
	assert_eq "$name: one line on stderr" 1 "$(wc -l <"$T/err")"
	if [ -n "$line" ]; then
		where="tstund: $f:$line: "
	else
		where="tstund: $f: "
	fi
	case $err in
	"$where"*) ok "$name: reported at ${where#tstund: }" ;;
	*) not_ok "$name: reported at ${where#tstund: }" "got: [$err]" ;;
	esac
	assert_contains "$name: says '$phrase'" "$phrase" "$err"
}

# A good configuration.
write_conf "$T/good.conf" \
	"# a comment" \
	"" \
	"listen coap://127.0.0.1:5783   # trailing comment" \
	"listen coap+tcp://127.0.0.1:5783" \
	"path /nat/reflexive" \
	"rd coap://127.0.0.1:5683" \
	"rd-endpoint \"tstund in \\\"rack 4\\\"\"" \
	"rd-lifetime 2h"
out=$("$TSTUND" -n -f "$T/good.conf" 2>"$T/err"); rc=$?
assert_eq "-n on a good config exits 0" 0 "$rc"
assert_eq "-n on a good config prints 'configuration OK'" "configuration OK" "$out"
assert_eq "-n on a good config: nothing on stderr" "" "$(cat "$T/err")"

out=$("$TSTUND" -n -f /dev/null 2>&1); rc=$?
assert_eq "an empty config is valid" "0 configuration OK" "$rc $out"

# Bad configurations: the error names the file and the line.
bad "unknown directive" 3 "unknown directive 'bogus'" \
	"# comment" "path /x" "bogus 1"
bad "bad duration" 2 "invalid value '1h30m' for 'rd-lifetime': expected a duration" \
	"rd coap://127.0.0.1" "rd-lifetime 1h30m"
bad "rd-lifetime below its minimum" 2 "invalid value '59s' for 'rd-lifetime'" \
	"rd coap://127.0.0.1" "rd-lifetime 59s"
bad "session-timeout 0" 1 "invalid value '0' for 'session-timeout'" \
	"session-timeout 0"
bad "negative number" 1 "invalid value '-1' for 'max-idle-sessions': expected a number from 0 to 1000000" \
	"max-idle-sessions -1"
bad "listen coaps://" 2 "coaps:// is not supported yet" \
	"listen coap://127.0.0.1:5783" "listen coaps://127.0.0.1:5784"
bad "listen coaps+tcp://" 1 "coaps+tcp:// is not supported yet" \
	"listen coaps+tcp://127.0.0.1:5784"
bad "listen with a path" 4 "a listen URI has no path" \
	"" "" "" "listen coap://127.0.0.1:5783/tstun"
bad "listen with a query" 1 "a listen URI has no query" \
	"listen coap://127.0.0.1:5783?x=1"
bad "listen http://" 1 "not a CoAP URI" \
	"listen http://127.0.0.1:80"
bad "path without a leading '/'" 2 "invalid value 'tstun' for 'path': the path must start with '/'" \
	"log-level info" "path tstun"
bad "path /.well-known/core" 1 "the path cannot be /.well-known/core" \
	"path /.well-known/core"
bad "path with an empty segment" 1 "empty path segment" \
	"path /a//b"
bad "path with a query" 1 "not allowed in the path" \
	"path /tstun?x=1"
bad "duplicate path" 3 "'path' given twice (first at $T/bad.conf:1)" \
	"path /a" "log-level info" "path /b"
bad "missing value" 1 "missing value for 'path'" \
	"path"
bad "two values" 1 "'path' takes one value" \
	"path /a /b"
bad "unterminated quote" 2 "unterminated quoted string" \
	"" "rd-endpoint \"abc"
bad "bad log level" 1 "expected err, warning, notice, info or debug" \
	"log-level loud"
bad "bad log target" 1 "expected one of stderr, syslog" \
	"log-target file"
bad "rd with coaps://" 1 "only coap:// and coap+tcp:// are supported" \
	"rd coaps://127.0.0.1"
bad "rd with a query" 1 "no query" \
	"rd coap://127.0.0.1:5683/rd?lt=60"
bad "rd-endpoint with '&'" 2 "control characters, '&' and '=' are not allowed" \
	"rd coap://127.0.0.1" "rd-endpoint a&b"
bad "rd-endpoint of 64 bytes" 2 "an endpoint name has 1 to 63 bytes" \
	"rd coap://127.0.0.1" "rd-endpoint aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
# Whole-configuration errors have no line (tstund.conf(5), "Errors").
bad "rd-endpoint without rd" "" "'rd-endpoint' and 'rd-base' need 'rd'" \
	"path /tstun" "rd-endpoint tstun-test"
bad "rd-base without rd" "" "'rd-endpoint' and 'rd-base' need 'rd'" \
	"rd-base coap://203.0.113.1:5783"

out=$("$TSTUND" -n -f "$T/missing.conf" 2>"$T/err"); rc=$?
assert_eq "missing file: exit status 1" 1 "$rc"
assert_eq "missing file: nothing on stdout" "" "$out"
assert_eq "missing file: the reason on stderr" \
	"tstund: $T/missing.conf: cannot open (No such file or directory)" "$(cat "$T/err")"

# Includes: relative to the including file, errors at their own location.
mkdir "$T/etc"
write_conf "$T/etc/main.conf" "path /a" "include local.conf"
write_conf "$T/etc/local.conf" "# local" "log-level debug"
out=$(cd / && "$TSTUND" -p -f "$T/etc/main.conf" 2>&1); rc=$?
assert_eq "include: relative to the including file" "0" "$rc"
assert_contains "include: its directives apply" "log-level debug" "$out"
write_conf "$T/etc/local.conf" "# local" "frobnicate yes"
out=$("$TSTUND" -n -f "$T/etc/main.conf" 2>&1); rc=$?
assert_eq "an error in an included file is reported there" \
	"1 tstund: $T/etc/local.conf:2: unknown directive 'frobnicate'" "$rc $out"
write_conf "$T/etc/main.conf" "path /a" "" "include nothere.conf"
out=$("$TSTUND" -n -f "$T/etc/main.conf" 2>&1); rc=$?
assert_eq "an unreadable include is reported at the include line" \
	"1 tstund: $T/etc/main.conf:3: cannot read include '$T/etc/nothere.conf' (No such file or directory)" \
	"$rc $out"
write_conf "$T/etc/main.conf" "path /a" "include local.conf"
write_conf "$T/etc/local.conf" "path /b"
out=$("$TSTUND" -n -f "$T/etc/main.conf" 2>&1); rc=$?
assert_eq "a directive repeated through an include is a duplicate" \
	"1 tstund: $T/etc/local.conf:1: 'path' given twice (first at $T/etc/main.conf:1)" "$rc $out"

# -p: every directive, defaults filled in, durations in their largest exact unit.
out=$("$TSTUND" -p -f /dev/null 2>"$T/err"); rc=$?
assert_eq "-p on an empty config exits 0" 0 "$rc"
assert_eq "-p on an empty config prints the defaults" "listen coap://0.0.0.0:5783
listen coap://[::]:5783
path /tstun
log-level info
log-target stderr
# user (not set)
# rd (not set)
# rd-endpoint (not set)
rd-lifetime 1h
# rd-base (not set)
max-idle-sessions 100
session-timeout 1m" "$out"

write_conf "$T/all.conf" \
	"listen coap://127.0.0.1:5783" \
	"listen coap+tcp://[::1]:5783" \
	"path /nat/reflexive" \
	"log-level warn" \
	"log-target syslog" \
	"user nobody" \
	"rd coap://127.0.0.1:5683/rd" \
	"rd-endpoint \"tstund in \\\"rack 4\\\"\"" \
	"rd-lifetime 5400" \
	"rd-base coap://203.0.113.1:5783" \
	"max-idle-sessions 7" \
	"session-timeout 120s"
expected='listen coap://127.0.0.1:5783
listen coap+tcp://[::1]:5783
path /nat/reflexive
log-level warning
log-target syslog
user nobody
rd coap://127.0.0.1:5683/rd
rd-endpoint "tstund in \"rack 4\""
rd-lifetime 90m
rd-base coap://203.0.113.1:5783
max-idle-sessions 7
session-timeout 2m'
out=$("$TSTUND" -p -f "$T/all.conf" 2>"$T/err"); rc=$?
assert_eq "-p with every directive set exits 0" 0 "$rc"
assert_eq "-p prints every directive" "$expected" "$out"
for d in listen path log-level log-target user rd rd-endpoint rd-lifetime rd-base \
	max-idle-sessions session-timeout; do
	assert_match "-p prints '$d'" "^$d " "$out"
done

# The output is a configuration that reads back to the same settings.
printf '%s\n' "$out" >"$T/printed.conf"
out2=$("$TSTUND" -n -f "$T/printed.conf" 2>&1); rc=$?
assert_eq "-p output passes -n" "0 configuration OK" "$rc $out2"
assert_eq "-p output reads back to the same configuration" "$expected" \
	"$("$TSTUND" -p -f "$T/printed.conf" 2>&1)"
out=$("$TSTUND" -p -f /dev/null 2>&1)
printf '%s\n' "$out" >"$T/defaults.conf"
assert_eq "-p of the defaults reads back to the defaults" "$out" \
	"$("$TSTUND" -p -f "$T/defaults.conf" 2>&1)"

# -p -n: the configuration, then the verdict.
out=$("$TSTUND" -p -n -f "$T/all.conf" 2>&1); rc=$?
assert_eq "-p -n exits 0" 0 "$rc"
assert_eq "-p -n ends with 'configuration OK'" "configuration OK" "$(printf '%s\n' "$out" | tail -n 1)"
assert_eq "-p -n prints the configuration first" "$expected" "$(printf '%s\n' "$out" | sed '$d')"

# -p on a bad config prints nothing but the error.
out=$("$TSTUND" -p -f "$T/bad.conf" 2>/dev/null); rc=$?
assert_eq "-p on a bad config exits 1 and prints nothing" "1 " "$rc $out"

finish
