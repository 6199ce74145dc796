/**
 * The benchmark's system under test, in its own process: a plain node:http server answering
 * "ok", and the reference app's SSE token stream on /api/chat for the stream run.
 */
import { createServer } from 'node:http';
import { streamTokens, tokenStreamOptions } from '../src/platforms/token-stream.js';

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://bench');
  if (url.pathname === '/api/chat') return streamTokens(req, res, 'sse', tokenStreamOptions(url));
  res.end('ok');
});
server.keepAliveTimeout = 60_000;
server.maxConnections = 20_000;
server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
  const address = server.address();
  process.send!({ port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('disconnect', () => process.exit(0));
