#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# rdd -n and -p: good and bad configurations with their line numbers, defaults, durations, read-back.
. "$(dirname "$0")/lib.sh"
require_rdd

# bad NAME LINE PHRASE CONF-LINES...: -n on CONF-LINES exits 1, prints
# nothing on stdout and exactly one line on stderr, "rdd: FILE:LINE: ..."
# containing PHRASE (LINE empty: "rdd: FILE: ...", a whole-file error).
bad() {
	name=$1 line=$2 phrase=$3
	shift 3
	f="$T/bad.conf"
	write_conf "$f" "$@"
	out=$("$RDD" -n -f "$f" 2>"$T/err")
	rc=$?
	err=$(cat "$T/err")
	assert_eq "$name: exit status 1" 1 "$rc"
	assert_eq "$name: nothing on stdout" "" "$out"
	assert_eq "$name: one line on stderr" 1 "$(wc -l <"$T/err")"
	if [ -n "$line" ]; then
		where="rdd: $f:$line: "
	else
		where="rdd: $f: "
	fi
	case $err in
	"$where"*) ok "$name: reported at ${where#rdd: }" ;;
	*) not_ok "$name: reported at ${where#rdd: }" "got: [$err]" ;;
	esac
	assert_contains "$name: says '$phrase'" "$phrase" "$err"
}

# A good configuration: every directive.
write_conf "$T/good.conf" \
	"# rdd for the tests" \
	"" \
	"listen coap://127.0.0.1:5683   # trailing comment" \
	"listen coap://[::1]:5683" \
	"listen coap+tcp://127.0.0.1:5683" \
	"database $T/rdd.db" \
	"synchronous normal" \
	"group-commit no" \
	"lifetime-min 1s" \
	"lifetime-max 30d" \
	"lifetime-default 25h" \
	"max-registrations 1000" \
	"max-links-per-registration 64" \
	"max-payload 4096" \
	"max-lookup-results 100" \
	"max-observers 1000" \
	"max-observers-per-peer 10" \
	"max-idle-sessions 50" \
	"session-timeout 2m" \
	"log-level debug" \
	"log-target stderr"
out=$("$RDD" -n -f "$T/good.conf" 2>"$T/err"); rc=$?
assert_eq "-n on a good config exits 0" 0 "$rc"
assert_eq "-n on a good config prints 'configuration OK'" "configuration OK" "$out"
assert_eq "-n on a good config: nothing on stderr" "" "$(cat "$T/err")"
if [ -e "$T/rdd.db" ]; then not_ok "-n does not create the database"; else ok "-n does not create the database"; fi

out=$("$RDD" -n -f /dev/null 2>&1); rc=$?
assert_eq "an empty config is valid" "0 configuration OK" "$rc $out"
for s in off normal full extra; do
	write_conf "$T/s.conf" "synchronous $s"
	out=$("$RDD" -n -f "$T/s.conf" 2>&1); rc=$?
	assert_eq "synchronous $s is valid" "0 configuration OK" "$rc $out"
done
for g in yes no; do
	write_conf "$T/g.conf" "group-commit $g"
	out=$("$RDD" -n -f "$T/g.conf" 2>&1); rc=$?
	assert_eq "group-commit $g is valid" "0 configuration OK" "$rc $out"
done
for d in 90 90s 2m 3h 1d 4294967295s; do
	write_conf "$T/d.conf" "lifetime-default 1m" "lifetime-max $d"
	out=$("$RDD" -n -f "$T/d.conf" 2>&1); rc=$?
	assert_eq "lifetime-max $d is valid" "0 configuration OK" "$rc $out"
done

# Bad configurations: the error names the file and the line.
bad "unknown directive" 3 "unknown directive 'bogus'" \
	"# comment" "database $T/x.db" "bogus 1"
bad "tstund's directive 'path'" 1 "unknown directive 'path'" \
	"path /rd"
bad "synchronous bogus" 2 "invalid value 'bogus' for 'synchronous'" \
	"" "synchronous bogus"
