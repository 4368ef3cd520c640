import { expect, test } from '@playwright/test';
import { OverviewPage } from './pages/OverviewPage.ts';
import { DEMO_SERVICES } from './demo.ts';

test('overview lists every service with its signals and links to its page', async ({ page }) => {
  const overview = new OverviewPage(page);
  await overview.goto('5m');
  for (const id of DEMO_SERVICES) {
    const row = overview.row(id);
    await expect(row).toBeVisible({ timeout: 30_000 });
    await expect(row.locator('[data-test="cell-success"]')).toHaveText(/%$/);
    await expect(row.locator('[data-test="health-badge"]')).toHaveAttribute(
      'data-health',
      /^(healthy|degraded|failing)$/,
    );
  }
  await expect
    .poll(async () => overview.row('storefront/frontend').locator('[data-test="cell-rps"]').innerText())
    .not.toBe('0');
  // reviews runs two versions.
  await expect(overview.row('shop/reviews')).toContainText('v1');
  await expect(overview.row('shop/reviews')).toContainText('v2');

  await overview.link('shop/pricing').click();
  await expect(page).toHaveURL(/\/services\/shop\/pricing\?window=5m$/);
  await expect(page.locator('[data-test="page-title"]')).toContainText('pricing');
});
