/**
 * The API's validated configuration. Nothing else in apps/api reads process.env.
 */
import path from 'node:path';
import { z } from 'zod';

const port = z.coerce
  .number({ message: 'must be a number' })
  .int('must be an integer')
  .min(1, 'must be between 1 and 65535')
  .max(65535, 'must be between 1 and 65535');

const envSchema = z.object({
  WEFT_API_HOST: z.string().min(1).default('127.0.0.1'),
  WEFT_API_PORT: port.default(4000),
  WEFT_DATA_DIR: z.string().min(1).default('.weft'),
  DATABASE_URL: z
    .string()
    .regex(/^(file:|postgres:\/\/|postgresql:\/\/)/, 'must start with file:, postgres:// or postgresql://')
    .optional(),
  /** Seconds a registered proxy stays live without re-registering. */
  WEFT_PROXY_TTL_SECONDS: z.coerce.number().int().min(3).max(3600).default(15),
  /** How often proxies are told to re-register. */
  WEFT_PROXY_HEARTBEAT_SECONDS: z.coerce.number().int().min(1).max(600).default(5),
  /** Largest accepted request body for telemetry and registry endpoints. */
  WEFT_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(8 * 1024 * 1024),
});

export interface ApiEnv {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string;
  proxyTtlSeconds: number;
  heartbeatSeconds: number;
  maxBodyBytes: number;
}

export class EnvError extends Error {}

export function loadEnv(source: NodeJS.ProcessEnv = process.env): ApiEnv {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new EnvError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.WEFT_DATA_DIR);
  return {
    host: e.WEFT_API_HOST,
    port: e.WEFT_API_PORT,
    dataDir,
    databaseUrl: e.DATABASE_URL ?? `file:${path.join(dataDir, 'weft.db')}`,
    proxyTtlSeconds: e.WEFT_PROXY_TTL_SECONDS,
    heartbeatSeconds: e.WEFT_PROXY_HEARTBEAT_SECONDS,
    maxBodyBytes: e.WEFT_MAX_BODY_BYTES,
  };
}
