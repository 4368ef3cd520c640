/**
 * The policy editors, end to end, as the people they are for use them (issue "point-and-click policy
 * editors"): an editor changes the canary split of `reviews` and sees its effect on the graph and the
 * per-version signals, rate-limits a route of `pricing` and sees the 429s, is stopped at the field by an
 * invalid policy, and reverts the split from its history; a viewer can look but not change anything, in the
 * page or past it. Runs once per platform (projects `console`: universal, `kubernetes`: Kubernetes mode, each
 * against its own demo), serially, and removes what it created so the other specs find the demo as it was.
 */
import { expect, test, type APIRequestContext, type Browser } from '@playwright/test';
import { EDITOR, platformOf, sessionFile, VIEWER, type E2EPlatform } from './accounts.ts';
import { ConfigPage } from './pages/ConfigPage.ts';
import { ConsolePage } from './pages/ConsolePage.ts';
import { GraphPage } from './pages/GraphPage.ts';
import { HistoryPage } from './pages/HistoryPage.ts';
import { PolicyEditorPage } from './pages/PolicyEditorPage.ts';
import { ServicePage } from './pages/ServicePage.ts';
import { SignalSeries, WHOLE_SERVICE } from './signal-series.ts';
import { csrfTokenOf, trpcData, trpcErrorCode, trpcMutation, trpcQuery } from './trpc.ts';

const NS = 'shop';
const VERSIONS = ['v1', 'v2'] as const;
/** Steps that start this long after an apply count as "after": the proxies have the new config by then. */
const PROPAGATION_MS = 2_000;
/** Requests to count before judging a split: at the demo's load `reviews` gets ~7 a second. */
const MIN_REQUESTS = 30;

interface PolicyRef {
  kind: string;
  namespace: string;
  name: string;
}

test.describe.configure({ mode: 'serial' });
// Everything here is done by the editor unless a test signs in someone else.
// eslint-disable-next-line no-empty-pattern -- Playwright reads which fixtures a fixture needs from this pattern
test.use({ storageState: async ({}, use, testInfo) => use(sessionFile('editor', platformOf(testInfo))) });

/** What the journeys created, for the next test and for the clean-up. */
const created: { split?: PolicyRef; rateLimit?: PolicyRef } = {};

test.afterAll(async ({ browser }, testInfo) => {
  // Leave the demo as the other specs expect it: no split on reviews, no rate limit on pricing.
  const editor = await signedInContext(browser, 'editor', platformOf(testInfo));
  try {
    for (const ref of [created.split, created.rateLimit]) if (ref) await deletePolicy(editor.request, ref);
  } finally {
    await editor.close();
  }
});

