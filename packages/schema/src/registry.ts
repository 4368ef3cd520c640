/** Universal-mode service registry: what a proxy tells the control plane about itself, and what it gets back. */
import { z } from 'zod';
import { hostPort } from './net.ts';

const dnsLabel = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS label: lower-case letters, digits and "-"');

export const proxyRegistrationSchema = z.object({
  proxyId: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9._-]+$/, 'must use letters, digits, ".", "_" or "-"'),
  service: dnsLabel,
  namespace: dnsLabel,
  version: z.string().min(1).max(63).default('v1'),
  /** Address other proxies use to reach this workload (the proxy's inbound listener). */
  inboundAddress: hostPort,
  adminAddress: hostPort,
  mode: z.enum(['sidecar', 'node-agent']).default('sidecar'),
});
export type ProxyRegistration = z.input<typeof proxyRegistrationSchema>;
export type ParsedProxyRegistration = z.output<typeof proxyRegistrationSchema>;

export const registrationResponseSchema = z.object({
  proxyId: z.string(),
  /** How often the proxy must re-register before the control plane considers it gone. */
  heartbeatSeconds: z.number().int().positive(),
});
export type RegistrationResponse = z.infer<typeof registrationResponseSchema>;
