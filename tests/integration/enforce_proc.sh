#!/bin/sh
# Exec, file and syscall enforcement, end to end (issue 7), with the
# bypasses we know.  A shell workload learns to read one file and run
# /usr/bin/id; promoted to enforce, the kernel (BPF LSM where the host has
# it, else SIGKILL from tracepoints, as here) stops:
#   - a read of a file outside the policy, by its path, through a symlink,
#     by a relative path, and by reopening an inherited fd through
#     /proc/self/fd (the content never reaches the process);
#   - an exec of a binary outside the policy, directly, through a symlink
#     and by a relative path, before the image runs (it never writes the
#     marker it was asked to write): short-lived processes included;
#   - a syscall outside the baseline: reported in alert, killed in enforce;
#   - a signal to Paddock's daemons (seven ways, a 32-bit syscall among
#     them) or its Redis: the sender is
#     stopped and the daemons run on.
# Allowed behaviour keeps working, also through a symlink to an allowed
# binary.  Each violation names the real path, the action and the lineage
# from the workload's shell to the offender.  All loaded programs are
# detached and unpinned at the end.
st_tag=eproc
st_wl=x-agent
. "$(dirname "$0")/../helpers/stack.sh"

d=$dir/data
mkdir -p "$d"
echo "public-ok" > "$d/allowed.txt"
echo "TOP-SECRET" > "$d/secret.txt"
ln -s "$d/secret.txt" "$d/link.txt"
cp /usr/bin/touch "$d/evil"
ln -s "$d/evil" "$d/evil-link"
ln -s /usr/bin/id "$d/myid"
ln -s "$dir/redis.sock" "$d/r.sock"
actor=$top/build/tests/helpers/actor
# A unix service of the agent's own (it answers "PONG-echo").
node -e 'require("net").createServer(c => c.on("data", () => c.end("PONG-echo\r\n")))
	.listen(process.argv[1])' "$d/echo.sock" &
bg="$bg $!"
for i in $(seq 50); do [ -S "$d/echo.sock" ] && break; sleep 0.1; done

# Learn: read allowed.txt, run id, talk to its unix service, remove a
# scratch file, sleep; steadily.
$ctl run --workload x-agent -- sh -c "i=0; while [ \$i -lt 80 ]; do
	cat $d/allowed.txt >/dev/null; /usr/bin/id -u >/dev/null
	$actor unix $d/echo.sock >/dev/null; rm -f $d/scratch; sleep 0.2
	i=\$((i+1)); done" >/dev/null 2>&1 &
learner=$!
wait_stable
$ctl profile x-agent | grep -q "$d/allowed.txt" || { $ctl profile x-agent; fail "allowed.txt not learnt"; }
kill "$learner" 2>/dev/null || true
wait "$learner" 2>/dev/null || true
ok "learnt: x-agent reads allowed.txt and runs /usr/bin/id"

# Enforce exec and files; syscalls alert first.
$ctl promote x-agent --to enforce --reason "lock down" >/dev/null || fail "promote"
$ctl demote x-agent --to alert --dimension syscall >/dev/null || fail "demote syscall"
acked "$(rev)"
backends=$($ctl status | sed -n "s/^enforcer  *$(hostname) *//p")
echo "$backends" | grep -Eq 'exec=(signal|lsm) file=(signal|lsm) net=cgroup syscall=signal' ||
	fail "status does not name the backends: $backends"
ok "status: $backends"
case "$backends" in *exec=lsm*) deny="Operation not permitted"; act=denied;;
	*) deny="Killed"; act=killed;; esac

