#!/bin/sh
# SPDX-License-Identifier: MIT
# t030-incremental: a <- b <- c (c depends on b, b on a) and an unrelated d.
# Nothing changed: no work. A build script edit rebuilds that package and its
# dependents only. A summary edit or a comment rebuilds nothing (only REGEN),
# nor does an empty env or patches list, or strip on a path source.
# A touched source file re-runs only pkggen; a build that re-runs makes a
# byte-identical archive, which stops the graph there (restat). A url source moved to another URL with the
# same sha256 re-runs only its fetch, which downloads nothing. A file added
# to a path source and removed again, and a pkggen run by hand.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need python3

R=$T/repo
B=$T/build
mkrepo "$R"
mkdir -p "$T/srv/one" "$T/srv/two"
printf 'url data\n' >"$T/srv/one/data.txt"
cp "$T/srv/one/data.txt" "$T/srv/two/data.txt"
hex=$(sha256sum "$T/srv/one/data.txt" | cut -c1-64)
start_http "$T/srv"
http_log=$T/.lib/http.1.log
base="http://127.0.0.1:$HTTP_PORT"

mkpkg "$R" b 1.0 "a >= 1.0"
mkpkg "$R" c 1.0 b
mkpkg "$R" d 1.0
# a: a path source and a url source (a plain file, copied under its name)
mkdir -p "$R/a/files"
printf 'a 1.0\n' >"$R/a/files/a.txt"
write "$R/a/package.yaml" <<EOF
name: a
version: "1.0"
kind: library
summary: the bottom of the chain
sources:
  - path: files/
  - url: $base/one/data.txt
    sha256: $hex
build: |
  mkdir -p "\$PKG_DESTDIR\$PKG_PREFIX/share/a"
  cp a.txt data.txt "\$PKG_DESTDIR\$PKG_PREFIX/share/a/"
EOF

# mtime FILE: its modification time, in nanoseconds
mtime() {
	stat -c %.9Y "$1"
}

