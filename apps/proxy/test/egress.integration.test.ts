/**
 * Egress through the outbound listener, on real sockets: an application that uses its sidecar as its HTTP
 * proxy reaches a server outside the mesh (absolute-form, by Host, and through a CONNECT tunnel), measured
 * as an edge to an external destination; the REGISTRY_ONLY outbound traffic policy blocks it with a 502
 * that says why; the inbound listener never forwards outside (no open proxy).
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Attr,
  EXTERNAL_NAMESPACE,
  Headers,
  attributeString,
  exportMetricsServiceRequestSchema,
} from '@weft/schema';
import type { RunningProxy } from '../src/proxy.ts';
import {
  LOOPBACK,
  adminGet,
  closedPort,
  loopback,
  sample,
  send,
  startApp,
  startChain,
  startOtlpReceiver,
  startTestProxy,
  waitFor,
  writeConfig,
} from './helpers.ts';

/** CONNECT through `proxy`; resolves with the status and, on 200, the tunnel's socket (else the reply's body). */
function connectThrough(
  proxy: { host: string; port: number },
  target: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; socket: Socket | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: proxy.host,
      port: proxy.port,
      method: 'CONNECT',
      path: target,
      agent: false,
    });
    // node:http hands over the socket on any answer to a CONNECT; the bytes after the head are the body.
    req.on('connect', (res, socket, head) => {
      const status = res.statusCode ?? 0;
      if (status === 200) {
        resolve({ status, headers: res.headers, body: '', socket });
        return;
      }
      let body = head.toString();
      socket.on('data', (c: Buffer) => (body += c.toString()));
      socket.on('close', () => resolve({ status, headers: res.headers, body, socket: undefined }));
      socket.resume();
    });
    req.on('error', reject);
    req.end();
  });
}

/** One HTTP/1.1 exchange written by hand over a tunnel; resolves with the response once its body is in. */
function exchangeOver(socket: Socket, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    socket.on('data', (c: Buffer) => {
      text += c.toString();
      const headEnd = text.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: (\d+)/i.exec(text)?.[1];
      const whole =
        headEnd !== -1 &&
        (length === undefined ? text.endsWith('\r\n0\r\n\r\n') : text.length - headEnd - 4 >= Number(length));
      if (whole) {
        socket.destroy();
        resolve(text);
      }
    });
    socket.on('error', reject);
    socket.resume();
    socket.write(request);
  });
}

describe('egress with the default outbound traffic policy (ALLOW_ANY)', () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let chain: Awaited<ReturnType<typeof startChain>>;
  let outside: Awaited<ReturnType<typeof startApp>>;
  let outsideName: string;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    chain = await startChain({ controlPlane: receiver.url, flushIntervalMs: 100 });
    outside = await startApp('outside');
    outsideName = outside.hostPort;
  });
  afterAll(async () => {
    await chain.stop();
    await outside.close();
    await receiver.close();
  });

  it('forwards an absolute-form request for a host outside the mesh to that host', async () => {
    const res = await send(chain.web.addresses.outbound, {
      target: `http://${outside.hostPort}/x?y=1`,
      headers: { 'x-app-header': 'kept' },
    });
    expect(res.status).toBe(200);
    expect(res.headers['x-app']).toBe('outside');
    const seen = outside.seen.find((r) => r.url === '/x?y=1');
    expect(seen?.headers.host).toBe(outside.hostPort);
    expect(seen?.headers['x-app-header']).toBe('kept');
    // The mesh identity is for other proxies: an outside host never gets it.
    expect(seen?.headers[Headers.source]).toBeUndefined();
    expect(seen?.headers.via).toBe('1.1 weft-web.shop-test');
  });

  it('forwards a request whose Host is not a mesh service, and still routes mesh services in the mesh', async () => {
    expect(
      (await send(chain.web.addresses.outbound, { target: '/by-host', headers: { host: outside.hostPort } }))
        .status,
    ).toBe(200);
    expect(outside.seen.some((r) => r.url === '/by-host')).toBe(true);
    const mesh = await send(chain.web.addresses.outbound, {
      target: '/mesh',
      headers: { host: 'catalog.shop' },
    });
    expect(mesh.headers['x-app']).toBe('catalog');
  });

  it('answers 502 naming the host when an outside host cannot be reached', async () => {
    const port = await closedPort();
    const res = await send(chain.web.addresses.outbound, { target: `http://${LOOPBACK}:${port}/` });
    expect(res.status).toBe(502);
    expect(res.headers[Headers.proxyError]).toBe('upstream-connect-failure');
    // `.invalid` never resolves (RFC 6761): a name outside the mesh that DNS does not know.
    const unknown = await send(chain.web.addresses.outbound, { target: 'http://no-such-host.invalid/' });
    expect(unknown.status).toBe(502);
    expect(unknown.headers[Headers.proxyError]).toBe('upstream-connect-failure');
  });

  it('answers 508 egress-loop, forwarding once, when a request names the proxy itself', async () => {
    const own = `${chain.web.addresses.outbound.host}:${chain.web.addresses.outbound.port}`;
    const res = await send(chain.web.addresses.outbound, { target: `http://${own}/loop` });
    expect(res.status).toBe(508);
    expect(res.headers[Headers.proxyError]).toBe('egress-loop');
  });

  it('tunnels CONNECT to an outside host, and refuses CONNECT to a mesh service', async () => {
    const tunnel = await connectThrough(chain.web.addresses.outbound, outside.hostPort);
    expect(tunnel.status).toBe(200);
    const answer = await exchangeOver(
      tunnel.socket!,
      `GET /through-tunnel HTTP/1.1\r\nHost: ${outside.hostPort}\r\nConnection: close\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toContain('x-app: outside');
    expect(outside.seen.some((r) => r.url === '/through-tunnel')).toBe(true);

    const mesh = await connectThrough(chain.web.addresses.outbound, 'catalog.shop:80');
    expect(mesh.status).toBe(400);
    expect(mesh.headers[Headers.proxyError]).toBe('bad-request');
    expect(mesh.body).toContain('mesh service');

    const refused = await connectThrough(chain.web.addresses.outbound, `${LOOPBACK}:${await closedPort()}`);
    expect(refused.status).toBe(502);
  });

  it('measures egress as edges to external destinations, on /metrics and over OTLP', async () => {
    const labels = {
      reporter: 'outbound',
      source_service: 'web',
      source_namespace: 'shop',
      source_version: 'v1',
      destination_service: outsideName,
      destination_namespace: EXTERNAL_NAMESPACE,
      destination_version: 'unknown',
    };
    const text = await waitFor(async () => {
      const t = (await adminGet(chain.web, '/metrics')).text;
      // /x, /by-host, and the CONNECT tunnel once it closed.
      return sample(t, 'weft_requests_total', { ...labels, response_code: '200' }) === 3 && t;
    });
    // /x, /by-host, the closed port, no-such-host.invalid, and the loop's first hop (its second: 508).
    expect(sample(text, 'weft_proxy_egress_requests_total', { kind: 'http', outcome: 'forwarded' })).toBe(5);
    expect(sample(text, 'weft_proxy_egress_requests_total', { kind: 'connect', outcome: 'forwarded' })).toBe(
      2,
    );
    expect(sample(text, 'weft_proxy_outbound_traffic_policy_info', { mode: 'ALLOW_ANY' })).toBe(1);
    // A name with a port other than 80/443 keeps it; 80 and 443 are left out.
    expect(text).toContain('destination_service="no-such-host.invalid"');

    const points = await waitFor(() => {
      const found = receiver.metrics.flatMap((p) =>
        exportMetricsServiceRequestSchema
          .parse(p)
          .resourceMetrics.flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics))
          .flatMap((m) => m.histogram?.dataPoints ?? [])
          .filter((d) => attributeString(d.attributes, Attr.destinationNamespace) === EXTERNAL_NAMESPACE),
      );
      return found.length > 0 && found;
    });
    expect(points.some((d) => attributeString(d.attributes, Attr.destinationService) === outsideName)).toBe(
      true,
    );
  });

  it('never forwards outside from the inbound listener: no CONNECT, and absolute-form goes to the app', async () => {
    const connect = await connectThrough(chain.catalog.addresses.inbound, outside.hostPort);
    expect(connect.status).toBe(405);
    const before = outside.seen.length;
    const res = await send(chain.catalog.addresses.inbound, { target: `http://${outside.hostPort}/ssrf` });
    expect(res.headers['x-app']).toBe('catalog');
    expect(outside.seen.length).toBe(before);
  });
});

