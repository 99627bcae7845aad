# stack.sh: what the enforcement tests share (sourced, not run).
#
#   st_tag=TAG st_wl=WORKLOAD [st_enforced=EXTRA_YAML]
#   . "$(dirname "$0")/../helpers/stack.sh"
#
# (POSIX sh passes no arguments to a sourced file, hence the variables.)
# Checks for root (else exit 77), makes a private state directory and bpffs
# pin directory, writes a config with short intervals, starts the stack with
# `paddockctl up`, and traps a cleanup that ends the pids in $bg, runs
# `down --disable` and removes what was made.  Sets top, dir, conf, pins,
# ctl, bg, and gives fail, ok, rev, acked and wait_stable for WORKLOAD.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
[ "$(id -u)" = 0 ] || { echo "needs root (BPF, cgroups): skipped"; exit 77; }

dir=$(mktemp -d "/tmp/paddock-test-$st_tag.XXXXXX")
conf=$dir/paddock.yaml
pins=/sys/fs/bpf/$(basename "$dir" | tr . -)  # bpffs refuses dots in names
ctl="bin/paddockctl -c $conf --state-dir=$dir"
bg=""
cleanup() {
	for p in $bg; do kill "$p" 2>/dev/null || true; done
	$ctl down --disable >/dev/null 2>&1 || true
	rm -rf "$pins" "$pins-collect"
	if [ -n "${PADDOCK_TEST_KEEP:-}" ]; then echo "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT INT TERM
# What a failure leaves to read in a CI log: each daemon, alive or not,
# where it waits, how old its stats are, and the end of its log.
diag() {
	echo "--- the stack at the failure ($(date +%T)):"
	for n in collectd profiled policyd enforced; do
		p=$(cat "$dir/$n.pid" 2>/dev/null || echo 0)
		if [ "$p" -gt 0 ] 2>/dev/null && [ -d "/proc/$p" ]; then
			echo "$n: pid $p $(sed -n 's/^State:[[:space:]]*//p' "/proc/$p/status")," \
			    "waits in $(cat "/proc/$p/wchan" 2>/dev/null), cpu $(cut -d' ' -f14,15 "/proc/$p/stat") ticks"
			head -4 "/proc/$p/stack" 2>/dev/null | sed 's/^/    /'
		else
			echo "$n: NOT RUNNING (pid file says $p)"
		fi
		tail -6 "$dir/$n.log" 2>/dev/null | sed 's/^/    /'
	done
	$ctl -o json status 2>/dev/null | grep -E '"stats"|"seconds_ago"' | paste - - | sed 's/^ */    /'
}
fail() {
	echo "FAILED: $*"
	diag
	[ -n "${PADDOCK_TEST_LOGS:-}" ] && cp "$dir"/*.log "$PADDOCK_TEST_LOGS"/ 2>/dev/null
	exit 1
}
ok() { echo "ok: $*"; }
printf 'collectd:\n  active_interval: 1s\n  syscall_interval: 1s\n' > "$conf"
printf 'profiled:\n  quiet_period: 3s\n' >> "$conf"
printf 'enforced:\n  bpffs: %s\n%b' "$pins" "${st_enforced:-}" >> "$conf"
$ctl up >/dev/null

# The workload's current policy revision.
rev() { $ctl policy show "$st_wl" | sed -n 's/^revision: //p'; }
# Wait until this host's enforcer acknowledged revision $1.
acked() {
	for i in $(seq 100); do
		$ctl status | grep -q "^policy *$st_wl .* $(hostname): rev $1\$" && return 0
		sleep 0.1
	done
	$ctl status; fail "revision $1 never acknowledged"
}
# Wait (up to 40 s) until the profiler calls the workload stable.
wait_stable() {
	for i in $(seq 200); do
		$ctl -o json workloads | grep -A6 "\"workload\": \"$st_wl\"" |
		    grep -q '"status": "stable"' && return 0
		sleep 0.2
	done
	return 0	# the caller checks what it needs from the profile
}
