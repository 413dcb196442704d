#!/bin/sh
# SPDX-License-Identifier: MIT
# t020-unsafe-archive: source tarballs (crafted with python3's tarfile) that
# try to write outside the directory they are unpacked in, through '..', an
# absolute path, an escaping symlink (plain, and one that escapes only once
# the symlinks it goes through are followed) or a hard link to a file
# outside, are refused naming the entry, and nothing is written outside; a
# package archive in the store with such entries is refused by activate; a
# build that installs a symlink pointing outside its package fails to package
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need python3 zstd

R=$T/repo
B=$T/build
mkrepo "$R"
mkdir -p "$T/srv" "$T/outside"
printf 'original\n' >"$T/outside/victim"
# the would-be targets, all of which must still be absent at the end
evil_tmp=${TMPDIR:-/tmp}/pkgtool-e2e-evil-$$
evil_abs=$evil_tmp-abs
evil_chain=$evil_tmp-chain
evil_act=$evil_tmp-act
rm -f "$evil_abs" "$evil_chain" "$evil_act"

# no_escape: nothing landed where the archives aimed
no_escape() {
	for _f in "$evil_abs" "$evil_chain" "$evil_act"; do
		if [ -e "$_f" ] || [ -L "$_f" ]; then
			rm -rf "$_f"
			fail "$1: an archive wrote $_f"
		fi
	done
	_found=$(find "$T" / -xdev -maxdepth 1 -name 'evil-*' 2>/dev/null || :)
	_found="$_found$(find "$T" -name 'pwned*' 2>/dev/null || :)"
	[ -z "$_found" ] || fail "$1: an archive wrote outside: $_found"
	[ "$(cat "$T/outside/victim")" = original ] || fail "$1: $T/outside/victim was overwritten"
	for _f in "$T/outside"/* "$T/outside"/.[!.]*; do
		case $_f in
		*/victim | */'.[!.]*' | */'*') ;;
		*) fail "$1: $_f appeared in $T/outside" ;;
		esac
	done
}

# craft NAME KIND: $T/srv/NAME.tar.gz, a top directory NAME-1.0/ (stripped
# by strip: 1) with a good file, then the attack of KIND
craft() {
	python3 - "$T/srv/$1.tar.gz" "$1-1.0" "$2" "$T" "$evil_abs" "$evil_chain" <<'EOF'
import io, sys, tarfile
out, top, kind, tdir, evil_abs, evil_chain = sys.argv[1:]

def reg(tf, name, data=b"pwned\n"):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mode = 0o644
    tf.addfile(ti, io.BytesIO(data))

def link(tf, name, target, typ=tarfile.SYMTYPE):
    ti = tarfile.TarInfo(name)
    ti.type = typ
    ti.linkname = target
    tf.addfile(ti)

def dir_(tf, name):
    ti = tarfile.TarInfo(name)
    ti.type = tarfile.DIRTYPE
    ti.mode = 0o755
    tf.addfile(ti)

up = "../" * 30
with tarfile.open(out, "w:gz", format=tarfile.GNU_FORMAT) as tf:
    dir_(tf, top)
    reg(tf, top + "/good.txt", b"good\n")
    if kind == "dotdot":
        reg(tf, top + "/" + up + tdir.lstrip("/") + "/evil-dotdot")
    elif kind == "abs":
        reg(tf, evil_abs)
    elif kind == "symlink":
        link(tf, top + "/esc", tdir + "/outside")
        reg(tf, top + "/esc/pwned-abs-link")
    elif kind == "relsymlink":
        link(tf, top + "/esc", up + tdir.lstrip("/") + "/outside")
        reg(tf, top + "/esc/pwned-rel-link")
    elif kind == "chain":
        # d1/../d20/l -> the top; m -> d1/../d20/l/.. x20 stays inside when
        # read as text (it ends at d1) but is "/" when l is followed
        deep = "/".join("d%d" % i for i in range(1, 21))
        for i in range(1, 21):
            dir_(tf, top + "/" + "/".join("d%d" % j for j in range(1, i + 1)))
        link(tf, top + "/" + deep + "/l", "../" * 20)
        link(tf, top + "/m", deep + "/l" + "/.." * 20)
        reg(tf, top + "/m" + evil_chain)
    elif kind == "hardlink":
        link(tf, top + "/hl", tdir + "/outside/victim", tarfile.LNKTYPE)
    elif kind == "relhardlink":
        link(tf, top + "/hl", up + tdir.lstrip("/") + "/outside/victim", tarfile.LNKTYPE)
    else:
        sys.exit("unknown kind " + kind)
EOF
}

# recipe NAME: a package unpacking $T/srv/NAME.tar.gz
recipe() {
	_hex=$(sha256sum "$T/srv/$1.tar.gz" | cut -c1-64)
	write "$R/$1/package.yaml" <<EOF
name: $1
version: "1.0"
kind: library
summary: an unsafe tarball ($1)
sources:
  - url: file://$T/srv/$1.tar.gz
    sha256: $_hex
build: |
  mkdir -p "\$PKG_DESTDIR\$PKG_PREFIX/share"
  cp good.txt "\$PKG_DESTDIR\$PKG_PREFIX/share/$1.txt"
EOF
}

kinds="dotdot abs symlink relsymlink chain hardlink relhardlink"
for k in $kinds; do
	craft "u$k" "$k"
	recipe "u$k"
