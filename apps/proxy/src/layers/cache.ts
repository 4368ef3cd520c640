/**
 * Response caching (CachePolicy), outbound after faultInjection and before mirror/retries: GET and HEAD
 * requests the policy covers are answered from the destination service's shared cache when RFC 9111 allows
 * it, revalidated with the stored validators when stale, and stored as they stream to the client; an
 * unsafe request that succeeds invalidates its target (and Location / Content-Location on the same host).
 * Every response the policy covers says what happened in `x-weft-cache` (HIT, MISS, STALE, REVALIDATED,
 * BYPASS) and counts in `weft_proxy_cache_total`. The rules live in policies/cache/ (HttpCache); this
 * layer does the I/O.
 */
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { Headers } from '@weft/schema';
import { ClientSignal } from '../http/client-signal.ts';
import { ProxyRequest, type HeaderMap, type ProxyResponse } from '../http/exchange.ts';
import type { Handler, Layer } from '../http/layer.ts';
import { localReply } from '../http/local-reply.ts';
import type { CacheControl } from '../policies/cache/cache-control.ts';
import type { StoredResponse } from '../policies/cache/cache-store.ts';
import type { CacheRegistry, CacheResult } from '../policies/cache/cache-registry.ts';
import { ageHeaderSeconds, currentAgeMs } from '../policies/cache/freshness.ts';
import { clientConditionMet } from '../policies/cache/conditional.ts';
import { requestCacheControl, type HttpCache } from '../policies/cache/http-cache.ts';
import { withoutTraceContext } from '../telemetry/trace-context.ts';

/** How long a request waits for a concurrent fetch of the same key before fetching itself (nginx: 5 s). */
export const COLLAPSE_WAIT_MS = 5_000;

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

export function cache(registry: CacheRegistry | undefined): Layer {
  if (registry === undefined) return (next) => next;
  return (next) => (req) => {
    // A protocol switch (WebSocket handshake) is never answered from or stored in the cache.
    if (req.upgrade !== undefined) return next(req);
    const method = req.method;
    const found = registry.resolve(req);
    if (found === undefined) return next(req);
    const { cache: c, policy } = found;
    const key = cacheKey(req);
    if (method === 'GET' || method === 'HEAD') {
      // A HEAD is answered from the GET's response, so the policy covers it wherever it covers the GET.
      if (!policy.matches.test('GET', req.path, req.headers)) return next(req);
      return cacheable(next, req, c, key, registry);
    }
    // Unsafe methods invalidate whatever the policy's matches say: a POST to /products/1 must not leave a
    // stale /products/1 behind because the policy only matches GETs.
    if (SAFE_METHODS.has(method)) return next(req);
    return next(req).then((res) => {
      if (res.status >= 200 && res.status < 400) invalidateAfter(req, res, c, key);
      registry.count(req, 'BYPASS');
      return tagged(res, 'BYPASS');
    });
  };
}

/** Scheme and authority are the destination service's (every caller's name for it shares entries). */
function cacheKey(req: ProxyRequest): string {
  const route = req.route;
  return `http://${route?.service ?? ''}.${route?.namespace ?? ''}${req.path}`;
}

