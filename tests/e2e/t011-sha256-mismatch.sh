#!/bin/sh
# SPDX-License-Identifier: MIT
# t011-sha256-mismatch: a url source whose content does not match the
# recipe's sha256 fails the fetch with the expected and actual hashes, the URL
# and the recipe path; nothing unverified enters the store and no temp file is
# left; fixing the sha256 in the recipe then builds
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need python3

R=$T/repo
B=$T/build
S=$B/store
mkrepo "$R"
mkdir -p "$T/srv" "$T/src/tiny-1.0"
printf 'the real content\n' >"$T/src/tiny-1.0/payload.txt"
tar -C "$T/src" -czf "$T/srv/tiny-1.0.tar.gz" tiny-1.0
good=$(sha256sum "$T/srv/tiny-1.0.tar.gz" | cut -c1-64)
bad=$(printf 'something else' | sha256sum | cut -c1-64)
start_http "$T/srv"
url="http://127.0.0.1:$HTTP_PORT/tiny-1.0.tar.gz"

recipe=$R/tiny/package.yaml
write "$recipe" <<EOF
name: tiny
version: "1.0"
kind: library
summary: a tarball whose recipe gives the wrong sha256
sources:
  - url: $url
    sha256: $bad
build: |
  mkdir -p "\$PKG_DESTDIR\$PKG_PREFIX/share/tiny"
  cp payload.txt "\$PKG_DESTDIR\$PKG_PREFIX/share/tiny/"
EOF

pkggen -R "$R" -B "$B" tiny >/dev/null
expect_fail 1 run_ninja "$B"
assert_contains "$out" "FAILED"
assert_contains "$out" "$bad"
assert_contains "$out" "$good"
assert_contains "$out" "$url"
assert_contains "$out" "$recipe"
assert_contains "$out" "pkgtool: fetch: "

# nothing unverified in the store, no temp file left behind
[ -z "$(find "$S/sources" -type f 2>/dev/null)" ] ||
	fail "an unverified source entered the store: $(find "$S/sources" -type f)"
[ -z "$(ls -A "$S/tmp" 2>/dev/null)" ] || fail "temp files left in $S/tmp: $(ls -A "$S/tmp")"
[ -z "$(find "$S/pkgs" -type f 2>/dev/null)" ] || fail "a package was built: $(ls "$S/pkgs")"
[ ! -e "$B/env/active" ] || fail "something was activated"

# a second run fails the same way (no half-state from the first)
expect_fail 1 run_ninja "$B"
assert_contains "$out" "$good"
[ -z "$(find "$S/sources" -type f 2>/dev/null)" ] || fail "an unverified source entered the store"

# the fix: ninja regenerates build.ninja from the edited recipe and builds
sleep 0.05
sed -i "s/$bad/$good/" "$recipe"
run run_ninja "$B"
[ "$rc" = 0 ] || fail "ninja after fixing the sha256 failed ($rc):
$out"
[ -f "$S/sources/sha256/$good" ] || fail "no $S/sources/sha256/$good"
[ "$(find "$S/sources" -type f | wc -l)" = 1 ] ||
	fail "expected exactly one source: $(find "$S/sources" -type f)"
[ -z "$(ls -A "$S/tmp" 2>/dev/null)" ] || fail "temp files left in $S/tmp: $(ls -A "$S/tmp")"
out=$(in_active "$B" cat "$B/env/active/share/tiny/payload.txt")
assert_contains "$out" "the real content"
assert_no_work "$B"
