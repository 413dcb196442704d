# shellcheck shell=sh
# SPDX-License-Identifier: MIT
# lib.sh: sourced by every end-to-end test (tests/e2e/tNNN-topic.sh) as
#   . "$(dirname "$0")/lib.sh"
# It sets `set -eu`, makes a temp dir $T (the test's cwd), removes it and stops
# every background process the test started (by PID) on exit, and gives helpers.
# Exit 77 means "skipped" to tests/run.sh. KEEP_TMP=1 keeps $T for a post-mortem.
set -eu

: "${BIN:?BIN must name the directory holding pkggen and pkgtool}"
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$E2E_DIR/../.." && pwd)
TEST_NAME=$(basename "$0" .sh)
export BIN TOP

# a clean, predictable environment: no user repos, stores or mirrors; the
# Debian mirror points at nothing, so no test reaches the network by accident
unset PKGTOOL_REPOS PKGTOOL_STORE PKGTOOL_ENVS PKGTOOL_OFFLINE CDPATH
export LC_ALL=C NO_COLOR=1
PATH=$BIN:$PATH
export PATH

T=$(mktemp -d "${TMPDIR:-/tmp}/pkgtool-e2e.$TEST_NAME.XXXXXX")
T=$(cd "$T" && pwd -P)
mkdir "$T/home" "$T/.lib"
export HOME="$T/home"
export PKGTOOL_MIRRORS="debian=file://$T/no-debian-mirror"
_pids=""

_cleanup() {
	_rc=$?
	set +e
	for _p in $_pids; do
		kill "$_p" 2>/dev/null
	done
	for _p in $_pids; do
		wait "$_p" 2>/dev/null
	done
	cd /
	if [ -n "${KEEP_TMP:-}" ]; then
		echo "kept $T" >&2
	else
		# packages in the store may be read-only
		chmod -R u+w "$T" 2>/dev/null
		rm -rf "$T"
	fi
	exit "$_rc"
}
trap _cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
cd "$T"

# fail MSG...: print "FAIL: MSG" and stop the test
fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

# skip WHY: stop the test and report it skipped (tests/run.sh reads the line)
skip() {
	printf 'skip: %s\n' "$*"
	exit 77
}

# need CMD...: skip unless every CMD is on PATH
need() {
	for _c in "$@"; do
		command -v "$_c" >/dev/null 2>&1 || skip "$_c not installed"
	done
}

pkggen() {
	"$BIN/pkggen" "$@"
}

pkgtool() {
	"$BIN/pkgtool" "$@"
}

# run CMD...: run it without stopping on failure; stdout+stderr in $out, status in $rc
run() {
	set +e
	out=$("$@" 2>&1)
	rc=$?
	set -e
}

# expect_fail RC CMD...: CMD must exit with RC; its output is left in $out
expect_fail() {
	_want=$1
	shift
	run "$@"
	[ "$rc" = "$_want" ] || fail "'$*' exited $rc, expected $_want; output:
$out"
}

# assert_contains TEXT PART: TEXT must contain PART
assert_contains() {
	case $1 in
	*"$2"*) ;;
	*) fail "expected output to contain '$2'; got:
$1" ;;
	esac
}

# assert_not_contains TEXT PART
assert_not_contains() {
	case $1 in
	*"$2"*) fail "expected output not to contain '$2'; got:
$1" ;;
	esac
}

# write FILE: write stdin to FILE, creating its directory
write() {
	mkdir -p "$(dirname "$1")"
	cat >"$1"
}

# mkrepo DIR: an empty package repository
mkrepo() {
	mkdir -p "$1"
}

# mkpkg REPO NAME VERSION [DEP...]: a package whose files/NAME.txt holds
# "NAME VERSION" and whose build installs it under share/NAME/. A DEP is a
# dependency string as a recipe writes it ("libfoo >= 1.2").
mkpkg() {
	_repo=$1 _name=$2 _ver=$3
	shift 3
	_deps=""
	for _d in "$@"; do
		_deps="$_deps${_deps:+, }\"$_d\""
	done
	mkdir -p "$_repo/$_name/files"
	printf '%s %s\n' "$_name" "$_ver" >"$_repo/$_name/files/$_name.txt"
	write "$_repo/$_name/package.yaml" <<EOF
name: $_name
version: "$_ver"
kind: library
summary: test package $_name
depends: [ $_deps ]
sources:
  - path: files/
build: |
  mkdir -p "\$PKG_DESTDIR\$PKG_PREFIX/share/$_name"
  cp -R . "\$PKG_DESTDIR\$PKG_PREFIX/share/$_name/"
EOF
}

# pkgid BUILDDIR NAME: the id of the (one) built package NAME in BUILDDIR's store
pkgid() {
	_n=0
	for _a in "$1"/store/pkgs/"$2"--*.tar.*; do
		[ -e "$_a" ] || fail "no package $2 in $1/store/pkgs"
		_id=$(basename "$_a")
		_id=${_id%.tar.*}
		_n=$((_n + 1))
	done
	[ "$_n" = 1 ] || fail "$_n packages named $2 in $1/store/pkgs"
	echo "$_id"
}

