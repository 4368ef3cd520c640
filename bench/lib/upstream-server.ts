/**
 * The fallback upstream when nginx is not installed: a minimal node:http server answering every request with
 * the same 100-byte body. Run as its own process: `node --import tsx bench/lib/upstream-server.ts PORT`.
 */
import http from 'node:http';
import { UPSTREAM_BODY } from './upstream-body.ts';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error('usage: upstream-server.ts PORT');
  process.exit(2);
}

const body = Buffer.from(UPSTREAM_BODY);
const server = http.createServer({ noDelay: true, keepAliveTimeout: 60_000 }, (req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
});
server.listen(port, '127.0.0.1', () => console.log(`upstream listening on 127.0.0.1:${port}`));
const stop = (): void => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