async function cacheable(
  next: Handler,
  req: ProxyRequest,
  c: HttpCache,
  key: string,
  registry: CacheRegistry,
): Promise<ProxyResponse> {
  const requestCc = requestCacheControl(req.headers);
  let look = c.lookup(key, req.headers, requestCc);
  let fetch: ReturnType<HttpCache['beginFetch']> | undefined;
  if (
    (look.kind === 'miss' || look.kind === 'revalidate') &&
    req.method === 'GET' &&
    !requestCc.has('no-cache')
  ) {
    // Request collapsing: one request per key goes to the origin (to fetch or to revalidate), the others
    // wait for what it stores and look again.
    fetch = c.beginFetch(key);
    if (!fetch.leader) {
      await waitFor(fetch.wait, req.signal);
      fetch = undefined;
      look = c.lookup(key, req.headers, requestCc);
    }
  }
  const done = fetch?.leader === true ? fetch.done : undefined;

  switch (look.kind) {
    case 'fresh':
      return served(req, registry, look.entry, look.ageMs, 'HIT');
    case 'stale':
      return served(req, registry, look.entry, look.ageMs, 'STALE');
    case 'stale-while-revalidate':
      if (look.revalidate) revalidateInBackground(next, req, c, key, look.entry);
      return served(req, registry, look.entry, look.ageMs, 'STALE');
    case 'unsatisfiable':
      registry.count(req, 'MISS');
      return tagged(
        localReply(req, 504, 'not-cached', 'only-if-cached: no stored response to answer with'),
        'MISS',
      );
    case 'revalidate':
      try {
        return await revalidate(next, req, c, key, look.entry, requestCc, registry, done);
      } catch (err) {
        done?.();
        throw err;
      }
    case 'miss':
      try {
        return await miss(next, req, c, key, requestCc, registry, done);
      } catch (err) {
        done?.();
        throw err;
      }
  }
}

async function miss(
  next: Handler,
  req: ProxyRequest,
  c: HttpCache,
  key: string,
  requestCc: CacheControl,
  registry: CacheRegistry,
  done: (() => void) | undefined,
): Promise<ProxyResponse> {
  const requestHeaders = req.method === 'GET' ? copyHeaders(req.headers) : req.headers;
  const requestTime = c.now();
  const res = await next(req);
  registry.count(req, 'MISS');
  if (req.method !== 'GET') {
    done?.();
    return tagged(res, 'MISS');
  }
  return storing(req, res, c, key, requestHeaders, requestCc, requestTime, c.now(), done, 'MISS');
}

/** Stale (or no-cache) entry: ask the origin with the entry's validators; 304 refreshes it. */
async function revalidate(
  next: Handler,
  req: ProxyRequest,
  c: HttpCache,
  key: string,
  entry: StoredResponse,
  requestCc: CacheControl,
  registry: CacheRegistry,
  done: (() => void) | undefined,
): Promise<ProxyResponse> {
  const clientHeaders = req.headers;
  const validators = c.validators(entry);
  req.headers = withValidators(clientHeaders, validators);
  const requestTime = c.now();
  let res: ProxyResponse;
  try {
    res = await next(req);
  } catch (err) {
    if (!c.mayServeOnError(entry, requestCc)) throw err;
    done?.();
    req.error = undefined;
    req.headers = clientHeaders;
    return served(req, registry, entry, currentAgeMs(entry, c.now()), 'STALE');
  }
  const responseTime = c.now();
  req.headers = clientHeaders;
  if (res.status === 304 && (validators['if-none-match'] ?? validators['if-modified-since']) !== undefined) {
    discard(res);
    c.refresh(entry, res.headers, requestTime, responseTime);
    done?.();
    return served(req, registry, entry, currentAgeMs(entry, c.now()), 'REVALIDATED');
  }
  if (res.status >= 500 && c.mayServeOnError(entry, requestCc)) {
    discard(res);
    done?.();
    req.error = undefined;
    return served(req, registry, entry, currentAgeMs(entry, c.now()), 'STALE');
  }
  registry.count(req, 'MISS');
  if (req.method !== 'GET') {
    done?.();
    return tagged(res, 'MISS');
  }
  // A new full response replaces the stored one; one that may not be stored supersedes it all the same.
  c.store.remove(entry);
  return storing(req, res, c, key, clientHeaders, requestCc, requestTime, responseTime, done, 'MISS');
}

