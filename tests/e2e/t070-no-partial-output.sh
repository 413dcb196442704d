#!/bin/sh
# SPDX-License-Identifier: MIT
# t070-no-partial-output: pkggen writes nothing when validation fails. After a
# good build, invalid recipe edits make pkggen exit 2 reporting every mistake
# (FILE:LINE:COL), with build.ninja and every manifest unchanged (content and
# mtime); ninja's regen edge then fails and leaves the previous build.ninja
# in place; fixing the recipes builds again. A fresh build directory gets no
# files at all from a failing pkggen, nor from one given a build directory,
# store or repository whose path is not UTF-8. A re-run of pkggen on unchanged input
# rewrites no manifest. A new build directory's manifests appear all at once
# (.pkggen/pkg.new renamed): a dead run's pkg.new is dropped, and on a full
# disk pkggen stops at the first failures, saying so, and leaves no pkg.new
# and no build.ninja. On ext4, .pkggen is marked chattr +T.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

R=$T/repo
B=$T/build
mkrepo "$R"
mkpkg "$R" a 1.0
mkpkg "$R" b 1.0 a
mkpkg "$R" c 1.0

# state: checksum and mtime of build.ninja and everything pkggen wrote, but
# for pkggen's own cache of file hashes (.pkggen/hashes), which no step reads
# and which learns, on a later run, the files it did not trust while they had
# only just changed
state() {
	(cd "$B" && find build.ninja .pkggen -type f ! -path '.pkggen/done/*' \
		! -name '*.stamp' ! -name hashes -exec stat -c '%n %.9Y' {} + | sort &&
		find build.ninja .pkggen -type f ! -path '.pkggen/done/*' ! -name '*.stamp' \
			! -name hashes -exec sha256sum {} + | sort)
}

pkggen -R "$R" -B "$B" b c >/dev/null
run run_ninja "$B"
[ "$rc" = 0 ] || fail "the first build failed ($rc):
$out"
good=$(state)
assert_contains "$good" ".pkggen/pkg/a--"
# on ext4, .pkggen is marked as the top of directory trees (chattr +T), so that
# a new build directory's manifests go to a block group of their own, away
# from files removed lately (doc/manifests.md)
if [ "$(stat -f -c %T "$B" 2>/dev/null)" = ext2/ext3 ] &&
	attrs=$(lsattr -d "$B/.pkggen" 2>/dev/null); then
	case ${attrs%% *} in
	*T*) ;;
	*) fail ".pkggen is not marked +T on ext4: $attrs" ;;
	esac
fi

# pkggen again on the same input: no manifest rewritten (write-if-changed);
# build.ninja is replaced (its mtime must move past the inputs' for Ninja)
# with the same content
sleep 0.05
pkggen -R "$R" -B "$B" b c >/dev/null
[ "$(state | grep -v '^build.ninja ')" = "$(echo "$good" | grep -v '^build.ninja ')" ] ||
	fail "a no-op pkggen rewrote files:
$good
---
$(state)"
good=$(state)

# two mistakes in two recipes
cp "$R/b/package.yaml" "$T/b.yaml"
cp "$R/c/package.yaml" "$T/c.yaml"
sleep 0.05
sed -i 's/^summary:/sumary:/' "$R/b/package.yaml"
sed -i 's/^version: .*/version: "x1.0"/' "$R/c/package.yaml"
expect_fail 2 pkggen -R "$R" -B "$B" b c
assert_contains "$out" "$R/b/package.yaml:4:1: error: "
assert_contains "$out" "sumary"
assert_contains "$out" "did you mean 'summary'"
assert_contains "$out" "$R/c/package.yaml:2:"
assert_contains "$out" "x1.0"
assert_contains "$out" "2 errors"
[ "$(state)" = "$good" ] || fail "a failing pkggen changed files:
$good
---
$(state)"
[ -z "$(find "$B" -maxdepth 2 -name '*.tmp*' -o -maxdepth 2 -name '.*.tmp*')" ] ||
	fail "temp files left: $(find "$B" -maxdepth 2 -name '*tmp*')"

# ninja re-runs pkggen (the recipes changed), which fails; build.ninja stays
expect_fail 1 run_ninja "$B"
assert_contains "$out" "$R/b/package.yaml:4:"
assert_contains "$out" "$R/c/package.yaml:2:"
[ "$(state)" = "$good" ] || fail "the failing regen edge changed files:
$good
---
$(state)"
assert_not_ran "$B" '*pkgs/*'
# ninja still knows the graph: -n, -t query and -t targets work on it
ninja -C "$B" -t targets all >"$T/targets" 2>&1 || fail "ninja -t targets: $(cat "$T/targets")"
grep -q 'pkgs/a--' "$T/targets" || fail "build.ninja lost its edges: $(cat "$T/targets")"
# a second ninja tries again and fails the same way
expect_fail 1 run_ninja "$B"
assert_contains "$out" "sumary"

