#!/bin/sh
# SPDX-License-Identifier: MIT
# t060-shared-store-cache: two build directories, one --store. The second
# builds nothing the first built: each of those build edges is a cache hit
# (no build log in the second directory, archives untouched), only its own
# extra package is built; both active sets work, also once the first build
# directory is gone
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need cc

R=$T/repo
S=$T/store
mkrepo "$R"
mkpkg "$R" base 1.0
mkpkg "$R" mid 1.0 base
mkpkg "$R" extra 1.0 base
mkdir -p "$T/srv/tb-1.0"
printf 'tarball\n' >"$T/srv/tb-1.0/data.txt"
tar -C "$T/srv" -czf "$T/srv/tb-1.0.tar.gz" tb-1.0
hex=$(sha256sum "$T/srv/tb-1.0.tar.gz" | cut -c1-64)
write "$R/tb/package.yaml" <<EOF
name: tb
version: "1.0"
kind: library
summary: a url source
sources:
  - url: file://$T/srv/tb-1.0.tar.gz
    sha256: $hex
build: |
  mkdir -p "\$PKG_DESTDIR\$PKG_PREFIX/share/tb"
  cp data.txt "\$PKG_DESTDIR\$PKG_PREFIX/share/tb/"
EOF

# snap: name, mtime and inode of every archive and source in the store
snap() {
	find "$S/pkgs" "$S/sources" -type f -exec stat -c '%n %.9Y %i' {} + | sort
}

B1=$T/b1
B2=$T/b2
pkggen -R "$R" -B "$B1" --store "$S" hello mid tb >/dev/null
run run_ninja "$B1"
[ "$rc" = 0 ] || fail "ninja in b1 failed ($rc):
$out"
shared="hello libgreet base mid tb"
for p in $shared; do
	# pkgid BUILDDIR looks in BUILDDIR/store, and $S is $T/store
	[ -f "$B1/log/$(pkgid "$T" "$p").build.log" ] || fail "b1 did not build $p"
done
before=$(snap)

pkggen -R "$R" -B "$B2" --store "$S" hello mid tb extra >/dev/null
run run_ninja "$B2"
[ "$rc" = 0 ] || fail "ninja in b2 failed ($rc):
$out"
for p in $shared; do
	id=$(pkgid "$T" "$p")
	[ ! -e "$B2/log/$id.build.log" ] || fail "b2 built $id again (it is in the store):
$(cat "$B2/log/$id.build.log")"
	[ -e "$B2/.pkggen/done/$id" ] || fail "b2 did not record adopting $id"
done
eid=$(pkgid "$T" extra)
[ -f "$B2/log/$eid.build.log" ] || fail "no build log for extra in b2"
# everything b1 put in the store is as it was (the extra archive is new)
after=$(snap | grep -v "/$eid.tar.zst ")
[ "$after" = "$before" ] || fail "b2 rewrote store files:
before:
$before
after:
$after"
assert_contains "$out" "BUILD ../store/pkgs/extra--"
assert_no_work "$B2"
assert_no_work "$B1"

# both active sets work
out=$(in_active "$B1" hello b1)
assert_contains "$out" "Hello, b1!"
out=$(in_active "$B2" hello b2)
assert_contains "$out" "Hello, b2!"
[ "$(cat "$B1/env/active/share/tb/data.txt")" = tarball ] || fail "b1: no tb"
[ "$(cat "$B2/env/active/share/tb/data.txt")" = tarball ] || fail "b2: no tb"
[ "$(cat "$B2/env/active/share/extra/extra.txt")" = "extra 1.0" ] || fail "b2: no extra"
[ ! -e "$B1/env/active/share/extra" ] || fail "b1's active set holds b2's extra"

# b1 goes away; b2 keeps working, and rebuilds nothing
chmod -R u+w "$B1"
rm -rf "$B1"
out=$(env -u LD_LIBRARY_PATH "$B2/env/active/bin/hello" again)
assert_contains "$out" "Hello, again!"
assert_no_work "$B2"
