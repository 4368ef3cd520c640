import { z } from 'zod';
import type { TimeWindow } from './views.ts';

const MAX_WINDOW_MS = 400 * 24 * 3600 * 1000;

/** A time window chosen in the console: either the last N ms, or an absolute from/to. */
export const windowInputSchema = z
  .object({
    lastMs: z.number().int().positive().max(MAX_WINDOW_MS).optional(),
    fromMs: z.number().int().nonnegative().optional(),
    toMs: z.number().int().nonnegative().optional(),
  })
  .refine((w) => w.fromMs === undefined || w.toMs === undefined || w.fromMs < w.toMs, {
    message: 'fromMs must be before toMs',
    path: ['fromMs'],
  })
  .default({});
export type WindowInput = z.input<typeof windowInputSchema>;

export const DEFAULT_WINDOW_MS = 5 * 60 * 1000;

export function resolveWindow(input: z.output<typeof windowInputSchema>, nowMs: number): TimeWindow {
  const toMs = input.toMs ?? nowMs;
  const fromMs = input.fromMs ?? toMs - (input.lastMs ?? DEFAULT_WINDOW_MS);
  return { fromMs, toMs };
}
