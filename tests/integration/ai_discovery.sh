#!/bin/sh
# AI discovery end to end, with real frameworks (issue 5):
#
#   - a LangChain.js agent (tests/ai/agent.mjs) that launches the real MCP
#     server @modelcontextprotocol/server-filesystem over stdio and talks to
#     a scripted OpenAI-compatible mock LLM on 127.0.0.1:11434;
#   - a Python process importing a framework from a fake site-packages tree
#     and reading a small GGUF model made here;
#   - controls that must not count as AI: a shell loop and redis-server.
#
# Checks `paddockctl bom` (framework with version, the MCP server as a tool
# of the agent, the LLM endpoint, the model), `paddockctl workloads --ai`,
# and validates `paddockctl bom -o cyclonedx` against the official
# CycloneDX 1.6 schema.  The npm packages (pinned in tests/ai/package.json)
# are installed into build/npm, never into the repository.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
[ "$(id -u)" = 0 ] || { echo "needs root (BPF, cgroups): skipped"; exit 77; }
. tests/ai/install.sh

dir=$(mktemp -d /tmp/paddock-test-ai.XXXXXX)
ctl="bin/paddockctl -c $dir/paddock.yaml --state-dir=$dir"
mock=""
cleanup() {
	[ -n "$mock" ] && kill "$mock" 2>/dev/null
	$ctl down --disable >/dev/null 2>&1 || true
	if [ -n "${PADDOCK_TEST_KEEP:-}" ]; then echo "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT INT TERM
printf 'collectd:\n  active_interval: 1s\n  syscall_interval: 1s\n' > "$dir/paddock.yaml"
printf 'enforced:\n  bpffs: /sys/fs/bpf/%s\n' "$(basename "$dir" | tr . -)" >> "$dir/paddock.yaml"
$ctl up >/dev/null

fail() { echo "FAILED: $*"; exit 1; }
check() { node "$npmdir/check.mjs" "$@" || exit 1; }

# Paddock's own daemons are never observed (issue 19): once each is
# listed as left out (within a moment of its start), none of what they do
# -- profiled's confirming reads of the agents' files included -- is an
# event of any workload.
pids=$(cat "$dir"/collectd.pid "$dir"/profiled.pid "$dir"/policyd.pid "$dir"/enforced.pid)
for i in $(seq 50); do
	q=$(redis-cli -s "$dir/redis.sock" HGET "paddock:daemons:$(hostname)" quiet)
	n=0; for p in $pids; do echo " $q " | grep -q " $p " && n=$((n + 1)); done
	[ "$n" = 4 ] && break
	sleep 0.1
done
[ "$n" = 4 ] || fail "the collector does not list the daemons ($pids) as Paddock's own: '$q'"
mark=$(redis-cli -s "$dir/redis.sock" XREVRANGE paddock:events + - COUNT 1 | head -1)

# The JavaScript agent, its MCP server and the mock LLM.
mkdir -p "$dir/files" && echo hello > "$dir/files/notes.txt"
node "$npmdir/mock-llm.mjs" "$dir/files" > "$dir/mock.log" 2>&1 &
mock=$!
for i in $(seq 50); do grep -q ready "$dir/mock.log" 2>/dev/null && break; sleep 0.1; done
$ctl run --workload ai-agent -- node "$npmdir/agent.mjs" "$dir/files" > "$dir/agent.log" 2>&1 ||
	{ cat "$dir/agent.log"; fail "the agent did not run"; }
grep -q 'notes.txt' "$dir/agent.log" || { cat "$dir/agent.log"; fail "agent answer"; }

# The Python agent: a framework from site-packages and a GGUF model.
sp=$dir/py/lib/python3/site-packages
mkdir -p "$sp/langchain" "$sp/langchain-0.3.7.dist-info" "$dir/models"
echo '__version__ = "0.3.7"' > "$sp/langchain/__init__.py"
printf 'Metadata-Version: 2.1\nName: langchain\nVersion: 0.3.7\n' \
	> "$sp/langchain-0.3.7.dist-info/METADATA"
/usr/bin/python3 - "$dir/models/tiny.gguf" <<'EOF'
import struct, sys
def s(x): return struct.pack('<Q', len(x)) + x
kv = s(b'general.architecture') + struct.pack('<I', 8) + s(b'llama')
kv += s(b'general.name') + struct.pack('<I', 8) + s(b'Paddock Tiny Test Model')
open(sys.argv[1], 'wb').write(b'GGUF' + struct.pack('<IQQ', 3, 0, 2) + kv)
EOF
$ctl run --workload py-agent -- /usr/bin/python3 -c "
import sys; sys.path.insert(0, '$sp')
import langchain
open('$dir/models/tiny.gguf', 'rb').read(4096)
print('py agent ran langchain', langchain.__version__)" > "$dir/py.log" 2>&1 ||
	{ cat "$dir/py.log"; fail "the python agent did not run"; }

# An MCP server a team wrote itself (no npx, no "mcp-server" in its name),
# launched by its client over piped stdio: found by what it loads.
$ctl run --workload mcp-custom -- node "$npmdir/tool-client.mjs" "$npmdir/weather-server.mjs" \
	> "$dir/mcp.log" 2>&1 || { cat "$dir/mcp.log"; fail "the MCP client did not run"; }
grep -q 'sunny in Lyon' "$dir/mcp.log" || { cat "$dir/mcp.log"; fail "the MCP tool call"; }

# A Python app with its dependencies vendored (on PYTHONPATH, no
# site-packages): the package is known by its metadata next to it.
vd=$dir/vapp/vendor
mkdir -p "$vd/langgraph" "$vd/langgraph-0.2.60.dist-info"
echo 'VERSION = "0.2.60"' > "$vd/langgraph/__init__.py"
printf 'Metadata-Version: 2.1\nName: langgraph\nVersion: 0.2.60\n' \
	> "$vd/langgraph-0.2.60.dist-info/METADATA"
$ctl run --workload py-vendor -- env PYTHONPATH="$vd" /usr/bin/python3 -c "
import langgraph; print('vendored langgraph', langgraph.VERSION)" > "$dir/pyv.log" 2>&1 ||
	{ cat "$dir/pyv.log"; fail "the vendored python app did not run"; }

# Controls.  Whoever touches an AI file does not become AI: a backup of
# the agents' package trees, a checksum over the model, and a runtime
# that reads files named like models that are none (plain HDF5 data, a
# ".gguf" of text).
$ctl run --workload ctl-backup -- tar cf /dev/null "$sp" "$npmdir/node_modules/@langchain/core" ||
	fail "the backup control did not run"
$ctl run --workload ctl-checksum -- sha256sum "$dir/models/tiny.gguf" >/dev/null ||
	fail "the checksum control did not run"
mkdir -p "$dir/data"
printf '\211HDF\r\n\032\n\0\0\0\0temperature pressure' > "$dir/data/readings.h5"
echo "shopping list" > "$dir/data/notes.gguf"
mkdir -p "$dir/data/langchain"
echo "meeting notes about the langchain project" > "$dir/data/langchain/notes.txt"
$ctl run --workload ctl-data -- /usr/bin/python3 -c "
for f in ('$dir/data/readings.h5', '$dir/data/notes.gguf', '$dir/data/langchain/notes.txt'):
    open(f, 'rb').read()" ||
	fail "the data control did not run"
$ctl run --workload ctl-shell -- sh -c 'for i in 1 2 3; do date >/dev/null; sleep 0.1; done'
# A JSON API on LM Studio's port, and its client: a port is not evidence.
$ctl run --workload ctl-port -- node -e '
	const http = require("http");
	const s = http.createServer((q, r) => r.end(JSON.stringify({ok: true})))
		.listen(1234, "127.0.0.1", () => http.get("http://127.0.0.1:1234/v1/items",
		r => { r.resume(); r.on("end", () => s.close()); }));' ||
	fail "the JSON API control did not run"
$ctl run --workload ctl-redis -- sh -c "redis-server --port 0 --unixsocket $dir/ctl.sock --save '' --appendonly no >/dev/null & p=\$!; sleep 1; redis-cli -s $dir/ctl.sock ping >/dev/null; kill \$p; wait \$p || true"

# The rest of the labelled corpus.
. tests/ai/corpus.sh

# Discovery is asynchronous: wait for the last expected detection.
for i in $(seq 100); do
	$ctl bom ai-agent -o json > "$dir/ai-agent.json" 2>/dev/null &&
	$ctl bom py-agent -o json > "$dir/py-agent.json" 2>/dev/null &&
	grep -q 'server-filesystem' "$dir/ai-agent.json" &&
	grep -q '"version": "2026.8.31"' "$dir/ai-agent.json" &&
	grep -q 'Ollama' "$dir/ai-agent.json" &&
	grep -q '@langchain/core' "$dir/ai-agent.json" &&
	grep -q 'Paddock Tiny Test Model' "$dir/py-agent.json" &&
	$ctl bom py-vendor -o json 2>/dev/null | grep -q '"version": "0.2.60"' &&
	$ctl bom mcp-custom -o json 2>/dev/null | grep -q 'weather-server.mjs' &&
	$ctl bom ctl-port -o json 2>/dev/null | grep -q local-lmstudio &&
	[ "$($ctl -o json workloads --ai | grep -cE "\"workload\": \"($(echo $ai_expect | tr ' ' '|'))\"")" \
	    -ge "$(echo $ai_expect | wc -w)" ] && break
	sleep 0.2
done
echo "== paddockctl bom"
$ctl bom

echo "== checks"
# The framework with its version, read from its package.json.
check "$dir/ai-agent.json" 'find(j[0].detections, d => d.name === "@langchain/core" &&
	d.version === "1.4.0" && d.confidence === "confirmed")'
