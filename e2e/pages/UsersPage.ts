import type { Locator, Page } from '@playwright/test';
import { ConsolePage } from './ConsolePage.ts';

export interface NewUser {
  username: string;
  displayName?: string;
  role: 'viewer' | 'editor' | 'admin';
  password: string;
}

export class UsersPage extends ConsolePage {
  readonly root: Locator;
  readonly form: Locator;
  readonly created: Locator;
  readonly table: Locator;

  constructor(page: Page) {
    super(page);
    this.root = page.locator('[data-test="users-page"]');
    this.form = page.locator('[data-test="user-form"]');
    this.created = page.locator('[data-test="user-created"]');
    this.table = page.locator('[data-test="users-table"]');
  }

  async goto(): Promise<void> {
    await this.page.goto('/admin/users');
  }

  async createUser(user: NewUser): Promise<void> {
    await this.form.locator('[data-test="user-username"]').fill(user.username);
    await this.form.locator('[data-test="user-display-name"]').fill(user.displayName ?? '');
    await this.form.locator('[data-test="user-role-select"]').selectOption(user.role);
    await this.form.locator('[data-test="user-password"]').fill(user.password);
    await this.form.locator('[data-test="user-create"]').click();
  }

  row(username: string): Locator {
    return this.page.locator(`[data-test="user-row"][data-username="${username}"]`);
  }

  async setRole(username: string, role: NewUser['role']): Promise<void> {
    await this.row(username).locator('[data-test="user-role-change"]').selectOption(role);
  }

  async remove(username: string): Promise<void> {
    const row = this.row(username);
    await row.locator('[data-test="user-remove"]').click();
    await row.locator('[data-test="user-remove-yes"]').click();
  }
}
