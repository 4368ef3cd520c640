/**
 * The config stream end to end, on SQLite and PostgreSQL: real proxies (child processes) hold one SSE stream
 * each to the real API, ACK what they put in force, learn membership changes through the stream, and a
 * TrafficSplit applied through tRPC ends up ACKed by every proxy with the policy's Programmed=True.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Condition, PolicyResourceInput, ProxyConfig } from '@weft/schema';
import { startApi, type RunningApi } from '../src/app.ts';
import type { ProxyConfigRow } from '../src/config-stream/hub.ts';
import type { StoredPolicy } from '../src/policies/platform.ts';
import {
  bearer,
  signIn,
  testApiOptions,
  trpcMutation,
  trpcQuery,
  workloadToken,
  type Session,
} from './support/auth.ts';
import { BACKENDS, type TestDatabase } from './support/databases.ts';
import { waitFor } from './support/ports.ts';
import { startProxy, type ProxyProcess } from './support/proxy-process.ts';
import { startAlpha, startBeta, type TestService } from './support/upstreams.ts';

/** How long a change may take to reach every proxy through the stream (it is pushed at once). */
const PUSH_BOUND_MS = 5_000;

interface SseMessage {
  event: string;
  id: string | undefined;
  data: string;
}

/** Reads whole events (comments skipped) from a fetch response of text/event-stream. */
function sseReader(res: Response) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    async next(timeoutMs = PUSH_BOUND_MS): Promise<SseMessage | null> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = block.split('\n').filter((l) => !l.startsWith(':'));
          if (lines.length === 0) continue;
          const field = (name: string) =>
            lines.filter((l) => l.startsWith(`${name}: `)).map((l) => l.slice(name.length + 2));
          return {
            event: field('event')[0] ?? 'message',
            id: field('id')[0],
            data: field('data').join('\n'),
          };
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no event within ${timeoutMs} ms`);
        let timer: NodeJS.Timeout | undefined;
        const chunk = await Promise.race([
          reader.read(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no event within ${timeoutMs} ms`)), left);
          }),
        ]).finally(() => clearTimeout(timer));
        if (chunk.done) return null;
        buffer += decoder.decode(chunk.value as Uint8Array, { stream: true });
      }
    },
    cancel: () => reader.cancel().catch(() => undefined),
  };
}

async function proxyConfig(proxy: ProxyProcess): Promise<ProxyConfig> {
  const res = await fetch(`http://${proxy.admin}/config`);
  return (await res.json()) as ProxyConfig;
}

function programmed(stored: StoredPolicy): Condition | undefined {
  return stored.conditions.find((c) => c.type === 'Programmed');
}

