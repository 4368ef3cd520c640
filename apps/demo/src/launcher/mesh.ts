/**
 * "Has the mesh converged?": every proxy's config (admin /config) lists every demo workload as an endpoint.
 * Proxies register one after another and poll for config, so the first ones start with a partial view of
 * the mesh; starting the load before they converge would show start-up 503s ("no endpoints") in the graph.
 */
import { proxyConfigSchema } from '@weft/schema';

export interface ExpectedEndpoint {
  service: string;
  namespace: string;
  proxyId: string;
}

/** Endpoints the config does not list yet, as "proxyId (service.namespace)". */
export function missingEndpoints(
  config: unknown,
  expected: readonly ExpectedEndpoint[],
): string[] | 'unreadable' {
  const parsed = proxyConfigSchema.safeParse(config);
  if (!parsed.success) return 'unreadable';
  const known = new Set<string>();
  for (const s of parsed.data.services) {
    for (const e of s.endpoints) known.add(`${s.namespace}/${s.name}/${e.proxyId}`);
  }
  return expected
    .filter((e) => !known.has(`${e.namespace}/${e.service}/${e.proxyId}`))
    .map((e) => `${e.proxyId} (${e.service}.${e.namespace})`);
}
