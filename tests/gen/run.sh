#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/gen/run.sh [CASE...]: generator fixtures. Each directory tests/gen/CASE/ holds
#   args        pkggen's arguments, one line, split at blanks (paths relative to
#               CASE/, where pkggen runs); default: --check input.yaml
#   expect.rc   pkggen's exit status (default 0)
#   expect.err  its stderr, exactly; a case without one is skipped (no
#               expectation recorded yet)
#   expect.ninja  optional: BUILDDIR/build.ninja, exactly
# plus the YAML the args name. The runner passes `-B BUILDDIR` (a temp dir)
# first. Before comparing, it replaces in stderr and build.ninja the absolute
# path of BUILDDIR by `BUILDDIR`, of CASE/ by `.` and of the source tree by `TOP`
# (and their paths relative to BUILDDIR, which build.ninja may use).
# A failing run (status != 0) must not have written build.ninja.
# UPDATE=1 records the actual stderr, status and (when expect.ninja exists)
# build.ninja as the expectations: review the diff before committing.
# Prints one `ok gen/CASE`, `FAIL gen/CASE` or `skip gen/CASE (why)` line each;
# exits 1 when any failed.
set -u

: "${BIN:?BIN must name the directory holding pkggen}"
BIN=$(cd "$BIN" && pwd -P) || exit 1
here=$(cd "$(dirname "$0")" && pwd -P)
top=$(cd "$here/../.." && pwd -P)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pkgtool-gen.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
failed=0
unset PKGTOOL_REPOS PKGTOOL_STORE PKGTOOL_MIRRORS PKGTOOL_ENVS PKGTOOL_DATADIR

# normalize FILE: replace the temp build dir, the case dir and the source tree
# (build.ninja names the last two relative to the build dir when that is
# shorter, as when TMPDIR is inside the source tree)
normalize() {
	relcase=$(realpath -m --relative-to="$tmp/build" "$casedir")
	reltop=$(realpath -m --relative-to="$tmp/build" "$top")
	sed -e "s|$tmp/build|BUILDDIR|g" -e "s|$casedir/|./|g" -e "s|$casedir|.|g" \
		-e "s|$BIN/|BIN/|g" -e "s|$top/|TOP/|g" \
		-e "s|$relcase/|./|g" -e "s|$relcase\$|.|" -e "s|$reltop/|TOP/|g" "$1"
}

# run_case NAME: run one case; prints its result line
run_case() {
	name=$1
	casedir=$here/$name
	args="--check input.yaml"
	[ -f "$casedir/args" ] && args=$(cat "$casedir/args")
	want_rc=0
	[ -f "$casedir/expect.rc" ] && want_rc=$(cat "$casedir/expect.rc")
	rm -rf "$tmp/build"
	rm -f "$tmp/err" "$tmp/err.n" "$tmp/ninja.n" "$tmp/out" "$tmp/out.n" "$tmp/report"
	if [ -z "${UPDATE:-}" ] && [ ! -f "$casedir/expect.err" ]; then
		echo "skip gen/$name (no expect.err yet; record with UPDATE=1)"
		return
	fi

	# args is split at blanks on purpose: one line of plain words
	# shellcheck disable=SC2086
	(cd "$casedir" && NO_COLOR=1 LC_ALL=C "$BIN/pkggen" -B "$tmp/build" $args) \
		</dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	normalize "$tmp/err" >"$tmp/err.n"
	normalize "$tmp/out" >"$tmp/out.n"
	if [ -f "$tmp/build/build.ninja" ]; then
		normalize "$tmp/build/build.ninja" >"$tmp/ninja.n"
	fi

	if [ -n "${UPDATE:-}" ]; then
		cp "$tmp/err.n" "$casedir/expect.err"
		echo "$rc" >"$casedir/expect.rc"
		if [ -f "$casedir/expect.ninja" ] && [ -f "$tmp/ninja.n" ]; then
			cp "$tmp/ninja.n" "$casedir/expect.ninja"
		fi
		if [ -f "$casedir/expect.out" ]; then
			cp "$tmp/out.n" "$casedir/expect.out"
		fi
		echo "ok gen/$name (recorded)"
		return
	fi
	: >"$tmp/report"
	if [ "$rc" != "$want_rc" ]; then
		echo "exit status $rc, expected $want_rc" >>"$tmp/report"
	fi
	if ! diff -u "$casedir/expect.err" "$tmp/err.n" >>"$tmp/report"; then
		:
	fi
	# SPEC §2: nothing is written when validation fails
	if [ "$rc" != 0 ] && [ -e "$tmp/build/build.ninja" ]; then
		echo "exit status $rc, but build.ninja was written" >>"$tmp/report"
	fi
	if [ -f "$casedir/expect.out" ] && ! diff -u "$casedir/expect.out" "$tmp/out.n" >>"$tmp/report"; then
		:
	fi
	if [ -f "$casedir/expect.ninja" ]; then
		if [ ! -f "$tmp/ninja.n" ]; then
			echo "no build.ninja written, expected one" >>"$tmp/report"
		elif ! diff -u "$casedir/expect.ninja" "$tmp/ninja.n" >>"$tmp/report"; then
			:
		fi
	fi
	if [ -s "$tmp/report" ]; then
		echo "FAIL gen/$name"
		sed 's/^/    /' "$tmp/report"
		failed=1
	else
		echo "ok gen/$name"
	fi
}

if [ ! -x "$BIN/pkggen" ]; then
	echo "FAIL gen (no $BIN/pkggen)"
	exit 1
fi
if [ $# -eq 0 ]; then
	for d in "$here"/*/; do
		[ -d "$d" ] || continue
		set -- "$@" "$(basename "$d")"
	done
fi
for c in "$@"; do
	if [ -d "$here/$c" ]; then
		run_case "$c"
	else
		echo "FAIL gen/$c (no such case)"
		failed=1
	fi
done
exit "$failed"
