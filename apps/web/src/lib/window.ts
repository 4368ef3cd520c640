'use client';
/**
 * The global time window, kept in the URL (`?window=15m`) so that every view is shareable and the back button
 * works. Each page reads it from here; nothing stores it elsewhere.
 */
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useCallback, useMemo } from 'react';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export const TIME_WINDOWS = [
  { key: '5m', label: 'Last 5m', ms: 5 * MINUTE },
  { key: '15m', label: 'Last 15m', ms: 15 * MINUTE },
  { key: '1h', label: 'Last 1h', ms: HOUR },
  { key: '6h', label: 'Last 6h', ms: 6 * HOUR },
  { key: '24h', label: 'Last 24h', ms: 24 * HOUR },
  { key: '7d', label: 'Last 7d', ms: 7 * 24 * HOUR },
] as const;

export type TimeWindowKey = (typeof TIME_WINDOWS)[number]['key'];
export type TimeWindowOption = (typeof TIME_WINDOWS)[number];

export const DEFAULT_WINDOW: TimeWindowKey = '15m';
export const WINDOW_PARAM = 'window';

export function parseWindow(value: string | null | undefined): TimeWindowOption {
  const found = TIME_WINDOWS.find((w) => w.key === value);
  return found ?? TIME_WINDOWS.find((w) => w.key === DEFAULT_WINDOW)!;
}

/** Points per chart: enough to show shape, few enough to stay cheap. */
const TARGET_POINTS = 60;

/** Step of a signal series for a window, rounded to whole seconds (the API's minimum is 1 s). */
export function stepForWindow(ms: number): number {
  return Math.max(1000, Math.round(ms / TARGET_POINTS / 1000) * 1000);
}

export function useTimeWindow(): TimeWindowOption & { input: { lastMs: number } } {
  const params = useSearchParams();
  const option = parseWindow(params.get(WINDOW_PARAM));
  return useMemo(() => ({ ...option, input: { lastMs: option.ms } }), [option]);
}

/** Changes the window in the URL, keeping every other query parameter. */
export function useSetTimeWindow(): (key: TimeWindowKey) => void {
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  return useCallback(
    (key: TimeWindowKey) => {
      const next = new URLSearchParams(params.toString());
      next.set(WINDOW_PARAM, key);
      router.push(`${pathname}?${next.toString()}`, { scroll: false });
    },
    [router, pathname, params],
  );
}

/** An in-console link that carries the current window along. */
export function useWindowHref(): (path: string) => string {
  const params = useSearchParams();
  const current = params.get(WINDOW_PARAM);
  return useCallback(
    (path: string) => {
      if (!current) return path;
      const [base, query = ''] = path.split('?', 2) as [string, string?];
      const next = new URLSearchParams(query);
      if (!next.has(WINDOW_PARAM)) next.set(WINDOW_PARAM, current);
      return `${base}?${next.toString()}`;
    },
    [current],
  );
}
