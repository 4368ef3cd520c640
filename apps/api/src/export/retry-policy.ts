/**
 * When the exporter tries a batch again, as the OTLP/HTTP spec says: 429, 502, 503 and 504 and network errors
 * are retryable (with the receiver's Retry-After honoured when it sends one), every other answer is final —
 * a 400 will be a 400 again. Backoff between tries grows exponentially with jitter, so that many API replicas
 * that lost the same collector do not retry in lockstep.
 */
import type { OtlpExportConfig } from './otlp-export-config.ts';

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status);
}

/** Retry-After as delay-seconds or an HTTP-date, in ms from `nowMs`; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null | undefined, nowMs: number): number | undefined {
  if (header === null || header === undefined) return undefined;
  const value = header.trim();
  if (/^\d{1,10}$/.test(value)) return Number(value) * 1000;
  if (!/[a-z]/i.test(value)) return undefined; // not a date either (e.g. "-5", "1.5")
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** ± this share of the backoff is random. */
const JITTER = 0.2;

/**
 * The wait before retry number `retry` (1 = the first retry). A Retry-After from the receiver is honoured up to
 * maxRetryAfterMs; otherwise initialBackoffMs × 2^(retry-1), capped at maxBackoffMs, ±20%.
 */
export function retryDelayMs(
  retry: number,
  retryAfterMs: number | undefined,
  config: Pick<OtlpExportConfig, 'initialBackoffMs' | 'maxBackoffMs' | 'maxRetryAfterMs'>,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(0, retryAfterMs), config.maxRetryAfterMs);
  const base = Math.min(config.maxBackoffMs, config.initialBackoffMs * 2 ** Math.max(0, retry - 1));
  const jittered = base * (1 - JITTER + 2 * JITTER * random());
  return Math.round(Math.min(config.maxBackoffMs, Math.max(0, jittered)));
}
