/**
 * The console server's only reader of `process.env`. Read at request time (not at build time), so one
 * `next build` output can be pointed at any API by setting WEFT_API_URL before `next start`.
 */
import { z } from 'zod';

const envSchema = z.object({
  WEFT_API_URL: z
    .url({ message: 'WEFT_API_URL must be an absolute http(s) URL, e.g. http://127.0.0.1:4000' })
    .default('http://127.0.0.1:4000')
    .transform((url) => url.replace(/\/+$/, '')),
  WEFT_API_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
});

export type ServerEnv = z.output<typeof envSchema>;

export function serverEnv(): ServerEnv {
  const parsed = envSchema.safeParse({
    WEFT_API_URL: process.env.WEFT_API_URL || undefined,
    WEFT_API_TIMEOUT_MS: process.env.WEFT_API_TIMEOUT_MS || undefined,
  });
  if (!parsed.success) {
    throw new Error(`Invalid console environment: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}
