import { expect, test } from '@playwright/test';
import { TracesPage } from './pages/TracesPage.ts';
import { TracePage } from './pages/TracePage.ts';

test.describe('traces', () => {
  test('a trace opens as a waterfall of nested spans across services', async ({ page }) => {
    const traces = new TracesPage(page);
    await traces.goto('', '5m');
    await traces.waitForRows();
    // As a user would: with the pointer over the list, it stops refreshing, so the rows stay put.
    await traces.table.hover();
    await expect(traces.paused).toBeVisible();

    // Pick the richest trace on the page: several spans over at least two services.
    let rows = await traces.readRows();
    await expect
      .poll(
        async () => {
          rows = await traces.readRows();
          return rows.some((r) => r.spans >= 3 && r.services >= 2);
        },
        { message: 'a trace with ≥3 spans over ≥2 services', timeout: 30_000 },
      )
      .toBe(true);
    const chosen = rows.filter((r) => r.spans >= 3 && r.services >= 2).sort((a, b) => b.spans - a.spans)[0]!;
    await traces.open(chosen.traceId);

    const trace = new TracePage(page);
    await expect(page).toHaveURL(new RegExp(`/traces/${chosen.traceId}`));
    await expect(trace.waterfall).toBeVisible();
    await expect(trace.spans).toHaveCount(chosen.spans);
    const spans = await trace.readSpans();
    expect(new Set(spans.map((s) => s.service)).size).toBeGreaterThanOrEqual(2);

    // Parent links become indentation: every child sits one level under its parent, drawn further right.
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const children = spans.filter((s) => s.depth > 0);
    expect(children.length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...spans.map((s) => s.depth))).toBeGreaterThanOrEqual(1);
    for (const child of children) {
      const parent = byId.get(child.parentSpanId);
      expect(parent, `parent of span ${child.spanId}`).toBeDefined();
      expect(child.depth).toBe(parent!.depth + 1);
      expect(await trace.labelIndentX(child.spanId)).toBeGreaterThan(
        await trace.labelIndentX(parent!.spanId),
      );
      // A child's bar starts no earlier than its parent's (clock skew across processes is tiny on one host).
      const [c, p] = await Promise.all([trace.barBox(child.spanId), trace.barBox(parent!.spanId)]);
      expect(c.x).toBeGreaterThanOrEqual(p.x - 2);
    }
    // Bars are placed on one time axis: the first root starts at its origin, and every bar fits inside it.
    const axis = (await trace.timelineBox())!;
    const firstRoot = spans.find((s) => s.depth === 0)!;
    expect((await trace.barBox(firstRoot.spanId)).x).toBeLessThanOrEqual(axis.x + 2);
    for (const s of spans) {
      const b = await trace.barBox(s.spanId);
      expect(b.x, `start of span ${s.spanId}`).toBeGreaterThanOrEqual(axis.x - 1);
      expect(b.x + b.width, `end of span ${s.spanId}`).toBeLessThanOrEqual(axis.x + axis.width + 1);
    }

    // Clicking a span shows its details.
    const child = children[0]!;
    await trace.span(child.spanId).click();
    await expect(trace.details).toBeVisible();
    await expect(trace.details).toHaveAttribute('data-span-id', child.spanId);
    await expect(trace.details.locator('[data-test="span-detail-service"]')).toHaveText(child.service);
    await expect(trace.details.locator('[data-test="span-detail-kind"]')).toHaveText(
      /^(server|client|internal|producer|consumer|unspecified)$/,
    );
    await expect(trace.details.locator('[data-test="span-detail-duration"]')).toHaveText(/(µs|ms|s)$/);
    // What OTLP carried beside the span: the proxy that sent it (resource, as Jaeger's "Process") and its
    // instrumentation scope.
    await expect(trace.details.locator('[data-test="span-resource"]')).toContainText('service.instance.id');
    await trace.details.locator('[data-test="span-scope"] summary').click();
    await expect(trace.details.locator('[data-test="span-scope-name"]')).not.toHaveText('—');
  });

  test('filters: errors only, minimum duration, service', async ({ page }) => {
    const traces = new TracesPage(page);
    await traces.goto('', '15m');
    await traces.waitForRows();

    // Errors only: the demo has a failing service, so some traces have errors — and then only those are listed.
    await traces.errorsOnly.check();
    await expect(page).toHaveURL(/errors=1/);
    await expect(traces.rows.first()).toBeVisible({ timeout: 30_000 });
    await expect.poll(async () => (await traces.readRows()).every((r) => r.errors > 0)).toBe(true);
    await traces.errorsOnly.uncheck();
    await expect(page).not.toHaveURL(/errors=1/);

    // Minimum duration.
    await traces.minDurationFilter.fill('20');
    await traces.apply.click();
    await expect(page).toHaveURL(/minMs=20/);
    await expect
      .poll(async () => {
        const rows = await traces.readRows();
        return rows.length > 0 || (await traces.empty.isVisible())
          ? rows.every((r) => r.durationMs >= 20)
          : null;
      })
      .toBe(true);

    // Service.
    await traces.minDurationFilter.fill('');
    await traces.apply.click();
    await traces.serviceFilter.selectOption('shop/ratings');
    await expect(page).toHaveURL(/service=shop%2Fratings/);
    await expect(traces.rows.first()).toBeVisible({ timeout: 30_000 });
    await expect
      .poll(async () => {
        const services = await traces.rowServices();
        return services.length > 0 && services.every((s) => s.includes('shop/ratings'));
      })
      .toBe(true);
  });
});
