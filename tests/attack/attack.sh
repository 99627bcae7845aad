#!/bin/sh
# The attacks of issue 15 and of ../shared/reference/bypass-classes.md, made
# from inside a workload by a root process that knows Paddock is there
# (build/tests/attack/attack, raw syscalls), first with the workload in
# alert, then in enforce.  Each asserts the outcome docs/enforcement.md
# states for the backend in use here (the SIGKILL fallback, or BPF LSM),
# and the violation that names it.  The races a multi-threaded attacker
# can run against a kill are measured and printed, not hidden.
st_tag=attack
st_wl=a-agent
. "$(dirname "$0")/../helpers/stack.sh"

atk=$top/build/tests/attack/attack
[ -x "$atk" ] || fail "no $atk (make testbins)"
mnt=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
d=$dir/data
mkdir -p "$d/many"
echo "public-ok" > "$d/allowed.txt"
echo "TOP-SECRET" > "$d/secret.txt"
cp /usr/bin/id "$d/tool"
cp /usr/bin/touch "$d/evil"
ln -s "$dir/redis.sock" "$d/r.sock"
for i in $(seq 0 299); do : > "$d/many/$i"; done
sock=$dir/redis.sock
# redis-cli as the stack's operator (its default user only reads).
rcli() { redis-cli -s "$sock" --user operator --pass "$(cat "$dir/secrets/operator")" \
	--no-auth-warning "$@"; }

# A unix service of the agent's own, for the attack tool to learn on.
node -e 'require("net").createServer(c => c.on("error", () => {}).on("data", () => c.end("PONG\r\n")))
	.listen(process.argv[1])' "$d/echo.sock" &
bg="$bg $!"
for i in $(seq 50); do [ -S "$d/echo.sock" ] && break; sleep 0.1; done
mkdir -p "$d/ok"; : > "$d/ok/0"
# Another local service, never used in learning (a forwarder that would
# reach out for the workload).
node -e 'require("net").createServer(c => c.on("error", () => {}).on("data", () => c.end("FWD\r\n")))
	.listen(process.argv[1])' "$d/fwd.sock" &
bg="$bg $!"
for i in $(seq 50); do [ -S "$d/fwd.sock" ] && break; sleep 0.1; done
# Unix services with no file: abstract sockets (the agent's own, and a
# forwarder), and datagram sinks at paths (the agent's log sink, and a
# forwarder's), served by the attack tool outside the workload.
an=paddock-attack-$$
for s in "stream @$an-ok $d/abs-ok.out" "stream @$an-fwd $d/abs-fwd.out" \
    "dgram $d/ok.dgram $d/dgram-ok.out" "dgram $d/fwd.dgram $d/dgram-fwd.out"; do
	$atk unix-serve $s &
	bg="$bg $!"
done
for i in $(seq 50); do [ -S "$d/fwd.dgram" ] && [ -S "$d/ok.dgram" ] && break; sleep 0.1; done

# Learn: read allowed.txt, run the tool, and run the attack tool itself
# the benign way (threads, forks, its own unix service, execs of true), so
# that in enforce only what each attack adds is outside the baseline.
$ctl run --workload a-agent -- sh -c "i=0; while [ \$i -lt 60 ]; do
	cat $d/allowed.txt $d/evil >/dev/null; $d/tool -u >/dev/null
	$atk pread-race $d/allowed.txt 1 >/dev/null; $atk flood $d/ok 1 $d/allowed.txt >/dev/null
	$atk unix-race $d/echo.sock PING 1 >/dev/null; $atk handle-name $d/allowed.txt >/dev/null
	$atk exec-toctou /usr/bin/true /usr/bin/true $d/m 1 >/dev/null
	$atk memfd-exec $d/allowed.txt x >/dev/null 2>&1
	$atk unix-stream @$an-ok PING >/dev/null; $atk unix-dgram $d/ok.dgram HI >/dev/null
	sleep 0.2; i=\$((i+1)); done" >/dev/null 2>&1 &
learner=$!
wait_stable
$ctl profile a-agent | grep -q "$d/allowed.txt" || { $ctl profile a-agent; fail "allowed.txt not learnt"; }
kill "$learner" 2>/dev/null || true
wait "$learner" 2>/dev/null || true
ok "learnt: a-agent reads allowed.txt and runs $d/tool"