run() { $ctl run --workload x-agent -- sh -c "$1" 2>&1 || true; }
# stopped WHAT CMD [DONE]: CMD run in the workload is killed or refused,
# and never prints DONE (what it prints when it got through).
stopped() {
	out=$(run "$2; echo after=\$?")
	[ -n "${3:-}" ] && echo "$out" | grep -q "$3" && fail "$1: it got through: $out"
	echo "$out" | grep -Eq 'after=137|Operation not permitted' ||
		fail "$1: not stopped: $out"
}
# logged N PATTERN: enforced's log has PATTERN N times or more (waits 2 s).
logged() {
	for i in $(seq 20); do
		[ "$(grep -c "$2" "$dir/enforced.log")" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# Allowed behaviour still works, also through a symlink to an allowed exe.
out=$(run "cat $d/allowed.txt; /usr/bin/id -u; $d/myid -u")
[ "$out" = "public-ok
0
0" ] || fail "allowed behaviour broke: $out"
ok "allowed: cat allowed.txt, id, and id through a symlink"

viol() {	# dimension path: wait for that violation, print it as JSON
	for i in $(seq 50); do
		$ctl -o json violations --workload x-agent > "$dir/v.json"
		node -e '
			const [f, dim, path, act] = process.argv.slice(1);
			const v = JSON.parse(require("fs").readFileSync(f))
				.filter(x => x.dimension === dim && x.path === path &&
				    x.action === act).pop();
			if (!v) process.exit(1);
			console.log(JSON.stringify(v));' "$dir/v.json" "$@" && return 0
		sleep 0.1
	done
	$ctl violations --workload x-agent; return 1
}
lineage_ok() {	# json exe: the lineage runs from dash to exe
	node -e '
		const v = JSON.parse(process.argv[1]), l = v.lineage;
		if (!l.some(p => p.exe === "/usr/bin/dash") ||
		    l[l.length - 1].exe !== process.argv[2] ||
		    l[l.length - 1].pid !== v.pid)
			{ console.log(JSON.stringify(l)); process.exit(1); }' "$@"
}

# Files: the secret, four ways.  Each time the read never happens.
for how in direct symlink relative procfd; do
	case $how in
	direct)   out=$(run "cat $d/secret.txt; echo after=\$?");;
	symlink)  out=$(run "cat $d/link.txt; echo after=\$?");;
	relative) out=$(run "cd $d && cat ./secret.txt; echo after=\$?");;
	procfd)   out=$($ctl run --workload x-agent -- sh -c \
		      "cat /proc/self/fd/7; echo after=\$?" 7<"$d/secret.txt" 2>&1 || true);;
	esac
	echo "$out" | grep -q TOP-SECRET && fail "$how: the secret was read: $out"
	if [ $act = killed ]; then
		echo "$out" | grep -q 'after=137' || fail "$how: cat not killed: $out"
	else
		echo "$out" | grep -q "$deny" || fail "$how: not denied: $out"
	fi
done
v=$(viol file "$d/secret.txt" $act) || fail "no file violation for secret.txt"
lineage_ok "$v" /usr/bin/cat || fail "file violation lineage"
ok "file: secret.txt $act directly, via symlink, relative path and /proc/self/fd; the record names the real path"

# Self-protection: Paddock's Redis is out of reach, by path or symlink,
# while the agent's own unix service works; such a violation cannot be
# accepted.
out=$(run "$actor unix $d/echo.sock")
[ "$out" = "reply PONG-echo" ] || fail "the agent's own unix service broke: $out"
for sock in "$dir/redis.sock" "$d/r.sock"; do
	stopped "connect to Redis via $sock" "$actor unix $sock" PONG
done
v=$(viol net "$dir/redis.sock" $act) || fail "no self-protection violation"
node -e 'process.exit(JSON.parse(process.argv[1]).mode & 128 ? 0 : 1)' "$v" ||
	fail "the violation is not marked as self-protection: $v"
vid=$(node -e 'console.log(JSON.parse(process.argv[1]).id)' "$v")
$ctl accept "$vid" >/dev/null 2>&1 && fail "a self-protection violation was accepted"
ok "self-protection: Redis's socket refused by path and via symlink; not acceptable"

