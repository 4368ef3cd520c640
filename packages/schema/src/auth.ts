/**
 * Who may do what: people (console and API sessions, roles) and machines (workload and ingest tokens).
 * Names, limits and lifetimes here are the contract between the API, the console, the proxy and the demo.
 */
import { z } from 'zod';
import { dnsLabelSchema, versionNameSchema } from './net.ts';

/** Roles, weakest first; each includes what the ones before it may do. */
export const ROLES = ['viewer', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const roleSchema = z.enum(ROLES);

export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** The built-in first administrator. */
export const BOOTSTRAP_ADMIN_USERNAME = 'admin';

export const AuthLimits = {
  minPasswordLength: 12,
  maxPasswordLength: 256,
  maxUsernameLength: 64,
  maxDisplayNameLength: 128,
  /** A session ends this long after sign-in, and after this much inactivity. */
  sessionMaxAgeSeconds: 12 * 3600,
  sessionIdleSeconds: 2 * 3600,
  /** Failed sign-ins allowed per username within the window, then 429 until it ends. */
  loginFailuresPerUser: 5,
  /** Failed sign-ins allowed per client address (any usernames) within the window. */
  loginFailuresPerAddress: 50,
  loginWindowSeconds: 15 * 60,
  maxTokenNameLength: 64,
  maxTokensListed: 500,
  maxUsersListed: 500,
} as const;

export const AuthCookies = {
  session: 'weft_session',
  /** Short-lived state of an OIDC sign-in in flight (state, nonce, PKCE verifier), signed by the API. */
  oidc: 'weft_oidc',
} as const;

export const AuthHeaders = {
  /** Mutations with a session cookie must echo the session's CSRF token in this header. */
  csrf: 'x-weft-csrf',
} as const;

/** HTTP paths of the API's sign-in endpoints (the console forwards /auth/* to them unchanged). */
export const AuthPaths = {
  login: '/auth/login',
  logout: '/auth/logout',
  oidcStart: '/auth/oidc/start',
  oidcCallback: '/auth/oidc/callback',
  providers: '/auth/providers',
} as const;

export const usernameSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(AuthLimits.maxUsernameLength, `must be at most ${AuthLimits.maxUsernameLength} characters`)
  .regex(/^[A-Za-z0-9._@-]+$/, 'must use letters, digits, ".", "_", "@" or "-"');

export const passwordSchema = z
  .string()
  .min(AuthLimits.minPasswordLength, `must be at least ${AuthLimits.minPasswordLength} characters`)
  .max(AuthLimits.maxPasswordLength, `must be at most ${AuthLimits.maxPasswordLength} characters`);

export const loginRequestSchema = z.object({
  username: z.string().min(1, 'must not be empty').max(AuthLimits.maxUsernameLength),
  password: z.string().min(1, 'must not be empty').max(AuthLimits.maxPasswordLength),
});
export type LoginRequest = z.infer<typeof loginRequestSchema>;

export interface SessionUser {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  /** `token`: an API token for scripts and the CLI (`WEFT_TOKEN`), acting with the token's role. */
  provider: 'local' | 'oidc' | 'token';
}

/** What `auth.me` and `POST /auth/login` answer. */
export interface SessionInfo {
  user: SessionUser;
  /** Send back in the x-weft-csrf header on every mutation. */
  csrfToken: string;
  expiresAtMs: number;
}

export interface AuthProviders {
  local: true;
  oidc: { name: string } | null;
}

// ------------------------------------------------------------------------------------------- machines

/** Every token starts with this, so secret scanners and people can recognise one. */
export const TOKEN_PREFIX = 'weft_';

export const TOKEN_KINDS = ['workload', 'ingest', 'user'] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

/**
 * A workload token acts as exactly one workload: it registers, heartbeats, deregisters and reads config only
 * as that namespace/service/version, and reports telemetry only for it. An ingest token (OpenTelemetry SDK
 * senders) may only send OTLP, optionally limited to one namespace and service.
 */
export const tokenCreateSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('workload'),
    name: z.string().min(1).max(AuthLimits.maxTokenNameLength),
    namespace: dnsLabelSchema,
    service: dnsLabelSchema,
    version: versionNameSchema,
  }),
  z
    .object({
      kind: z.literal('ingest'),
      name: z.string().min(1).max(AuthLimits.maxTokenNameLength),
      namespace: dnsLabelSchema.optional(),
      service: dnsLabelSchema.optional(),
    })
    .refine((t) => t.service === undefined || t.namespace !== undefined, {
      message: 'a service needs its namespace',
      path: ['namespace'],
    }),
  /** For scripts and the `weft` CLI (`WEFT_TOKEN`): the API and tRPC with this role; never /v1/*. */
  z.object({
    kind: z.literal('user'),
    name: z.string().min(1).max(AuthLimits.maxTokenNameLength),
    role: roleSchema,
  }),
]);
export type TokenCreate = z.input<typeof tokenCreateSchema>;

export interface TokenScope {
  kind: TokenKind;
  /** For user tokens: the role they act with. */
  role?: Role | null;
  namespace: string | null;
  service: string | null;
  version: string | null;
}

export interface TokenSummary extends TokenScope {
  id: string;
  name: string;
  createdBy: string;
  createdAtMs: number;
  lastUsedAtMs: number | null;
  revokedAtMs: number | null;
}

export function describeScope(scope: TokenScope): string {
  if (scope.kind === 'user') return `API access as ${scope.role ?? 'viewer'}`;
  if (scope.kind === 'workload') return `workload ${scope.service}.${scope.namespace}@${scope.version}`;
  if (scope.service) return `ingest for ${scope.service}.${scope.namespace}`;
  if (scope.namespace) return `ingest for namespace ${scope.namespace}`;
  return 'ingest for any service';
}
