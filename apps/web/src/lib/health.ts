import type { Health } from '@weft/schema';

/** Kiali/PatternFly status colours, shared by badges, graph nodes, edges and charts. */
export const HEALTH_COLOR: Record<Health, string> = {
  healthy: '#3e8635',
  degraded: '#e0a100',
  failing: '#c9190b',
  idle: '#8a8d90',
};

export const HEALTH_LABEL: Record<Health, string> = {
  healthy: 'Healthy',
  degraded: 'Degraded',
  failing: 'Failing',
  idle: 'Idle',
};

/** A stable, readable colour per service name (for trace waterfalls). */
const SERVICE_PALETTE = [
  '#0066cc',
  '#4cb140',
  '#7d3fb8',
  '#ec7a08',
  '#009596',
  '#a18fff',
  '#f4c145',
  '#5752d1',
  '#8bc1f7',
  '#23511e',
  '#c58c00',
  '#6a6e73',
];

export function serviceColor(name: string): string {
  let hash = 2166136261;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  return SERVICE_PALETTE[(hash >>> 0) % SERVICE_PALETTE.length]!;
}