# key for per-build-directory state in $T/.lib
_bkey() {
	printf '%s' "$1" | cksum | cut -d' ' -f1
}

# run_ninja BUILDDIR [ARG...]: run ninja there, remembering its log so that
# ninja_ran can tell afterwards which edges this run executed
run_ninja() {
	_b=$1
	shift
	_prev="$T/.lib/ninja_log.$(_bkey "$_b")"
	if [ -f "$_b/.ninja_log" ]; then
		cp "$_b/.ninja_log" "$_prev"
	else
		: >"$_prev"
	fi
	ninja -C "$_b" "$@"
}

# ninja_ran BUILDDIR: the outputs (relative to BUILDDIR, sorted) of the edges
# the last run_ninja there executed: the .ninja_log lines it added. A log that
# ninja recompacted keeps its old lines, so a set difference works either way.
ninja_ran() {
	_prev="$T/.lib/ninja_log.$(_bkey "$1")"
	[ -f "$_prev" ] || fail "ninja_ran $1: no run_ninja there yet"
	[ -f "$1/.ninja_log" ] || return 0
	awk -F'\t' 'FILENAME == ARGV[1] { seen[$0] = 1; next }
		/^#/ || ($0 in seen) { next }
		{ print $4 }' "$_prev" "$1/.ninja_log" | sort -u
}

# assert_ran BUILDDIR PATTERN...: the last run executed an edge with an output
# matching each shell PATTERN (e.g. '*/pkgs/hello--*')
assert_ran() {
	_b=$1
	shift
	_ran=$(ninja_ran "$_b")
	for _pat in "$@"; do
		_hit=""
		for _o in $_ran; do
			# shellcheck disable=SC2254
			case $_o in $_pat) _hit=1 ;; esac
		done
		[ -n "$_hit" ] || fail "expected an edge matching '$_pat' to run; ran:
$_ran"
	done
}

# assert_not_ran BUILDDIR PATTERN...: no edge with an output matching PATTERN ran
assert_not_ran() {
	_b=$1
	shift
	_ran=$(ninja_ran "$_b")
	for _pat in "$@"; do
		for _o in $_ran; do
			# shellcheck disable=SC2254
			case $_o in $_pat) fail "expected nothing matching '$_pat' to run; ran:
$_ran" ;; esac
		done
	done
}

# assert_no_work BUILDDIR: a ninja run there has nothing to do
assert_no_work() {
	run run_ninja "$1"
	[ "$rc" = 0 ] || fail "ninja -C $1 failed ($rc):
$out"
	assert_contains "$out" "ninja: no work to do."
}

# in_active BUILDDIR CMD...: run CMD with BUILDDIR's active set (env.sh) applied
in_active() {
	_b=$1
	shift
	[ -f "$_b/env/active/env.sh" ] || fail "$_b/env/active/env.sh missing"
	# shellcheck disable=SC2016
	sh -c '. "$1/env/active/env.sh" && shift && exec "$@"' sh "$_b" "$@"
}

# free_ports N: prints P such that ports P..P+N-1 on 127.0.0.1 are free
# just now, for servers that must be told their port (a Slurm controller
# and its nodes, redis). P is below the kernel's ephemeral range, where a
# client connection of a test running beside this one could hold a port
# and the server's bind would fail with "Address already in use".
free_ports() {
	need python3
	python3 - "$1" "$$" <<'PY'
import socket
import sys

n, seed = int(sys.argv[1]), int(sys.argv[2])
try:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low = int(f.read().split()[0])
except (OSError, ValueError, IndexError):
    low = 32768
lo = 10000
hi = max(lo + 64 * n, low - n)
slots = (hi - lo) // n
for k in range(200):
    p = lo + (seed * 7919 + k * 104729) % slots * n
    socks, ok = [], True
    try:
        for i in range(n):
            s = socket.socket()
            socks.append(s)
            s.bind(("127.0.0.1", p + i))
    except OSError:
        ok = False
    for s in socks:
        s.close()
    if ok:
        print(p)
        sys.exit(0)
sys.exit("free_ports: no %d free ports in a row on 127.0.0.1 in %d-%d" % (n, lo, hi))
PY
}

# start_http DIR: serve DIR on 127.0.0.1 (a free port, in $HTTP_PORT) until the test ends
start_http() {
	need python3
	_http_n=$((${_http_n:-0} + 1))
	_log="$T/.lib/http.$_http_n.log"
	python3 -u -m http.server --bind 127.0.0.1 --directory "$1" 0 >"$_log" 2>&1 &
	_pid=$!
	_pids="$_pids $_pid"
	HTTP_PORT=""
	_i=0
	while [ "$_i" -lt 100 ]; do
		kill -0 "$_pid" 2>/dev/null || fail "http server died: $(cat "$_log")"
		if [ -z "$HTTP_PORT" ]; then
			HTTP_PORT=$(sed -n 's/.* port \([0-9][0-9]*\).*/\1/p' "$_log" | head -n 1)
		fi
		if [ -n "$HTTP_PORT" ] && python3 -c '
import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$HTTP_PORT" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	fail "http server on $1 did not answer in 10 s: $(cat "$_log")"
}