check "$dir/ai-agent.json" 'find(j[0].detections, d => d.name === "@langchain/openai" && d.version === "1.5.8")'
# The MCP server, as a tool of this agent: launched by agent.mjs.
check "$dir/ai-agent.json" 'find(j[0].detections, d => d.kind === "mcp-server" &&
	d.name === "@modelcontextprotocol/server-filesystem" &&
	/agent\.mjs/.test(d.evidence.launched_by || ""))'
check "$dir/ai-agent.json" 'find(j[0].detections, d => d.kind === "mcp-server" && d.version === "2026.8.31")'
# The LLM endpoint it called.
check "$dir/ai-agent.json" 'find(j[0].detections, d => d.kind === "llm-api" &&
	d.evidence.detail.endsWith(":11434"))'
# The Python agent: framework and model, both confirmed by files.
check "$dir/py-agent.json" 'find(j[0].detections, d => d.name === "langchain" &&
	d.version === "0.3.7" && d.confidence === "confirmed")'
check "$dir/py-agent.json" 'find(j[0].detections, d => d.kind === "model" &&
	d.name === "Paddock Tiny Test Model" && d.confidence === "confirmed" &&
	d.technique === "binary-analysis")'

# Not one event of Paddock's daemons since (profiled confirmed the model
# and the packages above by reading them).
$ctl -o json events > "$dir/events.json"
check "$dir/events.json" '((id, since) => j.filter(e => id(e.id) > since &&
	" '"$(echo $pids)"' ".includes(" " + e.pid + " ")).length === 0)(
	s => s.split("-").reduce((m, q) => BigInt(m) * 1000000n + BigInt(q)),
	(s => s.split("-").reduce((m, q) => BigInt(m) * 1000000n + BigInt(q)))("'"${mark:-0-0}"'"))'
