/**
 * Maps `performance.now()` readings to epoch milliseconds for span timestamps, precise to a few
 * microseconds, so that a callee's span sits inside its caller's span across processes.
 *
 * `Date.now()` only has millisecond resolution, and `performance.timeOrigin` is fixed at start-up. The offset
 * between the two clocks is estimated from many samples of `Date.now() - performance.now()`, reading the
 * wall clock first: truncation to the millisecond and any delay between the two reads (a busy machine
 * pre-empting the process) can only make a sample smaller than the true offset, never larger, so the largest
 * recent sample is the best estimate. A short burst of samples at start-up gives the first estimate; a
 * light background sampler keeps following the wall clock afterwards (NTP adjustments).
 */
const SAMPLE_EVERY_MS = 25;
/** Samples kept: 200 × 25 ms = the last 5 s of readings. */
const WINDOW = 200;
const STARTUP_BURST_MS = 20;

function sample(): number {
  const wall = Date.now();
  return wall - performance.now();
}

function burst(ms: number): number {
  const until = performance.now() + ms;
  let best = Number.NEGATIVE_INFINITY;
  while (performance.now() < until) best = Math.max(best, sample());
  return best;
}

let offset = burst(STARTUP_BURST_MS);
const recent = new Float64Array(WINDOW).fill(offset);
let next = 0;

setInterval(() => {
  recent[next] = sample();
  next = (next + 1) % WINDOW;
  let best = Number.NEGATIVE_INFINITY;
  for (const v of recent) if (v > best) best = v;
  offset = best;
}, SAMPLE_EVERY_MS).unref();

/** Epoch ms (fractional) of a `performance.now()` reading. */
export function epochMs(perfNow: number): number {
  return offset + perfNow;
}
