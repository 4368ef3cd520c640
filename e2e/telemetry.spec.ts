/**
 * Telemetry from beyond the proxies, as a user meets it in the console. The demo runs two services outside the
 * mesh (apps/demo/src/outside): `shop/recommendations`, which has no Weft proxy and reports its own traces and
 * `http.server.request.duration` histogram with the OpenTelemetry SDK (OTLP/HTTP protobuf, gzip, an ingest token),
 * and a payments gateway with no telemetry at all. The frontend calls recommendations on product pages and cart
 * calls the gateway, both through their own proxy's outbound listener as a forward proxy (egress).
 */
import { expect, test } from '@playwright/test';
import { allocateOutsidePorts } from '../apps/demo/src/launcher/ports.ts';
import { PAYMENTS_GATEWAY, RECOMMENDATIONS } from '../apps/demo/src/topology.ts';
import { GraphPage } from './pages/GraphPage.ts';
import { OverviewPage } from './pages/OverviewPage.ts';
import { ServicePage } from './pages/ServicePage.ts';
import { TracePage } from './pages/TracePage.ts';
import { TracesPage } from './pages/TracesPage.ts';

/** WEFT_PORT_BASE of the universal demo (playwright.config.ts): where the launcher puts the outside services. */
const DEMO_PORT_BASE = 16000;
const hostOf = (name: string): string =>
  `127.0.0.1:${allocateOutsidePorts(DEMO_PORT_BASE).find((o) => o.service.name === name)!.port}`;

const SDK = RECOMMENDATIONS.identity;
const SDK_SERVICE = `${SDK.namespace}/${SDK.service}`;
/** The meshed service that calls recommendations (through its proxy). */
const CALLER = 'storefront/frontend';
const PAYMENTS_HOST = hostOf(PAYMENTS_GATEWAY.name);
/** The graph's id of a host outside the mesh: EXTERNAL_NAMESPACE/host. */
const externalId = (host: string): string => `(external)/${host}`;

