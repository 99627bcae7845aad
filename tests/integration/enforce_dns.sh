#!/bin/sh
# DNS-aware egress without a race (issue 7).  A workload learns to reach
# api.paddock.test (answered by our responder on 127.0.0.153:53); enforced
# cannot resolve that name itself, so the only way its addresses get into
# the allow list is the kernel reading the DNS answer on its way in.
#   - the name moves to a new address after the policy: still allowed;
#   - another name, to another address: refused with EPERM;
#   - an address learnt from an answer expires with its TTL (+ grace, 0
#     here): afterwards it is refused unless answered for again;
#   - an answer the workload never asked for (sent from port 53 by another
#     process, for an allowed name) opens nothing.
st_tag=edns
st_wl=d-agent
st_enforced='  dns_grace: 0s\n'
. "$(dirname "$0")/../helpers/stack.sh"
actor=$top/build/tests/helpers/actor

# The responder: every A question gets the address and TTL in $dir/answer.
echo "127.0.0.154 60" > "$dir/answer"
node -e '
	const dgram = require("dgram"), fs = require("fs"), f = process.argv[1];
	const s = dgram.createSocket("udp4");
	s.on("message", (m, r) => {
		const [ip, ttl] = fs.readFileSync(f, "utf8").trim().split(" ");
		const a = Buffer.alloc(16);
		a.writeUInt16BE(0xc00c, 0); a.writeUInt16BE(1, 2); a.writeUInt16BE(1, 4);
		a.writeUInt32BE(+ttl, 6); a.writeUInt16BE(4, 10);
		ip.split(".").forEach((x, i) => a[12 + i] = +x);
		const h = Buffer.from(m); h[2] = 0x81; h[3] = 0x80; h[7] = 1;
		s.send(Buffer.concat([h, a]), r.port, r.address);
	});
	s.bind(53, "127.0.0.153", () => fs.writeFileSync(f + ".up", "1"));' "$dir/answer" &
bg="$bg $!"
# One service on several loopback addresses, one port.
node -e '
	const net = require("net"), fs = require("fs");
	const a = net.createServer(c => c.end()).listen(0, "127.0.0.154", () => {
		const p = a.address().port;
		for (const h of ["127.0.0.155", "127.0.0.156", "127.0.0.157", "127.0.0.158"])
			net.createServer(c => c.end()).listen(p, h);
		setTimeout(() => fs.writeFileSync(process.argv[1], String(p)), 200);
	});' "$dir/port" &
bg="$bg $!"
for i in $(seq 50); do [ -s "$dir/port" ] && [ -e "$dir/answer.up" ] && break; sleep 0.1; done
P=$(cat "$dir/port")
q() {	# name: resolve through the responder and connect; prints the result
	$ctl run --workload d-agent -- "$actor" dns 127.0.0.153 "$1" "$P" 2>&1 | tail -1
}

# Learn.
$ctl run --workload d-agent -- sh -c "i=0; while [ \$i -lt 60 ]; do
	$actor dns 127.0.0.153 api.paddock.test $P; sleep 0.3; i=\$((i+1)); done" \
	>/dev/null 2>&1 &
learner=$!
wait_stable
kill "$learner" 2>/dev/null || true
wait "$learner" 2>/dev/null || true
$ctl profile d-agent | grep -q "api.paddock.test" || { $ctl profile d-agent; fail "the name was not learnt"; }
ok "learnt: d-agent reaches api.paddock.test:$P"

$ctl promote d-agent --to enforce --reason "lock down" >/dev/null || fail "promote"
acked "$(rev)"
$ctl policy show d-agent | grep -q 'api.paddock.test' || fail "the name is not in the policy"
getent hosts api.paddock.test >/dev/null && fail "the system resolver knows api.paddock.test: the test proves nothing"

