#!/bin/sh
# The demo: what Paddock does on this host, end to end, with its own Redis.
#
# For now Paddock is its foundation, so the demo starts a private
# redis-server, runs the four daemons, shows that each one is up and talking
# to Redis, and stops them cleanly.  Later issues grow this into the whole
# story (discover, learn, alert, enforce).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

dir=$(mktemp -d /tmp/paddock-demo.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	[ -S "$dir/redis.sock" ] && redis-cli -s "$dir/redis.sock" shutdown nosave >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

echo "== starting a private redis-server in $dir"
redis-server --port 0 --unixsocket "$dir/redis.sock" --dir "$dir" \
	--save "" --daemonize yes --logfile "$dir/redis.log" --pidfile "$dir/redis.pid"
for i in $(seq 50); do
	redis-cli -s "$dir/redis.sock" ping >/dev/null 2>&1 && break
	sleep 0.1
done
url="unix://$dir/redis.sock"

for d in collectd profiled policyd enforced; do
	echo "== paddock-$d"
	bin/paddock-$d -n -c etc/paddock.yaml
	bin/paddock-$d -d -c etc/paddock.yaml --redis "$url" 2>"$dir/$d.log" &
	pids="$pids $!"
done
sleep 2
n=$(redis-cli -s "$dir/redis.sock" client list | grep -vc 'cmd=client' || true)
echo "== $n daemon connections to redis"
echo "== stopping the daemons (SIGTERM)"
for p in $pids; do kill "$p"; done
rc=0
for p in $pids; do wait "$p" || rc=1; done
pids=""
for d in collectd profiled policyd enforced; do
	echo "-- paddock-$d log:"; sed 's/^/   /' "$dir/$d.log"
done
[ $rc -eq 0 ] && echo "== demo done: every daemon started, connected and stopped cleanly"
exit $rc