function revalidateInBackground(
  next: Handler,
  req: ProxyRequest,
  c: HttpCache,
  key: string,
  entry: StoredResponse,
): void {
  // Its own exchange: the client's ends now, with the stale answer; routing carries over.
  const bg = new ProxyRequest({
    method: 'GET',
    path: req.path,
    authority: req.authority,
    // Without the client's trace context: its span has ended with the stale answer, so the callee's span of
    // this revalidation would otherwise hang off a parent that ended before it started. It starts its own.
    headers: withoutTraceContext(withValidators(req.headers, c.validators(entry))),
    body: null,
    remoteAddress: req.remoteAddress,
    receivedAt: performance.now(),
    signal: new ClientSignal(),
  });
  bg.route = req.route;
  bg.routeRule = req.routeRule;
  bg.routeBackend = req.routeBackend;
  bg.subset = req.subset;
  bg.source = req.source;
  bg.destination = req.destination;
  const requestTime = c.now();
  const finish = (status: number) => {
    c.revalidated(key);
    bg.complete({ status, endedAt: performance.now(), aborted: false });
  };
  next(bg).then(
    (res) => {
      const responseTime = c.now();
      if (res.status === 304) {
        discard(res);
        c.refresh(entry, res.headers, requestTime, responseTime);
        finish(304);
        return;
      }
      if (res.status >= 500) {
        discard(res);
        finish(res.status);
        return;
      }
      const requestCc = requestCacheControl(bg.headers);
      const why = c.whyNotStorable('GET', bg.headers, requestCc, res.status, res.headers);
      if (why !== undefined) {
        discard(res);
        c.store.remove(entry);
        finish(res.status);
        return;
      }
      collect(res.body, c.limits.maxEntryBytes, (body) => {
        if (body !== undefined) {
          c.store.remove(entry);
          c.put(key, bg.headers, requestTime, responseTime, res.status, res.headers, body);
        }
        finish(res.status);
      });
    },
    () => finish(0),
  );
}

/**
 * The response as the client gets it; when it may be stored, its body is copied as it streams (up to
 * maxEntryBytes: beyond, copying stops and nothing is stored) and stored once it has all arrived.
 */
function storing(
  req: ProxyRequest,
  res: ProxyResponse,
  c: HttpCache,
  key: string,
  requestHeaders: HeaderMap,
  requestCc: CacheControl,
  requestTime: number,
  responseTime: number,
  done: (() => void) | undefined,
  result: CacheResult,
): ProxyResponse {
  const why = c.whyNotStorable('GET', requestHeaders, requestCc, res.status, res.headers);
  if (why !== undefined || req.error !== undefined) {
    done?.();
    return tagged(res, result);
  }
  const store = (body: Buffer) => {
    c.put(key, requestHeaders, requestTime, responseTime, res.status, res.headers, body);
    done?.();
  };
  const body = res.body;
  if (body === null || typeof body === 'string') {
    store(Buffer.from(body ?? ''));
    return tagged(res, result);
  }
  const tap = new StoringTap(c.limits.maxEntryBytes, (copy) => {
    if (copy === undefined) done?.();
    else store(copy);
  });
  body.once('error', (err) => tap.destroy(err));
  // Client gone (the listener destroys what it reads from): stop the upstream body too.
  tap.once('close', () => {
    if (!body.readableEnded) body.destroy();
  });
  body.pipe(tap);
  return { status: res.status, headers: withCacheStatus(res.headers, result), body: tap };
}

/** Passes the body through unchanged and keeps a copy up to `max` bytes; `onEnd(undefined)` when it did not. */
class StoringTap extends Transform {
  readonly #max: number;
  readonly #onEnd: (copy: Buffer | undefined) => void;
  #chunks: Buffer[] | undefined = [];
  #bytes = 0;
  #reported = false;

  constructor(max: number, onEnd: (copy: Buffer | undefined) => void) {
    super();
    this.#max = max;
    this.#onEnd = onEnd;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.#chunks !== undefined) {
      this.#bytes += chunk.length;
      if (this.#bytes > this.#max) this.#chunks = undefined;
      else this.#chunks.push(chunk);
    }
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.#report(this.#chunks === undefined ? undefined : Buffer.concat(this.#chunks, this.#bytes));
    cb();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.#report(undefined);
    cb(err);
  }

  #report(copy: Buffer | undefined): void {
    if (this.#reported) return;
    this.#reported = true;
    this.#chunks = undefined;
    this.#onEnd(copy);
  }
}

