import { describe, expect, it } from 'vitest';
import { parseTraceBatch, parseTraceRequest } from './traces.ts';
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
      message: 'spanId must be 16 hex characters',
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

  it('refuses the repeat of a span sent twice in one request, and keeps the first', () => {
    const batch = parseTraceBatch(request([goodSpan, goodSpan]));
    expect(batch.spans).toHaveLength(1);
    expect(batch.refused.count).toBe(1);
    expect(batch.refused.reasons).toEqual([
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

  it('accepts empty requests and stores nothing', () => {
    for (const empty of [{}, { resourceSpans: [] }, request([]), { resourceSpans: [{ scopeSpans: [] }] }]) {
      const batch = parseTraceBatch(empty);
      expect(batch).toMatchObject({ spans: [], received: 0 });
      expect(batch.refused.count).toBe(0);
    }
  });

  it('refuses only the bad span of a batch, counting it with its field path', () => {
    const other = { ...goodSpan, spanId: '00f067aa0ba902b8' };
    const batch = parseTraceBatch(
      request([goodSpan, { ...goodSpan, spanId: '00f067aa0ba902b9', name: '' }, other]),
    );
    expect(batch.spans.map((s) => s.row.spanId)).toEqual(['00f067aa0ba902b7', '00f067aa0ba902b8']);
    expect(batch.refused.count).toBe(1);
    expect(batch.refused.message('span')).toBe(
      '1 span refused: resourceSpans.0.scopeSpans.0.spans.1.name: name must not be empty',
    );
  });

  it('normalises upper-case hex ids to lower case', () => {
    const [row] = parseTraceRequest(
      request([
        {
          ...goodSpan,
          traceId: traceId.toUpperCase(),
          spanId: '00F067AA0BA902B7',
          parentSpanId: 'ABCDEF0123456789',
        },
      ]),
    );
    expect(row).toMatchObject({ traceId, spanId: '00f067aa0ba902b7', parentSpanId: 'abcdef0123456789' });
  });

  it('renders every AnyValue type to a stored string, deterministically', () => {
    const attributes = [
      { key: 's', value: { stringValue: 'text' } },
      { key: 'b', value: { boolValue: true } },
      { key: 'i', value: { intValue: '-9223372036854775808' } },
      { key: 'd', value: { doubleValue: 0.25 } },
      { key: 'nan', value: { doubleValue: 'NaN' } },
      { key: 'bytes', value: { bytesValue: 'AQID' } },
      {
        key: 'array',
        value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 7 }, { boolValue: false }, {}] } },
      },
      {
        key: 'kvlist',
        value: {
          kvlistValue: {
            values: [
              { key: 'inner', value: { arrayValue: { values: [{ doubleValue: 1.5 }] } } },
              { key: 'big', value: { intValue: '9007199254740993' } },
            ],
          },
        },
      },
      { key: 'empty' },
    ];
    const [row] = parseTraceRequest(request([{ ...goodSpan, attributes }]));
    expect(JSON.parse(row!.attributes)).toEqual({
      s: 'text',
      b: 'true',
      i: '-9223372036854775808',
      d: '0.25',
      nan: 'NaN',
      bytes: 'AQID',
      array: '["a",7,false,null]',
      kvlist: '{"inner":[1.5],"big":"9007199254740993"}',
      empty: '',
    });
  });

  it('bounds nested values in depth, naming the path', () => {
    let value: Record<string, unknown> = { stringValue: 'deep' };
    for (let i = 0; i < 9; i++) value = { arrayValue: { values: [value] } };
    const issues = issuesOf(request([{ ...goodSpan, attributes: [{ key: 'deep', value }] }]));
    expect(issues[0]?.message).toBe('arrays and kvlists may be nested at most 8 deep in one attribute value');
    expect(issues[0]?.path).toMatch(
      /^resourceSpans\.0\.scopeSpans\.0\.spans\.0\.attributes\.0\.value\.arrayValue/,
    );
  });

  it('keeps trace state, flags, events, links, resource and scope', () => {
    const [row] = parseTraceRequest({
      resourceSpans: [
        {
          resource: {
            attributes: [
              { key: 'service.name', value: { stringValue: 'catalog' } },
              { key: 'host.name', value: { stringValue: 'node-1' } },
            ],
          },
          scopeSpans: [
            {
              scope: { name: 'my-lib', version: '1.2.3', attributes: [{ key: 'a', value: { intValue: 1 } }] },
              spans: [
                {
                  ...goodSpan,
                  traceState: 'vendor=a,other=b',
                  flags: 0x301,
                  events: [
                    {
                      name: 'exception',
                      timeUnixNano: '1764000000001000000',
                      attributes: [{ key: 'exception.type', value: { stringValue: 'Boom' } }],
                    },
                  ],
                  links: [
                    {
                      traceId: 'ABCDEF0123456789ABCDEF0123456789',
                      spanId: '0123456789abcdef',
                      traceState: 'k=v',
                      attributes: [{ key: 'link.kind', value: { stringValue: 'follows' } }],
                    },
                  ],
                },
              ],
            },
          ],
        },
      ],
    });
    expect(row).toMatchObject({ traceState: 'vendor=a,other=b', flags: 1 });
    expect(JSON.parse(row!.events)).toEqual([
      { name: 'exception', timeUs: 1764000000001000, attributes: { 'exception.type': 'Boom' } },
    ]);
    expect(JSON.parse(row!.links)).toEqual([
      {
        traceId: 'abcdef0123456789abcdef0123456789',
        spanId: '0123456789abcdef',
        traceState: 'k=v',
        attributes: { 'link.kind': 'follows' },
      },
    ]);
    expect(JSON.parse(row!.resource)).toEqual({ 'service.name': 'catalog', 'host.name': 'node-1' });
    expect(JSON.parse(row!.scope)).toEqual({ name: 'my-lib', version: '1.2.3', attributes: { a: '1' } });
  });

  it('drops an invalid trace state rather than the span', () => {
    const [row] = parseTraceRequest(request([{ ...goodSpan, traceState: 'Not Valid' }]));
    expect(row?.traceState).toBe('');
  });

  it('bounds events per span', () => {
    const events = Array.from({ length: 129 }, () => ({ name: 'e', timeUnixNano: '1764000000001000000' }));
    expect(issuesOf(request([{ ...goodSpan, events }]))).toEqual([
      {
        path: 'resourceSpans.0.scopeSpans.0.spans.0.events',
        message: 'at most 128 events are accepted per span',
      },
    ]);
  });
});
