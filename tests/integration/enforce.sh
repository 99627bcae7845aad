#!/bin/sh
# Enforcement of the network dimension, end to end (issue 7, first part):
# a workload learns to talk to one loopback port; promoted to enforce, a
# connection to another port fails with EPERM in the kernel while the
# learnt one works, and the violation names the workload, destination,
# action and lineage; with the daemon killed the pinned programs keep
# blocking; demoted to alert the connection goes through and is reported;
# accepted, it is allowed and no longer reported.  Everything the test
# loaded is detached and unpinned at the end (down --disable).
st_tag=enforce
st_wl=e-agent
. "$(dirname "$0")/../helpers/stack.sh"

# Two loopback listeners: A is the agent's usual service, B is not.
node -e 'const n = require("net");
	for (const f of ["a", "b"]) n.createServer(s => s.end()).listen(0, "127.0.0.1",
		function () { require("fs").writeFileSync(process.argv[1] + "/port-" + f,
		String(this.address().port)); });' "$dir" &
bg="$bg $!"
for i in $(seq 50); do [ -s "$dir/port-b" ] && break; sleep 0.1; done
pa=$(cat "$dir/port-a"); pb=$(cat "$dir/port-b")
connect() {	# port: prints "connected" or the error
	$ctl run --workload e-agent -- bash -c "echo hi > /dev/tcp/127.0.0.1/$1 && echo connected" 2>&1 | tail -1
}
count_viol() { $ctl -o json violations --workload e-agent | grep -c '"id"' || true; }

# Learn: the agent talks to A, steadily.
$ctl run --workload e-agent -- bash -c "i=0; while [ \$i -lt 60 ]; do
	echo hi > /dev/tcp/127.0.0.1/$pa; sleep 0.25; i=\$((i+1)); done" >/dev/null 2>&1 &
bg="$bg $!"
wait_stable
$ctl profile e-agent | grep -q "tcp 127.0.0.1:$pa" || { $ctl profile e-agent; fail "A not learnt"; }
ok "learnt: e-agent talks to 127.0.0.1:$pa"

# Enforce: A works, B is refused by the kernel.
$ctl promote e-agent --to enforce --reason "lock down" >/dev/null || fail "promote"
acked "$(rev)"
[ "$(connect "$pa")" = connected ] || fail "the learnt destination was blocked"
out=$(connect "$pb")
echo "$out" | grep -q 'Operation not permitted' || fail "B was not blocked: $out"
ok "enforce: 127.0.0.1:$pa connects, 127.0.0.1:$pb fails with EPERM"
# IPv6 and UDP too (the listeners are IPv4 TCP only: without enforcement
# these would fail with ECONNREFUSED or succeed, never with EPERM).
out=$($ctl run --workload e-agent -- bash -c "echo hi > /dev/tcp/::1/$pa" 2>&1 || true)
echo "$out" | grep -q 'Operation not permitted' || fail "IPv6 TCP [::1]:$pa was not blocked: $out"
out=$($ctl run --workload e-agent -- bash -c "echo hi > /dev/udp/127.0.0.1/$pb" 2>&1 || true)
echo "$out" | grep -q 'Operation not permitted' || fail "UDP 127.0.0.1:$pb was not blocked: $out"
out=$($ctl run --workload e-agent -- bash -c "echo hi > /dev/udp/::1/$pb" 2>&1 || true)
echo "$out" | grep -q 'Operation not permitted' || fail "UDP [::1]:$pb was not blocked: $out"
ok "enforce: IPv6 TCP, IPv4 UDP and IPv6 UDP outside the policy fail with EPERM"
for i in $(seq 50); do [ "$(count_viol)" -ge 1 ] && break; sleep 0.1; done
$ctl -o json violations --workload e-agent > "$dir/v.json"
node -e '
	const v = JSON.parse(require("fs").readFileSync(process.argv[1]))
		.find(x => x.port === +process.argv[2] && x.addr === "127.0.0.1" && x.proto === 6);
	if (!v || v.action !== "denied" || v.dimension !== "net" || v.addr !== "127.0.0.1" ||
	    !v.lineage.some(p => /bash/.test(p.exe)))
		{ console.log(JSON.stringify(v)); process.exit(1); }' "$dir/v.json" "$pb" ||
	fail "violation record"
ok "violation: net, denied, 127.0.0.1:$pb, with the lineage back to bash"

# The program each pinned link runs ("link pin -> prog id").
progs() {
	for l in "$pins"/link-*; do
		echo "$(basename "$l") $(bpftool -j link show pinned "$l" |
			node -e 'process.stdout.write(String(JSON.parse(
				require("fs").readFileSync(0)).prog_id))')"
	done
}

# The daemon dies: the kernel keeps enforcing.
old_progs=$(progs)
kill -9 "$(cat "$dir/enforced.pid")"
sleep 0.5
connect "$pb" | grep -q 'Operation not permitted' || fail "enforcement stopped with the daemon"
ok "enforced killed: still blocked (pinned programs and maps)"

# Alert: allowed, and reported (also to a follower of the stream).  The
# revision is made while the enforcer is down: restarted, it adopts its
# pins, catches up and acknowledges.
$ctl -o json violations --follow --workload e-agent > "$dir/follow.json" &
bg="$bg $!"
$ctl demote e-agent --to alert >/dev/null || fail "demote"
$ctl up >/dev/null
acked "$(rev)"
ok "enforced restarted: the revision made while it was down is live"
# Adopted, each pin now runs the new enforced's program (an upgrade takes
# effect), and the old programs are gone: nothing runs twice.
new_progs=$(progs)
echo "$old_progs" | while read -r l id; do
	nid=$(echo "$new_progs" | sed -n "s/^$l //p")
	[ -n "$nid" ] && [ "$nid" != "$id" ] || fail "$l still runs program $id"
	bpftool prog show id "$id" >/dev/null 2>&1 && fail "$l: old program $id still loaded"
	true
