/**
 * Machine credentials. A token is `weft_<secret>`; only SHA-256(token) is stored. Verified tokens are cached
 * for a few seconds (every proxy call carries one); revoking clears the cache entry at once in this process.
 */
import {
  ROLES,
  TOKEN_PREFIX,
  type Role,
  type TokenCreate,
  type TokenKind,
  type TokenScope,
  type TokenSummary,
} from '@weft/schema';
import type { Db } from '../db/client.ts';
import type { ApiToken } from '../generated/sqlite/client.ts';
import { randomId, randomSecret, sha256 } from './secrets.ts';

export interface VerifiedToken extends TokenScope {
  id: string;
  name: string;
}

const CACHE_MS = 5000;

function asRole(value: string | null): Role {
  return (ROLES as readonly string[]).includes(value ?? '') ? (value as Role) : 'viewer';
}
const CACHE_MAX = 10_000;
/** lastUsedAt is written at most this often per token. */
const LAST_USED_EVERY_MS = 60_000;

function toSummary(t: ApiToken): TokenSummary {
  return {
    id: t.id,
    name: t.name,
    kind: t.kind as TokenKind,
    namespace: t.namespace,
    service: t.service,
    version: t.version,
    role: t.kind === 'user' ? asRole(t.role) : null,
    createdBy: t.createdBy,
    createdAtMs: t.createdAt.getTime(),
    lastUsedAtMs: t.lastUsedAt?.getTime() ?? null,
    revokedAtMs: t.revokedAt?.getTime() ?? null,
  };
}

export class TokenError extends Error {
  constructor(
    readonly code: 'NOT_FOUND' | 'CONFLICT',
    message: string,
  ) {
    super(message);
  }
}

export class TokenStore {
  readonly #cache = new Map<string, { token: VerifiedToken | null; untilMs: number }>();
  readonly #lastUsedWrites = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  async create(input: TokenCreate, createdBy: string): Promise<{ token: string; summary: TokenSummary }> {
    const token = `${TOKEN_PREFIX}${randomSecret()}`;
    const row = await this.db.apiToken.create({
      data: {
        id: randomId(),
        name: input.name,
        kind: input.kind,
        namespace: input.kind === 'user' ? null : (input.namespace ?? null),
        service: input.kind === 'user' ? null : (input.service ?? null),
        version: input.kind === 'workload' ? input.version : null,
        role: input.kind === 'user' ? input.role : null,
        secretHash: sha256(token),
        createdBy,
      },
    });
    return { token, summary: toSummary(row) };
  }

  async list(limit: number): Promise<TokenSummary[]> {
    const rows = await this.db.apiToken.findMany({
      orderBy: [{ revokedAt: 'asc' }, { createdAt: 'desc' }],
      take: limit,
    });
    return rows.map(toSummary);
  }

  async revoke(id: string): Promise<TokenSummary> {
    const row = await this.db.apiToken.findUnique({ where: { id } });
    if (!row) throw new TokenError('NOT_FOUND', `no token with id ${id}`);
    const updated = row.revokedAt
      ? row
      : await this.db.apiToken.update({ where: { id }, data: { revokedAt: new Date(this.now()) } });
    this.#cache.delete(row.secretHash);
    return toSummary(updated);
  }

  /** The token's scope, or null when it is unknown or revoked. */
  async verify(token: string): Promise<VerifiedToken | null> {
    if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return null;
    const hash = sha256(token);
    const now = this.now();
    const cached = this.#cache.get(hash);
    if (cached && cached.untilMs > now) return cached.token;
    const row = await this.db.apiToken.findUnique({ where: { secretHash: hash } });
    const verified: VerifiedToken | null =
      row && row.revokedAt === null
        ? {
            id: row.id,
            name: row.name,
            kind: row.kind as TokenKind,
            namespace: row.namespace,
            service: row.service,
            version: row.version,
            role: row.kind === 'user' ? asRole(row.role) : null,
          }
        : null;
    if (this.#cache.size >= CACHE_MAX) this.#cache.clear();
    this.#cache.set(hash, { token: verified, untilMs: now + CACHE_MS });
    if (verified && now - (this.#lastUsedWrites.get(verified.id) ?? 0) > LAST_USED_EVERY_MS) {
      this.#lastUsedWrites.set(verified.id, now);
      await this.db.apiToken.update({ where: { id: verified.id }, data: { lastUsedAt: new Date(now) } });
    }
    return verified;
  }
}
