import type { Locator, Page } from '@playwright/test';
import { ConsolePage } from './ConsolePage.ts';

/**
 * The Config page (/policies): every policy with its conditions and per-proxy NACKs, and every validation
 * finding with its code, like Kiali's validations list.
 */
export class ConfigPage extends ConsolePage {
  readonly table: Locator;
  readonly findings: Locator;
  readonly historyAll: Locator;

  constructor(page: Page) {
    super(page);
    this.table = page.locator('[data-test="policies-table"]');
    this.findings = page.locator('[data-test="config-findings"]');
    this.historyAll = page.locator('[data-test="config-history-all"]');
  }

  async goto(): Promise<void> {
    await this.page.goto('/policies');
  }

  /** The row of `kind` namespace/name, e.g. row('TrafficSplit', 'shop', 'reviews'). */
  row(kind: string, namespace: string, name: string): Locator {
    return this.page.locator(`[data-test="config-row-${kind}-${namespace}-${name}"]`);
  }

  /** Every row of the table. */
  rows(): Locator {
    return this.page.locator('[data-test^="config-row-"]');
  }

  /** One condition cell of a row: data-status is True / False / Unknown (or "none" when not reported). */
  condition(row: Locator, type: 'Accepted' | 'Programmed'): Locator {
    return row.locator(`[data-test="condition-${type}"]`);
  }

  /** The findings list's rows with one code, e.g. finding('WEFT1004'). */
  finding(code: string): Locator {
    return this.findings.locator(`[data-test="finding-${code}"]`);
  }

  open(row: Locator): Locator {
    return row.locator('[data-test="config-open"]');
  }

  history(row: Locator): Locator {
    return row.locator('[data-test="config-history"]');
  }
}