/** Reads a whole body nobody else reads (background revalidation), up to `max` bytes. */
function collect(body: ProxyResponse['body'], max: number, onEnd: (body: Buffer | undefined) => void): void {
  if (body === null || typeof body === 'string') {
    onEnd(Buffer.from(body ?? ''));
    return;
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  let ended = false;
  const end = (b: Buffer | undefined) => {
    if (ended) return;
    ended = true;
    onEnd(b);
  };
  body.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > max) {
      body.destroy();
      end(undefined);
    } else chunks.push(chunk);
  });
  body.once('end', () => end(Buffer.concat(chunks, bytes)));
  body.once('error', () => end(undefined));
  body.once('close', () => end(undefined));
}

/** A stored response as the client gets it: with its Age, or a 304 when the client's own condition holds. */
function served(
  req: ProxyRequest,
  registry: CacheRegistry,
  entry: StoredResponse,
  ageMs: number,
  result: CacheResult,
): ProxyResponse {
  registry.count(req, result);
  const headers = withCacheStatus(entry.headers, result);
  headers.age = String(ageHeaderSeconds(ageMs));
  if (clientConditionMet(entry, req.headers)) {
    headers['content-length'] = undefined;
    return { status: 304, headers, body: null };
  }
  const noBody = entry.status === 204 || entry.status === 304;
  if (!noBody) headers['content-length'] = String(entry.body.length);
  if (req.method === 'HEAD' || noBody) return { status: entry.status, headers, body: null };
  return { status: entry.status, headers, body: entry.text ?? bufferBody(entry.body) };
}

function bufferBody(buf: Buffer): Readable {
  const r = new Readable({ read() {} });
  if (buf.length > 0) r.push(buf);
  r.push(null);
  return r;
}

function tagged(res: ProxyResponse, result: CacheResult): ProxyResponse {
  res.headers = withCacheStatus(res.headers, result);
  return res;
}

/**
 * A copy of `headers` with `x-weft-cache`. A for-in copy, not `{ ...headers }`: on Node 20 the spread of a
 * header map costs µs per hit, the copy a fraction of that.
 */
function withCacheStatus(headers: HeaderMap, result: CacheResult): HeaderMap {
  const out = copyHeaders(headers);
  out[Headers.cache] = result;
  return out;
}

function copyHeaders(headers: HeaderMap): HeaderMap {
  const out: HeaderMap = {};
  for (const name in headers) out[name] = headers[name];
  return out;
}

/** The request with the cache's own validators instead of the client's (the 304 must be about the entry). */
function withValidators(headers: HeaderMap, validators: HeaderMap): HeaderMap {
  const out: HeaderMap = {};
  for (const name in headers) {
    if (name === 'if-none-match' || name === 'if-modified-since') continue;
    out[name] = headers[name];
  }
  return Object.assign(out, validators);
}

function discard(res: ProxyResponse): void {
  const body = res.body;
  if (body !== null && typeof body !== 'string') body.resume();
}

/** RFC 9111 §4.4: the target URI, and Location / Content-Location when they name the same host. */
function invalidateAfter(req: ProxyRequest, res: ProxyResponse, c: HttpCache, key: string): void {
  c.invalidate(key);
  const base = `http://${req.authority ?? 'invalid.invalid'}${req.path}`;
  for (const field of ['location', 'content-location'] as const) {
    const value = res.headers[field];
    if (typeof value !== 'string') continue;
    let url: URL;
    try {
      url = new URL(value, base);
    } catch {
      continue;
    }
    if (url.host !== new URL(base).host) continue;
    c.invalidate(
      `http://${req.route?.service ?? ''}.${req.route?.namespace ?? ''}${url.pathname}${url.search}`,
    );
  }
}

/** Waits for a concurrent fetch, at most COLLAPSE_WAIT_MS and no longer than the client stays. */
function waitFor(wait: Promise<void>, signal: ClientSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      cancel();
      resolve();
    };
    const timer = setTimeout(finish, COLLAPSE_WAIT_MS);
    const cancel = signal.whenAborted(finish);
    void wait.then(finish);
  });
}
