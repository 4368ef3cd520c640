/**
 * The client-facing listeners under abuse and at the edges of HTTP/1.1, over raw sockets (node:net) so
 * the bytes are exactly what a hostile or unusual client sends: connection limits, slowloris, the admin
 * listener under saturation, request smuggling, interim responses, OPTIONS *, drain at shutdown.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Headers, type HostPort } from '@weft/schema';
import {
  adminGet,
  closedPort,
  hostPortOf,
  loopback,
  sample,
  send,
  startApp,
  startChain,
  startTestProxy,
  waitFor,
  writeConfig,
} from './helpers.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

interface RawReply {
  /** Everything the proxy sent until it closed the connection (or the wait ended). */
  text: string;
  /** True when the proxy closed the connection. */
  closed: boolean;
  ms: number;
}

/** Writes `bytes` on a fresh connection and collects the answer until the proxy closes it or `waitMs`. */
function rawExchange(to: HostPort, bytes: string, waitMs = 3_000): Promise<RawReply> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = net.connect(to.port, to.host);
    let text = '';
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed, ms: performance.now() - started });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.write(bytes);
  });
}

function statusOf(raw: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
}

/** A connection that says nothing; resolves once connected, `closed` settles when the proxy closes it. */
async function idleSocket(to: HostPort): Promise<{ socket: net.Socket; closed: Promise<void> }> {
  const socket = net.connect(to.port, to.host);
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('close', () => reject(new Error('closed before connecting')));
  });
  return { socket, closed };
}

describe('connection limits and slow clients', () => {
  const LIMIT = 20;
  let app: Awaited<ReturnType<typeof startApp>>;
  let proxy: Awaited<ReturnType<typeof startTestProxy>>;

  beforeAll(async () => {
    app = await startApp('catalog');
    proxy = await startTestProxy({
      service: 'catalog',
      app: app.address,
      configFile: writeConfig({ version: 'limits-1', services: [] }),
      tuning: { listenerLimits: { maxConnections: LIMIT, headersTimeoutMs: 1_500 } },
    });
  });
  afterAll(async () => {
    await proxy.stop();
    await app.close();
  });

  it('keeps /live answering and refuses fast and clearly when idle sockets fill a data listener', async () => {
    const sockets = await Promise.all(
      Array.from({ length: 2 * LIMIT }, () => idleSocket(proxy.addresses.inbound)),
    );
    try {
      // Beyond the limit, only a few connections wait for their 503 at a time (the oldest dropped for
      // the newest), each for at most a second.
      let closedEarly = 0;
      for (const s of sockets) void s.closed.then(() => closedEarly++);
      await waitFor(() => closedEarly >= LIMIT - 8 && closedEarly);
      const excessClosed = performance.now();
      await waitFor(() => closedEarly >= LIMIT);
      expect(performance.now() - excessClosed).toBeLessThan(1_500);
      expect(closedEarly).toBe(LIMIT);

      const live = await adminGet(proxy, '/live');
      expect(live.status).toBe(200);
      const ready = await adminGet(proxy, '/ready');
      expect(ready.status).toBe(200);

      // A legitimate request while the listener is full: a 503 the client can act on, not a hang.
      const started = performance.now();
      const refused = await send(proxy.addresses.inbound, { target: '/items', headers: { host: 'catalog' } });
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(refused.status).toBe(503);
      expect(refused.headers[Headers.proxyError]).toBe('connection-limit');
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.headers.connection).toBe('close');

      const metrics = (await adminGet(proxy, '/metrics')).text;
      expect(sample(metrics, 'weft_proxy_connections_max', { listener: 'inbound' })).toBe(LIMIT);
      expect(sample(metrics, 'weft_proxy_connections_refused_total', { listener: 'inbound' })).toBe(
        LIMIT + 1,
      );
      expect(sample(metrics, 'weft_proxy_connections_refused_total', { listener: 'outbound' })).toBe(0);

      // The idle ones are closed by the header deadline, after which requests are served again.
      await Promise.all(sockets.map((s) => s.closed));
      const served = await send(proxy.addresses.inbound, { target: '/items', headers: { host: 'catalog' } });
      expect(served.status).toBe(200);
    } finally {
      for (const s of sockets) s.socket.destroy();
    }
  });

  it('closes a slowloris connection with 408 once the header deadline passes', async () => {
    const socket = net.connect(proxy.addresses.outbound.port, proxy.addresses.outbound.host);
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString()));
    socket.on('error', () => {});
    const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now())));
    const started = performance.now();
    socket.write('GET /items HTTP/1.1\r\nHost: catalog.shop\r\n');
    // Trickle a header line now and then, never the blank line that ends the header block.
    let n = 0;
    const trickle = setInterval(() => socket.write(`x-slow-${n++}: 1\r\n`), 200);
    try {
      const closedAt = await closed;
      expect(closedAt - started).toBeGreaterThanOrEqual(1_400);
      expect(closedAt - started).toBeLessThan(4_000);
      expect(statusOf(text)).toBe(408);
      expect(text).toContain(`${Headers.proxyError}: bad-request`);
    } finally {
      clearInterval(trickle);
      socket.destroy();
    }
  });

  it('closes an idle keep-alive connection only after its keep-alive timeout, announced to the client', async () => {
    const reply = await send(proxy.addresses.inbound, {
      target: '/items',
      headers: { host: 'catalog', connection: 'keep-alive' },
    });
    expect(reply.status).toBe(200);
    expect(reply.headers['keep-alive']).toBe('timeout=120');
  });
});

