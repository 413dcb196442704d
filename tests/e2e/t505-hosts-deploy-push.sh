#!/bin/sh
# SPDX-License-Identifier: MIT
# t505-hosts-deploy-push: `deploy: push` onto three hosts that share no file
# system with this machine for the build directory (each sees its own empty
# tmpfs there, store included): `ninja start` copies the active generation's
# closure (a service and the library it depends on, env/gen-N, env/active) and
# the rendered configuration with rsync over ssh, then runs the service from
# it; what a host already has is not sent again
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
HOSTS_NET=55
B=$T/build
mkdir -p "$B"
HOSTS_TMPFS="$B"
# shellcheck source=tests/e2e/hosts.sh
. "$E2E_DIR/hosts.sh"
hosts_need
need rsync
# shellcheck disable=SC2317 # (called on exit)
hosts_cleanup_hook() {
	[ -f "$B/.pkggen/pipeline.json" ] && "$BIN/pkgtool" kill "$B"
}
hosts_up 3

R=$T/repo
write "$R/greetlib/package.yaml" <<'EOF'
name: greetlib
version: "1.0"
kind: library
summary: the words
env:
  GREETLIB: "{{prefix}}/share/greetlib"
build: |
  mkdir -p "$PKG_DESTDIR$PKG_PREFIX/share/greetlib"
  echo "hello from greetlib" >"$PKG_DESTDIR$PKG_PREFIX/share/greetlib/words"
EOF
write "$R/greeter/files/greeter" <<'EOF'
#!/bin/sh
# greeter PRIVATE_DIR CONF: the library's words and the configured name, then wait
{ cat "$GREETLIB/words"; cat "$2"; } >"$1/greeting"
exec sleep 3600
EOF
write "$R/greeter/templates/greeter.conf.in" <<'EOF'
name={{pkg_name}} on {{launcher}}
EOF
write "$R/greeter/package.yaml" <<'EOF'
name: greeter
version: "1.0"
kind: service
summary: greets with the library's words
depends: [ greetlib ]
sources:
  - path: files/
build: |
  mkdir -p "$PKG_DESTDIR$PKG_PREFIX/bin"
  cp greeter "$PKG_DESTDIR$PKG_PREFIX/bin/greeter"
  chmod 755 "$PKG_DESTDIR$PKG_PREFIX/bin/greeter"
config:
  - name: launcher
    type: str
    default: ssh
templates:
  - src: templates/greeter.conf.in
    dest: greeter.conf
lifecycle:
  start: exec greeter "{{private_dir}}" "{{config_dir}}/greeter.conf"
  ready: test -s "{{private_dir}}/greeting"
EOF
printf 'node[1-3]\n' >"$T/hosts.txt"
write "$T/p.yaml" <<EOF
name: pushed
repos: [ $R ]
launcher: ssh
hostfile: hosts.txt
ssh_args: -F $SSH_CFG
deploy: push
pkgs:
  - pkg_type: greeter
    pkg_name: greet
EOF
pkggen -B "$B" "$T/p.yaml"
run run_ninja "$B" all
[ "$rc" = 0 ] || fail "ninja failed: $out"
on_host 1 test -e "$B/store" && fail "node1 sees this machine's store"

run run_ninja "$B" start
[ "$rc" = 0 ] || fail "ninja start failed ($rc): $out"
assert_contains "$out" "pushed gen-1 (2 packages) to 3 hosts"
assert_contains "$out" "started greet on node1 (pgid"
for i in 1 2 3; do
	g=$(on_host "$i" cat "$B/run/greet/private/greeting")
	[ "$g" = "hello from greetlib
name=greet on ssh" ] || fail "node$i's greeting: $g"
	on_host "$i" test -L "$B/env/active" || fail "no env/active on node$i"
	on_host "$i" sh -c 'test -x "$1"/store/greeter--*/bin/greeter' sh "$B" ||
		fail "the greeter package is not on node$i"
	# the closure, not the archives
	on_host "$i" test -e "$B/store/pkgs" && fail "archives were copied to node$i"
done
run pkgtool -B "$B" status
[ "$rc" = 0 ] || fail "status failed: $out"
assert_contains "$out" "greet  node2  running (pgid"
run run_ninja "$B" stop
[ "$rc" = 0 ] || fail "ninja stop failed: $out"

# what a host has is not sent again: node1's changed copy stays as it is
on_host 1 sh -c 'for f in "$1"/store/greetlib--*/share/greetlib/words; do
	chmod u+w "$f" && echo "node1 keeps its own words" >"$f"; done' sh "$B"
run run_ninja "$B" start
[ "$rc" = 0 ] || fail "the second ninja start failed: $out"
assert_contains "$out" "pushed gen-1 (2 packages) to 3 hosts"
assert_contains "$(on_host 1 cat "$B/run/greet/private/greeting")" "node1 keeps its own words"
assert_contains "$(on_host 2 cat "$B/run/greet/private/greeting")" "hello from greetlib"
run run_ninja "$B" stop
[ "$rc" = 0 ] || fail "ninja stop failed: $out"
exit 0
