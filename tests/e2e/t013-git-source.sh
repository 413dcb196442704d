#!/bin/sh
# SPDX-License-Identifier: MIT
# t013-git-source: a git source (a local repository made here, file:// URL,
# pinned to a full commit id) is fetched into STORE/sources/git/COMMIT.tar and
# built; refetching from scratch, after the repository moved on, gives the
# same tarball bytes; a branch name instead of a commit id is a pkggen error;
# a commit the repository lacks fails the fetch naming it
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need git

# a repository with fixed identities and dates, and no user configuration
G=$T/gitrepo
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
export GIT_AUTHOR_DATE='2001-02-03T04:05:06Z' GIT_COMMITTER_DATE='2001-02-03T04:05:06Z'
mkdir -p "$G/sub"
git -C "$G" init -q
printf 'from git\n' >"$G/payload.txt"
printf '#!/bin/sh\necho gitsrc tool\n' >"$G/sub/tool.sh"
chmod 755 "$G/sub/tool.sh"
git -C "$G" add .
git -C "$G" commit -q -m first
commit=$(git -C "$G" rev-parse HEAD)
[ ${#commit} = 40 ] || fail "odd commit id '$commit'"

R=$T/repo
mkrepo "$R"
write "$R/gitsrc/package.yaml" <<EOF
name: gitsrc
version: "1.0"
kind: application
summary: built from a git commit
sources:
  - git: file://$G
    commit: $commit
build: |
  set -e
  mkdir -p "\$PKG_DESTDIR\$PKG_PREFIX/share/gitsrc" "\$PKG_DESTDIR\$PKG_PREFIX/bin"
  cp payload.txt "\$PKG_DESTDIR\$PKG_PREFIX/share/gitsrc/"
  cp sub/tool.sh "\$PKG_DESTDIR\$PKG_PREFIX/bin/gitsrc-tool"
env:
  PATH: "{{prefix}}/bin"
EOF

B=$T/build
S=$B/store
tarball=$S/sources/git/$commit.tar
pkggen -R "$R" -B "$B" gitsrc >/dev/null
run run_ninja "$B"
[ "$rc" = 0 ] || fail "ninja failed ($rc):
$out"
assert_ran "$B" "*sources/git/$commit.tar" '*pkgs/gitsrc--1.0--*'
[ -f "$tarball" ] || fail "no $tarball: $(find "$S/sources")"
# a tarball with the leading directory src/ (so strip: 1 applies)
tar -tf "$tarball" >"$T/list" || fail "$tarball is not a tar archive"
grep -qx 'src/payload.txt' "$T/list" || fail "no src/payload.txt in $tarball: $(cat "$T/list")"
grep -qx 'src/sub/tool.sh' "$T/list" || fail "no src/sub/tool.sh in $tarball: $(cat "$T/list")"
[ -z "$(ls -A "$S/tmp" 2>/dev/null)" ] || fail "left in $S/tmp: $(ls -A "$S/tmp")"
out=$(in_active "$B" gitsrc-tool)
assert_contains "$out" "gitsrc tool"
[ "$(cat "$B/env/active/share/gitsrc/payload.txt")" = "from git" ] || fail "wrong payload"
id1=$(pkgid "$B" gitsrc)
cp "$tarball" "$T/first.tar"
cp "$S/pkgs/$id1.tar.zst" "$T/first.tar.zst"
assert_no_work "$B"

# the repository moves on (new commit, repacked); the pinned commit still
# gives the same tarball, fetched again into an empty store
printf 'changed\n' >"$G/payload.txt"
GIT_AUTHOR_DATE='2002-02-03T04:05:06Z' GIT_COMMITTER_DATE='2002-02-03T04:05:06Z' \
	git -C "$G" commit -q -a -m second
git -C "$G" gc -q --aggressive 2>/dev/null || :
sleep 1
chmod -R u+w "$B"
rm -rf "$B"
pkggen -R "$R" -B "$B" gitsrc >/dev/null
run run_ninja "$B"
[ "$rc" = 0 ] || fail "ninja from scratch failed ($rc):
$out"
assert_ran "$B" "*sources/git/$commit.tar"
cmp "$tarball" "$T/first.tar" || fail "the refetched tarball of $commit differs"
[ "$(pkgid "$B" gitsrc)" = "$id1" ] || fail "the id changed: $(pkgid "$B" gitsrc) != $id1"
cmp "$S/pkgs/$id1.tar.zst" "$T/first.tar.zst" || fail "the rebuilt archive differs"
[ "$(cat "$B/env/active/share/gitsrc/payload.txt")" = "from git" ] ||
	fail "built from the wrong commit: $(cat "$B/env/active/share/gitsrc/payload.txt")"

# a branch name where a commit id belongs is an error at generation time
sed "s/commit: $commit/commit: master/" "$R/gitsrc/package.yaml" >"$T/branch.yaml"
mkdir -p "$T/r2/gitsrc"
cp "$T/branch.yaml" "$T/r2/gitsrc/package.yaml"
expect_fail 2 pkggen -R "$T/r2" -B "$T/b2" gitsrc
assert_contains "$out" "$T/r2/gitsrc/package.yaml:"
assert_contains "$out" "master"
[ ! -e "$T/b2/build.ninja" ] || fail "pkggen wrote build.ninja despite the error"

# a well-formed commit id the repository does not have: the fetch says so
missing=0123456789abcdef0123456789abcdef01234567
sed "s/commit: $commit/commit: $missing/" "$R/gitsrc/package.yaml" >"$T/r2/gitsrc/package.yaml"
pkggen -R "$T/r2" -B "$T/b3" gitsrc >/dev/null
expect_fail 1 run_ninja "$T/b3"
assert_contains "$out" "pkgtool: fetch: "
assert_contains "$out" "$missing"
assert_contains "$out" "file://$G"
[ ! -e "$T/b3/store/sources/git/$missing.tar" ] || fail "a tarball for a missing commit"
[ -z "$(ls -A "$T/b3/store/tmp" 2>/dev/null)" ] || fail "left in store/tmp: $(ls -A "$T/b3/store/tmp")"

# pkgtool mirror copies every verified source of a build (SPEC §7), git
# tarballs too: with the repository gone, an empty store builds offline from
# the mirror alone
run pkgtool mirror "$B" "$T/mirror"
[ "$rc" = 0 ] || fail "pkgtool mirror failed ($rc):
$out"
mv "$G" "$T/gitrepo.gone"
B4=$T/b4
pkggen -R "$R" -B "$B4" gitsrc >/dev/null
export PKGTOOL_OFFLINE=1 PKGTOOL_MIRRORS="hashed=file://$T/mirror"
run run_ninja "$B4"
[ "$rc" = 0 ] || fail "an air-gapped build of a git source from pkgtool mirror's copy failed ($rc):
$out"
cmp "$B4/store/sources/git/$commit.tar" "$T/first.tar" || fail "the mirrored git tarball differs"
