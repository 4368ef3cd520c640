/**
 * Forwards the browser's `/trpc/*` and `/auth/*` requests to the API (`${WEFT_API_URL}/trpc/...`,
 * `${WEFT_API_URL}/auth/...`). The browser only ever talks to the console's own origin, so the session cookie
 * is first-party and the API needs no CORS; this is the one place that knows where the API lives.
 *
 * When the API cannot be reached, answers in the caller's error shape (tRPC: one error per call of a batch;
 * auth: `{ error }`), so the page shows a readable "API unreachable at …" instead of a JSON parse failure.
 */
import { serverEnv } from './env.ts';

/** Request headers that describe the hop, not the call, or that this hop sets itself; never forwarded. */
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
  'forwarded',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-forwarded-for',
]);

/** Response headers passed back to the browser (`set-cookie` separately: there may be several). */
const RESPONSE_HEADERS = ['content-type', 'cache-control', 'vary', 'trpc-accept', 'retry-after', 'location'];

export const PROXY_ERROR_HEADER = 'x-weft-console-proxy';

export type ApiPrefix = 'trpc' | 'auth';

export async function forwardToApi(request: Request, prefix: ApiPrefix): Promise<Response> {
  const { WEFT_API_URL: apiUrl, WEFT_API_TIMEOUT_MS: timeoutMs } = serverEnv();
  const incoming = new URL(request.url);
  // Keep the path exactly as sent (batched calls look like `/trpc/a.b,c.d`), and the query string untouched.
  const rest = incoming.pathname.slice(`/${prefix}`.length).replace(/^\/+/, '');
  const target = `${apiUrl}/${prefix}/${rest}${incoming.search}`;

  const headers = new Headers();
  request.headers.forEach((value, key) => {
    if (!HOP_HEADERS.has(key.toLowerCase())) headers.set(key, value);
  });
  headers.set('x-forwarded-host', request.headers.get('host') ?? incoming.host);
  headers.set('x-forwarded-proto', forwardedProto(request, incoming));
  // Next's server fills x-forwarded-for with the socket's address unless a client or load balancer already
  // sent one (it does not append): the API must treat it as a hint, not proof, unless a trusted proxy sits
  // in front of the console.
  const clientAddress = request.headers.get('x-forwarded-for');
  if (clientAddress) headers.set('x-forwarded-for', clientAddress);

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
    return prefix === 'trpc'
      ? trpcUnreachable(rest, incoming.searchParams.has('batch'), apiUrl, error)
      : authUnreachable(apiUrl, error);
  }

  const responseHeaders = new Headers();
  for (const name of RESPONSE_HEADERS) {
    const value = upstream.headers.get(name);
    if (value !== null) responseHeaders.set(name, value);
  }
  for (const cookie of upstream.headers.getSetCookie()) responseHeaders.append('set-cookie', cookie);
  responseHeaders.set('cache-control', 'no-store');
  const bodyless = upstream.status === 204 || upstream.status === 304 || request.method === 'HEAD';
  return new Response(bodyless ? null : upstream.body, { status: upstream.status, headers: responseHeaders });
}

/** The scheme the browser used: what a TLS-terminating proxy in front of the console said, else our own. */
function forwardedProto(request: Request, incoming: URL): string {
  const sent = request.headers.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  return sent === 'https' || sent === 'http' ? sent : incoming.protocol.replace(':', '');
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

function unreachableMessage(apiUrl: string, error: unknown): string {
  return (
    `API unreachable at ${apiUrl} (${describe(error)}). ` +
    'Start the API, or set WEFT_API_URL for the console server.'
  );
}

const UNREACHABLE_HEADERS = { 'cache-control': 'no-store', [PROXY_ERROR_HEADER]: 'api-unreachable' };

function trpcUnreachable(path: string, isBatch: boolean, apiUrl: string, error: unknown): Response {
  const message = unreachableMessage(apiUrl, error);
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
  return Response.json(payload, { status: 502, headers: UNREACHABLE_HEADERS });
}

function authUnreachable(apiUrl: string, error: unknown): Response {
  return Response.json(
    { error: unreachableMessage(apiUrl, error) },
    { status: 502, headers: UNREACHABLE_HEADERS },
  );
}
