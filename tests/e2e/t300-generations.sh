#!/bin/sh
# SPDX-License-Identifier: MIT
# t300-generations: the active set's history. Activate, add a package,
# deactivate with cascade, rollback, gc; a conflict is refused with the set
# unchanged, and so is a pkginfo.json path out of the generation; list,
# info, why and generations pinned; by-hand -B use.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

R=$T/repo
mkrepo "$R"
mkpkg "$R" zlib 1.3
mkpkg "$R" pigz 2.8 zlib
mkpkg "$R" app 1.0 pigz
mkpkg "$R" other 1.0 zlib
mkpkg "$R" lone 1.0
# imposter installs a file zlib also installs
mkdir -p "$R/imposter/files"
echo fake >"$R/imposter/files/zlib.txt"
write "$R/imposter/package.yaml" <<'EOF'
name: imposter
version: "1.0"
kind: library
summary: provides share/zlib/zlib.txt too
sources:
  - path: files/
build: |
  mkdir -p "$PKG_DESTDIR$PKG_PREFIX/share/zlib"
  cp zlib.txt "$PKG_DESTDIR$PKG_PREFIX/share/zlib/zlib.txt"
EOF
# env: values reach env.sh, {{prefix}} substituted
write "$R/tool/package.yaml" <<'EOF'
name: tool
version: "0.1"
kind: application
summary: a command and an env variable
depends: [ "zlib" ]
build: |
  mkdir -p "$PKG_DESTDIR$PKG_PREFIX/bin"
  printf '#!/bin/sh\necho tool says hi\n' >"$PKG_DESTDIR$PKG_PREFIX/bin/tool"
  chmod 755 "$PKG_DESTDIR$PKG_PREFIX/bin/tool"
env:
  TOOL_HOME: "{{prefix}}"
EOF

B=$T/b
S=$B/store
pkggen -R "$R" -B "$B" app other >/dev/null
run run_ninja "$B"
[ "$rc" = 0 ] || fail "ninja failed ($rc): $out"
zid=$(pkgid "$B" zlib)
pid=$(pkgid "$B" pigz)
aid=$(pkgid "$B" app)

