/**
 * The golden-signal series a page draws, as numbers a test can add up. The service page and the canary editor
 * poll `signals.service` (for the whole service, or one version of it) and draw whole steps, each with its
 * request count and how many of those were rate limited; this keeps the newest series the page received per
 * version, so a test can count what happened after a moment (an apply) from exactly the data the page shows.
 */
import type { Page, Response } from '@playwright/test';

interface SeriesPoint {
  /** Start of the step, ms since the epoch. */
  t: number;
  requests: number;
  rateLimited: number;
}

interface SignalsInput {
  namespace?: string;
  service?: string;
  version?: string;
}

/** The whole service's series (signals.service without a version). */
export const WHOLE_SERVICE = '';

export class SignalSeries {
  private readonly latest = new Map<string, SeriesPoint[]>();

  constructor(
    page: Page,
    private readonly namespace: string,
    private readonly service: string,
  ) {
    page.on('response', (response) => void this.record(response));
  }

  private async record(response: Response): Promise<void> {
    const url = new URL(response.url());
    if (!url.pathname.startsWith('/trpc/') || response.status() !== 200) return;
    const procedures = decodeURIComponent(url.pathname.slice('/trpc/'.length)).split(',');
    if (!procedures.includes('signals.service')) return;
    try {
      const batched = url.searchParams.get('batch') === '1';
      const rawInput = JSON.parse(url.searchParams.get('input') ?? '{}') as Record<string, unknown>;
      const body = (await response.json()) as unknown;
      const answers = (batched ? body : [body]) as { result?: { data?: { points?: SeriesPoint[] } } }[];
      procedures.forEach((procedure, i) => {
        if (procedure !== 'signals.service') return;
        const input = (batched ? rawInput[String(i)] : rawInput) as SignalsInput | undefined;
        const points = answers[i]?.result?.data?.points;
        if (!input || !points) return;
        if (input.namespace !== this.namespace || input.service !== this.service) return;
        this.latest.set(input.version ?? WHOLE_SERVICE, points);
      });
    } catch {
      // A response whose page went away, or not JSON: nothing to count.
    }
  }

  private since(version: string, fromMs: number): SeriesPoint[] {
    return (this.latest.get(version) ?? []).filter((p) => p.t >= fromMs);
  }

  /** Requests one version (or WHOLE_SERVICE) received in the steps that started at or after `fromMs`. */
  requestsSince(version: string, fromMs: number): number {
    return this.since(version, fromMs).reduce((sum, p) => sum + p.requests, 0);
  }

  /** Of those, how many were answered 429. */
  rateLimitedSince(version: string, fromMs: number): number {
    return this.since(version, fromMs).reduce((sum, p) => sum + p.rateLimited, 0);
  }

  /** Each version's part of the requests the given versions received since `fromMs`, and their total. */
  sharesSince(
    versions: readonly string[],
    fromMs: number,
  ): { total: number; shares: Record<string, number> } {
    const counts = versions.map((v) => this.requestsSince(v, fromMs));
    const total = counts.reduce((a, b) => a + b, 0);
    const shares: Record<string, number> = {};
    versions.forEach((v, i) => (shares[v] = total > 0 ? counts[i]! / total : 0));
    return { total, shares };
  }
}
