/** The benchmark's system under test: a plain node:http server answering "ok", in its own process. */
import { createServer } from 'node:http';

const server = createServer((_, res) => res.end('ok'));
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send!({ port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('disconnect', () => process.exit(0));