describe('request smuggling', () => {
  let chain: Awaited<ReturnType<typeof startChain>>;

  beforeAll(async () => {
    chain = await startChain();
  });
  afterAll(async () => {
    await chain.stop();
  });

  const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: catalog\r\n\r\n';
  it.each([
    [
      'Content-Length with Transfer-Encoding',
      `POST /a HTTP/1.1\r\nHost: catalog\r\nContent-Length: ${5 + SMUGGLED.length}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
      400,
    ],
    [
      'two different Content-Lengths',
      `POST /a HTTP/1.1\r\nHost: catalog\r\nContent-Length: 5\r\nContent-Length: ${5 + SMUGGLED.length}\r\n\r\nhello${SMUGGLED}`,
      400,
    ],
    [
      'Content-Length twice with one value',
      `POST /a HTTP/1.1\r\nHost: catalog\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello${SMUGGLED}`,
      400,
    ],
    [
      'a Transfer-Encoding that does not end in chunked',
      `POST /a HTTP/1.1\r\nHost: catalog\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${SMUGGLED}`,
      400,
    ],
    [
      'Transfer-Encoding with whitespace before the colon',
      `POST /a HTTP/1.1\r\nHost: catalog\r\nTransfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\nhello${SMUGGLED}`,
      400,
    ],
    [
      'Transfer-Encoding in HTTP/1.0',
      `POST /a HTTP/1.0\r\nHost: catalog\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
      400,
    ],
    [
      'a transfer coding besides chunked',
      `POST /a HTTP/1.1\r\nHost: catalog\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
      501,
    ],
    ['two Host fields', `GET /a HTTP/1.1\r\nHost: catalog\r\nHost: evil\r\n\r\n${SMUGGLED}`, 400],
    ['no Host field', `GET /a HTTP/1.1\r\n\r\n${SMUGGLED}`, 400],
  ])('a smuggling attempt gets %s refused and the connection closed', async (_name, bytes, status) => {
    const before = chain.app.seen.length;
    const reply = await rawExchange(chain.catalog.addresses.inbound, bytes);
    expect(statusOf(reply.text)).toBe(status);
    expect(reply.text).toContain(`${Headers.proxyError}: bad-request`);
    expect(reply.text.toLowerCase()).toContain('connection: close');
    expect(reply.closed).toBe(true);
    // Exactly one response: nothing after the first was parsed as a request of its own.
    expect(reply.text.match(/HTTP\/1\.1 \d{3}/g)).toHaveLength(1);
    expect(chain.app.seen.length).toBe(before);
  });

  it('a smuggling attempt on the outbound listener gets 400 too, and nothing reaches the next proxy', async () => {
    const before = chain.app.seen.length;
    const reply = await rawExchange(
      chain.web.addresses.outbound,
      `POST /a HTTP/1.1\r\nHost: catalog.shop\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    );
    expect(statusOf(reply.text)).toBe(400);
    expect(reply.closed).toBe(true);
    expect(chain.app.seen.length).toBe(before);
  });
});

