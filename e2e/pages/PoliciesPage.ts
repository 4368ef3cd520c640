import type { Locator, Page } from '@playwright/test';
import { ConsolePage } from './ConsolePage.ts';

export class PoliciesPage extends ConsolePage {
  readonly table: Locator;
  readonly rows: Locator;
  readonly empty: Locator;

  constructor(page: Page) {
    super(page);
    this.table = page.locator('[data-test="policies-table"]');
    this.rows = page.locator('[data-test^="config-row-"]');
    this.empty = page.locator('[data-test="policies-empty"]');
  }

  async goto(): Promise<void> {
    await this.page.goto('/policies');
  }

  /** The row of `kind` namespace/name, e.g. row('TimeoutPolicy', 'shop', 'catalog-timeout'). */
  row(kind: string, namespace: string, name: string): Locator {
    return this.page.locator(`[data-test="config-row-${kind}-${namespace}-${name}"]`);
  }

  /** One condition cell of a row: data-status is True / False / Unknown (or "none" when not reported). */
  condition(row: Locator, type: 'Accepted' | 'Programmed'): Locator {
    return row.locator(`[data-test="condition-${type}"]`);
  }
}
