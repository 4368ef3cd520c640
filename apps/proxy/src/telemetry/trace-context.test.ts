import { describe, expect, it } from 'vitest';
import type { HeaderMap } from '../http/exchange.ts';
import {
  decideTrace,
  extractTrace,
  formatTraceparent,
  injectTrace,
  parseB3Multi,
  parseB3Single,
  parseTraceparent,
} from './trace-context.ts';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';
const OWN = '00f067aa0ba902b7';

describe('traceparent', () => {
  it('parses a valid header', () => {
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-01`)).toEqual({
      traceId: TRACE,
      parentSpanId: SPAN,
      flags: 1,
    });
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-00`)?.flags).toBe(0);
  });

  it('accepts future versions with extra fields, as the spec asks', () => {
    expect(parseTraceparent(`cc-${TRACE}-${SPAN}-01-what-the-future-holds`)?.traceId).toBe(TRACE);
    expect(parseTraceparent(`cc-${TRACE}-${SPAN}-01`)?.traceId).toBe(TRACE);
  });

  it.each([
    ['missing', undefined],
    ['repeated header', [`00-${TRACE}-${SPAN}-01`, `00-${TRACE}-${SPAN}-01`]],
    ['empty', ''],
    ['too short', `00-${TRACE}-${SPAN}-1`],
    ['version 00 with extra data', `00-${TRACE}-${SPAN}-01-extra`],
    ['version ff', `ff-${TRACE}-${SPAN}-01`],
    ['upper-case hex', `00-${TRACE.toUpperCase()}-${SPAN}-01`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
    ['all-zero span id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['bad separators', `00_${TRACE}_${SPAN}_01`],
    ['non-hex flags', `00-${TRACE}-${SPAN}-zz`],
    ['future version glued to extra', `cc-${TRACE}-${SPAN}-01x`],
  ])('refuses %s', (_name, value) => {
    expect(parseTraceparent(value)).toBeNull();
  });

  it('formats version 00 with the flags of Level 2 (sampled, random) and zeros for reserved ones', () => {
    expect(formatTraceparent(TRACE, OWN, 0x01)).toBe(`00-${TRACE}-${OWN}-01`);
    expect(formatTraceparent(TRACE, OWN, 0x00)).toBe(`00-${TRACE}-${OWN}-00`);
    expect(formatTraceparent(TRACE, OWN, 0x03)).toBe(`00-${TRACE}-${OWN}-03`);
    expect(formatTraceparent(TRACE, OWN, 0x02)).toBe(`00-${TRACE}-${OWN}-02`);
    expect(formatTraceparent(TRACE, OWN, 0xff)).toBe(`00-${TRACE}-${OWN}-03`);
  });
});

describe('B3', () => {
  it('parses the single header in all its forms', () => {
    expect(parseB3Single(`${TRACE}-${SPAN}-1-${OWN}`)).toEqual({
      traceId: TRACE,
      parentSpanId: SPAN,
      sampled: true,
      flags: 0,
      traceState: undefined,
      format: 'b3-single',
    });
    // No sampling state: the decision is deferred to this proxy.
    expect(parseB3Single(`${TRACE}-${SPAN}`)?.sampled).toBeUndefined();
    expect(parseB3Single(`${TRACE}-${SPAN}-0`)?.sampled).toBe(false);
    expect(parseB3Single(`${TRACE}-${SPAN}-d`)?.sampled).toBe(true);
    expect(parseB3Single(`463ac35c9f6413ad-${SPAN}-1`)?.traceId).toBe('0000000000000000463ac35c9f6413ad');
    expect(parseB3Single('0')).toEqual({
      traceId: undefined,
      parentSpanId: undefined,
      sampled: false,
      flags: 0,
      traceState: undefined,
      format: 'b3-single',
    });
  });

  it.each([
    '',
    'x',
    `${TRACE}`,
    `${TRACE}-short`,
    `${TRACE}-${SPAN}-2`,
    `${TRACE}-${SPAN}-1-bad`,
    `${'0'.repeat(32)}-${SPAN}`,
  ])('refuses single %j', (value) => expect(parseB3Single(value)).toBeNull());

  it('parses the multi headers', () => {
    expect(parseB3Multi({ 'x-b3-traceid': TRACE, 'x-b3-spanid': SPAN, 'x-b3-sampled': '0' })).toEqual({
      traceId: TRACE,
      parentSpanId: SPAN,
      sampled: false,
      flags: 0,
      traceState: undefined,
      format: 'b3-multi',
    });
    expect(parseB3Multi({ 'x-b3-traceid': TRACE, 'x-b3-spanid': SPAN, 'x-b3-flags': '1' })?.sampled).toBe(
      true,
    );
    expect(parseB3Multi({ 'x-b3-traceid': TRACE })).toBeNull();
    expect(parseB3Multi({ 'x-b3-sampled': '0' })?.traceId).toBeUndefined();
  });
});

