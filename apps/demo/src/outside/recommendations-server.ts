/**
 * The recommendations service: a node:http server outside the mesh (no Weft proxy) that instruments itself
 * with the OpenTelemetry SDK, as the HTTP semantic conventions describe (what @opentelemetry/instrumentation-http
 * would record, written out by hand because that package is not a dependency here):
 *   - one SERVER span per request, continuing the caller's W3C trace context (the SDK's default sampler honours
 *     the caller's sampled flag), named "GET /recommendations/:id", with http.* / url.* / server.* attributes;
 *     a ranking computed afresh adds an event and a link to the model run that produced the model it used;
 *   - the `http.server.request.duration` histogram, in seconds, with the conventions' bucket advice;
 *   - every few seconds an INTERNAL "refresh recommendation model" span, a trace of its own.
 * /healthz is neither traced nor measured (instrumentations usually ignore health checks).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  defaultTextMapGetter,
  type Attributes,
  type Histogram,
  type SpanContext,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
} from '@opentelemetry/semantic-conventions';
import { parseHostPort, sleep } from '../common/net.ts';
import { decide, type Behaviour } from '../shop/plan.ts';
import { productIdOf, rank, RankingCache, RECOMMENDATIONS_ROUTE } from './recommendations.ts';
import type { SdkTelemetry } from './sdk-telemetry.ts';

/** `http.server.request.duration`'s explicit bucket advice in the HTTP semantic conventions (seconds). */
export const HTTP_SERVER_DURATION_BOUNDS_S = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

/** A few ms of work, sometimes slow, 1% "model unavailable" (503): something for every golden signal. */
export const RECOMMENDATIONS_BEHAVIOUR: Behaviour = {
  failureRate: 0.01,
  failureStatus: 503,
  slowRate: 0.03,
  slowMs: [60, 180],
  workMs: [2, 8],
};

export const MODEL_REFRESH_MS = 30_000;

export interface RecommendationsOptions {
  /** host:port (port 0: any free port). */
  listen: string;
  telemetry: SdkTelemetry;
  behaviour?: Behaviour;
  random?: () => number;
  /** How often the model is refreshed (a span of its own each time); 0: only once, at start. */
  modelRefreshMs?: number;
}

export interface RunningRecommendations {
  address: string;
  stats: { requests: number; failures: number };
  close(): Promise<void>;
}

interface Answer {
  status: number;
  body: unknown;
}

/** The attributes of the duration histogram: the conventions' required and recommended low-cardinality ones. */
export function durationAttributes(method: string, route: string | undefined, status: number): Attributes {
  return {
    [ATTR_HTTP_REQUEST_METHOD]: method,
    [ATTR_URL_SCHEME]: 'http',
    [ATTR_HTTP_RESPONSE_STATUS_CODE]: status,
    [ATTR_NETWORK_PROTOCOL_VERSION]: '1.1',
    ...(route === undefined ? {} : { [ATTR_HTTP_ROUTE]: route }),
    ...(status >= 500 ? { [ATTR_ERROR_TYPE]: String(status) } : {}),
  };
}

/** Span name per the conventions: "{method} {route}", or only the method when no route matched. */
export function spanName(method: string, route: string | undefined): string {
  return route === undefined ? method : `${method} ${route}`;
}

export async function startRecommendations(o: RecommendationsOptions): Promise<RunningRecommendations> {
  const { tracer, meter } = o.telemetry;
  const behaviour = o.behaviour ?? RECOMMENDATIONS_BEHAVIOUR;
  const random = o.random ?? Math.random;
  const propagator = new W3CTraceContextPropagator();
  const duration: Histogram = meter.createHistogram(METRIC_HTTP_SERVER_REQUEST_DURATION, {
    description: 'Duration of HTTP server requests.',
    unit: 's',
    advice: { explicitBucketBoundaries: HTTP_SERVER_DURATION_BOUNDS_S },
  });
  const cache = new RankingCache();
  const stats = { requests: 0, failures: 0 };
  let model: { version: number; span: SpanContext } | undefined;

  const refreshModel = (): void => {
    const version = (model?.version ?? 0) + 1;
    const span = tracer.startSpan('refresh recommendation model', {
      kind: SpanKind.INTERNAL,
      attributes: { 'recommendations.model.version': version },
    });
    cache.clear();
    span.addEvent('model.loaded', { 'recommendations.model.products': 8 });
    span.end();
    model = { version, span: span.spanContext() };
  };
  refreshModel();
  const refreshTimer =
    (o.modelRefreshMs ?? MODEL_REFRESH_MS) > 0
      ? setInterval(refreshModel, o.modelRefreshMs ?? MODEL_REFRESH_MS)
      : undefined;
  refreshTimer?.unref();

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://recommendations.invalid');
    const method = req.method ?? 'GET';
    if (url.pathname === '/healthz') {
      send(res, { status: 200, body: { status: 'ok' } });
      return;
    }
    stats.requests++;
    const started = performance.now();
    const productId = productIdOf(url.pathname);
    const route = productId === null ? undefined : RECOMMENDATIONS_ROUTE;
    const local = server.address() as AddressInfo;
    const parent = propagator.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter);
    const span = tracer.startSpan(
      spanName(method, route),
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: method,
          [ATTR_URL_PATH]: url.pathname,
          [ATTR_URL_SCHEME]: 'http',
          [ATTR_SERVER_ADDRESS]: local.address,
          [ATTR_SERVER_PORT]: local.port,
          [ATTR_NETWORK_PROTOCOL_VERSION]: req.httpVersion,
          ...(route === undefined ? {} : { [ATTR_HTTP_ROUTE]: route }),
          ...(typeof req.headers['user-agent'] === 'string'
            ? { [ATTR_USER_AGENT_ORIGINAL]: req.headers['user-agent'] }
            : {}),
        },
      },
      parent,
    );
    const finish = (answer: Answer): void => {
      send(res, answer);
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, answer.status);
      if (answer.status >= 500) {
        stats.failures++;
        span.setAttribute(ATTR_ERROR_TYPE, String(answer.status));
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'recommendation model unavailable' });
      }
      span.end();
      duration.record((performance.now() - started) / 1000, durationAttributes(method, route, answer.status));
    };
    if (productId === null) return finish({ status: 404, body: { error: `no route for ${url.pathname}` } });
    if (method !== 'GET' && method !== 'HEAD') return finish({ status: 405, body: { error: 'use GET' } });
    const decision = decide(behaviour, random);
    void sleep(decision.delayMs).then(() => {
      if (decision.fail)
        return finish({ status: behaviour.failureStatus, body: { error: 'model unavailable' } });
      const current = model!;
      const { ranking, hit } = cache.get(productId, () => rank(productId, current.version));
      span.setAttribute('recommendations.cache_hit', hit);
      if (!hit) {
        // The expensive path: say what it did, and which model run it used (a trace of its own).
        span.addEvent('recommendations.ranked', {
          'recommendations.model.version': current.version,
          'recommendations.count': ranking?.length ?? 0,
        });
        span.addLink({ context: current.span, attributes: { 'recommendations.link': 'model run' } });
      }
      if (ranking === null) return finish({ status: 404, body: { error: `product ${productId} not found` } });
      finish({ status: 200, body: { productId, modelVersion: current.version, items: ranking } });
    });
  });
  server.keepAliveTimeout = 10_000;
  const { host, port } = parseHostPort(o.listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    address: `${host}:${(server.address() as AddressInfo).port}`,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        if (refreshTimer) clearInterval(refreshTimer);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(res: http.ServerResponse, answer: Answer): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