test('an editor splits reviews 50/50 with the canary slider, sees the diff, applies, and both versions get traffic', async ({
  page,
  context,
}) => {
  test.setTimeout(150_000);
  const service = new ServicePage(page);
  await service.goto(NS, 'reviews', '5m');
  await new ConsolePage(page).expectSignedIn(EDITOR.displayName, 'editor');
  await service.actionsMenu.click();
  await service.action('TrafficSplit').click();

  const editor = new PolicyEditorPage(page);
  const series = new SignalSeries(page, NS, 'reviews');
  await expect(editor.root).toHaveAttribute('data-kind', 'TrafficSplit');
  await expect(editor.root).toHaveAttribute('data-mode', 'new');
  // A new split starts where traffic is before a canary: everything on the oldest version.
  await expect(editor.weight('v1')).toHaveValue('100');
  await expect(editor.weight('v2')).toHaveValue('0');
  const name = await editor.name.inputValue();
  expect(name).not.toBe('');
  await editor.applyAndWait();
  created.split = { kind: 'TrafficSplit', namespace: NS, name };
  await expect(editor.root).toHaveAttribute('data-mode', 'edit');

  // Move the split point between v1 and v2 to the middle, with the keyboard as a slider is meant to be used.
  await editor.setSlider(0, 50);
  await expect(editor.weight('v1')).toHaveValue('50');
  await expect(editor.weight('v2')).toHaveValue('50');
  await expect(editor.sum).toHaveText('100%');

  // What applying would change: both weights, against what is live.
  await editor.diffTab.click();
  await expect(editor.diff).toBeVisible();
  await expect(editor.diff).toContainText(/^-\s+weight: 100$/m);
  await expect(editor.diff).toContainText(/^\+\s+weight: 50$/m);
  await expect(editor.diff).toContainText(/^-\s+weight: 0$/m);
  await editor.yamlTab.click();
  await expect(editor.yaml).toContainText('kind: TrafficSplit');
  await expect(editor.yaml).toContainText(`name: ${name}`);

  // A second tab on the versioned graph, to watch the split there too.
  const graphTab = await context.newPage();
  const graph = new GraphPage(graphTab);
  await graph.goto('5m');
  await graph.versionsToggle.check();

  const appliedAt = Date.now();
  await editor.applyAndWait();

  // Within 15 s: the per-version cards show both versions serving, and the graph draws both versions of
  // reviews with traffic in about the split's ratio.
  for (const version of VERSIONS) {
    await expect(editor.versionCard(version).locator('[data-test="canary-rps"]')).toHaveText(
      /^[1-9]|^0\.\d*[1-9]/,
      {
        timeout: 15_000,
      },
    );
  }
  await expect(async () => {
    const rps = await Promise.all(VERSIONS.map((v) => graph.versionRps(NS, 'reviews', v)));
    const total = rps[0]! + rps[1]!;
    expect(total, 'reviews rps on the graph').toBeGreaterThan(0);
    for (const [i, v] of VERSIONS.entries()) {
      expect(rps[i]! / total, `graph: ${v}'s part of reviews' traffic`).toBeGreaterThanOrEqual(0.3);
      expect(rps[i]! / total, `graph: ${v}'s part of reviews' traffic`).toBeLessThanOrEqual(0.7);
    }
  }).toPass({ timeout: 15_000 });
  await graphTab.close();

  // The ratio the split made, counted from the per-version series the editor draws: only steps that started
  // after the apply (before it, everything went to v1).
  const after = appliedAt + PROPAGATION_MS;
  await expect
    .poll(() => series.sharesSince(VERSIONS, after).total, {
      message: `reviews requests counted after the apply (want ${MIN_REQUESTS})`,
      timeout: 60_000,
    })
    .toBeGreaterThanOrEqual(MIN_REQUESTS);
  const { shares, total } = series.sharesSince(VERSIONS, after);
  for (const v of VERSIONS) {
    expect(shares[v], `${v}'s part of ${total} requests after the apply`).toBeGreaterThanOrEqual(0.3);
    expect(shares[v], `${v}'s part of ${total} requests after the apply`).toBeLessThanOrEqual(0.7);
  }
});

test('the editor reverts the split from its history, and the earlier weights are live again', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const split = created.split;
  expect(split, 'the canary journey created the split').toBeDefined();
  const history = new HistoryPage(page);
  await history.goto(split);
  // Newest first: the 50/50 update on top of the creation at 100/0.
  await expect(history.rowsWithAction('create')).toHaveCount(1);
  await expect(history.rowsWithAction('update')).not.toHaveCount(0);
  const first = await history.revisionOf(history.rowsWithAction('create'));
  const newest = await history.revisionOf(history.rows.first());
  expect(newest).toBeGreaterThan(first);
  await history.toggleDiff(newest).click();
  await expect(history.diffs().first()).toContainText(/^\+\s+weight: 50$/m);

  const preview = await history.openRevert(first);
  await expect(preview).toContainText(/^\+\s+weight: 100$/m);
  await expect(preview).toContainText(/^-\s+weight: 50$/m);
  const revertedAt = Date.now();
  await history.confirmRevert(first);
  // Recorded as a new revision, by whoever reverted.
  await expect(history.rows.first().locator('[data-test="history-by"]')).toHaveText(EDITOR.username);
  expect(await history.revisionOf(history.rows.first())).toBeGreaterThan(newest);

  // The editor shows the earlier weights, and the Config page says the proxies have it.
  const editor = new PolicyEditorPage(page);
  const series = new SignalSeries(page, NS, 'reviews');
  await editor.gotoEdit(split!.kind, split!.namespace, split!.name);
  await expect(editor.weight('v1')).toHaveValue('100');
  await expect(editor.weight('v2')).toHaveValue('0');

  // Live: from the steps after the revert, v2 gets (almost) nothing again.
  const after = revertedAt + PROPAGATION_MS;
  await expect
    .poll(() => series.sharesSince(VERSIONS, after).total, {
      message: `reviews requests counted after the revert (want ${MIN_REQUESTS})`,
      timeout: 60_000,
    })
    .toBeGreaterThanOrEqual(MIN_REQUESTS);
  const { shares, total } = series.sharesSince(VERSIONS, after);
  expect(shares.v2, `v2's part of ${total} requests after the revert`).toBeLessThanOrEqual(0.1);

  const config = new ConfigPage(page);
  await config.goto();
  const row = config.row(split!.kind, split!.namespace, split!.name);
  await expect(config.condition(row, 'Accepted')).toHaveAttribute('data-status', 'True');
  await expect(config.condition(row, 'Programmed')).toHaveAttribute('data-status', 'True', {
    timeout: 20_000,
  });
});

