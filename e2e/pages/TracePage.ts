import type { Locator, Page } from '@playwright/test';
import { ConsolePage, type AttrElement } from './ConsolePage.ts';

export interface SpanRowInfo {
  spanId: string;
  parentSpanId: string;
  depth: number;
  service: string;
  status: string;
}

/** What the page reads of an event item (DOM types are not in the e2e project). */
interface EventItem extends AttrElement {
  querySelector(selector: string): { textContent: string | null } | null;
}

export class TracePage extends ConsolePage {
  readonly waterfall: Locator;
  readonly spans: Locator;
  readonly details: Locator;
  readonly summary: Locator;
  /** "N spans adjusted for clock skew (up to …)" in the header; absent when nothing was adjusted. */
  readonly skewSummary: Locator;
  /** Every span row's clock-skew note ("adjusted for clock skew by +12.3ms", or "longer than parent"). */
  readonly skewNotes: Locator;

  constructor(page: Page) {
    super(page);
    this.skewSummary = page.locator('[data-test="trace-skew-summary"]');
    this.skewNotes = page.locator('[data-test="span-skew-note"]');
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

  /** The event markers drawn on a span's bar (one per span event). */
  eventMarkers(spanId: string): Locator {
    return this.span(spanId).locator('[data-test="span-event-marker"]');
  }

  /** In the open span's details: its events (name, time relative to the span start) and its links. */
  async readDetailEvents(): Promise<{ name: string; time: string }[]> {
    return this.details.locator('[data-test="span-event"]').evaluateAll((items: EventItem[]) =>
      items.map((i) => ({
        name: i.getAttribute('data-event-name') ?? '',
        time: i.querySelector('[data-test="span-event-time"]')?.textContent ?? '',
      })),
    );
  }

  detailLinks(): Locator {
    return this.details.locator('[data-test="span-link"]');
  }

  /**
   * A key/value table of the open span's details, read in one go: its tags (`span-attributes`), its process
   * (`span-resource`, the OTLP resource) or its instrumentation scope's attributes (`span-scope-attributes`).
   */
  async readDetailTable(
    table: 'span-attributes' | 'span-resource' | 'span-scope-attributes',
  ): Promise<Record<string, string>> {
    const rows = await this.details
      .locator(`[data-test="${table}"] tr`)
      .evaluateAll((trs: EventItem[]) =>
        trs.map((tr): [string, string] => [
          tr.querySelector('.attr-key')?.textContent ?? '',
          tr.querySelector('.attr-value')?.textContent ?? '',
        ]),
      );
    return Object.fromEntries(rows);
  }

  /** The open span's instrumentation scope name (the section is closed at first: this opens it). */
  async readScopeName(): Promise<string> {
    const section = this.details.locator('[data-test="span-scope"]');
    if ((await section.getAttribute('open')) === null) await section.locator('summary').click();
    return (await this.details.locator('[data-test="span-scope-name"]').textContent()) ?? '';
  }

  /** How far the waterfall moved a span for clock skew, µs (its row's data-skew-us; 0 when not moved). */
  async skewUs(spanId: string): Promise<number> {
    return Number((await this.span(spanId).getAttribute('data-skew-us')) ?? '0');
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
