import { describe, expect, it } from 'vitest';
import { NO_GRPC_STATUS, isFailedRequest } from './request-outcome.ts';

describe('isFailedRequest', () => {
  it('counts no response and 5xx as failures, other HTTP statuses as answered', () => {
    expect(isFailedRequest(0)).toBe(true);
    expect(isFailedRequest(500)).toBe(true);
    expect(isFailedRequest(503)).toBe(true);
    expect(isFailedRequest(200)).toBe(false);
    expect(isFailedRequest(404)).toBe(false);
    expect(isFailedRequest(429)).toBe(false);
  });

  it('counts a gRPC answer with a non-OK grpc-status as a failure although HTTP said 200', () => {
    expect(isFailedRequest(200, 14)).toBe(true); // UNAVAILABLE
    expect(isFailedRequest(200, 5)).toBe(true); // NOT_FOUND: Linkerd counts every non-zero status
    expect(isFailedRequest(200, 0)).toBe(false);
    expect(isFailedRequest(503, 0)).toBe(true);
  });

  it('treats a missing gRPC status as a plain HTTP exchange', () => {
    expect(isFailedRequest(200, NO_GRPC_STATUS)).toBe(false);
    expect(isFailedRequest(200, null)).toBe(false);
    expect(isFailedRequest(200, undefined)).toBe(false);
  });
});