describe('interim responses and OPTIONS *', () => {
  let chain: Awaited<ReturnType<typeof startChain>>;

  beforeAll(async () => {
    chain = await startChain({
      app: {
        '/hints': (_req, res) => {
          res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style', 'x-hint': 'early' });
          setImmediate(() => {
            res.writeProcessing();
            res.writeHead(200, { 'content-type': 'text/plain', 'x-app': 'catalog' }).end('final');
          });
        },
      },
    });
  });
  afterAll(async () => {
    await chain.stop();
  });

  it('103 Early Hints and 102 Processing reach the client through both proxies, before the final response', async () => {
    const interim: { status: number; headers: http.IncomingHttpHeaders }[] = [];
    const final = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        {
          host: chain.web.addresses.outbound.host,
          port: chain.web.addresses.outbound.port,
          path: '/hints',
          headers: { host: 'catalog.shop' },
          agent: false,
        },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('information', (info) => interim.push({ status: info.statusCode, headers: info.headers }));
      req.on('error', reject);
      req.end();
    });
    expect(final).toEqual({ status: 200, body: 'final' });
    expect(interim.map((i) => i.status)).toEqual([103, 102]);
    expect(interim[0]?.headers.link).toBe('</style.css>; rel=preload; as=style');
    expect(interim[0]?.headers['x-hint']).toBe('early');
  });

  it('no interim response goes to an HTTP/1.0 client', async () => {
    const reply = await rawExchange(
      chain.catalog.addresses.inbound,
      'GET /hints HTTP/1.0\r\nHost: catalog\r\n\r\n',
    );
    expect(reply.text).toMatch(/^HTTP\/1\.1 200 /);
    expect(reply.text).not.toContain(' 103 ');
    expect(reply.text.endsWith('final')).toBe(true);
  });

  it('OPTIONS * is forwarded as asterisk-form through both proxies', async () => {
    const before = chain.app.seen.length;
    const reply = await rawExchange(
      chain.web.addresses.outbound,
      'OPTIONS * HTTP/1.1\r\nHost: catalog.shop\r\nConnection: close\r\n\r\n',
    );
    expect(statusOf(reply.text)).toBe(200);
    const seen = chain.app.seen.slice(before);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['OPTIONS *']);
  });

  it('OPTIONS with an absolute URL without a path asks about the server: OPTIONS * upstream', async () => {
    const before = chain.app.seen.length;
    const reply = await send(chain.web.addresses.outbound, {
      method: 'OPTIONS',
      target: 'http://catalog.shop',
    });
    expect(reply.status).toBe(200);
    expect(chain.app.seen.slice(before).map((s) => `${s.method} ${s.url}`)).toEqual(['OPTIONS *']);
  });

  it('the asterisk-form with another method is refused', async () => {
    const reply = await rawExchange(
      chain.catalog.addresses.inbound,
      'GET * HTTP/1.1\r\nHost: catalog\r\nConnection: close\r\n\r\n',
    );
    expect(statusOf(reply.text)).toBe(400);
    expect(reply.text).toContain('OPTIONS *');
  });
});

