# shellcheck shell=sh
# SPDX-License-Identifier: MIT
# hosts.sh: sourced after lib.sh by the many-host tests (t5NN): makes hosts
# on this machine, each a network
# namespace with its own sshd, and removes them again on exit, also when the
# test fails or is interrupted.
#
#   HOSTS_NET=N        the test's own subnet 10.200.N.0/24 (1..250): two tests
#                      running at once must not share one
#   HOSTS_TMPFS="D..." directories that each host sees as its own empty tmpfs
#   hosts_need         skip (exit 77) unless root with ip, nsenter, sshd
#   hosts_up COUNT     hosts node1..nodeCOUNT at 10.200.N.1..COUNT; this machine
#                      is 10.200.N.254 on the bridge. Writes $HOSTS_DIR/ssh_config
#                      (Host nodeI), $SSH_CFG names it; `ssh -F "$SSH_CFG" node2 CMD`
#   on_host I CMD...   run CMD in host I's namespaces (its mounts and hostname)
#   host_link I up|down  connect or cut off host I
#   hosts_cleanup_hook   a test may define it: runs first on exit (while the
#                      hosts still answer), e.g. to stop what a pipeline started
# Only addresses in 10.200.N.0/24 and loopback are used. Processes are ended by
# pid (the daemons we started, then whatever is left in a host's namespace).

: "${HOSTS_NET:?HOSTS_NET must name the subnet 10.200.N.0/24 of the test}"
HOSTS_DIR=$T/hosts
SSH_CFG=$HOSTS_DIR/ssh_config
_hosts_n=0
_hosts_pids=""
_hosts_br=pkt${HOSTS_NET}br

hosts_need() {
	[ "$(id -u)" = 0 ] || skip "many-host tests need root (network namespaces)"
	need ip nsenter unshare ssh ssh-keygen setsid
	[ -x /usr/sbin/sshd ] || skip "sshd not installed (apt-get install openssh-server)"
	ip netns list >/dev/null 2>&1 || skip "no network namespaces here"
	if ip link show "$_hosts_br" >/dev/null 2>&1; then
		skip "$_hosts_br exists: another run uses 10.200.$HOSTS_NET.0/24"
	fi
}

_hosts_ns() {
	echo "pkgtool-t$HOSTS_NET-node$1"
}

# the pid of host I's holder: the process whose namespaces are the host
_hosts_holder() {
	cat "$HOSTS_DIR/node$1.holder"
}

on_host() {
	_i=$1
	shift
	nsenter -t "$(_hosts_holder "$_i")" -u -m -n "$@"
}

host_link() {
	ip link set "pkt${HOSTS_NET}h$1" "$2"
}