run() { $ctl run --workload a-agent -- sh -c "$1" 2>&1 || true; }
# killed WHAT OUT: the tool's shell saw it die of SIGKILL.
killed() { echo "$2" | grep -q 'after=137' || fail "$1: not killed: $2"; }
# viol DIM ACTION JS-PREDICATE: wait for a violation of a-agent (x) that
# matches, of the revision in $PHASE_REV; print it.
viol() {
	for i in $(seq 50); do
		$ctl -o json violations --workload a-agent > "$dir/v.json"
		node -e '
			const [f, dim, act, pred] = process.argv.slice(1);
			const ok = new Function("x", "return " + pred);
			const rev = +(process.env.PHASE_REV || 0);
			const v = JSON.parse(require("fs").readFileSync(f))
				.filter(x => x.dimension === dim && x.action === act &&
				    (!rev || x.rev === rev) && ok(x)).pop();
			if (!v) process.exit(1);
			console.log(JSON.stringify(v));' "$dir/v.json" "$@" && return 0
		sleep 0.1
	done
	cp "$dir/v.json" /tmp/pt/last-v.json 2>/dev/null; echo "no $1 $2 violation where $3 (rev ${PHASE_REV:-any})" >&2; return 1
}
protect() {	# a self-protection violation: mode bit 0x80, not acceptable
	node -e 'process.exit(JSON.parse(process.argv[1]).mode & 128 ? 0 : 1)' "$1" ||
		fail "not marked as self-protection: $1"
}

# ---------------------------------------------------------------- attacks
# Self-protection holds in alert exactly as in enforce: each attempt is
# killed.  So both phases run the same checks.
self_protection() {	# PHASE
	ph=$1
	# 1. io_uring: a file and Paddock's Redis without a syscall hook.
	out=$(run "$atk iouring-open $d/secret.txt; echo after=\$?")
	echo "$out" | grep -q TOP-SECRET && fail "$ph: io_uring read the secret: $out"
	killed "$ph: io_uring_setup" "$out"
	out=$(run "$atk iouring-connect $sock 'SET paddock-attack 1\r\n'; echo after=\$?")
	killed "$ph: io_uring connect to Redis" "$out"
	protect "$(viol syscall killed 'x.mode & 128 && x.syscall_name === "io_uring_setup"')" ||
		fail "$ph: no violation for io_uring_setup"

	# 2. bpf(): Paddock's maps and links.
	n0=$(bpftool map dump pinned "$pins/wl_names" | grep -c '"key"' || true)
	out=$(run "$atk bpf-del $pins/wl_names; echo after=\$?")
	killed "$ph: bpf() map delete" "$out"
	echo "$out" | grep -q '^deleted' && fail "$ph: bpf() deleted map entries: $out"
	n1=$(bpftool map dump pinned "$pins/wl_names" | grep -c '"key"' || true)
	[ "$n1" = "$n0" ] || fail "$ph: wl_names had $n0 entries, now $n1"
	link=$(ls "$pins" | grep -m1 'enf_connect4$')
	out=$(run "$atk bpf-detach $pins/$link; echo after=\$?")
	killed "$ph: bpf() link detach" "$out"
	protect "$(viol syscall killed 'x.mode & 128 && x.syscall_name === "bpf"')" ||
		fail "$ph: no violation for bpf()"

	# 3. perf_event_open of a tracepoint (what a BPF program attaches to).
	out=$(run "$atk perf-tp 1; echo after=\$?")
	killed "$ph: perf_event_open(tracepoint)" "$out"
	protect "$(viol syscall killed 'x.mode & 128 && x.syscall_name === "perf_event_open"')" ||
		fail "$ph: no violation for perf_event_open"

	# 4. open_by_handle_at: a file by no path.
	out=$(run "$atk handle $d/secret.txt; echo after=\$?")
	echo "$out" | grep -q TOP-SECRET && fail "$ph: open_by_handle_at read the secret: $out"
	killed "$ph: open_by_handle_at" "$out"
	protect "$(viol syscall killed 'x.mode & 128 && x.syscall_name === "open_by_handle_at"')" ||
		fail "$ph: no violation for open_by_handle_at"

	# 5. Leaving the cgroup: by cgroup.procs, and by clone3 into another.
	out=$(run "$atk cgroup-escape $mnt; echo after=\$?")
	echo "$out" | grep -q '^moved' && fail "$ph: moved out of its cgroup: $out"
	killed "$ph: write to cgroup.procs" "$out"
	rm -f "$d/escaped"
	out=$(run "$atk clone-into $mnt $d/escaped; echo after=\$?")
	[ -e "$d/escaped" ] && fail "$ph: a child started outside the cgroup ran"
	killed "$ph: clone3(CLONE_INTO_CGROUP)" "$out"
	protect "$(viol file killed 'x.mode & 128 && x.path && x.path.endsWith("/cgroup.procs")')" ||
		fail "$ph: no violation for cgroup.procs"
	# (In enforce the open of the cgroup directory that clone3 needs is
	# itself outside the file rules: killed there, a step earlier.)
	v=$(viol syscall killed 'x.mode & 128 && x.syscall_name === "clone3"' 2>/dev/null) && protect "$v" ||
		viol file killed "x.path === '$mnt'" >/dev/null ||
		fail "$ph: no violation for clone3 into another cgroup"

	# 6. Paddock's Redis by its name (connect_unix: EPERM before any byte,
	# even with a second thread writing), and through a symlink (killed at
	# the exit of connect: the race is measured).
	out=$(run "$atk unix-race $sock 'SET paddock-attack 1\r\n' 20")
	echo "$out" | grep -q 'won 0$' || fail "$ph: a command reached Redis by its name: $out"
	protect "$(viol net denied "x.mode & 128 && x.path === '$sock'")" ||
		fail "$ph: no violation for the connect to Redis by name"
	out=$(run "$atk unix-race $d/r.sock 'SET paddock-attack 1\r\n' 20")
	echo "$out" | grep -q 'killed 20 ' || fail "$ph: a connect through a symlink was not killed: $out"
	ok "$ph: Redis through a symlink, a second thread writing: $(echo "$out" | tail -1) (docs/enforcement.md)"
	rcli del paddock-attack >/dev/null

	ok "$ph: io_uring, bpf() on maps and links, perf_event_open, open_by_handle_at, cgroup.procs, clone3 into a cgroup, Redis by name: each killed or refused, recorded as self-protection"
}

