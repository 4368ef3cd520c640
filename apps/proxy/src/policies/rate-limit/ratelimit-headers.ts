/**
 * The RateLimit-Policy and RateLimit response fields of draft-ietf-httpapi-ratelimit-headers (-11), sent
 * on every response a rate-limit rule applied to, refused or not:
 *
 *   RateLimit-Policy: "per-caller";q=100;w=1;weft-burst=20
 *   RateLimit: "per-caller";r=0;t=1;pk=:Y2FydC5zaG9w:
 *
 * One list member per applied rule, named after the rule. `q` per `w` seconds is the refill rate (the
 * draft's window must be whole seconds, so a sub-second interval is stated per second); the burst a
 * token bucket adds goes in a vendor parameter, as the draft asks for implementation-specific ones. `r` is
 * the whole tokens left, `t` the seconds until the next token arrives (within which no more than `r`
 * requests pass), so on a 429 `t` equals Retry-After. `pk` is the calling workload of a per-client bucket.
 */
import type { AppliedRule } from './rate-limit-policy.ts';
import type { BucketLimit, TokenBucket } from './token-bucket.ts';

export const RATELIMIT_POLICY_HEADER = 'ratelimit-policy';
export const RATELIMIT_HEADER = 'ratelimit';

/** The draft's quota and whole-second window for a token bucket's refill rate. */
export function quotaWindow(limit: BucketLimit): { q: number; w: number } {
  const w = Math.max(1, Math.round(limit.intervalMs / 1000));
  const q =
    w * 1000 === limit.intervalMs
      ? limit.requests
      : Math.round((limit.requests * w * 1000) / limit.intervalMs);
  return { q, w };
}

/** Whole seconds, rounded up: a client waiting this long finds what was promised. */
export function secondsUntil(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000));
}

// Both fields are built on every response a rule applies to: the parts that never change for a bucket
// (its policy item, its partition key in base64, ~1 µs each) are computed once per bucket.
const policyItems = new WeakMap<TokenBucket, string>();
const partitionKeys = new WeakMap<TokenBucket, string>();

export function policyField(applied: readonly AppliedRule[]): string {
  let out = '';
  for (const a of applied) {
    let item = policyItems.get(a.bucket);
    if (item === undefined) {
      const limit = a.bucket.limit;
      const { q, w } = quotaWindow(limit);
      const burst = limit.burst > 0 ? `;weft-burst=${limit.burst}` : '';
      item = `${sfString(a.rule.name)};q=${q};w=${w}${burst}`;
      policyItems.set(a.bucket, item);
    }
    out += out === '' ? item : `, ${item}`;
  }
  return out;
}

/** After the verdict: the buckets were refilled up to the time of the check, and tokens taken if allowed. */
export function limitField(applied: readonly AppliedRule[]): string {
  let out = '';
  for (const a of applied) {
    const r = a.bucket.tokens;
    const t = secondsUntil(r > 0 ? a.bucket.msUntilNextToken() : a.bucket.msUntilToken());
    let pk = partitionKeys.get(a.bucket);
    if (pk === undefined) {
      pk = a.partition === undefined ? '' : `;pk=:${Buffer.from(a.partition).toString('base64')}:`;
      partitionKeys.set(a.bucket, pk);
    }
    out += `${out === '' ? '' : ', '}${sfString(a.rule.name)};r=${r};t=${t}${pk}`;
  }
  return out;
}

/** A Structured Field String (RFC 8941 3.3.3): quoted, with `\` and `"` escaped. */
function sfString(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
