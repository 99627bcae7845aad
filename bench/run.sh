#!/bin/sh
# make bench (root): what Paddock costs, measured, next to auditd.
#
# Workloads (timed by bench/storm.c, wall and CPU of the workload's whole
# process tree), each run as a workload under `paddockctl run`:
#   open     open/close storm
#   exec     fork+exec storm of /bin/true
#   connect  TCP connect storm to a loopback listener
#   mix      agent-like: bench/mix.mjs loads LangChain.js and the MCP SDK,
#            then per turn reads files, calls a loopback HTTP server and
#            now and then spawns a shell for a tool call
#   build    `make -j2 all` of Paddock itself, from clean
#
# Configurations, interleaved round by round (bare observe enforce auditd,
# bare observe ..., BENCH_ROUNDS rounds, default 5):
#   bare     no Paddock, no audit rules
#   observe  the whole stack up (collector publishing, profiler, ...)
#   enforce  the same, with each bench workload in enforce and a policy
#            allowing what it does (the checking cost: exec, file and net
#            in enforce; syscalls in alert, so that a syscall a run did
#            not use in learning reports instead of killing the bench)
#   auditd   no Paddock; audit rules on execve, openat and connect, as an
#            auditd user would write them (auditd installed from Debian)
#
# Reported (bench/results/results.md and results.json, summarised here):
# min/median/max wall and CPU per workload and configuration, overhead
# versus bare in %, and events seen, deduplicated, emitted and lost.  The
# rounds are timed with kernel.bpf_stats_enabled=0 (stats add to every
# program run).  An untimed pass after them, with it at 1, gives kernel ns
# per BPF program run, the self-protection guards' time per operation and
# Paddock's daemons' CPU per million syscalls (syscalls counted by the
# collector's own sys_enter program).  Then, with the stack up:
#   memory       RSS of each daemon, Redis's used memory and the BPF maps'
#                memory, with 10, 100 and 1,000 workloads (each run once
#                and given a policy in alert)
#   pipeline     bench/pipe.c pushes BENCH_PIPE synthetic events through
#                collectd's publishing path into Redis; the rate is events
#                over the time until the profiler has consumed them all
#                (after the memory figures: it grows the heap and streams).
#                Twice: first-seen (100 workloads x 2,000 files, every
#                event new to its profile), then steady (BENCH_STEADY
#                events over the same files: what a profiler sees most of
#                the time)
#   propagation  bench/propagate.c: 100 promote/demote changes, from the
#                command to this host's enforcer acknowledging the revision
#                (after its maps hold it); min, p50, p99, max
# and, from the enforce rounds of the exec and connect storms, the kernel
# time of the self-protection guards (GUARDS below) per fork+exec and per
# connect, against the bare run's time per operation.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ "$(id -u)" = 0 ] || { echo "make bench needs root (BPF, cgroups, audit)" >&2; exit 1; }
rounds=${BENCH_ROUNDS:-5}
N_OPEN=${BENCH_OPEN:-20000}
N_EXEC=${BENCH_EXEC:-1000}
N_CONN=${BENCH_CONNECT:-10000}
N_MIX=${BENCH_MIX:-2000}
N_PIPE=${BENCH_PIPE:-200000}
N_STEADY=${BENCH_STEADY:-1000000}
MEM_STEPS=${BENCH_MEM:-"10 100 1000"}
PORT=47321
MIXPORT=47322
WORKLOADS="open exec connect mix build"

mkdir -p bench/results
storm=$top/build/bench/storm
[ -x "$storm" ] && [ -x build/bench/pipe ] && [ -x build/bench/propagate ] ||
	{ echo "bench: run it as make bench (it builds bench/*.c)" >&2; exit 1; }
. tests/ai/install.sh	# the mix loads the real frameworks

