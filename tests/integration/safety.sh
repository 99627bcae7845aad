#!/bin/sh
# Safe by default (issue 16), with the real stack, a real Redis and real
# workloads, tried as an operator in a hurry would:
#
#   1. a forced promotion to enforce one second after a single run, before
#      the collector has read any syscall set: refused for syscall (said
#      why, audited), exec and file promoted, and the same command then
#      runs unharmed;
#   2. a command sent while policyd is down: paddockctl says it was never
#      carried out, and when policyd comes back it refuses it as expired
#      (audited) instead of applying it;
#   3. policy apply: a revision that is not a number is an error at
#      file:line:col; a policy that allows every file, or every address on
#      every port, needs --force (and the trail says it was forced); a file
#      edited from an older revision is refused;
#   4. a file name with bytes that are not UTF-8: escaped (\xff\xfe) in
#      events, never dropped from -o json, valid UTF-8 in -o yaml;
#   5. the true backlog in paddockctl status, also after Redis is killed
#      with -9 and restarted, and every stage, policy and profile with it;
#   6. Redis runs with a memory limit and a policy that never evicts;
#   7. an idle workload that was never promoted is forgotten (its keys go,
#      its audit entries stay and verify); a promoted one is kept.
st_tag=safety st_wl=s-early
. "$(dirname "$0")/../helpers/stack.sh"

# 1 h between syscall-set reads: within this test none arrives.
printf 'collectd:\n  active_interval: 1s\n  syscall_interval: 1h\n' > "$conf"
printf 'profiled:\n  quiet_period: 3s\n  idle_expiry: 0\n' >> "$conf"
printf 'enforced:\n  bpffs: %s\n' "$pins" >> "$conf"
restart() {	# daemon...: stop each (by its pid file), then up again
	for n in "$@"; do
		p=$(cat "$dir/$n.pid")
		kill "$p"
		for i in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	done
	$ctl up >/dev/null
}
restart collectd profiled
url=unix://$dir/redis.sock
wt() { PADDOCK_REDIS_USER=operator PADDOCK_REDIS_PASSWORD=$(cat "$dir/secrets/operator") \
	build/tests/helpers/wire_tool "$@"; }
rcli() { redis-cli -s "$dir/redis.sock" "$@"; }
stage_of() {	# workload dimension: its stage, as policyd keeps it
	rcli HGET "paddock:state:{$1}" "stage:$2"
}
audit_has() {	# workload action text
	$ctl -o json audit | node -e '
		let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
		const a = JSON.parse(s).filter(e => e.workload === process.argv[1] &&
			e.action === process.argv[2] && JSON.stringify(e).includes(process.argv[3]));
		process.exit(a.length ? 0 : 1); });' "$1" "$2" "$3"
}
job='ls / >/dev/null; cat /etc/hostname >/dev/null'

# 1. No data is not "nothing allowed".
$ctl run --workload s-early -- sh -c "$job" || fail "first run"
for i in $(seq 100); do
	$ctl -o json profile s-early 2>/dev/null | grep -q '/usr/bin/cat' && break; sleep 0.1
done
if out=$($ctl promote s-early --to enforce --force --reason hurry 2>&1); then
	fail "forced into enforce with no syscall observed: $out"
fi
echo "$out" | grep -q 'syscall: no syscall set' || fail "no reason given: $out"
[ "$(stage_of s-early syscall)" = learning ] || fail "syscall left learning: $(stage_of s-early syscall)"
audit_has s-early refused "no syscall set" || fail "the refusal is not in the audit trail"
$ctl promote s-early --to enforce --dimension exec --force >/dev/null || fail "promote exec"
$ctl promote s-early --to enforce --dimension file --force >/dev/null || fail "promote file"
acked 2
$ctl run --workload s-early -- sh -c "$job" || fail "the learnt command was stopped (exit $?)"
ok "forced promotion refused for syscall (no data), exec and file enforced, the command runs"

# 2. A command that was not answered is never carried out later.
kill "$(cat "$dir/policyd.pid")"
sleep 1
if out=$($ctl --wait 3 promote s-early --to alert --dimension net --force 2>&1); then
	fail "a command succeeded with policyd down: $out"
else
	rc=$?
fi
[ "$rc" = 5 ] || fail "exit $rc, not 5: $out"
echo "$out" | grep -q 'did not answer within 3 s' && echo "$out" | grep -q 'never carried out' ||
	fail "the reply does not say the command will never be carried out: $out"
