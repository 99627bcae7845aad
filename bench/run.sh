#!/bin/sh
# make bench (root): what Paddock costs, measured, next to auditd.
#
# Workloads (bench/storm.c, each timing itself, wall and CPU of the
# workload): open/close storm, fork+exec storm, TCP connect storm to a
# loopback listener.  Each runs as a workload under `paddockctl run`.
#
# Configurations, interleaved round by round (bare observe enforce auditd,
# bare observe ..., BENCH_ROUNDS rounds, default 5):
#   bare     no Paddock, no audit rules
#   observe  the whole stack up (collector publishing, profiler, ...)
#   enforce  the same, with each bench workload in enforce and a policy
#            allowing what it does (the checking cost; today only the
#            network dimension is enforced, see docs/architecture.md)
#   auditd   no Paddock; audit rules on execve, openat and connect, as an
#            auditd user would write them (auditd installed from Debian)
#
# Reported (bench/results/results.md and results.json, summarised here):
# min/median/max wall and CPU per workload and configuration, overhead
# versus bare in %, Paddock's daemons' CPU per million syscalls (syscalls
# counted by the collector's own sys_enter program with
# kernel.bpf_stats_enabled=1), kernel ns per BPF program run, and events
# seen, deduplicated, emitted and lost.  Not covered yet: the agent-like
# mix, the build, pipeline throughput, memory per 10/100/1000 workloads
# and policy propagation latency (issue 9 stays open for them).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ "$(id -u)" = 0 ] || { echo "make bench needs root (BPF, cgroups, audit)" >&2; exit 1; }
rounds=${BENCH_ROUNDS:-5}
N_OPEN=${BENCH_OPEN:-20000}
N_EXEC=${BENCH_EXEC:-1000}
N_CONN=${BENCH_CONNECT:-10000}
PORT=47321

mkdir -p build/bench bench/results
cc -O2 -Wall -o build/bench/storm bench/storm.c -lpthread
storm=$top/build/bench/storm