done
ok "restart: the $(echo "$old_progs" | wc -l) pinned links run the new programs, the old ones unloaded"
before=$(count_viol)
[ "$(connect "$pb")" = connected ] || fail "alert mode blocked"
for i in $(seq 50); do [ "$(count_viol)" -gt "$before" ] && break; sleep 0.1; done
[ "$(count_viol)" -gt "$before" ] || fail "no violation in alert mode"
ok "alert: 127.0.0.1:$pb connects and is reported"
for i in $(seq 50); do grep -q "\"port\":$pb" "$dir/follow.json" && break; sleep 0.1; done
grep '"action":"alerted"' "$dir/follow.json" | grep -q "\"port\":$pb" ||
	fail "violations --follow did not show it: $(cat "$dir/follow.json")"
ok "violations --follow: the alert arrived as it happened"

# A storm of 300 distinct destinations in alert: each is a new object, so
# each is recorded in full, whatever the rate (a flood must not hide the
# one that matters); then 300 repeats of one destination are rate-limited,
# and each is counted on that destination's records (suppressed), never
# mixed with the other behaviours the storm held back (dropped).
$ctl run --workload e-agent -- bash -c 'for p in $(seq 20000 20299); do
	(echo x > /dev/udp/127.0.0.1/$p) 2>/dev/null; done' >/dev/null 2>&1 || true
$ctl run --workload e-agent -- bash -c 'for i in $(seq 300); do
	(echo x > /dev/udp/127.0.0.1/20301) 2>/dev/null; done' >/dev/null 2>&1 || true
sleep 1.2
$ctl run --workload e-agent -- bash -c 'echo x > /dev/udp/127.0.0.1/20301' >/dev/null 2>&1 || true
for i in $(seq 50); do
	[ "$($ctl -o json violations --workload e-agent | grep -c '"port": 20301')" -ge 2 ] && break
	sleep 0.1
done
$ctl -o json violations --workload e-agent > "$dir/storm.json"
node -e '
	const all = JSON.parse(require("fs").readFileSync(process.argv[1]))
		.filter(x => x.action === "alerted");
	const fresh = new Set(all.filter(x => x.port >= 20000 && x.port <= 20299)
		.map(x => x.port));
	const rep = all.filter(x => x.port === 20301);
	const total = rep.length + rep.reduce((a, x) => a + x.suppressed, 0);
	const dropped = all.reduce((a, x) => a + x.dropped, 0);
	console.log(`${fresh.size} of 300 new destinations recorded; ` +
	    `repeats: ${rep.length} records, ${total - rep.length} counted; ` +
	    `other behaviours held back: ${dropped}`);
	process.exit(fresh.size === 300 && rep.length < 301 && total === 301 ?
	    0 : 1);' "$dir/storm.json" > "$dir/storm.txt" ||
	fail "storm not accounted for: $(cat "$dir/storm.txt")"
ok "storm: $(cat "$dir/storm.txt"): none lost"

# Accepted: allowed and no longer a violation.
vid=$($ctl -o json violations --workload e-agent | node -e '
	let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
	const v = JSON.parse(s).filter(x => x.action === "alerted" &&
	    x.port === +process.argv[1] && x.proto === 6).pop();
	console.log(v.id); });' "$pb")
$ctl accept "$vid" --reason "B is a new legitimate service" >/dev/null || fail "accept"
acked "$(rev)"
$ctl policy show e-agent | grep -q "dest: \"127.0.0.1\"" || fail "accepted destination not in policy"
before=$(count_viol)
[ "$(connect "$pb")" = connected ] || fail "accepted destination blocked"
sleep 1
[ "$(count_viol)" = "$before" ] || fail "accepted behaviour still reported"
ok "accepted: 127.0.0.1:$pb allowed, no new violation"
$ctl audit --verify >/dev/null || fail "audit trail"

# Break glass: disable stops enforcing now; up re-applies every policy.
pc=$((pb + 1)); [ "$pc" = "$pa" ] && pc=$((pc + 1))
$ctl promote e-agent --to enforce --force >/dev/null || fail "promote again"
acked "$(rev)"
connect "$pc" | grep -q 'Operation not permitted' || fail "C not refused before disable"
$ctl disable | grep -q 'nothing is enforced' || fail "disable"
[ ! -e "$pins" ] || fail "pins left after disable"
connect "$pc" | grep -q 'Operation not permitted' && fail "still enforced after disable"
$ctl up >/dev/null
for i in $(seq 100); do [ -e "$pins/allow" ] && connect "$pc" | grep -q 'Operation not permitted' && break; sleep 0.1; done
connect "$pc" | grep -q 'Operation not permitted' || fail "up did not re-apply the policy after disable"
[ "$(connect "$pb")" = connected ] || fail "the accepted destination is blocked after re-enabling"
ok "disable: enforcement off at once; up: the latest revision enforced again"

# Nothing left behind: our links (by id) are gone with their pins.
links=""
for l in "$pins"/link-*; do
	links="$links $(bpftool link show pinned "$l" | sed -n 's/^\([0-9][0-9]*\):.*/\1/p')"
done
[ -n "$(echo $links)" ] || fail "no links pinned?"
$ctl down --disable | grep -q 'enforcement: disabled' || fail "down --disable"
[ ! -e "$pins" ] || fail "pins left in $pins"
for id in $links; do
	bpftool link show id "$id" >/dev/null 2>&1 && fail "link $id still attached"
done
ok "down --disable: no pins, and the $(echo $links | wc -w) links are detached"
echo "enforce: all checks passed"
