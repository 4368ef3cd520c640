/**
 * The configuration the control plane sends each proxy. Versioned: a proxy reports the version it runs
 * and the control plane answers 304 while nothing changed. Policies (splits, retries, limits...) join here.
 */
import { z } from 'zod';

export const endpointSchema = z.object({
  proxyId: z.string(),
  /** The destination's inbound proxy listener (host:port; the proxy checks it with a precise message). */
  address: z.string(),
  version: z.string(),
});
export type Endpoint = z.infer<typeof endpointSchema>;

export const serviceEndpointsSchema = z.object({
  name: z.string(),
  namespace: z.string(),
  endpoints: z.array(endpointSchema),
});
export type ServiceEndpoints = z.infer<typeof serviceEndpointsSchema>;

export const proxyConfigSchema = z.object({
  /** Opaque version string; changes whenever the content changes. */
  version: z.string().min(1),
  services: z.array(serviceEndpointsSchema),
});
export type ProxyConfig = z.infer<typeof proxyConfigSchema>;
