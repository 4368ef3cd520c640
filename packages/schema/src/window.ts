import { z } from 'zod';
import { QueryLimits } from './limits.ts';
import type { TimeWindow } from './views.ts';

/** Latest instant a window may name: the end of year 9999. */
export const MAX_EPOCH_MS = 253_402_300_799_999;

export const DEFAULT_WINDOW_MS = 5 * 60 * 1000;

/** A duration for messages, in its largest unit: "90 days", "1 day", "6 h", "1.5 min", "1500 ms". */
export function describeDuration(ms: number): string {
  const units: [number, string, string][] = [
    [24 * 3600 * 1000, 'day', 'days'],
    [3600 * 1000, 'h', 'h'],
    [60 * 1000, 'min', 'min'],
    [1000, 's', 's'],
  ];
  for (const [size, one, many] of units) {
    if (ms < size) continue;
    const value = Math.round((ms / size) * 10) / 10;
    return `${value} ${value === 1 ? one : many}`;
  }
  return `${ms} ms`;
}

const MAX_WINDOW_TEXT = `${describeDuration(QueryLimits.maxWindowMs)} (QueryLimits.maxWindowMs = ${QueryLimits.maxWindowMs} ms)`;

const epochMs = (field: string) =>
  z
    .number()
    .int(`${field} must be a whole number of milliseconds since the epoch`)
    .nonnegative(`${field} must not be negative`)
    .max(MAX_EPOCH_MS, `${field} must be at most ${MAX_EPOCH_MS} (the end of year 9999)`);

interface WindowFields {
  lastMs?: number | undefined;
  fromMs?: number | undefined;
  toMs?: number | undefined;
}

export function resolveWindow(input: WindowFields, nowMs: number): TimeWindow {
  const toMs = input.toMs ?? nowMs;
  const fromMs = input.fromMs ?? toMs - (input.lastMs ?? DEFAULT_WINDOW_MS);
  return { fromMs, toMs };
}

/** How long the window is: from `fromMs` (or `toMs - lastMs`) to `toMs` (or now). */
export function windowLengthMs(input: WindowFields, nowMs: number): number {
  const w = resolveWindow(input, nowMs);
  return w.toMs - w.fromMs;
}

/**
 * A time window chosen in the console: either the last N ms, or an absolute from/to (to defaults to now).
 * No window may be longer than QueryLimits.maxWindowMs; a window that starts at the epoch is refused, not
 * read.
 */
export const windowInputSchema = z
  .object({
    lastMs: z
      .number()
      .int('lastMs must be a whole number of milliseconds')
      .positive('lastMs must be positive')
      .max(
        QueryLimits.maxWindowMs,
        `lastMs must be at most ${QueryLimits.maxWindowMs}: a query covers at most ${MAX_WINDOW_TEXT}`,
      )
      .optional(),
    fromMs: epochMs('fromMs').optional(),
    toMs: epochMs('toMs').optional(),
  })
  .superRefine((w, ctx) => {
    if (w.fromMs !== undefined && w.toMs !== undefined && w.fromMs >= w.toMs) {
      ctx.addIssue({ code: 'custom', message: 'fromMs must be before toMs', path: ['fromMs'] });
      return;
    }
    if (w.fromMs === undefined) return; // lastMs (bounded above) or the default
    // An open-ended window (fromMs without toMs) ends now.
    const length = windowLengthMs(w, Date.now());
    if (length > QueryLimits.maxWindowMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['fromMs'],
        message: `the window from fromMs to ${w.toMs === undefined ? 'now' : 'toMs'} is ${length} ms (${describeDuration(length)}) long; a query covers at most ${MAX_WINDOW_TEXT}`,
      });
    }
  })
  .default({});
export type WindowInput = z.input<typeof windowInputSchema>;
