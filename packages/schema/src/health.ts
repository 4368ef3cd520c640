/** Health of a node or edge from its error rate, the way Kiali colours its graph (thresholds in percent). */
export type Health = 'healthy' | 'degraded' | 'failing' | 'idle';

export const HEALTH_THRESHOLDS = Object.freeze({ degradedErrorRate: 0.01, failingErrorRate: 0.1 });

export function healthFromTraffic(requests: number, errors: number): Health {
  if (requests === 0) return 'idle';
  const errorRate = errors / requests;
  if (errorRate >= HEALTH_THRESHOLDS.failingErrorRate) return 'failing';
  if (errorRate >= HEALTH_THRESHOLDS.degradedErrorRate) return 'degraded';
  return 'healthy';
}

/** A response counts as an error when the status is 5xx or no response came back (status 0). */
export function isErrorStatus(status: number): boolean {
  return status === 0 || status >= 500;
}
