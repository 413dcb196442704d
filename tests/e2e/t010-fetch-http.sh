#!/bin/sh
# SPDX-License-Identifier: MIT
# t010-fetch-http: a url source served over http on 127.0.0.1 is downloaded
# once into STORE/sources/sha256/HEX (right hash, no temp file left), a second
# ninja has no work, and a new build directory sharing the store builds with
# the server stopped: the verified source is a cache hit, never fetched again
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need python3

R=$T/repo
S=$T/store
mkrepo "$R"
mkdir -p "$T/srv" "$T/src/tiny-1.0"
printf 'tiny payload\n' >"$T/src/tiny-1.0/payload.txt"
tar -C "$T/src" -czf "$T/srv/tiny-1.0.tar.gz" tiny-1.0
hex=$(sha256sum "$T/srv/tiny-1.0.tar.gz" | cut -c1-64)

start_http "$T/srv"
# start_http leaves the server's pid in $_pid (lib.sh); we stop it below
http_pid=$_pid
http_log=$T/.lib/http.1.log
url="http://127.0.0.1:$HTTP_PORT/tiny-1.0.tar.gz"

write "$R/tiny/package.yaml" <<EOF
name: tiny
version: "1.0"
kind: library
summary: a tarball fetched over http
sources:
  - url: $url
    sha256: $hex
build: |
  mkdir -p "\$PKG_DESTDIR\$PKG_PREFIX/share/tiny"
  cp payload.txt "\$PKG_DESTDIR\$PKG_PREFIX/share/tiny/"
EOF

B1=$T/b1
pkggen -R "$R" -B "$B1" --store "$S" tiny >/dev/null
run run_ninja "$B1"
[ "$rc" = 0 ] || fail "first ninja failed ($rc):
$out"
assert_ran "$B1" "*sources/sha256/$hex" '*pkgs/tiny--1.0--*'

src=$S/sources/sha256/$hex
[ -f "$src" ] || fail "no $src; sources: $(find "$S/sources" -type f)"
[ "$(sha256sum "$src" | cut -c1-64)" = "$hex" ] || fail "$src has the wrong content"
cmp -s "$src" "$T/srv/tiny-1.0.tar.gz" || fail "$src differs from the served file"
[ "$(find "$S/sources" -type f | wc -l)" = 1 ] ||
	fail "expected one source in the store: $(find "$S/sources" -type f)"
[ -z "$(ls -A "$S/tmp" 2>/dev/null)" ] || fail "temp files left: $(ls -A "$S/tmp")"
[ "$(grep -c 'GET /tiny-1.0.tar.gz' "$http_log")" = 1 ] ||
	fail "expected one download; server log:
$(cat "$http_log")"
out=$(in_active "$B1" cat "$B1/env/active/share/tiny/payload.txt")
assert_contains "$out" "tiny payload"

assert_no_work "$B1"
[ "$(grep -c 'GET /tiny-1.0.tar.gz' "$http_log")" = 1 ] ||
	fail "a no-op ninja downloaded again:
$(cat "$http_log")"

# the server goes away; a fresh build directory on the same store still builds
kill "$http_pid"
wait "$http_pid" 2>/dev/null || :
python3 -c '
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()
except OSError:
    sys.exit(0)
sys.exit(1)' "$HTTP_PORT" || fail "the http server still answers"

mtime() {
	stat -c %Y.%y "$1"
}
src_m=$(mtime "$src")
B2=$T/b2
pkggen -R "$R" -B "$B2" --store "$S" tiny >/dev/null
run run_ninja "$B2"
[ "$rc" = 0 ] || fail "ninja in a second build dir with the server stopped failed ($rc):
$out"
assert_not_contains "$out" "fetched "
[ "$(mtime "$src")" = "$src_m" ] || fail "the cached source was rewritten"
[ "$(find "$S/sources" -type f | wc -l)" = 1 ] || fail "a second source appeared"
out=$(in_active "$B2" cat "$B2/env/active/share/tiny/payload.txt")
assert_contains "$out" "tiny payload"
assert_no_work "$B2"
