#!/bin/sh
# SPDX-License-Identifier: MIT
# t502-hosts-partition: one of three hosts cut off (its link down): `ninja
# start` fails naming it, with what ssh said, and leaves the others running
# and recorded; `ninja stop` stops those and names the host it cannot reach;
# once the link is back a stop finds nothing left. `pkgtool hosts check` says
# which hosts answer and why the others do not (unreachable, refused, auth).
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
HOSTS_NET=52
HOSTS_TMPFS="$T/private"
mkdir -p "$T/private"
# shellcheck source=tests/e2e/hosts.sh
. "$E2E_DIR/hosts.sh"
hosts_need
# shellcheck disable=SC2317 # (called on exit)
hosts_cleanup_hook() {
	host_link 2 up
	[ -f "$B/.pkggen/pipeline.json" ] && "$BIN/pkgtool" kill "$B"
}
hosts_up 3

# alive PGID: a process of the group runs (not a zombie)
alive() {
	ps -eo pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { f = 1 } END { exit !f }'
}

R=$T/repo
write "$R/svc/package.yaml" <<'EOF'
name: svc
version: "1.0"
kind: service
summary: a service
lifecycle:
  start: |
    echo $$ >"{{private_dir}}/svc.pid"
    exec sleep 3600
  ready: test -s "{{private_dir}}/svc.pid"
EOF
printf 'node[1-3]\n' >"$T/hosts.txt"
write "$T/p.yaml" <<EOF
name: part
repos: [ $R ]
launcher: ssh
hostfile: hosts.txt
ssh_args: [ -F, $SSH_CFG ]
private_dir: $T/private
pkgs:
  - pkg_type: svc
    pkg_name: web
EOF
B=$T/build
pkggen -B "$B" "$T/p.yaml"
run run_ninja "$B" all
[ "$rc" = 0 ] || fail "ninja failed: $out"

host_link 2 down
run run_ninja "$B" start
[ "$rc" != 0 ] || fail "ninja start with node2 cut off succeeded: $out"
assert_contains "$out" "web: host node2: not reached"
assert_contains "$out" "ssh: connect to host 10.200.$HOSTS_NET.2 port 22"
assert_contains "$out" "web: start failed on 1 of 3 hosts"
[ -f "$B/run/web/started" ] && fail "a failed start left run/web/started"
# the others run, and are recorded
pg1=$(sed -n 's/^\([0-9]*\) .*/\1/p' "$T/private/web/pkgtool.node1.pid" 2>/dev/null || true)
pg1=$(on_host 1 cut -d' ' -f1 "$T/private/web/pkgtool.node1.pid")
pg3=$(on_host 3 cut -d' ' -f1 "$T/private/web/pkgtool.node3.pid")
alive "$pg1" || fail "web does not run on node1"
alive "$pg3" || fail "web does not run on node3"
run pkgtool -B "$B" status
[ "$rc" = 1 ] || fail "status exited $rc: $out"
assert_contains "$out" "web  node1  running (pgid $pg1)"
assert_contains "$out" "web  node2  unreachable"

# hosts check: node2 cut off, a port nobody listens on, a key it refuses
cat "$SSH_CFG" >"$T/check_config"
{
	printf 'Host closed\n  HostName 10.200.%s.1\n  Port 2222\n' "$HOSTS_NET"
	printf 'Host nokey\n  HostName 10.200.%s.3\n  User nosuchuser\n' "$HOSTS_NET"
} | cat - "$T/check_config" >"$T/check_config.new"
mv "$T/check_config.new" "$T/check_config"
printf 'node[1-3]\nclosed\nnokey\n' >"$T/check.txt"
run pkgtool hosts check --ssh-args "-F $T/check_config" --timeout 3 "$T/check.txt"
[ "$rc" = 1 ] || fail "hosts check exited $rc: $out"
assert_contains "$out" "node1   ok"
assert_contains "$out" "node3   ok"
case $out in
*"node2   unreachable: ssh: connect to host 10.200.$HOSTS_NET.2 port 22: No route to host"*) ;;
*"node2   timeout: ssh: connect to host 10.200.$HOSTS_NET.2 port 22: Connection timed out"*) ;;
*) fail "hosts check does not name node2 as cut off: $out" ;;
esac
assert_contains "$out" "closed  refused: ssh: connect to host 10.200.$HOSTS_NET.1 port 2222: Connection refused"
assert_contains "$out" "nokey   auth: "
assert_contains "$out" "2 of 5 hosts answer"
run pkgtool hosts check "$T/nonexistent.txt"
[ "$rc" = 2 ] || fail "hosts check of a missing file exited $rc: $out"
assert_contains "$out" "hostfile $T/nonexistent.txt cannot be read"

# stop: the hosts it reaches are stopped, node2 is named
run run_ninja "$B" stop
[ "$rc" != 0 ] || fail "ninja stop with node2 cut off succeeded: $out"
assert_contains "$out" "stopped web on node1 (pgid $pg1), node3 (pgid $pg3)"
assert_contains "$out" "web: host node2: not reached"
assert_contains "$out" "web: stop failed on 1 of 3 hosts"
alive "$pg1" && fail "web still runs on node1"
alive "$pg3" && fail "web still runs on node3"

# the link back: nothing left to stop, nothing recorded
host_link 2 up
run run_ninja "$B" stop
[ "$rc" = 0 ] || fail "ninja stop with every host back failed: $out"
[ -f "$B/run/web/hosts.json" ] && fail "stop left hosts.json"
on_host 2 test -e "$T/private/web/pkgtool.node2.pid" && fail "a pid file is left on node2"
exit 0
