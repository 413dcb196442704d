#!/bin/sh
# SPDX-License-Identifier: MIT
# t012-offline-mirror: PKGTOOL_OFFLINE=1 with a missing http source fails
# naming the package, URL and hash and saying what to do; `ninja fetch` online
# prepares for offline work; `pkgtool mirror BUILDDIR DEST` makes a file://
# mirror from which an empty store builds offline with the server stopped;
# mirror://NAME/PATH tries each base of PKGTOOL_MIRRORS in order; a
# pipeline's `mirrors:` supplies a base too
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need python3

R=$T/repo
mkrepo "$R"

# with_env VAR=VALUE... CMD...: run CMD (a shell function too) in a subshell
# with those variables exported; `VAR=x func` would be unspecified in POSIX sh
with_env() {
	(
		while :; do
			case $1 in
			*=*) export "${1?}" ;;
			*) break ;;
			esac
			shift
		done
		"$@"
	)
}

# mktar DIR NAME TEXT: DIR/NAME.tar.gz holding NAME/payload.txt with TEXT
mktar() {
	rm -rf "$T/src"
	mkdir -p "$T/src/$2" "$1"
	printf '%s\n' "$3" >"$T/src/$2/payload.txt"
	tar -C "$T/src" -czf "$1/$2.tar.gz" "$2"
}

# recipe NAME URL HEX: a package installing payload.txt from a url source
recipe() {
	write "$R/$1/package.yaml" <<EOF
name: $1
version: "1.0"
kind: library
summary: $1 from $2
sources:
  - url: $2
    sha256: $3
build: |
  mkdir -p "\$PKG_DESTDIR\$PKG_PREFIX/share/$1"
  cp payload.txt "\$PKG_DESTDIR\$PKG_PREFIX/share/$1/"
EOF
}

# payload BUILDDIR NAME: the active set's payload of NAME
payload() {
	in_active "$1" cat "$1/env/active/share/$2/payload.txt"
}

mktar "$T/srv" net-1.0 "from the network"
hex=$(sha256sum "$T/srv/net-1.0.tar.gz" | cut -c1-64)
start_http "$T/srv"
# start_http leaves the server's pid in $_pid (lib.sh); we stop it below
http_pid=$_pid
http_log=$T/.lib/http.1.log
url="http://127.0.0.1:$HTTP_PORT/net-1.0.tar.gz"
recipe net "$url" "$hex"

# 1. offline with the source missing: a clear error, and no download
B1=$T/b1
pkggen -R "$R" -B "$B1" net >/dev/null
expect_fail 1 with_env PKGTOOL_OFFLINE=1 run_ninja "$B1"
assert_contains "$out" "pkgtool: fetch: "
assert_contains "$out" "package net"
assert_contains "$out" "$url"
assert_contains "$out" "$hex"
assert_contains "$out" "PKGTOOL_OFFLINE"
assert_contains "$out" "ninja fetch"
assert_contains "$out" "PKGTOOL_MIRRORS"
if grep -q GET "$http_log"; then
	fail "PKGTOOL_OFFLINE=1 still downloaded: $(cat "$http_log")"
fi
[ -z "$(find "$B1/store/sources" -type f 2>/dev/null)" ] || fail "a source appeared offline"

# 2. `ninja fetch` online: sources only, nothing built; then offline builds
run run_ninja "$B1" fetch
[ "$rc" = 0 ] || fail "ninja fetch failed ($rc):
$out"
[ -f "$B1/store/sources/sha256/$hex" ] || fail "ninja fetch did not store the source"
[ -z "$(find "$B1/store/pkgs" -type f 2>/dev/null)" ] || fail "ninja fetch built packages"
assert_not_ran "$B1" '*pkgs/*' '*activate*'
run with_env PKGTOOL_OFFLINE=1 run_ninja "$B1"
[ "$rc" = 0 ] || fail "offline ninja after ninja fetch failed ($rc):
$out"
[ "$(payload "$B1" net)" = "from the network" ] || fail "wrong payload in b1"