# Self-protection: signals.  The workload cannot stop Paddock's daemons by
# any of the seven ways to send a signal.  With BPF LSM the signal is
# refused (EPERM); without it the sender dies in the call and the daemon,
# which still receives the signal, finds the sender marked and refuses it.
epid=$(cat "$dir/enforced.pid"); ppid=$(cat "$dir/policyd.pid")
eexe=$(readlink "/proc/$epid/exe")
# The i386 entry (int 0x80) exists only where the kernel (or its
# hypervisor) has 32-bit emulation on: tried on this test's own shell
# first, outside any workload.  Where it faults there is no such door to
# guard, and the case is skipped, loudly.
ways="kill group tgkill tkill queue pidfd int80"; marked=6; i386=yes
if ! "$actor" signal int80 $$ 0 >/dev/null 2>&1; then
	echo "SKIP: int 0x80 faults on this kernel (no 32-bit syscalls): the i386 kill is not tried"
	ways="kill group tgkill tkill queue pidfd"; marked=5; i386=no
fi
for how in $ways; do
	stopped "SIGTERM to enforced by $how" "$actor signal $how $epid 15" '^sent'
done
# A pipe pointed at enforced (F_SETOWN, F_SETSIG): the kernel itself
# would send the signal, with no kill syscall.  The fallback kills the
# caller at the fcntl; with LSM the signal goes, and enforced refuses it
# (its origin names no process).
out=$(run "$actor signal setown $epid 15; echo after=\$?")
if [ $act = killed ]; then
	echo "$out" | grep -q 'after=137' || fail "setown: the caller was not killed: $out"
else
	logged 2 "refused: its origin is not" || fail "the F_SETOWN SIGTERM was not refused"
fi
stopped "SIGUSR1 to policyd" "$actor signal kill $ppid 10"	# would end it
# Into enforced's process: ptrace, process_vm_readv, pidfd_getfd.
for how in ptrace vmread getfd; do
	stopped "$how of enforced" "$actor reach $how $epid" '^done'
done
# Paddock's Redis too (SIGWINCH: harmless to Redis, but not the workload's to send).
rpid=$(cat "$dir/redis.pid")
stopped "SIGWINCH to Redis" "$actor signal kill $rpid 28"
sleep 1
kill -0 "$epid" && kill -0 "$ppid" || fail "a signal from the workload stopped a daemon"
if [ $act = killed ]; then
	# Six senders (five without int 0x80) marked by the kernel (all but sigqueue's, refused for
	# its origin): else the test proves nothing.
	n=$(grep -c "SIGTERM from pid [0-9]* refused: its sender is a workload" "$dir/enforced.log" || true)
	[ "$n" = $marked ] || fail "enforced refused $n SIGTERMs from marked senders, not $marked"
	n=$(grep -c "SIGTERM from pid [0-9]* refused: its origin" "$dir/enforced.log" || true)
	[ "$n" -ge 1 ] || fail "enforced did not refuse sigqueue's SIGTERM for its origin"
	$ctl violations --workload x-agent | grep -q "fcntl: SIG[A-Z]* to pid $epid" ||
		{ $ctl violations --workload x-agent; fail "no violation for the F_SETOWN at enforced"; }
	grep -q "SIGUSR1 from pid [0-9]* refused" "$dir/policyd.log" ||
		fail "policyd did not refuse the SIGUSR1"
