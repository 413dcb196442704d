#!/bin/sh
# SPDX-License-Identifier: MIT
# t403-sweep: a sweep (SPEC §3 config/vars/loop/repeat) runs each point as its
# own start..stop, one after another, `ninja sweep` collects sweep/stats.csv
# (one row per run, a column per variable and stat), and adding a value runs
# only the new points
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

B=$T/build
# a point's services are stopped by sweep-run itself; this is for a test
# that dies half-way through one
# shellcheck disable=SC2317 # (called from the EXIT trap)
life_cleanup() {
	for _p in "$B"/.pkggen/sweep/*/pipeline.json; do
		[ -f "$_p" ] && "$BIN/pkgtool" kill "$_p" >/dev/null 2>&1
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
write "$R/srv/package.yaml" <<'EOF'
name: srv
version: "1.0"
kind: service
summary: test service that only needs to be up
lifecycle:
  start: |
    echo $$ >"{{shared_dir}}/pid"
    exec sleep 3600
  ready: test -s "{{shared_dir}}/pid"
EOF
write "$R/calc/package.yaml" <<'EOF'
name: calc
version: "1.0"
kind: application
summary: test application whose stats depend on its parameters
config:
  - name: a
    type: int
    default: 1
  - name: b
    type: int
    default: 1
lifecycle:
  start: echo "calc {{a}} {{b}}"
  stats: |
    echo "sum=$(({{a}} + {{b}}))"
    echo "prod=$(({{a}} * {{b}}))"
EOF
write "$T/sweep.yaml" <<EOF
config:
  name: sw
  repos: [ $R ]
  pkgs:
    - pkg_type: srv
      pkg_name: srv
    - pkg_type: calc
      pkg_name: calc
vars:
  calc.a: [ 1, 2 ]
  calc.b: [ 10, 20 ]
loop:
  - [ calc.a, calc.b ]
repeat: 2
EOF
pkggen -B "$B" "$T/sweep.yaml"
run run_ninja "$B" sweep
[ "$rc" = 0 ] || fail "ninja sweep failed ($rc):
$out"
csv=$(cat "$B/sweep/stats.csv")
[ "$(echo "$csv" | head -n 1)" = "point,repeat,calc.a,calc.b,calc.exit,calc.prod,calc.sum,calc.wall_s" ] ||
	fail "unexpected stats.csv header:
$csv"
[ "$(echo "$csv" | wc -l)" = 5 ] || fail "expected 4 runs in stats.csv:
$csv"
echo "$csv" | grep -q '^"calc.a=1,calc.b=10,r0",0,1,10,0,10,11,' || fail "no row for a=1 b=10:
$csv"
echo "$csv" | grep -q '^"calc.a=2,calc.b=20,r1",1,2,20,0,40,22,' || fail "no row for a=2 b=20 (r1):
$csv"
# each point started its service and stopped it again
n=$(grep -c 'started srv' <<EOF || true
$out
EOF
)
[ "$n" = 4 ] || fail "expected 4 service starts, saw $n:
$out"
for p in "$B"/sweep/*/srv; do
	[ -f "$p/state.json" ] && fail "a sweep point left its service running ($p)"
	pid=$(cat "$p/shared/pid")
	ps -o stat= -p "$pid" 2>/dev/null | grep -qv '^Z' && fail "service $pid of $p still runs"
done

assert_no_work "$B"

# a new value: only its points run
sed 's/calc.a: \[ 1, 2 \]/calc.a: [ 1, 2, 3 ]/; s/calc.b: \[ 10, 20 \]/calc.b: [ 10, 20, 30 ]/' \
    "$T/sweep.yaml" >"$T/s2.yaml" && mv "$T/s2.yaml" "$T/sweep.yaml"
run run_ninja "$B" sweep
[ "$rc" = 0 ] || fail "ninja sweep after adding a value failed: $out"
assert_ran "$B" 'sweep/calc.a=3,calc.b=30,r0/stats.json' 'sweep/calc.a=3,calc.b=30,r1/stats.json'
assert_not_ran "$B" 'sweep/calc.a=1,*' 'sweep/calc.a=2,*'
[ "$(wc -l <"$B/sweep/stats.csv")" = 7 ] || fail "expected 6 runs:
$(cat "$B/sweep/stats.csv")"
grep -q '^"calc.a=3,calc.b=30,r1",1,3,30,0,90,33,' "$B/sweep/stats.csv" || fail "no row for a=3:
$(cat "$B/sweep/stats.csv")"
exit 0
