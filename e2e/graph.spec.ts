import { expect, test } from '@playwright/test';
import { isTrpcCall } from './pages/ConsolePage.ts';
import { GraphPage } from './pages/GraphPage.ts';
import { DEMO_EDGES, DEMO_SERVICES, EXTERNAL_CALLER } from './demo.ts';

/** True when the viewport and the two nodes' transforms are the same two animation frames apart. */
async function stableOverTwoFrames(graph: GraphPage): Promise<boolean> {
  const read = async () =>
    (
      await Promise.all([
        graph.viewportTransform(),
        graph.nodeTransform('shop/pricing'),
        graph.nodeTransform('shop/catalog'),
      ])
    ).join('|');
  const before = await read();
  await graph.page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const { requestAnimationFrame: frame } = globalThis as unknown as {
          requestAnimationFrame: (callback: () => void) => number;
        };
        frame(() => frame(() => resolve()));
      }),
  );
  return (await read()) === before;
}

test.describe('service graph', () => {
  test('shows the demo services and the calls between them, with numbers', async ({ page }) => {
    const graph = new GraphPage(page);
    await graph.goto('5m');
    await graph.waitForGraph(
      [...DEMO_SERVICES, EXTERNAL_CALLER],
      [[EXTERNAL_CALLER, 'storefront/frontend'], ...DEMO_EDGES],
    );

    // Every demo call carries live traffic: a positive request rate and an error percentage on its label.
    for (const [source, target] of DEMO_EDGES) {
      await expect
        .poll(async () => (await graph.readEdge(source, target)).rps, {
          message: `rps on ${source} → ${target}`,
          timeout: 30_000,
        })
        .toBeGreaterThan(0);
      const edge = await graph.readEdge(source, target);
      expect(edge.text, `label of ${source} → ${target}`).toMatch(
        /^(<0\.01|\d+(\.\d+)?k?) rps\s*·\s*\d+(\.\d+)?% err$/,
      );
      expect(edge.errorRate, `error rate of ${source} → ${target}`).not.toBeNull();
    }

    // Nodes are grouped by namespace.
    await expect(page.locator('[data-test="graph-namespace-shop"]')).toBeVisible();
    await expect(page.locator('[data-test="graph-namespace-storefront"]')).toBeVisible();

    // Nodes are laid out left to right by call depth.
    const x = async (id: string) => (await graph.node(id).boundingBox())!.x;
    expect(await x(EXTERNAL_CALLER)).toBeLessThan(await x('storefront/frontend'));
    expect(await x('storefront/frontend')).toBeLessThan(await x('shop/catalog'));
    expect(await x('shop/catalog')).toBeLessThan(await x('shop/reviews'));
    expect(await x('shop/reviews')).toBeLessThan(await x('shop/ratings'));
  });

  test('clicking a node opens its stats and links to the service page', async ({ page }) => {
    const graph = new GraphPage(page);
    await graph.goto('5m');
    await graph.waitForGraph(['shop/catalog'], []);
    await graph.node('shop/catalog').click();
    await expect(graph.sidePanel).toBeVisible();
    await expect(graph.sidePanel.locator('[data-test="graph-panel-title"]')).toHaveText('catalog');
    await expect(graph.sidePanel.locator('[data-test="graph-panel-rps"]')).toHaveText(
      /^(<0\.01|\d+(\.\d+)?k?)$/,
    );
    await expect(graph.sidePanel).toContainText('storefront/frontend');
    await graph.sidePanel.locator('[data-test="graph-panel-service-link"]').click();
    await expect(page).toHaveURL(/\/services\/shop\/catalog\?window=5m$/);
    await expect(page.locator('[data-test="service-page"]')).toBeVisible();
  });

  test('refreshes itself without a reload, keeping the viewport and node positions', async ({ page }) => {
    const graph = new GraphPage(page);
    await graph.goto('5m');
    await graph.waitForGraph(['shop/catalog', 'shop/pricing'], [['shop/catalog', 'shop/pricing']]);
    await page.evaluate(() => {
      (globalThis as { weftE2eMarker?: number }).weftE2eMarker = 42;
    });

    // The user zooms and moves a node...
    const before = await graph.viewportTransform();
    await graph.zoomIn();
    await expect.poll(() => graph.viewportTransform()).not.toBe(before);
    await graph.dragNode('shop/pricing', 60, 40);
    // Zooming and dragging settle (the zoom animates): read the state once two animation frames apart agree.
    await expect.poll(() => stableOverTwoFrames(graph), { intervals: [50] }).toBe(true);
    const viewport = await graph.viewportTransform();
    const pricing = await graph.nodeTransform('shop/pricing');
    const catalog = await graph.nodeTransform('shop/catalog');

    // ...then two polls arrive, each within ~5 s of the last.
    const polls: number[] = [];
    page.on('response', (r) => {
      if (isTrpcCall(r, 'topology.graph') && r.status() === 200) polls.push(Date.now());
    });
    const started = Date.now();
    await expect.poll(() => polls.length, { timeout: 14_000, intervals: [250] }).toBeGreaterThanOrEqual(2);
    expect(polls[0]! - started, 'first refresh').toBeLessThanOrEqual(6_500);
    expect(polls[1]! - polls[0]!, 'refresh interval').toBeLessThanOrEqual(6_500);
    // The second refresh is applied (the live status stops showing a fetch) and painted.
    await expect(graph.liveStatus).not.toHaveClass(/\bfetching\b/);
    await stableOverTwoFrames(graph);

    expect(await page.evaluate(() => (globalThis as { weftE2eMarker?: number }).weftE2eMarker)).toBe(42);
    expect(await graph.viewportTransform(), 'viewport after refresh').toBe(viewport);
    expect(await graph.nodeTransform('shop/pricing'), 'dragged node after refresh').toBe(pricing);
    expect(await graph.nodeTransform('shop/catalog'), 'other node after refresh').toBe(catalog);
    await expect(graph.edgeLabel('shop/catalog', 'shop/pricing')).toHaveText(/rps/);
  });
});
