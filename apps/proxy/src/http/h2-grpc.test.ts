import { describe, expect, it } from 'vitest';
import { Headers } from '@weft/schema';
import type { ProxyErrorKind, ProxyResponse } from './exchange.ts';
import {
  encodeGrpcMessage,
  grpcShapedReply,
  grpcStatusForReply,
  grpcStatusOf,
  isGrpc,
  parseGrpcTimeout,
} from './h2-grpc.ts';

function ownReply(status: number, kind: ProxyErrorKind, message: string): ProxyResponse {
  return {
    status,
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      [Headers.proxyError]: kind,
      'cache-control': 'no-store',
    },
    body: `${message}\n`,
  };
}

describe('gRPC replies of the proxy', () => {
  it.each<[number, ProxyErrorKind, number]>([
    [503, 'no-endpoints', 14],
    [502, 'upstream-connect-failure', 14],
    [502, 'upstream-reset', 14],
    [503, 'overflow', 14],
    [503, 'overloaded', 14],
    [503, 'connection-limit', 14],
    [504, 'upstream-timeout', 4],
    [429, 'rate-limited', 8],
    [404, 'no-route', 12],
    [500, 'invalid-backend', 13],
    [500, 'internal-error', 13],
    [400, 'bad-request', 13],
    [503, 'fault-injected', 14],
    [504, 'not-cached', 4],
    [403, 'fault-injected', 7],
  ])('%i %s → grpc-status %i', (status, kind, grpc) => {
    expect(grpcStatusForReply(status, kind)).toBe(grpc);
  });

  it('turns an own reply into a trailers-only 200 that keeps the marker and Retry-After', () => {
    const reply = ownReply(429, 'rate-limited', 'rate limited by policy p, rule 0: 100%');
    reply.headers['retry-after'] = '2';
    const shaped = grpcShapedReply(reply);
    expect(shaped.status).toBe(200);
    expect(shaped.body).toBeNull();
    expect(shaped.headers).toMatchObject({
      'content-type': 'application/grpc',
      'grpc-status': '8',
      'grpc-message': 'rate limited by policy p, rule 0: 100%25',
      [Headers.proxyError]: 'rate-limited',
      'retry-after': '2',
    });
    expect(shaped.headers['content-length']).toBeUndefined();
  });

  it('leaves upstream responses and already gRPC-shaped replies alone', () => {
    const upstream: ProxyResponse = { status: 503, headers: { 'content-type': 'text/plain' }, body: 'down' };
    expect(grpcShapedReply(upstream)).toBe(upstream);
    const shaped = grpcShapedReply(ownReply(503, 'no-endpoints', 'none'));
    expect(grpcShapedReply(shaped)).toBe(shaped);
  });

  it('percent-encodes grpc-message as UTF-8', () => {
    expect(encodeGrpcMessage('ok: plain text')).toBe('ok: plain text');
    expect(encodeGrpcMessage('50% off\né')).toBe('50%25 off%0A%C3%A9');
  });
});

describe('gRPC fields', () => {
  it('recognises gRPC content types', () => {
    expect(isGrpc({ 'content-type': 'application/grpc' })).toBe(true);
    expect(isGrpc({ 'content-type': 'application/grpc+proto' })).toBe(true);
    expect(isGrpc({ 'content-type': 'Application/GRPC+json' })).toBe(true);
    expect(isGrpc({ 'content-type': 'application/json' })).toBe(false);
    expect(isGrpc({})).toBe(false);
  });

  it('reads grpc-status from the trailers, else from a trailers-only head', () => {
    expect(grpcStatusOf({ 'grpc-status': '14' }, undefined)).toBe(14);
    expect(grpcStatusOf({ 'content-type': 'application/grpc' }, { 'grpc-status': '0' })).toBe(0);
    expect(grpcStatusOf({}, {})).toBeUndefined();
    expect(grpcStatusOf({ 'grpc-status': 'x' }, undefined)).toBeUndefined();
  });

  it('parses grpc-timeout in every unit, rounding up to whole ms, and ignores malformed ones', () => {
    expect(parseGrpcTimeout('1H')).toBe(3_600_000);
    expect(parseGrpcTimeout('2M')).toBe(120_000);
    expect(parseGrpcTimeout('3S')).toBe(3_000);
    expect(parseGrpcTimeout('250m')).toBe(250);
    expect(parseGrpcTimeout('1500u')).toBe(2);
    expect(parseGrpcTimeout('1n')).toBe(1);
    expect(parseGrpcTimeout(undefined)).toBeUndefined();
    expect(parseGrpcTimeout('10')).toBeUndefined();
    expect(parseGrpcTimeout('123456789S')).toBeUndefined();
    expect(parseGrpcTimeout('1.5S')).toBeUndefined();
  });
});
