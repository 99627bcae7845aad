#!/bin/sh
# A container restarted after its policy is enforced from its first exec
# (issue 7: "a restarted unit gets a new cgroup ... enforced before its
# first exec").  A runtime makes the scope again under the same name
# (docker-<64 hex>.scope) with a new cgroup id; Paddock names the workload
# docker:<12 hex>, and the kernel's mkdir hook finds the new cgroup by its
# name's prefix before any process can join it.
#
# No container runtime is needed: the test makes the cgroups a runtime
# would (below a slice of its own in the cgroup2 mount), learns a
# container that reads one file, promotes it to enforce, removes the
# scope, makes it again, and at once runs in it an exec outside the
# policy (it must never run), a read of a secret and a connect (EPERM).
# The revision does not change in between: nothing but the hook could
# have enforced the new cgroup.  Cgroups, pins and programs are removed
# at the end.
st_tag=ectr
id=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
st_wl=docker:$(echo "$id" | cut -c1-12)
. "$(dirname "$0")/../helpers/stack.sh"

mnt=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$mnt" ] || fail "no cgroup2 mount"
slice=$mnt/paddock-test-ectr-$$.slice
cg=$slice/docker-$id.scope
ctr_cleanup() {
	for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
	sleep 0.2
	rmdir "$cg" "$slice" 2>/dev/null || true
	cleanup
}
trap ctr_cleanup EXIT INT TERM
mkdir -p "$cg"

d=$dir/data
mkdir -p "$d"
echo "public-ok" > "$d/allowed.txt"
echo "TOP-SECRET" > "$d/secret.txt"
cp /usr/bin/touch "$d/evil"

# Run a command in the container's cgroup (as a runtime's shim would).
in_ctr() { sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$cg" "$@" 2>&1 || true; }

# Learn: the container reads allowed.txt and runs id and bash, steadily;
# it never connects anywhere.
in_ctr sh -c "i=0; while [ \$i -lt 60 ]; do cat $d/allowed.txt >/dev/null
	/usr/bin/id -u >/dev/null; bash -c true; sleep 0.2; i=\$((i+1)); done" >/dev/null &
learner=$!
wait_stable
$ctl profile "$st_wl" | grep -q "$d/allowed.txt" || { $ctl profile "$st_wl"; fail "allowed.txt not learnt"; }
kill "$learner" 2>/dev/null || true
wait "$learner" 2>/dev/null || true
ok "learnt: $st_wl reads allowed.txt and runs id"

# Enforce exec, files and net; syscalls only alert (connect is not in the
# baseline: in block the syscall dimension would kill before net refuses).
$ctl promote "$st_wl" --to enforce --reason "lock down" >/dev/null || fail "promote"
$ctl demote "$st_wl" --to alert --dimension syscall >/dev/null || fail "demote syscall"
r=$(rev)
acked "$r"
out=$(in_ctr sh -c "cat $d/allowed.txt; cat $d/secret.txt; echo after=\$?")
echo "$out" | grep -q public-ok || fail "allowed read broke: $out"
echo "$out" | grep -q TOP-SECRET && fail "the secret was read: $out"
ok "enforced in the running container"

# The container stops (its cgroup goes) and starts again: same name, new
# cgroup, and at once an exec outside the policy, a secret, a connect.
for p in $(cat "$cg/cgroup.procs"); do kill -9 "$p" 2>/dev/null || true; done
for i in $(seq 20); do rmdir "$cg" 2>/dev/null && break; sleep 0.1; done
[ ! -d "$cg" ] || fail "cannot remove the container's cgroup"
mkdir "$cg"
rm -f "$d/marker"
out=$(in_ctr sh -c "$d/evil $d/marker; echo exec=\$?; cat $d/secret.txt; echo cat=\$?
	bash -c 'echo hi > /dev/tcp/127.0.0.1/9' 2>&1; cat $d/allowed.txt")
[ ! -e "$d/marker" ] || fail "the restarted container ran evil: $out"
echo "$out" | grep -q TOP-SECRET && fail "the restarted container read the secret: $out"
echo "$out" | grep -q "Operation not permitted" || fail "the restarted container connected: $out"
echo "$out" | grep -q public-ok || fail "allowed behaviour broke after the restart: $out"
[ "$(rev)" = "$r" ] || fail "a new revision came in between: the test proves nothing"
ok "restarted container (new cgroup, same scope name): exec, file and net enforced from its first command, revision $r unchanged"

$ctl down --disable | grep -q 'enforcement: disabled' || fail "down --disable"
[ ! -e "$pins" ] || fail "pins left in $pins"
ok "down --disable: nothing left pinned (the trap removes the cgroups)"
echo "enforce_container: all checks passed"
