// A scripted OpenAI-compatible chat endpoint on loopback, standing in for
// an LLM: the first turn asks for the MCP tool list_directory on the
// directory given, the next turn (once a tool result is in the
// conversation) answers.  Listens on 127.0.0.1:11434 (Ollama's port, which
// serves the same API) until killed.
import http from 'node:http';

const dir = process.argv[2];
const reply = (res, message) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({
    id: 'chatcmpl-test', object: 'chat.completion', created: 0, model: 'mock',
    choices: [{ index: 0, message, finish_reason: message.tool_calls ? 'tool_calls' : 'stop' }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  }));
};
http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => {
    const msgs = (JSON.parse(body || '{}').messages) || [];
    if (msgs.some((m) => m.role === 'tool'))
      reply(res, { role: 'assistant', content: 'The directory holds notes.txt.' });
    else
      reply(res, { role: 'assistant', content: '', tool_calls: [{
        id: 'call_1', type: 'function',
        function: { name: 'list_directory', arguments: JSON.stringify({ path: dir }) } }] });
  });
}).listen(11434, '127.0.0.1', () => console.log('mock LLM ready'));
