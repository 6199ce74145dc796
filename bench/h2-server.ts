/** The HTTP/2 bench's system under test, in its own process: node:http2 over plain TCP (h2c), answering "ok". */
import http2 from 'node:http2';

const server = http2.createServer({ settings: { maxConcurrentStreams: 1000 } });
server.on('stream', (stream) => {
  stream.respond({ ':status': 200, 'content-type': 'text/plain' });
  stream.end('ok');
});
server.listen({ port: 0, host: '127.0.0.1' }, () => {
  const address = server.address();
  process.send!({ port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('disconnect', () => process.exit(0));