# Raw and packet sockets: a policy item of the network dimension.  A raw
# inet socket is refused (EPERM); a packet socket kills its maker in enforce.
raw_sockets() {	# PHASE ACTION
	out=$(run "$atk raw 9; $atk packet; echo after=\$?")
	if [ "$2" = alerted ]; then
		echo "$out" | grep -q '^sent' || fail "$1: alert stopped the raw socket: $out"
	else
		echo "$out" | grep -q '^sent' && fail "$1: a raw datagram left: $out"
		echo "$out" | grep -q 'refused: socket(SOCK_RAW): Operation not permitted' ||
			fail "$1: the raw socket was not refused: $out"
		echo "$out" | grep -q '^opened' && fail "$1: a packet socket was used: $out"
		killed "$1: the packet socket" "$out"
	fi
	viol net "$2" 'x.name && x.name.startsWith("raw socket (family 2, type 3")' >/dev/null ||
		fail "$1: no violation for the raw socket"
	pact=$2; [ "$2" = denied ] && pact=killed
	viol net "$pact" 'x.name && x.name.startsWith("raw socket (family 17")' >/dev/null ||
		fail "$1: no violation for the packet socket"
	ok "$1: raw and packet sockets $2 and recorded"
}

# ---------------------------------------------------------------- alert
$ctl promote a-agent --to alert --reason "attack: alert" >/dev/null || fail "promote alert"
acked "$(rev)"
export PHASE_REV=$(rev)
self_protection alert
raw_sockets alert alerted

# A flood of 300 new objects, then the secret: recorded in full.
out=$(run "$atk flood $d/many 300 $d/secret.txt")
viol file alerted "x.path === '$d/secret.txt'" >/dev/null ||
	fail "alert: after a flood of 300, the secret's read was not recorded by its path"
