import { expect, test } from '@playwright/test';
import { ServicePage } from './pages/ServicePage.ts';

test.describe('service page', () => {
  test('shows golden-signal charts with data points, edges and instances', async ({ page }) => {
    const svc = new ServicePage(page);
    await svc.goto('shop', 'catalog', '5m');
    await expect(svc.title).toContainText('catalog');

    // Charts: several steps of the window carry data, and recharts drew a series through them.
    for (const chart of ['rps', 'success', 'latency'] as const) {
      await expect
        .poll(() => svc.chartPoints(chart), { message: `points on chart-${chart}`, timeout: 30_000 })
        .toBeGreaterThanOrEqual(2);
      // (Attached, not "visible": a flat 100% success line has a zero-height box.)
      const curve = svc.curves(chart).first();
      await expect(curve, `series on chart-${chart}`).toBeAttached();
      const d = (await curve.getAttribute('d')) ?? '';
      expect(ServicePage.pathVertices(d), `vertices of the chart-${chart} series`).toBeGreaterThanOrEqual(2);
    }
    // Latency shows p50, p95 and p99.
    await expect(svc.curves('latency')).toHaveCount(3);

    // Header numbers.
    await expect(svc.stat('rps')).toHaveText(/^(<0\.01|\d+(\.\d+)?k?)$/);
    await expect(svc.stat('rps')).not.toHaveText('0');
    await expect(svc.stat('success')).toHaveText(/%$/);
    await expect(svc.stat('p95')).toHaveText(/(µs|ms|s)$/);

    // Who calls catalog, whom it calls, and where it runs.
    await expect(svc.inboundRow('storefront/frontend')).toBeVisible();
    await expect(svc.outboundRow('shop/pricing')).toBeVisible();
    await expect(svc.outboundRow('shop/reviews')).toBeVisible();
    await expect(svc.instances.locator('[data-test="instance-row"]')).not.toHaveCount(0);
  });

  test('links to the traces of the service', async ({ page }) => {
    const svc = new ServicePage(page);
    await svc.goto('shop', 'catalog', '15m');
    await svc.tracesLink.click();
    await expect(page).toHaveURL(/\/traces\?service=shop%2Fcatalog&window=15m$/);
    await expect(page.locator('[data-test="filter-service"]')).toHaveValue('shop/catalog');
    await expect(page.locator('[data-test="trace-row"]').first()).toBeVisible({ timeout: 30_000 });
  });
});
