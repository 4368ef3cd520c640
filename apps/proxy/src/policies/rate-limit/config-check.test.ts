import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../config/validate-config.ts';

describe('config check of a RateLimitPolicy', () => {
  it('refuses a policy whose rule match does not compile, and keeps the service’s other policies', () => {
    const check = checkConfig({
      version: '1',
      services: [],
      policies: [
        {
          namespace: 'shop',
          service: 'pricing',
          timeout: { source: 'TimeoutPolicy shop/t', request: '2s' },
          rateLimit: {
            source: 'RateLimitPolicy shop/pricing-rate-limit',
            rules: [
              { limit: { requests: 1, interval: '1s' } },
              {
                limit: { requests: 1, interval: '1s' },
                matches: [{ path: { type: 'RegularExpression', value: '/quote(' } }],
              },
            ],
          },
        },
      ],
    });
    expect(check.ok).toBe(true);
    if (!check.ok) return;
    expect(check.config.policies?.[0]?.rateLimit).toBeUndefined();
    expect(check.config.policies?.[0]?.timeout).toBeDefined();
    expect(check.refused).toHaveLength(1);
    expect(check.refused[0]?.path).toBe('policies.0.rateLimit');
    expect(check.refused[0]?.reason).toMatch(
      /^rateLimit\.rules\.1: matches\.0\.path\.value: not a valid regular expression/,
    );
  });
});
