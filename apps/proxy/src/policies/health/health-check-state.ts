/**
 * Active health of one endpoint from its checks (Envoy's active health checker): healthy until
 * `unhealthyThreshold` checks in a row fail, then unhealthy until `healthyThreshold` pass in a row.
 * Endpoints start healthy, so turning health checks on never takes a service out before its first check.
 */
import { durationMs, type ServicePolicy } from '@weft/schema';

export interface HealthCheckSettings {
  path: string;
  intervalMs: number;
  timeoutMs: number;
  unhealthyThreshold: number;
  healthyThreshold: number;
  /** "LoadBalancingPolicy shop/x" */
  source: string;
}

export function healthCheckSettingsOf(
  policy: ServicePolicy['loadBalancing'],
): HealthCheckSettings | undefined {
  const hc = policy?.healthCheck;
  if (policy === undefined || hc === undefined) return undefined;
  return {
    path: hc.path,
    intervalMs: Math.max(durationMs(hc.interval), 100),
    timeoutMs: Math.max(durationMs(hc.timeout), 10),
    unhealthyThreshold: hc.unhealthyThreshold,
    healthyThreshold: hc.healthyThreshold,
    source: policy.source,
  };
}

export class HealthCheckState {
  healthy = true;
  #passedInRow = 0;
  #failedInRow = 0;
  /** What the last failed check said, while unhealthy. */
  lastProblem: string | undefined = undefined;

  /** Counts one check (`problem` undefined: it passed); true when health changed. */
  record(
    problem: string | undefined,
    s: Pick<HealthCheckSettings, 'healthyThreshold' | 'unhealthyThreshold'>,
  ): boolean {
    const before = this.healthy;
    if (problem === undefined) {
      this.#failedInRow = 0;
      this.#passedInRow++;
      if (!this.healthy && this.#passedInRow >= s.healthyThreshold) {
        this.healthy = true;
        this.lastProblem = undefined;
      }
    } else {
      this.#passedInRow = 0;
      this.#failedInRow++;
      this.lastProblem = problem;
      if (this.healthy && this.#failedInRow >= s.unhealthyThreshold) this.healthy = false;
    }
    return this.healthy !== before;
  }
}