test('an editor rate-limits a pricing route and the 429s show in pricing’s signals', async ({ page }) => {
  test.setTimeout(120_000);
  const service = new ServicePage(page);
  await service.goto(NS, 'pricing', '5m');
  await service.actionsMenu.click();
  await service.action('RateLimitPolicy').click();

  const editor = new PolicyEditorPage(page);
  await expect(editor.root).toHaveAttribute('data-kind', 'RateLimitPolicy');
  const name = await editor.name.inputValue();
  // One request a second, no burst, shared by every caller, for the product-price route only (catalog
  // calls GET /price/<id> for every product page: several a second at the demo's load).
  await editor.field('rules.0.limit.requests').fill('1');
  await editor.field('rules.0.limit.burst').fill('0');
  await editor.add('rules.0.match').click();
  await editor.field('rules.0.matches.0.path.type').selectOption('PathPrefix');
  await editor.field('rules.0.matches.0.path.value').fill('/price');
  await editor.yamlTab.click();
  await expect(editor.yaml).toContainText('value: /price');
  await expect(editor.yaml).toContainText(/requests: 1$/m);

  const appliedAt = Date.now();
  await editor.applyAndWait();
  created.rateLimit = { kind: 'RateLimitPolicy', namespace: NS, name };

  // Pricing's service page: the requests chart gains the rate-limited series, from steps after the apply.
  const series = new SignalSeries(page, NS, 'pricing');
  await service.goto(NS, 'pricing', '5m');
  await expect(service.chart('rps')).toContainText('429/s (rate limited)', { timeout: 45_000 });
  await expect
    .poll(() => series.rateLimitedSince(WHOLE_SERVICE, appliedAt + PROPAGATION_MS), {
      message: 'pricing requests answered 429 after the apply',
      timeout: 45_000,
    })
    .toBeGreaterThan(0);

  // Taken away again (the other specs expect pricing unlimited).
  await deletePolicy(page.request, created.rateLimit);
  expect(await policyStatus(page.request, created.rateLimit)).toBe('NOT_FOUND');
  created.rateLimit = undefined;
});

test('an invalid policy shows its problem next to the field and nothing is written', async ({ page }) => {
  const editor = new PolicyEditorPage(page);
  await editor.gotoNew('RateLimitPolicy', NS, 'pricing');
  const name = await editor.name.inputValue();
  const ref = { kind: 'RateLimitPolicy', namespace: NS, name };

  // A negative burst: the shared schema refuses it as you type, at the field.
  const burst = editor.field('rules.0.limit.burst');
  await burst.fill('-5');
  await expect(burst).toHaveAttribute('aria-invalid', 'true');
  await expect.poll(() => editor.issuesOf(burst)).toContainEqual(expect.objectContaining({ code: 'SCHEMA' }));
  const [schemaIssue] = await editor.issuesOf(burst);
  expect(schemaIssue!.message).toMatch(/0|negative|greater/i);
  await expect(editor.apply).toBeDisabled();
  await expect(editor.checks).toHaveAttribute('data-errors', /^[1-9]/);

  // Fixed; then a second rule with the first one's name: the control plane's validate() finds it (WEFT5001).
  await burst.fill('0');
  await expect(burst).not.toHaveAttribute('aria-invalid', 'true');
  await editor.add('rule').click();
  const secondName = editor.field('rules.1.name');
  await secondName.fill(await editor.field('rules.0.name').inputValue());
  await expect(secondName).toHaveAttribute('aria-invalid', 'true');
  await expect
    .poll(() => editor.issuesOf(secondName))
    .toContainEqual(expect.objectContaining({ code: 'WEFT5001' }));
  await expect(editor.apply).toBeDisabled();

  // Nothing was written: not on the Config page, not in the API.
  const config = new ConfigPage(page);
  await config.goto();
  await expect(config.table.or(page.locator('[data-test="policies-empty"]')).first()).toBeVisible();
  await expect(config.row(ref.kind, ref.namespace, ref.name)).toHaveCount(0);
  expect(await policyStatus(page.request, ref)).toBe('NOT_FOUND');

  // Past the page, the API refuses an invalid policy the same way (a target Service that does not exist).
  const csrf = await csrfTokenOf(page.request);
  const refused = await trpcMutation(page.request, 'policies.upsert', csrf, {
    apiVersion: 'policy.weft.dev/v1alpha1',
    kind: 'RateLimitPolicy',
    metadata: { name, namespace: NS },
    spec: { targetRef: { name: 'no-such-service' }, rules: [{ limit: { requests: 1, interval: '1s' } }] },
  });
  expect(refused.status()).toBe(400);
  expect(await refused.text()).toContain('WEFT1001');
  expect(await policyStatus(page.request, ref)).toBe('NOT_FOUND');
});

