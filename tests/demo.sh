#!/bin/sh
# The demo: what Paddock does on this host, end to end, with its own Redis.
#
# Today: `paddockctl up` starts a private redis-server and the daemons, a
# small "agent" runs as the workload demo-agent under `paddockctl run`, and
# `paddockctl events` shows what the collector saw it do, attributed to the
# workload with resolved paths and destinations.  Later issues add the
# baseline, the AI-BOM, alerting and blocking to this story.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ "$(id -u)" = 0 ] || { echo "make demo needs root (BPF, cgroups)" >&2; exit 1; }

dir=$(mktemp -d /tmp/paddock-demo.XXXXXX)
ctl="bin/paddockctl --state-dir=$dir"
cleanup() {
	$ctl down >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

echo "== paddockctl up (state in $dir)"
$ctl up
echo
echo "== an agent runs as workload demo-agent"
$ctl run --workload demo-agent -- bash -c '
	cat /etc/os-release >/dev/null
	ls /tmp >/dev/null
	(echo > /dev/tcp/127.0.0.1/9) 2>/dev/null || true
	sh -c "true"'
sleep 2
echo
echo "== paddockctl events --workload demo-agent"
$ctl events --workload demo-agent
echo
echo "== the collector's counters (redis-cli HGETALL paddock:stats:collectd:$(hostname))"
redis-cli -s "$dir/redis.sock" HGETALL "paddock:stats:collectd:$(hostname)" | paste - - | column -t
echo
echo "== paddockctl down"
$ctl down
