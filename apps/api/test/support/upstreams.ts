/**
 * Two small services for integration tests. `alpha` calls `beta` through its own sidecar's outbound
 * listener and propagates the trace context, as a meshed application must.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestService {
  address: string;
  close(): Promise<void>;
}

function listen(server: http.Server): Promise<TestService> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        address: `127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** beta: `/ok` → 200, `/fail` → 500, `/slow` → 200 after `slowMs`. */
export function startBeta(slowMs: number): Promise<TestService> {
  return listen(
    http.createServer((req, res) => {
      const reply = (status: number) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ service: 'beta', path: req.url, traceparent: req.headers.traceparent ?? null }),
        );
      };
      if (req.url === '/fail') reply(500);
      else if (req.url === '/slow') setTimeout(() => reply(200), slowMs);
      else reply(200);
    }),
  );
}

const PROPAGATED = ['traceparent', 'tracestate', 'b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-sampled'];

/** alpha: `/call/<path>` calls beta's `<path>` through `outbound` and answers with beta's status. */
export function startAlpha(getOutbound: () => string): Promise<TestService> {
  return listen(
    http.createServer((req, res) => {
      const target = (req.url ?? '/').replace(/^\/call/, '') || '/';
      const [host, port] = getOutbound().split(':');
      const headers: http.OutgoingHttpHeaders = { host: 'beta' };
      for (const h of PROPAGATED) if (req.headers[h]) headers[h] = req.headers[h];
      const upstream = http.request(
        { host, port: Number(port), path: target, method: 'GET', headers },
        (up) => {
          const chunks: Buffer[] = [];
          up.on('data', (c: Buffer) => chunks.push(c));
          up.on('end', () => {
            res.writeHead(up.statusCode ?? 502, { 'content-type': 'application/json' });
            res.end(Buffer.concat(chunks));
          });
        },
      );
      upstream.on('error', (err) => {
        res.writeHead(502);
        res.end(err.message);
      });
      upstream.end();
    }),
  );
}
