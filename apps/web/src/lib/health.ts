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
