#!/bin/sh
# SPDX-License-Identifier: MIT
# t040-build-failure: a failing build script makes the build step exit
# non-zero printing the last 30 lines of its log (stdout and stderr) and the
# log's path, and leaves no archive; a dependent is not built; after the
# script is fixed, the next ninja builds
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

R=$T/repo
B=$T/build
mkrepo "$R"
mkdir -p "$R/broken/files"
echo x >"$R/broken/files/x"
recipe=$R/broken/package.yaml
write "$recipe" <<'EOF'
name: broken
version: "1.0"
kind: library
summary: a build that fails after printing 60 lines
sources:
  - path: files/
build: |
  i=1
  while [ $i -le 59 ]; do
    printf 'line-%02d\n' $i
    i=$((i + 1))
  done
  echo line-60-on-stderr >&2
  exit 3
  mkdir -p "$PKG_DESTDIR$PKG_PREFIX/share"
  cp x "$PKG_DESTDIR$PKG_PREFIX/share/x"
EOF
mkpkg "$R" user 1.0 broken

pkggen -R "$R" -B "$B" user >/dev/null
id=$(basename "$(echo "$B"/.pkggen/pkg/broken--*.json)" .json)
log=$B/log/$id.build.log

expect_fail 1 run_ninja "$B"
assert_contains "$out" "FAILED"
assert_contains "$out" "pkgtool: build: "
assert_contains "$out" "$log"
assert_contains "$out" "line-60-on-stderr"
assert_contains "$out" "line-59"
# the tail is the last 30 lines of the log: 31..59 and the stderr line
assert_contains "$out" "line-31"
assert_not_contains "$out" "line-30"
assert_not_contains "$out" "line-01"
[ -f "$log" ] || fail "no build log $log"
grep -q '^line-01$' "$log" || fail "the log lacks the start of the output"
grep -q 'line-60-on-stderr' "$log" || fail "the log lacks stderr"
[ -z "$(find "$B/store/pkgs" -type f 2>/dev/null)" ] ||
	fail "a failed build left an archive: $(find "$B/store/pkgs" -type f)"
[ ! -e "$B/.pkggen/done/$id" ] || fail "a failed build was recorded as done"
[ -z "$(ls -A "$B/store/tmp" 2>/dev/null)" ] || fail "left in store/tmp: $(ls -A "$B/store/tmp")"
[ ! -e "$B/env/active" ] || fail "something was activated"

# pkgtool build by hand: exit status 1, the same report
expect_fail 1 pkgtool build "$B/.pkggen/pkg/$id.json"
assert_contains "$out" "$log"
assert_contains "$out" "line-59"

# still failing on a second ninja (a failure is not cached)
expect_fail 1 run_ninja "$B"
assert_contains "$out" "line-60-on-stderr"

# the fix
sleep 0.05
sed -i '/^  exit 3$/d' "$recipe"
run run_ninja "$B"
[ "$rc" = 0 ] || fail "ninja after fixing the script failed ($rc):
$out"
assert_ran "$B" '*pkgs/broken--*' '*pkgs/user--*'
[ "$(cat "$B/env/active/share/x")" = x ] || fail "the fixed package is not active"
assert_no_work "$B"