echo "ok: none of Paddock's daemons ($(echo $pids)) is observed"

# workloads: the agents are AI, the controls are not; --ai lists no control.
$ctl -o json workloads > "$dir/workloads.json"
check "$dir/workloads.json" 'find(j, w => w.workload === "ai-agent").ai === true'
check "$dir/workloads.json" 'find(j, w => w.workload === "py-agent").ai === true'
check "$dir/workloads.json" 'find(j, w => w.workload === "py-vendor").ai === true'
$ctl bom mcp-custom -o json > "$dir/mcp-custom.json"
check "$dir/mcp-custom.json" 'find(j[0].detections, d => d.kind === "mcp-server" &&
	d.name === "weather-server.mjs" && /tool-client\.mjs/.test(d.evidence.launched_by || ""))'
$ctl bom py-vendor -o json > "$dir/py-vendor.json"
check "$dir/py-vendor.json" 'find(j[0].detections, d => d.name === "langgraph" &&
	d.version === "0.2.60" && d.confidence === "confirmed")'
check "$dir/workloads.json" 'find(j, w => w.workload === "ctl-shell").ai === false'
check "$dir/workloads.json" 'find(j, w => w.workload === "ctl-redis").ai === false'
check "$dir/workloads.json" 'find(j, w => w.workload === "ctl-port").ai === false'
for w in ctl-backup ctl-checksum ctl-data; do
	check "$dir/workloads.json" 'find(j, w => w.workload === "'$w'").ai === false'
done
# ... though its connect to port 1234 is kept as evidence, of weight only.
$ctl bom ctl-port -o json > "$dir/ctl-port.json"
check "$dir/ctl-port.json" 'j[0].ai === false && find(j[0].detections, d =>
	d.signature === "local-lmstudio" && d.port_only === true && d.ai === false)'