describe('extract and inject', () => {
  it('prefers traceparent over B3', () => {
    const t = extractTrace({ traceparent: `00-${TRACE}-${SPAN}-01`, b3: `${OWN}${OWN}-${OWN}-1` });
    expect(t).toMatchObject({ traceId: TRACE, parentSpanId: SPAN, format: 'w3c' });
  });

  it('falls back to B3 when traceparent is invalid, then to no context (the proxy decides)', () => {
    expect(extractTrace({ traceparent: 'garbage', b3: `${TRACE}-${SPAN}-1` })).toMatchObject({
      traceId: TRACE,
      format: 'b3-single',
    });
    expect(extractTrace({ 'x-b3-traceid': TRACE, 'x-b3-spanid': SPAN })).toMatchObject({
      traceId: TRACE,
      format: 'b3-multi',
    });
    expect(extractTrace({ traceparent: 'garbage' })).toEqual({
      traceId: undefined,
      parentSpanId: undefined,
      sampled: undefined,
      flags: 0,
      traceState: undefined,
      format: 'none',
    });
  });

  const never = (): boolean => {
    throw new Error('the caller decided');
  };
  const fresh = (): string => 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';

  it('forwards its own span as the parent and keeps a valid tracestate with its traceparent', () => {
    const headers: HeaderMap = {
      traceparent: `00-${TRACE}-${SPAN}-01`,
      tracestate: 'vendor=1 , tenant@sys=x',
    };
    const incoming = extractTrace(headers);
    injectTrace(headers, incoming, decideTrace(incoming, fresh, never), OWN);
    expect(headers).toEqual({ traceparent: `00-${TRACE}-${OWN}-01`, tracestate: 'vendor=1,tenant@sys=x' });
  });

  it("propagates the caller's flags (random included) and its sampling decision", () => {
    for (const flags of ['00', '01', '02', '03']) {
      const headers: HeaderMap = { traceparent: `00-${TRACE}-${SPAN}-${flags}` };
      const incoming = extractTrace(headers);
      injectTrace(headers, incoming, decideTrace(incoming, fresh, never), OWN);
      expect(headers.traceparent).toBe(`00-${TRACE}-${OWN}-${flags}`);
    }
    // Flags this version does not define are not passed on.
    const headers: HeaderMap = { traceparent: `00-${TRACE}-${SPAN}-ff` };
    const incoming = extractTrace(headers);
    injectTrace(headers, incoming, decideTrace(incoming, fresh, never), OWN);
    expect(headers.traceparent).toBe(`00-${TRACE}-${OWN}-03`);
  });

  it('sets the random flag on a trace it starts, with its own sampling decision', () => {
    for (const [sampled, flags] of [
      [true, '03'],
      [false, '02'],
    ] as const) {
      const headers: HeaderMap = {};
      const incoming = extractTrace(headers);
      const decision = decideTrace(incoming, fresh, (id) => {
        expect(id).toBe(fresh());
        return sampled;
      });
      injectTrace(headers, incoming, decision, OWN);
      expect(headers).toEqual({ traceparent: `00-${fresh()}-${OWN}-${flags}` });
    }
  });

  it('decides for a B3 caller that deferred, without the random flag (its trace id is not ours)', () => {
    const headers: HeaderMap = { b3: `${TRACE}-${SPAN}` };
    const incoming = extractTrace(headers);
    injectTrace(
      headers,
      incoming,
      decideTrace(incoming, fresh, () => false),
      OWN,
    );
    expect(headers).toEqual({ traceparent: `00-${TRACE}-${OWN}-00`, b3: `${TRACE}-${OWN}-0-${SPAN}` });
  });

  it.each([
    ['an invalid list', 'Vendor=1'],
    ['a list with a duplicate key', 'a=1,a=2'],
    ['33 members', Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(',')],
    ['an empty list', ' '],
  ])('drops %s entirely', (_name, tracestate) => {
    const headers: HeaderMap = { traceparent: `00-${TRACE}-${SPAN}-01`, tracestate };
    const incoming = extractTrace(headers);
    expect(incoming.traceState).toBeUndefined();
    injectTrace(headers, incoming, decideTrace(incoming, fresh, never), OWN);
    expect(headers).toEqual({ traceparent: `00-${TRACE}-${OWN}-01` });
  });

  it('drops a tracestate whose traceparent was not usable', () => {
    const headers: HeaderMap = { traceparent: 'bad', tracestate: 'vendor=1' };
    const incoming = extractTrace(headers);
    injectTrace(headers, incoming, { traceId: TRACE, flags: 1, traceState: undefined }, OWN);
    expect(headers).toEqual({ traceparent: `00-${TRACE}-${OWN}-01` });
  });

  it('rewrites B3 headers in the format the caller used', () => {
    const single: HeaderMap = { b3: `${TRACE}-${SPAN}-0` };
    const s = extractTrace(single);
    injectTrace(single, s, decideTrace(s, fresh, never), OWN);
    expect(single).toEqual({ traceparent: `00-${TRACE}-${OWN}-00`, b3: `${TRACE}-${OWN}-0-${SPAN}` });

    const multi: HeaderMap = { 'x-b3-traceid': TRACE, 'x-b3-spanid': SPAN, 'x-b3-sampled': '1' };
    const m = extractTrace(multi);
    injectTrace(multi, m, decideTrace(m, fresh, never), OWN);
    expect(multi).toEqual({
      traceparent: `00-${TRACE}-${OWN}-01`,
      'x-b3-traceid': TRACE,
      'x-b3-spanid': OWN,
      'x-b3-sampled': '1',
      'x-b3-parentspanid': SPAN,
    });
  });
});
