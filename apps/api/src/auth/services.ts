/** Everything the API needs to tell who is calling: people (users, sessions, OIDC) and machines (tokens). */
import { AuthLimits } from '@weft/schema';
import type { Db } from '../db/client.ts';
import { LoginLimiter } from './login-limiter.ts';
import { OidcSignIn, type OidcSettings } from './oidc.ts';
import { SessionStore } from './sessions.ts';
import { TokenStore } from './tokens.ts';
import { UserStore } from './users.ts';

export interface AuthServices {
  users: UserStore;
  sessions: SessionStore;
  tokens: TokenStore;
  loginLimiter: LoginLimiter;
  oidc: OidcSignIn | null;
  /** Set cookies with `Secure`: always / never / when the request came over TLS. */
  secureCookies: 'auto' | 'always' | 'never';
}

export function createAuthServices(
  db: Db,
  options: { oidc: OidcSettings | null; secureCookies: 'auto' | 'always' | 'never'; now?: () => number },
): AuthServices {
  const now = options.now ?? Date.now;
  return {
    users: new UserStore(db, now),
    sessions: new SessionStore(db, now),
    tokens: new TokenStore(db, now),
    loginLimiter: new LoginLimiter({
      windowMs: AuthLimits.loginWindowSeconds * 1000,
      now,
    }),
    oidc: options.oidc ? new OidcSignIn(options.oidc, now) : null,
    secureCookies: options.secureCookies,
  };
}
