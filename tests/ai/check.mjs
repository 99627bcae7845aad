// Assertions on paddockctl output, for tests/integration/ai_discovery.sh:
//   node check.mjs FILE EXPR     exit 0 when EXPR (over `j`, the parsed
//                                FILE) is true, else print FILE and fail.
import fs from 'node:fs';

const j = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const find = (arr, pred) => (arr || []).find(pred);
const ok = new Function('j', 'find', `return (${process.argv[3]});`)(j, find);
if (!ok) {
  console.log(`FAILED: ${process.argv[3]}\n${JSON.stringify(j, null, 1).slice(0, 4000)}`);
  process.exit(1);
}
console.log(`ok: ${process.argv[3]}`);
