import type { Locator, Page } from '@playwright/test';
import { ConsolePage } from './ConsolePage.ts';

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
    const result: SpanRowInfo[] = [];
    for (const row of await this.spans.all()) {
      const attr = async (name: string) => (await row.getAttribute(name)) ?? '';
      result.push({
        spanId: await attr('data-span-id'),
        parentSpanId: await attr('data-parent-span-id'),
        depth: Number(await attr('data-depth')),
        service: await attr('data-service'),
        status: await attr('data-status'),
      });
    }
    return result;
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