hosts_up() {
	_hosts_n=$1
	mkdir -p "$HOSTS_DIR" /run/sshd
	ssh-keygen -q -t ed25519 -N '' -f "$HOSTS_DIR/hostkey" </dev/null
	ssh-keygen -q -t ed25519 -N '' -f "$HOSTS_DIR/key" </dev/null
	cp "$HOSTS_DIR/key.pub" "$HOSTS_DIR/authorized_keys"
	{
		echo "Host *"
		echo "  User root"
		echo "  IdentityFile $HOSTS_DIR/key"
		echo "  IdentitiesOnly yes"
		echo "  StrictHostKeyChecking no"
		echo "  UserKnownHostsFile /dev/null"
		echo "  BatchMode yes"
		echo "  LogLevel ERROR"
		echo "  ConnectTimeout 3"
	} >"$SSH_CFG.tail"
	: >"$SSH_CFG"
	ip link add "$_hosts_br" type bridge
	_hosts_made=1
	ip addr add "10.200.$HOSTS_NET.254/24" dev "$_hosts_br"
	ip link set "$_hosts_br" up
	_i=1
	while [ "$_i" -le "$_hosts_n" ]; do
		_ns=$(_hosts_ns "$_i")
		_veth=pkt${HOSTS_NET}h$_i
		ip netns add "$_ns"
		ip link add "$_veth" type veth peer name "${_veth}p"
		ip link set "${_veth}p" netns "$_ns"
		ip -n "$_ns" link set "${_veth}p" name eth0
		ip -n "$_ns" addr add "10.200.$HOSTS_NET.$_i/24" dev eth0
		ip -n "$_ns" link set eth0 up
		ip -n "$_ns" link set lo up
		ip link set "$_veth" master "$_hosts_br" up
		# the holder: its own hostname and mounts, then it waits
		# shellcheck disable=SC2016
		nsenter --net="/run/netns/$_ns" unshare --uts --mount --propagation private \
			sh -c 'hostname "$1"; r=$2; shift 2
				for d in "$@"; do mount -t tmpfs -o size=512m tmpfs "$d" || exit 1; done
				: >"$r"; exec sleep 100000' sh "node$_i" "$HOSTS_DIR/node$_i.ready" \
			${HOSTS_TMPFS:-} </dev/null >>"$HOSTS_DIR/node$_i.log" 2>&1 &
		echo $! >"$HOSTS_DIR/node$_i.holder"
		_hosts_pids="$_hosts_pids $!"
		cat >"$HOSTS_DIR/sshd$_i.conf" <<EOF
ListenAddress 10.200.$HOSTS_NET.$_i
HostKey $HOSTS_DIR/hostkey
AuthorizedKeysFile $HOSTS_DIR/authorized_keys
PermitRootLogin prohibit-password
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
PidFile none
Subsystem sftp internal-sftp
MaxStartups 100:30:200
EOF
		printf 'Host node%s\n  HostName 10.200.%s.%s\n' "$_i" "$HOSTS_NET" "$_i" >>"$SSH_CFG"
		_i=$((_i + 1))
	done
	cat "$SSH_CFG.tail" >>"$SSH_CFG"
	_i=1
	while [ "$_i" -le "$_hosts_n" ]; do
		_w=0
		while [ ! -e "$HOSTS_DIR/node$_i.ready" ]; do
			kill -0 "$(_hosts_holder "$_i")" 2>/dev/null ||
				fail "host node$_i did not come up: $(cat "$HOSTS_DIR/node$_i.log")"
			[ "$_w" -lt 100 ] || fail "host node$_i did not come up in 5 s"
			sleep 0.05
			_w=$((_w + 1))
		done
		# nsenter execs sshd: $! is sshd's pid
		nsenter -t "$(_hosts_holder "$_i")" -u -m -n /usr/sbin/sshd -D -e \
			-f "$HOSTS_DIR/sshd$_i.conf" </dev/null >>"$HOSTS_DIR/sshd$_i.log" 2>&1 &
		_hosts_pids="$_hosts_pids $!"
		_i=$((_i + 1))
	done
	_i=1
	while [ "$_i" -le "$_hosts_n" ]; do
		_w=0
		until ssh -F "$SSH_CFG" "node$_i" true </dev/null 2>/dev/null; do
			[ "$_w" -lt 50 ] || fail "sshd on node$_i does not answer: $(cat "$HOSTS_DIR/sshd$_i.log")"
			sleep 0.1
			_w=$((_w + 1))
		done
		_i=$((_i + 1))
	done
}

# shellcheck disable=SC2317 # (called from the EXIT trap)
hosts_down() {
	[ -n "${_hosts_made:-}" ] || return 0
	if command -v hosts_cleanup_hook >/dev/null 2>&1; then
		hosts_cleanup_hook >/dev/null 2>&1
	fi
	# our daemons (sshd, the holders), then what is left in a host's network
	# namespace: services a failed test did not stop
	for _p in $_hosts_pids; do
		kill "$_p" 2>/dev/null
	done
	_i=1
	while [ "$_i" -le "$_hosts_n" ]; do
		_ns=$(_hosts_ns "$_i")
		for _p in $(ip netns pids "$_ns" 2>/dev/null); do
			kill -9 "$_p" 2>/dev/null
		done
		_i=$((_i + 1))
	done
	for _p in $_hosts_pids; do
		wait "$_p" 2>/dev/null
	done
	_i=1
	while [ "$_i" -le "$_hosts_n" ]; do
		ip link del "pkt${HOSTS_NET}h$_i" 2>/dev/null
		ip netns del "$(_hosts_ns "$_i")" 2>/dev/null
		_i=$((_i + 1))
	done
	ip link del "$_hosts_br" 2>/dev/null
	# the kernel frees links asynchronously: let the next test find them gone
	_w=0
	while ip link show "$_hosts_br" >/dev/null 2>&1 && [ "$_w" -lt 20 ]; do
		sleep 0.1
		_w=$((_w + 1))
	done
	return 0
}

# shellcheck disable=SC2317
_hosts_exit() {
	_hrc=$?
	set +eu
	hosts_down
	(exit "$_hrc")
	_cleanup
}
trap _hosts_exit EXIT
