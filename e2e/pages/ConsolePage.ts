import { expect, type Locator, type Page, type Response } from '@playwright/test';

export type WindowKey = '5m' | '15m' | '1h' | '6h' | '24h' | '7d';

export const WINDOW_MS: Record<WindowKey, number> = {
  '5m': 5 * 60_000,
  '15m': 15 * 60_000,
  '1h': 3_600_000,
  '6h': 6 * 3_600_000,
  '24h': 24 * 3_600_000,
  '7d': 7 * 24 * 3_600_000,
};

/**
 * The part of a DOM element the page objects read inside `evaluateAll` (the e2e project compiles without the
 * DOM library, so this is spelled out).
 */
export interface AttrElement {
  getAttribute(name: string): string | null;
}

/** A tRPC call the console made through its /trpc proxy (batched calls count for each procedure). */
export function isTrpcCall(response: Response, procedure: string, window?: WindowKey): boolean {
  const url = decodeURIComponent(response.url());
  if (!url.includes('/trpc/')) return false;
  const path = url.split('/trpc/')[1]!.split('?')[0]!;
  if (!path.split(',').includes(procedure)) return false;
  return window === undefined || url.includes(`"lastMs":${WINDOW_MS[window]}`);
}

export type NavName =
  'overview' | 'graph' | 'traces' | 'proxies' | 'policies' | 'admin-tokens' | 'admin-users';

/**
 * What every console page has: the sidebar, the time-window picker, who is signed in, live status and error
 * states.
 */
export class ConsolePage {
  readonly windowPicker: Locator;
  readonly apiUnreachable: Locator;
  readonly liveStatus: Locator;
  readonly userMenu: Locator;
  readonly userName: Locator;
  readonly userRole: Locator;
  readonly adminNav: Locator;
  readonly needsAdmin: Locator;
  readonly platform: Locator;

  constructor(readonly page: Page) {
    this.windowPicker = page.locator('[data-test="window-picker"]');
    this.apiUnreachable = page.locator('[data-test="api-unreachable"]');
    this.liveStatus = page.locator('[data-test="live-status"]');
    this.userMenu = page.locator('[data-test="user-menu"]');
    this.userName = page.locator('[data-test="user-name"]');
    this.userRole = page.locator('[data-test="user-role"]');
    this.adminNav = page.locator('[data-test="nav-admin"]');
    this.needsAdmin = page.locator('[data-test="needs-admin"]');
    this.platform = page.locator('[data-test="platform"]');
  }

  /** Waits until the shell shows who is signed in. */
  async expectSignedIn(displayName: string, role: 'viewer' | 'editor' | 'admin'): Promise<void> {
    await expect(this.userName).toHaveText(displayName);
    await expect(this.userRole).toHaveAttribute('data-role', role);
  }

  async signOut(): Promise<void> {
    await this.userMenu.click();
    await this.page.locator('[data-test="sign-out"]').click();
    await expect(this.page).toHaveURL(/\/login$/);
  }

  windowOption(key: WindowKey): Locator {
    return this.page.locator(`[data-test="window-option-${key}"]`);
  }

  async selectWindow(key: WindowKey): Promise<void> {
    await this.windowOption(key).click();
  }

  async expectWindow(key: WindowKey): Promise<void> {
    await expect(this.page).toHaveURL(new RegExp(`[?&]window=${key}(&|$)`));
    await expect(this.windowOption(key)).toHaveAttribute('aria-pressed', 'true');
  }

  nav(name: NavName): Locator {
    return this.page.locator(`[data-test="nav-${name}"]`);
  }

  /** Resolves on the next successful answer to `procedure` (optionally for a given window). */
  nextCall(procedure: string, window?: WindowKey, timeout = 15_000): Promise<Response> {
    return this.page.waitForResponse((r) => isTrpcCall(r, procedure, window) && r.status() === 200, {
      timeout,
    });
  }
}
