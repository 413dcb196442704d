#!/bin/sh
# SPDX-License-Identifier: MIT
# t050-zlib-pigz: the builtin zlib and pigz, fetched from the Debian archive
# through mirror://debian and this machine's apt sources (the only test that
# reaches beyond 127.0.0.1; skipped when the archive cannot be reached), are
# built; pigz from the active set compresses a file that gzip -d restores
# byte for byte, and pigz links the store's zlib, not the system's
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need curl gzip ldd cc make python3

# lib.sh points mirror://debian at nothing; here pkgtool uses apt's sources
unset PKGTOOL_MIRRORS

# the first Debian archive apt's sources name (as pkgtool picks it), else
# deb.debian.org: is it reachable?
base=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
	/etc/apt/sources.list.d/*.sources 2>/dev/null |
	sed -n -e 's/^[[:space:]]*deb\(-src\)\{0,1\}[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]*\)\{0,1\}\(https\{0,1\}:[^[:space:]]*\)[[:space:]]\{1,\}\([^[:space:]]*\).*/\3 \4/p' \
		-e 's/^URIs:[[:space:]]*\(https\{0,1\}:[^[:space:]]*\).*/\1 -/p' |
	grep -v -e '-security' -e 'security\.debian' | awk '/debian/ { print $1; exit }')
base=${base:-http://deb.debian.org/debian}
base=${base%/}
dsc=$base/pool/main/p/pigz/pigz_2.8-1.dsc
curl -fsS --max-time 10 -o /dev/null "$dsc" 2>"$T/curl.err" ||
	skip "the Debian archive is not reachable ($dsc: $(head -n 1 "$T/curl.err"))"

B=$T/build
S=$B/store
pkggen -B "$B" pigz >/dev/null
run run_ninja "$B"
[ "$rc" = 0 ] || fail "building zlib and pigz from Debian failed ($rc):
$out"
assert_ran "$B" '*pkgs/zlib--1.2.13--*' '*pkgs/pigz--2.8--*'
zid=$(pkgid "$B" zlib)
pid=$(pkgid "$B" pigz)
[ -f "$S/sources/sha256/71feb7947e3c00ef125f83b79a4e529bde31171e5babe48b391f06758d1ab0a1" ] ||
	fail "zlib's source is not in the store"
[ -f "$S/sources/sha256/bec34f9d61e28b9b069da9efd53e73d22cd207a4798ed664832dc9b17aa486aa" ] ||
	fail "pigz's source is not in the store"

# pigz from the active set is the store's
p=$(in_active "$B" sh -c 'command -v pigz')
case $p in
"$B"/env/*/bin/pigz) ;;
*) fail "pigz from the active set is $p" ;;
esac
case $(readlink -f "$p") in
"$S/$pid/bin/pigz") ;;
*) fail "active pigz resolves to $(readlink -f "$p"), not $S/$pid/bin/pigz" ;;
esac

# a round trip through pigz and gzip -d, byte for byte
python3 -c '
import random, sys
r = random.Random(42)
words = [b"pigz", b"zlib", b"store", b"ninja", b"\x00\xff", b"\n"]
with open(sys.argv[1], "wb") as f:
    for _ in range(200000):
        f.write(r.choice(words))
    f.write(bytes(r.getrandbits(8) for _ in range(100000)))' "$T/data"
in_active "$B" pigz -p 2 -c "$T/data" >"$T/data.gz" || fail "pigz failed"
[ -s "$T/data.gz" ] || fail "pigz wrote nothing"
[ "$(wc -c <"$T/data.gz")" -lt "$(wc -c <"$T/data")" ] || fail "pigz did not compress"
gzip -t "$T/data.gz" || fail "gzip -t rejects pigz's output"
gzip -dc "$T/data.gz" >"$T/data.out" || fail "gzip -d failed"
cmp "$T/data" "$T/data.out" || fail "gzip -d did not restore the file"
# and the other way round
gzip -c "$T/data" | in_active "$B" unpigz -c >"$T/data.out2" || fail "unpigz failed"
cmp "$T/data" "$T/data.out2" || fail "unpigz did not restore the file"

# pigz links the store's zlib (its rpath), with no LD_LIBRARY_PATH
ld=$(env -u LD_LIBRARY_PATH ldd "$S/$pid/bin/pigz") || fail "ldd failed"
line=$(printf '%s\n' "$ld" | grep 'libz\.so') || fail "pigz does not link libz:
$ld"
case $line in
*"=> $S/$zid/lib/libz.so"*) ;;
*) fail "pigz links $line, not the store's zlib $S/$zid:
$ld" ;;
esac
out=$(env -u LD_LIBRARY_PATH "$S/$pid/bin/pigz" --version 2>&1)
assert_contains "$out" "pigz 2.8"
assert_no_work "$B"
