// The demo's agent: a real LangChain.js agent loop (ChatOpenAI against the
// OpenAI-compatible endpoint on 127.0.0.1:11434) with the tools agents are
// commonly given: a real MCP filesystem server launched over stdio, a
// shell command tool and an HTTP tool.  Nothing in it knows about Paddock.
// Usage: node demo-agent.mjs WORKSPACE
import { createRequire } from 'node:module';
import { execFile } from 'node:child_process';
import { ChatOpenAI } from '@langchain/openai';
import { HumanMessage, ToolMessage } from '@langchain/core/messages';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const ws = process.argv[2];
const require = createRequire(import.meta.url);
const server = require.resolve('@modelcontextprotocol/server-filesystem/dist/index.js');
const mcp = new Client({ name: 'paddock-demo-agent', version: '1.0.0' });
await mcp.connect(new StdioClientTransport({ command: process.execPath, args: [server, ws] }));
const { tools } = await mcp.listTools();

const local = {
  run_command: {
    description: 'Run a shell command and return its output',
    parameters: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] },
    run: ({ command }) => new Promise((ok) => execFile('/bin/sh', ['-c', command],
      (err, stdout, stderr) => ok(err ? `failed (${err.signal || 'exit ' + err.code}) ${stderr}`.trim() : stdout))),
  },
  http_request: {
    description: 'Make an HTTP request and return the response body',
    parameters: { type: 'object', properties: { url: { type: 'string' }, method: { type: 'string' },
      body: { type: 'string' } }, required: ['url'] },
    run: async ({ url, method, body }) => {
      try {
        const r = await fetch(url, { method: method || 'GET', body });
        return await r.text();
      } catch (e) {
        return `failed (${e.cause?.code || e.message})`;
      }
    },
  },
};
const model = new ChatOpenAI({
  model: 'mock', apiKey: 'not-a-key', maxRetries: 0,
  configuration: { baseURL: 'http://127.0.0.1:11434/v1' },
}).bindTools([
  ...tools.map((t) => ({ type: 'function', function: {
    name: t.name, description: t.description, parameters: t.inputSchema } })),
  ...Object.entries(local).map(([name, t]) => ({ type: 'function', function: {
    name, description: t.description, parameters: t.parameters } })),
]);

const messages = [new HumanMessage(`Summarise ${ws}/report.txt for me.`)];
let res = await model.invoke(messages);
while (res.tool_calls && res.tool_calls.length > 0) {
  messages.push(res);
  for (const call of res.tool_calls) {
    let out;
    if (local[call.name]) {
      out = await local[call.name].run(call.args);
    } else {
      const r = await mcp.callTool({ name: call.name, arguments: call.args });
      out = JSON.stringify(r.content);
    }
    const shown = call.name === 'run_command' ? call.args.command :
      call.name === 'http_request' ? `${call.args.method || 'GET'} ${call.args.url}` : call.args.path;
    console.log(`  tool ${call.name}: ${shown}`.slice(0, 96));
    console.log(`    -> ${String(out).split('\n')[0]}`.slice(0, 96));
    messages.push(new ToolMessage({ content: String(out), tool_call_id: call.id }));
  }
  res = await model.invoke(messages);
}
console.log(`  agent: ${res.content}`);
await mcp.close();
