#!/bin/sh
# SPDX-License-Identifier: MIT
# t401-lifecycle-services: with real ninja and real processes (sh services):
# start in order, status, stop (idempotent), kill of a service that ignores
# SIGTERM, a service whose ready never succeeds (fails with the log tail),
# incremental restart after a parameter edit, and `ninja start` on an
# unchanged running pipeline that restarts nothing but a service that died
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

B=$T/build
# every process a pipeline starts is killed through its recorded process
# group, also when this test fails half-way
# shellcheck disable=SC2317 # (called from the EXIT trap)
life_cleanup() {
	for _b in "$T"/build*; do
		[ -f "$_b/.pkggen/pipeline.json" ] && "$BIN/pkgtool" kill "$_b" >/dev/null 2>&1
	done
	return 0
}
# lib.sh's _cleanup reads the exit status from $?: hand it on
# shellcheck disable=SC2317
life_exit() {
	_rc0=$?
	life_cleanup
	(exit "$_rc0")
	_cleanup
}
trap life_exit EXIT

# pgid NAME: the process group recorded for entry NAME (empty when none)
pgid() {
	sed -n 's/.*"pgid": \([0-9][0-9]*\).*/\1/p' "$B/run/$1/state.json" 2>/dev/null
}

# alive PGID: a non-zombie process of that group runs
alive() {
	ps -eo pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}

R=$T/repo
# svc: a service that is ready once it has written its ready file
write "$R/svc/package.yaml" <<'EOF'
name: svc
version: "1.0"
kind: service
summary: test service
config:
  - name: msg
    type: str
    default: hello
lifecycle:
  start: |
    rm -f "{{private_dir}}/ready"
    echo "svc {{pkg_name}} says $PKG_PARAM_MSG"
    env >"{{private_dir}}/env.txt"
    touch "{{private_dir}}/ready"
    exec sleep 3600
  ready: test -f "{{private_dir}}/ready"
EOF
# stubborn: ignores SIGTERM (its children inherit that), so only SIGKILL ends it
write "$R/stubborn/package.yaml" <<'EOF'
name: stubborn
version: "1.0"
kind: service
summary: test service that ignores SIGTERM
lifecycle:
  start: |
    trap '' TERM
    while :; do sleep 1; done
EOF
# neverready: runs, but its ready probe never succeeds
write "$R/neverready/package.yaml" <<'EOF'
name: neverready
version: "1.0"
kind: service
summary: test service that never becomes ready
lifecycle:
  start: |
    echo "neverready: booting"
    echo "neverready: cannot bind the port"
    exec sleep 3600
  ready: "false"
EOF

write "$T/p.yaml" <<EOF
name: life
repos: [ $R ]
pkgs:
  - pkg_type: svc
    pkg_name: a
    msg: first
  - pkg_type: svc
    pkg_name: b
  - pkg_type: stubborn
    pkg_name: st
EOF
pkggen -B "$B" "$T/p.yaml"

# start: services come up in pipeline order, each once ready
run run_ninja "$B" start
[ "$rc" = 0 ] || fail "ninja start failed ($rc):
$out"
assert_contains "$out" "started a (pgid"
assert_contains "$out" "started b (pgid"
assert_contains "$out" "started st (pgid"
pa=$(pgid a) pb=$(pgid b) pst=$(pgid st)
if [ -z "$pa" ] || [ -z "$pb" ] || [ -z "$pst" ]; then
	fail "no pgid recorded"
fi
alive "$pa" || fail "a is not running"
alive "$pst" || fail "st is not running"
[ -f "$B/run/a/started" ] || fail "no run/a/started"
assert_contains "$(cat "$B/run/a/start.log")" "svc a says first"
# the run environment: parameters, names and the active set's bin first
envt=$(cat "$B/run/a/private/env.txt")
assert_contains "$envt" "PKG_PARAM_MSG=first"
assert_contains "$envt" "PKG_NAME=a"
assert_contains "$envt" "PKG_PRIVATE_DIR=$B/run/a/private"
assert_contains "$envt" "PATH=$B/env/gen-"

# status: one line per entry
run run_ninja "$B" status
[ "$rc" = 0 ] || fail "ninja status failed ($rc):
$out"
assert_contains "$out" "a   running (pgid $pa)"
assert_contains "$out" "st  running (pgid $pst)"
run pkgtool -B "$B" status b
[ "$rc" = 0 ] || fail "status b: $out"
assert_contains "$out" "b  running (pgid $pb)"

