#!/bin/sh
# SPDX-License-Identifier: MIT
# t320-shared-store: two build directories sharing one store, built at the
# same time (`ninja & ninja & wait`): every shared package is built once, the
# archives are whole and match, each active set is right; activations of one
# build directory serialize; gc from one keeps what the other uses.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need python3 zstd

CHECK="python3 $E2E_DIR/check-store.py"
R=$T/repo
S=$T/store
mkrepo "$R"
mkpkg "$R" zlib 1.3
mkpkg "$R" pigz 2.8 zlib
mkpkg "$R" app 1.0 pigz
mkpkg "$R" other 1.0 zlib
mkpkg "$R" lone 1.0
for i in 1 2 3 4; do
	mkpkg "$R" "m$i" 1.0 pigz zlib
done
# slow builds widen the window in which both ninjas want the same package
for p in zlib pigz; do
	sed -i 's/^build: |$/build: |\n  sleep 0.3/' "$R/$p/package.yaml"
done
B1=$T/b1
B2=$T/b2
pkggen -R "$R" -B "$B1" --store "$S" app other m1 m2 >/dev/null
pkggen -R "$R" -B "$B2" --store "$S" app lone m3 m4 >/dev/null

# both_ninja: run ninja in both build directories at once; both must succeed
both_ninja() {
	ninja -C "$B1" >"$T/n1.out" 2>&1 &
	_p1=$!
	ninja -C "$B2" >"$T/n2.out" 2>&1 &
	_p2=$!
	_pids="$_pids $_p1 $_p2"
	wait "$_p1" || fail "ninja in b1 failed: $(cat "$T/n1.out")"
	wait "$_p2" || fail "ninja in b2 failed: $(cat "$T/n2.out")"
}

# count PATTERN...: how many of the (globbed) paths exist
count() {
	_n=0
	for _f in "$@"; do
		[ ! -e "$_f" ] || _n=$((_n + 1))
	done
	echo "$_n"
}

# built_once ID: one build log for the package across both build dirs
built_once() {
	_n=$(count "$B1/log/$1.build.log" "$B2/log/$1.build.log")
	[ "$_n" = 1 ] || fail "$1 built $_n times"
}

# newest NAME: the id of NAME that b1 has active (built last)
newest() {
	pkgtool -B "$B1" list | awk -v n="$1" '$1 == n { print $3 }'
}

check_all() {
	$CHECK --clean --archives "$S" "$B1" "$B2" || fail "$1: broken store"
	[ "$(pkgtool -B "$B1" list | awk '{ print $1 }' | tr '\n' ' ')" = "app m1 m2 other pigz zlib " ] ||
		fail "$1: b1 active: $(pkgtool -B "$B1" list)"
	[ "$(pkgtool -B "$B2" list | awk '{ print $1 }' | tr '\n' ' ')" = "app lone m3 m4 pigz zlib " ] ||
		fail "$1: b2 active: $(pkgtool -B "$B2" list)"
	pkgtool verify --store "$S" >/dev/null || fail "$1: pkgtool verify"
	assert_no_work "$B1"
	assert_no_work "$B2"
}

both_ninja
for p in zlib pigz app; do
	built_once "$(newest "$p")"
done
check_all "first build"
[ "$(count "$S"/gcroots/*)" = 2 ] || fail "expected 2 gc roots: $(ls -l "$S/gcroots")"

# a change under both: zlib's new id rebuilds zlib, pigz, app ... in both at once
echo changed >"$R/zlib/files/extra.txt"
both_ninja
for p in zlib pigz app; do
	[ "$(count "$S"/pkgs/"$p"--*.tar.zst)" = 2 ] || fail "no new $p archive"
	built_once "$(newest "$p")"
done
check_all "rebuild"

# activations of one build directory serialize: neither loses the other's package
for i in 1 2 3; do
	pkgtool -B "$B1" activate lone >"$T/a1.out" 2>&1 &
	_p1=$!
	pkgtool -B "$B1" activate m3 >"$T/a2.out" 2>&1 &
	_p2=$!
	_pids="$_pids $_p1 $_p2"
	wait "$_p1" || fail "activate lone: $(cat "$T/a1.out")"
	wait "$_p2" || fail "activate m3: $(cat "$T/a2.out")"
	out=$(pkgtool -B "$B1" list)
	assert_contains "$out" lone
	assert_contains "$out" m3
	pkgtool -B "$B1" deactivate lone m3 >/dev/null
done

# gc from b2, while b1 activates: b1's generations and b2's set survive
pkgtool -B "$B1" deactivate other >/dev/null
pkgtool -B "$B2" gc --keep 1 >"$T/gc.out" 2>&1 &
_p1=$!
pkgtool -B "$B1" activate other >"$T/a1.out" 2>&1 &
_p2=$!
_pids="$_pids $_p1 $_p2"
wait "$_p1" || fail "gc: $(cat "$T/gc.out")"
wait "$_p2" || fail "activate other: $(cat "$T/a1.out")"
# the old zlib's archive stays (b1's generations 1.. still use it); its
# old generations are b1's to delete
check_all "gc from b2"
out=$(pkgtool -B "$B1" gc --keep 1)
assert_contains "$out" "freed "
check_all "gc from b1"
# the ids of the first build: only archives that no manifest names went
for p in zlib pigz app; do
	[ "$(count "$S"/pkgs/"$p"--*.tar.zst)" = 1 ] || fail "old $p archive kept"
done
