/**
 * People: the built-in user store (Argon2id passwords) and users that arrive through OIDC. Both end in the
 * same `User` row and the same sessions; only how the identity was proven differs.
 */
import { BOOTSTRAP_ADMIN_USERNAME, ROLES, type Role, type SessionUser } from '@weft/schema';
import type { Db } from '../db/client.ts';
import type { User } from '../generated/sqlite/client.ts';
import { decoyHash, hashPassword, verifyPassword } from './passwords.ts';
import { randomId, randomSecret } from './secrets.ts';

export interface UserRecord extends SessionUser {
  createdAtMs: number;
  lastLoginAtMs: number | null;
  disabled: boolean;
}

export class UserError extends Error {
  constructor(
    readonly code: 'CONFLICT' | 'NOT_FOUND' | 'BAD_REQUEST',
    message: string,
  ) {
    super(message);
  }
}

function asRole(value: string): Role {
  return (ROLES as readonly string[]).includes(value) ? (value as Role) : 'viewer';
}

export function toSessionUser(
  u: Pick<User, 'id' | 'username' | 'displayName' | 'role' | 'provider'>,
): SessionUser {
  return {
    id: u.id,
    username: u.username,
    displayName: u.displayName,
    role: asRole(u.role),
    provider: u.provider === 'oidc' ? 'oidc' : 'local',
  };
}

function toRecord(u: User): UserRecord {
  return {
    ...toSessionUser(u),
    createdAtMs: u.createdAt.getTime(),
    lastLoginAtMs: u.lastLoginAt?.getTime() ?? null,
    disabled: u.disabled,
  };
}

export class UserStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Creates `admin` when no administrator exists: with `password` when given (WEFT_ADMIN_PASSWORD), else with
   * a generated one that is returned so the caller can print it once. Returns null when an admin exists.
   */
  async ensureBootstrapAdmin(
    password: string | undefined,
  ): Promise<{ password: string; generated: boolean } | null> {
    const admins = await this.db.user.count({ where: { role: 'admin', disabled: false } });
    if (admins > 0) return null;
    const chosen = password ?? randomSecret(18);
    const existing = await this.db.user.findUnique({ where: { username: BOOTSTRAP_ADMIN_USERNAME } });
    const passwordHash = await hashPassword(chosen);
    if (existing) {
      await this.db.user.update({
        where: { id: existing.id },
        data: { role: 'admin', disabled: false, passwordHash, provider: 'local' },
      });
    } else {
      await this.db.user.create({
        data: {
          id: randomId(),
          username: BOOTSTRAP_ADMIN_USERNAME,
          displayName: 'Administrator',
          role: 'admin',
          provider: 'local',
          passwordHash,
        },
      });
    }
    return { password: chosen, generated: password === undefined };
  }

  /** The user when the password is right; null otherwise (same cost whether or not the user exists). */
  async authenticate(username: string, password: string): Promise<SessionUser | null> {
    const user = await this.db.user.findUnique({ where: { username } });
    if (!user || user.disabled || user.passwordHash === null) {
      await verifyPassword(await decoyHash(), password);
      return null;
    }
    if (!(await verifyPassword(user.passwordHash, password))) return null;
    await this.db.user.update({ where: { id: user.id }, data: { lastLoginAt: new Date(this.now()) } });
    return toSessionUser(user);
  }

  async changePassword(userId: string, current: string, next: string): Promise<boolean> {
    const user = await this.db.user.findUnique({ where: { id: userId } });
    if (!user?.passwordHash || !(await verifyPassword(user.passwordHash, current))) return false;
    await this.db.user.update({ where: { id: userId }, data: { passwordHash: await hashPassword(next) } });
    return true;
  }

  /** Finds or creates the user an OIDC provider vouched for; the role follows the provider's claims. */
  async upsertOidcUser(claims: {
    subject: string;
    username: string;
    displayName: string;
    role: Role;
  }): Promise<SessionUser> {
    const existing = await this.db.user.findUnique({
      where: { provider_subject: { provider: 'oidc', subject: claims.subject } },
    });
    if (existing) {
      if (existing.disabled) throw new UserError('BAD_REQUEST', 'this account is disabled');
      const updated = await this.db.user.update({
        where: { id: existing.id },
        data: { displayName: claims.displayName, role: claims.role, lastLoginAt: new Date(this.now()) },
      });
      return toSessionUser(updated);
    }
    // Keep OIDC usernames apart from local ones: a provider must not be able to claim "admin".
    let username = `${claims.username}@oidc`;
    if (await this.db.user.findUnique({ where: { username } }))
      username = `${claims.username}.${randomId()}@oidc`;
    const created = await this.db.user.create({
      data: {
        id: randomId(),
        username,
        displayName: claims.displayName,
        role: claims.role,
        provider: 'oidc',
        subject: claims.subject,
        lastLoginAt: new Date(this.now()),
      },
    });
    return toSessionUser(created);
  }

  async get(userId: string): Promise<SessionUser | null> {
    const user = await this.db.user.findUnique({ where: { id: userId } });
    return user && !user.disabled ? toSessionUser(user) : null;
  }

  async list(limit: number): Promise<UserRecord[]> {
    const users = await this.db.user.findMany({ orderBy: { username: 'asc' }, take: limit });
    return users.map(toRecord);
  }

  async create(input: {
    username: string;
    displayName?: string;
    role: Role;
    password: string;
  }): Promise<UserRecord> {
    if (await this.db.user.findUnique({ where: { username: input.username } })) {
      throw new UserError('CONFLICT', `a user named "${input.username}" already exists`);
    }
    const user = await this.db.user.create({
      data: {
        id: randomId(),
        username: input.username,
        displayName: input.displayName?.trim() || input.username,
        role: input.role,
        provider: 'local',
        passwordHash: await hashPassword(input.password),
      },
    });
    return toRecord(user);
  }

  async setRole(userId: string, role: Role): Promise<UserRecord> {
    return this.db.$transaction(async (tx) => {
      const user = await tx.user.findUnique({ where: { id: userId } });
      if (!user) throw new UserError('NOT_FOUND', `no user with id ${userId}`);
      if (user.role === 'admin' && role !== 'admin') await this.assertNotLastAdmin(tx, userId);
      const updated = await tx.user.update({ where: { id: userId }, data: { role } });
      // A changed role takes effect at once: sessions load the user on every request.
      return toRecord(updated);
    });
  }

  async remove(userId: string): Promise<void> {
    await this.db.$transaction(async (tx) => {
      const user = await tx.user.findUnique({ where: { id: userId } });
      if (!user) throw new UserError('NOT_FOUND', `no user with id ${userId}`);
      if (user.role === 'admin') await this.assertNotLastAdmin(tx, userId);
      await tx.user.delete({ where: { id: userId } });
    });
  }

  private async assertNotLastAdmin(tx: Pick<Db, 'user'>, userId: string): Promise<void> {
    const others = await tx.user.count({ where: { role: 'admin', disabled: false, id: { not: userId } } });
    if (others === 0)
      throw new UserError('BAD_REQUEST', 'this is the last admin: make another user admin first');
  }
}
