/** The config check keeps fault and mirror policies (per service and per route rule) and refuses bad ones alone. */
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../config/validate-config.ts';

const fault = { source: 'FaultInjectionPolicy shop/f', abort: { percentage: 5, status: 503 } };
const mirror = {
  source: 'MirrorPolicy shop/m',
  backend: { service: 'reviews', namespace: 'shop', version: 'v2' },
  percentage: 10,
};

describe('checkConfig with FaultInjectionPolicy and MirrorPolicy', () => {
  it('keeps both kinds on a service and on a route rule, with schema defaults filled in', () => {
    const result = checkConfig({
      version: '1',
      services: [],
      policies: [
        {
          namespace: 'shop',
          service: 'reviews',
          faultInjection: fault,
          mirror,
          routes: [
            {
              route: 'HTTPRoute shop/reviews',
              index: 0,
              matches: [],
              policies: { faultInjection: fault, mirror },
            },
          ],
        },
      ],
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.refused).toEqual([]);
    const p = result.config.policies?.[0];
    expect(p?.faultInjection).toEqual(fault);
    expect(p?.mirror).toEqual({ ...mirror, maxBodyBytes: 64 * 1024 });
    expect(p?.routes?.[0]?.policies).toEqual({
      faultInjection: fault,
      mirror: { ...mirror, maxBodyBytes: 65536 },
    });
  });

  it('refuses a policy whose match cannot compile, alone', () => {
    const result = checkConfig({
      version: '1',
      services: [],
      policies: [
        {
          namespace: 'shop',
          service: 'reviews',
          faultInjection: {
            ...fault,
            matches: [{ headers: [{ type: 'RegularExpression', name: 'x', value: '(' }] }],
          },
          mirror,
        },
      ],
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.policies?.[0]?.faultInjection).toBeUndefined();
    expect(result.config.policies?.[0]?.mirror).toBeDefined();
    expect(result.refused).toEqual([
      {
        path: 'policies.0.faultInjection',
        entry: 'faultInjection of reviews.shop (FaultInjectionPolicy shop/f)',
        reason: expect.stringMatching(/^faultInjection: matches\.0\.headers\.0/) as unknown,
      },
    ]);
  });
});
