. "$(dirname "$0")/lib.sh"
HOSTS_NET=53
HOSTS_TMPFS="$T/private"
mkdir -p "$T/private"
. "$E2E_DIR/hosts.sh"
hosts_need
hosts_up 3
echo "$T" > /tmp/mh/hold.T
sleep 1200
