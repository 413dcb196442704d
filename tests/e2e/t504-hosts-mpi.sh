#!/bin/sh
# SPDX-License-Identifier: MIT
# t504-hosts-mpi: examples/multihost on three hosts (network namespaces with
# sshd): Redis on two of them, and a small MPI program in C, built with mpicc
# as a package of the example's repository, run by `ninja start` under Open
# MPI's mpiexec across the three: the hostfile converted to Open MPI's format
# ("host slots=N"), nprocs and ppn from the entry, the ssh options passed to
# mpiexec's ssh, the entry's environment to every rank; its exit status and
# stats recorded, a failing rank failing the step
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
HOSTS_NET=54
# shellcheck source=tests/e2e/hosts.sh
. "$E2E_DIR/hosts.sh"
hosts_need
# shellcheck disable=SC2317 # (called on exit)
hosts_cleanup_hook() {
	[ -f "$B/.pkggen/pipeline.json" ] && "$BIN/pkgtool" kill "$B"
}
need mpicc mpiexec redis-server redis-cli
mpiexec --version 2>&1 | grep -q 'Open MPI\|OpenRTE' || skip "mpiexec is not Open MPI's"
hosts_up 3

# the example, as it is: its hostfiles name node1..node3, the hosts made here
cp -R "$TOP/examples/multihost" "$T/ex"
# what is particular to this machine: ssh's config, and Open MPI kept on the
# test's network (it would also offer this machine's other addresses)
PKGTOOL_SSH_ARGS="-F $SSH_CFG"
OMPI_MCA_oob_tcp_if_include=10.200.$HOSTS_NET.0/24
OMPI_MCA_btl_tcp_if_include=10.200.$HOSTS_NET.0/24
OMPI_MCA_btl=self,tcp
export PKGTOOL_SSH_ARGS OMPI_MCA_oob_tcp_if_include OMPI_MCA_btl_tcp_if_include OMPI_MCA_btl
# and one entry more: two ranks per host
cat >>"$T/ex/pipeline.yaml" <<'EOF'
  - pkg_type: mpi_hello
    pkg_name: pairs
    nprocs: 6
    ppn: 2
EOF
B=$T/build
pkggen -B "$B" "$T/ex/pipeline.yaml"
run run_ninja "$B" start
[ "$rc" = 0 ] || fail "ninja start failed ($rc): $out"
assert_contains "$out" "started cache on node1 (pgid"
assert_contains "$out" "node2 (pgid"
for i in 1 2 3; do
	assert_contains "$out" "on node$i (entry hello)"
done
assert_contains "$out" "ran hello: exit 0"
[ "$(cat "$B/run/hello/hostfile.openmpi")" = "node1 slots=1
node2 slots=1
node3 slots=1" ] || fail "hostfile.openmpi: $(cat "$B/run/hello/hostfile.openmpi")"
grep -q 'node2 slots=2' "$B/run/pairs/hostfile.openmpi" || fail "pairs' hostfile: $(cat "$B/run/pairs/hostfile.openmpi")"
s=$(cat "$B/run/hello/stats.json")
assert_contains "$s" '"exit": 0'
assert_contains "$s" '"ranks": 3'
assert_contains "$s" '"rank_sum": 3'
assert_contains "$s" '"hosts": "node1,node2,node3"'
s=$(cat "$B/run/pairs/stats.json")
assert_contains "$s" '"ranks": 6'
assert_contains "$s" '"hosts": "node1,node1,node2,node2,node3,node3"'
run pkgtool -B "$B" status
[ "$rc" = 0 ] || fail "status failed: $out"
assert_contains "$out" "cache  node1  running (pgid"
assert_contains "$out" "cache  node2  running (pgid"
assert_not_contains "$out" "node3  running"
assert_contains "$out" "hello  exit 0"

# a rank that fails fails the step, and its status is recorded
sed 's/    nprocs: 3 .*/    nprocs: 3\n    fail_rank: 2/' "$T/ex/pipeline.yaml" >"$T/p2.yaml"
mv "$T/p2.yaml" "$T/ex/pipeline.yaml"
run run_ninja "$B" start
[ "$rc" != 0 ] || fail "a failing rank did not fail ninja start: $out"
assert_contains "$out" "hello: failed, exit 3"
assert_contains "$(cat "$B/run/hello/stats.json")" '"exit": 3'
expect_fail 1 pkgtool -B "$B" status
assert_contains "$out" "hello  exit 3"
run run_ninja "$B" stop
[ "$rc" = 0 ] || fail "ninja stop failed: $out"
assert_contains "$out" "stopped cache on node1 (pgid"
exit 0