# the fix: the recipes as they were; pkggen runs, nothing is rebuilt
sleep 0.05
cp "$T/b.yaml" "$R/b/package.yaml"
cp "$T/c.yaml" "$R/c/package.yaml"
run run_ninja "$B"
[ "$rc" = 0 ] || fail "ninja after the fix failed ($rc):
$out"
assert_not_ran "$B" '*pkgs/*' '*activate*'
assert_no_work "$B"
out=$(cat "$B/env/active/share/b/b.txt")
[ "$out" = "b 1.0" ] || fail "b is not active: $out"

# a fresh build directory: a failing pkggen creates nothing there
cp "$R/a/package.yaml" "$T/a.yaml"
sed -i 's/^version: .*/version: "x1.0"/' "$R/a/package.yaml"
expect_fail 2 pkggen -R "$R" -B "$T/fresh" b
[ ! -e "$T/fresh" ] || fail "a failing pkggen wrote into a new build dir: $(find "$T/fresh")"
expect_fail 2 pkggen -R "$R" -B "$T/fresh" --store "$T/fresh-store" b
[ ! -e "$T/fresh" ] || fail "a failing pkggen wrote into a new build dir: $(find "$T/fresh")"
[ ! -e "$T/fresh-store" ] || fail "a failing pkggen created the store: $(find "$T/fresh-store")"
cp "$T/a.yaml" "$R/a/package.yaml"
# a build directory or store whose path is not UTF-8 (JSON cannot hold it)
bad=$(printf '%s/bad\377dir' "$T")
expect_fail 2 pkggen -R "$R" -B "$bad" b
assert_contains "$out" "build directory path '$bad' is not valid UTF-8"
[ ! -e "$bad" ] || fail "pkggen wrote into a build dir it refused"
expect_fail 2 pkggen -R "$R" -B "$T/fresh" --store "$bad" b
assert_contains "$out" "store path '$bad' is not valid UTF-8"
[ ! -e "$T/fresh" ] || fail "pkggen wrote into a build dir: $(find "$T/fresh")"
# and a repository whose path is not UTF-8 (its recipes are named where they are)
mkdir "$bad"
cp -r "$R/a" "$bad/a"
expect_fail 2 pkggen -R "$bad" -B "$T/fresh" a
assert_contains "$out" "$bad/a/package.yaml: error: the path of this package's directory is not valid UTF-8"
[ ! -e "$T/fresh" ] || fail "pkggen wrote into a build dir: $(find "$T/fresh")"
rm -rf "$bad"
# --check neither
pkggen --check -R "$R" -B "$T/fresh" b >/dev/null
[ ! -e "$T/fresh" ] || fail "pkggen --check wrote into a build dir: $(find "$T/fresh")"

# a new build directory's package manifests are written into .pkggen/pkg.new,
# which becomes .pkggen/pkg only when all are: one left by a pkggen that died
# half-way (here, with a stray file) is removed, and its files never used
mkdir -p "$T/died/.pkggen/pkg.new"
echo '{"half":' >"$T/died/.pkggen/pkg.new/a--1.0--000000000000.json"
pkggen -R "$R" -B "$T/died" b >/dev/null
[ ! -e "$T/died/.pkggen/pkg.new" ] || fail "pkg.new is left: $(ls -a "$T/died/.pkggen")"
[ ! -e "$T/died/.pkggen/pkg/a--1.0--000000000000.json" ] ||
	fail "a file of the dead run's pkg.new was kept"
[ "$(find "$T/died/.pkggen/pkg" -type f | wc -l)" = 2 ] ||
	fail "expected the manifests of a and b: $(find "$T/died/.pkggen/pkg")"
run run_ninja "$T/died" packages
[ "$rc" = 0 ] || fail "building after the dead run's leftovers failed ($rc):
$out"

# a full disk (a 24-inode tmpfs in a mount namespace of its own, gone with
# it): one message per writing thread at most, no build.ninja, no pkg.new
if unshare -m true 2>/dev/null; then
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		mkpkg "$R" "many$i" 1.0
	done
	mkdir -p "$T/tiny"
	run unshare -m sh -c 'mount -t tmpfs -o size=1m,nr_inodes=24 tmpfs "$1" &&
		"$2" -R "$3" -B "$1/b" $(cd "$3" && ls -d many*) 2>&1; st=$?;
		find "$1" >"$1.left" 2>&1; exit $st' sh "$T/tiny" "$BIN/pkggen" "$R"
	[ "$rc" = 1 ] || fail "pkggen on a full disk: expected exit 1, got $rc:
$out"
	assert_contains "$out" "No space left on device"
	assert_contains "$out" "build.ninja not written"
	[ "$(echo "$out" | grep -c 'No space left')" -le 4 ] ||
		fail "one message per manifest on a full disk:
$out"
	if grep -e build.ninja -e pkg.new "$T/tiny.left"; then
		fail "a failed pkggen left files: $(cat "$T/tiny.left")"
	fi
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		rm -r "${R:?}/many$i"
	done
fi

# every error of a run is reported (SPEC §2), also one in a dependency of a
# recipe that has an error of its own
sed -i 's/^summary:/sumary:/' "$R/b/package.yaml"
sed -i 's/^version: .*/version: "x1.0"/' "$R/a/package.yaml"
expect_fail 2 pkggen --check -R "$R" b
assert_contains "$out" "$R/b/package.yaml:4:1: error: "
assert_contains "$out" "$R/a/package.yaml:2:"