describe.each(BACKENDS)('the config stream on $name', (backend) => {
  let database: TestDatabase;
  let api: RunningApi;
  let admin: Session;
  let alpha: TestService;
  let beta: TestService;
  const proxies: ProxyProcess[] = [];
  let alphaProxy: ProxyProcess;
  const tokens = new Map<string, string>();

  const list = () => trpcQuery<ProxyConfigRow[]>(api.url, admin, 'proxies.list');

  async function start(service: 'alpha' | 'beta' | 'gamma', version = 'v1'): Promise<ProxyProcess> {
    const key = `${service}@${version}`;
    let token = tokens.get(key);
    if (!token) {
      token = await workloadToken(api.url, admin, { namespace: 'it', service, version });
      tokens.set(key, token);
    }
    const proxy = await startProxy({
      service,
      namespace: 'it',
      version,
      app: (service === 'alpha' ? alpha : beta).address,
      controlPlane: api.url,
      token,
    });
    proxies.push(proxy);
    return proxy;
  }

  /** Every live proxy was sent the current version and ACKed it; resolves with that version. */
  async function allAcked(count: number, what: string): Promise<string> {
    return waitFor(
      what,
      async () => {
        const rows = await list();
        const version = rows[0]?.configVersion;
        return rows.length === count &&
          version &&
          rows.every((r) => r.configVersion === version && r.ackedVersion === version && r.nack === null)
          ? version
          : undefined;
      },
      PUSH_BOUND_MS * 2,
    );
  }

  beforeAll(async () => {
    database = await backend.start();
    api = await startApi(await testApiOptions(database.url), () => undefined);
    admin = await signIn(api.url);
    beta = await startBeta(0);
    alpha = await startAlpha(() => alphaProxy?.outbound ?? '');
    await start('beta', 'v1');
    await start('beta', 'v2');
    alphaProxy = await start('alpha');
  });

  afterAll(async () => {
    await Promise.allSettled(proxies.map((p) => p.stop()));
    await Promise.allSettled([alpha?.close(), beta?.close()]);
    await api?.close();
    await database?.stop();
  });

  it('every proxy holds a stream, gets the snapshot and ACKs it (proxies.list)', async () => {
    const version = await allAcked(3, 'all three proxies to ACK the config they were sent');
    const rows = await list();
    expect(rows.map((r) => [r.service, r.version]).sort()).toEqual([
      ['alpha', 'v1'],
      ['beta', 'v1'],
      ['beta', 'v2'],
    ]);
    expect(rows.every((r) => r.namespace === 'it' && typeof r.ackedAtMs === 'number')).toBe(true);
    // What the proxies run is what the long-poll route (kept for older proxies) serves too.
    expect((await proxyConfig(alphaProxy)).version).toBe(version);
    for (const proxy of proxies) {
      expect(proxy.output()).toContain('config stream connected');
      expect(proxy.output()).not.toContain('no config stream');
    }
  });

  it('pushes a membership change to the other proxies through the stream within a bounded wait', async () => {
    const before = await allAcked(3, 'a settled mesh');
    const gamma = await start('gamma');
    const joinedAt = Date.now();
    await waitFor(
      'alpha to learn gamma',
      async () => (await proxyConfig(alphaProxy)).services.some((s) => s.name === 'gamma'),
      PUSH_BOUND_MS,
      20,
    );
    expect(Date.now() - joinedAt).toBeLessThan(PUSH_BOUND_MS);
    // Only the stream client ACKs: the new version was delivered over the stream, not by a poll.
    const after = await allAcked(4, 'all four proxies to ACK the version with gamma');
    expect(after).not.toBe(before);

    await gamma.stop();
    proxies.splice(proxies.indexOf(gamma), 1);
    await waitFor(
      'alpha to forget gamma',
      async () => !(await proxyConfig(alphaProxy)).services.some((s) => s.name === 'gamma'),
      PUSH_BOUND_MS,
      20,
    );
    await allAcked(3, 'the three remaining proxies to ACK the version without gamma');
    expect(alphaProxy.output()).not.toContain('long-polling');
  });

  it('serves the stream and the ACK route by the rules: token scope, bounded body, one stream per proxy', async () => {
    const token = await workloadToken(api.url, admin, { namespace: 'it', service: 'probe' });
    const proxyId = 'probe-1';
    const reg = await fetch(`${api.url}/v1/proxies/register`, {
      method: 'POST',
      headers: bearer(token),
      body: JSON.stringify({
        proxyId,
        service: 'probe',
        namespace: 'it',
        inboundAddress: '127.0.0.1:1',
        adminAddress: '127.0.0.1:1',
      }),
    });
    expect(reg.status).toBe(200);
    const streamUrl = `${api.url}/v1/proxies/${proxyId}/config/stream`;
    const ackUrl = `${api.url}/v1/proxies/${proxyId}/config/ack`;
    try {
      // Another workload's token may not read this proxy's config, nor answer for it.
      const other = tokens.get('alpha@v1')!;
      expect((await fetch(streamUrl, { headers: bearer(other) })).status).toBe(403);
      expect(
        (
          await fetch(ackUrl, {
            method: 'POST',
            headers: bearer(other),
            body: JSON.stringify({ version: 'x', status: 'ACK' }),
          })
        ).status,
      ).toBe(403);
      expect((await fetch(streamUrl)).status).toBe(401);

      const first = await fetch(streamUrl, { headers: bearer(token) });
      expect(first.status).toBe(200);
      expect(first.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const reader = sseReader(first);
      const snapshot = await reader.next();
      expect(snapshot?.event).toBe('config');
      const config = JSON.parse(snapshot!.data) as ProxyConfig;
      expect(snapshot?.id).toBe(config.version);
      expect(config.services.some((s) => s.name === 'probe')).toBe(true);

      // A bad or oversized answer is refused; a NACK with a reason is recorded.
      const ack = (body: unknown) =>
        fetch(ackUrl, { method: 'POST', headers: bearer(token), body: JSON.stringify(body) });
      expect((await ack({ version: config.version, status: 'MAYBE' })).status).toBe(400);
      expect((await ack({ version: config.version, status: 'NACK', reason: 'x'.repeat(5000) })).status).toBe(
        400,
      );
      expect(
        (await ack({ version: config.version, status: 'NACK', reason: 'y'.repeat(20_000) })).status,
      ).toBe(413);
      expect((await ack({ version: config.version, status: 'NACK', reason: 'not today' })).status).toBe(204);
      const row = (await list()).find((r) => r.proxyId === proxyId);
      expect(row).toMatchObject({
        configVersion: config.version,
        ackedVersion: null,
        nack: { version: config.version, reason: 'not today' },
      });
      expect((await ack({ version: config.version, status: 'ACK' })).status).toBe(204);
      expect((await list()).find((r) => r.proxyId === proxyId)).toMatchObject({
        ackedVersion: config.version,
        nack: null,
      });

      // A second stream for the same proxy replaces the first, which the API ends.
      const second = await fetch(streamUrl, { headers: bearer(token) });
      const secondReader = sseReader(second);
      expect((await secondReader.next())?.id).toBe(config.version);
      expect(await reader.next()).toBeNull();
      await secondReader.cancel();
    } finally {
      await fetch(`${api.url}/v1/proxies/${proxyId}`, { method: 'DELETE', headers: bearer(token) });
    }
  });

  it('a TrafficSplit reaches every proxy, every proxy ACKs it, and the policy turns Programmed=True', async () => {
    const before = await allAcked(3, 'a settled mesh');
    const split: PolicyResourceInput = {
      apiVersion: 'policy.weft.dev/v1alpha1',
      kind: 'TrafficSplit',
      metadata: { name: 'beta-canary', namespace: 'it' },
      spec: {
        targetRef: { name: 'beta' },
        backends: [
          { version: 'v1', weight: 90 },
          { version: 'v2', weight: 10 },
        ],
      },
    };
    const applied = await trpcMutation<StoredPolicy>(api.url, admin, 'policies.upsert', split);
    expect(applied.resource.metadata.generation).toBe(1);

    const version = await allAcked(3, 'every proxy to ACK the config with the split');
    expect(version).not.toBe(before);
    const config = await proxyConfig(alphaProxy);
    expect(config.version).toBe(version);

    const ref = { kind: 'TrafficSplit', namespace: 'it', name: 'beta-canary' };
    const stored = await waitFor(
      'the split to be Programmed',
      async () => {
        const p = await trpcQuery<StoredPolicy>(api.url, admin, 'policies.get', ref);
        return programmed(p)?.status === 'True' ? p : undefined;
      },
      PUSH_BOUND_MS * 2,
    );
    expect(programmed(stored)).toMatchObject({
      status: 'True',
      reason: 'Programmed',
      observedGeneration: 1,
    });

    // A new generation is Pending until the proxies have it, then Programmed again.
    await trpcMutation<StoredPolicy>(api.url, admin, 'policies.upsert', {
      ...split,
      spec: {
        ...split.spec,
        backends: [
          { version: 'v1', weight: 50 },
          { version: 'v2', weight: 50 },
        ],
      },
    });
    await waitFor(
      'generation 2 to be Programmed',
      async () => {
        const p = await trpcQuery<StoredPolicy>(api.url, admin, 'policies.get', ref);
        const c = programmed(p);
        return c?.status === 'True' && c.observedGeneration === 2;
      },
      PUSH_BOUND_MS * 2,
    );
    await trpcMutation(api.url, admin, 'policies.delete', ref);
  });
});
