/**
 * Sessions of signed-in people. The cookie holds a 256-bit random secret; the database holds only its
 * SHA-256. The CSRF token is derived from the cookie secret, so a page that can't read the HttpOnly cookie
 * can't produce it, and it needs no storage of its own.
 */
import { AuthLimits, type SessionUser } from '@weft/schema';
import type { Db } from '../db/client.ts';
import { randomSecret, sameSecret, sha256 } from './secrets.ts';
import { toSessionUser } from './users.ts';

export interface ResolvedSession {
  user: SessionUser;
  sessionIdHash: string;
  csrfToken: string;
  expiresAtMs: number;
}

/** Seen-at updates are written at most this often per session. */
const TOUCH_EVERY_MS = 60_000;

export function csrfTokenFor(cookieSecret: string): string {
  return sha256(`weft-csrf:${cookieSecret}`).slice(0, 43);
}

export function csrfMatches(cookieSecret: string, presented: string | undefined): boolean {
  return presented !== undefined && sameSecret(csrfTokenFor(cookieSecret), presented);
}

export class SessionStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  async create(user: SessionUser): Promise<{ cookieSecret: string; session: ResolvedSession }> {
    const cookieSecret = randomSecret();
    const now = this.now();
    const expiresAtMs = now + AuthLimits.sessionMaxAgeSeconds * 1000;
    const csrfToken = csrfTokenFor(cookieSecret);
    const sessionIdHash = sha256(cookieSecret);
    await this.db.session.create({
      data: {
        idHash: sessionIdHash,
        userId: user.id,
        csrfHash: sha256(csrfToken),
        lastSeenAt: new Date(now),
        expiresAt: new Date(expiresAtMs),
      },
    });
    // Expired sessions are swept as new ones are made, so the table stays the size of the active ones.
    await this.db.session.deleteMany({
      where: {
        OR: [
          { expiresAt: { lt: new Date(now) } },
          { lastSeenAt: { lt: new Date(now - AuthLimits.sessionIdleSeconds * 1000) } },
        ],
      },
    });
    return { cookieSecret, session: { user, sessionIdHash, csrfToken, expiresAtMs } };
  }

  async resolve(cookieSecret: string): Promise<ResolvedSession | null> {
    if (cookieSecret.length < 20 || cookieSecret.length > 100) return null;
    const sessionIdHash = sha256(cookieSecret);
    const found = await this.db.session.findUnique({
      where: { idHash: sessionIdHash },
      include: { user: true },
    });
    if (!found || found.user.disabled) return null;
    const now = this.now();
    const idleLimit = now - AuthLimits.sessionIdleSeconds * 1000;
    if (found.expiresAt.getTime() <= now || found.lastSeenAt.getTime() <= idleLimit) {
      await this.db.session.deleteMany({ where: { idHash: sessionIdHash } });
      return null;
    }
    if (now - found.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
      await this.db.session.update({ where: { idHash: sessionIdHash }, data: { lastSeenAt: new Date(now) } });
    }
    return {
      user: toSessionUser(found.user),
      sessionIdHash,
      csrfToken: csrfTokenFor(cookieSecret),
      expiresAtMs: found.expiresAt.getTime(),
    };
  }

  async destroy(sessionIdHash: string): Promise<void> {
    await this.db.session.deleteMany({ where: { idHash: sessionIdHash } });
  }

  async destroyAllFor(userId: string): Promise<void> {
    await this.db.session.deleteMany({ where: { userId } });
  }
}
