import { describe, expect, it } from 'vitest';
import {
  isTracestateKey,
  isTracestateValue,
  parseTracestate,
  traceSamplingPercentSchema,
  traceSlowThresholdMsSchema,
  TracestateLimits,
} from './trace-context.ts';

function header(raw: string | string[]): string | undefined {
  const r = parseTracestate(raw);
  return r.ok ? r.header : undefined;
}

describe('tracestate (W3C Trace Context, examples of the spec)', () => {
  it('parses one member', () => {
    expect(parseTracestate('congo=t61rcWkgMzE')).toEqual({
      ok: true,
      members: [{ key: 'congo', value: 't61rcWkgMzE' }],
      header: 'congo=t61rcWkgMzE',
    });
  });

  it('keeps the order of several members', () => {
    expect(header('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE')).toBe('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
    expect(header('vendorname1=opaqueValue1,vendorname2=opaqueValue2')).toBe(
      'vendorname1=opaqueValue1,vendorname2=opaqueValue2',
    );
  });

  it('treats several header lines as one list', () => {
    expect(header(['rojo=00f067aa0ba902b7', 'congo=t61rcWkgMzE'])).toBe(
      'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
    );
  });

  it('accepts multi-tenant keys (tenant@system)', () => {
    expect(header('fw529a3039@dt=FW4;0;0;0;0;0;0;ab,congo=t61rcWkgMzE')).toBe(
      'fw529a3039@dt=FW4;0;0;0;0;0;0;ab,congo=t61rcWkgMzE',
    );
    expect(isTracestateKey('0tenant@sys')).toBe(true);
    expect(isTracestateKey(`${'t'.repeat(241)}@${'s'.repeat(14)}`)).toBe(true);
    expect(isTracestateKey(`${'t'.repeat(242)}@s`)).toBe(false);
    expect(isTracestateKey(`t@${'s'.repeat(15)}`)).toBe(false);
    expect(isTracestateKey('t@0sys')).toBe(false);
    expect(isTracestateKey('a@b@c')).toBe(false);
  });

  it('allows optional whitespace around members and empty members, and drops them when sending on', () => {
    expect(header('foo=1 \t , \t bar=2, \t baz=3')).toBe('foo=1,bar=2,baz=3');
    expect(header('foo=1,,, bar=2,')).toBe('foo=1,bar=2');
    expect(header('')).toBe('');
    expect(header(' , ')).toBe('');
  });

  it('accepts every character the grammar allows', () => {
    expect(isTracestateKey(`a${'z0_-*/'.repeat(10)}`)).toBe(true);
    const every = Array.from({ length: 0x7e - 0x20 + 1 }, (_, i) => String.fromCharCode(0x20 + i))
      .filter((c) => c !== ',' && c !== '=')
      .join('');
    expect(isTracestateValue(every)).toBe(true);
    expect(isTracestateValue('a b')).toBe(true);
  });

  it('enforces key and value lengths', () => {
    expect(isTracestateKey(`a${'b'.repeat(255)}`)).toBe(true);
    expect(isTracestateKey(`a${'b'.repeat(256)}`)).toBe(false);
    expect(isTracestateValue('v'.repeat(TracestateLimits.maxValueLength))).toBe(true);
    expect(isTracestateValue('v'.repeat(TracestateLimits.maxValueLength + 1))).toBe(false);
  });

  it('takes 32 members and refuses the 33rd', () => {
    const members = Array.from({ length: 32 }, (_, i) => `k${i}=v`);
    expect(parseTracestate(members.join(',')).ok).toBe(true);
    expect(parseTracestate([...members, 'k32=v'].join(','))).toEqual({
      ok: false,
      problem: 'more than 32 members',
    });
  });

  it('refuses a list longer than 512 characters', () => {
    const long = Array.from({ length: 4 }, (_, i) => `k${i}=${'v'.repeat(126)}`).join(',');
    expect(long.length).toBe(4 * 129 + 3);
    expect(parseTracestate(long)).toEqual({ ok: false, problem: 'longer than 512 characters' });
  });

  it.each([
    ['upper-case key', 'Foo=1', 'key "Foo"'],
    ['key starting with a digit', '1foo=1', 'key "1foo"'],
    ['key with a dot', 'foo.bar=1', 'key "foo.bar"'],
    ['member without "="', 'foo=1,bar', 'member "bar" has no "="'],
    ['empty value', 'foo=', 'value of "foo"'],
    ['value with "="', 'foo=a=b', 'value of "foo"'],
    ['control character in the value', 'foo=1\x01', 'value of "foo"'],
    ['non-ASCII value', 'foo=ü', 'value of "foo"'],
    ['empty key', '=1', 'key ""'],
    ['duplicated key', 'foo=1,bar=2,foo=3', 'key "foo" appears more than once'],
    ['duplicated key over two lines', ['foo=1', 'foo=2'], 'key "foo" appears more than once'],
  ])('refuses the whole list with %s', (_name, raw, problem) => {
    const r = parseTracestate(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toContain(problem);
  });
});

describe('sampling settings', () => {
  it('takes a percentage between 0 and 100', () => {
    expect(traceSamplingPercentSchema.parse('0.5')).toBe(0.5);
    expect(traceSamplingPercentSchema.parse('100')).toBe(100);
    expect(traceSamplingPercentSchema.safeParse('101').error?.issues[0]?.message).toContain(
      'between 0 and 100',
    );
    expect(traceSamplingPercentSchema.safeParse('x').success).toBe(false);
  });

  it('takes a slow threshold in whole milliseconds', () => {
    expect(traceSlowThresholdMsSchema.parse('250')).toBe(250);
    expect(traceSlowThresholdMsSchema.safeParse('0').success).toBe(false);
    expect(traceSlowThresholdMsSchema.safeParse('1.5').success).toBe(false);
  });
});
