#!/bin/sh
# SPDX-License-Identifier: MIT
# t503-hosts-slurm: a Slurm cluster of one machine started by the test
# (munged, slurmctld and three slurmd, n1..n3, all in $T): a pipeline run
# through the slurm launcher inside an allocation (the allocation's nodes,
# one srun step per lifecycle step; the service's step lives as long as it),
# and a whole pipeline run submitted with `ninja submit` (sbatch: start, then
# stop, in the job)
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "the Slurm daemons run as root here"
need munged mungekey slurmctld slurmd srun salloc sbatch squeue scancel scontrol sinfo

S=$T/slurm
mkdir -p "$S/state" "$S/spool" "$S/log"
# a Slurm client without a config asks DNS for one: name ours before anything
export SLURM_CONF="$S/slurm.conf"
_slurm_pids=""
# shellcheck disable=SC2317 # (called on exit)
slurm_exit() {
	_rc0=$?
	set +eu
	# each step bounded: a stuck controller must not hold the suite
	[ -f "$B/.pkggen/pipeline.json" ] && timeout 60 "$BIN/pkgtool" kill "$B" >/dev/null 2>&1
	# slurmstepd outlives slurmd: end the jobs first
	timeout 15 scancel --quiet --full -u root >/dev/null 2>&1
	_w=0
	while [ -n "$(timeout 15 squeue -h 2>/dev/null)" ] && [ "$_w" -lt 30 ]; do
		sleep 0.1
		_w=$((_w + 1))
	done
	for _p in $_slurm_pids; do
		kill "$_p" 2>/dev/null
	done
	_w=0
	for _p in $_slurm_pids; do
		while kill -0 "$_p" 2>/dev/null && [ "$_w" -lt 100 ]; do
			sleep 0.1
			_w=$((_w + 1))
		done
		kill -9 "$_p" 2>/dev/null
		wait "$_p" 2>/dev/null
	done
	(exit "$_rc0")
	_cleanup
}
trap slurm_exit EXIT
# what Slurm says about its jobs and nodes, for a failure's message
slurm_state() {
	printf '\n--- squeue\n'
	timeout 15 squeue -a 2>&1
	printf -- '--- sinfo\n'
	timeout 15 sinfo -N 2>&1
	printf -- '--- slurmctld.log (end)\n'
	tail -n 30 "$S/log/slurmctld.log" 2>&1
}

mungekey -c -k "$S/munge.key" >/dev/null 2>&1 || mungekey -c -f -k "$S/munge.key"
chmod 400 "$S/munge.key"
munged -F --force --socket="$S/munge.sock" --key-file="$S/munge.key" \
	--pid-file="$S/munged.pid" --seed-file="$S/munge.seed" --log-file="$S/log/munged.log" \
	</dev/null >"$S/log/munged.out" 2>&1 &
_slurm_pids="$_slurm_pids $!"
H=$(hostname -s)
# the controller and three nodes: ports of their own, below the ephemeral
# range (a port a client connection holds makes slurmctld exit at once)
port=$(free_ports 4) || fail "no free ports for Slurm"
cat >"$SLURM_CONF" <<EOF
ClusterName=pkgtool-t503
SlurmctldHost=$H(127.0.0.1)
SlurmctldPort=$port
AuthType=auth/munge
AuthInfo=socket=$S/munge.sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool/%n
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.%n.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd.%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
InactiveLimit=0
MinJobAge=60
KillWait=2
NodeName=n1 NodeHostname=$H NodeAddr=127.0.0.1 Port=$((port + 1)) CPUs=2 State=UNKNOWN
NodeName=n2 NodeHostname=$H NodeAddr=127.0.0.1 Port=$((port + 2)) CPUs=2 State=UNKNOWN
NodeName=n3 NodeHostname=$H NodeAddr=127.0.0.1 Port=$((port + 3)) CPUs=2 State=UNKNOWN
PartitionName=test Nodes=n[1-3] Default=YES MaxTime=INFINITE State=UP
EOF
_w=0
while [ ! -S "$S/munge.sock" ]; do
	[ "$_w" -lt 50 ] || fail "munged did not start: $(cat "$S/log/munged.out")"
	sleep 0.1
	_w=$((_w + 1))
done
slurmctld -D -c -f "$SLURM_CONF" </dev/null >"$S/log/slurmctld.out" 2>&1 &
_slurm_pids="$_slurm_pids $!"
for n in n1 n2 n3; do
	slurmd -D -N "$n" -f "$SLURM_CONF" </dev/null >"$S/log/slurmd.$n.out" 2>&1 &
	_slurm_pids="$_slurm_pids $!"
done
# (a deadline, not a count: a stuck controller makes each sinfo wait)
_end=$(($(date +%s) + 15))
until [ "$(timeout 2 sinfo -h -o '%t' 2>/dev/null | sort -u)" = idle ]; do
	[ "$(date +%s)" -lt "$_end" ] || fail "the Slurm nodes are not idle after 15 s: $(slurm_state)"
	sleep 0.1
done

R=$T/repo
write "$R/svc/package.yaml" <<'EOF'
name: svc
version: "1.0"
kind: service
summary: a service that knows its node
lifecycle:
  start: |
    echo "svc on $PKG_HOST"
    echo $$ >"{{private_dir}}/svc.$PKG_HOST.pid"
    exec sleep 3600
  ready: test -s "{{private_dir}}/svc.$PKG_HOST.pid"
  status: kill -0 "$(cat "{{private_dir}}/svc.$PKG_HOST.pid")"
  stop: kill "$(cat "{{private_dir}}/svc.$PKG_HOST.pid")" && rm "{{private_dir}}/svc.$PKG_HOST.pid"