test('a viewer sees the editors read-only, and the API refuses their changes', async ({
  browser,
}, testInfo) => {
  const split = created.split;
  expect(split, 'the canary journey created the split').toBeDefined();
  const viewer = await signedInContext(browser, 'viewer', platformOf(testInfo));
  try {
    const page = await viewer.newPage();
    // From the service page, as an editor would: the same menu, leading to the split read-only.
    const service = new ServicePage(page);
    await service.goto(NS, 'reviews', '5m');
    await service.expectSignedIn(VIEWER.displayName, 'viewer');
    await service.actionsMenu.click();
    await expect(service.action('TrafficSplit')).toHaveAttribute('data-existing', split!.name);
    await service.action('TrafficSplit').click();

    const editor = new PolicyEditorPage(page);
    await expect(editor.root).toHaveAttribute('data-mode', 'edit');
    await expect(editor.readOnlyNotice).toBeVisible();
    await expect(editor.apply).toBeDisabled();
    await expect(editor.slider.first()).toBeDisabled();
    await expect(editor.weight('v1')).toBeDisabled();
    await expect(editor.promote).toBeDisabled();
    await expect(editor.rollback).toBeDisabled();
    await expect(editor.deleteButton).toHaveCount(0);
    // What is live is there to read.
    await editor.yamlTab.click();
    await expect(editor.yaml).toContainText(`name: ${split!.name}`);

    // A new policy's form is read-only too.
    await editor.gotoNew('RateLimitPolicy', NS, 'pricing');
    await expect(editor.readOnlyNotice).toBeVisible();
    await expect(editor.field('rules.0.limit.requests')).toBeDisabled();
    await expect(editor.apply).toBeDisabled();

    // Straight to the API with the viewer's cookie and CSRF token: refused for the role.
    const live = (await (await trpcQuery(page.request, 'policies.get', split)).json()) as {
      result: { data: { resource: { metadata: { resourceVersion?: string }; spec: unknown } } };
    };
    const csrf = await csrfTokenOf(page.request);
    const upsert = await trpcMutation(page.request, 'policies.upsert', csrf, {
      apiVersion: 'policy.weft.dev/v1alpha1',
      kind: 'TrafficSplit',
      metadata: {
        name: split!.name,
        namespace: NS,
        resourceVersion: live.result.data.resource.metadata.resourceVersion,
      },
      spec: { targetRef: { name: 'reviews' }, backends: [{ version: 'v2', weight: 100 }] },
    });
    expect(upsert.status()).toBe(403);
    expect(await trpcErrorCode(upsert)).toBe('FORBIDDEN');
    const remove = await trpcMutation(page.request, 'policies.delete', csrf, split);
    expect(remove.status()).toBe(403);
    // Still what the editor left: everything on v1.
    const after = (await (await trpcQuery(page.request, 'policies.get', split)).json()) as {
      result: { data: { resource: { spec: unknown } } };
    };
    expect(after.result.data.resource.spec).toEqual(live.result.data.resource.spec);
  } finally {
    await viewer.close();
  }
});

// ---------------------------------------------------------------------------------------------- helpers

async function signedInContext(browser: Browser, role: 'editor' | 'viewer', platform: E2EPlatform) {
  return browser.newContext({ storageState: sessionFile(role, platform) });
}

/** "FOUND", or the tRPC error code policies.get answers (NOT_FOUND when nothing was written). */
async function policyStatus(request: APIRequestContext, ref: PolicyRef): Promise<string> {
  const response = await trpcQuery(request, 'policies.get', ref);
  if (response.status() === 200) return 'FOUND';
  return (await trpcErrorCode(response)) ?? `HTTP ${response.status()}`;
}

/**
 * Deletes a policy as the session of `request` (an editor), reading its resourceVersion first; the proxies'
 * ACKs move the resourceVersion on (status writes), so a 409 is answered by reading again.
 */
async function deletePolicy(request: APIRequestContext, ref: PolicyRef): Promise<void> {
  const csrf = await csrfTokenOf(request);
  await expect(async () => {
    const response = await trpcQuery(request, 'policies.get', ref);
    if (response.status() === 404) return;
    const stored = await trpcData<{ resource: { metadata: { resourceVersion?: string } } }>(response);
    const deleted = await trpcMutation(request, 'policies.delete', csrf, {
      ...ref,
      resourceVersion: stored.resource.metadata.resourceVersion,
    });
    expect(deleted.status(), `delete ${ref.kind} ${ref.namespace}/${ref.name}`).toBe(200);
  }).toPass({ timeout: 20_000 });
}
