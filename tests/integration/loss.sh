#!/bin/sh
# Loss is never silent (issue 17), with the real stack, real Redis and a
# real workload that creates files at a steady pace, each file one open
# record:
#
#   1. collectd killed with -9 mid-stream and started again 2 s later:
#      every file arrives (the pinned ring kept the records; what the dead
#      collector had read but Redis had not confirmed is read again), no
#      loss is reported, and the profile stays complete;
#   2. Redis killed with -9 mid-stream and started again: every file
#      arrives or is counted lost on the workload, never silently;
#   3. a start that cannot read on (here: a ring of another size): a gap
#      of unknown size, cause down, on each workload active before it;
#   4. a ring too small for a collector's outage: what arrived plus the
#      loss counted on the workload is exactly what the workload did, its
#      profile is partial with the count and the window (workloads,
#      status), and it is not promoted out of learning;
#   5. Redis refusing the collector's writes for good for a while (the
#      events key of another type): every file that did not arrive is in
#      the loss counted on the workload, cause queue.
st_tag=loss st_wl=l-files
. "$(dirname "$0")/../helpers/stack.sh"

actor=$top/build/tests/helpers/actor
work=$dir/files
mkdir -p "$work"

# Distinct created files of workload $1 that arrived as open events.
arrived() {
	$ctl -o json events --workload "$1" --type open --count 1000000 | node -e '
		let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
		const seen = new Set();
		for (const e of JSON.parse(s))
			if (/\/f[0-9]+$/.test(e.path || "")) seen.add(e.path);
		console.log(seen.size); });'
}
# Events reported lost on workload $1 (sum), and the number of gaps.
lost() {
	$ctl -o json events --workload "$1" --type loss --count 1000000 | node -e '
		let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
		let n = 0, g = 0;
		for (const e of JSON.parse(s)) { n += e.lost; if (e.lost === 0) g++; }
		console.log(n + " " + g); });'
}
# Wait (up to 30 s) until workload $1's arrived + counted lost reaches $2,
# then a little longer, for anything counted twice.
settle() {
	for i in $(seq 60); do
		set -- "$1" "$2" $(arrived "$1") $(lost "$1")
		[ $(($3 + $4)) -ge "$2" ] && break
		sleep 0.5
	done
	sleep 1
}
kill9() {	# daemon: kill -9 by its pid file, wait until gone
	p=$(cat "$dir/$1.pid")
	kill -9 "$p"
	for i in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
}
# outage WORKLOAD N US DAEMON AFTER DOWN: the workload creates N files, one
# every US microseconds; AFTER seconds in, DAEMON is killed with -9 and
# started again DOWN seconds later.  Then waits for what arrives; sets got,
# nlost and ngaps.
outage() {
	mkdir -p "$work/$1"
	$ctl run --workload "$1" -- "$actor" create "$work/$1" "$2" "$3" >/dev/null &
	bg="$bg $!"; wl_pid=$!
	sleep "$5"
	kill9 "$4"
	sleep "$6"
	$ctl up >/dev/null || fail "up after $4 was killed"
	wait "$wl_pid" || fail "the workload $1 failed"
	settle "$1" "$2"
	got=$(arrived "$1"); set -- $(lost "$1")
	nlost=$1; ngaps=$2
}

# 1. kill -9 of collectd, the default ring: nothing lost.
n=1500
outage l-files $n 2000 collectd 1 2
set -- $nlost $ngaps
echo "kill -9 collectd: $got of $n arrived, $1 lost, $2 gaps"
[ "$got" = "$n" ] || fail "collectd killed: $got of $n files arrived ($1 counted lost)"
[ "$1" = 0 ] && [ "$2" = 0 ] || fail "collectd killed: a loss reported though all arrived: $1 lost, $2 gaps"
grep -q "reading on from the ring" "$dir/collectd.log" || fail "the new collector did not read on from the pinned ring"
complete() {	# workload: its profile's "complete", once derived
	$ctl -o json workloads | node -e '
		let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
		const w = JSON.parse(s).find(x => x.workload === process.argv[1]);
		console.log(w ? String(w.complete) : "none"); });' "$1"
}
for i in $(seq 50); do [ "$(complete l-files)" = none ] || break; sleep 0.2; done
[ "$(complete l-files)" = true ] || fail "l-files is not complete after a restart that lost nothing: $($ctl workloads)"
ok "collectd killed with -9 for 2 s under load: all $n files arrived, nothing reported lost"

# 2. kill -9 of Redis mid-stream: the collector holds what Redis has not
# confirmed in its ring, and sends it again when Redis is back.
n=1500
outage l-redis $n 2000 redis 1 2
set -- $nlost $ngaps
echo "kill -9 redis: $got of $n arrived, $1 lost, $2 gaps"
[ $((got + $1)) = "$n" ] || fail "Redis killed: $got arrived + $1 counted lost is not the $n files made"
ok "Redis killed with -9 for 2 s under load: $got of $n files arrived, $1 counted lost on the workload"