bad "group-commit maybe" 1 "invalid value 'maybe' for 'group-commit'" \
	"group-commit maybe"
bad "lifetime-min 0" 1 "invalid value '0' for 'lifetime-min'" \
	"lifetime-min 0"
bad "lifetime-min 1h30m" 1 "invalid value '1h30m' for 'lifetime-min'" \
	"lifetime-min 1h30m"
bad "lifetime-max 4294967296" 1 "invalid value '4294967296' for 'lifetime-max'" \
	"lifetime-max 4294967296"
bad "lifetime-default -1" 1 "invalid value '-1' for 'lifetime-default'" \
	"lifetime-default -1"
bad "lifetime-default 1w (no such unit)" 1 "invalid value '1w' for 'lifetime-default'" \
	"lifetime-default 1w"
bad "max-payload 63" 1 "invalid value '63' for 'max-payload'" \
	"max-payload 63"
bad "max-payload 1048577" 1 "invalid value '1048577' for 'max-payload'" \
	"max-payload 1048577"
bad "max-registrations 0" 1 "invalid value '0' for 'max-registrations'" \
	"max-registrations 0"
bad "max-links-per-registration 0" 1 "invalid value '0' for 'max-links-per-registration'" \
	"max-links-per-registration 0"
bad "max-lookup-results 0" 1 "invalid value '0' for 'max-lookup-results'" \
	"max-lookup-results 0"
bad "max-observers x" 1 "invalid value 'x' for 'max-observers'" \
	"max-observers x"
bad "session-timeout 2d" 1 "invalid value '2d' for 'session-timeout'" \
	"session-timeout 2d"
bad "empty database" 1 "invalid value '' for 'database'" \
	'database ""'
bad "database given twice" 2 "'database' given twice (first at $T/bad.conf:1)" \
	"database $T/a.db" "database $T/b.db"
bad "database with two values" 1 "'database' takes one value" \
	"database $T/a.db $T/b.db"
bad "missing value" 1 "missing value for 'lifetime-min'" \
	"lifetime-min"
bad "listen coaps://" 2 "coaps:// is not supported yet" \
	"listen coap://127.0.0.1:5683" "listen coaps://127.0.0.1:5684"
bad "listen with a path" 1 "a listen URI has no path" \
	"listen coap://127.0.0.1:5683/rd"
bad "listen http://" 1 "not a CoAP URI" \
	"listen http://127.0.0.1:80"
bad "bad log level" 1 "expected err, warning, notice, info or debug" \
	"log-level loud"
# Whole-configuration errors have no line.
bad "lifetime-min above lifetime-max" "" "'lifetime-min' is above 'lifetime-max'" \
	"lifetime-min 2h" "lifetime-max 1h"
bad "lifetime-default below lifetime-min" "" "'lifetime-default' is outside 'lifetime-min'..'lifetime-max'" \
	"lifetime-min 1h" "lifetime-default 30m"
bad "lifetime-default above lifetime-max" "" "'lifetime-default' is outside 'lifetime-min'..'lifetime-max'" \
	"lifetime-max 1h"
bad "max-observers-per-peer above max-observers" "" "'max-observers-per-peer' is above 'max-observers'" \
	"max-observers 5" "max-observers-per-peer 6"

out=$("$RDD" -n -f "$T/missing.conf" 2>"$T/err"); rc=$?
assert_eq "missing file: exit status 1" 1 "$rc"
assert_eq "missing file: the reason on stderr" \
	"rdd: $T/missing.conf: cannot open (No such file or directory)" "$(cat "$T/err")"

# Includes: relative to the including file, errors at their own location.
mkdir "$T/etc"
write_conf "$T/etc/main.conf" "database $T/a.db" "include local.conf"
write_conf "$T/etc/local.conf" "# local" "lifetime-min 5s"
out=$(cd / && "$RDD" -p -f "$T/etc/main.conf" 2>&1); rc=$?
assert_eq "include: relative to the including file" 0 "$rc"
assert_contains "include: its directives apply" "lifetime-min 5s" "$out"
write_conf "$T/etc/local.conf" "# local" "max-payload 10"
out=$("$RDD" -n -f "$T/etc/main.conf" 2>&1); rc=$?
assert_match "an error in an included file is reported there" \
	"^1 rdd: $T/etc/local.conf:2: invalid value '10' for 'max-payload'" "$rc $out"

