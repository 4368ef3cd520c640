/**
 * The API's HTTP surface, on one listener: the control-plane endpoints proxies use (register, config,
 * OTLP ingest; workload or ingest tokens), sign-in (/auth/*) and tRPC for the console (sessions).
 * Nothing but /healthz answers an anonymous caller.
 */
import http from 'node:http';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import {
  AuthCookies,
  AuthHeaders,
  ConfigAckLimits,
  QueryLimits,
  proxyRegistrationSchema,
} from '@weft/schema';
import { isSecureRequest, readCookie } from '../auth/cookies.ts';
import type { AuthServices } from '../auth/services.ts';
import { csrfMatches } from '../auth/sessions.ts';
import type { ConfigStreamHub } from '../config-stream/hub.ts';
import type { Db } from '../db/client.ts';
import { readerFor } from '../db/sql-reader.ts';
import type { OtlpExporter, OtlpExportStats } from '../export/otlp-exporter.ts';
import { Prisma } from '../generated/sqlite/client.ts';
import { InvalidInputError, parseOrThrow } from '../ingest/validation.ts';
import type { WriteQueue } from '../ingest/write-queue.ts';
import type { PolicyChecker, PolicyPlatform } from '../policies/platform.ts';
import type { ServiceRegistry } from '../registry/registry.ts';
import { appRouter } from '../trpc/router.ts';
import type { CallerSession, Context } from '../trpc/trpc.ts';
import { handleAuthRoute } from './auth-routes.ts';
import { createOtlpRoutes } from './otlp-routes.ts';
import { HttpError, readJsonBody, sendJson } from './body.ts';
import { authenticateMachine, requireWorkload } from './machine-auth.ts';

export interface ServerDeps {
  db: Db;
  /** Telemetry writes, one transaction at a time, bounded (ingest answers 429 past the bound). */
  writeQueue: WriteQueue;
  /** OTLP export of what ingest stores (WEFT_OTLP_EXPORT_ENDPOINT), when configured. */
  exporter?: OtlpExporter | undefined;
  registry: ServiceRegistry;
  auth: AuthServices;
  policies: PolicyPlatform & PolicyChecker;
  /** Config streams and the proxies' ACKs (config-stream/hub.ts). */
  configStream: ConfigStreamHub;
  maxBodyBytes: number;
  now?: () => number;
  log?: (line: string) => void;
}

/** Longest a config long poll (`?wait=`) is held open. */
const MAX_CONFIG_WAIT_SECONDS = 60;
/** A registration is a few hundred bytes. */
const REGISTRATION_BODY_LIMIT = 16 * 1024;

const PROXY_PATH = /^\/v1\/proxies\/([A-Za-z0-9._-]+)(\/config(?:\/stream|\/ack)?)?$/;

/** The exporter's counters without its last error text. */
function exportCounts(stats: OtlpExportStats) {
  const counts = ({ lastError: _lastError, ...rest }: OtlpExportStats['traces']) => rest;
  return { traces: counts(stats.traces), metrics: counts(stats.metrics) };
}