# 3. A start that cannot read on (here: a ring of another size) reports a
# gap on each workload active before, from the last collector's life.
printf 'collectd:\n  active_interval: 1s\n  syscall_interval: 1s\n  ringbuf_kb: 64\n' > "$conf"
printf 'profiled:\n  quiet_period: 3s\n' >> "$conf"
printf 'enforced:\n  bpffs: %s\n' "$pins" >> "$conf"
mkdir -p "$work/3"
$ctl run --workload l-before -- "$actor" create "$work/3" 150 20000 >/dev/null &
bg="$bg $!"; wl_pid=$!
sleep 1.5	# past an active_interval: l-before is in collectd.alive
kill9 collectd
$ctl up >/dev/null
wait "$wl_pid" || fail "the workload failed"
for i in $(seq 50); do set -- $(lost l-before); [ "$2" -ge 1 ] && break; sleep 0.2; done
[ "$2" -ge 1 ] || fail "no gap reported on l-before after a start that could not read on"
grep -q "a gap reported" "$dir/collectd.log" || fail "the gap is not in collectd's log"
$ctl -o json events --workload l-before --type loss | grep -q '"cause": "down"' ||
	fail "the gap does not say its cause"
ok "a fresh start after a collector: a gap of unknown size, cause down, on a workload active before"

# 4. A ring too small for the outage: what arrived plus what was counted
# lost on the workload is exactly what it did; its profile is partial,
# with the count and the window.
n=600
outage l-small $n 3000 collectd 0.5 1.5
set -- $nlost $ngaps
echo "kill -9 collectd, 64 KiB ring: $got of $n arrived, $1 lost, $2 gaps"
[ "$1" -gt 0 ] || fail "a 64 KiB ring held 1.5 s of files? nothing lost ($got arrived)"
[ $((got + $1)) = "$n" ] || fail "small ring: $got arrived + $1 counted lost is not the $n files made"
for i in $(seq 50); do
	w=$($ctl -o json workloads | node -e '
		let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
		const w = JSON.parse(s).find(x => x.workload === "l-small");
		if (w) console.log(JSON.stringify(w)); });')
	echo "$w" | grep -q "\"lost_events\": *$1\b" && break
	echo "$w" | grep -q "\"lost_events\":$1," && break
	sleep 0.2
done
echo "$w" | node -e '
	let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
	const w = JSON.parse(s), lost = +process.argv[1];
	if (w.complete) { console.log("complete despite the loss"); process.exit(1); }
	if (w.lost_events !== lost) { console.log("lost_events " + w.lost_events + ", not " + lost); process.exit(1); }
	if (!Array.isArray(w.loss_window) || w.loss_window.length !== 2) { console.log("no loss window"); process.exit(1); }
	});' "$1" || fail "the profile of l-small does not say partial with the count: $w"
$ctl workloads | grep -q "^partial l-small: $1 events lost" || fail "paddockctl workloads does not say l-small is partial: $($ctl workloads)"
$ctl status | grep -q "^partial  *l-small  *$1 events lost" || fail "paddockctl status does not say l-small is partial: $($ctl status)"
out=$($ctl promote l-small --to learning 2>&1) || true
if out=$($ctl promote l-small --to alert 2>&1); then
	fail "a partial profile was promoted to alert: $out"
fi
echo "$out" | grep -q "partial" || fail "the refusal does not say partial: $out"
ok "64 KiB ring, collectd killed: $got arrived + $1 counted on l-small = $n; partial, with count and window; not promoted"

# 5. Redis refuses the collector's writes for good for a while (the events
# key made a string: WRONGTYPE, which no retry cures), then takes them
# again: what it refused is counted on the workload, cause queue; nothing
# goes silently.
op() { redis-cli -s "$dir/redis.sock" --user operator --pass "$(cat "$dir/secrets/operator")" --no-auth-warning "$@"; }
n=600
mkdir -p "$work/5"
[ "$(op DEL paddock:events)" = 1 ] && [ "$(op SET paddock:events refused)" = OK ] ||
	fail "cannot make the events key a string"
$ctl run --workload l-refused -- "$actor" create "$work/5" $n 3000 >/dev/null &
bg="$bg $!"; wl_pid=$!
sleep 1
[ "$(op DEL paddock:events)" = 1 ] || fail "cannot give the events key back"
wait "$wl_pid" || fail "the workload l-refused failed"
settle l-refused $n
got=$(arrived l-refused); set -- $(lost l-refused)
echo "Redis refusing XADD for 1 s: $got of $n arrived, $1 lost, $2 gaps"
[ "$1" -gt 0 ] || fail "nothing counted lost while Redis refused the collector's writes ($got of $n arrived)"
# The refused batches held the workload's other events too (its exec, the
# libraries it opened): at least every file missing, a few more at most.
[ $((got + $1)) -ge "$n" ] && [ $((got + $1)) -le $((n + 50)) ] ||
	fail "refused writes: $got files arrived + $1 events counted lost, for $n files made"
