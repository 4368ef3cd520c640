/** Readiness changes reach the control plane at once, not at the next heartbeat (fake timers, no sockets). */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Backoff } from '../telemetry/backoff.ts';
import type { ControlPlaneClient, ControlPlaneResponse } from './control-plane-http.ts';
import { Registration } from './registration.ts';

describe('Registration readiness', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function setup() {
    const sent: { ready?: boolean }[] = [];
    /** Answers are held until the test releases them, so an attempt can be caught in flight. */
    const pending: (() => void)[] = [];
    const client: ControlPlaneClient = {
      baseUrl: 'http://cp.test',
      hasToken: false,
      url: (path) => `http://cp.test${path}`,
      send: (_method, _path, options) => {
        sent.push(options?.json as { ready?: boolean });
        return new Promise<ControlPlaneResponse>((resolve) =>
          pending.push(() =>
            resolve({
              status: 200,
              headers: {},
              text: JSON.stringify({ proxyId: 'web.shop-1', heartbeatSeconds: 3600 }),
            }),
          ),
        );
      },
    };
    const registration = new Registration({
      http: client,
      registration: {
        proxyId: 'web.shop-1',
        service: 'web',
        namespace: 'shop',
        inboundAddress: '127.0.0.1:15006',
        adminAddress: '127.0.0.1:15000',
      },
      backoff: new Backoff({ initialMs: 1000, maxMs: 30_000, jitter: 0 }),
      log: { info: () => {}, warn: () => {}, error: () => {} },
    });
    const answer = async () => {
      pending.shift()?.();
      await vi.advanceTimersByTimeAsync(0);
    };
    return { registration, sent, answer };
  }

  it('re-registers at once with the new readiness, and once more when it changes during an attempt', async () => {
    const { registration, sent, answer } = setup();
    registration.start();
    await vi.advanceTimersByTimeAsync(0);
    await answer();
    expect(sent.map((b) => b.ready)).toEqual([true]);

    registration.setReady(false);
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.map((b) => b.ready)).toEqual([true, false]);
    // Back while that attempt is in flight: another follows right after it, not an hour later.
    registration.setReady(true);
    registration.setReady(true);
    await answer();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.map((b) => b.ready)).toEqual([true, false, true]);
    await answer();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sent).toHaveLength(3);
    void registration.stop(10);
  });
});