$ctl up >/dev/null
for i in $(seq 100); do audit_has s-early refused "expired at" && break; sleep 0.1; done
audit_has s-early refused "expired at" || fail "policyd did not refuse the late command in the audit trail"
[ "$(stage_of s-early net)" = learning ] || fail "the late command was applied: net is $(stage_of s-early net)"
ok "a command sent while policyd was down: exit 5, then refused as expired, net still learning"

# 3. policy apply asks before it allows everything.
$ctl policy show s-early > "$dir/p.yaml"
line=$(grep -n '^revision:' "$dir/p.yaml" | cut -d: -f1)
sed 's/^revision: .*/revision: "two"/' "$dir/p.yaml" > "$dir/word.yaml"
if out=$($ctl policy apply "$dir/word.yaml" 2>&1); then fail "revision \"two\" accepted: $out"; fi
echo "$out" | grep -q "word.yaml:$line:11: revision: expected the whole number" ||
	fail "no position for the revision: $out"
awk '{ print } /^files:/ { print "- path: \"/**\"\n  mode: \"rwx\"" }' "$dir/p.yaml" > "$dir/all.yaml"
if out=$($ctl policy apply "$dir/all.yaml" 2>&1); then fail "files /** rwx applied silently: $out"; fi
echo "$out" | grep -q 'allows everything in a dimension: files "/\*\*" (rwx) opens every file' ||
	fail "no reason: $out"
printf 'egress:\n- dest: "0.0.0.0/0"\n  port: 0\n' > "$dir/eg.txt"
grep -v '^egress:' "$dir/p.yaml" | cat - "$dir/eg.txt" > "$dir/net.yaml"
if out=$($ctl policy apply "$dir/net.yaml" 2>&1); then fail "egress 0.0.0.0/0 port 0 applied silently: $out"; fi
echo "$out" | grep -q 'reaches every address on every port' || fail "no reason: $out"
rev0=$(rev)
$ctl policy apply --force --reason "wide on purpose" "$dir/all.yaml" >/dev/null || fail "--force"
[ "$(rev)" = $((rev0 + 1)) ] || fail "forced apply did not make a revision"
audit_has s-early policy-apply "forced: files" || fail "the trail does not say it was forced"
if out=$($ctl policy apply "$dir/p.yaml" 2>&1); then fail "a stale file was applied: $out"; fi
echo "$out" | grep -q "edited from revision $rev0 but revision $((rev0 + 1)) is live" ||
	fail "no reason for the stale file: $out"
ok "policy apply: revision type at $line:11, /** and 0.0.0.0/0:0 need --force (audited), stale file refused"

# 4. Bytes that are not UTF-8.
$ctl run --workload s-utf -- sh -c 'f=$(printf "/tmp/paddock-test-safety-\377\376x")
	: > "$f"; cat "$f"; rm -f "$f"' || fail "s-utf"
for i in $(seq 100); do
	$ctl -o json events --workload s-utf 2>/dev/null | grep -q 'safety-\\\\xff\\\\xfex' && break
	sleep 0.1
done
$ctl -o json events --workload s-utf > "$dir/ev.json" || fail "events -o json"
node -e '
	const ev = JSON.parse(require("fs").readFileSync(process.argv[1]));
	const opens = ev.filter(e => e.type === "open");
	if (opens.some(e => typeof e.path !== "string")) { console.log("an open without path"); process.exit(1); }
	if (!opens.some(e => e.path === "/tmp/paddock-test-safety-\\xff\\xfex")) {
		console.log(opens.map(e => e.path).join("\n")); process.exit(1); }' "$dir/ev.json" ||
	fail "the escaped path is not in -o json"
$ctl -o yaml events --workload s-utf > "$dir/ev.yaml" || fail "events -o yaml"
iconv -f UTF-8 -t UTF-8 "$dir/ev.yaml" >/dev/null || fail "-o yaml is not UTF-8"
grep -q 'path: "/tmp/paddock-test-safety-\\\\xff\\\\xfex"' "$dir/ev.yaml" || fail "the escaped path is not in -o yaml"
ok "a name with bytes ff fe: \\xff\\xfe in json and yaml, every field kept"