# -p: every directive, defaults filled in, durations in their largest exact unit.
out=$("$RDD" -p -f /dev/null 2>"$T/err"); rc=$?
assert_eq "-p on an empty config exits 0" 0 "$rc"
assert_match "-p: the default database is <localstatedir>/lib/thinice/rdd.db" \
	'^database /.*/lib/thinice/rdd\.db$' "$out"
assert_eq "-p on an empty config prints the defaults" "listen coap://0.0.0.0:5683
listen coap://[::]:5683
log-level info
log-target stderr
# user (not set)
database (default)
synchronous full
group-commit yes
lifetime-min 1m
lifetime-max 4294967295s
lifetime-default 25h
max-registrations 1000000
max-links-per-registration 128
max-payload 16384
max-lookup-results 1000
max-observers 100000
max-observers-per-peer 1000
max-idle-sessions 100
session-timeout 1m" "$(printf '%s\n' "$out" | sed 's|^database /.*/lib/thinice/rdd\.db$|database (default)|')"

write_conf "$T/all.conf" \
	"listen coap://127.0.0.1" \
	"listen coap+tcp://[::1]:5799" \
	"log-level warn" \
	"log-target syslog" \
	"user nobody" \
	"database \"$T/with space.db\"" \
	"synchronous extra" \
	"group-commit no" \
	"lifetime-min 120" \
	"lifetime-max 48h" \
	"lifetime-default 90000s" \
	"max-registrations 5" \
	"max-links-per-registration 7" \
	"max-payload 2048" \
	"max-lookup-results 9" \
	"max-observers 11" \
	"max-observers-per-peer 3" \
	"max-idle-sessions 7" \
	"session-timeout 3600"
expected="listen coap://127.0.0.1
listen coap+tcp://[::1]:5799
log-level warning
log-target syslog
user nobody
database \"$T/with space.db\"
synchronous extra
group-commit no
lifetime-min 2m
lifetime-max 2d
lifetime-default 25h
max-registrations 5
max-links-per-registration 7
max-payload 2048
max-lookup-results 9
max-observers 11
max-observers-per-peer 3
max-idle-sessions 7
session-timeout 1h"
out=$("$RDD" -p -f "$T/all.conf" 2>"$T/err"); rc=$?
assert_eq "-p with every directive set exits 0" 0 "$rc"
assert_eq "-p prints every directive" "$expected" "$out"
for d in listen log-level log-target user database synchronous group-commit lifetime-min lifetime-max \
	lifetime-default max-registrations max-links-per-registration max-payload \
	max-lookup-results max-observers max-observers-per-peer max-idle-sessions session-timeout; do
	assert_match "-p prints '$d'" "^$d " "$out"
done

# The output is a configuration that reads back to the same settings.
printf '%s\n' "$out" >"$T/printed.conf"
out2=$("$RDD" -n -f "$T/printed.conf" 2>&1); rc=$?
assert_eq "-p output passes -n" "0 configuration OK" "$rc $out2"
assert_eq "-p output reads back to the same configuration" "$expected" \
	"$("$RDD" -p -f "$T/printed.conf" 2>&1)"

# -p -n: the configuration, then the verdict; -p on a bad config prints only the error.
out=$("$RDD" -p -n -f "$T/all.conf" 2>&1); rc=$?
assert_eq "-p -n exits 0" 0 "$rc"
assert_eq "-p -n ends with 'configuration OK'" "configuration OK" "$(printf '%s\n' "$out" | tail -n 1)"
out=$("$RDD" -p -f "$T/bad.conf" 2>/dev/null); rc=$?
assert_eq "-p on a bad config exits 1 and prints nothing" "1 " "$rc $out"

finish
