#!/bin/sh
# The systemd units (issue 8): `systemd-analyze verify` must be clean on
# every unit in systemd/, rendered as `make install` renders them (with the
# binaries' directory filled in: here, this tree's bin/), with the man
# pages they name findable.  And `make install` into a DESTDIR installs
# everything it should.  Needs no root and no systemd as PID 1.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
command -v systemd-analyze >/dev/null || { echo "no systemd-analyze: skipped"; exit 77; }
t=$(mktemp -d /tmp/paddock-test-systemd.XXXXXX)
trap 'rm -rf "$t"' EXIT INT TERM

make --no-print-directory -s units-into DIR="$t/units" UNIT_BINDIR="$top/bin"
mkdir -p "$t/man/man8" "$t/man/man5"
cp docs/*.8 "$t/man/man8/"
cp docs/*.5 "$t/man/man5/"
out=$(cd "$t/units" && MANPATH="$t/man" SYSTEMD_UNIT_PATH="$t/units:" \
	systemd-analyze verify "$t"/units/*.service "$t/units/paddock.target" 2>&1) ||
	{ echo "$out"; echo "FAILED: systemd-analyze verify"; exit 1; }
[ -z "$out" ] || { echo "$out"; echo "FAILED: systemd-analyze verify printed warnings"; exit 1; }
echo "ok: systemd-analyze verify is clean on $(ls "$t/units" | wc -l) units"

# The man pages format without warnings.
for m in docs/*.8 docs/*.5; do
	w=$(groff -man -Tutf8 -ww -z "$m" 2>&1) || true
	[ -z "$w" ] || { echo "$w"; echo "FAILED: $m"; exit 1; }
done
echo "ok: man pages format cleanly"

# make install into a DESTDIR.
make --no-print-directory -s install DESTDIR="$t/root" PREFIX=/usr/local CONFDIR=/etc/paddock >/dev/null
for f in bin/paddockctl bin/paddock-collectd bin/paddock-profiled bin/paddock-policyd \
	bin/paddock-enforced lib/systemd/system/paddock-collectd.service \
	lib/systemd/system/paddock.target lib/sysusers.d/paddock.conf \
	lib/tmpfiles.d/paddock.conf share/man/man8/paddockctl.8 \
	share/man/man5/paddock.yaml.5 share/paddock/signatures.yaml; do
	[ -e "$t/root/usr/local/$f" ] || { echo "FAILED: make install did not install $f"; exit 1; }
done
[ -e "$t/root/etc/paddock/paddock.yaml" ] || { echo "FAILED: no example config"; exit 1; }
grep -q 'ExecStart=/usr/local/bin/paddock-collectd ' "$t/root/usr/local/lib/systemd/system/paddock-collectd.service" ||
	{ echo "FAILED: unit ExecStart"; exit 1; }
"$t/root/usr/local/bin/paddock-profiled" -n -c "$t/root/etc/paddock/paddock.yaml" >/dev/null ||
	{ echo "FAILED: the installed config does not load"; exit 1; }
echo "ok: make install DESTDIR=... installs binaries, units, man pages, config and catalog"
