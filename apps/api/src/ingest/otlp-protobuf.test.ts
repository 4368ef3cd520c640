import { attributeString, resourceSchema } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import {
  ProtobufDecodeError,
  decodeRequest,
  decodeResponse,
  decodeStatus,
  encodeRequest,
  encodeResponse,
  encodeStatus,
  statusJson,
} from './otlp-protobuf.ts';
import { parseTraceRequest } from './traces.ts';

const request = {
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'catalog' } }] },
      scopeSpans: [
        {
          scope: { name: 'lib' },
          spans: [
            {
              traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
              spanId: '00f067aa0ba902b7',
              parentSpanId: 'a0f067aa0ba902b7',
              name: 'GET /items',
              kind: 2,
              startTimeUnixNano: '1764000000000000000',
              endTimeUnixNano: '1764000000012345000',
              attributes: [
                { key: 'bytes', value: { bytesValue: 'AQID' } },
                { key: 'list', value: { arrayValue: { values: [{ intValue: '5' }, { boolValue: true }] } } },
              ],
            },
          ],
        },
      ],
    },
  ],
};

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

/** A length-delimited field: tag byte, length, body. */
function field(tag: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag, ...varint(body.length)]), body]);
}

/**
 * An ExportTraceServiceRequest whose resource has one attribute nested `depth` arrays deep:
 * AnyValue.array_value (field 5, tag 0x2a) → ArrayValue.values (field 1, tag 0x0a) → AnyValue → …
 * Written outside in from precomputed sizes (prepending would copy the whole buffer at every level).
 */
function deeplyNestedAttribute(depth: number): Buffer {
  const inner = Buffer.from([0x0a, 0x01, 0x78]); // AnyValue { string_value: "x" }
  const anySizes = [inner.length];
  const arraySizes: number[] = [];
  for (let i = 0; i < depth; i++) {
    const s = anySizes[i] as number;
    const a = 1 + varint(s).length + s;
    arraySizes.push(a);
    anySizes.push(1 + varint(a).length + a);
  }
  const bytes: number[] = [];
  for (let i = depth - 1; i >= 0; i--) {
    bytes.push(0x2a, ...varint(arraySizes[i] as number), 0x0a, ...varint(anySizes[i] as number));
  }
  const value = Buffer.concat([Buffer.from(bytes), inner]);
  const keyValue = Buffer.concat([field(0x0a, Buffer.from('k')), field(0x12, value)]);
  const resource = field(0x0a, keyValue);
  const resourceSpans = field(0x0a, resource);
  return field(0x0a, resourceSpans);
}

describe('the OTLP protobuf encoding', () => {
  it('decodes to the same rows as the JSON encoding: ids as lower-case hex, bytes as base64', () => {
    expect(parseTraceRequest(decodeRequest('traces', encodeRequest('traces', request)))).toEqual(
      parseTraceRequest(request),
    );
    expect(parseTraceRequest(request)[0]).toMatchObject({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentSpanId: 'a0f067aa0ba902b7',
      attributes: '{"bytes":"AQID","list":"[5,true]"}',
    });
  });

  it('refuses truncated and absurdly nested messages with a 400-kind error, not a crash', () => {
    const bytes = encodeRequest('traces', request);
    expect(() => decodeRequest('traces', bytes.subarray(0, bytes.length - 3))).toThrow(ProtobufDecodeError);
    const shallow = decodeRequest('traces', deeplyNestedAttribute(3)) as {
      resourceSpans: { resource: unknown }[];
    };
    const attributes = resourceSchema.parse(shallow.resourceSpans[0]?.resource).attributes;
    expect(attributeString(attributes, 'k')).toBe('[[["x"]]]');
    expect(() => decodeRequest('traces', deeplyNestedAttribute(100_000))).toThrow(ProtobufDecodeError);
  });

  it('writes responses and google.rpc.Status bodies that read back the same', () => {
    expect(decodeResponse('metrics', encodeResponse('metrics', null))).toBeNull();
    expect(
      decodeResponse('metrics', encodeResponse('metrics', { rejected: 3, errorMessage: 'why' })),
    ).toEqual({
      rejected: 3,
      errorMessage: 'why',
    });
    const status = {
      code: 3,
      message: 'invalid',
      fieldViolations: [{ field: 'resourceSpans.0', description: 'bad' }],
      retryAfterSeconds: 2,
    };
    expect(decodeStatus(encodeStatus(status))).toEqual(status);
    expect(statusJson(status)).toEqual({
      code: 3,
      message: 'invalid',
      details: [
        { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: status.fieldViolations },
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '2s' },
      ],
    });
  });
});
