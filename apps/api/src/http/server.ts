/**
 * The API's HTTP surface: the control-plane endpoints proxies use (register, config, OTLP ingest) and
 * tRPC for the console, on one listener.
 */
import http from 'node:http';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import type { Db } from '../db/client.ts';
import { parseMetricsRequest, storeRollups } from '../ingest/metrics.ts';
import { parseTraceRequest, storeSpans } from '../ingest/traces.ts';
import { InvalidInputError } from '../ingest/validation.ts';
import type { ServiceRegistry } from '../registry/registry.ts';
import { appRouter } from '../trpc/router.ts';
import { HttpError, readJsonBody, sendJson } from './body.ts';

export interface ServerDeps {
  db: Db;
  registry: ServiceRegistry;
  maxBodyBytes: number;
  now?: () => number;
  log?: (line: string) => void;
}

/** Longest a config long poll (`?wait=`) is held open. */
const MAX_CONFIG_WAIT_SECONDS = 60;

const PROXY_PATH = /^\/v1\/proxies\/([A-Za-z0-9._-]+)(\/config)?$/;

export function createApiServer(deps: ServerDeps): http.Server {
  const now = deps.now ?? Date.now;
  const log = deps.log ?? ((line: string) => console.error(line));
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: '/trpc/',
    createContext: () => ({ db: deps.db, now }),
    onError: ({ error, path }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') log(`trpc ${path ?? '?'} failed: ${error.message}`);
    },
  });

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';

    if (url.pathname.startsWith('/trpc/')) {
      trpc(req, res);
      return;
    }
    if (url.pathname === '/healthz' && method === 'GET') {
      await deps.db.$queryRawUnsafe('SELECT 1');
      sendJson(res, 200, { status: 'ok' });
      return;
    }
    if (url.pathname === '/v1/traces') {
      if (method !== 'POST') throw new HttpError(405, 'use POST');
      const rows = parseTraceRequest(await readJsonBody(req, deps.maxBodyBytes));
      const result = await storeSpans(deps.db, rows);
      sendJson(res, 200, { partialSuccess: {}, accepted: result.accepted, duplicates: result.duplicates });
      return;
    }
    if (url.pathname === '/v1/metrics') {
      if (method !== 'POST') throw new HttpError(405, 'use POST');
      const parsed = parseMetricsRequest(await readJsonBody(req, deps.maxBodyBytes));
      const stored = await storeRollups(deps.db, parsed.rows);
      sendJson(res, 200, {
        partialSuccess:
          parsed.rejectedDataPoints > 0
            ? {
                rejectedDataPoints: String(parsed.rejectedDataPoints),
                errorMessage: parsed.rejectedReason ?? '',
              }
            : {},
        stored: stored.stored,
        duplicates: stored.duplicates,
      });
      return;
    }
    if (url.pathname === '/v1/proxies/register') {
      if (method !== 'POST') throw new HttpError(405, 'use POST');
      sendJson(res, 200, await deps.registry.register(await readJsonBody(req, deps.maxBodyBytes)));
      return;
    }
    const proxyMatch = PROXY_PATH.exec(url.pathname);
    if (proxyMatch) {
      const proxyId = proxyMatch[1] as string;
      if (proxyMatch[2] === '/config') {
        if (method !== 'GET') throw new HttpError(405, 'use GET');
        if (!(await deps.registry.isKnown(proxyId))) {
          throw new HttpError(404, `proxy ${proxyId} is not registered: POST /v1/proxies/register first`);
        }
        const known = /^"([^"]+)"$/.exec(req.headers['if-none-match'] ?? '')?.[1];
        const waitSeconds = Number(url.searchParams.get('wait') ?? '0');
        if (!Number.isFinite(waitSeconds) || waitSeconds < 0 || waitSeconds > MAX_CONFIG_WAIT_SECONDS) {
          throw new HttpError(
            400,
            `wait must be a number of seconds between 0 and ${MAX_CONFIG_WAIT_SECONDS}`,
          );
        }
        let config = await deps.registry.currentConfig();
        if (known !== undefined && config.version === known && waitSeconds > 0) {
          const gone = new AbortController();
          res.once('close', () => gone.abort());
          config = await deps.registry.waitForNewConfig(known, waitSeconds * 1000, gone.signal);
          if (gone.signal.aborted) return;
        }
        const etag = `"${config.version}"`;
        if (known === config.version) {
          res.writeHead(304, { etag });
          res.end();
          return;
        }
        sendJson(res, 200, config, { etag });
        return;
      }
      if (method !== 'DELETE') throw new HttpError(405, 'use DELETE');
      const removed = await deps.registry.deregister(proxyId);
      if (!removed) throw new HttpError(404, `proxy ${proxyId} is not registered`);
      res.writeHead(204);
      res.end();
      return;
    }
    throw new HttpError(404, `no route for ${method} ${url.pathname}`);
  }

  return http.createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof InvalidInputError) {
        sendJson(res, 400, { error: err.message, issues: err.issues });
      } else if (err instanceof HttpError) {
        sendJson(res, err.status, { error: err.message });
      } else {
        log(`${req.method} ${req.url} failed: ${(err as Error).stack ?? String(err)}`);
        sendJson(res, 500, { error: 'internal error; see the API log' });
      }
      // The request body may not have been read to the end; do not reuse the connection.
      req.resume();
    });
  });
}
