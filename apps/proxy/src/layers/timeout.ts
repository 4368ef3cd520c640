/**
 * How long the upstream may take to start answering; the forwarding terminal enforces it and a miss
 * becomes a 504. It bounds each attempt, so a retry layer placed outside gets a fresh budget per try.
 */
import type { Layer } from '../http/layer.ts';

export const DEFAULT_UPSTREAM_TIMEOUT_MS = 15_000;

export function timeout(ms: number): Layer {
  return (next) => (req) => {
    req.timeoutMs = ms;
    return next(req);
  };
}