dir=$(mktemp -d /tmp/paddock-bench.XXXXXX)
pins=/sys/fs/bpf/$(basename "$dir" | tr . -)
conf=$dir/paddock.yaml
ctl="bin/paddockctl -c $conf --state-dir=$dir"
raw=$dir/raw.txt
audit_ok=0
cleanup() {
	[ "$audit_ok" = 1 ] && auditctl -D -k paddock-bench >/dev/null 2>&1 || true
	$ctl down --disable >/dev/null 2>&1 || true
	sysctl -q kernel.bpf_stats_enabled=0 || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM
printf 'collectd:\n  stats_interval: 1s\nprofiled:\n  quiet_period: 2s\n' > "$conf"
printf 'enforced:\n  bpffs: %s\n' "$pins" >> "$conf"
mkdir -p "$dir/files"

# auditd, from Debian; the kernel may refuse audit (then: said, skipped).
if ! command -v auditctl >/dev/null 2>&1; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q auditd >/dev/null 2>&1 || true
fi
if command -v auditctl >/dev/null 2>&1 && auditctl -s >/dev/null 2>&1; then
	audit_ok=1
	(service auditd start || auditd) >/dev/null 2>&1 || true
else
	echo "auditd: not available or the kernel refuses audit; that configuration is skipped"
fi

run() {	# config workload
	case $2 in
	open) a="open $N_OPEN $dir/files" ;;
	exec) a="exec $N_EXEC" ;;
	connect) a="connect $N_CONN $PORT" ;;
	esac
	# shellcheck disable=SC2086
	out=$(bin/paddockctl --state-dir="$dir" run --workload "bench-$2" -- $storm $a)
	echo "$1 $2 $out" >> "$raw"
}
all() { for w in open exec connect; do run "$1" "$w"; done; }
daemon_ticks() {	# utime+stime of collectd, profiled, policyd, enforced, redis
	t=0
	for n in collectd profiled policyd enforced redis; do
		p=$(cat "$dir/$n.pid" 2>/dev/null || echo 0)
		[ "$p" -gt 0 ] && [ -r "/proc/$p/stat" ] &&
			t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
	done
	echo "$t"
}
bpf_stats() {	# "name run_time_ns run_cnt" of our programs
	bpftool prog show -j 2>/dev/null | node -e '
		let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
		for (const p of JSON.parse(s || "[]"))
			if (/^(on_|enf_|obs_)/.test(p.name || "") && p.run_cnt)
				console.log(p.name, p.run_time_ns, p.run_cnt); });'
}
stat_of() {	# field of the collector's stats hash
	redis-cli -s "$dir/redis.sock" HGET "paddock:stats:collectd:$(hostname)" "$1"
}
drained() {	# wait until the profiler has consumed every event (<= 120 s)
	# (Redis 7.0's "lag" can stay wrong after a reconnect: compare ids.)
	for i in $(seq 600); do
		g=$(redis-cli -s "$dir/redis.sock" XINFO GROUPS paddock:events 2>/dev/null |
			awk '/^pending$/ { getline; p = $0 } /^last-delivered-id$/ { getline; d = $0 }
			END { print p, d }')
		last=$(redis-cli -s "$dir/redis.sock" XINFO STREAM paddock:events 2>/dev/null |
			awk '/^last-generated-id$/ { getline; print }')
		[ "$g" = "0 $last" ] && return 0
		sleep 0.2
	done
	echo " (the profiler did not catch up in 120 s)"
}
promote_all() {
	for w in open exec connect; do
		$ctl promote "bench-$w" --to "$1" --force --reason bench >/dev/null 2>&1 ||
		$ctl demote "bench-$w" --to "$1" --reason bench >/dev/null 2>&1 || true
	done
	sleep 1
}

# Learn once, so that "enforce" has policies that allow the workloads.
sysctl -q kernel.bpf_stats_enabled=1
$ctl up >/dev/null
all learn
drained
sleep 2
$ctl down >/dev/null

echo "== $rounds rounds: bare observe enforce${audit_ok:+ }$([ $audit_ok = 1 ] && echo auditd)"
: > "$dir/daemon.txt"
: > "$dir/bpf.txt"
: > "$dir/events.txt"
for r in $(seq "$rounds"); do
	printf 'round %s:' "$r"
	all bare; printf ' bare'
	$ctl up >/dev/null
	promote_all learning
	s0=$(stat_of kernel_seen); d0=$(stat_of kernel_deduplicated)
	e0=$(stat_of kernel_emitted); l0=$(stat_of ringbuf_full)
	t0=$(daemon_ticks)
	all observe; printf ' observe'
	drained	# the daemons' work for these runs, all of it, in the figure
	t1=$(daemon_ticks)
	bpf_stats > "$dir/bpf-round.txt"
	echo "$((t1 - t0)) $(grep -E '^on_sys_enter ' "$dir/bpf-round.txt" | awk '{print $3}' | head -1)" >> "$dir/daemon.txt"
	cat "$dir/bpf-round.txt" >> "$dir/bpf.txt"
	echo "$(( $(stat_of kernel_seen) - s0 )) $(( $(stat_of kernel_deduplicated) - d0 )) $(( $(stat_of kernel_emitted) - e0 )) $(( $(stat_of ringbuf_full) - l0 ))" >> "$dir/events.txt"
	promote_all enforce
	drained
	all enforce; printf ' enforce'
	promote_all learning
	$ctl down >/dev/null
	if [ "$audit_ok" = 1 ]; then
		auditctl -a always,exit -F arch=b64 -S execve -S openat -S connect -k paddock-bench >/dev/null
		all auditd; printf ' auditd'
		auditctl -D -k paddock-bench >/dev/null
	fi
	echo
done

node bench/report.mjs "$raw" "$dir/daemon.txt" "$dir/bpf.txt" "$dir/events.txt" \
	"$(getconf CLK_TCK)" bench/results "$N_OPEN" "$N_EXEC" "$N_CONN"