dir=$(mktemp -d /tmp/paddock-bench.XXXXXX)
pins=/sys/fs/bpf/$(basename "$dir" | tr . -)
conf=$dir/paddock.yaml
ctl="bin/paddockctl -c $conf --state-dir=$dir"
raw=$dir/raw.txt
audit_ok=0
srv=""
cleanup() {
	[ -n "$srv" ] && kill "$srv" 2>/dev/null
	[ "$audit_ok" = 1 ] && auditctl -D -k paddock-bench >/dev/null 2>&1 || true
	$ctl down --disable >/dev/null 2>&1 || true
	sysctl -q kernel.bpf_stats_enabled=0 || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM
printf 'collectd:\n  stats_interval: 1s\nprofiled:\n  quiet_period: 2s\n' > "$conf"
printf 'enforced:\n  bpffs: %s\n' "$pins" >> "$conf"
mkdir -p "$dir/files" "$dir/ws" "$dir/src"
for i in $(seq 0 19); do head -c 4000 /dev/urandom | base64 > "$dir/ws/doc-$i.txt"; done
{ git archive HEAD 2>/dev/null || tar -c --exclude=./build --exclude=./bin --exclude=./.git . ; } |
	tar -x -C "$dir/src"	# the build's tree: this one, from clean
# The mix's "LLM": a loopback HTTP server outside every workload.
node -e 'require("http").createServer((q, r) => r.end("{}")).listen(+process.argv[1], "127.0.0.1")' \
	"$MIXPORT" &
srv=$!

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
	mix) a="cmd 1 node $top/bench/mix.mjs $npmdir $dir/ws $MIXPORT $N_MIX" ;;
	build) rm -rf "$dir/src/build" "$dir/src/bin"	# from clean, untimed
	       mkdir -p "$dir/src/tmp"
	       # gcc's temporary files go to a directory of the build's own:
	       # in /tmp their random names could only be learnt one by one
	       # (a top-level directory never collapses by fan-out), and one
	       # learning run would not cover the next run's names.
	       a="cmd 1 env TMPDIR=$dir/src/tmp make -C $dir/src -s -j2 all" ;;
	esac
	# A run that fails (in enforce: a false positive killed it) is a result
	# of its own, reported and counted, never timed, never the end of the run.
	# shellcheck disable=SC2086
	if out=$(bin/paddockctl --state-dir="$dir" run --workload "bench-$2" -- $storm $a); then
		echo "$1 $2 $out" >> "$raw"
	else
		echo "$1 $2 failed" >> "$raw"
		printf ' (%s %s FAILED)' "$1" "$2"
	fi
}
all() { for w in $WORKLOADS; do run "$1" "$w"; done; }
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
# The self-protection guards' kernel time in one enforce run of a storm
# (programs that run per fork, per syscall, per socket or packet): the
# delta of their run time and count, "<workload> <prog> <ns> <runs>".
GUARDS="enf_fork enf_cgroup_attach enf_sys_guard enf_dns_q enf_sock_create enf_connect_unix"
guard_delta() {
	awk -v w="$1" -v g="$GUARDS" 'BEGIN { n = split(g, a, " "); for (i = 1; i <= n; i++) want[a[i]] = 1 }
		FNR == NR { ns[$1] += $2; c[$1] += $3; next }
		($1 in want) { t[$1] += $2; k[$1] += $3 }
		END { for (p in t) print w, p, t[p] - ns[p], k[p] - c[p] }' "$dir/g0.txt" -
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
	for w in $WORKLOADS; do
		$ctl promote "bench-$w" --to "$1" --force --reason bench >/dev/null 2>&1 ||
		$ctl demote "bench-$w" --to "$1" --reason bench >/dev/null 2>&1 || true
		[ "$1" = enforce ] && $ctl demote "bench-$w" --to alert --dimension syscall \
			--reason bench >/dev/null 2>&1 || true
	done
	sleep 1
}

# Learn once, so that "enforce" has policies that allow the workloads.
sysctl -q kernel.bpf_stats_enabled=0
$ctl up >/dev/null
all learn
drained
sleep 2
$ctl down >/dev/null

echo "== $rounds rounds: bare observe enforce${audit_ok:+ }$([ $audit_ok = 1 ] && echo auditd)"
: > "$dir/daemon.txt"
: > "$dir/bpf.txt"
: > "$dir/events.txt"
: > "$dir/guards.txt"
for r in $(seq "$rounds"); do
	printf 'round %s:' "$r"
	all bare; printf ' bare'
	$ctl up >/dev/null
	promote_all learning
	s0=$(stat_of kernel_seen); d0=$(stat_of kernel_deduplicated)
	e0=$(stat_of kernel_emitted); l0=$(stat_of ringbuf_full)
	all observe; printf ' observe'
	drained
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

# Untimed, with bpf_stats on: each program's kernel time, the guards' time
# per operation in enforce, and the daemons' CPU for one observe pass (the
# whole of their work for it, drained) per million syscalls.
echo "== per-program kernel time (an untimed pass, kernel.bpf_stats_enabled=1)"
sysctl -q kernel.bpf_stats_enabled=1
$ctl up >/dev/null
promote_all learning
t0=$(daemon_ticks)
all stats-observe
drained
t1=$(daemon_ticks)
bpf_stats > "$dir/bpf.txt"
echo "$((t1 - t0)) $(grep -E '^on_sys_enter ' "$dir/bpf.txt" | awk '{print $3}' | head -1)" > "$dir/daemon.txt"
promote_all enforce
drained
for w in exec connect; do
	bpf_stats > "$dir/g0.txt"
	run stats-enforce "$w"
	bpf_stats | guard_delta "$w" >> "$dir/guards.txt"
