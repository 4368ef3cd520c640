import { expect, type Locator, type Page } from '@playwright/test';
import { ConsolePage } from './ConsolePage.ts';

/** Every change to the policies (/policies/history) or to one of them, with one-click revert. */
export class HistoryPage extends ConsolePage {
  readonly table: Locator;
  readonly rows: Locator;
  readonly reverted: Locator;
  readonly openPolicy: Locator;

  constructor(page: Page) {
    super(page);
    this.table = page.locator('[data-test="history-table"]');
    this.rows = page.locator('[data-test^="history-row-"]');
    this.reverted = page.locator('[data-test="history-reverted"]');
    this.openPolicy = page.locator('[data-test="history-open-policy"]');
  }

  /** The mesh-wide history, or one policy's. */
  async goto(policy?: { kind: string; namespace: string; name: string }): Promise<void> {
    await this.page.goto(
      policy ? `/policies/history/${policy.kind}/${policy.namespace}/${policy.name}` : '/policies/history',
    );
    await expect(this.table).toBeVisible();
  }

  row(revision: number): Locator {
    return this.page.locator(`[data-test="history-row-${revision}"]`);
  }

  /** Rows recording one kind of change: created, updated, deleted, … */
  rowsWithAction(action: string): Locator {
    return this.page.locator(`[data-test^="history-row-"][data-action="${action}"]`);
  }

  /** The revision number a row stands for. */
  async revisionOf(row: Locator): Promise<number> {
    const testId = (await row.getAttribute('data-test')) ?? '';
    return Number(testId.replace('history-row-', ''));
  }

  toggleDiff(revision: number): Locator {
    return this.page.locator(`[data-test="history-toggle-${revision}"]`);
  }

  /** The diffs shown under open rows. */
  diffs(): Locator {
    return this.page.locator('[data-test="history-diff"]');
  }

  revertButton(revision: number): Locator {
    return this.page.locator(`[data-test="history-revert-${revision}"]`);
  }

  /** Opens the revert confirmation of a revision; returns the diff it says the revert will make. */
  async openRevert(revision: number): Promise<Locator> {
    await this.revertButton(revision).click();
    const confirm = this.page.locator(`[data-test="history-revert-${revision}-confirm"]`);
    await expect(confirm).toHaveAttribute('data-state', 'read');
    return confirm.locator('[data-test="history-revert-preview"]');
  }

  /** Confirms an opened revert and waits for the page to say it is done. */
  async confirmRevert(revision: number): Promise<void> {
    await this.page.locator(`[data-test="history-revert-${revision}-yes"]`).click();
    await expect(this.reverted).toBeVisible();
  }
}