# Precision and recall over the labelled workloads of this test (AI: the
# agents; not AI: the controls), printed, and held at 95%.
node -e '
	const j = JSON.parse(require("fs").readFileSync(process.argv[1]));
	const ai = new Set(["ai-agent", "py-agent", "py-vendor", "mcp-custom",
		...process.argv[2].split(" ")]);
	const ctl = new Set(process.argv[3].split(" "));
	let tp = 0, fp = 0, fn = 0, n = 0;
	for (const w of j) {
		const want = ai.has(w.workload);
		if (!want && !w.workload.startsWith("ctl-") && !ctl.has(w.workload))
			continue;
		n++;
		if (w.ai && want) tp++; else if (w.ai) fp++; else if (want) fn++;
	}
	const p = tp / (tp + fp || 1), r = tp / (tp + fn || 1);
	console.log(`discovery: ${n} labelled workloads, precision ${(100 * p).toFixed(0)}%, recall ${(100 * r).toFixed(0)}%`);
	for (const w of j)
		if (w.ai !== ai.has(w.workload) && (ai.has(w.workload) || ctl.has(w.workload) ||
		    w.workload.startsWith("ctl-")))
			console.log(`  wrong: ${w.workload} is${w.ai ? "" : " not"} AI`);
	process.exit(n >= 25 && p >= 0.95 && r >= 0.95 ? 0 : 1);' "$dir/workloads.json" "$ai_expect" "$ctl_expect" ||
	fail "discovery precision or recall below 95%"
$ctl -o json workloads --ai > "$dir/ai.json"
check "$dir/ai.json" '!find(j, w => w.workload.startsWith("ctl-")) &&
	find(j, w => w.workload === "ai-agent") && find(j, w => w.workload === "py-agent")'
$ctl workloads --shadow | grep -q '^ai-agent ' || fail "ai-agent is not in the shadow-AI view"
# Shadow AI is AI no operator has reviewed: a review takes it out (the
# stage stays), and the trail says who.
$ctl review ai-agent --reason "owned by the support team" >/dev/null || fail "review ai-agent"
$ctl -o json workloads --shadow > "$dir/shadow.json"
check "$dir/shadow.json" '!find(j, w => w.workload === "ai-agent") &&
	find(j, w => w.workload === "py-agent" && w.reviewed === null)'
$ctl -o json workloads --ai > "$dir/ai2.json"
check "$dir/ai2.json" 'find(j, w => w.workload === "ai-agent" &&
	w.reviewed_by === "operator:root" && w.stage === "learning")'
$ctl audit | grep -q 'review *ai-agent' || { $ctl audit | tail -3; fail "the review is not in the audit trail"; }

# CycloneDX 1.6, validated against the official schema: one workload and
# the whole host.
$ctl bom ai-agent -o cyclonedx > "$dir/ai-agent.cdx.json"
$ctl bom -o cyclonedx > "$dir/host.cdx.json"
node "$npmdir/validate-cyclonedx.mjs" "$dir/ai-agent.cdx.json"
node "$npmdir/validate-cyclonedx.mjs" "$dir/host.cdx.json"
check "$dir/ai-agent.cdx.json" 'j.metadata.component.name === "ai-agent" &&
	find(j.components, c => c.type === "library" &&
	    c.purl === "pkg:npm/%40langchain/core@1.4.0") &&
	find(j.components, c => c.name === "@modelcontextprotocol/server-filesystem") &&
	find(j.services, s => s.endpoints[0] === "tcp://127.0.0.1:11434") &&
	j.dependencies[0].dependsOn.length >= 3'
# What an importer (Dependency-Track) keys on: short, stable bom-refs (a
# purl, or kind:name~hash: never a path), the model's format and header,
# the tool that made it, and that it describes a system in operation.
check "$dir/host.cdx.json" '!find(j.components.concat(j.services || []),
	c => c["bom-ref"].includes("/tmp/")) &&
	find(j.components, c => c.type === "machine-learning-model" &&
	    c.modelCard?.modelParameters?.architectureFamily === "llama" &&
	    find(c.properties, p => p.name === "paddock:model:format" && p.value === "gguf")) &&
	j.metadata.tools.components[0].name === "paddock" &&
	j.metadata.tools.components[0].version &&
	j.metadata.lifecycles[0].phase === "operations"'
check "$dir/host.cdx.json" 'find(j.components, c => c.name === "py-agent") &&
	find(j.components, c => c.type === "machine-learning-model") &&
	!find(j.components, c => (c.name || "").startsWith("ctl-"))'
echo "ai_discovery: all checks passed"
