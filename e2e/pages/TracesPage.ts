import { expect, type Locator, type Page } from '@playwright/test';
import { ConsolePage, type AttrElement, type WindowKey } from './ConsolePage.ts';

export interface TraceRowInfo {
  traceId: string;
  spans: number;
  errors: number;
  services: number;
  durationMs: number;
}

export class TracesPage extends ConsolePage {
  readonly rows: Locator;
  readonly serviceFilter: Locator;
  readonly minDurationFilter: Locator;
  readonly errorsOnly: Locator;
  readonly apply: Locator;
  readonly empty: Locator;
  readonly table: Locator;
  readonly paused: Locator;

  constructor(page: Page) {
    super(page);
    this.rows = page.locator('[data-test="trace-row"]');
    this.serviceFilter = page.locator('[data-test="filter-service"]');
    this.minDurationFilter = page.locator('[data-test="filter-min-duration"]');
    this.errorsOnly = page.locator('[data-test="filter-errors-only"]');
    this.apply = page.locator('[data-test="filter-apply"]');
    this.empty = page.locator('[data-test="traces-empty"]');
    this.table = page.locator('[data-test="traces-table"]');
    this.paused = page.locator('[data-test="traces-paused"]');
  }

  async goto(query = '', window?: WindowKey): Promise<void> {
    const params = new URLSearchParams(query);
    if (window) params.set('window', window);
    const qs = params.toString();
    await this.page.goto(qs ? `/traces?${qs}` : '/traces');
  }

  async waitForRows(timeout = 30_000): Promise<void> {
    await expect(this.rows.first()).toBeVisible({ timeout });
  }

  /** Reads every row in one go (the list re-renders every few seconds; row-by-row reads could straddle two renders). */
  async readRows(): Promise<TraceRowInfo[]> {
    return this.rows.evaluateAll((rows: AttrElement[]) =>
      rows.map((r) => ({
        traceId: r.getAttribute('data-trace-id') ?? '',
        spans: Number(r.getAttribute('data-span-count')),
        errors: Number(r.getAttribute('data-error-count')),
        services: Number(r.getAttribute('data-service-count')),
        durationMs: Number(r.getAttribute('data-duration-ms')),
      })),
    );
  }

  /** Per row, the services the trace went through ("namespace/service"). */
  async rowServices(): Promise<string[][]> {
    return this.rows
      .locator('[data-test="trace-services"]')
      .evaluateAll((cells: (AttrElement & { querySelectorAll(s: string): ArrayLike<AttrElement> })[]) =>
        cells.map((c) => Array.from(c.querySelectorAll('.tag')).map((t) => t.getAttribute('title') ?? '')),
      );
  }

  async open(traceId: string): Promise<void> {
    await this.rows
      .and(this.page.locator(`[data-trace-id="${traceId}"]`))
      .locator('[data-test="trace-link"]')
      .click();
  }
}
