#!/bin/sh
# SPDX-License-Identifier: MIT
# t501-hosts-ssh-pdsh: a service on three hosts (network namespaces with their
# own sshd), started, checked and stopped through the ssh launcher and then
# through pdsh; each host's private_dir (a tmpfs of its own) holds only its
# own files and pid file; a hostfile with a bracket range; an application run
# on every host with its exit status per host
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
    touch "{{private_dir}}/ready"
    exec sleep 3600
  ready: test -f "{{private_dir}}/ready"
  status: test -f "{{private_dir}}/ready"
  stop: rm -f "{{private_dir}}/ready"
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
ssh_args: -F $SSH_CFG
private_dir: $T/private
pkgs:
  - pkg_type: svc
    pkg_name: web
    msg: from-$1
  - pkg_type: where
    fail_on: ${3:-none}
EOF
}

# pid_on I FILE: the process group a host's pid file records ("" when none)
pid_on() {
	on_host "$1" sh -c 'cat "$1" 2>/dev/null | cut -d" " -f1' sh "$2"
}

L=ssh
B=$T/build-$L
pipeline "$L" "p$L"
pkggen -B "$B" "$T/p$L.yaml"
time ninja -C "$B" start
for i in 1 2 3; do on_host $i sh -c 'cat '"$T"'/private/web/pkgtool.node'$i'.pid'; done
ps -eo pid,pgid,sid,stat,cmd | grep "sleep 3600" | grep -v grep
sleep 2
ps -eo pid,pgid,sid,stat,cmd | grep "sleep 3600" | grep -v grep
