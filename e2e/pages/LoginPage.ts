import { expect, type Locator, type Page } from '@playwright/test';

export class LoginPage {
  readonly root: Locator;
  readonly username: Locator;
  readonly password: Locator;
  readonly submit: Locator;
  readonly error: Locator;
  readonly wait: Locator;
  readonly oidc: Locator;
  readonly help: Locator;

  constructor(readonly page: Page) {
    this.root = page.locator('[data-test="login-page"]');
    this.username = page.locator('[data-test="login-username"]');
    this.password = page.locator('[data-test="login-password"]');
    this.submit = page.locator('[data-test="login-submit"]');
    this.error = page.locator('[data-test="login-error"]');
    this.wait = page.locator('[data-test="login-wait"]');
    this.oidc = page.locator('[data-test="login-oidc"]');
    this.help = page.locator('[data-test="login-help"]');
  }

  async goto(query = ''): Promise<void> {
    await this.page.goto(`/login${query}`);
    await expect(this.root).toBeVisible();
  }

  /** Fills and sends the form; what follows (a redirect, an error) is for the test to check. */
  async signIn(username: string, password: string): Promise<void> {
    await this.username.fill(username);
    await this.password.fill(password);
    await this.submit.click();
  }

  /** Expects the sign-in page, sent there from `returnTo` when given (null: with no page to return to). */
  async expectHere(returnTo?: string | null): Promise<void> {
    await expect(this.page).toHaveURL(/\/login(\?|$)/);
    await expect(this.root).toBeVisible();
    if (returnTo !== undefined) {
      expect(new URL(this.page.url()).searchParams.get('returnTo')).toBe(returnTo);
    }
  }
}
