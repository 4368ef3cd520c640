/**
 * tRPC setup: the context every call gets, and the procedure builders that decide who may call what.
 * Every procedure in the router is built from exactly one of `viewerProcedure`, `editorProcedure`,
 * `adminProcedure` (or `publicProcedure` for the few that answer signed-out callers, listed in
 * PUBLIC_PROCEDURES). The role check runs before input parsing, so an anonymous caller learns nothing
 * about a procedure's input; mutations also need the session's CSRF token.
 */
import { initTRPC, TRPCError } from '@trpc/server';
import { z } from 'zod';
import { roleAtLeast, type Role, type SessionUser } from '@weft/schema';
import type { Db } from '../db/client.ts';
import type { AuthServices } from '../auth/services.ts';
import type { ConfigStreamHub } from '../config-stream/hub.ts';
import { PolicyRefusedError, type PolicyChecker, type PolicyPlatform } from '../policies/platform.ts';

export interface CallerSession {
  user: SessionUser;
  sessionIdHash: string;
  csrfToken: string;
  expiresAtMs: number;
  /** The request carried the session's CSRF token in the x-weft-csrf header. */
  csrfVerified: boolean;
}

export interface Context {
  db: Db;
  now: () => number;
  auth: AuthServices;
  session: CallerSession | null;
  /** The connection is TLS (directly or per X-Forwarded-Proto from the console). */
  secure: boolean;
  policies: PolicyPlatform & PolicyChecker;
  /** Per-proxy config state (config-stream/hub.ts). */
  configStream: Pick<ConfigStreamHub, 'list'>;
}

export interface ProcedureMeta {
  /** Weakest role allowed to call; absent only on public procedures. */
  minRole?: Role;
}

const t = initTRPC
  .context<Context>()
  .meta<ProcedureMeta>()
  .create({
    // Never send stack traces to clients, whatever NODE_ENV says.
    isDev: false,
    errorFormatter({ shape, error }) {
      const internal = error.code === 'INTERNAL_SERVER_ERROR';
      const { stack: _stack, ...data } = shape.data as typeof shape.data & { stack?: string };
      return {
        ...shape,
        // Internal errors may quote SQL, file paths or library internals: the log has them, the client does not.
        message: internal ? 'internal error; see the API log' : shape.message,
        data: {
          ...data,
          zodError: error.cause instanceof z.ZodError ? z.flattenError(error.cause) : null,
          // Why a policy was refused: validate() findings (code, severity, path, message).
          findings: error.cause instanceof PolicyRefusedError ? error.cause.findings : null,
        },
      };
    },
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Answers signed-out callers. Only for the procedures listed in PUBLIC_PROCEDURES. */
export const publicProcedure = t.procedure;

function requireRole(minRole: Role) {
  return t.procedure.meta({ minRole }).use(({ ctx, type, next }) => {
    const session = ctx.session;
    if (!session) {
      throw new TRPCError({
        code: 'UNAUTHORIZED',
        message: 'sign in first: POST /auth/login or the console',
      });
    }
    if (!roleAtLeast(session.user.role, minRole)) {
      throw new TRPCError({
        code: 'FORBIDDEN',
        message: `needs the ${minRole} role; ${session.user.username} is ${session.user.role}`,
      });
    }
    if (type === 'mutation' && !session.csrfVerified) {
      throw new TRPCError({
        code: 'FORBIDDEN',
        message: 'missing or wrong x-weft-csrf header: send the csrfToken from auth.me or POST /auth/login',
      });
    }
    return next({ ctx: { ...ctx, session } });
  });
}

export const viewerProcedure = requireRole('viewer');
export const editorProcedure = requireRole('editor');
export const adminProcedure = requireRole('admin');

/** Procedures that answer without a session (checked by the router-wide access test). */
export const PUBLIC_PROCEDURES: readonly string[] = ['auth.me'];
