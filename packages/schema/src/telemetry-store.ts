/**
 * How the API keeps request telemetry: every histogram data point is added, at ingest, to pre-aggregated rollups
 * at several resolutions (one row per series and time bucket, bucket counts in columns that SQL sums). Each
 * resolution is kept for its own retention; a query reads the coarsest resolution that serves its window and
 * step. Spans are kept for their own retention too.
 */
import { z } from 'zod';

export interface RollupResolution {
  /** Short name used in configuration (`WEFT_RETENTION`) and logs. */
  name: string;
  /** Width of one time bucket. */
  ms: number;
  /** Default retention: rows whose bucket ended longer ago than this are deleted. */
  defaultRetentionMs: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Finest first. Every resolution divides the next one, so buckets of a coarser one are whole finer ones. */
export const ROLLUP_RESOLUTIONS: readonly RollupResolution[] = Object.freeze([
  { name: '10s', ms: 10_000, defaultRetentionMs: 6 * HOUR },
  { name: '1m', ms: MINUTE, defaultRetentionMs: 7 * DAY },
  { name: '10m', ms: 10 * MINUTE, defaultRetentionMs: 30 * DAY },
  { name: '1h', ms: HOUR, defaultRetentionMs: 90 * DAY },
  { name: '1d', ms: DAY, defaultRetentionMs: 400 * DAY },
]);

/**
 * Other retentions: `spans` (trace spans, by start time), `receipts` (the ids of data points already counted, so
 * that a retried export is not counted twice: longer than any exporter keeps retrying), `resilience` (retry and
 * ejection counters).
 */
export const OTHER_RETENTIONS = Object.freeze({
  spans: 3 * DAY,
  receipts: HOUR,
  resilience: 7 * DAY,
});

/** Retention per name, in ms. */
export type RetentionSettings = Record<string, number>;

export function defaultRetention(): RetentionSettings {
  const settings: RetentionSettings = { ...OTHER_RETENTIONS };
  for (const r of ROLLUP_RESOLUTIONS) settings[r.name] = r.defaultRetentionMs;
  return settings;
}

const DURATION = /^(\d{1,6})(s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: MINUTE, h: HOUR, d: DAY };

/** Shortest retention accepted for anything: a bucket must outlive the time it takes to fill it. */
export const MIN_RETENTION_MS = 10 * MINUTE;

/**
 * Parses `WEFT_RETENTION`, e.g. `10s=6h,1m=7d,1h=90d,spans=3d`: names not given keep their default. A
 * resolution cannot be kept for less than MIN_RETENTION_MS, nor longer than the next coarser resolution (a query
 * over an old window would otherwise find finer data than the resolution it picked).
 */
export const retentionSettingSchema = z.string().transform((text, ctx): RetentionSettings => {
  const settings = defaultRetention();
  const known = Object.keys(settings);
  for (const part of text.split(',').map((p) => p.trim())) {
    if (part === '') continue;
    const [name = '', value = ''] = part.split('=').map((p) => p.trim());
    if (!known.includes(name)) {
      ctx.issues.push({
        code: 'custom',
        input: text,
        message: `WEFT_RETENTION: unknown name "${name}"; use ${known.join(', ')}`,
      });
      continue;
    }
    const match = DURATION.exec(value);
    if (!match) {
      ctx.issues.push({
        code: 'custom',
        input: text,
        message: `WEFT_RETENTION: "${name}=${value}" must be a duration like 90s, 30m, 6h or 7d`,
      });
      continue;
    }
    const ms = Number(match[1]) * (UNIT_MS[match[2] as string] as number);
    if (ms < MIN_RETENTION_MS) {
      ctx.issues.push({
        code: 'custom',
        input: text,
        message: `WEFT_RETENTION: "${name}" must be kept at least 10m`,
      });
      continue;
    }
    settings[name] = ms;
  }
  return settings;
});

/** Bounds on the API's telemetry write queue (ingest answers 429 with Retry-After past them). */
export const WriteQueueLimits = {
  /** Rows (spans + data points) waiting to be written. */
  maxQueuedRows: 200_000,
  /** Most rows written in one transaction. */
  maxRowsPerTransaction: 5_000,
  /** Seconds a refused sender is told to wait (Retry-After). */
  retryAfterSeconds: 2,
} as const;

/**
 * The namespace of destinations outside the mesh (egress through the outbound listener): a graph node
 * with this namespace is an external host, named by its host (and port when not 80/443). Not a DNS label, so
 * that no real namespace can be taken for it.
 */
export const EXTERNAL_NAMESPACE = '(external)';