ok "alert: a flood of 300 violations does not hide the next new one"

# A unix socket never reached in learning: a write of its path, reported.
out=$(run "$atk unix-race $d/fwd.sock PING 1")
echo "$out" | grep -q 'won 1$' || fail "alert: the unix connect was stopped: $out"
viol file alerted "x.path === '$d/fwd.sock' && x.mode === 2" >/dev/null ||
	fail "alert: no violation for the unix socket $d/fwd.sock"
ok "alert: a unix socket outside the baseline is reported as a write of its path"

# An abstract socket and a datagram destination never reached in
# learning: writes of "@name" and of the path, reported, delivered.
out=$(run "$atk unix-stream @$an-fwd LEAK-A")
echo "$out" | grep -q '^reply: PONG' || fail "alert: the abstract connect was stopped: $out"
viol file alerted "x.path === '@$an-fwd' && x.mode === 2" >/dev/null ||
	fail "alert: no violation naming @$an-fwd"
out=$(run "$atk unix-dgram $d/fwd.dgram LEAK-B")
echo "$out" | grep -q '^sent' || fail "alert: the datagram was stopped: $out"
viol file alerted "x.path === '$d/fwd.dgram' && x.mode === 2 && (x.syscall === 44 || x.syscall === 'sendto')" >/dev/null ||
	fail "alert: no violation naming $d/fwd.dgram"
ok "alert: an abstract socket and a datagram destination outside the baseline are reported (@name, path)"

# A hard link in alert: reported, not stopped.
out=$(run "$atk link $d/secret.txt $d/alias.txt; echo after=\$?")
echo "$out" | grep -q '^linked' || fail "alert: link stopped: $out"
viol file alerted "x.path === '$d/alias.txt'" >/dev/null || fail "alert: no violation for the link"
rm -f "$d/alias.txt"
ok "alert: a hard link outside the policy is reported"

# ---------------------------------------------------------------- enforce
# A process of the workload that was already running before enforcement
# (the startup gap): it waits, then reaches for the secret.
rm -f "$d/go"
$ctl run --workload a-agent -- sh -c "while [ ! -e $d/go ]; do sleep 0.1; done;
	cat $d/secret.txt; echo after=\$?" > "$dir/early.out" 2>&1 &
early=$!
$ctl promote a-agent --to enforce --reason "attack: enforce" >/dev/null || fail "promote enforce"
acked "$(rev)"
export PHASE_REV=$(rev)
$ctl policy show a-agent | grep -q "$atk" || fail "the attack tool was not learnt"
out=$(run "cat $d/allowed.txt; $d/tool -u")
[ "$out" = "public-ok
0" ] || fail "allowed behaviour broke: $out"
self_protection enforce
raw_sockets enforce denied

touch "$d/go"
wait "$early" 2>/dev/null || true
grep -q TOP-SECRET "$dir/early.out" && fail "enforce: a process from before the policy read the secret"
grep -q 'after=137' "$dir/early.out" || fail "enforce: the early process was not stopped: $(cat "$dir/early.out")"
ok "enforce: a process running since before the policy is enforced like a new one"

# Fileless and indirect execs: a memfd (filled from a file the workload
# may read, as a payload fetched through an allowed channel would be), the
# dynamic loader run on a binary, a copy of a binary under a new name.
# None runs.
for how in memfd ldso copy; do
	rm -f "$d/marker"
	case $how in
	memfd) out=$(run "$atk memfd-exec $d/evil $d/marker; echo after=\$?") ;;
	ldso)  out=$(run "/lib64/ld-linux-x86-64.so.2 $d/evil $d/marker; echo after=\$?") ;;
	copy)  cp /usr/bin/touch "$d/copy-of-touch"
	       out=$(run "$d/copy-of-touch $d/marker; echo after=\$?") ;;
	esac
	[ -e "$d/marker" ] && fail "enforce: the $how exec ran"
	killed "enforce: $how exec" "$out"
done
viol exec killed "x.path && x.path.startsWith('/memfd:payload')" >/dev/null ||
	fail "enforce: no violation naming the memfd"
ok "enforce: memfd, ld.so and copied binaries never run; the memfd is named /memfd:payload"