describe('egress under the REGISTRY_ONLY outbound traffic policy', () => {
  let outside: Awaited<ReturnType<typeof startApp>>;
  let catalog: Awaited<ReturnType<typeof startApp>>;
  let web: RunningProxy;

  beforeAll(async () => {
    outside = await startApp('outside');
    catalog = await startApp('catalog');
    web = await startTestProxy({
      service: 'web',
      app: loopback(await closedPort()),
      controlPlane: new URL(`http://${LOOPBACK}:${await closedPort()}`),
      tuning: { appCheckIntervalMs: 0 },
      configFile: writeConfig({
        version: 'registry-only-1',
        services: [
          {
            name: 'catalog',
            namespace: 'shop',
            endpoints: [{ proxyId: 'catalog.shop-1', address: catalog.hostPort, version: 'v1' }],
          },
        ],
        outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
      }),
    });
  });
  afterAll(async () => {
    await web.stop();
    await outside.close();
    await catalog.close();
  });

  it('answers 502 egress-blocked with the reason, forwards nothing, and still routes mesh services', async () => {
    const res = await send(web.addresses.outbound, { target: `http://${outside.hostPort}/blocked` });
    expect(res.status).toBe(502);
    expect(res.headers[Headers.proxyError]).toBe('egress-blocked');
    expect(res.text).toContain('REGISTRY_ONLY');
    expect(res.text).toContain(outside.hostPort);

    const tunnel = await connectThrough(web.addresses.outbound, outside.hostPort);
    expect(tunnel.status).toBe(502);
    expect(tunnel.headers[Headers.proxyError]).toBe('egress-blocked');
    expect(outside.seen).toEqual([]);

    expect(
      (await send(web.addresses.outbound, { target: '/', headers: { host: 'catalog.shop' } })).status,
    ).toBe(200);
  });

  it('counts what it blocked, as egress and as 502s to the external destination', async () => {
    const text = (await adminGet(web, '/metrics')).text;
    expect(sample(text, 'weft_proxy_outbound_traffic_policy_info', { mode: 'REGISTRY_ONLY' })).toBe(1);
    expect(sample(text, 'weft_proxy_egress_requests_total', { kind: 'http', outcome: 'blocked' })).toBe(1);
    expect(sample(text, 'weft_proxy_egress_requests_total', { kind: 'connect', outcome: 'blocked' })).toBe(1);
    expect(
      sample(text, 'weft_requests_total', {
        reporter: 'outbound',
        source_service: 'web',
        source_namespace: 'shop',
        source_version: 'v1',
        destination_service: outside.hostPort,
        destination_namespace: EXTERNAL_NAMESPACE,
        destination_version: 'unknown',
        response_code: '502',
      }),
    ).toBe(2);
  });
});
