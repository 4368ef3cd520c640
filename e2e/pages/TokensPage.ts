import { expect, type Locator, type Page } from '@playwright/test';
import { ConsolePage } from './ConsolePage.ts';

export interface TokenForm {
  kind: 'workload' | 'ingest';
  name: string;
  namespace?: string;
  service?: string;
  version?: string;
}

export class TokensPage extends ConsolePage {
  readonly root: Locator;
  readonly form: Locator;
  readonly create: Locator;
  readonly secretPanel: Locator;
  readonly secret: Locator;
  readonly envLine: Locator;
  readonly table: Locator;

  constructor(page: Page) {
    super(page);
    this.root = page.locator('[data-test="tokens-page"]');
    this.form = page.locator('[data-test="token-form"]');
    this.create = page.locator('[data-test="token-create"]');
    this.secretPanel = page.locator('[data-test="token-secret-panel"]');
    this.secret = page.locator('[data-test="token-secret"]');
    this.envLine = page.locator('[data-test="token-env-line"]');
    this.table = page.locator('[data-test="tokens-table"]');
  }

  async goto(): Promise<void> {
    await this.page.goto('/admin/tokens');
  }

  async fill(token: TokenForm): Promise<void> {
    await this.form.locator(`[data-test="token-kind-${token.kind}"]`).click();
    await this.form.locator('[data-test="token-name"]').fill(token.name);
    await this.form.locator('[data-test="token-namespace"]').fill(token.namespace ?? '');
    await this.form.locator('[data-test="token-service"]').fill(token.service ?? '');
    if (token.kind === 'workload') {
      await this.form.locator('[data-test="token-version"]').fill(token.version ?? '');
    }
  }

  /** Errors the form shows under its fields. */
  fieldErrors(): Locator {
    return this.form.locator('[data-test="field-error"]');
  }

  row(name: string): Locator {
    return this.page.locator(`[data-test="token-row"][data-token-name="${name}"]`);
  }

  async revoke(name: string): Promise<void> {
    const row = this.row(name);
    await row.locator('[data-test="token-revoke"]').click();
    await expect(row.locator('[data-test="token-revoke-confirm"]')).toBeVisible();
    await row.locator('[data-test="token-revoke-yes"]').click();
  }
}
