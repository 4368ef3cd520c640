/**
 * Machines (proxies, OpenTelemetry SDK senders) authenticate with `Authorization: Bearer <token>`, as OTLP
 * exporters send it. 401 when the token is missing or unknown, 403 when it is used outside its scope.
 */
import type { IncomingMessage } from 'node:http';
import { describeScope, type TokenScope } from '@weft/schema';
import type { TokenStore, VerifiedToken } from '../auth/tokens.ts';
import { HttpError } from './body.ts';

export class UnauthorizedError extends HttpError {
  constructor(message: string) {
    super(401, message);
  }
}

export async function authenticateMachine(req: IncomingMessage, tokens: TokenStore): Promise<VerifiedToken> {
  const header = req.headers.authorization;
  if (!header) {
    throw new UnauthorizedError(
      'missing token: send "Authorization: Bearer <token>" (an admin creates tokens in the console under Admin → Tokens)',
    );
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new UnauthorizedError('the Authorization header must be "Bearer <token>"');
  const token = await tokens.verify(match[1] as string);
  if (!token) throw new UnauthorizedError('unknown or revoked token');
  if (token.kind === 'user') {
    throw new HttpError(
      403,
      `a user token (${describeScope(token)}) is for the API and the weft CLI; proxies and OTLP senders need a workload or ingest token`,
    );
  }
  return token;
}

export interface Workload {
  namespace: string;
  service: string;
  version?: string;
}

const name = (w: Workload) => `${w.service}.${w.namespace}${w.version !== undefined ? `@${w.version}` : ''}`;

/** A workload token acting as exactly `w` (namespace, service and version). */
export function requireWorkload(
  token: VerifiedToken,
  w: Workload & { version: string },
  action: string,
): void {
  if (token.kind !== 'workload') {
    throw new HttpError(403, `an ${describeScope(token)} token cannot ${action}; use a workload token`);
  }
  if (token.namespace !== w.namespace || token.service !== w.service || token.version !== w.version) {
    throw new HttpError(403, `this token is for ${describeScope(token)}; it cannot ${action} ${name(w)}`);
  }
}

/** Whether telemetry about `w` may be reported with this token. */
export function mayReportFor(scope: TokenScope, w: Workload): boolean {
  if (scope.namespace !== null && scope.namespace !== w.namespace) return false;
  if (scope.service !== null && scope.service !== w.service) return false;
  if (scope.version !== null && w.version !== undefined && scope.version !== w.version) return false;
  return true;
}

/** Refuses the whole request when any item is about a workload outside the token's scope. */
export function requireTelemetryScope(
  token: VerifiedToken,
  items: Iterable<Workload & { path: string }>,
): void {
  for (const item of items) {
    if (!mayReportFor(token, item)) {
      throw new HttpError(
        403,
        `this token is for ${describeScope(token)}; it cannot report telemetry for ${name(item)} (${item.path})`,
      );
    }
  }
}