# Unix sockets: the one learnt works, another one kills its caller at the
# connect (by the socket's own path, whatever name was used), before the
# reply can be read.
out=$(run "$atk unix-race $d/echo.sock PING 1")
echo "$out" | grep -q 'killed 0 won 1$' || fail "enforce: the learnt unix socket broke: $out"
ln -sf "$d/fwd.sock" "$d/fwd-link.sock"
for s in "$d/fwd.sock" "$d/fwd-link.sock"; do
	out=$(run "$atk unix-race $s PING 1")
	echo "$out" | grep -q 'killed 1 ' || fail "enforce: a connect to $s was not stopped: $out"
done
viol file killed "x.path === '$d/fwd.sock' && x.mode === 2" >/dev/null ||
	fail "enforce: no violation naming $d/fwd.sock"
ok "enforce: unix sockets as learnt: echo.sock works, fwd.sock (directly or by a symlink) kills its caller"

# Abstract sockets and datagram destinations: the learnt ones work;
# another one, or a learnt name with a NUL and more after it (another
# abstract socket), is refused with EPERM before a byte moves.
out=$(run "$atk unix-stream @$an-ok PING; $atk unix-dgram $d/ok.dgram HI")
[ "$out" = "reply: PONG
sent" ] || fail "enforce: the learnt abstract socket or datagram sink broke: $out"
for a in "@$an-fwd" "@$an-ok%00x"; do
	out=$(run "$atk unix-stream $a LEAK-C; echo after=\$?")
	echo "$out" | grep -q 'refused: connect: Operation not permitted' ||
		fail "enforce: the connect to $a was not refused: $out"
done
out=$(run "$atk unix-dgram $d/fwd.dgram LEAK-D; echo after=\$?")
echo "$out" | grep -q 'refused: sendto: Operation not permitted' ||
	fail "enforce: the datagram to $d/fwd.dgram was not refused: $out"
sleep 0.2
grep -q 'LEAK-[CD]' "$d/abs-fwd.out" "$d/dgram-fwd.out" && fail "enforce: a refused unix message arrived"
viol file denied "x.path === '@$an-fwd' && x.mode === 2" >/dev/null ||
	fail "enforce: no violation naming @$an-fwd"
viol file denied "x.path === '$d/fwd.dgram' && x.mode === 2" >/dev/null ||
	fail "enforce: no violation naming $d/fwd.dgram"
ok "enforce: abstract and datagram unix destinations as learnt: the rest refused (EPERM) before a byte, and named"

# Hard links and renames over a learnt name: the maker is killed, and the
# inode left at that name is quarantined, so it never runs or is read.
rm -f "$d/marker"
out=$(run "rm -f $d/tool; $atk link $d/evil $d/tool; echo after=\$?")
killed "enforce: link over the learnt binary's name" "$out"
out=$(run "$d/tool $d/marker; echo after=\$?")
[ -e "$d/marker" ] && fail "enforce: the binary linked over a learnt name ran"
killed "enforce: exec of the linked name" "$out"
rm -f "$d/tool"; cp /usr/bin/id "$d/tool"
cp /usr/bin/touch "$d/evil2"
out=$(run "$atk rename $d/evil2 $d/tool; echo after=\$?")
killed "enforce: rename over the learnt binary's name" "$out"
out=$(run "$d/tool $d/marker; echo after=\$?")
[ -e "$d/marker" ] && fail "enforce: the binary renamed over a learnt name ran"
rm -f "$d/tool"; cp /usr/bin/id "$d/tool"
out=$(run "rm -f $d/allowed.txt; $atk link $d/secret.txt $d/allowed.txt; cat $d/allowed.txt; echo after=\$?")
echo "$out" | grep -q TOP-SECRET && fail "enforce: the secret was read through an allowed name: $out"
out=$(run "cat $d/secret.txt; echo after=\$?")
echo "$out" | grep -q TOP-SECRET && fail "enforce: the secret's own name was allowed after the link"
rm -f "$d/allowed.txt"; echo "public-ok" > "$d/allowed.txt"
viol file killed "x.path === '$d/tool' && x.syscall_name === 'link'" >/dev/null ||
	fail "enforce: no violation for the link over the tool"
grep -q "$d/tool: quarantined" "$dir/enforced.log" || fail "enforce: the inode at $d/tool was not quarantined"
ok "enforce: link and rename over a learnt binary, link of a secret over an allowed file: maker killed, inode quarantined, nothing ran or was read"

# TOCTOU on execve's path: a thread flips it between an allowed binary and
# evil while the child execs.  The kernel decides on the file it runs.
out=$(run "$atk exec-toctou /usr/bin/true $d/evil $d/marker 30")
echo "$out" | grep -q 'bad ran 0$' || fail "enforce: evil ran through a path swap: $out"
ok "enforce: execve path swapped by a second thread: evil never ran ($out)"

# The SIGKILL race on a denied read: a second thread preads the fd the
# open will get.  Measured and printed; docs/enforcement.md says what it means.
out=$(run "$atk pread-race $d/secret.txt 50")
echo "$out" | grep -q 'killed 50 ' || fail "enforce: a denied open was not killed: $out"
ok "enforce: the multi-threaded read race on a denied file: $(echo "$out" | tail -1)"

# ---------------------------------------------------------------- commands
# What a workload that got a connection to Redis past every guard could
# send: a command in an operator's name, unsigned or signed with a key it
# made up.  policyd carries out neither, replies why and audits the try;
# and the operator's real key is out of the workload's reach.
# Unauthenticated, Redis itself refuses every write.
out=$(redis-cli -s "$sock" XADD paddock:commands '*' msgpack x 2>&1 || true)
echo "$out" | grep -q NOPERM || fail "an unauthenticated client wrote to Redis: $out"
# With a Redis password it stole (a daemon's), a command in the operator's
# name: Redis takes it, policyd does not.
wt() { PADDOCK_REDIS_USER=paddock-collectd \
	PADDOCK_REDIS_PASSWORD=$(cat "$dir/secrets/paddock-collectd") "$top/build/tests/helpers/wire_tool" "$@"; }
stage0=$($ctl -o json workloads | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>
	console.log(JSON.parse(s).find(w=>w.workload==="a-agent").stage))')
wt command "unix://$sock" paddock:commands root demote a-agent learning none >/dev/null ||
	fail "could not send the unsigned command"
wt command "unix://$sock" paddock:commands root demote a-agent learning \
	"$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" >/dev/null ||
	fail "could not send the forged command"
for i in $(seq 50); do
	[ "$($ctl audit | grep -c 'unauthenticated:root')" -ge 2 ] && break
	sleep 0.1
done
[ "$($ctl audit | grep -c 'unauthenticated:root')" -ge 2 ] ||
	{ $ctl audit | tail -5; fail "the forged commands were not refused and audited"; }
stage1=$($ctl -o json workloads | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>
	console.log(JSON.parse(s).find(w=>w.workload==="a-agent").stage))')
[ "$stage1" = "$stage0" ] || fail "a forged command changed a-agent from $stage0 to $stage1"
$ctl audit --verify >/dev/null || fail "audit trail after the refusals"
out=$(run "cat $dir/operators/root.key; echo after=\$?")
echo "$out" | grep -Eq '^[0-9a-f]{64}$' && fail "the workload read the operator's key: $out"
killed "the operator's key" "$out"
protect "$(viol file killed "x.mode & 128 && x.path === '$dir/operators/root.key'")" ||
	fail "no violation for the operator's key"
out=$(run "cat $dir/secrets/operator; echo after=\$?")
echo "$out" | grep -Eq '^[0-9a-f]{64}$' && fail "the workload read the operator's Redis password: $out"
killed "the operator's Redis password" "$out"
ok "commands: Redis refuses unauthenticated writes; unsigned and forged ones refused by policyd and audited (unauthenticated:root), the stage unchanged; the operator's key and Redis password out of the workload's reach"

# ---------------------------------------------------------------- tamper
# What a race past the bpf() kill could do, done here from outside the
# workload: enforced finds it and puts it back, and says so.
id=$(bpftool -j link show pinned "$pins/$(ls "$pins" | grep -m1 'enf_connect4$')" |
	node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).id))')
