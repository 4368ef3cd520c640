/**
 * The mesh-configuration pages: which platform the control plane runs on, every demo proxy with the config it
 * ACKed, and the read-only policy list (a policy applied through the API shows up Accepted, then goes away).
 */
import { expect, test, type Page } from '@playwright/test';
import { uniqueName } from './accounts.ts';
import { PoliciesPage } from './pages/PoliciesPage.ts';
import { ProxiesPage } from './pages/ProxiesPage.ts';
import { DEMO_WORKLOADS as TOPOLOGY } from '../apps/demo/src/topology.ts';

/** The demo's workloads as the Proxies page names them ("cart.shop v1"), one per proxy, sorted. */
const DEMO_PROXIES = TOPOLOGY.map((w) => `${w.service}.${w.namespace} ${w.version}`).sort();

/** Calls a tRPC mutation the way the console does: the session cookie plus the session's CSRF token. */
async function mutate(page: Page, procedure: string, input: unknown) {
  const me = (await (await page.request.get('/trpc/auth.me')).json()) as {
    result: { data: { csrfToken: string } };
  };
  return page.request.post(`/trpc/${procedure}`, {
    headers: { 'x-weft-csrf': me.result.data.csrfToken },
    data: input,
  });
}

test('the platform badge says universal and the Proxies page lists every demo proxy ACKed', async ({
  page,
}) => {
  const proxies = new ProxiesPage(page);
  await proxies.goto();
  await expect(proxies.platform).toHaveText('universal');
  await expect(proxies.platform).toHaveAttribute('data-platform', 'universal');
  await expect(proxies.nav('proxies')).toHaveAttribute('aria-current', 'page');
  await expect(proxies.windowPicker).toHaveCount(0);

  await expect(proxies.rows).toHaveCount(DEMO_PROXIES.length, { timeout: 30_000 });
  expect(await proxies.workloads()).toEqual(DEMO_PROXIES);
  await expect(proxies.rowsIn('acked')).toHaveCount(DEMO_PROXIES.length, { timeout: 30_000 });
  for (const row of await proxies.rows.all()) {
    await expect(row.locator('[data-test="proxy-ack"]')).toHaveText(/^Acked \d+[smh] ago$/);
    await expect(row.locator('[data-test="proxy-config-version"]')).toHaveText(/^[0-9a-f]{16}$/);
  }
  // Live: the page polls like the other live views.
  await expect(proxies.liveStatus).toBeVisible();
  await proxies.nextCall('proxies.list', undefined, 12_000);
});

test('the Policies page starts empty and lists an applied policy as Accepted', async ({ page }) => {
  const policies = new PoliciesPage(page);
  await policies.goto();
  await expect(policies.platform).toHaveText('universal');
  await expect(policies.empty).toBeVisible();
  await expect(policies.empty).toContainText('No policies yet');

  const name = uniqueName('e2e-timeout');
  const applied = await mutate(page, 'policies.upsert', {
    apiVersion: 'policy.weft.dev/v1alpha1',
    kind: 'TimeoutPolicy',
    metadata: { name, namespace: 'shop' },
    // Generous enough to change nothing for the demo's traffic while it exists.
    spec: { targetRef: { name: 'catalog' }, request: '30s' },
  });
  expect(applied.status()).toBe(200);
  const stored = (await applied.json()) as {
    result: { data: { resource: { metadata: { resourceVersion: string } } } };
  };
  try {
    const row = policies.row('TimeoutPolicy', 'shop', name);
    await expect(row).toBeVisible({ timeout: 15_000 });
    await expect(row.locator('[data-test="policy-kind"]')).toHaveText('TimeoutPolicy');
    await expect(row.locator('[data-test="policy-target"]')).toContainText('catalog');
    await expect(policies.condition(row, 'Accepted')).toHaveAttribute('data-status', 'True');
    await expect(policies.condition(row, 'Accepted').locator('[data-test="condition-reason"]')).toHaveText(
      'Accepted',
    );
    await expect(row.locator('[data-test="policy-findings"]')).toHaveText('none');
    // Every demo proxy ACKs the config carrying it.
    await expect(policies.condition(row, 'Programmed')).toHaveAttribute('data-status', 'True', {
      timeout: 30_000,
    });
  } finally {
    // Fetch the current resourceVersion: the Programmed status write moves it.
    const current = await page.request.get(
      `/trpc/policies.get?input=${encodeURIComponent(JSON.stringify({ kind: 'TimeoutPolicy', namespace: 'shop', name }))}`,
    );
    const rv =
      current.status() === 200
        ? (
            (await current.json()) as {
              result: { data: { resource: { metadata: { resourceVersion: string } } } };
            }
          ).result.data.resource.metadata.resourceVersion
        : stored.result.data.resource.metadata.resourceVersion;
    const deleted = await mutate(page, 'policies.delete', {
      kind: 'TimeoutPolicy',
      namespace: 'shop',
      name,
      resourceVersion: rv,
    });
    expect(deleted.status()).toBe(200);
  }
  await expect(policies.row('TimeoutPolicy', 'shop', name)).toHaveCount(0, { timeout: 15_000 });
  await expect(policies.empty).toBeVisible();
});