done
promote_all learning
$ctl down >/dev/null
sysctl -q kernel.bpf_stats_enabled=0

# Pipeline, memory and propagation, with the stack up.
$ctl up >/dev/null
url="unix://$dir/redis.sock"
echo "== memory with $MEM_STEPS workloads"
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$(cat "$dir/$1.pid")/status"; }
bpf_mem() {	# bytes of the maps our programs use
	bpftool prog show -j 2>/dev/null | node -e '
		let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
		const ids = new Set();
		for (const p of JSON.parse(s || "[]"))
			if (/^(on_|enf_)/.test(p.name || "")) (p.map_ids || []).forEach(i => ids.add(i));
		console.log([...ids].join(" ")); });' > "$dir/mapids.txt"
	bpftool map show -j 2>/dev/null | node -e '
		const ids = new Set(require("fs").readFileSync(process.argv[1], "utf8").trim()
		    .split(" ").map(Number));
		let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
		console.log(JSON.parse(s || "[]").filter(m => ids.has(m.id))
		    .reduce((a, m) => a + (m.bytes_memlock || 0), 0)); });' "$dir/mapids.txt"
}
: > "$dir/mem.txt"
made=0
for n in $MEM_STEPS; do
	while [ "$made" -lt "$n" ]; do
		made=$((made + 1))
		bin/paddockctl --state-dir="$dir" run --workload "bench-m$made" -- /bin/true
	done
	drained
	for i in $(seq "$n"); do
		$ctl promote "bench-m$i" --to alert --force --reason bench >/dev/null 2>&1 || true
	done
	sleep 2
	echo "$n $(rss collectd) $(rss profiled) $(rss policyd) $(rss enforced) $(rss redis)" \
		"$(redis-cli -s "$dir/redis.sock" INFO memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p')" \
		"$(bpf_mem)" "$(redis-cli -s "$dir/redis.sock" DBSIZE)" >> "$dir/mem.txt"
	printf ' %s' "$n"
done
echo

: > "$dir/pipe-rate.txt"
for n in "$N_PIPE" "$N_STEADY"; do
	echo "== pipeline: $n events through collectd's publishing path, Redis, the profiler"
	t0=$(date +%s.%N)
	PADDOCK_REDIS_USER=paddock-collectd PADDOCK_REDIS_PASSWORD=$(cat "$dir/secrets/paddock-collectd") \
		build/bench/pipe "$url" paddock:events "$n" 100 > "$dir/pipe.txt"
	drained
	t1=$(date +%s.%N)
	took=$(awk "BEGIN { print $t1 - $t0 }")
	echo "$(cat "$dir/pipe.txt"), consumed by the profiler after $took s"
	echo "$n $took $(sed -n 's/.*overflow \([0-9]*\).*/\1/p' "$dir/pipe.txt")" >> "$dir/pipe-rate.txt"
done
# Sizing: Redis bytes per entry of the events stream (exact: SAMPLES 0).
echo "$(redis-cli -s "$dir/redis.sock" XLEN paddock:events)" \
	"$(redis-cli -s "$dir/redis.sock" MEMORY USAGE paddock:events SAMPLES 0)" \
	"$(redis-cli -s "$dir/redis.sock" XLEN paddock:profiles)" \
	"$(redis-cli -s "$dir/redis.sock" MEMORY USAGE paddock:profiles SAMPLES 0)" \
	"$(redis-cli -s "$dir/redis.sock" XLEN paddock:audit)" \
	"$(redis-cli -s "$dir/redis.sock" MEMORY USAGE paddock:audit SAMPLES 0)" > "$dir/streams.txt"

echo "== propagation: 100 policy changes"
$ctl promote bench-open --to alert --force --reason bench >/dev/null
build/bench/propagate "$url" paddock: "$(hostname)" bench-open 100 \
	"$top/bin/paddockctl" -c "$conf" --state-dir="$dir" | tee "$dir/prop.txt"
$ctl down >/dev/null

node bench/report.mjs "$raw" "$dir/daemon.txt" "$dir/bpf.txt" "$dir/events.txt" \
	"$(getconf CLK_TCK)" bench/results "$N_OPEN" "$N_EXEC" "$N_CONN" "$N_MIX" \
	"$dir/pipe-rate.txt" "$dir/mem.txt" "$dir/prop.txt" "$dir/guards.txt" "$dir/streams.txt"
