/**
 * Maps `performance.now()` readings to epoch milliseconds for span timestamps.
 *
 * `performance.timeOrigin` is fixed at process start and can sit several milliseconds away from the wall
 * clock, differently in every process, which would put a callee's span outside its caller's span in the
 * waterfall. The offset is instead taken at the moment `Date.now()` ticks to a new millisecond (so it is
 * exact to a few microseconds), and taken again now and then to follow clock adjustments.
 */
const REANCHOR_MS = 30_000;

function measureOffset(): number {
  const start = Date.now();
  let now = start;
  let perf = performance.now();
  // Spin until the millisecond changes (at most ~1 ms), then pair that edge with the monotonic clock.
  while (now === start) {
    perf = performance.now();
    now = Date.now();
  }
  return now - perf;
}

let offset = measureOffset();
let anchoredAt = performance.now();

/** Epoch ms (fractional) of a `performance.now()` reading. */
export function epochMs(perfNow: number): number {
  if (perfNow - anchoredAt > REANCHOR_MS) {
    offset = measureOffset();
    anchoredAt = performance.now();
  }
  return offset + perfNow;
}
