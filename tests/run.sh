#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/run.sh: `make check` runs this with BIN set (bin/ or bin-san/). It runs
#   1. every unit test program $BIN/test_*
#   2. the generator fixtures, tests/gen/run.sh
#   3. every end-to-end test tests/e2e/t*.sh, two at a time (E2E_JOBS), each in
#      its own temp dir; exit 77 means skipped
# and prints one `ok NAME`, `FAIL NAME` (with the test's output) or
# `skip NAME (why)` line per test, then `N passed, N failed, N skipped`.
# Arguments, if any, are e2e test names or globs to run instead of all three
# layers (`sh tests/run.sh t001` runs tests/e2e/t001*.sh).
set -u

# internal (through xargs): --e2e-one DIR SCRIPT runs SCRIPT with its output
# in DIR/NAME.out and its status in DIR/NAME.rc; timeout stops its process group
if [ "${1:-}" = --e2e-one ]; then
	name=$(basename "$3" .sh)
	timeout -k 10 "${E2E_TIMEOUT:-600}" sh "$3" >"$2/$name.out" 2>&1 </dev/null
	echo $? >"$2/$name.rc"
	exit 0
fi

: "${BIN:?BIN must name the directory holding pkggen, pkgtool and test_*}"
case $BIN in
/*) ;;
*) BIN=$(cd "$BIN" && pwd) ;;
esac
export BIN
cd "$(dirname "$0")/.." || exit 1
res=$(mktemp -d "${TMPDIR:-/tmp}/pkgtool-check.XXXXXX") || exit 1
trap 'rm -rf "$res"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
passed=0 failed=0 skipped=0

# show FILE: a failing test's output, indented
show() {
	sed 's/^/    /' "$1"
}

# count the result lines of a runner that prints ok/FAIL/skip lines itself
tally() {
	while IFS= read -r line; do
		echo "$line"
		case $line in
		"ok "*) passed=$((passed + 1)) ;;
		"FAIL "*) failed=$((failed + 1)) ;;
		"skip "*) skipped=$((skipped + 1)) ;;
		esac
	done <"$1"
}

unit() {
	for t in "$BIN"/test_*; do
		[ -x "$t" ] || continue
		name=unit/$(basename "$t")
		if "$t" >"$res/unit.out" 2>&1 </dev/null; then
			echo "ok $name"
			passed=$((passed + 1))
		else
			echo "FAIL $name"
			show "$res/unit.out"
			failed=$((failed + 1))
		fi
	done
}

gen() {
	sh tests/gen/run.sh >"$res/gen.out" 2>&1
	rc=$?
	tally "$res/gen.out"
	# the runner itself broke without saying which case
	if [ "$rc" != 0 ] && ! grep -q '^FAIL ' "$res/gen.out"; then
		echo "FAIL gen (tests/gen/run.sh exited $rc)"
		failed=$((failed + 1))
	fi
}

e2e() {
	mkdir "$res/e2e"
	for t in "$@"; do
		[ -f "$t" ] && printf '%s\n' "$t"
	done | xargs -r -n 1 -P "${E2E_JOBS:-2}" sh tests/run.sh --e2e-one "$res/e2e"
	for t in "$@"; do
		name=$(basename "$t" .sh)
		if [ ! -f "$t" ]; then
			echo "FAIL e2e/$name (no such test)"
			failed=$((failed + 1))
			continue
		fi
		rc=$(cat "$res/e2e/$name.rc" 2>/dev/null || echo missing)
		case $rc in
		0)
			echo "ok e2e/$name"
			passed=$((passed + 1)) ;;
		77)
			why=$(sed -n 's/^skip: //p' "$res/e2e/$name.out" | tail -n 1)
			echo "skip e2e/$name (${why:-exit 77})"
			skipped=$((skipped + 1)) ;;
		*)
			[ "$rc" = 124 ] && echo "    (timed out)" >>"$res/e2e/$name.out"
			echo "FAIL e2e/$name (exit $rc)"
			[ -f "$res/e2e/$name.out" ] && show "$res/e2e/$name.out"
			failed=$((failed + 1)) ;;
		esac
	done
}

if [ $# -gt 0 ]; then
	for a in "$@"; do
		for t in tests/e2e/"$a"*.sh; do
			printf '%s\n' "$t"
		done
	done >"$res/list"
	# e2e scripts are named tNNN-topic.sh: no blanks to split on
	# shellcheck disable=SC2046
	e2e $(cat "$res/list")
else
	unit
	gen
	set -- tests/e2e/t*.sh
	[ -f "$1" ] && e2e "$@"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