test.describe('a service that sends OTLP itself (OpenTelemetry SDK, no proxy)', () => {
  test('is listed among the services, with its requests', async ({ page }) => {
    const overview = new OverviewPage(page);
    await overview.goto('5m');
    await expect(overview.row(SDK_SERVICE)).toBeVisible({ timeout: 30_000 });
    await expect
      .poll(() => overview.cell(SDK_SERVICE, 'rps').innerText(), {
        message: `requests per second of ${SDK_SERVICE}`,
        timeout: 30_000,
      })
      .toMatch(/^(<0\.01|\d+(\.\d+)?k?)$/);
    await expect(overview.cell(SDK_SERVICE, 'rps')).not.toHaveText('0');
    await expect(overview.cell(SDK_SERVICE, 'success')).toHaveText(/%$/);
    await expect(overview.cell(SDK_SERVICE, 'p95')).toHaveText(/(µs|ms|s)$/);
    await expect(overview.row(SDK_SERVICE)).toContainText(SDK.version);
  });

  test('is on the graph, with traffic into it', async ({ page }) => {
    const graph = new GraphPage(page);
    await graph.goto('5m');
    await graph.waitForGraph([SDK_SERVICE, CALLER], []);
    // Its panel: the requests it received, and a link to its page.
    await graph.node(SDK_SERVICE).click();
    await expect(graph.sidePanel.locator('[data-test="graph-panel-title"]')).toHaveText(SDK.service);
    const rps = graph.sidePanel.locator('[data-test="graph-panel-rps"]');
    await expect(rps).toHaveText(/^(<0\.01|\d+(\.\d+)?k?)$/);
    await expect(rps).not.toHaveText('0');
    await graph.sidePanel.locator('[data-test="graph-panel-service-link"]').click();
    await expect(page).toHaveURL(new RegExp(`/services/${SDK_SERVICE}\\?window=5m$`));
  });

  test('is drawn with the call from its caller', async ({ page }) => {
    // The caller's proxy measured the call as egress and the SDK measured it as a request; the trace context
    // joins the two (the SDK's SERVER span is the child of the proxy's CLIENT span).
    const graph = new GraphPage(page);
    await graph.goto('5m');
    await graph.waitForGraph([SDK_SERVICE, CALLER], [[CALLER, SDK_SERVICE]]);
    await expect
      .poll(async () => (await graph.readEdge(CALLER, SDK_SERVICE)).rps, {
        message: `rps on ${CALLER} → ${SDK_SERVICE}`,
        timeout: 30_000,
      })
      .toBeGreaterThan(0);
  });

  for (const window of ['5m', '6h'] as const) {
    test(`has golden-signal charts with data over ${window}`, async ({ page }) => {
      const svc = new ServicePage(page);
      await svc.goto(SDK.namespace, SDK.service, window);
      await expect(svc.title).toContainText(SDK.service);
      await svc.expectWindow(window);
      for (const chart of ['rps', 'success', 'latency'] as const) {
        await expect
          .poll(() => svc.chartPoints(chart), { message: `points on chart-${chart}`, timeout: 30_000 })
          .toBeGreaterThanOrEqual(1);
        await expect(svc.chartEmpty(chart), `"No requests in this window" on chart-${chart}`).toHaveCount(0);
        await expect(svc.curves(chart).first(), `series on chart-${chart}`).toBeAttached();
      }
      await expect(svc.curves('latency')).toHaveCount(3);
      await expect(svc.stat('rps')).not.toHaveText('0');
      await expect(svc.stat('success')).toHaveText(/%$/);
      await expect(svc.stat('p95')).toHaveText(/(µs|ms|s)$/);
    });
  }

  test('its spans join the mesh traces, with the SDK resource and instrumentation scope', async ({
    page,
  }) => {
    const traces = new TracesPage(page);
    await traces.goto(`service=${SDK_SERVICE}`, '15m');
    await expect(traces.serviceFilter).toHaveValue(SDK_SERVICE);
    await traces.waitForRows();
    // A product page's trace: from the frontend's proxy into recommendations (only sampled requests have one).
    let traceId = '';
    await expect
      .poll(
        async () => {
          const [rows, services] = await Promise.all([traces.readRows(), traces.rowServices()]);
          const i = services.findIndex((s) => s.includes(CALLER) && s.includes(SDK_SERVICE));
          traceId = i >= 0 && rows[i] ? rows[i].traceId : '';
          return traceId;
        },
        { message: `a trace through ${CALLER} and ${SDK_SERVICE}`, timeout: 60_000 },
      )
      .not.toBe('');
    await traces.table.hover();
    await traces.open(traceId);

    const trace = new TracePage(page);
    await expect(page).toHaveURL(new RegExp(`/traces/${traceId}`));
    await expect(trace.waterfall).toBeVisible();
    const spans = await trace.readSpans();
    const sdkSpan = spans.find((s) => s.service === SDK.service);
    expect(sdkSpan, `a span of ${SDK.service}`).toBeDefined();
    // Trace context went through the frontend's proxy (egress) to the SDK: its parent is the proxy's span.
    const parent = spans.find((s) => s.spanId === sdkSpan!.parentSpanId);
    expect(parent?.service, 'the service of its parent span').toBe(CALLER.split('/')[1]);
    expect(sdkSpan!.depth).toBe(parent!.depth + 1);

    await trace.span(sdkSpan!.spanId).click();
    await expect(trace.details).toHaveAttribute('data-span-id', sdkSpan!.spanId);
    await expect(trace.details.locator('[data-test="span-detail-kind"]')).toHaveText('server');
    const tags = await trace.readDetailTable('span-attributes');
    expect(tags).toMatchObject({ 'http.request.method': 'GET', 'http.route': '/recommendations/:id' });
    const resource = await trace.readDetailTable('span-resource');
    expect(resource).toMatchObject({
      'service.name': SDK.service,
      'service.namespace': SDK.namespace,
      'telemetry.sdk.name': 'opentelemetry',
      'telemetry.sdk.language': 'nodejs',
    });
    expect(resource['telemetry.sdk.version']).toMatch(/^\d+\.\d+\.\d+/);
    expect(await trace.readScopeName()).toBe('weft-demo-recommendations');
  });
});

test.describe('a host outside the mesh (egress)', () => {
  test('is an external node on the graph, with the call from the service that used it', async ({ page }) => {
    const graph = new GraphPage(page);
    await graph.goto('5m');
    const gateway = externalId(PAYMENTS_HOST);
    await graph.waitForGraph(['shop/cart', gateway], [['shop/cart', gateway]]);
    await expect(graph.externalNode(PAYMENTS_HOST)).toBeVisible();
    await expect(graph.node(gateway)).toHaveAttribute('data-kind', 'external');
    await expect
      .poll(async () => (await graph.readEdge('shop/cart', gateway)).rps, {
        message: `rps on shop/cart → ${PAYMENTS_HOST}`,
        timeout: 30_000,
      })
      .toBeGreaterThan(0);
    // External hosts have no service page, so they are not in the services list.
    const overview = new OverviewPage(page);
    await overview.goto('5m');
    await expect(overview.row('shop/cart')).toBeVisible({ timeout: 30_000 });
    await expect(overview.row(gateway)).toHaveCount(0);
  });
});
