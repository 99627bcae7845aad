#!/bin/sh
# Run every Paddock test: the cmocka unit and component tests in
# build/tests/test_*, then the end-to-end scripts in tests/integration/*.sh,
# the attacks of tests/attack/*.sh, and tests/demo.sh (make demo).
# Tests that need root (BPF, cgroups) skip with a message when not root.
#
#   tests/run.sh [name...]     run only the named tests (test_wire, e2e_...)
#
# Exit status: 0 when every test passed or skipped, 1 otherwise.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
export PADDOCK_TOP="$top"
cd "$top" || exit 1

# Test binaries and scripts start their own redis-server and clean up; a
# stale one from a killed run must not break this one.
failed=""
passed=0
skipped=0

run_one() {
	name=$1; shift
	printf '\n=== %s\n' "$name"
	"$@"
	rc=$?
	case $rc in
	0) passed=$((passed + 1)) ;;
	77) skipped=$((skipped + 1)); echo "--- $name: skipped" ;;
	*) failed="$failed $name"; echo "--- $name: FAILED (exit $rc)" ;;
	esac
}

selected() {
	[ -z "$only" ] && return 0
	for o in $only; do [ "$o" = "$1" ] && return 0; done
	return 1
}

only="$*"
for t in build/tests/test_*; do
	[ -x "$t" ] || continue
	n=$(basename "$t")
	selected "$n" || continue
	run_one "$n" timeout 600 "$t"
done
for t in tests/integration/*.sh tests/attack/*.sh; do
	[ -f "$t" ] || continue
	n=$(basename "$t" .sh)
	selected "$n" || continue
	run_one "$n" timeout 600 sh "$t"
done

# The demo is the product's main story: it must keep telling it.
if selected demo; then
	if [ "$(id -u)" = 0 ]; then
		run_one demo timeout 900 sh tests/demo.sh
	else
		printf '\n=== demo\nSKIP: the demo needs root (BPF, cgroups)\n'
		skipped=$((skipped + 1))
	fi
fi

echo
echo "=== summary: $passed passed, $skipped skipped${failed:+, FAILED:$failed}"
if [ $((passed + skipped)) -eq 0 ] && [ -z "$failed" ]; then
	echo "=== no tests found: was the build skipped? (make testbins)"
	exit 1
fi
[ -z "$failed" ]
