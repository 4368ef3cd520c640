import type { Locator, Page } from '@playwright/test';
import { ConsolePage, type WindowKey } from './ConsolePage.ts';

export class OverviewPage extends ConsolePage {
  readonly table: Locator;

  constructor(page: Page) {
    super(page);
    this.table = page.locator('[data-test="services-table"]');
  }

  async goto(window?: WindowKey): Promise<void> {
    await this.page.goto(window ? `/?window=${window}` : '/');
  }

  row(id: string): Locator {
    return this.page.locator(`[data-test="service-row-${id}"]`);
  }

  rows(): Locator {
    return this.page.locator('[data-test^="service-row-"]');
  }

  /** One figure of a service's row. */
  cell(id: string, name: 'rps' | 'success' | 'p95'): Locator {
    return this.row(id).locator(`[data-test="cell-${name}"]`);
  }

  link(id: string): Locator {
    return this.page.locator(`[data-test="service-link-${id}"]`);
  }
}
