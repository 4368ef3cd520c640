/**
 * What a proxy answers for each config it is sent: `POST /v1/proxies/<id>/config/ack`
 * `{version, status: "ACK" | "NACK", reason?}`. ACK: that version is in force. NACK: the proxy refused
 * the config or parts of it (reason says which), and still runs what it did not refuse.
 *
 * Declared once here: the API (config-stream) reads it and the proxy (control-plane/config-stream.ts) sends it; both keep the
 * limits below.
 */
import { z } from 'zod';

export const ConfigAckLimits = {
  /** The request body, reason included. */
  maxBodyBytes: 16 * 1024,
  /** Characters of the reason kept; the proxy cuts longer ones itself. */
  maxReasonLength: 4096,
  maxVersionLength: 128,
} as const;

export const configAckSchema = z.object({
  version: z.string().min(1).max(ConfigAckLimits.maxVersionLength),
  status: z.enum(['ACK', 'NACK']),
  reason: z.string().max(ConfigAckLimits.maxReasonLength).optional(),
});
export type ConfigAck = z.infer<typeof configAckSchema>;
