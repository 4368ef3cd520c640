import { describe, expect, it } from 'vitest';
import { badgesFrom } from './policyBadges.ts';

const accepted = [{ type: 'Accepted', status: 'True' }];
const policy = (kind: 'TrafficSplit' | 'RetryPolicy', target: object, conditions = accepted) => ({
  resource: {
    kind,
    metadata: { namespace: 'shop' },
    spec: { targetRef: { kind: 'Service', ...target } as { kind: string; name: string } },
  },
  conditions,
});

describe('badgesFrom', () => {
  it('lists the accepted policy kinds per targeted Service, once each and sorted', () => {
    const badges = badgesFrom([
      policy('TrafficSplit', { name: 'reviews' }),
      policy('RetryPolicy', { name: 'reviews' }),
      policy('RetryPolicy', { name: 'reviews' }),
      policy('RetryPolicy', { name: 'ratings' }, [{ type: 'Accepted', status: 'False' }]),
      policy('RetryPolicy', { kind: 'HTTPRoute', name: 'pricing' }),
    ]);
    expect([...badges]).toEqual([['shop/reviews', ['RetryPolicy', 'TrafficSplit']]]);
  });
});