fi
viol syscall "$eexe" $act >/dev/null || fail "no violation for the signals to enforced"
v=$(node -e '
	const [f, pid] = process.argv.slice(1);
	const all = JSON.parse(require("fs").readFileSync(f))
		.filter(x => x.dimension === "syscall" && x.mode & 128);
	const one = n => all.find(x => x.name === n);
	if (!one("SIGTERM to process group " + pid)) process.exit(1);
	console.log(JSON.stringify(one("SIGTERM to pid " + pid)));' "$dir/v.json" "$epid") ||
	fail "the violations do not name each signal and its target"
lineage_ok "$v" "$actor" || fail "signal violation lineage"
vid=$(node -e 'console.log(JSON.parse(process.argv[1]).id)' "$v")
$ctl accept "$vid" >/dev/null 2>&1 && fail "a self-protection violation was accepted"
$ctl violations --workload x-agent | grep -q "kill: SIGTERM to pid $epid" ||
	fail "violations does not show the signal"
for sc in ptrace process_vm_readv pidfd_getfd; do
	$ctl violations --workload x-agent | grep -q "$sc: into pid $epid" ||
		{ [ $act = denied ] && [ $sc != ptrace ]; } ||	# LSM: one hook, named ptrace
		fail "no violation for $sc into enforced"
done
$ctl violations --workload x-agent | grep -q "kill: SIGWINCH to pid $rpid" ||
	fail "no violation for the signal to Redis"
if [ $act = killed ] && [ $i386 = yes ]; then	# the i386 kill: a violation of its own
	$ctl violations --workload x-agent | grep -q "i386 syscall 37" ||
		fail "no violation for the 32-bit kill"
fi
ok "self-protection: SIGTERM to enforced by kill, kill(-pgid), tgkill, tkill, sigqueue, pidfd, i386 kill (where there is one: $i386), F_SETOWN, SIGUSR1 to policyd, SIGWINCH to Redis; ptrace, process_vm_readv, pidfd_getfd of enforced: caller $act, daemons run on"

# Pins: removed from inside the workload, four ways.  With BPF LSM each is
# refused.  Without it the remover is killed in the call (which still
# unlinks) when the name is absolute under bpffs, relative to a bpffs
# working directory, or relative to a bpffs dirfd (O_PATH: the file
# dimension never sees it opened, as it sees rm -r's); through a
# symlink it is not seen.  Either way enforced pins again at once and
# enforcement never stops.
before=$(ls "$pins")
ln -s "$pins" "$d/pinlink"
for how in absolute relative dirfd symlink; do
	case $how in
	absolute) out=$(run "rm -f $pins/exact; echo after=\$?");;
	relative) out=$(run "cd $pins && rm -f exact; echo after=\$?");;
	dirfd)    out=$(run "$actor unlinkat $pins exact; echo after=\$?");;
	symlink)  out=$(run "rm -f $d/pinlink/exact; echo after=\$?");;
	esac
	if [ $act = denied ]; then
		echo "$out" | grep -q 'Operation not permitted' || fail "$how: pin removal not refused: $out"
	elif [ $how = symlink ]; then
		echo "$out" | grep -q 'after=0' || fail "$how: $out"
	else
		echo "$out" | grep -q 'after=137' || fail "$how: the remover was not killed: $out"
	fi
	for i in $(seq 20); do [ "$(ls "$pins" 2>/dev/null)" = "$before" ] && break; sleep 0.1; done
	[ "$(ls "$pins")" = "$before" ] || fail "$how: the pins did not come back"
	out=$(run "cat $d/secret.txt; echo after=\$?")
	echo "$out" | grep -q TOP-SECRET && fail "$how: the secret was read after the pins went: $out"
done
if [ $act = killed ]; then
	n=$(grep -c 'pins in .* were removed: pinned again' "$dir/enforced.log" || true)
	[ "$n" -ge 4 ] || fail "pins removed $n times of 4: the test proved less than it says"
	v=$(viol file "$pins/exact" killed) || fail "no violation for the removed pin"
	node -e 'process.exit(JSON.parse(process.argv[1]).mode & 128 ? 0 : 1)' "$v" ||
		fail "the pin's violation is not self-protection: $v"
	lineage_ok "$v" /usr/bin/rm || fail "pin violation lineage"
	# The absolute name as given, and the relative ones from the kernel's
	# walk of their directory: the same path.
	node -e '
		const [f, p] = process.argv.slice(1);
		const n = JSON.parse(require("fs").readFileSync(f)).filter(x =>
			x.dimension === "file" && x.mode & 128 && x.path === p).length;
		process.exit(n >= 2 ? 0 : 1);' "$dir/v.json" "$pins/exact" ||
		fail "the relative removals are not named $pins/exact"
