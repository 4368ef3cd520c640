/**
 * Forwards the browser's tRPC calls to the API (`${WEFT_API_URL}/trpc/...`). The browser only ever talks to
 * the console's own origin; this is the one place that knows where the API lives.
 *
 * When the API cannot be reached, answers in tRPC's own error shape (one error per call of a batch), so the
 * client surfaces a readable "API unreachable at …" message instead of a JSON parse failure.
 */
import { serverEnv } from './env.ts';

/** Request headers that describe the hop, not the call; never forwarded. */
const HOP_HEADERS = new Set([
  'host',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'upgrade',
  'proxy-connection',
  'proxy-authorization',
  'content-length',
  'accept-encoding',
]);

/** Response headers passed back to the browser. */
const RESPONSE_HEADERS = ['content-type', 'cache-control', 'vary', 'trpc-accept', 'retry-after'];

export const PROXY_ERROR_HEADER = 'x-weft-console-proxy';

export async function forwardToApi(request: Request): Promise<Response> {
  const { WEFT_API_URL: apiUrl, WEFT_API_TIMEOUT_MS: timeoutMs } = serverEnv();
  const incoming = new URL(request.url);
  // Keep the path exactly as sent (batched calls look like `/trpc/a.b,c.d`), and the query string untouched.
  const rest = incoming.pathname.replace(/^\/trpc\/?/, '');
  const target = `${apiUrl}/trpc/${rest}${incoming.search}`;

  const headers = new Headers();
  request.headers.forEach((value, key) => {
    if (!HOP_HEADERS.has(key.toLowerCase())) headers.set(key, value);
  });
  headers.set('x-forwarded-host', incoming.host);
  headers.set('x-forwarded-proto', incoming.protocol.replace(':', ''));

  const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
  const body = hasBody ? await request.arrayBuffer() : undefined;

  let upstream: Response;
  try {
    upstream = await fetch(target, {
      method: request.method,
      headers,
      body,
      redirect: 'manual',
      cache: 'no-store',
      signal: AbortSignal.any([request.signal, AbortSignal.timeout(timeoutMs)]),
    });
  } catch (error) {
    if (request.signal.aborted) return new Response(null, { status: 499 });
    return unreachable(rest, incoming.searchParams.has('batch'), apiUrl, error);
  }

  const responseHeaders = new Headers();
  for (const name of RESPONSE_HEADERS) {
    const value = upstream.headers.get(name);
    if (value !== null) responseHeaders.set(name, value);
  }
  responseHeaders.set('cache-control', 'no-store');
  return new Response(upstream.body, { status: upstream.status, headers: responseHeaders });
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return 'no answer within the timeout';
    const cause = (error as Error & { cause?: unknown }).cause;
    if (cause instanceof Error) {
      const code = (cause as Error & { code?: string }).code;
      return code ? `${code}: ${cause.message}` : cause.message;
    }
    return error.message;
  }
  return String(error);
}

function unreachable(path: string, isBatch: boolean, apiUrl: string, error: unknown): Response {
  const message =
    `API unreachable at ${apiUrl} (${describe(error)}). ` +
    'Start the API, or set WEFT_API_URL for the console server.';
  const procedures = decodeURIComponent(path).split(',').filter(Boolean);
  const errorFor = (procedure: string) => ({
    error: {
      message,
      code: -32603,
      data: {
        code: 'INTERNAL_SERVER_ERROR',
        httpStatus: 502,
        path: procedure,
        weft: 'api-unreachable',
        apiUrl,
      },
    },
  });
  const payload = isBatch ? procedures.map(errorFor) : errorFor(procedures[0] ?? '');
  return Response.json(payload, {
    status: 502,
    headers: { 'cache-control': 'no-store', [PROXY_ERROR_HEADER]: 'api-unreachable' },
  });
}