# an unchanged running pipeline: ninja start restarts nothing
run run_ninja "$B" start
[ "$rc" = 0 ] || fail "second ninja start failed: $out"
assert_not_contains "$out" "started"
if [ "$(pgid a)" != "$pa" ] || [ "$(pgid b)" != "$pb" ]; then
	fail "a service was restarted"
fi

# a service that died since is started again, and only it
kill -9 "-$pb"
i=0
while alive "$pb" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
run pkgtool -B "$B" status
[ "$rc" = 1 ] || fail "status of a pipeline with a dead service exited $rc:
$out"
assert_contains "$out" "b   stopped"
run run_ninja "$B" start
[ "$rc" = 0 ] || fail "ninja start after b died failed: $out"
assert_contains "$out" "started b (pgid"
assert_not_contains "$out" "started a"
assert_not_contains "$out" "started st"
[ "$(pgid a)" = "$pa" ] || fail "a was restarted"
pb2=$(pgid b)
if [ "$pb2" = "$pb" ] || ! alive "$pb2"; then
	fail "b was not started again"
fi

# editing one parameter re-configures and restarts that entry only
sed 's/msg: first/msg: second/' "$T/p.yaml" >"$T/p2.yaml"
mv "$T/p2.yaml" "$T/p.yaml"
run run_ninja "$B" start
[ "$rc" = 0 ] || fail "ninja start after an edit failed: $out"
assert_contains "$out" "started a (pgid"
assert_not_contains "$out" "started b"
assert_not_contains "$out" "started st"
assert_ran "$B" '.pkggen/run/a.configured'
assert_not_ran "$B" '.pkggen/run/b.configured'
pa2=$(pgid a)
[ "$pa2" != "$pa" ] || fail "a kept its old process group"
alive "$pa" && fail "the old instance of a still runs"
assert_contains "$(cat "$B/run/a/start.log")" "svc a says second"
[ "$(pgid b)" = "$pb2" ] || fail "b was restarted"

# kill: SIGTERM, then SIGKILL for the service that ignores SIGTERM
run run_ninja "$B" kill
[ "$rc" = 0 ] || fail "ninja kill failed ($rc): $out"
assert_contains "$out" "killed st (pgid $pst)"
for g in "$pa2" "$pb2" "$pst"; do
	alive "$g" && fail "process group $g survived ninja kill"
done
[ -f "$B/run/st/state.json" ] && fail "kill left run/st/state.json"
[ -f "$B/run/a/started" ] && fail "kill left run/a/started"
run run_ninja "$B" status
[ "$rc" != 0 ] || fail "ninja status succeeded with everything down:
$out"
assert_contains "$out" "a   stopped"

# stop is idempotent; start brings everything back; stop ends it
run run_ninja "$B" stop
[ "$rc" = 0 ] || fail "ninja stop of a stopped pipeline failed: $out"
run run_ninja "$B" start/b
[ "$rc" = 0 ] || fail "ninja start/b failed: $out"
assert_contains "$out" "started a"
assert_contains "$out" "started b"
assert_not_contains "$out" "started st"
pb3=$(pgid b)
run run_ninja "$B" stop
[ "$rc" = 0 ] || fail "ninja stop failed: $out"
assert_contains "$out" "stopped b"
assert_contains "$out" "stopped a"
alive "$pb3" && fail "b survived ninja stop"
[ -f "$B/run/b/started" ] && fail "stop left run/b/started"

# a service whose ready never succeeds: start fails with the log's tail,
# and nothing of it is left running
write "$T/nr.yaml" <<EOF
name: nr
repos: [ $R ]
pkgs:
  - pkg_type: neverready
    pkg_name: nr
    timeout: 2
EOF
B=$T/build-nr
pkggen -B "$B" "$T/nr.yaml"
run run_ninja "$B" start
[ "$rc" != 0 ] || fail "ninja start of a never-ready service succeeded:
$out"
assert_contains "$out" "nr: not ready after 2 s"
assert_contains "$out" "neverready: cannot bind the port"
[ -f "$B/run/nr/state.json" ] && fail "a failed start left state.json"
[ -f "$B/run/nr/started" ] && fail "a failed start left started"
expect_fail 1 pkgtool -B "$B" status
assert_contains "$out" "nr  stopped"
exit 0
