/**
 * Workload identity between proxies: the outbound proxy stamps `x-weft-source` with its own service;
 * the inbound proxy reads it (absent or malformed: the "unknown" caller) and strips it, so the
 * application never sees it and cannot forge it for its own calls.
 */
import { Headers } from '@weft/schema';
import type { Layer } from '../http/layer.ts';
import { formatIdentity, parseIdentity, UNKNOWN_IDENTITY, type WorkloadIdentity } from '../identity.ts';

/** Inbound: who calls, and that the destination is this workload. */
export function readSourceIdentity(self: WorkloadIdentity): Layer {
  return (next) => (req) => {
    const header = req.headers[Headers.source];
    if (header !== undefined) {
      req.source = parseIdentity(header) ?? UNKNOWN_IDENTITY;
      req.headers[Headers.source] = undefined; // undici skips absent values; `delete` would slow the object
    }
    req.destination = self;
    return next(req);
  };
}

/** Outbound: this workload is the source, whatever the application sent. */
export function stampSourceIdentity(self: WorkloadIdentity): Layer {
  const value = formatIdentity(self);
  return (next) => (req) => {
    req.source = self;
    req.headers[Headers.source] = value;
    return next(req);
  };
}
