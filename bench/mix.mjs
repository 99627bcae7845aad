// The agent-like mix of `make bench`: what an agent process does, in
// proportion.  It loads its framework (LangChain.js and the MCP SDK from
// build/npm, as a real agent would), then N turns, each: read three
// files of its workspace, make an HTTP call to a loopback server (the
// "LLM"), and every tenth turn spawn an interpreter for a tool call.
//   node mix.mjs NPMDIR WORKSPACE PORT N
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';

const [npmdir, ws, port, n] = process.argv.slice(2);
const require = createRequire(`${npmdir}/package.json`);
require('@langchain/core/messages');
require('@modelcontextprotocol/sdk/client/index.js');
const agent = new http.Agent({ keepAlive: false });
const get = () => new Promise((ok, ko) => http.get({ host: '127.0.0.1', port, path: '/v1/chat', agent },
  (res) => { res.resume(); res.on('end', ok); }).on('error', ko));
for (let i = 0; i < +n; i++) {
  for (let f = 0; f < 3; f++) fs.readFileSync(`${ws}/doc-${(i + f) % 20}.txt`);
  await get();
  if (i % 10 === 0) execFileSync('/bin/sh', ['-c', 'echo tool-call']);
}
