import { expect, type Locator, type Page } from '@playwright/test';
import { ConsolePage } from './ConsolePage.ts';

/** A problem shown next to a field: its code (WEFT…, SCHEMA) and message. */
export interface ShownIssue {
  code: string;
  message: string;
}

/**
 * The policy editor (apps/web/src/features/policy-editor): the same shell for every kind (name, target, checks,
 * YAML, diff against what is live, apply) around the kind's form, whose fields are `field-<spec path>`.
 */
export class PolicyEditorPage extends ConsolePage {
  readonly root: Locator;
  readonly name: Locator;
  readonly apply: Locator;
  readonly applyHint: Locator;
  readonly applied: Locator;
  readonly refused: Locator;
  readonly readOnlyNotice: Locator;
  readonly checks: Locator;
  readonly checkStatus: Locator;
  readonly diffTab: Locator;
  readonly yamlTab: Locator;
  readonly diff: Locator;
  readonly yaml: Locator;
  readonly deleteButton: Locator;
  readonly deleteYes: Locator;
  // The canary editor (TrafficSplit).
  readonly canary: Locator;
  readonly slider: Locator;
  readonly promote: Locator;
  readonly rollback: Locator;
  readonly sum: Locator;

  constructor(page: Page) {
    super(page);
    this.root = page.locator('[data-test="policy-editor"]');
    this.name = page.locator('[data-test="editor-name"]');
    this.apply = page.locator('[data-test="editor-apply"]');
    this.applyHint = page.locator('[data-test="editor-apply-hint"]');
    this.applied = page.locator('[data-test="editor-applied"]');
    this.refused = page.locator('[data-test="editor-refused"]');
    this.readOnlyNotice = page.locator('[data-test="editor-readonly"]');
    this.checks = page.locator('[data-test="editor-issues"]');
    this.checkStatus = page.locator('[data-test="editor-check-status"]');
    this.diffTab = page.locator('[data-test="editor-tab-diff"]');
    this.yamlTab = page.locator('[data-test="editor-tab-yaml"]');
    this.diff = page.locator('[data-test="editor-diff"]');
    this.yaml = page.locator('[data-test="editor-yaml"]');
    this.deleteButton = page.locator('[data-test="editor-delete"]');
    this.deleteYes = page.locator('[data-test="editor-delete-yes"]');
    this.canary = page.locator('[data-test="canary-editor"]');
    this.slider = page.locator('[data-test="canary-slider"]');
    this.promote = page.locator('[data-test="canary-promote"]');
    this.rollback = page.locator('[data-test="canary-rollback"]');
    this.sum = page.locator('[data-test="canary-sum"]');
  }

  async gotoEdit(kind: string, namespace: string, name: string): Promise<void> {
    await this.page.goto(`/policies/edit/${kind}/${namespace}/${name}`);
    await expect(this.root).toHaveAttribute('data-mode', 'edit');
  }

  async gotoNew(kind: string, namespace: string, service: string): Promise<void> {
    const query = new URLSearchParams({ kind, namespace, service });
    await this.page.goto(`/policies/new?${query.toString()}`);
    await expect(this.root).toHaveAttribute('data-mode', 'new');
  }

  /** A form control by its spec path, e.g. field('rules.0.limit.requests'). */
  field(path: string): Locator {
    return this.page.locator(`[data-test="field-${path}"]`);
  }

  /** A list's "add" button, e.g. add('rule'), add('rules.0.match'). */
  add(list: string): Locator {
    return this.page.locator(`[data-test="add-${list}"]`);
  }

  /** The number input of one version's share in the canary editor. */
  weight(version: string): Locator {
    return this.page.locator(`[data-test="canary-weight-${version}"]`);
  }

  /** One version's live card beside the split (request rate, success, p95, observed share). */
  versionCard(version: string): Locator {
    return this.page.locator(`[data-test="canary-signals-${version}"]`);
  }

  /**
   * Moves split point `index` of the canary editor (the boundary between version index and index + 1, in
   * percent of all traffic) to `percent`, with the arrow keys as a keyboard user would.
   */
  async setSlider(index: number, percent: number): Promise<void> {
    const slider = this.slider.nth(index);
    await slider.focus();
    const current = Number(await slider.inputValue());
    const key = percent > current ? 'ArrowRight' : 'ArrowLeft';
    for (let i = 0; i < Math.abs(percent - current); i++) await slider.press(key);
    await expect(slider).toHaveValue(String(percent));
  }

  /** Waits for the checks to settle (the server's dry run is debounced) and for apply to be possible. */
  async applyAndWait(): Promise<void> {
    await expect(this.apply).toBeEnabled();
    await this.apply.click();
    await expect(this.applied).toBeVisible();
  }

  /**
   * The problems the page ties to a field's control through aria-describedby (what a screen reader reads with
   * the field): code and message of each.
   */
  async issuesOf(control: Locator): Promise<ShownIssue[]> {
    const ids = ((await control.getAttribute('aria-describedby')) ?? '').split(/\s+/).filter(Boolean);
    const out: ShownIssue[] = [];
    for (const id of ids) {
      const items = this.page.locator(`[id="${id}"] [data-code]`);
      for (const item of await items.all()) {
        const code = (await item.getAttribute('data-code')) ?? '';
        out.push({ code, message: (await item.innerText()).replace(code, '').trim() });
      }
    }
    return out;
  }
}
