import { expect, type Locator, type Page } from '@playwright/test';
import { ConsolePage, type AttrElement, type WindowKey } from './ConsolePage.ts';

export interface EdgeReading {
  text: string;
  rps: number;
  errorRate: number | null;
}

export class GraphPage extends ConsolePage {
  readonly canvas: Locator;
  readonly viewport: Locator;
  readonly sidePanel: Locator;
  /** Splits services with several versions into one node per version. */
  readonly versionsToggle: Locator;
  readonly edgePanel: Locator;

  constructor(page: Page) {
    super(page);
    this.canvas = page.locator('[data-test="graph-canvas"]');
    this.viewport = this.canvas.locator('.react-flow__viewport');
    this.sidePanel = page.locator('[data-test="graph-side-panel"]');
    this.versionsToggle = page.locator('[data-test="graph-versions-toggle"]');
    this.edgePanel = page.locator('[data-test="edge-panel"]');
  }

  /** One version of a service in the versioned view. */
  versionNode(namespace: string, service: string, version: string): Locator {
    return this.page.locator(`[data-test="graph-version-node-${namespace}-${service}-${version}"]`);
  }

  /** The request rate a version node shows (its data-rps). */
  async versionRps(namespace: string, service: string, version: string): Promise<number> {
    return Number((await this.versionNode(namespace, service, version).getAttribute('data-rps')) ?? 'NaN');
  }

  async goto(window?: WindowKey): Promise<void> {
    await this.page.goto(window ? `/graph?window=${window}` : '/graph');
  }

  /** A service node; id is "namespace/service" (or "unknown"). */
  node(id: string): Locator {
    return this.page.locator(`[data-test="graph-node-${id}"]`);
  }

  /** A host outside the mesh (egress), by host: drawn with a globe, in the "external hosts" band. */
  externalNode(host: string): Locator {
    return this.page.locator(`[data-test="graph-node-external"][data-host="${host}"]`);
  }

  /** Every external host the graph draws (at the zoom where names show). */
  async externalHosts(): Promise<string[]> {
    return this.page
      .locator('[data-test="graph-node-external"]')
      .evaluateAll((els: AttrElement[]) => els.map((e) => e.getAttribute('data-host') ?? ''));
  }

  /** React Flow's wrapper of a node: the element it positions (transform) and drags. */
  nodeWrapper(id: string): Locator {
    return this.canvas.locator(`.react-flow__node[data-id="${id}"]`);
  }

  edge(source: string, target: string): Locator {
    return this.page.locator(`[data-test="graph-edge-${source}->${target}"]`);
  }

  edgeLabel(source: string, target: string): Locator {
    return this.page.locator(`[data-test="graph-edge-label-${source}->${target}"]`);
  }

  async readEdge(source: string, target: string): Promise<EdgeReading> {
    const label = this.edgeLabel(source, target);
    const [text, rps, err] = await Promise.all([
      label.innerText(),
      label.getAttribute('data-rps'),
      label.getAttribute('data-error-rate'),
    ]);
    return { text, rps: Number(rps), errorRate: err ? Number(err) : null };
  }

  /** Waits (up to `timeout`) until every given node and edge is drawn. */
  async waitForGraph(
    nodes: readonly string[],
    edges: readonly (readonly [string, string])[],
    timeout = 30_000,
  ): Promise<void> {
    for (const id of nodes) await expect(this.node(id), `node ${id}`).toBeVisible({ timeout });
    for (const [s, t] of edges) await expect(this.edge(s, t), `edge ${s} → ${t}`).toHaveCount(1, { timeout });
  }

  /** Turns the versioned view on (or off). */
  async showVersions(on = true): Promise<void> {
    await this.versionsToggle.setChecked(on);
  }

  /** The share of the split an edge into a version carries (0..1), from its label. */
  async readShare(source: string, target: string): Promise<number | null> {
    const share = await this.edgeLabel(source, target).getAttribute('data-share');
    return share ? Number(share) : null;
  }

  /** Opens an edge's side panel by clicking its label, and waits for its signals. */
  async openEdge(source: string, target: string): Promise<Locator> {
    await this.edgeLabel(source, target).click();
    const panel = this.edgePanel;
    await expect(panel).toHaveAttribute('data-edge', `${source}->${target}`);
    await expect(panel.locator('[data-test="edge-signals"]')).toBeVisible({ timeout: 30_000 });
    return panel;
  }

  async viewportTransform(): Promise<string> {
    return (await this.viewport.getAttribute('style')) ?? '';
  }

  async nodeTransform(id: string): Promise<string> {
    return (await this.nodeWrapper(id).getAttribute('style')) ?? '';
  }

  async zoomIn(): Promise<void> {
    await this.canvas.locator('.react-flow__controls-zoomin').click();
  }

  /** Drags a node by (dx, dy) screen pixels. */
  async dragNode(id: string, dx: number, dy: number): Promise<void> {
    const box = await this.node(id).boundingBox();
    if (!box) throw new Error(`node ${id} is not on screen`);
    const x = box.x + box.width / 2;
    const y = box.y + box.height / 2;
    await this.page.mouse.move(x, y);
    await this.page.mouse.down();
    await this.page.mouse.move(x + dx / 2, y + dy / 2, { steps: 5 });
    await this.page.mouse.move(x + dx, y + dy, { steps: 5 });
    await this.page.mouse.up();
  }
}
