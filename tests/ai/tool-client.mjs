// An MCP client that launches the server script it is given over piped
// stdio, lists its tools and calls the first one: how an agent uses a
// tool server (tests/integration/ai_discovery.sh).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const client = new Client({ name: 'paddock-test-client', version: '1.0.0' });
await client.connect(new StdioClientTransport({ command: process.execPath, args: [process.argv[2]] }));
const { tools } = await client.listTools();
const out = await client.callTool({ name: tools[0].name, arguments: { city: 'Lyon' } });
console.log(`${tools[0].name}: ${out.content[0].text}`);
await client.close();
