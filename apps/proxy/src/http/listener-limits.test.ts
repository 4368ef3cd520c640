import { describe, expect, it } from 'vitest';
import {
  connectionsCheckingIntervalMs,
  DEFAULT_LISTENER_LIMITS,
  defaultMaxConnections,
  FALLBACK_MAX_CONNECTIONS,
  readOpenFilesLimit,
  refusalAllowance,
} from './listener-limits.ts';
import { UPSTREAM_KEEP_ALIVE } from '../upstream/upstream-pools.ts';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max processes             63471                63471                processes
Max open files            1024                 524288               files
Max locked memory         8388608              8388608              bytes
`;

describe('listener limits', () => {
  it('reads the soft open-files limit, and nothing where it cannot', () => {
    expect(readOpenFilesLimit(() => LIMITS)).toBe(1024);
    expect(readOpenFilesLimit(() => LIMITS.replace('1024 ', 'unlimited '))).toBeUndefined();
    expect(
      readOpenFilesLimit(() => {
        throw new Error('ENOENT');
      }),
    ).toBeUndefined();
  });

  it('keeps both data listeners and their upstream connections inside the open-files limit', () => {
    // 1024 descriptors: 192 per listener, ×2 listeners ×2 (client + upstream) = 768, 256 left over.
    expect(defaultMaxConnections(1024)).toBe(192);
    expect(4 * defaultMaxConnections(1024) + 256).toBeLessThanOrEqual(1024);
    expect(defaultMaxConnections(256)).toBe(64);
    expect(defaultMaxConnections(1_048_576)).toBe(16_384);
    expect(defaultMaxConnections(undefined)).toBe(FALLBACK_MAX_CONNECTIONS);
  });

  it('answers some connections over the limit, not unboundedly many', () => {
    expect(refusalAllowance(20)).toBe(8);
    expect(refusalAllowance(4096)).toBe(1024);
  });

  it('looks for expired header deadlines often enough to enforce them', () => {
    expect(connectionsCheckingIntervalMs({ ...DEFAULT_LISTENER_LIMITS, maxConnections: 1 })).toBe(1_000);
    expect(
      connectionsCheckingIntervalMs({ ...DEFAULT_LISTENER_LIMITS, headersTimeoutMs: 400, maxConnections: 1 }),
    ).toBe(100);
  });

  it('closes idle keep-alive connections later than our own pools do (no keep-alive race between proxies)', () => {
    expect(DEFAULT_LISTENER_LIMITS.keepAliveTimeoutMs).toBeGreaterThan(
      UPSTREAM_KEEP_ALIVE.keepAliveMaxTimeout,
    );
    expect(DEFAULT_LISTENER_LIMITS.keepAliveTimeoutMs).toBeGreaterThan(UPSTREAM_KEEP_ALIVE.keepAliveTimeout);
  });
});
