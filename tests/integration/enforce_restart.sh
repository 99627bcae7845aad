#!/bin/sh
# A unit or a container restarted after its policy is enforced from its
# first exec (issue 7: "a restarted unit gets a new cgroup ... enforced
# before its first exec").  systemd makes a unit's cgroup again under the
# unit's name; a container runtime makes the scope again under the same
# name (docker-<64 hex>.scope), which Paddock names docker:<12 hex>.  The
# kernel's mkdir hook finds the new cgroup by its name (for a container,
# by the name's prefix) before any process can join it.
#
# No systemd (it is not PID 1 here) and no container runtime are needed:
# the test makes the cgroups they would (below a slice of its own in the
# cgroup2 mount) and, for each kind, learns a workload that reads one
# file, promotes it to enforce, removes its cgroup, makes it again, and at
# once runs in it an exec outside the policy (it must never run), a read
# of a secret and a connect (EPERM).  The revision does not change in
# between: nothing but the hook could have enforced the new cgroup.
# Cgroups, pins and programs are removed at the end.
st_tag=erst
st_wl=none
. "$(dirname "$0")/../helpers/stack.sh"

mnt=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$mnt" ] || fail "no cgroup2 mount"
slice=$mnt/paddock-test-erst-$$.slice
id=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
unit=erst-$$.service
ctr=docker-$id.scope
rst_cleanup() {
	for c in "$slice/$unit" "$slice/$ctr"; do
		for p in $(cat "$c/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
	done
	sleep 0.2
	rmdir "$slice/$unit" "$slice/$ctr" "$slice" 2>/dev/null || true
	cleanup
}
trap rst_cleanup EXIT INT TERM

d=$dir/data
mkdir -p "$d"
echo "public-ok" > "$d/allowed.txt"
echo "TOP-SECRET" > "$d/secret.txt"
cp /usr/bin/touch "$d/evil"

# Run a command in cgroup $cg (as systemd or a runtime's shim would).
in_cg() { sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$cg" "$@" 2>&1 || true; }

restarted() {	# kind cgroup-name workload
	kind=$1 cg=$slice/$2 st_wl=$3
	mkdir -p "$cg"
	# Learn: reads allowed.txt, runs id and bash, never connects.
	in_cg sh -c "i=0; while [ \$i -lt 60 ]; do cat $d/allowed.txt >/dev/null
		/usr/bin/id -u >/dev/null; bash -c true; sleep 0.2; i=\$((i+1)); done" >/dev/null &
	learner=$!
	wait_stable
	$ctl profile "$st_wl" | grep -q "$d/allowed.txt" ||
		{ $ctl profile "$st_wl"; fail "$kind: allowed.txt not learnt"; }
	kill "$learner" 2>/dev/null || true
	wait "$learner" 2>/dev/null || true
	# Enforce exec, files and net; syscalls only alert (connect is not in
	# the baseline: in block the syscall dimension would kill first).
	$ctl promote "$st_wl" --to enforce --reason "lock down" >/dev/null || fail "$kind: promote"
	$ctl demote "$st_wl" --to alert --dimension syscall >/dev/null || fail "$kind: demote syscall"
	r=$(rev)
	acked "$r"
	out=$(in_cg sh -c "cat $d/allowed.txt; cat $d/secret.txt; echo after=\$?")
	echo "$out" | grep -q public-ok || fail "$kind: allowed read broke: $out"
	echo "$out" | grep -q TOP-SECRET && fail "$kind: the secret was read: $out"
	ok "$kind $st_wl: learnt and enforced"

	# It stops (its cgroup goes) and starts again: same name, new cgroup,
	# and at once an exec outside the policy, a secret, a connect.
	for p in $(cat "$cg/cgroup.procs"); do kill -9 "$p" 2>/dev/null || true; done
	for i in $(seq 20); do rmdir "$cg" 2>/dev/null && break; sleep 0.1; done
	[ ! -d "$cg" ] || fail "$kind: cannot remove its cgroup"
	mkdir "$cg"
	rm -f "$d/marker"
	out=$(in_cg sh -c "$d/evil $d/marker; echo exec=\$?; cat $d/secret.txt; echo cat=\$?
		bash -c 'echo hi > /dev/tcp/127.0.0.1/9' 2>&1; cat $d/allowed.txt")
	[ ! -e "$d/marker" ] || fail "$kind: restarted, it ran evil: $out"
	echo "$out" | grep -q TOP-SECRET && fail "$kind: restarted, it read the secret: $out"
	echo "$out" | grep -q "Operation not permitted" || fail "$kind: restarted, it connected: $out"
	echo "$out" | grep -q public-ok || fail "$kind: allowed behaviour broke after the restart: $out"
	[ "$(rev)" = "$r" ] || fail "$kind: a new revision came in between: the test proves nothing"
	ok "$kind restarted (new cgroup, same name): exec, file and net enforced from its first command, revision $r unchanged"
}

restarted unit "$unit" "$unit"
restarted container "$ctr" "docker:$(echo "$id" | cut -c1-12)"

$ctl down --disable | grep -q 'enforcement: disabled' || fail "down --disable"
[ ! -e "$pins" ] || fail "pins left in $pins"
ok "down --disable: nothing left pinned (the trap removes the cgroups)"
echo "enforce_restart: all checks passed"