# list: name, version, id, sorted by name
out=$(pkgtool -B "$B" list)
[ "$out" = "app    1.0  $aid
other  1.0  $(pkgid "$B" other)
pigz   2.8  $pid
zlib   1.3  $zid" ] || fail "list: $out"
# without -B: the current directory when it holds build.ninja
out=$(cd "$B" && pkgtool list --json)
assert_contains "$out" "\"id\": \"$zid\""

# why: every path from a root
out=$(pkgtool -B "$B" why zlib)
[ "$out" = "app -> pigz -> zlib
other -> zlib" ] || fail "why zlib: $out"
out=$(pkgtool -B "$B" why app)
[ "$out" = "app is a root" ] || fail "why app: $out"
out=$(pkgtool -B "$B" why --json pigz)
assert_contains "$out" '"root": false'

# info
out=$(pkgtool -B "$B" info pigz)
case $out in
"name:        pigz
version:     2.8
id:          $pid
kind:        library
depends:     $zid
env:         -
files:       1
size:        "*" bytes ($S/$pid)
archive:     "*" bytes ($S/pkgs/$pid.tar.zst)
generations: 1 (active)") ;;
*) fail "info pigz: $out" ;;
esac
out=$(pkgtool -B "$B" info --json "$zid")
assert_contains "$out" '"generations": ['
assert_contains "$out" '"files": 1'
expect_fail 2 pkgtool -B "$B" info nosuch
assert_contains "$out" "pkgtool: info: no package or id 'nosuch' in the store ($S)"

# add packages: a new generation with them, env.sh exports their env:
pkggen -R "$R" -B "$B" app other lone tool >/dev/null
run run_ninja "$B"
[ "$rc" = 0 ] || fail "ninja failed ($rc): $out"
assert_contains "$out" "activated generation 2: 6 packages (+2, -0)"
tid=$(pkgid "$B" tool)
[ "$(in_active "$B" tool)" = "tool says hi" ] || fail "tool not on PATH"
out=$(pkgtool -B "$B" info tool)
assert_contains "$out" "env:         TOOL_HOME={{prefix}}"
assert_contains "$out" "generations: 2 (active)"
# shellcheck disable=SC2016
[ "$(in_active "$B" sh -c 'echo "$TOOL_HOME"')" = "$S/$tid" ] || fail "TOOL_HOME not exported"
# shellcheck disable=SC2016
in_active "$B" sh -c 'echo "$LD_LIBRARY_PATH:$PKG_CONFIG_PATH"' | grep -q "$B/env/gen-2/lib" ||
	fail "LD_LIBRARY_PATH lacks the generation"
[ "$(readlink "$B/env/active")" = gen-2 ] || fail "active is not gen-2"

# deactivate: the plan, then the cascade as one generation
out=$(pkgtool -B "$B" deactivate --dry-run zlib)
[ "$out" = "would remove zlib
would remove pigz (depends on zlib)
would remove other (depends on zlib)
would remove tool (depends on zlib)
would remove app (depends on pigz)" ] || fail "deactivate --dry-run: $out"
[ "$(readlink "$B/env/active")" = gen-2 ] || fail "--dry-run switched"
out=$(pkgtool -B "$B" deactivate pigz)
[ "$out" = "removed pigz
removed app (depends on pigz)
activated generation 3: 4 packages (-2)" ] || fail "deactivate pigz: $out"
out=$(pkgtool -B "$B" list)
assert_not_contains "$out" app
assert_not_contains "$out" pigz
assert_contains "$out" lone
[ ! -e "$B/env/active/share/pigz" ] || fail "pigz still linked"
expect_fail 2 pkgtool -B "$B" deactivate pigz
assert_contains "$out" "pkgtool: deactivate: pigz is not active (generation 3 of $B/env)"
# the choice sticks: the build's packages did not change
assert_no_work "$B"

# generations
out=$(pkgtool -B "$B" generations)
case $out in
"     1  "*"  4 packages
     2  "*"  6 packages
*    3  "*"  4 packages  (active)") ;;
*) fail "generations: $out" ;;
esac

# rollback: to the previous one, again, then --to
out=$(pkgtool -B "$B" rollback)
[ "$out" = "switched from generation 3 to generation 2 (6 packages)" ] || fail "rollback: $out"
assert_contains "$(pkgtool -B "$B" list)" app
out=$(pkgtool -B "$B" rollback)
[ "$out" = "switched from generation 2 to generation 1 (4 packages)" ] || fail "rollback 2: $out"
expect_fail 1 pkgtool -B "$B" rollback
assert_contains "$out" "pkgtool: rollback: nothing to roll back to: generation 1 is the oldest ($B/env)"
out=$(pkgtool -B "$B" rollback --to 3)
assert_contains "$out" "to generation 3"
expect_fail 2 pkgtool -B "$B" rollback --to 9
assert_contains "$out" "pkgtool: rollback: no generation 9 ($B/env; see pkgtool generations)"
out=$(pkgtool -B "$B" generations --json)
assert_contains "$out" '"active": true'

# a conflict is refused, naming both packages and the path; nothing changes
pkggen -R "$R" -B "$T/b2" --store "$S" imposter >/dev/null
run run_ninja "$T/b2" packages
[ "$rc" = 0 ] || fail "ninja packages failed ($rc): $out"
iid=$(pkgid "$B" imposter)
before=$(pkgtool -B "$B" list)
expect_fail 1 pkgtool -B "$B" activate imposter
assert_contains "$out" "pkgtool: activate: conflict: share/zlib/zlib.txt is provided by both zlib ($zid) and imposter ($iid)"
[ "$(readlink "$B/env/active")" = gen-3 ] || fail "conflict switched"
[ "$(pkgtool -B "$B" list)" = "$before" ] || fail "conflict changed the set"
for g in "$B"/env/.gen-*; do
	[ ! -e "$g" ] || fail "conflict left a temp generation $g"
done
# the same through a manifest (ninja's edge)
pkggen -R "$R" -B "$T/b3" --store "$S" zlib imposter >/dev/null
expect_fail 1 run_ninja "$T/b3"
assert_contains "$out" "conflict: share/zlib/zlib.txt is provided by both zlib"
[ ! -e "$T/b3/env/active" ] || fail "b3 got an active set"

# by-hand activate: a name, its closure comes along
out=$(pkgtool -B "$B" deactivate zlib)
assert_contains "$out" "activated generation 4: 1 packages (-3)"
out=$(pkgtool -B "$B" activate tool)
assert_contains "$out" "activated generation 5: 3 packages (+2, -0)"
out=$(pkgtool -B "$B" list)
[ "$out" = "lone  1.0  $(pkgid "$B" lone)
tool  0.1  $tid
zlib  1.3  $zid" ] || fail "activate tool: $out"
out=$(pkgtool -B "$B" activate "$tid")
assert_contains "$out" "generation 5 already holds these packages"

# gc: keeps the last K generations and the active one; deletes the store
# entries only older generations used (dependents first), keeps the archives
# the build's manifests name, so ninja still has nothing to do
out=$(pkgtool -B "$B" gc --dry-run --keep 2)
assert_contains "$out" "would delete $B/env/gen-1"
[ -d "$B/env/gen-1" ] || fail "gc --dry-run deleted"
out=$(pkgtool -B "$B" gc --keep 2)
assert_contains "$out" "deleted $B/env/gen-1
deleted $B/env/gen-2
deleted $B/env/gen-3
"
assert_contains "$out" "deleted $S/$aid"
# app goes before pigz, which it depends on
[ "$(echo "$out" | grep -n -e "$aid" -e "$pid" | cut -d: -f2)" = "deleted $S/$aid
deleted $S/$pid" ] || fail "gc deleted pigz before app: $out"
case $out in *"freed "[1-9]*" bytes ("*" MiB): 3 generations, 4 store entries, 0 archives") ;;
*) fail "gc: $out" ;; esac
for g in 4 5; do
	[ -d "$B/env/gen-$g" ] || fail "gc deleted the kept generation $g"
done
[ -f "$S/pkgs/$aid.tar.zst" ] || fail "gc deleted an archive the build names"
[ ! -d "$S/$iid" ] || fail "gc kept an unreferenced entry"
# b3 tried to activate, so it is registered: its manifests keep imposter's archive
[ -f "$S/pkgs/$iid.tar.zst" ] || fail "gc deleted an archive b3's manifests name"
assert_no_work "$B"
out=$(pkgtool -B "$B" info app)
assert_contains "$out" "size:        not extracted"
# the manifest form brings the build's set back, from the archives
out=$(pkgtool activate "$B/.pkggen/activate.json")
assert_contains "$out" "activated generation 6: 6 packages"
[ -d "$S/$aid" ] || fail "app not extracted again"
# activate.json names packages by id; the objects an older pkggen wrote
# (name, version, id, archive) are read as the same packages, and an entry
# that is neither is refused
if command -v python3 >/dev/null 2>&1; then
	python3 - "$B/.pkggen/activate.json" "$T/old-activate.json" "$T/bad-activate.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
ids = m["packages"]
assert all(isinstance(i, str) for i in ids), ids
old = dict(m, packages=[{"name": i.split("--")[0], "version": i.split("--")[1], "id": i,
                         "archive": "%s/pkgs/%s.tar.zst" % (m["store"], i)} for i in ids])
json.dump(old, open(sys.argv[2], "w"), indent=2)
json.dump(dict(m, packages=ids + [7]), open(sys.argv[3], "w"))
PY
	run pkgtool activate "$T/old-activate.json"
	[ "$rc" = 0 ] || fail "activate with an older activate.json ($rc): $out"
	[ "$(readlink "$B/env/active")" = gen-6 ] || fail "an older activate.json made a new generation: $(readlink "$B/env/active")"
	run pkgtool activate "$T/bad-activate.json"
	[ "$rc" != 0 ] || fail "an activate.json entry that is not an id was taken"
	assert_contains "$out" "packages[6] must be a package id"
fi
out=$(pkgtool -B "$B" gc)
assert_contains "$out" "freed "

# a path in pkginfo.json that climbs out of the generation is refused
lid=$(pkgid "$B" lone)
chmod u+w "$S/$lid" "$S/$lid/pkginfo.json"
cp "$S/$lid/pkginfo.json" "$T/pkginfo.json"
sed 's#"files": {#"files": {"share/lone/../../../../escape": "00", #' "$T/pkginfo.json" \
	>"$S/$lid/pkginfo.json"
run pkgtool -B "$B" deactivate lone
[ "$rc" = 0 ] || fail "deactivate lone: $out"
expect_fail 1 pkgtool -B "$B" activate lone
assert_contains "$out" "pkgtool: activate: $S/$lid/pkginfo.json: bad path 'share/lone/../../../../escape' (activate)"
for f in "$B/escape" "$B/env/escape" "$B/env/share/escape"; do
	if [ -e "$f" ] || [ -L "$f" ]; then
		fail "a link escaped the generation: $f"
	fi
done
cp "$T/pkginfo.json" "$S/$lid/pkginfo.json"
out=$(pkgtool -B "$B" activate lone)
assert_contains "$out" "packages (+1, -0)"

# usage and bad input exit 2
expect_fail 2 pkgtool -B "$B" gc --keep 0
expect_fail 2 pkgtool -B "$B" list --bogus
expect_fail 2 pkgtool -B "$B" deactivate
expect_fail 2 pkgtool -B "$T/nowhere" list
assert_contains "$out" "pkgtool: list: no build directory $T/nowhere"
for c in deactivate rollback generations gc list info why; do
	out=$(pkgtool "$c" --help)
	assert_contains "$out" "usage: pkgtool"
done
