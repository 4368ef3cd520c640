/**
 * The API the bench starts requires authentication: proxies and OTLP senders need a Bearer token, tRPC
 * queries a signed-in session. The bench starts each API with a fresh admin password, signs in over HTTP as
 * a script would (POST /auth/login), and has the admin create the tokens it needs (tRPC `tokens.create`).
 */
import { randomBytes } from 'node:crypto';
import type { TokenCreate } from '@weft/schema';
import { createToken, signIn, workloadToken, type Session } from '../../apps/api/test/support/auth.ts';

export type { Session };

/** A fresh password for the bootstrap admin of one bench-started API (≥ 12 characters). */
export function benchAdminPassword(): string {
  return `bench-${randomBytes(18).toString('base64url')}`;
}

/** Environment for an API child whose bootstrap admin ("admin") gets `password`. */
export function apiAuthEnv(password: string): NodeJS.ProcessEnv {
  return { WEFT_ADMIN_PASSWORD: password };
}

export function signInAdmin(apiUrl: string, password: string): Promise<Session> {
  return signIn(apiUrl, 'admin', password);
}

/** A workload token for exactly service.namespace@version (what one proxy needs as WEFT_PROXY_TOKEN). */
export function createWorkloadToken(
  apiUrl: string,
  admin: Session,
  w: { namespace: string; service: string; version: string },
): Promise<string> {
  return workloadToken(apiUrl, admin, w);
}

/** An ingest token (OTLP only), for any service unless namespace/service narrow it. */
export function createIngestToken(
  apiUrl: string,
  admin: Session,
  scope: Omit<Extract<TokenCreate, { kind: 'ingest' }>, 'kind'>,
): Promise<string> {
  return createToken(apiUrl, admin, { kind: 'ingest', ...scope });
}

/** Headers of a tRPC query (GET) with the session cookie. */
export function sessionHeaders(session: Pick<Session, 'cookie'>): Record<string, string> {
  return { cookie: session.cookie };
}