# 3. pkgtool mirror, then an empty store builds from it offline, server stopped
D=$T/mirror
run pkgtool mirror "$B1" "$D"
[ "$rc" = 0 ] || fail "pkgtool mirror failed ($rc):
$out"
assert_contains "$out" "mirrored 1 source"
[ -f "$D/sha256/$hex" ] || fail "no $D/sha256/$hex: $(find "$D")"
cmp -s "$D/sha256/$hex" "$T/srv/net-1.0.tar.gz" || fail "$D/sha256/$hex has the wrong content"
kill "$http_pid"
wait "$http_pid" 2>/dev/null || :
B2=$T/b2
pkggen -R "$R" -B "$B2" net >/dev/null
[ ! -e "$B2/store/sources" ] || fail "the new store is not empty"
run with_env PKGTOOL_OFFLINE=1 PKGTOOL_MIRRORS="hashed=file://$D" run_ninja "$B2"
[ "$rc" = 0 ] || fail "offline build from the hashed mirror failed ($rc):
$out"
[ "$(payload "$B2" net)" = "from the network" ] || fail "wrong payload in b2"
cmp -s "$B2/store/sources/sha256/$hex" "$T/srv/net-1.0.tar.gz" || fail "b2's source differs"

# a corrupt file in the hashed mirror is rejected, not stored
B2b=$T/b2b
mkdir -p "$T/badmirror/sha256"
echo corrupt >"$T/badmirror/sha256/$hex"
pkggen -R "$R" -B "$B2b" net >/dev/null
expect_fail 1 with_env PKGTOOL_OFFLINE=1 PKGTOOL_MIRRORS="hashed=file://$T/badmirror" run_ninja "$B2b"
assert_contains "$out" "$hex"
[ -z "$(find "$B2b/store/sources" -type f 2>/dev/null)" ] ||
	fail "a corrupt mirror file entered the store"

# 4. mirror://local/PATH: the bases are tried in order; only the second has it
mktar "$T/m2/sub" loc-1.0 "from the second base"
lhex=$(sha256sum "$T/m2/sub/loc-1.0.tar.gz" | cut -c1-64)
mkdir -p "$T/m1"
recipe loc mirror://local/sub/loc-1.0.tar.gz "$lhex"
B3=$T/b3
pkggen -R "$R" -B "$B3" loc >/dev/null
# with no base that has the file: every URL tried is named
expect_fail 1 with_env PKGTOOL_MIRRORS="local=file://$T/m1" run_ninja "$B3"
assert_contains "$out" "package loc"
assert_contains "$out" "file://$T/m1/sub/loc-1.0.tar.gz"
assert_contains "$out" "mirror://local/sub/loc-1.0.tar.gz"
# an unknown mirror name is named too
expect_fail 1 with_env PKGTOOL_MIRRORS="other=file://$T/m2" run_ninja "$B3"
assert_contains "$out" "unknown mirror 'local'"
run with_env PKGTOOL_OFFLINE=1 PKGTOOL_MIRRORS="local=file://$T/m1 file://$T/m2" run_ninja "$B3"
[ "$rc" = 0 ] || fail "mirror://local with two bases failed ($rc):
$out"
[ "$(payload "$B3" loc)" = "from the second base" ] || fail "wrong payload in b3"

# pkgtool mirror lays out mirror:// sources as DEST/NAME/PATH as well
D3=$T/mirror3
pkgtool mirror "$B3" "$D3" >/dev/null
[ -f "$D3/local/sub/loc-1.0.tar.gz" ] || fail "no $D3/local/sub/loc-1.0.tar.gz: $(find "$D3")"
[ -f "$D3/sha256/$lhex" ] || fail "no $D3/sha256/$lhex: $(find "$D3")"
B3b=$T/b3b
pkggen -R "$R" -B "$B3b" loc >/dev/null
run with_env PKGTOOL_OFFLINE=1 PKGTOOL_MIRRORS="local=file://$D3/local" run_ninja "$B3b"
[ "$rc" = 0 ] || fail "build from pkgtool mirror's NAME/PATH layout failed ($rc):
$out"

# 5. a pipeline's mirrors: supplies the base (no PKGTOOL_MIRRORS entry for it)
write "$T/pipe.yaml" <<EOF
name: mirrored
mirrors: {local: "file://$T/m2"}
pkgs:
  - pkg_type: loc
EOF
B4=$T/b4
pkggen -R "$R" -B "$B4" "$T/pipe.yaml" >/dev/null
run with_env PKGTOOL_OFFLINE=1 run_ninja "$B4"
[ "$rc" = 0 ] || fail "the pipeline's mirrors: did not supply mirror://local ($rc):
$out"
[ "$(payload "$B4" loc)" = "from the second base" ] || fail "wrong payload in b4"
assert_no_work "$B4"
