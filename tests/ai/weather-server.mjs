// A small MCP server of the kind a team writes itself (no npx package, no
// "mcp-server" in its name): the real SDK's low-level Server on the stdio
// transport, with one tool.  Discovery must find it by what it loads and
// name it by its script (tests/integration/ai_discovery.sh).
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const server = new Server({ name: 'weather', version: '0.1.0' }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, async () => ({
  tools: [{ name: 'forecast', description: 'the forecast for a city',
    inputSchema: { type: 'object', properties: { city: { type: 'string' } } } }],
}));
server.setRequestHandler(CallToolRequestSchema, async (req) => ({
  content: [{ type: 'text', text: `sunny in ${req.params.arguments?.city ?? 'town'}` }],
}));
await server.connect(new StdioServerTransport());
