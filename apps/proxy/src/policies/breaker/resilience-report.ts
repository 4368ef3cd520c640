/** `circuitBreakers` and `healthChecks` on /config, each absent when there is nothing to show. */
import type { HealthCheckers, HealthCheckReport } from '../health/health-checkers.ts';
import type { BreakerReport, Breakers } from './breakers.ts';

export function resilienceReport(
  breakers: Breakers,
  healthChecks: HealthCheckers,
): { circuitBreakers?: BreakerReport[]; healthChecks?: HealthCheckReport[] } {
  const circuitBreakers = breakers.report();
  const checks = healthChecks.report();
  return {
    ...(circuitBreakers.length === 0 ? {} : { circuitBreakers }),
    ...(checks.length === 0 ? {} : { healthChecks: checks }),
  };
}
