import { describe, expect, it } from 'vitest';
import { roleAtLeast, tokenCreateSchema, type Role } from './auth.ts';

describe('roleAtLeast', () => {
  it.each([
    ['viewer', 'viewer', true],
    ['viewer', 'editor', false],
    ['viewer', 'admin', false],
    ['editor', 'viewer', true],
    ['editor', 'editor', true],
    ['editor', 'admin', false],
    ['admin', 'viewer', true],
    ['admin', 'editor', true],
    ['admin', 'admin', true],
  ] as const)('%s meets %s: %s', (role: Role, needed: Role, ok: boolean) => {
    expect(roleAtLeast(role, needed)).toBe(ok);
  });
});

describe('tokenCreateSchema', () => {
  const workload = {
    kind: 'workload',
    name: 'catalog',
    namespace: 'shop',
    service: 'catalog',
    version: 'v1',
  };

  function issues(input: unknown): string[] {
    const parsed = tokenCreateSchema.safeParse(input);
    expect(parsed.success).toBe(false);
    return (parsed.error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);
  }

  it('accepts a workload token for one namespace, service and version', () => {
    expect(tokenCreateSchema.parse(workload)).toEqual(workload);
  });

  it('accepts ingest tokens for anything, a namespace, or a service in it', () => {
    for (const input of [
      { kind: 'ingest', name: 'otel' },
      { kind: 'ingest', name: 'otel', namespace: 'shop' },
      { kind: 'ingest', name: 'otel', namespace: 'shop', service: 'catalog' },
    ]) {
      expect(tokenCreateSchema.parse(input)).toEqual(input);
    }
  });

  it('needs the whole workload', () => {
    expect(issues({ kind: 'workload', name: 'catalog', namespace: 'shop', service: 'catalog' })).toEqual([
      'version: Invalid input: expected string, received undefined',
    ]);
  });

  it('holds names to the DNS label and version rules', () => {
    expect(issues({ ...workload, namespace: 'Shop', service: 'catalog.shop', version: '-v1' })).toEqual([
      'namespace: must be a DNS label: lower-case letters, digits and "-", starting and ending with a letter or digit',
      'service: must be a DNS label: lower-case letters, digits and "-", starting and ending with a letter or digit',
      'version: must be letters, digits, ".", "_" or "-", starting and ending with a letter or digit',
    ]);
    expect(issues({ kind: 'ingest', name: 'otel', namespace: '' })).toEqual([
      'namespace: must not be empty',
      'namespace: must be a DNS label: lower-case letters, digits and "-", starting and ending with a letter or digit',
    ]);
  });

  it('needs a name of 1 to 64 characters', () => {
    expect(tokenCreateSchema.safeParse({ ...workload, name: 'n'.repeat(64) }).success).toBe(true);
    expect(issues({ ...workload, name: '' })).toHaveLength(1);
    expect(issues({ ...workload, name: 'n'.repeat(65) })).toHaveLength(1);
  });

  it('refuses unknown kinds', () => {
    expect(issues({ kind: 'admin', name: 'root' })).toHaveLength(1);
    expect(issues({ name: 'root' })).toHaveLength(1);
  });
});

describe('ingest token scope', () => {
  it('needs the namespace of a named service', () => {
    const parsed = tokenCreateSchema.safeParse({ kind: 'ingest', name: 'sdk', service: 'catalog' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]).toMatchObject({
      path: ['namespace'],
      message: 'a service needs its namespace',
    });
    expect(
      tokenCreateSchema.safeParse({ kind: 'ingest', name: 'sdk', namespace: 'shop', service: 'catalog' })
        .success,
    ).toBe(true);
  });
});
