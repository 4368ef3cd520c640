import type { Locator, Page } from '@playwright/test';
import { ConsolePage, type AttrElement } from './ConsolePage.ts';

export interface SpanRowInfo {
  spanId: string;
  parentSpanId: string;
  depth: number;
  service: string;
  status: string;
}

export class TracePage extends ConsolePage {
  readonly waterfall: Locator;
  readonly spans: Locator;
  readonly details: Locator;
  readonly summary: Locator;

  constructor(page: Page) {
    super(page);
    this.waterfall = page.locator('[data-test="waterfall"]');
    this.spans = page.locator('[data-test="waterfall-span"]');
    this.details = page.locator('[data-test="span-details"]');
    this.summary = page.locator('[data-test="trace-summary"]');
  }

  async goto(traceId: string): Promise<void> {
    await this.page.goto(`/traces/${traceId}`);
  }

  span(spanId: string): Locator {
    return this.page.locator(`[data-test="waterfall-span"][data-span-id="${spanId}"]`);
  }

  async readSpans(): Promise<SpanRowInfo[]> {
    return this.spans.evaluateAll((rows: AttrElement[]) =>
      rows.map((r) => ({
        spanId: r.getAttribute('data-span-id') ?? '',
        parentSpanId: r.getAttribute('data-parent-span-id') ?? '',
        depth: Number(r.getAttribute('data-depth')),
        service: r.getAttribute('data-service') ?? '',
        status: r.getAttribute('data-status') ?? '',
      })),
    );
  }

  /** Screen x of where a span's name starts: what the eye uses to see nesting. */
  async labelIndentX(spanId: string): Promise<number> {
    const box = await this.span(spanId).locator('.wf-service').boundingBox();
    if (!box) throw new Error(`span ${spanId} is not on screen`);
    return box.x;
  }

  /** The time axis (header) of the waterfall, in screen coordinates. */
  async timelineBox(): Promise<{ x: number; width: number } | null> {
    return this.waterfall.locator('[data-test="waterfall-axis"]').boundingBox();
  }

  /** The span's bar, in screen coordinates. */
  async barBox(spanId: string): Promise<{ x: number; width: number }> {
    const box = await this.span(spanId).locator('[data-test="waterfall-bar"]').boundingBox();
    if (!box) throw new Error(`bar of span ${spanId} is not on screen`);
    return { x: box.x, width: box.width };
  }
}