EOF
write "$R/where/package.yaml" <<'EOF'
name: where
version: "1.0"
kind: application
summary: says where it ran
lifecycle:
  start: echo "ran on $SLURMD_NODENAME in job $SLURM_JOB_ID"
EOF
# pipeline FILE [HOSTFILE]
pipeline() {
	write "$1" <<EOF
name: slurmy
repos: [ $R ]
launcher: slurm
${2:+hostfile: $2}
pkgs:
  - pkg_type: svc
    pkg_name: web
  - pkg_type: where
EOF
}

# inside an allocation: its nodes, one srun step per lifecycle step
B=$T/build
pipeline "$T/p.yaml"
pkggen -B "$B" "$T/p.yaml"
run run_ninja "$B" all
[ "$rc" = 0 ] || fail "ninja failed: $out"
expect_fail 1 pkgtool -B "$B" start web
assert_contains "$out" "the slurm launcher runs inside an allocation"
# (salloc waits for nodes as long as it takes: bounded here, 124 when hit)
run timeout 120 salloc -N 3 sh -c "ninja -C '$B' start && pkgtool -B '$B' status &&
	ninja -C '$B' stop && { pkgtool -B '$B' status || true; }"
[ "$rc" = 0 ] || fail "the run in an allocation failed ($rc): $out$(slurm_state)"
assert_contains "$out" "started web on n1 (pgid"
assert_contains "$out" "n3 (pgid"
assert_contains "$out" "n2: ran on n2 in job"
assert_contains "$out" "web    n2  running (pgid"
assert_contains "$out" "where  n3  exit 0"
assert_contains "$out" "stopped web on n1 (pgid"
assert_contains "$out" "web    not started"
assert_contains "$(cat "$B/run/web/hosts/n2/start.log")" "svc on n2"
grep -q '"n1": 0' "$B/run/where/stats.json" || fail "stats.json: $(cat "$B/run/where/stats.json")"
[ -f "$B/run/web/hosts.json" ] && fail "stop left hosts.json"
for n in n1 n2 n3; do
	[ -e "$B/run/web/private/svc.$n.pid" ] && fail "the service on $n was not stopped"
done

# an allocation that ends with the service running takes it along: stop,
# status and start from outside it know (srun --jobid reaches a live one)
run timeout 120 salloc -N 3 ninja -C "$B" start
[ "$rc" = 0 ] || fail "ninja start in an allocation failed ($rc): $out$(slurm_state)"
job=$(sed -n 's/.*"job": "\([0-9]*\)".*/\1/p' "$B/run/web/hosts.json")
[ -n "$job" ] || fail "hosts.json records no job: $(cat "$B/run/web/hosts.json")"
# (Slurm ends a job's steps as it goes: give it a moment)
for g in $(sed -n 's/.*"pgid": \([0-9]*\).*/\1/p' "$B/run/web/hosts.json"); do
	_w=0
	while ps -eo pgid=,stat= | awk -v g="$g" '$1 == g && $2 !~ /^Z/ { f = 1 } END { exit !f }'; do
		[ "$_w" -lt 50 ] || fail "process group $g outlived its allocation"
		sleep 0.1
		_w=$((_w + 1))
	done
done
expect_fail 1 timeout 60 pkgtool -B "$B" status web
assert_contains "$out" "web  n1  stopped (Slurm job $job is over)"
run timeout 60 pkgtool -B "$B" stop
[ "$rc" = 0 ] || fail "stop after the allocation ended failed: $out$(slurm_state)"
assert_contains "$out" "web: Slurm job $job is over, and its steps with it"
[ -f "$B/run/web/hosts.json" ] && fail "stop left hosts.json"

# a whole run as a batch job: ninja submit, on the hostfile's nodes
printf 'n[1-2]\n' >"$T/nodes.txt"
pipeline "$T/p.yaml" nodes.txt
run run_ninja "$B" submit
[ "$rc" = 0 ] || fail "ninja submit failed: $out"
assert_contains "$out" "submitted slurmy as Slurm job"
job=$(printf '%s\n' "$out" | sed -n 's/.*as Slurm job \([0-9]*\) .*/\1/p')
[ -n "$job" ] || fail "no job id in: $out"
grep -q "^#SBATCH --nodelist=n1,n2" "$B/run/submit.sh" || fail "submit.sh: $(cat "$B/run/submit.sh")"
_w=0
while [ -n "$(timeout 15 squeue -h -j "$job" 2>/dev/null)" ]; do
	[ "$_w" -lt 300 ] || fail "job $job still runs after 30 s: $(cat "$B/run/submit-$job.log")$(slurm_state)"
	sleep 0.1
	_w=$((_w + 1))
done
log=$(cat "$B/run/submit-$job.log")
assert_contains "$log" "started web on n1 (pgid"
assert_contains "$log" "n2: ran on n2 in job $job"
assert_contains "$log" "stopped web on n1 (pgid"
assert_not_contains "$log" "n3"
grep -q '"n2": 0' "$B/run/where/stats.json" || fail "stats.json: $(cat "$B/run/where/stats.json")"
exit 0
