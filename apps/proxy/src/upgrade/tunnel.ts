/**
 * The client side of a protocol switch (WebSocket). node:http hands the listener the raw client socket
 * for a request with `Connection: Upgrade`; the request has run through the layer stack like any other
 * (routing, identity, limits, telemetry), and here its answer goes back:
 * - a 101 from the upstream (forward-upgrade.ts left its socket on `req.upgrade`): the 101 head is
 *   written, then bytes are piped both ways until either side closes. The exchange completes then, as
 *   one request with status 101 lasting as long as the tunnel.
 * - anything else (the upstream refused, or a layer answered: 404, 429, 503, …): written as an ordinary
 *   response, and the connection closed, since the client sent no request after its upgrade.
 */
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import type { HeaderMap, ProxyRequest, ProxyResponse } from '../http/exchange.ts';
import { withoutHopByHop } from '../http/hop-by-hop.ts';

export type TunnelEnd = (status: number, aborted: boolean) => void;

/** `req.upgrade.protocol` of a CONNECT tunnel (egress): joined on a 200, not a 101. */
export const CONNECT = 'CONNECT';

export function answerUpgrade(
  req: ProxyRequest,
  response: ProxyResponse,
  client: Socket,
  clientHead: Buffer,
  onEnd: TunnelEnd,
): void {
  const upstream = req.upgrade?.upstream;
  const connect = req.upgrade?.protocol === CONNECT;
  if (response.status === (connect ? 200 : 101) && upstream !== undefined) {
    join(response, upstream, client, clientHead, onEnd, connect);
    return;
  }
  upstream?.socket.destroy();
  replyAndClose(response, client, onEnd);
}

function join(
  response: ProxyResponse,
  upstream: { socket: Socket; head: Buffer },
  client: Socket,
  clientHead: Buffer,
  onEnd: TunnelEnd,
  connect: boolean,
): void {
  const switched = response.headers.upgrade;
  // RFC 9110 §9.3.6: a 2xx to CONNECT carries no framing fields; the tunnel starts after its head.
  const headers: HeaderMap = connect
    ? withoutHopByHop(response.headers)
    : {
        ...withoutHopByHop(response.headers),
        connection: 'Upgrade',
        upgrade: typeof switched === 'string' ? switched : 'websocket',
      };
  const server = upstream.socket;
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    client.destroy();
    server.destroy();
    onEnd(connect ? 200 : 101, false);
  };
  client.on('error', end);
  server.on('error', end);
  client.once('close', end);
  server.once('close', end);
  if (client.destroyed) {
    end();
    return;
  }
  client.write(rawHead(connect ? 200 : 101, headers));
  if (upstream.head.length > 0) client.write(upstream.head);
  if (clientHead.length > 0) server.write(clientHead);
  server.setNoDelay(true);
  server.pipe(client);
  client.pipe(server);
}

function replyAndClose(response: ProxyResponse, client: Socket, onEnd: TunnelEnd): void {
  const body = response.body;
  const headers: HeaderMap = { ...withoutHopByHop(response.headers), connection: 'close' };
  if (typeof body === 'string') headers['content-length'] = String(Buffer.byteLength(body));
  let ended = false;
  const end = (aborted: boolean): void => {
    if (ended) return;
    ended = true;
    onEnd(response.status, aborted);
  };
  client.on('error', () => end(true));
  if (client.destroyed) {
    if (body !== null && typeof body !== 'string') body.destroy();
    end(true);
    return;
  }
  client.write(rawHead(response.status, headers));
  if (body === null || typeof body === 'string') {
    client.end(body ?? '', () => end(false));
    return;
  }
  // Without a Content-Length the body ends where the connection does (connection: close).
  body.once('error', () => {
    client.destroy();
    end(true);
  });
  body.once('end', () => client.end(() => end(false)));
  client.once('close', () => {
    if (!body.readableEnded) body.destroy();
    end(!body.readableEnded);
  });
  body.pipe(client, { end: false });
}

/** A response head; values come from node's or undici's parsers (or our own), so hold no CR/LF. */
export function rawHead(status: number, headers: HeaderMap): string {
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) head += `${name}: ${v}\r\n`;
  }
  return `${head}\r\n`;
}
