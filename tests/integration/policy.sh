#!/bin/sh
# The policy engine end to end, with the real stack and a real Redis
# (issue 6): promotion refused for an unstable profile and granted for a
# stable one, a policy shown, a typo'd policy rejected with line and column
# while the live one stays, a violation accepted into the policy, a
# demotion, the audit trail verified after each step, a policyd restart
# that loses nothing, automatic promotion learning -> alert -> enforce with
# second-scale rules, and a hand-edited audit entry caught by --verify.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
[ "$(id -u)" = 0 ] || { echo "needs root (BPF, cgroups): skipped"; exit 77; }

dir=$(mktemp -d /tmp/paddock-test-policy.XXXXXX)
conf=$dir/paddock.yaml
ctl="bin/paddockctl -c $conf --state-dir=$dir"
# wire_tool writes as the stack's operator (its Redis lets no one else).
wt() { PADDOCK_REDIS_USER=operator PADDOCK_REDIS_PASSWORD=$(cat "$dir/secrets/operator") \
	build/tests/helpers/wire_tool "$@"; }
url=unix://$dir/redis.sock
bg=""
cleanup() {
	for p in $bg; do kill "$p" 2>/dev/null || true; done
	$ctl down --disable >/dev/null 2>&1 || true
	if [ -n "${PADDOCK_TEST_KEEP:-}" ]; then echo "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT INT TERM
fail() { echo "FAILED: $*"; exit 1; }
ok() { echo "ok: $*"; }
write_conf() {	# $1: auto_promote
	printf 'collectd:\n  active_interval: 1s\n  syscall_interval: 1s\n' > "$conf"
	printf 'profiled:\n  quiet_period: 2s\n' >> "$conf"
	printf 'policyd:\n  auto_promote: %s\n  learn_stable: 1s\n  min_risk: 0\n  alert_quiet: 2s\n' \
		"$1" >> "$conf"
	printf 'enforced:\n  bpffs: /sys/fs/bpf/%s\n' "$(basename "$dir" | tr . -)" >> "$conf"
}
verify() {
	out=$($ctl audit --verify) || { echo "$out"; fail "audit --verify after $1"; }
	ok "audit trail intact after $1"
}
status_of() {
	$ctl -o json workloads | node -e '
		let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
		const w = JSON.parse(s).find(x => x.workload === process.argv[1]);
		console.log(w ? w.status : "none"); });' "$1"
}
wait_status() {	# workload status
	for i in $(seq 150); do [ "$(status_of "$1")" = "$2" ] && return 0; sleep 0.2; done
	fail "$1 never became $2 (is $(status_of "$1"))"
}
steady() {	# workload seconds: a predictable workload, in the background
	$ctl run --workload "$1" -- sh -c "i=0; while [ \$i -lt $(($2 * 4)) ]; do
		cat /etc/hostname >/dev/null; sleep 0.25; i=\$((i+1)); done" >/dev/null 2>&1 &
	bg="$bg $!"
}

write_conf false
$ctl up >/dev/null
$ctl doctor > "$dir/doctor.txt" || { cat "$dir/doctor.txt"; fail "doctor says this host is not ready"; }
grep -q '^ok    cgroup v2' "$dir/doctor.txt" && grep -q '^ok    redis  *7\.' "$dir/doctor.txt" &&
	grep -q 'BPF LSM' "$dir/doctor.txt" || { cat "$dir/doctor.txt"; fail "doctor output"; }
ok "doctor: $(tail -1 "$dir/doctor.txt")"

# 1. Promotion needs a stable profile, unless forced.
steady pol-a 40
$ctl run --workload pol-u -- sh -c 'for f in a b c; do : > /tmp/paddock-test-policy-u-$f; done; rm -f /tmp/paddock-test-policy-u-*'
for i in $(seq 100); do $ctl -o json workloads | grep -q '"pol-u"' && break; sleep 0.1; done
if out=$($ctl promote pol-u --to alert 2>&1); then fail "promoted an unstable profile: $out"; fi
echo "$out" | grep -q 'not stable' || fail "no reason given: $out"
ok "promotion of an unstable profile refused: $out"
wait_status pol-a stable
$ctl workloads | grep -q 'ready to promote, riskiest first:.*pol-a -> alert' ||
	{ $ctl workloads; fail "pol-a not suggested for promotion"; }
$ctl promote pol-a --to alert --reason "reviewed by the test" || fail "promote pol-a"
verify "promote"
$ctl policy show pol-a > "$dir/a1.yaml"
grep -q 'workload: "pol-a"' "$dir/a1.yaml" && grep -q 'exec: "alert"' "$dir/a1.yaml" &&
	grep -q '/usr/bin/cat' "$dir/a1.yaml" || { cat "$dir/a1.yaml"; fail "policy show"; }
ok "policy revision 1 compiled from the profile"

