#!/bin/sh
# SPDX-License-Identifier: MIT
# t034-build-depends: a package's build sees its build_depends as it sees its
# depends (extracted into the store, their env: applied), but only its
# depends are runtime dependencies: pkginfo.json lists them and activation
# brings them along. A package named by both is a runtime dependency, once.
# The manifest names each dependency of the build once, by id; those only
# build_depends names are marked "build".
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

R=$T/repo
B=$T/build
mkrepo "$R"
mkpkg "$R" lib 1.0
mkpkg "$R" both 1.0
mkdir -p "$R/tool/files"
echo "made by tool" >"$R/tool/files/tool.txt"
write "$R/tool/package.yaml" <<'EOF'
name: tool
version: "1.0"
kind: library
env:
  TOOL_DATA: "{{prefix}}/share/tool/tool.txt"
sources:
  - path: files/
build: |
  mkdir -p "$PKG_DESTDIR$PKG_PREFIX/share/tool"
  cp tool.txt "$PKG_DESTDIR$PKG_PREFIX/share/tool/"
EOF
mkdir -p "$R/app/files"
echo app >"$R/app/files/app.txt"
write "$R/app/package.yaml" <<'EOF'
name: app
version: "1.0"
kind: library
depends: [lib, both]
build_depends: [tool, both]
sources:
  - path: files/
build: |
  mkdir -p "$PKG_DESTDIR$PKG_PREFIX/share/app"
  cp "$TOOL_DATA" "$PKG_DESTDIR$PKG_PREFIX/share/app/from-tool.txt"
EOF

pkggen -B "$B" -R "$R" app
run run_ninja "$B"
[ "$rc" = 0 ] || fail "ninja failed ($rc):
$out"
app=$(pkgid "$B" app)
tool=$(pkgid "$B" tool)
[ "$(cat "$B/store/$app/share/app/from-tool.txt")" = "made by tool" ] ||
	fail "app's build did not read tool's file through TOOL_DATA"

# the manifest: lib, both (runtime, in order), then tool marked "build"
python3 - "$B/.pkggen/pkg/$app.json" "$tool" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
names = [(c["name"], c.get("build", False)) for c in m["closure"]]
want = [("lib", False), ("both", False), ("tool", True)]
if names != want:
    sys.exit("closure is %r, not %r" % (names, want))
if "depends" in m or any("archive" in c for c in m["closure"]):
    sys.exit("the manifest still has depends or closure archives: %r" % m)
if m["closure"][2]["id"] != sys.argv[2]:
    sys.exit("tool's closure id %s is not %s" % (m["closure"][2]["id"], sys.argv[2]))
PY

# pkginfo.json: the runtime dependencies only, in the recipe's order
python3 - "$B/store/$app/pkginfo.json" <<'PY'
import json, sys
deps = [d["name"] for d in json.load(open(sys.argv[1]))["depends"]]
if deps != ["lib", "both"]:
    sys.exit("pkginfo.json depends on %r, not ['lib', 'both']" % deps)
PY

# the active set: app and its runtime closure, not tool
for p in app lib both; do
	[ -e "$B/env/active/share/$p" ] || fail "$p is not in the active set"
done
[ ! -e "$B/env/active/share/tool" ] || fail "tool, a build dependency only, is active"
assert_no_work "$B"
