import { describe, expect, it } from 'vitest';
import { ServiceLimits, type Admission, type LimitTicket } from './service-limits.ts';

const settings = (s: { maxConnections?: number; maxPendingRequests?: number; maxRequests?: number }) => ({
  maxConnections: s.maxConnections,
  maxPendingRequests: s.maxPendingRequests,
  maxRequests: s.maxRequests,
  source: 'CircuitBreakerPolicy shop/cb',
});

function admitted(a: Admission): LimitTicket {
  if (a.kind !== 'admitted') throw new Error(`expected admitted, got ${a.kind}`);
  return a.ticket;
}

describe('ServiceLimits', () => {
  it('maxRequests: refuses beyond the in-flight maximum until one ends', () => {
    const l = new ServiceLimits(settings({ maxRequests: 2 }));
    const a = admitted(l.admit());
    admitted(l.admit());
    expect(l.admit()).toEqual({ kind: 'overflow', reason: 'max-requests' });
    a.release();
    a.release(); // idempotent
    expect(l.active).toBe(1);
    admitted(l.admit());
    expect(l.overflows['max-requests']).toBe(1);
  });

  it('maxConnections without a pending queue: refused at once when every connection is busy', () => {
    const l = new ServiceLimits(settings({ maxConnections: 1 }));
    admitted(l.admit());
    expect(l.admit()).toEqual({ kind: 'overflow', reason: 'max-connections' });
  });

  it('maxPendingRequests: waits in order for a released connection, refuses beyond the queue', async () => {
    const l = new ServiceLimits(settings({ maxConnections: 1, maxPendingRequests: 2 }));
    const first = admitted(l.admit());
    const q1 = l.admit();
    const q2 = l.admit();
    expect(l.admit()).toEqual({ kind: 'overflow', reason: 'max-pending-requests' });
    expect([q1.kind, q2.kind, l.pending]).toEqual(['queued', 'queued', 2]);
    if (q1.kind !== 'queued' || q2.kind !== 'queued') return;
    q1.cancel(); // the client of the first waiter went away
    first.release();
    const t2 = await q2.ticket;
    expect([l.active, l.pending]).toEqual([1, 0]);
    t2.release();
    expect(l.active).toBe(0);
  });

  it('maxRequests counts waiting attempts too', () => {
    const l = new ServiceLimits(settings({ maxConnections: 1, maxPendingRequests: 10, maxRequests: 2 }));
    admitted(l.admit());
    expect(l.admit().kind).toBe('queued');
    expect(l.admit()).toEqual({ kind: 'overflow', reason: 'max-requests' });
  });

  it('a raised limit lets waiters through at once', async () => {
    const l = new ServiceLimits(settings({ maxConnections: 1, maxPendingRequests: 1 }));
    admitted(l.admit());
    const q = l.admit();
    l.update(undefined);
    if (q.kind !== 'queued') throw new Error('expected queued');
    await q.ticket;
    expect(l.active).toBe(2);
  });
});