$ctl -o json events --workload l-refused --type loss | grep -q '"cause": "queue"' ||
	fail "the loss of refused writes does not say cause queue"
grep -q "Redis refused" "$dir/collectd.log" || fail "collectd's log does not say Redis refused its writes"
ok "Redis refused the collector's writes for 1 s: $got of $n files arrived, $1 events counted lost on l-refused"

# 6. The profiler down while a workload runs, and an events stream of 100
# entries: the collector holds events in its ring rather than let MAXLEN
# trim what no profiler has read; once the profiler is back, everything
# arrives, or what the ring could not hold is counted on the workload.
printf 'collectd:\n  active_interval: 1s\n  syscall_interval: 1s\n' > "$conf"
printf 'redis:\n  maxlen_events: 100\n' >> "$conf"
printf 'profiled:\n  quiet_period: 3s\n' >> "$conf"
printf 'enforced:\n  bpffs: %s\n' "$pins" >> "$conf"
kill9 collectd
$ctl up >/dev/null || fail "up with maxlen_events 100"
kill9 profiled
n=6000
mkdir -p "$work/6"
$ctl run --workload l-behind -- "$actor" create "$work/6" $n 200 >/dev/null ||
	fail "the workload l-behind failed"
sleep 2
grep -q "holding events in the ring" "$dir/collectd.log" ||
	fail "the collector did not hold back for a profiler 100 entries behind"
len=$(redis-cli -s "$dir/redis.sock" XLEN paddock:events)
echo "profiler down: the events stream holds $len entries"
$ctl up >/dev/null || fail "up after profiled was killed"
# The stream keeps 100 entries: what arrived is what the profile learnt,
# the file opens its view counts under the workload's directory (whose
# random temporary name the view generalises).
learnt() {
	$ctl -o json profile "$1" 2>/dev/null | node -e '
		let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
		let n = 0;
		try {
			const p = JSON.parse(s);
			for (const f of p.files || [])
				if (/\/files\/6\/f/.test(f.pattern || "")) n += f.count;
		} catch (e) {}
		console.log(n); });'
}
for i in $(seq 120); do
	got=$(learnt l-behind); set -- $(lost l-behind)
	[ $((got + $1)) -ge "$n" ] && break
	sleep 0.5
done
echo "profiler down, 100 entries: $got of $n arrived, $1 lost, $2 gaps"
if [ $((got + $1)) != "$n" ]; then
	grep -E "holding|caught up" "$dir/collectd.log" | tail -4
	tail -5 "$dir/profiled.log"
	redis-cli -s "$dir/redis.sock" XINFO GROUPS paddock:events | tr '\n' ' '; echo
	$ctl -o json profile l-behind | grep -A4 '"pattern"' | head -40
	fail "profiler down: $got arrived + $1 counted lost is not the $n files made (trimmed unread?)"
fi
grep -q "readers caught up" "$dir/collectd.log" || fail "the collector never read on after the profiler caught up"
ok "profiler down, maxlen_events 100: $got arrived + $1 counted on l-behind = $n; nothing trimmed unread"

# 7. Redis away for 4 s with a 512 KiB ring, which holds a third of a
# second of the workload (time enough to notice Redis went away, not to
# wait it out): the collector spills its batches to disk and sends them
# once Redis is back; every file arrives, nothing is lost.
printf 'collectd:\n  active_interval: 1s\n  syscall_interval: 1s\n  ringbuf_kb: 512\n' > "$conf"
printf 'profiled:\n  quiet_period: 3s\n' >> "$conf"
printf 'enforced:\n  bpffs: %s\n' "$pins" >> "$conf"
kill9 collectd
$ctl up >/dev/null || fail "up with a 512 KiB ring"
n=1500
outage l-spill $n 3000 redis 0.5 4
set -- $nlost $ngaps
echo "kill -9 redis for 4 s, 512 KiB ring: $got of $n arrived, $1 lost, $2 gaps"
grep -q "spilled to disk" "$dir/collectd.log" || fail "the collector did not spill while Redis was away"
[ "$got" = "$n" ] && [ "$1" = 0 ] ||
	fail "Redis away 4 s with a spill: $got of $n files arrived, $1 counted lost"
[ "$(stat -c %s "$dir/collectd.spill")" = 0 ] || fail "the spill file was not emptied once replayed"
ok "Redis killed for 4 s, 512 KiB ring: all $n files spilled to disk and arrived"
