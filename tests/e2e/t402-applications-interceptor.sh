#!/bin/sh
# SPDX-License-Identifier: MIT
# t402-applications-interceptor: applications run to completion under ninja
# and record exit status, wall time and their `stats` lines in stats.json; the
# builtin iotrace interceptor is preloaded (with its env) into the entry that
# names it and no other; a failing application fails `ninja start` with its
# status recorded; a secret parameter never shows in output or config.json
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need cc

B=$T/build
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

R=$T/repo
write "$R/tool/package.yaml" <<'EOF'
name: tool
version: "1.0"
kind: application
summary: test application that reads a file and reports numbers
config:
  - name: n
    type: int
    default: 3
  - name: token
    type: str
    default: ""
    secret: true
  - name: code
    type: int
    default: 0
lifecycle:
  start: |
    env >"{{private_dir}}/env.txt"
    i=0
    while [ $i -lt {{n}} ]; do cat /etc/hostname >/dev/null; i=$((i + 1)); done
    echo "tool {{pkg_name}} did {{n}} reads with token $PKG_PARAM_TOKEN"
    exit {{code}}
  stats: |
    echo "reads={{n}}"
    echo "ratio = 0.25"
    echo "label=fast path"
    echo "not a stat line"
EOF

write "$T/p.yaml" <<EOF
name: apps
repos: [ $R ]
interceptors:
  - pkg_type: builtin.iotrace
    pkg_name: trace
pkgs:
  - pkg_type: tool
    pkg_name: traced
    n: 4
    token: s3cr3t-t0ken
    interceptors: [ trace ]
  - pkg_type: tool
    pkg_name: plain
    n: 2
EOF
pkggen -B "$B" "$T/p.yaml"
run run_ninja "$B" start
[ "$rc" = 0 ] || fail "ninja start failed ($rc):
$out"
assert_contains "$out" "tool traced did 4 reads with token ***"
assert_not_contains "$out" "s3cr3t-t0ken"
assert_not_contains "$(cat "$B/run/traced/config.json")" "s3cr3t-t0ken"
assert_contains "$(cat "$B/run/traced/config.json")" '"token": "***"'

# stats.json: exit, wall time and the key=value lines, numbers as numbers
st=$(cat "$B/run/traced/stats.json")
assert_contains "$st" '"exit": 0'
assert_contains "$st" '"wall_s": '
assert_contains "$st" '"reads": 4'
assert_contains "$st" '"ratio": 0.25'
assert_contains "$st" '"label": "fast path"'
assert_not_contains "$st" 'not a stat line'
assert_contains "$(cat "$B/run/plain/stats.json")" '"reads": 2'

# the interceptor: preloaded, with its env, into traced only
lib=$(sed -n 's/^LD_PRELOAD=//p' "$B/run/traced/private/env.txt")
case $lib in
*/iotrace--*/lib/libiotrace.so*) ;;
*) fail "traced ran without the iotrace preload: LD_PRELOAD=$lib" ;;
esac
assert_contains "$(cat "$B/run/traced/private/env.txt")" "IOTRACE_OUT=$B/run/traced/shared/iotrace.txt"
assert_not_contains "$(cat "$B/run/plain/private/env.txt")" "libiotrace"
[ -f "$B/run/traced/shared/iotrace.txt" ] || fail "iotrace wrote no counts for traced"
[ -e "$B/run/plain/shared/iotrace.txt" ] && fail "iotrace counted plain, which does not name it"
# cat read /etc/hostname 4 times: 4 lines for cat, each with an open and reads
tr=$(cat "$B/run/traced/shared/iotrace.txt")
n=$(grep -c 'prog=cat open=1 .*read=[1-9]' "$B/run/traced/shared/iotrace.txt" || true)
[ "$n" = 4 ] || fail "expected 4 counted cat runs, got $n:
$tr"

# status: one line per application
run pkgtool -B "$B" status
[ "$rc" = 0 ] || fail "status failed: $out"
assert_contains "$out" "traced  exit 0 ("
assert_contains "$out" "plain   exit 0 ("

# nothing changed: nothing runs again
assert_no_work "$B"
run run_ninja "$B" start
[ "$rc" = 0 ] || fail "second ninja start failed: $out"
assert_not_ran "$B" '*stats.json'

# a parameter edit re-runs that application only
sed 's/n: 2/n: 5/' "$T/p.yaml" >"$T/p2.yaml" && mv "$T/p2.yaml" "$T/p.yaml"
run run_ninja "$B" start
[ "$rc" = 0 ] || fail "ninja start after an edit failed: $out"
assert_ran "$B" 'run/plain/stats.json'
assert_not_ran "$B" 'run/traced/stats.json'
assert_contains "$(cat "$B/run/plain/stats.json")" '"reads": 5'

# a failing application: ninja start fails, its status is recorded
write "$T/f.yaml" <<EOF
name: failing
repos: [ $R ]
pkgs:
  - pkg_type: tool
    pkg_name: bad
    code: 3
    hide_output: true
EOF
B=$T/build-f
pkggen -B "$B" "$T/f.yaml"
run run_ninja "$B" start
[ "$rc" != 0 ] || fail "ninja start of a failing application succeeded:
$out"
assert_contains "$out" "bad: failed, exit 3"
# hide_output: the output shows only as the failure's log tail
assert_contains "$out" "  tool bad did 3 reads"
assert_contains "$(cat "$B/run/bad/stats.json")" '"exit": 3'
expect_fail 1 pkgtool -B "$B" status
assert_contains "$out" "bad  exit 3 ("
exit 0
