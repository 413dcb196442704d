#!/bin/sh
# SPDX-License-Identifier: MIT
# t501-hosts-ssh-pdsh: a service on three hosts (network namespaces with their
# own sshd), started, checked and stopped through the ssh launcher and then
# through pdsh; each host's private_dir (a tmpfs of its own) holds only its
# own files and pid file; a hostfile with a bracket range; a service that
# died restarted on its host only; an application run on every host with its
# exit status per host, one failing on one host; kill and clean on every host
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
HOSTS_NET=51
HOSTS_TMPFS="$T/private"
mkdir -p "$T/private"
# shellcheck source=tests/e2e/hosts.sh
. "$E2E_DIR/hosts.sh"
hosts_need
need pdsh
# shellcheck disable=SC2317 # (called on exit)
hosts_cleanup_hook() {
	for _b in "$T"/build-*; do
		[ -f "$_b/.pkggen/pipeline.json" ] && "$BIN/pkgtool" kill "$_b"
	done
}
hosts_up 3

R=$T/repo
write "$R/svc/package.yaml" <<'EOF'
name: svc
version: "1.0"
kind: service
summary: a service that says where it runs
config:
  - name: msg
    type: str
    default: hello
lifecycle:
  start: |
    echo "svc {{pkg_name}} on $(uname -n) says $PKG_PARAM_MSG"
    echo "$PKG_HOST" >"{{private_dir}}/who"
    echo $$ >"{{private_dir}}/svc.pid"
    exec sleep 3600
  ready: test -s "{{private_dir}}/svc.pid"
  status: kill -0 "$(cat "{{private_dir}}/svc.pid")"
  stop: kill "$(cat "{{private_dir}}/svc.pid")" && rm "{{private_dir}}/svc.pid"
EOF
write "$R/where/package.yaml" <<'EOF'
name: where
version: "1.0"
kind: application
summary: says where it ran; fails on node3 when asked to
config:
  - name: fail_on
    type: str
    default: none
lifecycle:
  start: |
    echo "ran on $(uname -n)"
    [ "$(uname -n)" != "{{fail_on}}" ] || exit 3
EOF
printf '# the test hosts\nnode[1-3]   # three of them\n' >"$T/hosts.txt"

# pipeline LAUNCHER NAME [FAIL_ON]: a service on every host, then an application
pipeline() {
	write "$T/$2.yaml" <<EOF
name: $2
repos: [ $R ]
launcher: $1
hostfile: hosts.txt
ssh_args: -F hosts/ssh_config
private_dir: $T/private
pkgs:
  - pkg_type: svc
    pkg_name: web
    msg: from-$1
  - pkg_type: where
    fail_on: ${3:-none}
EOF
}

# alive PGID: a process of the group runs (hosts share this machine's pids;
# one that ended may stay a zombie, as nobody reaps it)
alive() {
	ps -eo pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { f = 1 } END { exit !f }'
}

# pid_on I FILE: the process group a host's pid file records ("" when none)
pid_on() {
	on_host "$1" sh -c 'cat "$1" 2>/dev/null | cut -d" " -f1' sh "$2"
}

for L in ssh pdsh; do
	B=$T/build-$L
	pipeline "$L" "p$L"
	pkggen -B "$B" "$T/p$L.yaml"
	# the hosts expanded, ssh_args' file relative to the pipeline
	m=$(cat "$B/.pkggen/run/web.json")
	assert_contains "$m" '"node3"'
	assert_contains "$m" "\"$T/hosts/ssh_config\""
	run run_ninja "$B" start
	[ "$rc" = 0 ] || fail "$L: ninja start failed ($rc):
