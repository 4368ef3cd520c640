import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AdminPasswordError,
  displayPath,
  generatePassword,
  resolveAdminPassword,
  signInLine,
  signInRefusedAdvice,
} from './admin-password.ts';

const tmpDirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-admin-pw-'));
  tmpDirs.push(dir);
  return dir;
};
afterAll(() => tmpDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('admin password', () => {
  it('generates a strong password on a fresh data dir and saves it owner-only', () => {
    const dir = tempDir();
    const admin = resolveAdminPassword(dir, {});
    expect(admin.source).toBe('generated');
    expect(admin.file).toBe(path.join(dir, 'admin-password'));
    expect(admin.password).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(readFileSync(admin.file, 'utf8')).toBe(`${admin.password}\n`);
    expect(statSync(admin.file).mode & 0o777).toBe(0o600);
  });

  it('reuses the password an earlier run saved', () => {
    const dir = tempDir();
    const first = resolveAdminPassword(dir, {});
    const second = resolveAdminPassword(dir, {});
    expect(second).toEqual({ ...first, source: 'saved' });
  });

  it('makes a saved password file owner-only again', () => {
    const dir = tempDir();
    const file = path.join(dir, 'admin-password');
    writeFileSync(file, 'correct horse battery staple\r\n', { mode: 0o644 });
    expect(resolveAdminPassword(dir, {}).password).toBe('correct horse battery staple');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('prefers WEFT_ADMIN_PASSWORD and does not save it', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'admin-password'), 'the-saved-password\n');
    const admin = resolveAdminPassword(dir, { WEFT_ADMIN_PASSWORD: 'from-the-environment' });
    expect(admin).toMatchObject({ password: 'from-the-environment', source: 'env' });
    expect(readFileSync(admin.file, 'utf8')).toBe('the-saved-password\n');
    expect(resolveAdminPassword(tempDir(), { WEFT_ADMIN_PASSWORD: '' }).source).toBe('generated');
  });

  it('refuses passwords the API would refuse, saying how to fix them', () => {
    const dir = tempDir();
    expect(() => resolveAdminPassword(dir, { WEFT_ADMIN_PASSWORD: 'short' })).toThrow(
      /WEFT_ADMIN_PASSWORD must be at least 12 characters/,
    );
    writeFileSync(path.join(dir, 'admin-password'), 'tiny\n');
    expect(() => resolveAdminPassword(dir, {})).toThrow(AdminPasswordError);
    expect(() => resolveAdminPassword(dir, {})).toThrow(
      /does not hold a usable password.*WEFT_ADMIN_PASSWORD/,
    );
  });

  it('generates different passwords', () => {
    const a = generatePassword();
    expect(a.length).toBeGreaterThanOrEqual(20);
    expect(generatePassword()).not.toBe(a);
  });
});

describe('sign-in texts', () => {
  const saved = {
    password: 'pw-1234567890ab',
    source: 'saved',
    file: '/srv/app/.weft/admin-password',
  } as const;

  it('prints the password and where it is saved, relative to the working directory when below it', () => {
    expect(signInLine(saved, '/srv/app')).toBe(
      'Sign in as admin with password pw-1234567890ab (saved in .weft/admin-password)',
    );
    expect(signInLine(saved, '/elsewhere')).toContain('(saved in /srv/app/.weft/admin-password)');
    expect(displayPath('/srv/app', '/srv/app')).toBe('/srv/app');
  });

  it('does not echo a password that came from the environment', () => {
    const line = signInLine({ ...saved, source: 'env' }, '/srv/app');
    expect(line).toBe('Sign in as admin with the password in WEFT_ADMIN_PASSWORD');
  });

  it('explains a refused sign-in: another admin password in the database, and the two ways out', () => {
    const advice = signInRefusedAdvice('wrong-password', saved, '/srv/app/.weft');
    expect(advice).toContain('the password saved in /srv/app/.weft/admin-password');
    expect(advice).toContain('already has an admin user with another password');
    expect(advice).toContain('set WEFT_ADMIN_PASSWORD');
    expect(advice).toContain('delete /srv/app/.weft');
    expect(advice).not.toContain(saved.password);
    expect(signInRefusedAdvice('wrong-password', { ...saved, source: 'env' }, '/d')).toContain(
      'the password from WEFT_ADMIN_PASSWORD',
    );
    expect(signInRefusedAdvice('rate-limited', saved, '/d')).toMatch(/too many failed attempts.*15 min/);
    expect(signInRefusedAdvice('rate-limited', saved, '/d', 290)).toContain('Wait 5 min and start again');
  });
});
