#!/bin/sh
# SPDX-License-Identifier: MIT
# examples/demo.sh (`make demo`): build the builtin `hello` and its library
# `libgreet` end to end with pkggen and ninja, run hello from the active set,
# then show that a second ninja has no work to do. It builds in a temp dir
# that it removes afterwards; DEMO_DIR=DIR builds there and keeps it.
set -eu

: "${BIN:?BIN must name the directory holding pkggen and pkgtool}"
top=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${DEMO_DIR:-}" ]; then
	mkdir -p "$DEMO_DIR"
	b=$(cd "$DEMO_DIR" && pwd)
else
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/pkgtool-demo.XXXXXX")
	trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	b=$tmp/build
fi
PATH=$BIN:$PATH
export PATH

# step TEXT: a heading for what comes next
step() {
	printf '\n== %s\n' "$*"
}

# show CMD...: print the command, then run it
show() {
	printf '$ %s\n' "$*"
	"$@"
}

cd "$top"
step "1. pkggen reads repos/builtin/hello and its dependency libgreet, writes build.ninja"
show pkggen -B "$b" hello

step "2. ninja fetches, builds, packages and activates, in dependency order"
show ninja -C "$b"

step "3. the store holds one deterministic archive per package id"
show ls "$b/store/pkgs"

step "4. the active set is a generation of symlinks plus env.sh"
show ls "$b/env/active" "$b/env/active/bin"
printf '$ . %s/env/active/env.sh; hello; hello demo\n' "$b"
# the demo runs env.sh in a subshell so that this script's environment stays clean
(
	set +u
	# shellcheck disable=SC1091
	. "$b/env/active/env.sh"
	hello
	hello demo
)

step "5. nothing changed, so a second ninja does nothing"
printf '$ ninja -C %s\n' "$b"
out=$(ninja -C "$b")
printf '%s\n' "$out"
case $out in
*"ninja: no work to do."*) ;;
*) echo "demo: the second ninja run did work" >&2; exit 1 ;;
esac

if [ -n "${DEMO_DIR:-}" ]; then
	printf '\nThe build is kept in %s.\n' "$b"
else
	printf '\nDone. (DEMO_DIR=DIR make demo keeps the build directory.)\n'
fi