bpftool link detach id "$id" || fail "could not detach link $id to test the repair"
key=$(bpftool -j map dump pinned "$pins/wl_names" | node -e '
	let s="";process.stdin.on("data",d=>s+=d).on("end",()=>
	console.log(JSON.parse(s)[0].key.join(" ")))')
bpftool map delete pinned "$pins/wl_names" key hex $(for b in $key; do printf '%02x ' $((b)); done) ||
	fail "could not delete a wl_names key to test the repair"
# The violation goes enforced -> violations stream -> policyd, which may
# still be working through the races' violations above: up to 30 s.
for i in $(seq 300); do
	$ctl -o json violations --workload paddock-enforced 2>/dev/null | grep -q 'tampering' && break
	sleep 0.1
done
if ! $ctl violations --workload paddock-enforced | grep -q 'tampering'; then
	# Which side fell behind: enforced finding it, or policyd recording it.
	grep -i "tamper" "$dir/enforced.log" | tail -5
	$ctl status | grep -iE "violations|policyd|enforcer" | head -8
	fail "tamper: no violation of paddock-enforced"
fi
for i in $(seq 50); do
	$ctl status | grep -q "^enforcer .*links \([0-9]*\)/\1 attached, tamper [1-9]" && break
	sleep 0.1
done
$ctl status | grep -q "^enforcer .*links \([0-9]*\)/\1 attached, tamper [1-9]" ||
	{ $ctl status; fail "tamper: status does not show the repair"; }
# The link and the entry may be found on two guard ticks (2 s apart).
for i in $(seq 40); do
	n2=$(bpftool map dump pinned "$pins/wl_names" | grep -c '"key"' || true)
	[ "$n2" = "$n0" ] && break
	sleep 0.1
done
[ "$n2" = "$n0" ] || fail "tamper: wl_names has $n2 entries, not $n0 again"
out=$(run "$atk raw 9; echo after=\$?")
echo "$out" | grep -q 'Operation not permitted' || fail "tamper: enforcement did not come back: $out"
ok "tamper: a detached link and a deleted map entry each put back at the next guard tick (2 s); status and a violation of paddock-enforced say so"

# The workload's parent cgroup made again: the network stays enforced.
pslice=$mnt/paddock.slice
if find "$pslice" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null &&
    rmdir "$pslice" 2>/dev/null; then
	out=$(run "$atk raw 9; echo after=\$?")
	echo "$out" | grep -q 'Operation not permitted' ||
		fail "the network was not enforced after paddock.slice was made again: $out"
	ok "paddock.slice removed and made again: the network still enforced"
else
	fail "paddock.slice could not be removed to try its recreation: $(find "$pslice" -name cgroup.procs -exec cat {} +)"
fi

# Raw and packet sockets are refused unless learnt: a workload that made
# them in learning (pseudo-syscalls socket_raw, socket_packet in its
# baseline) keeps them in enforce.
$ctl run --workload r-agent -- sh -c "i=0; while [ \$i -lt 40 ]; do
	$atk raw 9 >/dev/null; $atk packet >/dev/null; sleep 0.2; i=\$((i+1)); done" >/dev/null 2>&1 &
rl=$!
st_wl=r-agent wait_stable
kill "$rl" 2>/dev/null || true; wait "$rl" 2>/dev/null || true
$ctl profile r-agent | grep -q socket_raw || { $ctl profile r-agent; fail "socket_raw was not learnt"; }
$ctl profile r-agent | grep -q socket_packet || fail "socket_packet was not learnt"
$ctl promote r-agent --to enforce --reason "raw learnt" >/dev/null || fail "promote r-agent"
for i in $(seq 100); do
	$ctl status | grep -q "^policy *r-agent .* $(hostname): rev" && break; sleep 0.1
done
out=$($ctl run --workload r-agent -- sh -c "$atk raw 9; $atk packet; echo after=\$?" 2>&1 || true)
echo "$out" | grep -q '^sent' || fail "r-agent's learnt raw socket was refused: $out"
echo "$out" | grep -q '^opened' || fail "r-agent's learnt packet socket was refused: $out"
ok "raw and packet sockets learnt by r-agent (socket_raw, socket_packet) work in enforce"

$ctl audit --verify >/dev/null || fail "audit trail"
echo "attack: all checks passed"