# The name moves after the policy: allowed, learnt from the answer.
echo "127.0.0.155 60" > "$dir/answer"
out=$(q api.paddock.test)
[ "$out" = "resolved api.paddock.test 127.0.0.155" ] || fail "a moved name was refused: $out"
ok "api.paddock.test moved to 127.0.0.155 after the policy: allowed from the DNS answer"

# Another name, another address: refused.
echo "127.0.0.156 60" > "$dir/answer"
out=$(q evil.paddock.test)
echo "$out" | grep -q 'Operation not permitted' || fail "evil.paddock.test was let through: $out"
ok "evil.paddock.test -> 127.0.0.156: EPERM"
for i in $(seq 50); do
	$ctl -o json violations --workload d-agent | grep -q '"addr": "127.0.0.156"' && break
	sleep 0.1
done
$ctl -o json violations --workload d-agent | node -e '
	let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
	const v = JSON.parse(s).find(x => x.addr === "127.0.0.156" && x.port === +process.argv[1]);
	if (!v || v.name !== "evil.paddock.test" || v.action !== "denied")
		{ console.log(JSON.stringify(v)); process.exit(1); } });' "$P" ||
	fail "the violation does not name evil.paddock.test"
ok "the violation names the destination by its DNS name: evil.paddock.test"
out=$(q api.paddock.test)
[ "$out" = "resolved api.paddock.test 127.0.0.156" ] || fail "api after evil: $out"
ok "the same address answered for api.paddock.test: allowed"

# TTL: an answer with TTL 1 s, then nothing more for that address.
echo "127.0.0.157 1" > "$dir/answer"
out=$(q api.paddock.test)
[ "$out" = "resolved api.paddock.test 127.0.0.157" ] || fail "TTL 1: $out"
sleep 2.5
out=$(q evil.paddock.test)
echo "$out" | grep -q 'Operation not permitted' || fail "an expired address was still allowed: $out"
ok "127.0.0.157 expired with its TTL (1 s, grace 0)"

# A forged answer: api.paddock.test -> 127.0.0.158, from 127.0.0.159:53
# (a process outside the workload), to a port the workload listens on,
# answering no question it sent.  Nothing is opened.  (The target binds
# and waits, calls it never learnt: syscalls go to alert for this.)
$ctl demote d-agent --to alert --dimension syscall >/dev/null || fail "demote syscall"
acked "$(rev)"
$ctl run --workload d-agent -- "$actor" dns-forged 127.0.0.158 "$P" > "$dir/forged.out" 2>&1 &
fpid=$!
for i in $(seq 50); do grep -q '^listening' "$dir/forged.out" && break; sleep 0.1; done
fport=$(sed -n 's/^listening //p' "$dir/forged.out")
[ -n "$fport" ] || fail "the forged-answer target did not start: $(cat "$dir/forged.out")"
node -e '
	const s = require("dgram").createSocket("udp4"), name = "api.paddock.test";
	const q = [Buffer.from([0x43, 0x21, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0])];
	for (const l of name.split(".")) q.push(Buffer.from([l.length]), Buffer.from(l));
	q.push(Buffer.from([0, 0, 1, 0, 1]));
	const a = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 158]);
	s.bind(53, "127.0.0.159", () => s.send(Buffer.concat([...q, a]),
		+process.argv[1], "127.0.0.1", () => s.close()));' "$fport"
wait "$fpid" 2>/dev/null || true
grep -q 'got an answer' "$dir/forged.out" || fail "the forged answer did not arrive: $(cat "$dir/forged.out")"
grep -q 'Operation not permitted' "$dir/forged.out" ||
	fail "a forged DNS answer opened 127.0.0.158: $(cat "$dir/forged.out")"
ok "a forged answer for api.paddock.test (no question sent) opened nothing: EPERM"

$ctl down --disable | grep -q 'enforcement: disabled' || fail "down --disable"
[ ! -e "$pins" ] || fail "pins left in $pins"
echo "enforce_dns: all checks passed"