# 5. The true backlog, before and after Redis dies.
kill -STOP "$(cat "$dir/policyd.pid")"
before=$(rcli XLEN paddock:violations)
for i in $(seq 25); do wt violation "$url" paddock:violations s-early file "/etc/paddock-test-$i" >/dev/null; done
backlog() {
	$ctl -o json status | node -e '
		let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
		const st = JSON.parse(s).streams.find(x => x.stream === "violations");
		const g = st && st.groups.find(x => x.group === "policyd");
		console.log(g ? g.backlog : "none"); });'
}
[ "$(backlog)" = 25 ] || { kill -CONT "$(cat "$dir/policyd.pid")"; fail "backlog $(backlog), not 25"; }
rev1=$(rev)
stage1=$(stage_of s-early exec)
prof1=$(rcli HGET "paddock:prof:{s-early}:meta" rev)
rcli BGREWRITEAOF >/dev/null 2>&1 || true
sleep 1
kill -9 "$(cat "$dir/redis.pid")"
sleep 0.5
$ctl up >/dev/null || { kill -CONT "$(cat "$dir/policyd.pid")"; fail "up after Redis was killed"; }
after=$(backlog)
kill -CONT "$(cat "$dir/policyd.pid")"
[ "$after" = 25 ] || fail "after kill -9 and restart, status says backlog $after, not 25 (stream had $before before)"
# What scripts and transactions wrote survives too (Redis 7.0 replays them
# from its AOF as the default user, which here may only read: paddockctl
# up replays the AOF first with a Redis of its own, then starts the real one).
[ "$(rev)" = "$rev1" ] && [ "$(stage_of s-early exec)" = "$stage1" ] &&
	[ "$(rcli HGET "paddock:prof:{s-early}:meta" rev)" = "$prof1" ] ||
	fail "state lost with Redis: policy rev $(rev) (was $rev1), exec $(stage_of s-early exec) (was $stage1), profile rev $(rcli HGET "paddock:prof:{s-early}:meta" rev) (was $prof1)"
if grep -q 'CRITICAL' "$dir/redis.log"; then
	grep 'CRITICAL' "$dir/redis.log" | head -3
	fail "Redis dropped entries of its append-only file"
fi
for i in $(seq 150); do [ "$(backlog)" = 0 ] && break; sleep 0.2; done
[ "$(backlog)" = 0 ] || fail "policyd did not drain the backlog: $(backlog)"
$ctl status | grep -q '^stream    violations   policyd  *backlog 0 ' || { $ctl status; fail "status table"; }
ok "status: backlog 25 with policyd stopped, 25 after Redis was killed and restarted (state intact), 0 once drained"

# 6. Redis has a limit and never evicts Paddock's state.
rcli INFO memory | grep -q '^maxmemory_policy:noeviction' || fail "Redis may evict"
[ "$(rcli INFO memory | sed -n 's/^maxmemory:\([0-9]*\).*/\1/p')" -gt 0 ] || fail "Redis has no maxmemory"
$ctl doctor | grep -q '^ok    redis memory' || { $ctl doctor; fail "doctor says nothing of Redis memory"; }
ok "Redis: $(rcli INFO memory | sed -n 's/^maxmemory_human:\(.*\)\r*$/\1/p' | tr -d '\r') with noeviction"

# 7. Idle and never promoted: forgotten; promoted: kept.
sed -i 's/idle_expiry: 0/idle_expiry: 3s/' "$conf"
restart profiled policyd
$ctl run --workload s-idle -- cat /etc/hostname >/dev/null || fail "s-idle"
for i in $(seq 100); do $ctl -o json workloads | grep -q '"s-idle"' && break; sleep 0.1; done
$ctl -o json workloads | grep -q '"s-idle"' || fail "s-idle never showed up"
n0=$(rcli --scan --pattern '*{s-idle}*' | wc -l)
[ "$n0" -gt 0 ] || fail "no keys for s-idle to begin with"
for i in $(seq 150); do $ctl -o json workloads | grep -q '"s-idle"' || break; sleep 0.2; done
$ctl -o json workloads | grep -q '"s-idle"' && fail "s-idle still listed after 30 s idle"
for i in $(seq 50); do [ "$(rcli --scan --pattern '*{s-idle}*' | wc -l)" = 0 ] && break; sleep 0.1; done
left=$(rcli --scan --pattern '*{s-idle}*')
[ -z "$left" ] || fail "keys left behind: $left"
rcli SISMEMBER paddock:workloads s-idle | grep -q '^0$' || fail "s-idle still in P workloads"
audit_has s-idle expire "idle_expiry" || fail "no expire entry in the audit trail"
audit_has s-idle register "" || fail "the register entry is gone"
$ctl audit --verify >/dev/null || fail "audit --verify after expiry"
$ctl -o json workloads | grep -q '"s-early"' || fail "a promoted workload was forgotten"
ok "s-idle forgotten after 3 s idle ($n0 keys gone, audit verifies); s-early (promoted) kept"
echo "safety: all checks passed"
