/**
 * The API's validated configuration. Nothing else in apps/api reads process.env.
 */
import path from 'node:path';
import { z } from 'zod';
import { AuthPaths, passwordSchema, retentionSettingSchema, type RetentionSettings } from '@weft/schema';
import {
  DEFAULT_OUTBOUND_TRAFFIC_POLICY_MODE,
  OUTBOUND_TRAFFIC_POLICY_MODES,
  type OutboundTrafficPolicyMode,
} from '@weft/schema';
import type { OidcSettings } from './auth/oidc.ts';
import { HeaderListError, parseHeaderList, type OtlpExportSettings } from './export/otlp-export-config.ts';

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
  /** Password of the first admin ("admin") when it is created; otherwise a one-time password is printed. */
  WEFT_ADMIN_PASSWORD: passwordSchema.optional(),
  /** Cookies get `Secure` always, never, or when the request came over TLS (X-Forwarded-Proto). */
  WEFT_SECURE_COOKIES: z.enum(['auto', 'always', 'never']).default('auto'),
  WEFT_OIDC_ISSUER: z
    .url({ message: 'must be the issuer URL, e.g. https://login.example.com/realms/x' })
    .optional(),
  WEFT_OIDC_CLIENT_ID: z.string().min(1).max(256).optional(),
  WEFT_OIDC_CLIENT_SECRET: z.string().min(1).max(1024).optional(),
  WEFT_OIDC_REDIRECT_URL: z
    .url({ message: "must be the console's URL + /auth/oidc/callback" })
    .refine((u) => new URL(u).pathname === AuthPaths.oidcCallback, {
      message: `must end in ${AuthPaths.oidcCallback} (the console forwards it to the API)`,
    })
    .optional(),
  WEFT_OIDC_NAME: z.string().min(1).max(64).default('SSO'),
  WEFT_OIDC_ROLE_CLAIM: z.string().min(1).max(128).default('groups'),
  WEFT_OIDC_ADMIN_GROUPS: z.string().max(4096).default(''),
  WEFT_OIDC_EDITOR_GROUPS: z.string().max(4096).default(''),
  /** Where services, endpoints and policies come from: the API's own registry and database, or a cluster. */
  WEFT_PLATFORM: z.enum(['universal', 'kubernetes']).default('universal'),
  /** Kubeconfig file for WEFT_PLATFORM=kubernetes; without it the in-cluster service account is used. */
  WEFT_KUBECONFIG: z.string().min(1).optional(),
  /** Set by the kubelet in every pod: in-cluster configuration is available. */
  KUBERNETES_SERVICE_HOST: z.string().optional(),
  /**
   * What proxies do with requests for hosts outside the mesh: ALLOW_ANY forwards them, REGISTRY_ONLY answers
   * 502 egress-blocked (Istio's outboundTrafficPolicy.mode). Sent to every proxy in its config.
   */
  WEFT_OUTBOUND_TRAFFIC_POLICY: z
    .enum(OUTBOUND_TRAFFIC_POLICY_MODES, {
      message: `must be one of ${OUTBOUND_TRAFFIC_POLICY_MODES.join(', ')}`,
    })
    .default(DEFAULT_OUTBOUND_TRAFFIC_POLICY_MODE),
  /** How long telemetry is kept, per rollup resolution and for spans, e.g. `10s=6h,1m=7d,spans=3d`. */
  WEFT_RETENTION: retentionSettingSchema.prefault(''),
  /** Forward spans and request metrics to this OTLP/HTTP receiver (base URL; /v1/traces, /v1/metrics appended). */
  WEFT_OTLP_EXPORT_ENDPOINT: z
    .url({ message: 'must be the base URL of an OTLP/HTTP receiver, e.g. http://otel-collector:4318' })
    .refine((u) => /^https?:$/.test(new URL(u).protocol), { message: 'must be an http:// or https:// URL' })
    .optional(),
  /** Headers for every export request, as OTEL_EXPORTER_OTLP_HEADERS: `api-key=secret,x-tenant=shop`. */
  WEFT_OTLP_EXPORT_HEADERS: z
    .string()
    .max(8192, 'must be at most 8192 characters')
    .transform((text, ctx) => {
      try {
        return parseHeaderList(text);
      } catch (err) {
        if (!(err instanceof HeaderListError)) throw err;
        ctx.issues.push({ code: 'custom', input: text, message: err.message });
        return {};
      }
    })
    .prefault(''),
  /** Longest one export request may take. */
  WEFT_OTLP_EXPORT_TIMEOUT_MS: z.coerce
    .number({ message: 'must be a number' })
    .int('must be an integer')
    .min(100, 'must be between 100 and 120000')
    .max(120_000, 'must be between 100 and 120000')
    .default(10_000),
});

