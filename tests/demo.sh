#!/bin/sh
# The demo: what Paddock does on this host, end to end, with its own Redis.
#
# Today: `paddockctl up` starts a private redis-server and the daemons, a
# small "agent" runs three times as the workload demo-agent under
# `paddockctl run`, each run in a fresh temp directory; `paddockctl events`
# shows what the collector saw it do, attributed to the workload with
# resolved paths and destinations, and `paddockctl profile` the baseline the
# profiler learned from it: one pattern for the three temp directories.
# Later issues add the AI-BOM, alerting and blocking to this story.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ "$(id -u)" = 0 ] || { echo "make demo needs root (BPF, cgroups)" >&2; exit 1; }

dir=$(mktemp -d /tmp/paddock-demo.XXXXXX)
# Short intervals so that a demo of seconds shows syscalls and active time.
printf 'collectd:\n  syscall_interval: 1s\n  active_interval: 1s\nprofiled:\n  quiet_period: 30s\n' \
	> "$dir/paddock.yaml"
printf 'enforced:\n  bpffs: /sys/fs/bpf/%s\n' "$(basename "$dir" | tr . -)" >> "$dir/paddock.yaml"
ctl="bin/paddockctl -c $dir/paddock.yaml --state-dir=$dir"
cleanup() {
	$ctl down --disable >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

echo "== paddockctl up (state in $dir)"
$ctl up
echo
echo "== an agent runs three times as workload demo-agent"
for run in 1 2 3; do
	$ctl run --workload demo-agent -- bash -c '
		cat /etc/os-release >/dev/null
		d=$(mktemp -d)
		echo notes > "$d/notes.txt"
		ls "$d" >/dev/null
		rm -r "$d"
		(echo > /dev/tcp/127.0.0.1/9) 2>/dev/null || true
		sh -c "true"'
done
sleep 3
echo
echo "== paddockctl events --workload demo-agent (the first run)"
$ctl events --workload demo-agent | head -n 25
echo
echo "== paddockctl workloads"
$ctl workloads
echo
echo "== paddockctl profile demo-agent"
$ctl profile demo-agent
echo
echo "== the collector's counters (redis-cli HGETALL paddock:stats:collectd:$(hostname))"
redis-cli -s "$dir/redis.sock" HGETALL "paddock:stats:collectd:$(hostname)" | paste - - | column -t
echo
echo "== paddockctl down --disable (nothing left running or pinned)"
$ctl down --disable
