import { describe, expect, it } from 'vitest';
import { compiledFault, CompiledFault, type FaultSpec } from './fault-policy.ts';
import { compilingMatches } from './compiled-matches.ts';
import { routePoliciesSchema, type ServicePolicy } from '@weft/schema';
import { kindInUse } from './request-policy.ts';

/** Returns the given draws in order, then fails the test if asked for more. */
function scripted(...draws: number[]) {
  const queue = [...draws];
  const random = () => {
    const next = queue.shift();
    if (next === undefined) throw new Error('random drawn more often than scripted');
    return next;
  };
  return Object.assign(random, { left: () => queue.length });
}

const spec = (extra: Partial<FaultSpec>): FaultSpec => ({ source: 'FaultInjectionPolicy shop/f', ...extra });

describe('CompiledFault', () => {
  it('delays and aborts on independent draws, delay first, each below its share', () => {
    const fault = new CompiledFault(
      spec({ delay: { percentage: 10, duration: '1s500ms' }, abort: { percentage: 20, status: 503 } }),
    );
    expect(fault.delayMs).toBe(1500);
    const random = scripted(0.05, 0.5, 0.5, 0.1, 0.05, 0.19, 0.1, 0.2);
    expect(fault.decide(random)).toEqual({ delayMs: 1500, abortStatus: undefined });
    expect(fault.decide(random)).toEqual({ delayMs: 0, abortStatus: 503 });
    expect(fault.decide(random)).toEqual({ delayMs: 1500, abortStatus: 503 });
    // The boundary belongs to "no": 10% is [0, 0.1), 20% is [0, 0.2).
    expect(fault.decide(random)).toEqual({ delayMs: 0, abortStatus: undefined });
    expect(random.left()).toBe(0);
  });

  it('draws once per request for a policy with one fault, none for 0%; 0% never fires, 100% always', () => {
    const never = new CompiledFault(spec({ abort: { percentage: 0, status: 500 } }));
    const always = new CompiledFault(spec({ abort: { percentage: 100, status: 418 } }));
    const random = scripted(0.999999);
    expect(never.decide(random)).toEqual({ delayMs: 0, abortStatus: undefined });
    expect(always.decide(random)).toEqual({ delayMs: 0, abortStatus: 418 });
    expect(random.left()).toBe(0);
  });

  it('fractions of a percent: 0.5% is one request in 200', () => {
    const fault = new CompiledFault(spec({ abort: { percentage: 0.5, status: 500 } }));
    expect(fault.decide(() => 0.00499).abortStatus).toBe(500);
    expect(fault.decide(() => 0.005).abortStatus).toBeUndefined();
  });

  it('applies to every request without matches, else to requests any match accepts', () => {
    const all = new CompiledFault(spec({ abort: { percentage: 1, status: 500 } }));
    expect(all.matches.test('POST', '/anything?x=1', {})).toBe(true);
    const some = new CompiledFault(
      spec({
        abort: { percentage: 1, status: 500 },
        matches: [
          { path: { type: 'PathPrefix', value: '/ratings' } },
          { headers: [{ type: 'Exact', name: 'X-Test', value: 'fault' }] },
        ],
      }),
    );
    expect(some.matches.test('GET', '/ratings/7?x=1', {})).toBe(true);
    expect(some.matches.test('GET', '/ratingsx', {})).toBe(false);
    expect(some.matches.test('GET', '/other', { 'x-test': 'fault' })).toBe(true);
    expect(some.matches.test('GET', '/other', {})).toBe(false);
  });

  it('is compiled once per policy object', () => {
    const s = spec({ abort: { percentage: 1, status: 500 } });
    expect(compiledFault(s)).toBe(compiledFault(s));
    expect(compiledFault({ ...s })).not.toBe(compiledFault(s));
  });
});

describe('compilingMatches', () => {
  const parser = compilingMatches(routePoliciesSchema.shape.faultInjection);

  it('refuses a policy whose match cannot compile, naming it', () => {
    const result = parser.safeParse({
      source: 'FaultInjectionPolicy shop/f',
      abort: { percentage: 5, status: 503 },
      matches: [{ path: { type: 'RegularExpression', value: '/(unclosed' } }],
    });
    expect(result.success).toBe(false);
    if (!result.success) expect(result.error.issues[0]?.message).toMatch(/^matches\.0\.path\.value: /);
  });

  it('passes a sound policy through as its schema parsed it', () => {
    const result = parser.safeParse({ source: 's', delay: { percentage: 5, duration: '2s' } });
    expect(result).toEqual({
      success: true,
      data: { source: 's', delay: { percentage: 5, duration: '2s' } },
    });
  });
});

describe('kindInUse', () => {
  it('sees a kind on a service or on a route rule, once per config', () => {
    const f = spec({ abort: { percentage: 1, status: 500 } });
    const onRule: ServicePolicy[] = [
      {
        namespace: 'shop',
        service: 'reviews',
        routes: [{ route: 'HTTPRoute shop/r', index: 0, matches: [], policies: { faultInjection: f } }],
      },
    ];
    expect(kindInUse(onRule, 'faultInjection')).toBe(true);
    expect(kindInUse(onRule, 'mirror')).toBe(false);
    expect(kindInUse([{ namespace: 'shop', service: 'x', faultInjection: f }], 'faultInjection')).toBe(true);
    expect(kindInUse([{ namespace: 'shop', service: 'x' }], 'faultInjection')).toBe(false);
    expect(kindInUse(undefined, 'faultInjection')).toBe(false);
  });
});