describe('drain at shutdown', () => {
  it('finishes an in-flight slow request with Connection: close and refuses new connections', async () => {
    let release: () => void = () => {};
    let arrived: () => void = () => {};
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    const app = await startApp('catalog', {
      '/slow': (_req, res) => {
        arrived();
        release = () => res.writeHead(200, { 'x-app': 'catalog' }).end('slow done');
      },
    });
    const proxy = await startTestProxy({
      service: 'catalog',
      app: app.address,
      controlPlane: new URL(`http://127.0.0.1:${await closedPort()}`),
      configFile: writeConfig({ version: 'drain-1', services: [] }),
      tuning: { drainGraceMs: 5_000 },
    });
    try {
      const agent = new http.Agent({ keepAlive: true });
      const inFlight = new Promise<{ status: number; connection: string | undefined; body: string }>(
        (resolve, reject) => {
          const req = http.request(
            {
              host: proxy.addresses.inbound.host,
              port: proxy.addresses.inbound.port,
              path: '/slow',
              headers: { host: 'catalog' },
              agent,
            },
            (res) => {
              let body = '';
              res.on('data', (c: Buffer) => (body += c.toString()));
              res.on('end', () =>
                resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }),
              );
            },
          );
          req.on('error', reject);
          req.end();
        },
      );
      await arrival;
      const stopped = proxy.stop();
      // Not accepting any more: a new connection is refused while the slow request is still running.
      await waitFor(async () => {
        const r = await rawExchange(proxy.addresses.inbound, 'GET / HTTP/1.1\r\nHost: catalog\r\n\r\n', 500);
        return r.closed && r.text === '';
      });
      release();
      expect(await inFlight).toEqual({ status: 200, connection: 'close', body: 'slow done' });
      await stopped;
      agent.destroy();
    } finally {
      await proxy.stop();
      await app.close();
    }
  });
});

describe('SIGTERM', () => {
  it('drains the real process: the in-flight slow request finishes, new connections are refused, exit 0', async () => {
    let release: () => void = () => {};
    let arrived: () => void = () => {};
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    const app = await startApp('catalog', {
      '/slow': (_req, res) => {
        arrived();
        release = () => res.writeHead(200, { 'x-app': 'catalog' }).end('slow done');
      },
    });
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        MAIN,
        ...['--service', 'catalog', '--namespace', 'shop', '--version', 'v1'],
        ...['--app', hostPortOf(app.address), '--inbound', '127.0.0.1:0', '--outbound', '127.0.0.1:0'],
        ...['--admin', '127.0.0.1:0', '--config-file', writeConfig({ version: 'sigterm-1', services: [] })],
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      let stdout = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.resume();
      const port = Number(await waitFor(() => /inbound 127\.0\.0\.1:(\d+)/.exec(stdout)?.[1], 20_000));
      const inbound: HostPort = { host: '127.0.0.1', port, family: 'ipv4' };
      const inFlight = send(inbound, {
        target: '/slow',
        headers: { host: 'catalog', connection: 'keep-alive' },
      });
      await arrival;
      child.kill('SIGTERM');
      await waitFor(async () => {
        const r = await rawExchange(inbound, 'GET / HTTP/1.1\r\nHost: catalog\r\n\r\n', 500);
        return r.closed && r.text === '';
      });
      release();
      const reply = await inFlight;
      expect(reply.status).toBe(200);
      expect(reply.text).toBe('slow done');
      expect(reply.headers.connection).toBe('close');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await app.close();
    }
  });
});

