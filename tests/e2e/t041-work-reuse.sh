#!/bin/sh
# SPDX-License-Identifier: MIT
# t041-work-reuse: a successful build leaves BUILDDIR/work/ID emptied down to
# its directories as a spare, and the next build that takes it sees nothing
# of the last one: not its sources, HOME, TMPDIR, read-only directories, files
# outside the prefix in PKG_DESTDIR or next to src/; a build with
# PKGTOOL_KEEP_WORK=1 keeps its tree, a failed build keeps its tree
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

R=$T/repo
B=$T/build
mkrepo "$R"

# messy leaves everything it can behind; tidy (built after it, -j1) checks
# that its tree is clean, and its own files are all that ends up packed
mkdir -p "$R/messy/files/sub" "$R/tidy/files"
echo messy >"$R/messy/files/sub/m.txt"
echo tidy >"$R/tidy/files/t.txt"
write "$R/messy/package.yaml" <<'EOF2'
name: messy
version: "1.0"
kind: library
summary: a build that leaves things around
sources:
  - path: files/
build: |
  echo h >"$HOME/junk"
  mkdir "$HOME/.cache" && echo c >"$HOME/.cache/x"
  echo t >"$TMPDIR/junk"
  mkdir -p "$PKG_DESTDIR/etc" && echo s >"$PKG_DESTDIR/etc/stray"
  echo n >"$PKG_DESTDIR$PKG_PREFIX/../next-to-prefix"
  echo w >../stray-in-work
  mkdir ro && echo r >ro/f && chmod 555 ro sub
  mkdir -p "$PKG_DESTDIR$PKG_PREFIX/share/messy"
  cp sub/m.txt "$PKG_DESTDIR$PKG_PREFIX/share/messy/"
EOF2
write "$R/tidy/package.yaml" <<'EOF2'
name: tidy
version: "1.0"
kind: library
summary: a build that checks its tree is clean
depends: [ "messy" ]
sources:
  - path: files/
build: |
  [ "$(ls -A)" = t.txt ] || { echo "src holds: $(ls -A)"; exit 1; }
  [ -z "$(ls -A "$HOME")" ] || { echo "HOME holds: $(ls -A "$HOME")"; exit 1; }
  [ -z "$(ls -A "$TMPDIR")" ] || { echo "TMPDIR holds: $(ls -A "$TMPDIR")"; exit 1; }
  [ "$(ls -A ..)" = "$(printf 'dest\nhome\nsrc\ntmp\n')" ] || { echo "work holds: $(ls -A ..)"; exit 1; }
  [ -z "$(ls -A "$PKG_DESTDIR$PKG_PREFIX")" ] || { echo "the prefix holds: $(ls -A "$PKG_DESTDIR$PKG_PREFIX")"; exit 1; }
  [ "$(ls -A "$PKG_DESTDIR$PKG_PREFIX/..")" = "$(basename "$PKG_PREFIX")" ] || { echo "the store dir holds: $(ls -A "$PKG_DESTDIR$PKG_PREFIX/..")"; exit 1; }
  [ ! -e "$PKG_DESTDIR/etc" ] || { echo "PKG_DESTDIR holds etc"; exit 1; }
  cp t.txt "$PKG_DESTDIR$PKG_PREFIX/"
EOF2

pkggen -R "$R" -B "$B" tidy >/dev/null
run run_ninja "$B" -j1
[ "$rc" = 0 ] || fail "ninja failed ($rc):
$out"
idm=$(pkgid "$B" messy)
idt=$(pkgid "$B" tidy)
# what was packed is the prefix only
files=$(zstd -dcq "$B/store/pkgs/$idt.tar.zst" | tar -tf - | sort | tr '\n' ' ')
[ "$files" = "pkginfo.json t.txt " ] || fail "tidy packed: $files"
# the trees are gone; one spare is left, holding the directories only
[ -z "$(ls "$B/work")" ] || fail "left in work/: $(ls "$B/work")"
n=$(find "$B/work" -mindepth 1 -maxdepth 1 -name '.spare-*' | wc -l)
[ "$n" = 1 ] || fail "$n spares in work/: $(ls -A "$B/work")"
spare=$(find "$B/work" -mindepth 1 -maxdepth 1 -name '.spare-*')
left=$(cd "$spare" && find . -type f -o -type l)
[ -z "$left" ] || fail "the spare holds files: $left"
[ -d "$spare/dest$B/store" ] || fail "the spare lacks dest$B/store"
[ -z "$(ls -A "$spare/dest$B/store")" ] || fail "the spare's store holds: $(ls -A "$spare/dest$B/store")"

# PKGTOOL_KEEP_WORK=1 keeps the tree and its content
PKGTOOL_KEEP_WORK=1 pkgtool build "$B/.pkggen/pkg/$idm.json" >/dev/null 2>&1 ||
	fail "pkgtool build messy failed"
[ -f "$B/work/$idm/src/sub/m.txt" ] || fail "PKGTOOL_KEEP_WORK=1 did not keep work/$idm"
[ -f "$B/work/$idm/dest$B/store/$idm/share/messy/m.txt" ] ||
	fail "PKGTOOL_KEEP_WORK=1 did not keep the built tree"

# a failed build keeps its tree for a look, the next build starts afresh
write "$R/tidy/package.yaml" <<'EOF2'
name: tidy
version: "1.0"
kind: library
summary: a build that fails
depends: [ "messy" ]
sources:
  - path: files/
build: |
  echo left >"$HOME/from-the-failure"
  exit 1
EOF2
pkggen -R "$R" -B "$B" tidy >/dev/null
idf=$(basename "$(grep -l from-the-failure "$B"/.pkggen/pkg/tidy--*.json)" .json)
expect_fail 1 run_ninja "$B" -j1
[ -f "$B/work/$idf/home/from-the-failure" ] || fail "a failed build did not keep work/$idf"