# 2. An edited policy with a typo is rejected with line and column.
sed 's/  net: "alert"/  net: "alrt"/' "$dir/a1.yaml" > "$dir/typo.yaml"
line=$(grep -n 'net: "alrt"' "$dir/typo.yaml" | cut -d: -f1)
if out=$($ctl policy apply "$dir/typo.yaml" 2>&1); then fail "typo accepted"; fi
echo "$out" | grep -q "typo.yaml:$line:8: stages: \"alrt\"" || fail "no position: $out"
$ctl policy show pol-a | cmp -s - "$dir/a1.yaml" || fail "live policy changed"
ok "typo rejected at typo.yaml:$line:8, live policy unchanged"

# 3. A violation, accepted into the policy.
vid=$(wt violation "$url" paddock:violations pol-a file /etc/paddock-test-secret)
for i in $(seq 50); do $ctl -o json violations --workload pol-a | grep -q "$vid" && break; sleep 0.1; done
$ctl violations --workload pol-a | grep -q "$vid" || fail "violation $vid not kept"
$ctl accept "$vid" --reason "a legitimate read" || fail "accept"
$ctl policy show pol-a | grep -q '/etc/paddock-test-secret' || fail "accepted path not in the policy"
$ctl violations --workload pol-a | grep "$vid" | grep -q accepted || fail "not marked accepted"
$ctl policy diff pol-a 1 2 | grep -q '^+- path: "/etc/paddock-test-secret"' ||
	{ $ctl policy diff pol-a 1 2; fail "policy diff between revisions"; }
$ctl policy diff pol-a > "$dir/d.txt" || fail "policy diff against the profile"
ok "policy diff: revisions, and the live policy against the current profile"
# This host's enforcer acknowledges; another host's (made up) too.
for i in $(seq 50); do $ctl status | grep -q "^policy *pol-a *alert *rev 2 .*$(hostname): rev 2" && break; sleep 0.1; done
$ctl status | grep -q "^policy *pol-a *alert *rev 2 .*$(hostname): rev 2" || { $ctl status; fail "status"; }
wt ack "$url" paddock:policy-acks pol-a host-b 2
for i in $(seq 50); do $ctl status | grep -q "pol-a.*host-b: rev 2" && break; sleep 0.1; done
$ctl status | grep -q "^policy *pol-a *alert *rev 2 .*host-b: rev 2" || { $ctl status; fail "ack not shown"; }
ok "status shows pol-a at revision 2, live here and on host-b"
verify "accept"

# 4. Demotion.
$ctl demote pol-a --to learning --reason "relearn" || fail "demote"
verify "demote"

# 5. Restarting policyd loses nothing.
rev=$($ctl policy show pol-a | sed -n 's/^revision: //p')
kill "$(cat "$dir/policyd.pid")"
sleep 1
$ctl up >/dev/null
[ "$($ctl policy show pol-a | sed -n 's/^revision: //p')" = "$rev" ] || fail "revision lost"
$ctl violations --workload pol-a | grep -q "$vid" || fail "violation lost"
$ctl -o json workloads | grep -q '"stage": "learning"' || fail "stage lost"
$ctl promote pol-a --to alert --force --reason "after restart" || fail "promote after restart"
verify "a policyd restart (the chain continues)"

# 6. Automatic promotion, one step at a time, explained.
write_conf true
kill "$(cat "$dir/policyd.pid")"
sleep 1
$ctl up >/dev/null
steady pol-b 30
wait_status pol-b stable
for i in $(seq 100); do
	$ctl -o json workloads | node -e '
		let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
		const w = JSON.parse(s).find(x => x.workload === "pol-b");
		process.exit(w && w.stage === "enforce" ? 0 : 1); });' && break
	sleep 0.2
done
$ctl -o json audit > "$dir/audit.json"
node -e '
	const a = JSON.parse(require("fs").readFileSync(process.argv[1]))
		.filter(e => e.actor === "rule:auto-promote" && e.workload === "pol-b");
	const bad = (m) => { console.log(m + ": " + JSON.stringify(a)); process.exit(1); };
	if (a.length !== 2) bad("expected two automatic steps for pol-b");
	if (!a[0].after.startsWith("exec=alert") || !a[1].after.startsWith("exec=enforce"))
		bad("automatic steps out of order");
	if (!a.some(e => /stable for/.test(e.reason))) bad("no reason in the trail");
' "$dir/audit.json" || fail "automatic promotion in the audit trail"
ok "learning -> alert -> enforce by rule, each step in the trail with its reason"
verify "automatic promotion"

# 7. A hand-edited entry is caught.
wt tamper-audit "$url" paddock:audit 3
if out=$($ctl audit --verify); then fail "tampering not detected: $out"; fi
echo "$out" | grep -q 'entry 3' || fail "wrong entry named: $out"
ok "audit --verify: $out"
echo "policy: all checks passed"
