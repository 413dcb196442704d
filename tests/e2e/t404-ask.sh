#!/bin/sh
# SPDX-License-Identifier: MIT
# t404-ask: pkggen --ask prompts on a terminal for a missing required
# parameter, says what is wrong with a bad answer and asks again; without a
# terminal it fails listing what is missing
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need python3

R=$T/repo
mkrepo "$R"
write "$R/app/package.yaml" <<'YAML'
name: app
version: 1.0
kind: application
config:
  - name: clients
    type: int
    required: true
    range: [1, 1000]
    msg: benchmark clients
lifecycle:
  start: echo clients={{clients}}
YAML
write "$T/pl.yaml" <<YAML
name: asked
repos: [ $R ]
pkgs:
  - pkg_type: app
YAML

# no terminal: an error that names the parameter
expect_fail 2 pkggen -B "$T/b0" --ask "$T/pl.yaml" </dev/null
assert_contains "$out" "missing required parameters: clients (int: benchmark clients)"
assert_contains "$out" "--ask needs a terminal"
[ ! -e "$T/b0/build.ninja" ] || fail "a failing pkggen wrote build.ninja"

# a terminal (a pty): a bad answer, then a good one
out=$(python3 - "$BIN/pkggen" "$T/b1" "$T/pl.yaml" <<'PY'
import os, pty, select, sys, time

pkggen, builddir, pipeline = sys.argv[1:4]
pid, fd = pty.fork()
if pid == 0:
    os.execv(pkggen, [pkggen, "-B", builddir, "--ask", pipeline])
seen = b""

def wait_for(text, limit=10.0):
    global seen
    end = time.time() + limit
    while text not in seen and time.time() < end:
        if select.select([fd], [], [], 0.1)[0]:
            try:
                seen += os.read(fd, 4096)
            except OSError:
                break

wait_for(b"app.clients (int, benchmark clients): ")
os.write(fd, b"lots\n")
wait_for(b"must be a whole number")
wait_for(b"app.clients (int, benchmark clients): ", 5.0)
os.write(fd, b"2000\n")
wait_for(b"outside its range")
os.write(fd, b"7\n")
_, status = os.waitpid(pid, 0)
while select.select([fd], [], [], 0.1)[0]:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
sys.stdout.write(seen.decode(errors="replace"))
print("\nexit %d" % os.WEXITSTATUS(status))
PY
)
assert_contains "$out" "must be a whole number, not 'lots'"
assert_contains "$out" "outside its range [1, 1000]"
assert_contains "$out" "exit 0"
assert_contains "$(cat "$T/b1/.pkggen/run/app.json")" '"clients": 7'
