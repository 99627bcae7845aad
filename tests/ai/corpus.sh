# corpus.sh: more labelled workloads for tests/integration/ai_discovery.sh
# (sourced after its agents and controls; uses dir, ctl, npmdir, fail).
# Each runs as its own workload; ai_expect and ctl_expect name them for
# the precision and recall the test computes.  AI: frameworks, SDKs and
# models as real programs load them (npm packages from the registry,
# Python packages as trees with their metadata since PyPI is out of
# reach, model files in their real formats); not AI: the web apps,
# builds, data jobs and file tools a host runs beside them.
ai_expect="js-openai js-langgraph py-torch py-onnx py-hf py-lcopenai py-mcp-server node-gguf bin-ollama"
ctl_expect="ctl-web ctl-build ctl-csv ctl-copy ctl-grep ctl-sqlite ctl-node-app"

m=$dir/corpus
mkdir -p "$m/models" "$m/bin"
# --- AI
# The OpenAI SDK against the OpenAI-compatible mock (the call's answer
# does not matter: loading the SDK is the evidence).
$ctl run --workload js-openai -- node -e "
	const m = require('$npmdir/node_modules/openai'), OpenAI = m.OpenAI || m.default || m;
	new OpenAI({ apiKey: 'x', baseURL: 'http://127.0.0.1:11434/v1', maxRetries: 0 })
		.chat.completions.create({ model: 'mock', messages: [{ role: 'user', content: 'hi' }] })
		.then(() => {}, () => {});" >/dev/null 2>&1 || fail "js-openai did not run"
# A LangGraph.js graph of two nodes.
$ctl run --workload js-langgraph -- node --input-type=module -e "
	import { StateGraph, Annotation, START, END } from '$npmdir/node_modules/@langchain/langgraph/dist/index.js';
	const S = Annotation.Root({ n: Annotation({ reducer: (a, b) => a + b, default: () => 0 }) });
	const g = new StateGraph(S).addNode('a', () => ({ n: 1 })).addNode('b', () => ({ n: 2 }))
		.addEdge(START, 'a').addEdge('a', 'b').addEdge('b', END).compile();
	console.log((await g.invoke({ n: 0 })).n);" > "$m/lg.out" 2>&1 ||
	{ cat "$m/lg.out"; fail "js-langgraph did not run"; }
# Models in their real layouts: torch.save's zip, an ONNX ModelProto, the
# Hugging Face cache with safetensors, read by Python.
/usr/bin/python3 - "$m" <<'PY'
import struct, sys, zipfile, os, json
m = sys.argv[1]
with zipfile.ZipFile(m + '/models/classifier.pt', 'w') as z:
    z.writestr('classifier/data.pkl', b'\x80\x02}q\x00.')
    z.writestr('classifier/version', b'3\n')
open(m + '/models/detector.onnx', 'wb').write(
    bytes([0x08, 0x08, 0x12, 0x07]) + b'pytorch' + bytes([0x1a, 0x03]) + b'2.1' + bytes([0x3a, 0x00]))
snap = m + '/hf/hub/models--acme--tiny-bert/snapshots/0123abc'
os.makedirs(snap)
hdr = json.dumps({'__metadata__': {'format': 'pt'}}).encode()
open(snap + '/model.safetensors', 'wb').write(struct.pack('<Q', len(hdr)) + hdr)
def s(x): return struct.pack('<Q', len(x)) + x
kv = s(b'general.architecture') + struct.pack('<I', 8) + s(b'qwen2')
open(m + '/models/chat.gguf', 'wb').write(b'GGUF' + struct.pack('<IQQ', 3, 0, 1) + kv)
PY
for w in "py-torch classifier.pt" "py-onnx detector.onnx"; do
	set -- $w
	$ctl run --workload "$1" -- /usr/bin/python3 -c "open('$m/models/$2', 'rb').read()" ||
		fail "$1 did not run"
done
$ctl run --workload py-hf -- /usr/bin/python3 -c "
open('$m/hf/hub/models--acme--tiny-bert/snapshots/0123abc/model.safetensors', 'rb').read()" ||
	fail "py-hf did not run"
# langchain-openai for Python, and a Python MCP server on piped stdio,
# each from a site-packages tree with its metadata.
sp2=$m/py/lib/python3/site-packages
mkdir -p "$sp2/langchain_openai" "$sp2/langchain_openai-0.3.1.dist-info" \
	"$sp2/mcp/server" "$sp2/mcp-1.9.0.dist-info"
echo 'OK = 1' > "$sp2/langchain_openai/__init__.py"
printf 'Metadata-Version: 2.1\nName: langchain-openai\nVersion: 0.3.1\n' \
	> "$sp2/langchain_openai-0.3.1.dist-info/METADATA"
: > "$sp2/mcp/__init__.py"; : > "$sp2/mcp/server/__init__.py"
echo 'def serve(): return 0' > "$sp2/mcp/server/stdio.py"
printf 'Metadata-Version: 2.1\nName: mcp\nVersion: 1.9.0\n' > "$sp2/mcp-1.9.0.dist-info/METADATA"
$ctl run --workload py-lcopenai -- /usr/bin/python3 -c "
import sys; sys.path.insert(0, '$sp2'); import langchain_openai" || fail "py-lcopenai did not run"
$ctl run --workload py-mcp-server -- sh -c "echo '{}' | /usr/bin/python3 -c \"
import sys; sys.path.insert(0, '$sp2'); import mcp.server.stdio; sys.stdin.read()\"" ||
	fail "py-mcp-server did not run"
# A model runtime other than Python: node reading a GGUF.
$ctl run --workload node-gguf -- node -e "require('fs').readFileSync('$m/models/chat.gguf')" ||
	fail "node-gguf did not run"
# An inference server by its executable (Ollama's name).
cp /bin/true "$m/bin/ollama"
$ctl run --workload bin-ollama -- "$m/bin/ollama" serve || fail "bin-ollama did not run"

# --- not AI
$ctl run --workload ctl-web -- node -e '
	const http = require("http");
	const s = http.createServer((q, r) => r.end("<h1>shop</h1>")).listen(8089, "127.0.0.1",
		() => http.get("http://127.0.0.1:8089/", r => { r.resume(); r.on("end", () => s.close()); }));' ||
	fail "ctl-web did not run"
printf '#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n' > "$m/hello.c"
$ctl run --workload ctl-build -- sh -c "cc -o '$m/hello' '$m/hello.c' && '$m/hello'" >/dev/null ||
	fail "ctl-build did not run"
printf 'city,temp\nLyon,21\nOslo,9\n' > "$m/t.csv"
$ctl run --workload ctl-csv -- /usr/bin/python3 -c "
import csv; print(sum(int(r['temp']) for r in csv.DictReader(open('$m/t.csv'))))" >/dev/null ||
	fail "ctl-csv did not run"
$ctl run --workload ctl-copy -- cp -r "$m/models" "$m/models-backup" || fail "ctl-copy did not run"
$ctl run --workload ctl-grep -- sh -c "grep -rl version '$npmdir/node_modules/@langchain/core/package.json' '$m/models' >/dev/null" ||
	fail "ctl-grep did not run"
$ctl run --workload ctl-sqlite -- /usr/bin/python3 -c "
import sqlite3; c = sqlite3.connect('$m/app.db'); c.execute('create table t (x)'); c.commit()" ||
	fail "ctl-sqlite did not run"
$ctl run --workload ctl-node-app -- node -e "
	const Ajv = require('$npmdir/node_modules/ajv'); new Ajv().compile({ type: 'object' })({})" ||
	fail "ctl-node-app did not run"
