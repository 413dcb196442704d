#!/bin/sh
# SPDX-License-Identifier: MIT
# t032-pkggen-parallel: pkggen loads recipes, hashes path sources and writes
# manifests on several threads. Whatever the thread count, it writes the same
# files and reports the same errors in the same order. Its caches (a path
# source directory's listing and a file's hash by inode, size and mtime; an id
# by what it is made from; a manifest by its inputs) never hide a change: a
# file added to a path source right after a run, or much later, changes the
# id; an edited build script changes it; a comment does not.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

R=$T/repo
B=$T/build
mkrepo "$R"
# 40 packages, each depending on up to three earlier ones
i=0
while [ $i -lt 40 ]; do
	deps=""
	for k in 1 7 13; do
		[ $i -ge $k ] && [ $(((i * 5 + k) % 3)) != 0 ] && deps="$deps q$(printf %02d $((i - k)))"
	done
	# shellcheck disable=SC2086
	mkpkg "$R" "q$(printf %02d $i)" "1.$i" $deps
	i=$((i + 1))
done
mkdir -p "$R/q05/files/sub/deeper"
echo nested >"$R/q05/files/sub/deeper/n.txt"
names=$(cd "$R" && ls)

# gen THREADS [keep]: pkggen on every package into a new $B (or the same
# one, and its caches, with keep); what it wrote in $T/out.THREADS
gen() {
	[ "${2:-}" = keep ] || rm -rf "$B"
	# shellcheck disable=SC2086
	PKGGEN_THREADS=$1 pkggen -R "$R" -B "$B" $names
	(cd "$B" && cat build.ninja .pkggen/activate.json && for f in .pkggen/pkg/*.json; do
		echo "== $f"
		cat "$f"
	done) >"$T/out.$1"
}
gen 1
gen 4
cmp -s "$T/out.1" "$T/out.4" || fail "one thread and four wrote different files:
$(diff "$T/out.1" "$T/out.4" | head -20)"
gen 2
cmp -s "$T/out.1" "$T/out.2" || fail "one thread and two wrote different files"

# the same errors, in the same order, from broken recipes that name each other
E=$T/broken
mkrepo "$E"
i=0
while [ $i -lt 12 ]; do
	mkpkg "$E" "e$i" "1.0" "e$(((i + 1) % 12))"
	i=$((i + 1))
done
printf 'colour: blue\n' >>"$E/e3/package.yaml"
sed -i 's/^version: .*/version: "x1"/' "$E/e7/package.yaml"
sed -i 's/^depends: .*/depends: [ "nosuch >= 1" ]/' "$E/e9/package.yaml"
for t in 1 4; do
	run env PKGGEN_THREADS=$t "$BIN/pkggen" -R "$E" -B "$T/eb" e0 e5 e10
	echo "rc=$rc" >"$T/err.$t"
	echo "$out" >>"$T/err.$t"
done
cmp -s "$T/err.1" "$T/err.4" || fail "one thread and four reported differently:
$(diff "$T/err.1" "$T/err.4")"
assert_contains "$(cat "$T/err.1")" "rc=2"
assert_contains "$(cat "$T/err.1")" "unknown key 'colour'"
assert_contains "$(cat "$T/err.1")" "unknown package 'nosuch'"
[ ! -e "$T/eb/build.ninja" ] || fail "build.ninja written despite errors"

# id of q05 in $B
q05() {
	ls "$B/.pkggen/pkg" | sed -n 's/^\(q05--.*\)\.json$/\1/p'
}
gen 2 keep
first=$(q05)
# a file added at once, while the directory's mtime is too recent to trust
echo more >"$R/q05/files/more.txt"
gen 2 keep
second=$(q05)
[ "$first" != "$second" ] || fail "a file added to a path source left the id at $first"
# later, when the listing has been cached, another file and a nested one
sleep 3
gen 2 keep
[ "$(q05)" = "$second" ] || fail "the id moved with nothing changed"
echo again >"$R/q05/files/again.txt"
gen 2 keep
third=$(q05)
[ "$third" != "$second" ] || fail "a file added to a cached directory listing left the id"
sleep 3
gen 2 keep
echo deeper >"$R/q05/files/sub/deeper/d2.txt"
gen 2 keep
fourth=$(q05)
[ "$fourth" != "$third" ] || fail "a file added to a nested directory left the id"
rm "$R/q05/files/more.txt"
gen 2 keep
[ "$(q05)" != "$fourth" ] || fail "a removed file left the id"

# a comment keeps the id (the cached one is not taken: the file changed);
# a build script edit moves it
before=$(q05)
echo "# a comment" >>"$R/q05/package.yaml"
gen 2 keep
[ "$(q05)" = "$before" ] || fail "a comment changed the id"
sed -i 's/cp -R \./cp -pR ./' "$R/q05/package.yaml"
gen 2 keep
[ "$(q05)" != "$before" ] || fail "a build script edit left the id"
echo "ok"
