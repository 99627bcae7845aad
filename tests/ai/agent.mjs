// A small but real agent: LangChain.js's ChatOpenAI talks to an
// OpenAI-compatible endpoint (the mock on 127.0.0.1:11434) and calls the
// tools of a real MCP server (@modelcontextprotocol/server-filesystem)
// that it launches over stdio, the way agents are deployed.
import { createRequire } from 'node:module';
import { ChatOpenAI } from '@langchain/openai';
import { HumanMessage, ToolMessage } from '@langchain/core/messages';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const dir = process.argv[2];
const require = createRequire(import.meta.url);
const server = require.resolve('@modelcontextprotocol/server-filesystem/dist/index.js');
const client = new Client({ name: 'paddock-test-agent', version: '1.0.0' });
await client.connect(new StdioClientTransport({ command: process.execPath, args: [server, dir] }));
const { tools } = await client.listTools();
const model = new ChatOpenAI({
  model: 'mock', apiKey: 'not-a-key', maxRetries: 0,
  configuration: { baseURL: 'http://127.0.0.1:11434/v1' },
}).bindTools(tools.map((t) => ({ type: 'function', function: {
  name: t.name, description: t.description, parameters: t.inputSchema } })));
const messages = [new HumanMessage(`What is in ${dir}?`)];
let res = await model.invoke(messages);
while (res.tool_calls && res.tool_calls.length > 0) {
  messages.push(res);
  for (const call of res.tool_calls) {
    const out = await client.callTool({ name: call.name, arguments: call.args });
    messages.push(new ToolMessage({ content: JSON.stringify(out.content), tool_call_id: call.id }));
  }
  res = await model.invoke(messages);
}
console.log('agent:', res.content);
await client.close();