export function createApiServer(deps: ServerDeps): http.Server {
  const now = deps.now ?? Date.now;
  const log = deps.log ?? ((line: string) => console.error(line));
  const { auth } = deps;

  async function sessionOf(req: http.IncomingMessage): Promise<CallerSession | null> {
    const secret = readCookie(req, AuthCookies.session);
    if (!secret) return tokenSession(req);
    const session = await auth.sessions.resolve(secret);
    if (!session) return null;
    const header = req.headers[AuthHeaders.csrf];
    return { ...session, csrfVerified: csrfMatches(secret, Array.isArray(header) ? header[0] : header) };
  }

  /**
   * Scripts and the weft CLI (`WEFT_TOKEN`) send a user token as `Authorization: Bearer`. It is not an
   * ambient credential a browser adds by itself, so it needs no CSRF token.
   */
  async function tokenSession(req: http.IncomingMessage): Promise<CallerSession | null> {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer) return null;
    const token = await auth.tokens.verify(bearer);
    if (token?.kind !== 'user') return null;
    return {
      user: {
        id: `token:${token.id}`,
        username: `token:${token.name}`,
        displayName: token.name,
        role: token.role ?? 'viewer',
        provider: 'token',
      },
      sessionIdHash: '',
      csrfToken: '',
      expiresAtMs: 0,
      csrfVerified: true,
    };
  }

  const otlp = createOtlpRoutes({
    db: deps.db,
    auth,
    writeQueue: deps.writeQueue,
    maxBodyBytes: deps.maxBodyBytes,
    exporter: deps.exporter,
    now,
    log,
  });

  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: '/trpc/',
    maxBatchSize: QueryLimits.maxBatchSize,
    maxBodySize: QueryLimits.maxTrpcBodyBytes,
    createContext: async ({ req }): Promise<Context> => ({
      db: deps.db,
      now,
      auth,
      session: await sessionOf(req),
      secure: isSecureRequest(req, auth.secureCookies),
      policies: deps.policies,
      configStream: deps.configStream,
    }),
    onError: ({ error, path }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') {
        const cause =
          error.cause instanceof Error ? (error.cause.stack ?? error.cause.message) : error.message;
        log(`trpc ${path ?? '?'} failed: ${cause}`);
      }
    },
  });

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';

    if (url.pathname.startsWith('/trpc/')) {
      trpc(req, res);
      return;
    }
    if (url.pathname.startsWith('/auth/')) {
      if (await handleAuthRoute(req, res, url, auth, log)) return;
      throw new HttpError(404, `no route for ${method} ${url.pathname}`);
    }
    if (url.pathname === '/healthz' && method === 'GET') {
      // Through the read path: a long ingest transaction on the main connection must not make the API look down.
      await readerFor(deps.db).query(Prisma.sql`SELECT 1`);
      // "warming-up": the first TTL after a start, while the previous run's endpoint set is still served.
      sendJson(res, 200, {
        status: 'ok',
        registry: deps.registry.warmingUp ? 'warming-up' : 'ready',
        // Counts only (no receiver answers: this route is anonymous).
        ...(deps.exporter ? { otlpExport: exportCounts(deps.exporter.stats()) } : {}),
      });
      return;
    }
    // OTLP/HTTP ingest (/v1/traces, /v1/metrics): otlp-routes.ts.
    if (await otlp(req, res, url.pathname)) return;
    if (url.pathname === '/v1/proxies/register') {
      if (method !== 'POST') throw new HttpError(405, 'use POST');
      const token = await authenticateMachine(req, auth.tokens);
      const reg = parseOrThrow(
        proxyRegistrationSchema,
        await readJsonBody(req, Math.min(REGISTRATION_BODY_LIMIT, deps.maxBodyBytes)),
        'proxy registration',
      );
      requireWorkload(token, reg, 'register');
      sendJson(res, 200, await deps.registry.register(reg));
      return;
    }
    const proxyMatch = PROXY_PATH.exec(url.pathname);
    if (proxyMatch) {
      const proxyId = proxyMatch[1] as string;
      const token = await authenticateMachine(req, auth.tokens);
      const instance = await deps.registry.workloadOf(proxyId);
      if (!instance) {
        throw new HttpError(404, `proxy ${proxyId} is not registered: POST /v1/proxies/register first`);
      }
      if (proxyMatch[2] === '/config/stream') {
        if (method !== 'GET') throw new HttpError(405, 'use GET');
        requireWorkload(token, instance, `read the config of proxy ${proxyId}, which belongs to`);
        await deps.configStream.serve(proxyId, req, res);
        return;
      }
      if (proxyMatch[2] === '/config/ack') {
        if (method !== 'POST') throw new HttpError(405, 'use POST');
        requireWorkload(token, instance, `answer for the config of proxy ${proxyId}, which belongs to`);
        deps.configStream.ack(
          proxyId,
          await readJsonBody(req, Math.min(ConfigAckLimits.maxBodyBytes, deps.maxBodyBytes)),
        );
        res.writeHead(204);
        res.end();
        return;
      }
      if (proxyMatch[2] === '/config') {
        if (method !== 'GET') throw new HttpError(405, 'use GET');
        requireWorkload(token, instance, `read the config of proxy ${proxyId}, which belongs to`);
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
        deps.configStream.sent(proxyId, config.version);
        if (known === config.version) {
          res.writeHead(304, { etag });
          res.end();
          return;
        }
        sendJson(res, 200, config, { etag });
        return;
      }
      if (method !== 'DELETE') throw new HttpError(405, 'use DELETE');
      requireWorkload(token, instance, `deregister proxy ${proxyId}, which belongs to`);
      const removed = await deps.registry.deregister(proxyId);
      if (!removed) throw new HttpError(404, `proxy ${proxyId} is not registered`);
      res.writeHead(204);
      res.end();
      return;
    }
    throw new HttpError(404, `no route for ${method} ${url.pathname}`);
  }

  return http.createServer((req, res) => {
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('cache-control', 'no-store');
    route(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof InvalidInputError) {
        sendJson(res, 400, { error: err.message, issues: err.issues });
      } else if (err instanceof HttpError) {
        sendJson(
          res,
          err.status,
          { error: err.message },
          err.status === 401 ? { 'www-authenticate': 'Bearer realm="weft"' } : {},
        );
      } else {
        log(`${req.method} ${req.url} failed: ${(err as Error).stack ?? String(err)}`);
        sendJson(res, 500, { error: 'internal error; see the API log' });
      }
      // The request body may not have been read to the end; do not reuse the connection.
      req.resume();
    });
  });
}
