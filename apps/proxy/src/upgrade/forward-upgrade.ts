/**
 * The terminal's path for a protocol switch (WebSocket): the request goes to the upstream on a fresh
 * connection of its own (an upgraded connection never returns to a pool) with `Connection: Upgrade` and
 * the client's Upgrade field put back (the listener strips both like every connection-scoped field).
 * A 101 leaves the upstream socket on `req.upgrade` for the listener to join with the client's; any other
 * answer is an ordinary response. node:http rather than undici: it hands over the socket on 101 and
 * parses a refusal (400, 426, …) as the response it is, where undici's upgrade() treats it as an error.
 */
import http from 'node:http';
import { parseHostPort } from '@weft/schema';
import type { ProxyRequest, ProxyResponse } from '../http/exchange.ts';
import { UpstreamError } from '../upstream/upstream-failure.ts';

export function forwardUpgrade(req: ProxyRequest, upstream: string): Promise<ProxyResponse> {
  const upgrade = req.upgrade;
  if (upgrade === undefined) throw new Error('forwardUpgrade without an upgrade request');
  // Upstream addresses were checked with this same rule when the config was applied.
  const { host, port } = parseHostPort(upstream);
  const headers: Record<string, string | string[]> = {};
  for (const name in req.headers) {
    const value = req.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  headers.connection = 'Upgrade';
  headers.upgrade = upgrade.protocol;

  return new Promise((resolve, reject) => {
    const outgoing = http.request({
      host,
      port,
      method: req.method,
      path: req.path,
      headers,
      agent: false,
      setHost: false,
    });
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      cancel();
      return true;
    };
    const fail = (err: unknown): void => {
      if (!settle()) return;
      outgoing.destroy();
      reject(new UpstreamError(upstream, err));
    };
    const timer =
      req.timeoutMs > 0
        ? setTimeout(
            () =>
              fail(Object.assign(new Error('upstream headers timeout'), { code: 'UND_ERR_HEADERS_TIMEOUT' })),
            req.timeoutMs,
          )
        : undefined;
    const cancel = req.signal.whenAborted(() =>
      fail(Object.assign(new Error('client closed the request'), { code: 'UND_ERR_ABORTED' })),
    );
    outgoing.on('error', fail);
    outgoing.once('upgrade', (res, socket, head) => {
      if (!settle()) {
        socket.destroy();
        return;
      }
      upgrade.upstream = { socket, head };
      resolve({ status: 101, headers: res.headers, body: null });
    });
    outgoing.once('response', (res) => {
      if (!settle()) {
        res.destroy();
        return;
      }
      resolve({ status: res.statusCode ?? 502, headers: res.headers, body: res });
    });
    outgoing.end();
  });
}
