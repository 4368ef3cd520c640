/**
 * Sends the copies of mirrored requests, fire-and-forget (Envoy's shadow requests): a copy's response is
 * read to its end and discarded, its failures are counted and logged (once per target and reason), never
 * surfaced, and nothing on the data path waits for a copy. At most `maxInFlight` copies exist at a time
 * (from the moment a request is picked for mirroring until its copy's response has been read): beyond it,
 * and whenever a copy cannot be made (no endpoints, body over the cap or cut short, bodies held by all
 * copies together over `maxHeldBytes`), the copy is dropped and counted. A slow or dead mirror therefore costs at most `maxInFlight` copies' worth of memory and
 * sockets, each bounded by `timeoutMs` from start to the end of its response.
 *
 * What a copy carries: the request as the mirror layer sees it (method, path, headers with the caller's
 * `x-weft-source`, the whole body), with `-shadow` appended to the host as Envoy does so the mirror's logs
 * tell copies apart, and `x-weft-mirrored: 1`, which the outbound mirror layer respects: a request carrying
 * it is never copied again (a mirror app that passes headers on cannot set off a cascade). Copies carry no
 * trace context: the mirror's proxy starts a trace of its own, so the caller's trace shows only the real
 * exchange and never a second server span under its client span.
 */
import { Headers } from '@weft/schema';
import type { HeaderMap, ProxyRequest } from '../../http/exchange.ts';
import type { Logger } from '../../log.ts';
import type { EndpointSubset } from '../../routing/routing-table.ts';
import { TRACE_CONTEXT_HEADERS } from '../../telemetry/trace-context.ts';
import type { UpstreamPools } from '../../upstream/upstream-pools.ts';
import { BodyCopy } from './body-copy.ts';
import type { CompiledMirror } from './mirror-policy.ts';

export interface MirrorCopy {
  method: string;
  path: string;
  headers: HeaderMap;
  body: Buffer | null;
}

/** Sends one copy to `address`; resolves with the status once the response has been read, rejects on failure. */
export type MirrorTransport = (address: string, copy: MirrorCopy) => Promise<number>;

export type MirrorDropReason = 'overloaded' | 'no-endpoints' | 'body-too-large' | 'body-incomplete';
export const MIRROR_DROP_REASONS: readonly MirrorDropReason[] = [
  'overloaded',
  'no-endpoints',
  'body-too-large',
  'body-incomplete',
];

/** Copies in flight per proxy at most; beyond, new ones are dropped. */
export const DEFAULT_MAX_MIRRORS_IN_FLIGHT = 64;
/**
 * Request bodies held by all copies together at most (each is also capped by its policy's maxBodyBytes, up
 * to 16 MiB): 64 copies of the largest allowed body would otherwise hold 1 GiB.
 */
export const DEFAULT_MAX_MIRROR_HELD_BYTES = 32 * 1024 * 1024;
/** Time a copy may take, from sending until its response has been read. */
export const DEFAULT_MIRROR_TIMEOUT_MS = 10_000;

/** Distinct failures logged; beyond, only counted. */
const MAX_LOGGED_FAILURES = 100;

export interface MirrorSenderOptions {
  transport: MirrorTransport;
  log: Logger;
  maxInFlight?: number;
  maxHeldBytes?: number;
}

export class MirrorSender {
  readonly #transport: MirrorTransport;
  readonly #log: Logger;
  readonly maxInFlight: number;
  readonly maxHeldBytes: number;
  #inFlight = 0;
  #heldBytes = 0;
  #sent = 0;
  #failed = 0;
  readonly #dropped = new Map<MirrorDropReason, number>();
  readonly #logged = new Set<string>();

  constructor(o: MirrorSenderOptions) {
    this.#transport = o.transport;
    this.#log = o.log;
    this.maxInFlight = o.maxInFlight ?? DEFAULT_MAX_MIRRORS_IN_FLIGHT;
    this.maxHeldBytes = o.maxHeldBytes ?? DEFAULT_MAX_MIRROR_HELD_BYTES;
  }

  /** Bytes of request bodies copies hold now. */
  get heldBytes(): number {
    return this.#heldBytes;
  }

