#!/bin/sh
# SPDX-License-Identifier: MIT
# t031-reproducible: the same packages (builtin hello and libgreet, compiled
# from C, a url tarball and a path source with odd modes) built twice from
# scratch at the same build directory and store paths give the same ids and
# byte-identical archives, even with new source mtimes and another umask;
# the archives are deterministic (SPEC §6); `pkggen --jobs 1` and `--jobs 2`
# give the same ids
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need python3 zstd cc

R=$T/repo
B=$T/build
mkrepo "$R"
mkdir -p "$T/srv" "$T/src/tb-1.0"
printf 'from a tarball\n' >"$T/src/tb-1.0/data.txt"
tar -C "$T/src" -czf "$T/srv/tb-1.0.tar.gz" tb-1.0
hex=$(sha256sum "$T/srv/tb-1.0.tar.gz" | cut -c1-64)
write "$R/tb/package.yaml" <<EOF
name: tb
version: "1.0"
kind: application
summary: a tarball, a C program, files with assorted modes
depends: [ "libgreet" ]
sources:
  - url: file://$T/srv/tb-1.0.tar.gz
    sha256: $hex
  - path: files/
build: |
  set -e
  d="\$PKG_DESTDIR\$PKG_PREFIX"
  mkdir -p "\$d/bin" "\$d/share/tb/sub" "\$d/lib"
  \${CC:-cc} -O2 -o "\$d/bin/tb" tb.c \${LDFLAGS:-} -lgreet
  cp data.txt private.txt "\$d/share/tb/"
  cp script.sh "\$d/bin/tb-script"
  echo new >"\$d/share/tb/sub/made-here"
  ln -s ../share/tb/data.txt "\$d/lib/link"
EOF
mkdir -p "$R/tb/files"
cat >"$R/tb/files/tb.c" <<'EOF'
#include <stdio.h>
void greet(const char *who);
int main(void) { puts("tb"); greet("tb"); return 0; }
EOF
printf '#!/bin/sh\necho script\n' >"$R/tb/files/script.sh"
chmod 755 "$R/tb/files/script.sh"
printf 'secret\n' >"$R/tb/files/private.txt"
chmod 600 "$R/tb/files/private.txt"

# build_all [PKGGEN-ARG...]: from scratch, at the same paths
build_all() {
	if [ -d "$B" ]; then
		chmod -R u+w "$B"
		rm -rf "$B"
	fi
	pkggen -R "$R" -B "$B" "$@" hello tb >/dev/null
	run run_ninja "$B"
	[ "$rc" = 0 ] || fail "ninja failed ($rc):
$out"
}

