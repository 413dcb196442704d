#!/bin/sh
# SPDX-License-Identifier: MIT
# t400-redis-pipeline: examples/redis/pipeline.yaml (on a port of its own) with
# real ninja, Debian's redis-server and redis-benchmark: the service starts
# and answers, the benchmark's throughput lands in stats.json, iotrace counts
# the benchmark only, an unchanged pipeline restarts nothing, a maxmemory
# edit restarts redis with the new setting, stop and clean end it all
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need redis-server redis-cli redis-benchmark cc

B=$T/build
# shellcheck disable=SC2317 # (called from the EXIT trap)
life_cleanup() {
	[ -f "$B/.pkggen/pipeline.json" ] && "$BIN/pkgtool" kill "$B" >/dev/null 2>&1
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

# a port of this test's own, free on 127.0.0.1
PORT=$(free_ports 1) || skip "no free port on 127.0.0.1"
rcli() {
	redis-cli -h 127.0.0.1 -p "$PORT" "$@"
}
pgid() {
	sed -n 's/.*"pgid": \([0-9][0-9]*\).*/\1/p' "$B/run/$1/state.json" 2>/dev/null
}

sed -e "s/16379/$PORT/g" -e 's/requests: 20000/requests: 2000/' \
    "$TOP/examples/redis/pipeline.yaml" >"$T/pipeline.yaml"
pkggen -B "$B" "$T/pipeline.yaml"
run run_ninja "$B" start
[ "$rc" = 0 ] || fail "ninja start failed ($rc):
$out"
assert_contains "$out" "started cache (pgid"
assert_contains "$out" "ran bench: exit 0"
[ "$(rcli ping)" = PONG ] || fail "redis does not answer on port $PORT"
rcli config get maxmemory-policy | grep -qx allkeys-lru || fail "eviction policy not applied"
rcli config get maxmemory | grep -qx 128000000 || fail "maxmemory not applied"
pg=$(pgid cache)

# the benchmark's throughput, parsed into stats
st=$(cat "$B/run/bench/stats.json")
assert_contains "$st" '"exit": 0'
echo "$st" | grep -Eq '"set_rps": [0-9]+(\.[0-9]+)?,?$' || fail "no set_rps in stats.json:
$st"
echo "$st" | grep -Eq '"get_rps": [0-9]+(\.[0-9]+)?,?$' || fail "no get_rps in stats.json:
$st"

# iotrace ran in the benchmark (its sends counted), not in redis-server
tr=$(cat "$B/run/bench/shared/iotrace.txt")
echo "$tr" | grep -Eq 'prog=redis-benchmark .* send=[1-9]' || fail "no iotrace counts for redis-benchmark:
$tr"
[ -e "$B/run/cache/shared/iotrace.txt" ] && fail "iotrace ran in the cache entry"
tr '\0' '\n' <"/proc/$pg/environ" | grep -q '^LD_PRELOAD=.*iotrace' &&
	fail "redis-server runs with the iotrace preload"

run run_ninja "$B" status
[ "$rc" = 0 ] || fail "ninja status failed: $out"
assert_contains "$out" "cache  running (pgid $pg)"
assert_contains "$out" "bench  exit 0 ("

# unchanged: nothing restarts, the benchmark does not run again
run run_ninja "$B" start
[ "$rc" = 0 ] || fail "second ninja start failed: $out"
assert_not_contains "$out" "started"
assert_not_ran "$B" 'run/bench/stats.json'
[ "$(pgid cache)" = "$pg" ] || fail "cache was restarted"

# a parameter edit: redis restarts with it (the old one stopped), and the
# benchmark runs again against the new instance
sed 's/maxmemory: 128m/maxmemory: 100m/' "$T/pipeline.yaml" >"$T/p2.yaml"
mv "$T/p2.yaml" "$T/pipeline.yaml"
run run_ninja "$B" start
[ "$rc" = 0 ] || fail "ninja start after an edit failed: $out"
assert_contains "$out" "started cache (pgid"
assert_ran "$B" 'run/bench/stats.json'
[ "$(pgid cache)" != "$pg" ] || fail "cache kept its old process group"
rcli config get maxmemory | grep -qx 100000000 || fail "new maxmemory not applied"
grep -qx 'maxmemory 100m' "$B/run/cache/config/redis.conf" || fail "redis.conf not re-rendered"

# stop: redis is gone, status says so and fails; stop again is fine
pg=$(pgid cache)
run run_ninja "$B" stop
[ "$rc" = 0 ] || fail "ninja stop failed: $out"
assert_contains "$out" "stopped cache"
rcli ping >/dev/null 2>&1 && fail "redis still answers after ninja stop"
ps -eo pgid=,stat= | awk -v g="$pg" '$1 == g && $2 !~ /^Z/ { bad = 1 } END { exit !bad }' &&
	fail "a process of the cache's group survived ninja stop"
expect_fail 1 pkgtool -B "$B" status
assert_contains "$out" "cache  stopped"
run run_ninja "$B" stop
[ "$rc" = 0 ] || fail "a second ninja stop failed: $out"

# clean: the private data goes
[ -d "$B/run/cache/private/data" ] || fail "redis had no data directory"
run run_ninja "$B" clean
[ "$rc" = 0 ] || fail "ninja clean failed: $out"
[ -e "$B/run/cache/private" ] && fail "clean left run/cache/private"
[ -e "$B/run/bench/stats.json" ] && fail "clean left run/bench/stats.json"
exit 0
