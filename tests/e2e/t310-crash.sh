#!/bin/sh
# SPDX-License-Identifier: MIT
# t310-crash: kill -9 at every step point of activate, deactivate, rollback
# and gc (PKGTOOL_CRASH_AT=N). After each kill, env/active is a complete
# generation whose packages are all in the store, and every STORE/ID has its
# pkginfo.json and its runtime dependencies; the next run succeeds, cleans
# the leftovers and reaches the state an uninterrupted run reaches.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need python3 zstd

CHECK="python3 $E2E_DIR/check-store.py"
R=$T/repo
mkrepo "$R"
mkpkg "$R" zlib 1.3
mkpkg "$R" pigz 2.8 zlib
mkpkg "$R" app 1.0 pigz
mkpkg "$R" other 1.0 zlib
mkpkg "$R" lone 1.0
mkpkg "$R" stray 1.0

B=$T/b
S=$B/store
# snap NAME / restore NAME: the whole build dir (store inside) at the same path
snap() {
	rm -rf "$T/snap-$1"
	cp -a "$B" "$T/snap-$1"
}
restore() {
	chmod -R u+w "$B" 2>/dev/null || :
	rm -rf "$B"
	cp -a "$T/snap-$1" "$B"
}
ids() {
	pkgtool -B "$B" list | awk '{ print $1 }' | tr '\n' ' '
}

# generation 1: app's closure; then app other lone built, not activated yet
pkggen -R "$R" -B "$B" app >/dev/null
run run_ninja "$B"
[ "$rc" = 0 ] || fail "ninja failed ($rc): $out"
pkggen -R "$R" -B "$B" app other lone >/dev/null
run run_ninja "$B" packages
[ "$rc" = 0 ] || fail "ninja packages failed ($rc): $out"
# an archive that no registered build directory names: gc unlinks it
pkggen -R "$R" -B "$T/b2" --store "$S" stray >/dev/null
run run_ninja "$T/b2" packages
[ "$rc" = 0 ] || fail "ninja packages failed ($rc): $out"
snap activate

# crashtest NAME EXPECT CMD...: from snapshot NAME, kill CMD at step 1, 2, ...
# until it runs through; after each kill check the invariants, run CMD again
# (exit 0, or 2 when the killed run already did the work and CMD says so),
# check again with --clean, and compare `pkgtool list` with EXPECT
total=0
crashtest() {
	_name=$1 _expect=$2
	shift 2
	_n=1
	while :; do
		restore "$_name"
		set +e
		PKGTOOL_CRASH_AT=$_n "$@" >"$T/crash.out" 2>&1
		_rc=$?
		set -e
		if [ "$_rc" = 0 ]; then
			break
		fi
		[ "$_rc" = 137 ] || fail "$* at step $_n exited $_rc: $(cat "$T/crash.out")"
		$CHECK "$S" "$B" || fail "$* killed at step $_n left a broken state"
		run "$@"
		[ "$rc" = 0 ] || [ "$rc" = 2 ] ||
			fail "$* after a kill at step $_n exited $rc: $out"
		$CHECK --clean "$S" "$B" || fail "$* after a kill at step $_n: not clean"
		[ "$(ids)" = "$_expect" ] || fail "$* after a kill at step $_n: active $(ids)"
		_n=$((_n + 1))
		total=$((total + 1))
	done
	$CHECK --clean --archives "$S" "$B" || fail "$* uninterrupted: broken state"
	[ "$(ids)" = "$_expect" ] || fail "$*: active $(ids), expected $_expect"
	[ "$_n" -gt 1 ] || fail "$*: no step point"
	echo "$*: $((_n - 1)) kill points"
}

# activate: extracts other and lone, builds generation 2, switches
crashtest activate "app lone other pigz zlib " pkgtool activate "$B/.pkggen/activate.json"
# ninja did not see that run: its activate edge runs, finds nothing to switch
run run_ninja "$B"
assert_not_contains "$out" "activated generation"
snap deactivate
# deactivate: generation 3 without pigz and app
crashtest deactivate "lone other zlib " pkgtool -B "$B" deactivate pigz
snap rollback
crashtest rollback "app lone other pigz zlib " pkgtool -B "$B" rollback --to 2
# gc from generation 3: deletes gen-1 and gen-2, then app before pigz (dependents
# first), and stray's archive; keeps the archives the build's manifests name
restore rollback
snap gc
crashtest gc "lone other zlib " pkgtool -B "$B" gc --keep 1
for g in 1 2; do
	[ ! -d "$B/env/gen-$g" ] || fail "gc kept generation $g"
done
[ -f "$S/pkgs/$(pkgid "$B" app).tar.zst" ] || fail "gc deleted app's archive"
ls "$S"/pkgs/stray--* >/dev/null 2>&1 && fail "gc kept stray's archive"
ls -d "$S"/app--* >/dev/null 2>&1 && fail "gc kept app"
assert_no_work "$B"

echo "kill points tried: $total"
[ "$total" -ge 25 ] || fail "only $total kill points"