describe('a proxy process with few file descriptors', () => {
  it('derives its connection limit from them, so 300 idle sockets leave /live and requests answered', async () => {
    const app = await startApp('catalog');
    const args = [
      '--import',
      'tsx',
      MAIN,
      ...['--service', 'catalog', '--namespace', 'shop', '--version', 'v1'],
      ...['--app', hostPortOf(app.address), '--inbound', '127.0.0.1:0', '--outbound', '127.0.0.1:0'],
      ...['--admin', '127.0.0.1:0', '--config-file', writeConfig({ version: 'fds-1', services: [] })],
    ];
    // 256 descriptors in all: without a limit, 300 idle connections would exhaust them (EMFILE), and
    // then no listener, the admin one included, could accept anything.
    const child = spawn('/bin/sh', ['-c', 'ulimit -n 256 && exec "$0" "$@"', process.execPath, ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const sockets: net.Socket[] = [];
    try {
      let stdout = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.resume();
      const ready = await waitFor(
        () => /inbound (\S+) -> .* admin (\S+)$/m.exec(stdout) ?? undefined,
        20_000,
      );
      const [inbound, admin] = [ready[1], ready[2]].map((a) => {
        const [host, port] = String(a).split(':');
        return { host: String(host), port: Number(port), family: 'ipv4' as const };
      }) as [HostPort, HostPort];
      const metrics = (await send(admin, { target: '/metrics' })).text;
      expect(sample(metrics, 'weft_proxy_connections_max', { listener: 'inbound' })).toBe(64);

      for (let i = 0; i < 300; i++) {
        const socket = net.connect(inbound.port, inbound.host);
        socket.on('error', () => {});
        sockets.push(socket);
      }
      await waitFor(() => sockets.every((s) => !s.connecting) && sockets);

      const live = await send(admin, { target: '/live' });
      expect(live.status).toBe(200);
      const started = performance.now();
      const reply = await send(inbound, { target: '/items', headers: { host: 'catalog' } });
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(reply.status).toBe(503);
      expect(reply.headers[Headers.proxyError]).toBe('connection-limit');
      const after = (await send(admin, { target: '/metrics' })).text;
      expect(sample(after, 'weft_proxy_connections_refused_total', { listener: 'inbound' })).toBeGreaterThan(
        200,
      );
    } finally {
      for (const s of sockets) s.destroy();
      child.kill('SIGKILL');
      await app.close();
    }
  });
});

/** A WebSocket echo application: handshake by hand, text frames echoed, close answered. */
async function startWebSocketEcho(): Promise<{
  address: HostPort;
  upgrades: http.IncomingHttpHeaders[];
  close(): Promise<void>;
}> {
  const upgrades: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((_req, res) =>
    res.writeHead(426, { 'x-app': 'echo' }).end('upgrade required'),
  );
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    upgrades.push(req.headers);
    if (req.headers.upgrade !== 'websocket') {
      socket.end(
        'HTTP/1.1 426 Upgrade Required\r\nupgrade: websocket\r\nconnection: close\r\ncontent-length: 17\r\nx-app: echo\r\n\r\nupgrade required\n',
      );
      return;
    }
    const accept = createHash('sha1')
      .update(`${String(req.headers['sec-websocket-key'])}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
      .digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nx-app: echo\r\n\r\n`,
    );
    let pending = head;
    const onData = (chunk: Buffer): void => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const frame = readFrame(pending);
        if (frame === undefined) return;
        pending = pending.subarray(frame.size);
        if (frame.opcode === 8) {
          socket.end(Buffer.from([0x88, 0]));
          return;
        }
        socket.write(
          Buffer.concat([Buffer.from([0x80 | frame.opcode, frame.payload.length]), frame.payload]),
        );
      }
    };
    socket.on('data', onData);
    socket.on('error', () => {});
    if (head.length > 0) onData(Buffer.alloc(0));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    address: { host: '127.0.0.1', port, family: 'ipv4' },
    upgrades,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** One small frame (payload < 126 bytes), unmasked if masked; undefined until it is complete. */
function readFrame(buf: Buffer): { opcode: number; payload: Buffer; size: number } | undefined {
  if (buf.length < 2) return undefined;
  const opcode = (buf[0] as number) & 0x0f;
  const masked = ((buf[1] as number) & 0x80) !== 0;
  const length = (buf[1] as number) & 0x7f;
  const start = 2 + (masked ? 4 : 0);
  if (buf.length < start + length) return undefined;
  const payload = Buffer.from(buf.subarray(start, start + length));
  if (masked)
    for (let i = 0; i < payload.length; i++)
      payload[i] = (payload[i] as number) ^ (buf[2 + (i % 4)] as number);
  return { opcode, payload, size: start + length };
}

/** A client's masked text frame. */
function clientTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] as number)));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

