import type { Locator, Page } from '@playwright/test';
import { ConsolePage } from './ConsolePage.ts';

export type AckState = 'acked' | 'pending' | 'nack';

export class ProxiesPage extends ConsolePage {
  readonly table: Locator;
  readonly rows: Locator;
  readonly empty: Locator;

  constructor(page: Page) {
    super(page);
    this.table = page.locator('[data-test="proxies-table"]');
    this.rows = page.locator('[data-test="proxy-row"]');
    this.empty = page.locator('[data-test="proxies-empty"]');
  }

  async goto(): Promise<void> {
    await this.page.goto('/proxies');
  }

  row(proxyId: string): Locator {
    return this.page.locator(`[data-test="proxy-row"][data-proxy-id="${proxyId}"]`);
  }

  rowsIn(state: AckState): Locator {
    return this.page.locator(`[data-test="proxy-row"][data-ack-state="${state}"]`);
  }

  /** "service.namespace version" of every row, e.g. "reviews.shop v2". */
  async workloads(): Promise<string[]> {
    const services = await this.rows.locator('[data-test="proxy-service"]').allInnerTexts();
    const versions = await this.rows.locator('td:nth-child(3)').allInnerTexts();
    return services.map((s, i) => `${s.trim()} ${versions[i]!.trim()}`).sort();
  }
}