export interface ApiEnv {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string;
  proxyTtlSeconds: number;
  heartbeatSeconds: number;
  maxBodyBytes: number;
  adminPassword: string | undefined;
  secureCookies: 'auto' | 'always' | 'never';
  oidc: OidcSettings | null;
  platform: PlatformSettings;
  /** Retention per rollup resolution and for spans, receipts and resilience counters (ms). */
  retention: RetentionSettings;
  /** WEFT_OUTBOUND_TRAFFIC_POLICY: egress allowed (ALLOW_ANY) or blocked (REGISTRY_ONLY) on every proxy. */
  outboundTrafficPolicy: OutboundTrafficPolicyMode;
  /** Where spans and request metrics are forwarded (WEFT_OTLP_EXPORT_*), or null when nothing is exported. */
  otlpExport: OtlpExportSettings | null;
}

/** Universal: the registry and the database; Kubernetes: a kubeconfig file, or in-cluster config when absent. */
export type PlatformSettings = { name: 'universal' } | { name: 'kubernetes'; kubeconfig: string | undefined };

const list = (value: string) =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

export class EnvError extends Error {}

export function loadEnv(source: NodeJS.ProcessEnv = process.env): ApiEnv {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new EnvError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.WEFT_DATA_DIR);
  const oidcSet = [e.WEFT_OIDC_ISSUER, e.WEFT_OIDC_CLIENT_ID, e.WEFT_OIDC_REDIRECT_URL];
  if (oidcSet.some(Boolean) && !oidcSet.every(Boolean)) {
    throw new EnvError(
      'invalid configuration:\n  OIDC sign-in needs all of WEFT_OIDC_ISSUER, WEFT_OIDC_CLIENT_ID and WEFT_OIDC_REDIRECT_URL',
    );
  }
  if (e.WEFT_PLATFORM === 'kubernetes' && !e.WEFT_KUBECONFIG && !e.KUBERNETES_SERVICE_HOST) {
    throw new EnvError(
      'invalid configuration:\n  WEFT_PLATFORM=kubernetes needs WEFT_KUBECONFIG (a kubeconfig file) or must run in a pod (KUBERNETES_SERVICE_HOST is not set)',
    );
  }
  return {
    host: e.WEFT_API_HOST,
    port: e.WEFT_API_PORT,
    dataDir,
    databaseUrl: e.DATABASE_URL ?? `file:${path.join(dataDir, 'weft.db')}`,
    proxyTtlSeconds: e.WEFT_PROXY_TTL_SECONDS,
    heartbeatSeconds: e.WEFT_PROXY_HEARTBEAT_SECONDS,
    maxBodyBytes: e.WEFT_MAX_BODY_BYTES,
    adminPassword: e.WEFT_ADMIN_PASSWORD,
    secureCookies: e.WEFT_SECURE_COOKIES,
    oidc:
      e.WEFT_OIDC_ISSUER && e.WEFT_OIDC_CLIENT_ID && e.WEFT_OIDC_REDIRECT_URL
        ? {
            issuer: e.WEFT_OIDC_ISSUER,
            clientId: e.WEFT_OIDC_CLIENT_ID,
            clientSecret: e.WEFT_OIDC_CLIENT_SECRET,
            redirectUrl: e.WEFT_OIDC_REDIRECT_URL,
            name: e.WEFT_OIDC_NAME,
            roleClaim: e.WEFT_OIDC_ROLE_CLAIM,
            adminGroups: list(e.WEFT_OIDC_ADMIN_GROUPS),
            editorGroups: list(e.WEFT_OIDC_EDITOR_GROUPS),
          }
        : null,
    platform:
      e.WEFT_PLATFORM === 'kubernetes'
        ? { name: 'kubernetes', kubeconfig: e.WEFT_KUBECONFIG ? path.resolve(e.WEFT_KUBECONFIG) : undefined }
        : { name: 'universal' },
    retention: e.WEFT_RETENTION,
    outboundTrafficPolicy: e.WEFT_OUTBOUND_TRAFFIC_POLICY,
    otlpExport: e.WEFT_OTLP_EXPORT_ENDPOINT
      ? {
          endpoint: e.WEFT_OTLP_EXPORT_ENDPOINT,
          headers: e.WEFT_OTLP_EXPORT_HEADERS,
          timeoutMs: e.WEFT_OTLP_EXPORT_TIMEOUT_MS,
        }
      : null,
  };
}