describe('WebSocket upgrades', () => {
  let echo: Awaited<ReturnType<typeof startWebSocketEcho>>;
  let catalog: Awaited<ReturnType<typeof startTestProxy>>;
  let web: Awaited<ReturnType<typeof startTestProxy>>;

  beforeAll(async () => {
    echo = await startWebSocketEcho();
    catalog = await startTestProxy({
      service: 'catalog',
      version: 'v2',
      app: echo.address,
      configFile: writeConfig({ version: 'ws-catalog', services: [] }),
    });
    web = await startTestProxy({
      service: 'web',
      app: loopback(await closedPort()),
      configFile: writeConfig({
        version: 'ws-web',
        services: [
          {
            name: 'catalog',
            namespace: 'shop',
            endpoints: [
              { proxyId: 'catalog.shop-test', address: hostPortOf(catalog.addresses.inbound), version: 'v2' },
            ],
          },
        ],
      }),
    });
  });
  afterAll(async () => {
    await Promise.all([web.stop(), catalog.stop()]);
    await echo.close();
  });

  it('echoes through the outbound and inbound proxies, and counts as one request with status 101', async () => {
    const socket = net.connect(web.addresses.outbound.port, web.addresses.outbound.host);
    socket.on('error', () => {});
    let received = Buffer.alloc(0);
    socket.on('data', (c: Buffer) => (received = Buffer.concat([received, c])));
    socket.write(
      'GET /chat HTTP/1.1\r\nHost: catalog.shop\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    const headEnd = await waitFor(() => {
      const at = received.indexOf('\r\n\r\n');
      return at === -1 ? undefined : at + 4;
    });
    const head = received.subarray(0, headEnd).toString('latin1');
    expect(head).toMatch(/^HTTP\/1\.1 101 /);
    expect(head).toContain('sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    expect(head.toLowerCase()).toContain('upgrade: websocket');
    received = received.subarray(headEnd);

    for (const text of ['hello', 'through two proxies']) {
      socket.write(clientTextFrame(text));
      const frame = await waitFor(() => readFrame(received));
      received = received.subarray(frame.size);
      expect(frame.payload.toString()).toBe(text);
    }
    // The application saw the upgrade with the mesh's headers, the connection-scoped ones restored.
    expect(echo.upgrades).toHaveLength(1);
    expect(echo.upgrades[0]?.upgrade).toBe('websocket');
    expect(echo.upgrades[0]?.traceparent).toMatch(/^00-/);

    socket.write(Buffer.from([0x88, 0x80, 0, 0, 0, 0]));
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const metrics = await waitFor(async () => {
      const text = (await adminGet(web, '/metrics')).text;
      return text.includes('response_code="101"') && text;
    });
    expect(
      sample(metrics, 'weft_requests_total', {
        reporter: 'outbound',
        source_service: 'web',
        source_namespace: 'shop',
        source_version: 'v1',
        destination_service: 'catalog',
        destination_namespace: 'shop',
        destination_version: 'v2',
        response_code: '101',
      }),
    ).toBe(1);
  });

  it('an upgrade refused by the application or by a layer comes back as a response, and the connection closes', async () => {
    const byApp = await rawExchange(
      web.addresses.outbound,
      'GET /chat HTTP/1.1\r\nHost: catalog.shop\r\nConnection: Upgrade\r\nUpgrade: not-websocket\r\n\r\n',
    );
    expect(statusOf(byApp.text)).toBe(426);
    expect(byApp.text).toContain('x-app: echo');
    expect(byApp.text.endsWith('upgrade required\n')).toBe(true);
    expect(byApp.closed).toBe(true);

    const byLayer = await rawExchange(
      web.addresses.outbound,
      'GET /chat HTTP/1.1\r\nHost: nowhere.shop\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
    );
    expect(statusOf(byLayer.text)).toBe(503);
    expect(byLayer.text).toContain(`${Headers.proxyError}: no-endpoints`);
    expect(byLayer.closed).toBe(true);
  });
});