$out"
	assert_contains "$out" "started web on node1 (pgid"
	assert_contains "$out" "node3 (pgid"
	# private files: each host's own, in its own tmpfs, none here
	for i in 1 2 3; do
		who=$(on_host "$i" cat "$T/private/web/who")
		[ "$who" = "node$i" ] || fail "$L: node$i's private who says '$who'"
		pg=$(pid_on "$i" "$T/private/web/pkgtool.node$i.pid")
		[ -n "$pg" ] || fail "$L: no pid file on node$i"
		alive "$pg" || fail "$L: the group in node$i's pid file is gone"
		for j in 1 2 3; do
			[ "$j" = "$i" ] && continue
			on_host "$i" test -e "$T/private/web/pkgtool.node$j.pid" &&
				fail "$L: node$j's pid file is on node$i"
		done
	done
	[ -e "$T/private/web" ] && fail "$L: private files on this machine"
	assert_contains "$(cat "$B/run/web/hosts/node2/start.log")" "svc web on node2 says from-$L"
	# the application ran on each host, its status per host recorded
	assert_contains "$(cat "$B/run/where/output.log")" "node3: ran on node3"
	grep -q '"node2": 0' "$B/run/where/stats.json" || fail "$L: stats.json: $(cat "$B/run/where/stats.json")"

	# status: one line per entry and host
	run pkgtool -B "$B" status
	[ "$rc" = 0 ] || fail "$L: status failed ($rc): $out"
	assert_contains "$out" "web    node1  running (pgid"
	assert_contains "$out" "web    node3  running (pgid"
	assert_contains "$out" "where  node2  exit 0"

	# an unchanged running service is left alone; one that died is restarted
	# on its host only
	pg2=$(pid_on 2 "$T/private/web/pkgtool.node2.pid")
	pg1=$(pid_on 1 "$T/private/web/pkgtool.node1.pid")
	run run_ninja "$B" start
	[ "$rc" = 0 ] || fail "$L: second start failed: $out"
	assert_not_contains "$out" "started web"
	on_host 2 kill -9 -- "-$pg2"
	sleep 0.2
	run pkgtool -B "$B" status web
	[ "$rc" = 1 ] || fail "$L: status with a dead host exited $rc: $out"
	assert_contains "$out" "node2  stopped (died; was pgid $pg2)"
	run run_ninja "$B" start
	[ "$rc" = 0 ] || fail "$L: start after node2 died failed: $out"
	assert_contains "$out" "started web on node2 (pgid"
	assert_not_contains "$out" "node1 (pgid"
	[ "$(pid_on 1 "$T/private/web/pkgtool.node1.pid")" = "$pg1" ] || fail "$L: node1 was restarted"

	# stop: every host, idempotent
	pg3=$(pid_on 3 "$T/private/web/pkgtool.node3.pid")
	run run_ninja "$B" stop
	[ "$rc" = 0 ] || fail "$L: ninja stop failed: $out"
	assert_contains "$out" "stopped web on node1 (pgid"
	alive "$pg3" && fail "$L: the service survived on node3"
	on_host 3 test -e "$T/private/web/pkgtool.node3.pid" && fail "$L: stop left node3's pid file"
	[ -f "$B/run/web/hosts.json" ] && fail "$L: stop left hosts.json"
	run run_ninja "$B" stop
	[ "$rc" = 0 ] || fail "$L: a second ninja stop failed: $out"
	expect_fail 1 pkgtool -B "$B" status web
	assert_contains "$out" "web  node1  not started"
done

# an application that fails on one host: named, with its exit status
B=$T/build-fail
pipeline ssh pfail node3
pkggen -B "$B" "$T/pfail.yaml"
run run_ninja "$B" start
[ "$rc" != 0 ] || fail "an application failing on node3 passed: $out"
assert_contains "$out" "where: host node3: exit 3"
grep -q '"node3": 3' "$B/run/where/stats.json" || fail "stats.json: $(cat "$B/run/where/stats.json")"
# kill: SIGTERM, then SIGKILL, the group each pid file names
pg1=$(pid_on 1 "$T/private/web/pkgtool.node1.pid")
run run_ninja "$B" kill
[ "$rc" = 0 ] || fail "ninja kill failed: $out"
assert_contains "$out" "killed web on node1 (pgid $pg1)"
alive "$pg1" && fail "web survived ninja kill on node1"

# clean runs on every host: their private_dir is gone
run run_ninja "$B" clean
[ "$rc" = 0 ] || fail "ninja clean failed: $out"
on_host 1 test -e "$T/private/web" && fail "clean left node1's private_dir"
exit 0
