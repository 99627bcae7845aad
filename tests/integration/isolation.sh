#!/bin/sh
# Two stacks on one host (issue 15): each `paddockctl up --state-dir`
# keeps its pins, Redis, secrets and keys under its own state directory
# and pin directory, with no configuration saying so; one stack's
# `down --disable` leaves the other's programs, maps and daemons alone.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
[ "$(id -u)" = 0 ] || { echo "needs root (BPF, cgroups): skipped"; exit 77; }
a=$(mktemp -d /tmp/paddock-test-isoa.XXXXXX)
b=$(mktemp -d /tmp/paddock-test-isob.XXXXXX)
pa=/sys/fs/bpf/paddock$(echo "$a" | tr /. --)
pb=/sys/fs/bpf/paddock$(echo "$b" | tr /. --)
cleanup() {
	for s in "$a" "$b"; do
		bin/paddockctl --state-dir="$s" down --disable >/dev/null 2>&1 || true
	done
	rm -rf "$a" "$b" "$pa" "$pb"
}
trap cleanup EXIT INT TERM
fail() { echo "FAILED: $*"; exit 1; }
ok() { echo "ok: $*"; }
# A configuration that names no pin directory (the default one's would be
# shared by every stack).
printf 'collectd:\n  active_interval: 1s\n' > "$a/paddock.yaml"
cp "$a/paddock.yaml" "$b/paddock.yaml"
for s in "$a" "$b"; do
	bin/paddockctl -c "$s/paddock.yaml" --state-dir="$s" up >/dev/null || fail "up $s"
done
for i in $(seq 50); do [ -e "$pa/ctl" ] && [ -e "$pb/ctl" ] && break; sleep 0.1; done
[ -e "$pa/ctl" ] || fail "stack A did not pin in $pa"
[ -e "$pb/ctl" ] || fail "stack B did not pin in $pb"
[ -s "$a/secrets/operator" ] && [ -s "$b/secrets/operator" ] ||
	fail "a stack has no Redis secrets of its own"
cmp -s "$a/secrets/operator" "$b/secrets/operator" && fail "the two stacks share a Redis password"
ok "two stacks: pins in $pa and $pb, secrets and keys in their own state directories"
bin/paddockctl -c "$b/paddock.yaml" --state-dir="$b" down --disable >/dev/null || fail "down B"
[ ! -e "$pb" ] || fail "B's pins are still there"
[ -e "$pa/ctl" ] || fail "B's down --disable removed A's pins"
kill -0 "$(cat "$a/enforced.pid")" || fail "B's down stopped A's enforcer"
bin/paddockctl --state-dir="$a" status >/dev/null || fail "A's status after B went down"
ok "stack B down --disable: its pins gone, A's pins, daemons and Redis untouched"
echo "isolation: all checks passed"