fi
ok "pins removed by the workload (absolute, relative, dirfd, via symlink): remover $act but via symlink, pins back at once, enforcement held"

# Exec: a binary outside the policy never runs, however it is named.
for how in direct symlink relative; do
	rm -f "$d/marker"
	case $how in
	direct)   out=$(run "$d/evil $d/marker; echo after=\$?");;
	symlink)  out=$(run "$d/evil-link $d/marker; echo after=\$?");;
	relative) out=$(run "cd $d && ./evil $d/marker; echo after=\$?");;
	esac
	[ ! -e "$d/marker" ] || fail "$how: the binary ran (marker written)"
	if [ $act = killed ]; then
		echo "$out" | grep -q 'after=137' || fail "$how: exec not killed: $out"
	fi
done
v=$(viol exec "$d/evil" $act) || fail "no exec violation for evil"
lineage_ok "$v" "$d/evil" || fail "exec violation lineage (short-lived process)"
ok "exec: $d/evil stopped before it ran, directly, via symlink and relative path; lineage dash -> evil"

# Alert: the same actions succeed, and each gives one violation.
$ctl demote x-agent --to alert --dimension exec >/dev/null || fail "demote exec"
$ctl demote x-agent --to alert --dimension file >/dev/null || fail "demote file"
acked "$(rev)"
rm -f "$d/marker"
out=$(run "cat $d/secret.txt; $d/evil $d/marker; echo after=\$?")
echo "$out" | grep -q TOP-SECRET || fail "alert mode stopped the read: $out"
[ -e "$d/marker" ] || fail "alert mode stopped the exec: $out"
v=$(viol file "$d/secret.txt" alerted) || fail "no alerted file violation"
lineage_ok "$v" /usr/bin/cat || fail "alerted file violation lineage"
v=$(viol exec "$d/evil" alerted) || fail "no alerted exec violation"
lineage_ok "$v" "$d/evil" || fail "alerted exec violation lineage"
n=$(node -e '
	const [f, d] = process.argv.slice(1);
	const v = JSON.parse(require("fs").readFileSync(f)).filter(x =>
	    x.action === "alerted" && (x.path === d + "/secret.txt" ||
	    (x.dimension === "exec" && x.path === d + "/evil")));
	console.log(v.length);' "$dir/v.json" "$d")
[ "$n" = 2 ] || fail "alert: want one violation each for the read and the exec, got $n"
ok "alert: secret.txt read and evil run, one violation each with its lineage"

# Syscalls: umask(2) was never used.  Alert reports it; enforce kills.
out=$(run "umask 077; echo after")
[ "$out" = after ] || fail "alert mode stopped the shell: $out"
for i in $(seq 50); do
	$ctl -o json violations --workload x-agent | grep -q '"syscall_name": "umask"' && break
	sleep 0.1
done
$ctl -o json violations --workload x-agent | grep -q '"syscall_name": "umask"' ||
	fail "no syscall violation in alert mode"
$ctl promote x-agent --to enforce --dimension syscall >/dev/null || fail "promote syscall"
acked "$(rev)"
out=$(run "umask 077; echo after")
echo "$out" | grep -q after && fail "enforce mode let umask through: $out"
ok "syscall: umask reported in alert, killed in enforce"

$ctl audit --verify >/dev/null || fail "audit trail"
$ctl down --disable | grep -q 'enforcement: disabled' || fail "down --disable"
[ ! -e "$pins" ] || fail "pins left in $pins"
ok "down --disable: nothing left pinned"
echo "enforce_proc: all checks passed"