# snap: every archive's name and mtime (nanoseconds), one a line
snap() {
	for _f in "$B"/store/pkgs/*.tar.zst; do
		printf '%s %s\n' "$(basename "$_f")" "$(mtime "$_f")"
	done
}

# count FILE...: how many of the FILEs exist
count() {
	_n=0
	for _f in "$@"; do
		[ -e "$_f" ] && _n=$((_n + 1))
	done
	echo "$_n"
}

# edit: wait so that an edit is newer than build.ninja (mtime granularity)
edit() {
	sleep 0.05
}

# ninja_ok: run ninja, which must succeed
ninja_ok() {
	run run_ninja "$B"
	[ "$rc" = 0 ] || fail "ninja failed ($rc) after: $1
$out"
}

# ran_only WHAT OUT...: the last run executed exactly the edges with outputs
# OUT... (shell patterns, in ninja_ran's sorted order)
ran_only() {
	_what=$1
	shift
	_ran=$(ninja_ran "$B")
	_n=0
	for _o in $_ran; do
		_n=$((_n + 1))
	done
	[ "$_n" = $# ] || fail "$_what: expected $# edges to run ($*); ran:
$_ran"
	assert_ran "$B" "$@"
}

pkggen -R "$R" -B "$B" c d >/dev/null
ninja_ok "the first build"
assert_ran "$B" '*pkgs/a--*' '*pkgs/b--*' '*pkgs/c--*' '*pkgs/d--*'
assert_no_work "$B"
grep -q 'GET /one/data.txt' "$http_log" || fail "data.txt was not downloaded"
ida=$(pkgid "$B" a)
idd=$(pkgid "$B" d)

# 1. b's build script changes: b and c rebuild (new ids), a and d do not
edit
# shellcheck disable=SC2016 # $PKG_... are for the build script
sed -i 's|^  cp -R \. |  echo v2 >"$PKG_DESTDIR$PKG_PREFIX/share/b/extra"\n  cp -R . |' \
	"$R/b/package.yaml"
grep -q 'echo v2' "$R/b/package.yaml" || fail "the edit of b did not apply"
ma=$(mtime "$B/store/pkgs/$ida.tar.zst")
ninja_ok "editing b's build script"
assert_ran "$B" build.ninja '*pkgs/b--*' '*pkgs/c--*' '*activate*'
assert_not_ran "$B" '*pkgs/a--*' '*pkgs/d--*' '*sources/*'
[ "$(pkgid "$B" a)" = "$ida" ] || fail "a's id changed"
[ "$(count "$B"/store/pkgs/b--*)" = 2 ] || fail "b got no new id: $(ls "$B/store/pkgs")"
[ "$(count "$B"/store/pkgs/c--*)" = 2 ] || fail "c got no new id (Merkle ids): $(ls "$B/store/pkgs")"
[ "$(mtime "$B/store/pkgs/$ida.tar.zst")" = "$ma" ] || fail "a's archive was rewritten"
[ "$(cat "$B/env/active/share/b/extra")" = v2 ] || fail "the active b is not the new one"
assert_no_work "$B"

# 2. b's summary (runtime only): only pkggen re-runs
edit
sed -i 's/^summary: .*/summary: a new summary for b/' "$R/b/package.yaml"
before=$(snap)
ninja_ok "editing b's summary"
ran_only "editing b's summary" build.ninja
[ "$(snap)" = "$before" ] || fail "editing a summary touched archives"
assert_no_work "$B"

# 3. a comment in a's recipe: only pkggen re-runs
edit
printf '# a comment that changes nothing\n' >>"$R/a/package.yaml"
sed -i '1i # and one at the top' "$R/a/package.yaml"
ninja_ok "commenting a's recipe"
ran_only "commenting a's recipe" build.ninja
[ "$(snap)" = "$before" ] || fail "a comment touched archives"
assert_no_work "$B"

# 3b. what cannot change a build: an empty env and patches list, and strip
# on a path source (which is copied as it is): the same id, only pkggen re-runs
edit
sed -i 's|^  - path: files/$|  - path: files/\n    strip: 2|' "$R/a/package.yaml"
printf 'env: {}\npatches: []\n' >>"$R/a/package.yaml"
grep -q '^    strip: 2$' "$R/a/package.yaml" || fail "the strip edit did not apply"
ninja_ok "an empty env and patches and a path source's strip in a's recipe"
ran_only "an empty env and patches and a path source's strip" build.ninja
[ "$(snap)" = "$before" ] || fail "an empty env, patches or a path source's strip touched archives"
assert_no_work "$B"

# 4. a's source file touched (same content): pkggen re-runs and finds the
# same id, so nothing else runs. Then a's step made to re-run (its manifest
# touched): its archive is byte-identical, so nothing after it (b, c,
# activate) runs (restat)
edit
touch "$R/a/files/a.txt"
ninja_ok "touching a's source file"
ran_only "touching a's source file" build.ninja
edit
touch "$B/.pkggen/pkg/$ida.json"
cp "$B/store/pkgs/$ida.tar.zst" "$T/a-before.tar.zst"
ninja_ok "re-running a's build"
ran_only "re-running a's build" "*pkgs/$ida.tar.zst"
cmp "$B/store/pkgs/$ida.tar.zst" "$T/a-before.tar.zst" || fail "a's archive changed"
[ "$(snap)" = "$before" ] || fail "archives were rewritten:
before: $before
after:  $(snap)"
assert_no_work "$B"

# 5. a's url source moves to another URL with the same sha256: only its fetch
# re-runs (no download: the store has it) and nothing after it
edit
sed -i "s|$base/one/data.txt|$base/two/data.txt|" "$R/a/package.yaml"
grep -q "$base/two/data.txt" "$R/a/package.yaml" || fail "the URL edit did not apply"
ninja_ok "moving a's url source"
ran_only "moving a's url source" build.ninja "*sources/sha256/$hex"
[ "$(snap)" = "$before" ] || fail "moving a URL touched archives"
if grep -q 'GET /two/' "$http_log"; then
	fail "the moved URL was downloaded though the store holds its content"
fi
[ "$(pkgid "$B" d)" = "$idd" ] || fail "d's id changed"
assert_no_work "$B"

# 6. a file added to d's path source, then removed: the removed file is an
# input of build.ninja that is gone, which re-runs pkggen (Ninja does not stop
# at a missing input), and d goes back to its first id, whose archive the
# store still holds: nothing is built, d's first archive is active again
edit
echo extra >"$R/d/files/extra.txt"
ninja_ok "adding a file to d's source"
assert_ran "$B" build.ninja '*pkgs/d--*' '*activate*'
[ -e "$B/env/active/share/d/extra.txt" ] || fail "the active d has no extra.txt"
edit
rm "$R/d/files/extra.txt"
ninja_ok "removing that file"
ran_only "removing that file" build.ninja '*activate*'
[ ! -e "$B/env/active/share/d/extra.txt" ] || fail "the active d still has extra.txt"
assert_no_work "$B"

# 7. pkggen run by hand with nothing changed: the next ninja has no work
pkggen -R "$R" -B "$B" c d >/dev/null
assert_no_work "$B"
