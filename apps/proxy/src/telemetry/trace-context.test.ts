import { describe, expect, it } from 'vitest';
import type { HeaderMap } from '../http/exchange.ts';
import {
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

  it('formats version 00 with the sampled flag', () => {
    expect(formatTraceparent(TRACE, OWN, true)).toBe(`00-${TRACE}-${OWN}-01`);
    expect(formatTraceparent(TRACE, OWN, false)).toBe(`00-${TRACE}-${OWN}-00`);
  });
});

describe('B3', () => {
  it('parses the single header in all its forms', () => {
    expect(parseB3Single(`${TRACE}-${SPAN}-1-${OWN}`)).toEqual({
      traceId: TRACE,
      parentSpanId: SPAN,
      sampled: true,
      format: 'b3-single',
    });
    expect(parseB3Single(`${TRACE}-${SPAN}`)?.sampled).toBe(true);
    expect(parseB3Single(`${TRACE}-${SPAN}-0`)?.sampled).toBe(false);
    expect(parseB3Single(`${TRACE}-${SPAN}-d`)?.sampled).toBe(true);
    expect(parseB3Single(`463ac35c9f6413ad-${SPAN}-1`)?.traceId).toBe('0000000000000000463ac35c9f6413ad');
    expect(parseB3Single('0')).toEqual({
      traceId: undefined,
      parentSpanId: undefined,
      sampled: false,
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

  it('falls back to B3 when traceparent is invalid, then to a new sampled trace', () => {
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
      sampled: true,
      format: 'none',
    });
  });

  it('forwards its own span as the parent and keeps tracestate with its traceparent', () => {
    const headers: HeaderMap = { traceparent: `00-${TRACE}-${SPAN}-01`, tracestate: 'vendor=1' };
    injectTrace(headers, extractTrace(headers), TRACE, OWN);
    expect(headers).toEqual({ traceparent: `00-${TRACE}-${OWN}-01`, tracestate: 'vendor=1' });
  });

  it('drops a tracestate whose traceparent was not usable', () => {
    const headers: HeaderMap = { traceparent: 'bad', tracestate: 'vendor=1' };
    injectTrace(headers, extractTrace(headers), TRACE, OWN);
    expect(headers).toEqual({ traceparent: `00-${TRACE}-${OWN}-01` });
  });

  it('rewrites B3 headers in the format the caller used', () => {
    const single: HeaderMap = { b3: `${TRACE}-${SPAN}-0` };
    injectTrace(single, extractTrace(single), TRACE, OWN);
    expect(single).toEqual({ traceparent: `00-${TRACE}-${OWN}-00`, b3: `${TRACE}-${OWN}-0-${SPAN}` });

    const multi: HeaderMap = { 'x-b3-traceid': TRACE, 'x-b3-spanid': SPAN, 'x-b3-sampled': '1' };
    injectTrace(multi, extractTrace(multi), TRACE, OWN);
    expect(multi).toEqual({
      traceparent: `00-${TRACE}-${OWN}-01`,
      'x-b3-traceid': TRACE,
      'x-b3-spanid': OWN,
      'x-b3-sampled': '1',
      'x-b3-parentspanid': SPAN,
    });
  });
});