done
# the control: the same shape without an attack builds (so a failure below
# is the refusal, not a broken fixture)
python3 - "$T/srv/uok.tar.gz" <<'EOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w:gz") as tf:
    for name, data in (("uok-1.0/good.txt", b"good\n"),):
        ti = tarfile.TarInfo(name)
        ti.size = len(data)
        tf.addfile(ti, io.BytesIO(data))
    ti = tarfile.TarInfo("uok-1.0/inside")
    ti.type = tarfile.SYMTYPE
    ti.linkname = "good.txt"
    tf.addfile(ti)
EOF
recipe uok
ukinds=$(for k in $kinds; do echo "u$k"; done)
# shellcheck disable=SC2086 # one word per kind
pkggen -R "$R" -B "$B" uok $ukinds >/dev/null
run run_ninja "$B" pkg/uok
[ "$rc" = 0 ] || fail "the control package failed ($rc):
$out"

# the entry each refusal must name
entry() {
	case $1 in
	dotdot) echo "evil-dotdot" ;;
	abs) echo "$evil_abs" ;;
	symlink | relsymlink) echo "u$1-1.0/esc" ;;
	chain) echo "u$1-1.0/m" ;;
	hardlink | relhardlink) echo "u$1-1.0/hl" ;;
	esac
}
for k in $kinds; do
	expect_fail 1 run_ninja "$B" "pkg/u$k"
	assert_contains "$out" "BUILD store/pkgs/u$k--"
	assert_contains "$out" "$(entry "$k")"
	assert_contains "$out" "refusing"
	no_escape "$k"
	[ -z "$(ls "$B/store/pkgs/u$k--"* 2>/dev/null)" ] || fail "$k: a package was made"
done

# a package archive in the store with unsafe entries: activate refuses it.
# It stands where the build of an innocent package would put its archive, so
# the build step takes it as a cache hit and activate must unpack it.
mkpkg "$R" innocent 1.0
B2=$T/b2
pkggen -R "$R" -B "$B2" innocent >/dev/null
iid=$(basename "$(ls "$B2"/.pkggen/pkg/innocent--*.json)" .json)
mkdir -p "$B2/store/pkgs"
python3 - "$T/innocent.tar" "$iid" "$T" "$evil_act" <<'EOF'
import io, json, sys, tarfile
out, pid, tdir, evil = sys.argv[1:]
info = json.dumps({"name": "innocent", "version": "1.0", "id": pid, "kind": "library",
                   "variant": None, "depends": [], "env": {}, "files": {}, "links": {}}).encode()
with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as tf:
    for name, data in (("pkginfo.json", info), ("../" * 30 + tdir.lstrip("/") + "/evil-act", b"x"),
                       (evil, b"x")):
        ti = tarfile.TarInfo(name)
        ti.size = len(data)
        tf.addfile(ti, io.BytesIO(data))
EOF
zstd -q -f "$T/innocent.tar" -o "$B2/store/pkgs/$iid.tar.zst"
run run_ninja "$B2"
[ "$rc" != 0 ] || fail "activate accepted a package with unsafe entries:
$out"
assert_contains "$out" "refusing"
assert_contains "$out" "evil-act"
no_escape "activate"
[ ! -e "$B2/store/$iid/pkginfo.json" ] || fail "the unsafe package was extracted into the store"

# a build that installs a symlink pointing outside its package fails to package
for how in abs rel; do
	case $how in
	abs) target=/etc/passwd ;;
	rel) target=../../../../../../../../../../../../../../../../etc/passwd ;;
	esac
	write "$R/badlink$how/package.yaml" <<EOF
name: badlink$how
version: "1.0"
kind: library
summary: installs a symlink that leaves the package
sources:
  - path: files/
build: |
  mkdir -p "\$PKG_DESTDIR\$PKG_PREFIX/share"
  ln -s "$target" "\$PKG_DESTDIR\$PKG_PREFIX/share/escape"
EOF
	mkdir -p "$R/badlink$how/files"
	echo x >"$R/badlink$how/files/x"
	B3=$T/b3$how
	pkggen -R "$R" -B "$B3" "badlink$how" >/dev/null
	expect_fail 1 run_ninja "$B3"
	assert_contains "$out" "share/escape"
	assert_contains "$out" "$target"
	assert_contains "$out" "outside the package"
	[ -z "$(ls "$B3/store/pkgs/" 2>/dev/null)" ] || fail "$how: a package was made: $(ls "$B3/store/pkgs")"
done

# ...while a symlink inside the package, even an absolute one naming
# PKG_PREFIX, is kept (made relative)
write "$R/goodlink/package.yaml" <<'EOF'
name: goodlink
version: "1.0"
kind: library
summary: installs symlinks that stay inside the package
sources:
  - path: files/
build: |
  d="$PKG_DESTDIR$PKG_PREFIX"
  mkdir -p "$d/share/goodlink" "$d/lib"
  echo hello >"$d/share/goodlink/file.txt"
  ln -s ../share/goodlink/file.txt "$d/lib/rel"
  ln -s "$PKG_PREFIX/share/goodlink/file.txt" "$d/lib/abs"
EOF
mkdir -p "$R/goodlink/files"
echo x >"$R/goodlink/files/x"
B4=$T/b4
pkggen -R "$R" -B "$B4" goodlink >/dev/null
run run_ninja "$B4"
[ "$rc" = 0 ] || fail "a package with inside symlinks failed ($rc):
$out"
gid=$(pkgid "$B4" goodlink)
[ "$(cat "$B4/store/$gid/lib/rel")" = hello ] || fail "lib/rel does not resolve"
[ "$(cat "$B4/store/$gid/lib/abs")" = hello ] || fail "lib/abs does not resolve"
case $(readlink "$B4/store/$gid/lib/abs") in
/*) fail "lib/abs kept an absolute target: $(readlink "$B4/store/$gid/lib/abs")" ;;
esac
no_escape "end"