  get inFlight(): number {
    return this.#inFlight;
  }
  /** Copies whose response came back (whatever its status). */
  get sent(): number {
    return this.#sent;
  }
  /** Copies that were sent and failed (connect failure, reset, timeout). */
  get failed(): number {
    return this.#failed;
  }
  dropped(reason: MirrorDropReason): number {
    return this.#dropped.get(reason) ?? 0;
  }
  get droppedTotal(): number {
    let n = 0;
    for (const v of this.#dropped.values()) n += v;
    return n;
  }

  /**
   * Starts a copy of `req` to `mirror`'s endpoints in `subset` (undefined: none). Returns at once; when the
   * request has a body, `req.body` is replaced by a stream that feeds the upstream as before while the copy
   * is taken, so call this before the request goes on.
   */
  mirror(req: ProxyRequest, mirror: CompiledMirror, subset: EndpointSubset | undefined): void {
    if (this.#inFlight >= this.maxInFlight) return this.#drop('overloaded');
    if (subset === undefined) return this.#drop('no-endpoints', mirror);
    const declared = Number(req.headers['content-length']);
    if (declared > mirror.maxBodyBytes) return this.#drop('body-too-large');
    const headers = copyHeaders(req.headers);
    const copy: MirrorCopy = { method: req.method, path: req.path, headers, body: null };
    this.#inFlight++;
    const source = req.body;
    if (source === null) {
      this.#send(copy, mirror, subset, () => {});
      return;
    }
    let held = 0;
    const hold = (bytes: number): boolean => {
      if (this.#heldBytes + bytes > this.maxHeldBytes) return false;
      this.#heldBytes += bytes;
      held += bytes;
      return true;
    };
    const release = (): void => {
      this.#heldBytes -= held;
      held = 0;
    };
    const body = new BodyCopy(
      source,
      mirror.maxBodyBytes,
      (result) => {
        if (result.kind === 'given-up') {
          release();
          this.#inFlight--;
          this.#drop(result.reason);
          return;
        }
        copy.body = result.body;
        headers['content-length'] = String(result.body.length);
        this.#send(copy, mirror, subset, release);
      },
      hold,
    );
    req.body = body.upstream;
    req.onComplete(() => body.giveUp());
  }

  /** `release`: gives back the body's bytes once the copy is done with. */
  #send(copy: MirrorCopy, mirror: CompiledMirror, subset: EndpointSubset, release: () => void): void {
    // Not to an endpoint outlier detection ejected or health checks failed, while another is usable.
    const now = performance.now();
    const endpoint = subset.balancer.pick((e) => e.state.available(now));
    if (endpoint === undefined) {
      release();
      this.#inFlight--;
      this.#drop('no-endpoints', mirror);
      return;
    }
    this.#transport(endpoint.address, copy).then(
      () => {
        release();
        this.#inFlight--;
        this.#sent++;
      },
      (err: unknown) => {
        release();
        this.#inFlight--;
        this.#failed++;
        const code = (err as { code?: unknown } | null)?.code;
        const why = typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
        this.#logOnce(
          `failed ${mirror.target} ${why}`,
          `mirror (${mirror.source}): a copy to ${mirror.target} at ${endpoint.address} failed (${why}); ` +
            'copies never affect the original request, further failures like it are only counted in weft_proxy_mirrored_total',
        );
      },
    );
  }

  #drop(reason: MirrorDropReason, mirror?: CompiledMirror): void {
    this.#dropped.set(reason, (this.#dropped.get(reason) ?? 0) + 1);
    if (reason === 'no-endpoints' && mirror !== undefined) {
      this.#logOnce(
        `no-endpoints ${mirror.target}`,
        `mirror (${mirror.source}): ${mirror.target} has no endpoints in the config; copies are dropped until it has`,
      );
    }
  }

  #logOnce(key: string, message: string): void {
    if (this.#logged.has(key) || this.#logged.size >= MAX_LOGGED_FAILURES) return;
    this.#logged.add(key);
    this.#log.warn(message);
  }
}

/** The copy's own header map: shadow host, marked as a copy, no trace context, no `expect`. */
function copyHeaders(original: HeaderMap): HeaderMap {
  const out: HeaderMap = {};
  for (const name of Object.keys(original)) {
    const value = original[name];
    if (
      value === undefined ||
      TRACE_CONTEXT_HEADERS.has(name) /* never to a mirror, see above */ ||
      name === 'expect'
    )
      continue;
    out[name] = value;
  }
  const host = out.host;
  if (typeof host === 'string') out.host = shadowHost(host);
  out[Headers.mirrored] = '1';
  return out;
}

/** "reviews.shop" → "reviews.shop-shadow"; the port stays last: "reviews:8080" → "reviews-shadow:8080". */
export function shadowHost(host: string): string {
  const close = host.startsWith('[') ? host.indexOf(']') : -1;
  const colon = host.indexOf(':', close + 1);
  return colon === -1 ? `${host}-shadow` : `${host.slice(0, colon)}-shadow${host.slice(colon)}`;
}

/** Copies sent over the proxy's upstream pools, each bounded by `timeoutMs` overall. */
export function poolTransport(pools: UpstreamPools, timeoutMs = DEFAULT_MIRROR_TIMEOUT_MS): MirrorTransport {
  return async (address, copy) => {
    const signal = AbortSignal.timeout(timeoutMs);
    const res = await pools.get(address).request({
      method: copy.method,
      path: copy.path,
      headers: copy.headers,
      body: copy.body,
      signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    await new Promise<void>((resolve, reject) => {
      res.body.once('end', resolve);
      res.body.once('error', reject);
      res.body.resume();
    });
    return res.statusCode;
  };
}
