/** Universal-mode service registry: what a proxy tells the control plane about itself, and what it gets back. */
import { z } from 'zod';
import { advertisedHostPort, dnsLabelSchema, hostPort, proxyIdSchema, versionNameSchema } from './net.ts';

/** A Kubernetes label value: at most 63 characters, alphanumerics with "-", "_" and "." inside. */
export const topologyLabelSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(
    /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/,
    'must be a label value: letters, digits, "-", "_", "."',
  );

export const proxyRegistrationSchema = z.object({
  proxyId: proxyIdSchema,
  service: dnsLabelSchema,
  namespace: dnsLabelSchema,
  version: versionNameSchema.default('v1'),
  /** Address other proxies use to reach this workload (the proxy's inbound listener). */
  inboundAddress: advertisedHostPort,
  /** The proxy's admin listener, for operators (never routed to). */
  adminAddress: hostPort,
  mode: z.enum(['sidecar', 'node-agent']).default('sidecar'),
  /** Where the workload runs (like topology.kubernetes.io/zone and /region), for locality-aware routing. */
  zone: topologyLabelSchema.optional(),
  region: topologyLabelSchema.optional(),
  /**
   * False while the proxy's own application does not answer its readiness check: the control plane then
   * stops handing out this endpoint, as Kubernetes does for a pod that is not ready.
   */
  ready: z.boolean().default(true),
});
export type ProxyRegistration = z.input<typeof proxyRegistrationSchema>;
export type ParsedProxyRegistration = z.output<typeof proxyRegistrationSchema>;

export const registrationResponseSchema = z.object({
  proxyId: z.string(),
  /** How often the proxy must re-register before the control plane considers it gone. */
  heartbeatSeconds: z.number().int().positive(),
});
export type RegistrationResponse = z.infer<typeof registrationResponseSchema>;

/**
 * Longest a proxy waits between registration attempts while the control plane is unreachable. The API
 * keeps the endpoint set of its previous run for TTL + this long after a start, so every live proxy has
 * re-registered before expiry applies again.
 */
export const REGISTRATION_RETRY_MAX_MS = 10_000;
