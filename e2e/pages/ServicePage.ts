import type { Locator, Page } from '@playwright/test';
import { ConsolePage, type WindowKey } from './ConsolePage.ts';

export type ChartName = 'rps' | 'success' | 'latency';

export class ServicePage extends ConsolePage {
  readonly title: Locator;
  readonly tracesLink: Locator;
  readonly inbound: Locator;
  readonly outbound: Locator;
  readonly instances: Locator;
  /** The Actions menu: opens an editor for a policy kind on this service (editors only). */
  readonly actionsMenu: Locator;

  constructor(page: Page) {
    super(page);
    this.title = page.locator('[data-test="page-title"]');
    this.tracesLink = page.locator('[data-test="service-traces-link"]');
    this.inbound = page.locator('[data-test="inbound-table"]');
    this.outbound = page.locator('[data-test="outbound-table"]');
    this.instances = page.locator('[data-test="instances-table"]');
    this.actionsMenu = page.locator('[data-test="actions-menu"]');
  }

  /** An entry of the Actions menu, by policy kind: action('TrafficSplit') is "Canary split". */
  action(kind: string): Locator {
    return this.page.locator(`[data-test="actions-${kind}"]`);
  }

  async goto(namespace: string, service: string, window?: WindowKey): Promise<void> {
    await this.page.goto(`/services/${namespace}/${service}${window ? `?window=${window}` : ''}`);
  }

  chart(name: ChartName): Locator {
    return this.page.locator(`[data-test="chart-${name}"]`);
  }

  /** "No requests in this window" in place of a chart. */
  chartEmpty(name: ChartName): Locator {
    return this.chart(name).locator('[data-test="chart-empty"]');
  }

  /** Number of steps in the window that have data, as the chart reports it. */
  async chartPoints(name: ChartName): Promise<number> {
    return Number((await this.chart(name).getAttribute('data-points')) ?? '0');
  }

  /** The drawn series of a chart (recharts curves). */
  curves(name: ChartName): Locator {
    return this.chart(name).locator('path.recharts-curve');
  }

  /** How many points a drawn SVG path goes through (one per segment command after the first move). */
  static pathVertices(d: string): number {
    return (d.match(/[LCQSTHVA]/gi) ?? []).length + (d.match(/M/gi) ?? []).length;
  }

  stat(name: 'rps' | 'success' | 'requests' | 'errors' | 'p50' | 'p95' | 'p99' | 'instances'): Locator {
    return this.page.locator(`[data-test="stat-${name}"] .stat-value`);
  }

  inboundRow(peer: string): Locator {
    return this.page.locator(`[data-test="inbound-table-row-${peer}"]`);
  }

  outboundRow(peer: string): Locator {
    return this.page.locator(`[data-test="outbound-table-row-${peer}"]`);
  }
}