# ids: the ids of the generated build, sorted
ids() {
	for _m in "$B"/.pkggen/pkg/*.json; do
		basename "$_m" .json
	done | sort
}

# sums: every archive's name and sha256
sums() {
	(cd "$B/store/pkgs" && sha256sum ./*.tar.zst)
}

build_all --jobs 2
ids1=$(ids)
sums1=$(sums)
[ "$(echo "$ids1" | wc -l)" = 3 ] || fail "expected 3 packages: $ids1"
out=$(in_active "$B" tb)
assert_contains "$out" "tb"
out=$(in_active "$B" tb-script)
assert_contains "$out" "script"
mkdir "$T/first"
cp "$B"/store/pkgs/*.tar.zst "$T/first/"

# the archives are deterministic: sorted entries, mtime SOURCE_DATE_EPOCH,
# owner 0:0 with no names, normalized modes, pkginfo.json at the root
for a in "$B"/store/pkgs/*.tar.zst; do
	zstd -dcq "$a" >"$T/a.tar" || fail "$a is not zstd"
	python3 - "$T/a.tar" "$(basename "$a")" <<'EOF' || fail "$(basename "$a") is not deterministic"
import sys, tarfile
path, name = sys.argv[1:]
bad = []
with tarfile.open(path) as tf:
    members = tf.getmembers()
names = [m.name.rstrip("/") for m in members]
if "pkginfo.json" not in names:
    bad.append("no pkginfo.json at the root")
if names != sorted(names):
    bad.append("entries not sorted: %s" % names)
for m in members:
    if m.mtime != 315532800:
        bad.append("%s: mtime %d" % (m.name, m.mtime))
    if m.uid or m.gid or m.uname or m.gname:
        bad.append("%s: owner %d:%d %r:%r" % (m.name, m.uid, m.gid, m.uname, m.gname))
    if m.isdir() and m.mode != 0o755:
        bad.append("%s: dir mode %o" % (m.name, m.mode))
    if m.isfile() and m.mode not in (0o644, 0o755):
        bad.append("%s: file mode %o" % (m.name, m.mode))
for b in bad:
    print("%s: %s" % (name, b), file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
done

# the tree a build leaves as STORE/ID is what unpacking its archive gives:
# the same entries, bytes, symlinks, modes and mtimes
trees_as_archives() {
	for a in "$B"/store/pkgs/*.tar.zst; do
		id=$(basename "$a" .tar.zst)
		zstd -dcq "$a" >"$T/a.tar" || fail "$a is not zstd"
		python3 - "$T/a.tar" "$B/store/$id" <<'EOF' || fail "store/$id is not its archive unpacked"
import os, stat, sys, tarfile
path, root = sys.argv[1:]
bad, seen = [], set()
with tarfile.open(path) as tf:
    for m in tf.getmembers():
        name = m.name.rstrip("/")
        seen.add(name)
        p = os.path.join(root, name)
        try:
            st = os.lstat(p)
        except OSError as e:
            bad.append("%s: %s" % (name, e))
            continue
        if int(st.st_mtime) != m.mtime:
            bad.append("%s: mtime %d, archive %d" % (name, st.st_mtime, m.mtime))
        if m.issym():
            if not stat.S_ISLNK(st.st_mode) or os.readlink(p) != m.linkname:
                bad.append("%s: not the symlink to %s" % (name, m.linkname))
            continue
        if stat.S_IMODE(st.st_mode) != m.mode:
            bad.append("%s: mode %o, archive %o" % (name, stat.S_IMODE(st.st_mode), m.mode))
        if m.isfile() and open(p, "rb").read() != tf.extractfile(m).read():
            bad.append("%s: other bytes" % name)
for d, dirs, files in os.walk(root):
    for n in dirs + files:
        rel = os.path.relpath(os.path.join(d, n), root)
        if rel not in seen:
            bad.append("%s: not in the archive" % rel)
for b in bad:
    print("store/%s: %s" % (os.path.basename(root), b), file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
	done
}
trees_as_archives

# again from scratch: new mtimes on every input, another umask
sleep 1
find "$R" "$T/srv" -exec touch {} +
umask 027
build_all --jobs 2
umask 022
trees_as_archives
[ "$(ids)" = "$ids1" ] || fail "the ids changed:
$ids1
---
$(ids)"
[ "$(sums)" = "$sums1" ] || fail "the archives differ:
$sums1
---
$(sums)"
for a in "$T"/first/*.tar.zst; do
	cmp "$a" "$B/store/pkgs/$(basename "$a")" || fail "$(basename "$a") differs"
done

# --jobs changes how a package is built, not what: the same ids
build_all --jobs 1
[ "$(ids)" = "$ids1" ] || fail "--jobs 1 gave other ids than --jobs 2:
$ids1
---
$(ids)"
[ "$(sums)" = "$sums1" ] || fail "--jobs 1 gave other archives:
$sums1
---
$(sums)"
pkggen -R "$R" -B "$B" --jobs 2 hello tb >/dev/null
[ "$(ids)" = "$ids1" ] || fail "--jobs 2 gave other ids"
assert_contains "$(cat "$B"/.pkggen/pkg/tb--*.json)" '"jobs":2'
