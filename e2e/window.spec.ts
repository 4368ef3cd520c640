import { expect, test } from '@playwright/test';
import { OverviewPage } from './pages/OverviewPage.ts';
import { GraphPage } from './pages/GraphPage.ts';
import { DEMO_SERVICES } from './demo.ts';

test.describe('time window', () => {
  test('the picker changes the URL and reloads the data for the new window', async ({ page }) => {
    const overview = new OverviewPage(page);
    const firstLoad = overview.nextCall('services.list', '5m');
    await overview.goto('5m');
    await firstLoad;
    await overview.expectWindow('5m');
    for (const id of DEMO_SERVICES) await expect(overview.row(id)).toBeVisible({ timeout: 30_000 });

    // Choosing 1h: the URL says so, the console asks the API for the last hour, and the table shows the answer.
    const reload = overview.nextCall('services.list', '1h');
    await overview.selectWindow('1h');
    await overview.expectWindow('1h');
    const response = await reload;
    const body = (await response.json()) as { result?: { data?: unknown[] } }[];
    expect(Array.isArray(body) ? body[0]?.result?.data?.length : 0).toBeGreaterThanOrEqual(
      DEMO_SERVICES.length,
    );
    await expect(overview.page.locator('[data-test="page-subtitle"]')).toContainText('last 1h');
    await expect(overview.row('shop/catalog')).toBeVisible();

    // The window follows navigation (sidebar) and the graph loads it too.
    const graph = new GraphPage(page);
    const graphLoad = graph.nextCall('topology.graph', '1h');
    await graph.nav('graph').click();
    await expect(page).toHaveURL(/\/graph\?window=1h$/);
    await graphLoad;
    await graph.expectWindow('1h');

    // Back restores the previous window.
    await page.goBack();
    await page.goBack();
    await overview.expectWindow('5m');
  });
});
