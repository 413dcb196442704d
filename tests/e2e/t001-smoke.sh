#!/bin/sh
# SPDX-License-Identifier: MIT
# t001-smoke: build the builtin hello (and libgreet) end to end, run it from the
# active set, and check that a second ninja has no work to do
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

B=$T/build
pkggen -B "$B" hello
[ -f "$B/build.ninja" ] || fail "pkggen wrote no build.ninja"

run run_ninja "$B"
[ "$rc" = 0 ] || fail "ninja failed ($rc):
$out"
assert_ran "$B" '*pkgs/libgreet--1.0--*' '*pkgs/hello--1.0--*'

# the archives and the active set are where SPEC §6 puts them
hid=$(pkgid "$B" hello)
gid=$(pkgid "$B" libgreet)
[ -f "$B/store/pkgs/$hid.tar.zst" ] || fail "no archive $hid.tar.zst"
[ -f "$B/log/$hid.build.log" ] || fail "no build log for $hid"
[ -f "$B/env/active/active.json" ] || fail "no active.json"
assert_contains "$(cat "$B/env/active/active.json")" "$hid"
assert_contains "$(cat "$B/env/active/active.json")" "$gid"

out=$(in_active "$B" hello)
assert_contains "$out" "Hello, world!"
out=$(in_active "$B" hello pkgtool)
assert_contains "$out" "Hello, pkgtool!"

# hello finds libgreet in the store through its rpath, not LD_LIBRARY_PATH
out=$(env -u LD_LIBRARY_PATH "$B/env/active/bin/hello")
assert_contains "$out" "Hello, world!"

assert_no_work "$B"
