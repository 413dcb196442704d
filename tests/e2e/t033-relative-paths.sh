#!/bin/sh
# SPDX-License-Identifier: MIT
# t033-relative-paths: build.ninja names a repository beside the build
# directory as ../REPO (shorter than its absolute path). The build directory
# is named through a symbolic link to another place, so a ".." written from
# the name as given would climb to the wrong directory: the build, the no-op,
# a recipe edit and a package removed from the repository all still work.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

R=$T/real/repo
mkrepo "$R"
mkpkg "$R" a 1.0
mkpkg "$R" b 1.0 a
mkpkg "$R" c 1.0
mkdir -p "$T/real/work"
ln -s real/work "$T/link"
B=$T/link/build

pkggen -B "$B" -R "$R" a b c
# the real build directory is $T/real/work/build: the repository is ../../repo
grep -q '^    \.\./\.\./repo/a/package\.yaml \$$' "$B/build.ninja" ||
	fail "build.ninja does not name the recipes as ../../repo/...:
$(head -20 "$B/build.ninja")"
grep -q "$T/real/repo/a/package.yaml" "$B/build.ninja" &&
	fail "build.ninja names a recipe by its absolute path"
grep -q '\.\./real/repo' "$B/build.ninja" && fail "build.ninja names ../../real/repo (the link's parent)"

run run_ninja "$B"
[ "$rc" = 0 ] || fail "ninja failed ($rc):
$out"
assert_ran "$B" 'store/pkgs/a--*' 'store/pkgs/b--*' 'store/pkgs/c--*'
assert_contains "$out" "BUILD store/pkgs/a--1.0--"
assert_no_work "$B"

# an edit to b's build script: ninja re-runs pkggen and rebuilds b only
sed -i 's/^build: |$/build: |\n  : edited/' "$R/b/package.yaml"
run run_ninja "$B"
[ "$rc" = 0 ] || fail "ninja after the edit failed ($rc):
$out"
assert_ran "$B" build.ninja 'store/pkgs/b--*'
assert_not_ran "$B" 'store/pkgs/a--*' 'store/pkgs/c--*'
assert_no_work "$B"

# c leaves the repository: the phony edge over the files pkggen read turns the
# missing recipe into a regeneration, which names c no more
rm -r "$R/c"
run run_ninja "$B"
assert_contains "$out" "REGEN build.ninja"
assert_not_contains "$out" "missing and no known rule"
[ "$rc" != 0 ] || fail "the regeneration asked for c, which is gone, and succeeded:
$out"
assert_contains "$out" "unknown package 'c'"
