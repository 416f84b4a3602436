#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Lint every man page with mandoc; any warning fails, no mandoc skips (77).
MANDOC=${MANDOC:-mandoc}

if ! command -v "$MANDOC" >/dev/null 2>&1; then
	echo "SKIP: $MANDOC not found"
	exit 77
fi

# The pages sit next to this script; automake's driver also exports srcdir.
dir=$(dirname "$0")
if ! ls "$dir"/*.[1-9] >/dev/null 2>&1 && [ -n "$srcdir" ]; then
	dir=$srcdir/man
fi

status=0
count=0
for page in "$dir"/*.[1-9]; do
	[ -f "$page" ] || continue
	count=$((count + 1))
	if ! "$MANDOC" -Tlint -W warning "$page"; then
		echo "FAIL: $page"
		status=1
	fi
done
if [ "$count" -eq 0 ]; then
	echo "FAIL: no man pages found in '$dir'"
	exit 1
fi
echo "linted $count page(s) in '$dir'"
exit $status
