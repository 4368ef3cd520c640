import { describe, expect, it } from 'vitest';
import { parseTraceRequest } from './traces.ts';
import { InvalidInputError } from './validation.ts';

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';

function request(
  spans: unknown[],
  resourceAttrs: unknown[] = [{ key: 'service.name', value: { stringValue: 'catalog' } }],
) {
  return {
    resourceSpans: [
      { resource: { attributes: resourceAttrs }, scopeSpans: [{ scope: { name: 'weft' }, spans }] },
    ],
  };
}

const goodSpan = {
  traceId,
  spanId: '00f067aa0ba902b7',
  parentSpanId: '',
  name: 'GET /items',
  kind: 2,
  startTimeUnixNano: '1764000000000000000',
  endTimeUnixNano: '1764000000012345000',
  attributes: [{ key: 'http.response.status_code', value: { intValue: '200' } }],
  status: { code: 0 },
};

function issuesOf(body: unknown) {
  try {
    parseTraceRequest(body);
  } catch (err) {
    if (err instanceof InvalidInputError) return err.issues;
    throw err;
  }
  throw new Error('expected the request to be refused');
}

describe('parseTraceRequest', () => {
  it('maps OTLP spans to rows with microsecond times and resource identity', () => {
    const rows = parseTraceRequest(
      request(
        [goodSpan],
        [
          { key: 'service.name', value: { stringValue: 'catalog' } },
          { key: 'service.namespace', value: { stringValue: 'shop' } },
          { key: 'service.version', value: { stringValue: 'v2' } },
        ],
      ),
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      traceId,
      spanId: '00f067aa0ba902b7',
      parentSpanId: null,
      service: 'catalog',
      namespace: 'shop',
      version: 'v2',
      startUs: 1764000000000000n,
      durationUs: 12345n,
      httpStatus: 200,
      kind: 2,
    });
    expect(JSON.parse(rows[0]!.attributes)).toEqual({ 'http.response.status_code': '200' });
  });

  it('names the field of a malformed span id', () => {
    const issues = issuesOf(request([{ ...goodSpan, spanId: 'xyz' }]));
    expect(issues).toContainEqual({
      path: 'resourceSpans.0.scopeSpans.0.spans.0.spanId',
      message: 'spanId must be 16 lower-case hex characters',
    });
  });

  it('refuses spans that end before they start', () => {
    const issues = issuesOf(request([{ ...goodSpan, endTimeUnixNano: '1' }]));
    expect(issues[0]?.path).toBe('resourceSpans.0.scopeSpans.0.spans.0.endTimeUnixNano');
  });

  it('requires service.name on the resource', () => {
    const issues = issuesOf(request([goodSpan], []));
    expect(issues[0]?.message).toContain('service.name');
  });

  it('refuses a request with the same span twice, at the repeat', () => {
    expect(issuesOf(request([goodSpan, goodSpan]))).toEqual([
      {
        path: 'resourceSpans.0.scopeSpans.0.spans.1.spanId',
        message: `span ${traceId}/00f067aa0ba902b7 appears twice in one request (first at resourceSpans.0.scopeSpans.0.spans.0)`,
      },
    ]);
  });

  it('refuses a service name longer than a stored name may be', () => {
    const issues = issuesOf(
      request(
        [goodSpan],
        [
          { key: 'service.namespace', value: { stringValue: 'shop' } },
          { key: 'service.name', value: { stringValue: 's'.repeat(254) } },
        ],
      ),
    );
    expect(issues).toEqual([
      {
        path: 'resourceSpans.0.resource.attributes.1.value',
        message: '"service.name" must be at most 253 bytes (UTF-8)',
      },
    ]);
  });

  it('refuses a span that ends after the int64 range, naming the field', () => {
    const issues = issuesOf(request([{ ...goodSpan, endTimeUnixNano: '18446744073709551615' }]));
    expect(issues).toEqual([
      {
        path: 'resourceSpans.0.scopeSpans.0.spans.0.endTimeUnixNano',
        message: 'a timestamp in unix nanoseconds must be at most 9223372036854775807',
      },
    ]);
  });

  it('stores an out-of-range http status attribute as no status rather than failing', () => {
    const span = {
      ...goodSpan,
      attributes: [{ key: 'http.response.status_code', value: { intValue: '99999999999' } }],
    };
    expect(parseTraceRequest(request([span]))[0]?.httpStatus).toBeNull();
  });

  it('refuses an empty request', () => {
    expect(issuesOf({ resourceSpans: [] })[0]?.path).toBe('resourceSpans');
  });
});
