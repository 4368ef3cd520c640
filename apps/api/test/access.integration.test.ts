/**
 * Every tRPC procedure in the router, called over HTTP as a signed-out caller and as each role: a procedure
 * answers only callers whose role is at least its own, and a new procedure without a role fails this test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, roleAtLeast, type Role } from '@weft/schema';
import { startApi, type RunningApi } from '../src/app.ts';
import { appRouter } from '../src/trpc/router.ts';
import { PUBLIC_PROCEDURES, type ProcedureMeta } from '../src/trpc/trpc.ts';
import { signIn, testApiOptions, trpcCall, trpcMutation, type Session } from './support/auth.ts';

interface ProcedureInfo {
  path: string;
  type: 'query' | 'mutation' | 'subscription';
  minRole: Role | undefined;
}

const procedures: ProcedureInfo[] = Object.entries(appRouter._def.procedures).map(([p, proc]) => {
  const def = (proc as unknown as { _def: { type: ProcedureInfo['type']; meta?: ProcedureMeta } })._def;
  return { path: p, type: def.type, minRole: def.meta?.minRole };
});

describe('access to every tRPC procedure', () => {
  let dir: string;
  let api: RunningApi;
  const sessions = new Map<Role, Session>();

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-access-'));
    api = await startApi(await testApiOptions(`file:${path.join(dir, 'weft.db')}`), () => undefined);
    const admin = await signIn(api.url);
    sessions.set('admin', admin);
    for (const role of ['viewer', 'editor'] as const) {
      await trpcMutation(api.url, admin, 'users.create', {
        username: `${role}-user`,
        role,
        password: `${role}-password-123`,
      });
      sessions.set(role, await signIn(api.url, `${role}-user`, `${role}-password-123`));
    }
  });

  afterAll(async () => {
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the procedures, and each one is public by intent or has a role', () => {
    expect(procedures.length).toBeGreaterThanOrEqual(15);
    for (const p of procedures) {
      if (PUBLIC_PROCEDURES.includes(p.path)) expect(p.minRole, p.path).toBeUndefined();
      else expect(p.minRole, `${p.path} must be built from viewer/editor/adminProcedure`).toBeDefined();
    }
  });

  it.each(procedures.filter((p) => !PUBLIC_PROCEDURES.includes(p.path)))(
    '$path refuses anonymous callers with 401',
    async (p) => {
      const answer = await trpcCall(api.url, null, p.path, {}, p.type === 'mutation' ? 'mutation' : 'query');
      expect(answer.status).toBe(401);
      expect(answer.body.error?.data?.code).toBe('UNAUTHORIZED');
      expect(answer.body.error?.message).toMatch(/sign in/);
    },
  );

  it.each(procedures.filter((p) => p.minRole !== undefined && p.minRole !== 'viewer'))(
    '$path refuses roles below $minRole with 403',
    async (p) => {
      const weaker = ROLES.filter((r) => !roleAtLeast(r, p.minRole as Role));
      expect(weaker.length).toBeGreaterThan(0);
      for (const role of weaker) {
        const answer = await trpcCall(
          api.url,
          sessions.get(role) as Session,
          p.path,
          {},
          p.type === 'mutation' ? 'mutation' : 'query',
        );
        expect(answer.status, `${p.path} as ${role}`).toBe(403);
        expect(answer.body.error?.message).toContain(`needs the ${p.minRole} role`);
      }
    },
  );

  it.each(procedures.filter((p) => p.minRole !== undefined))(
    '$path lets a $minRole past the role check (input errors are 400, not 401/403)',
    async (p) => {
      const session = sessions.get(p.minRole as Role) as Session;
      const answer = await trpcCall(
        api.url,
        session,
        p.path,
        {},
        p.type === 'mutation' ? 'mutation' : 'query',
      );
      expect([200, 400, 404]).toContain(answer.status);
    },
  );

  it('refuses a mutation whose CSRF header is missing or wrong, even from an admin', async () => {
    const admin = sessions.get('admin') as Session;
    const input = { username: 'csrf-victim', role: 'admin', password: 'csrf-password-123' };
    for (const csrfToken of ['', 'not-the-token']) {
      const answer = await trpcCall(
        api.url,
        { cookie: admin.cookie, csrfToken },
        'users.create',
        input,
        'mutation',
      );
      expect(answer.status).toBe(403);
      expect(answer.body.error?.message).toMatch(/x-weft-csrf/);
    }
    const users = await trpcCall(api.url, admin, 'users.list', undefined, 'query');
    expect(JSON.stringify(users.body)).not.toContain('csrf-victim');
  });

  it('never sends a stack trace or a file path in an error', async () => {
    const admin = sessions.get('admin') as Session;
    const answers = await Promise.all([
      trpcCall(api.url, admin, 'signals.service', { namespace: 1 }, 'query'),
      trpcCall(api.url, admin, 'traces.get', { traceId: 'nope' }, 'query'),
      trpcCall(api.url, null, 'topology.graph', {}, 'query'),
      trpcCall(api.url, admin, 'no.such.procedure', {}, 'query'),
    ]);
    for (const answer of answers) {
      expect(answer.status).toBeGreaterThanOrEqual(400);
      const text = JSON.stringify(answer.body);
      expect(text).not.toContain('"stack"');
      expect(text).not.toContain(dir);
      expect(text).not.toMatch(/\/work\/|node_modules|\.ts:\d+/);
    }
  });

  it('accepts an API (user) token as Bearer with its role, without CSRF, and nothing else as Bearer', async () => {
    const admin = sessions.get('admin') as Session;
    const created = async (role: string) =>
      (
        await trpcMutation<{ token: string }>(api.url, admin, 'tokens.create', {
          kind: 'user',
          name: `ci-${role}`,
          role,
        })
      ).token;
    const viewerToken = await created('viewer');
    const editorToken = await created('editor');
    const call = (token: string, procedure: string, input: unknown, method: 'GET' | 'POST') =>
      fetch(
        method === 'GET'
          ? `${api.url}/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`
          : `${api.url}/trpc/${procedure}`,
        {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: method === 'POST' ? JSON.stringify(input) : undefined,
        },
      );
    expect((await call(viewerToken, 'services.list', { window: { lastMs: 60_000 } }, 'GET')).status).toBe(
      200,
    );
    const forbidden = await call(viewerToken, 'tokens.list', undefined, 'GET');
    expect(forbidden.status).toBe(403);
    expect(JSON.stringify(await forbidden.json())).toContain(
      'needs the admin role; token:ci-viewer is viewer',
    );
    // A mutation with an editor token needs no CSRF header: a bearer token is not sent by browsers on their own.
    const resource = {
      apiVersion: 'policy.weft.dev/v1alpha1',
      kind: 'TimeoutPolicy',
      metadata: { name: 't', namespace: 'shop' },
      spec: { targetRef: { name: 'catalog' }, request: '1s' },
    };
    expect((await call(editorToken, 'policies.validate', resource, 'POST')).status).toBe(200);
    // Workload and ingest tokens are for /v1 only.
    const ingest = (
      await trpcMutation<{ token: string }>(api.url, admin, 'tokens.create', { kind: 'ingest', name: 'sdk' })
    ).token;
    expect((await call(ingest, 'services.list', { window: { lastMs: 60_000 } }, 'GET')).status).toBe(401);
  });
});
