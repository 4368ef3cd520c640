/**
 * Runs every instance of a shop plan in this process: one HTTP server per instance on its own port.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseHostPort, sleep } from '../common/net.ts';
import { Downstream } from './client.ts';
import { decide, type InstancePlan, type OutsideAddresses, type ShopPlan } from './plan.ts';
import { propagationHeaders } from './propagation.ts';
import { matchRoute, ROUTES, type Reply } from './services.ts';

const MAX_BODY_BYTES = 64 * 1024;

export interface RunningInstance {
  plan: InstancePlan;
  /** Actual host:port (differs from plan.listen when it asked for port 0). */
  address: string;
  stats: { requests: number; failuresInjected: number; errors: number };
}

export interface RunningShop {
  instances: RunningInstance[];
  close(graceMs?: number): Promise<void>;
}

export interface ShopOptions {
  random?: () => number;
  onError?: (instance: string, err: unknown) => void;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, instance: string, reply: Reply, req?: http.IncomingMessage): void {
  if (res.headersSent || res.destroyed) return;
  const body = JSON.stringify(reply.body);
  const caching: Record<string, string> = {};
  if (reply.maxAgeSeconds !== undefined && reply.status === 200) {
    caching['cache-control'] = `max-age=${reply.maxAgeSeconds}`;
    caching.etag = `"${createHash('sha1').update(body).digest('base64url').slice(0, 16)}"`;
    if (req?.headers['if-none-match'] === caching.etag) {
      res.writeHead(304, { ...caching, 'x-shop-instance': instance });
      res.end();
      return;
    }
  }
  res.writeHead(reply.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-shop-instance': instance,
    ...caching,
  });
  res.end(body);
}

function makeHandler(
  plan: InstancePlan,
  downstream: Downstream,
  stats: RunningInstance['stats'],
  opts: ShopOptions,
  outside: OutsideAddresses,
) {
  const routes = ROUTES[plan.service];
  const random = opts.random ?? Math.random;
  return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://shop.invalid');
    const method = req.method ?? 'GET';
    if (url.pathname === '/healthz') {
      send(res, plan.name, { status: 200, body: { status: 'ok', instance: plan.name } });
      return;
    }
    stats.requests++;
    const matched = matchRoute(routes, method, url.pathname);
    if (matched === null) {
      send(res, plan.name, { status: 404, body: { error: `no route for ${method} ${url.pathname}` } });
      return;
    }
    if ('allowed' in matched) {
      send(res, plan.name, { status: 405, body: { error: `use ${matched.allowed.join(' or ')}` } });
      return;
    }
    let body: unknown = null;
    if (method === 'POST') {
      const text = await readBody(req);
      if (text.length > 0) {
        try {
          body = JSON.parse(text);
        } catch {
          send(res, plan.name, { status: 400, body: { error: 'body is not JSON' } });
          return;
        }
      }
    }
    const decision = decide(plan.behaviour, random);
    await sleep(decision.delayMs);
    if (decision.fail) {
      stats.failuresInjected++;
      send(res, plan.name, {
        status: plan.behaviour.failureStatus,
        body: { error: 'injected failure', instance: plan.name },
      });
      return;
    }
    const propagated = propagationHeaders(req.headers);
    const reply = await matched.route.handler({
      method,
      params: matched.params,
      query: url.searchParams,
      body,
      version: plan.version,
      instance: plan.name,
      cookie: typeof req.headers.cookie === 'string' ? req.headers.cookie : undefined,
      call: (target, path, callOpts) => downstream.call(target, path, propagated, callOpts),
      callOutside: async (name, path, callOpts) => {
        const address = outside[name];
        return address === undefined ? null : downstream.callExternal(address, path, propagated, callOpts);
      },
    });
    send(res, plan.name, reply, req);
  };
}

export async function startShop(plan: ShopPlan, opts: ShopOptions = {}): Promise<RunningShop> {
  const servers: { server: http.Server; downstream: Downstream }[] = [];
  const instances: RunningInstance[] = [];
  const closeAll = async (graceMs = 2000): Promise<void> => {
    await Promise.all(
      servers.map(async ({ server, downstream }) => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        await closed;
        clearTimeout(timer);
        await downstream.destroy();
      }),
    );
  };
  try {
    for (const p of plan.instances) {
      const stats = { requests: 0, failuresInjected: 0, errors: 0 };
      const downstream = new Downstream(p.outbound, plan.upstreamTimeoutMs);
      const handler = makeHandler(p, downstream, stats, opts, plan.outside ?? {});
      const server = http.createServer((req, res) => {
        handler(req, res).catch((err: unknown) => {
          stats.errors++;
          opts.onError?.(p.name, err);
          send(res, p.name, { status: 500, body: { error: 'internal error' } });
        });
      });
      server.keepAliveTimeout = 10_000;
      servers.push({ server, downstream });
      const { host, port } = parseHostPort(p.listen);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port, exclusive: true }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const addr = server.address() as AddressInfo;
      instances.push({ plan: p, address: `${host}:${addr.port}`, stats });
    }
  } catch (e) {
    await closeAll(0);
    throw e;
  }
  return { instances, close: closeAll };
}
