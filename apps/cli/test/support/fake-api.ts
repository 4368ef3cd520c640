/**
 * For unit tests: an in-memory stand-in for the API behind a fetch function (tRPC answers in the real
 * envelope, /auth/login with a session cookie), and an Io that records what the CLI printed.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Io } from '../../src/io.ts';

export class TrpcFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly data: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface Call {
  method: string;
  path: string;
  input: unknown;
  headers: Record<string, string>;
}

export type Handler = (input: unknown, call: Call) => unknown;

export interface FakeApi {
  fetch: typeof fetch;
  calls: Call[];
  /** Procedure names called, in order. */
  procedures(): string[];
}

export const TEST_API = 'http://api.test:4000';

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/** `handlers` by procedure name ("policies.list") or HTTP path ("/auth/login"). */
export function fakeApi(handlers: Record<string, Handler>): FakeApi {
  const calls: Call[] = [];
  const fetchImpl = (async (url: string | URL | Request, init?: RequestInit) => {
    const u = new URL(url instanceof Request ? url.url : url);
    const method = init?.method ?? 'GET';
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    const isTrpc = u.pathname.startsWith('/trpc/');
    const name = isTrpc ? u.pathname.slice('/trpc/'.length) : u.pathname;
    let input: unknown;
    if (method === 'GET') {
      const raw = u.searchParams.get('input');
      input = raw === null ? undefined : (JSON.parse(raw) as unknown);
    } else {
      input = typeof init?.body === 'string' && init.body ? (JSON.parse(init.body) as unknown) : undefined;
    }
    const call = { method, path: name, input, headers };
    calls.push(call);
    const handler = handlers[name];
    if (!isTrpc) {
      if (!handler) return json(404, { error: `no route for ${method} ${u.pathname}` });
      const answer = handler(input, call) as {
        status?: number;
        body?: unknown;
        headers?: Record<string, string>;
      };
      return json(answer.status ?? 200, answer.body ?? {}, answer.headers);
    }
    if (!handler) {
      return json(404, {
        error: {
          message: `No procedure found on path "${name}"`,
          code: -32004,
          data: { code: 'NOT_FOUND', httpStatus: 404, path: name },
        },
      });
    }
    try {
      return json(200, { result: { data: await handler(input, call) } });
    } catch (err) {
      if (!(err instanceof TrpcFailure)) throw err;
      return json(err.status, {
        error: {
          message: err.message,
          code: -32600,
          data: { code: err.code, httpStatus: err.status, ...err.data },
        },
      });
    }
  }) as typeof fetch;
  return { fetch: fetchImpl, calls, procedures: () => calls.map((c) => c.path) };
}

export interface TestIo extends Io {
  out: string;
  err: string;
  configHome: string;
}

export function testIo(
  options: { fetch?: typeof fetch; stdin?: string; env?: Record<string, string>; cwd?: string } = {},
): TestIo {
  const home = mkdtempSync(path.join(os.tmpdir(), 'weft-cli-test-'));
  const configHome = path.join(home, 'config');
  const io: TestIo = {
    out: '',
    err: '',
    configHome,
    stdout: (text) => void (io.out += text),
    stderr: (text) => void (io.err += text),
    readStdin: () => Promise.resolve(options.stdin ?? ''),
    stdinIsTty: false,
    env: { WEFT_API_URL: TEST_API, XDG_CONFIG_HOME: configHome, ...options.env },
    homeDir: home,
    cwd: options.cwd ?? process.cwd(),
    now: () => Date.parse('2026-01-01T12:00:00Z'),
    fetch:
      options.fetch ??
      (() => Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }))),
  };
  return io;
}
