/**
 * The demo's admin password: WEFT_ADMIN_PASSWORD when set; else the one an earlier run saved in
 * <data dir>/admin-password; else a new random one, saved there (mode 0600). The launcher hands it to the API
 * as WEFT_ADMIN_PASSWORD, which uses it only when it creates the `admin` user (first start on an empty
 * database): an admin whose password was changed since keeps the new one, and the launcher's sign-in then fails
 * with the advice below.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AuthLimits, BOOTSTRAP_ADMIN_USERNAME } from '@weft/schema';

export const ADMIN_PASSWORD_ENV = 'WEFT_ADMIN_PASSWORD';
export const ADMIN_PASSWORD_FILE = 'admin-password';

export interface AdminPassword {
  password: string;
  /** env: from WEFT_ADMIN_PASSWORD (not saved); saved: read from `file`; generated: new, written to `file`. */
  source: 'env' | 'saved' | 'generated';
  /** <data dir>/admin-password (where it is, or would be, saved). */
  file: string;
}

export class AdminPasswordError extends Error {
  override name = 'AdminPasswordError';
}

/** 24 random bytes → 32 base64url characters (no quoting needed in shells or JSON). */
export function generatePassword(): string {
  return randomBytes(24).toString('base64url');
}

function lengthProblem(password: string): string | null {
  if (password.length < AuthLimits.minPasswordLength)
    return `must be at least ${AuthLimits.minPasswordLength} characters`;
  if (password.length > AuthLimits.maxPasswordLength)
    return `must be at most ${AuthLimits.maxPasswordLength} characters`;
  return null;
}

/** Decides the password (see the file comment). Writes the file only when it generates one. */
export function resolveAdminPassword(
  dataDir: string,
  env: Record<string, string | undefined> = process.env,
): AdminPassword {
  const file = path.join(dataDir, ADMIN_PASSWORD_FILE);
  const fromEnv = env[ADMIN_PASSWORD_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    const problem = lengthProblem(fromEnv);
    if (problem) throw new AdminPasswordError(`${ADMIN_PASSWORD_ENV} ${problem}`);
    return { password: fromEnv, source: 'env', file };
  }

  let saved: string | null = null;
  try {
    saved = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new AdminPasswordError(`cannot read ${file}: ${(e as Error).message}`);
  }
  if (saved !== null) {
    const problem = lengthProblem(saved);
    if (problem) {
      throw new AdminPasswordError(
        `${file} does not hold a usable password (it ${problem}): put the admin's password in it, set ${ADMIN_PASSWORD_ENV}, or delete it to have a new one generated (on a fresh data dir)`,
      );
    }
    tightenMode(file);
    return { password: saved, source: 'saved', file };
  }

  const password = generatePassword();
  try {
    // 'wx': never overwrite a file another run wrote meanwhile.
    writeFileSync(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    throw new AdminPasswordError(`cannot save the admin password in ${file}: ${(e as Error).message}`);
  }
  return { password, source: 'generated', file };
}

/** A saved password readable by others (copied around, umask): make it owner-only again. Best effort. */
function tightenMode(file: string): void {
  try {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  } catch {
    // not ours to fix (read-only mount, other owner): the password still works
  }
}

/** "Sign in as admin with password … (saved in …)": the banner's sign-in line. */
export function signInLine(admin: AdminPassword, cwd = process.cwd()): string {
  const user = BOOTSTRAP_ADMIN_USERNAME;
  if (admin.source === 'env') return `Sign in as ${user} with the password in ${ADMIN_PASSWORD_ENV}`;
  return `Sign in as ${user} with password ${admin.password} (saved in ${displayPath(admin.file, cwd)})`;
}

/** Relative to cwd when the file is below it (".weft/admin-password"), else absolute. */
export function displayPath(file: string, cwd = process.cwd()): string {
  const rel = path.relative(cwd, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** What to tell the user when the API refuses the launcher's sign-in. */
export function signInRefusedAdvice(
  reason: 'wrong-password' | 'rate-limited',
  admin: AdminPassword,
  dataDir: string,
  retryAfterSeconds: number | null = null,
): string {
  const user = BOOTSTRAP_ADMIN_USERNAME;
  if (reason === 'rate-limited') {
    const wait = retryAfterSeconds === null ? 'Wait' : `Wait ${Math.ceil(retryAfterSeconds / 60)} min`;
    return (
      `the API refuses sign-ins as ${user} for now: too many failed attempts ` +
      `(${AuthLimits.loginFailuresPerUser} allowed per ${AuthLimits.loginWindowSeconds / 60} min). ` +
      `${wait} and start again, with the ${user}'s current password in ${ADMIN_PASSWORD_ENV} if the saved one is stale.`
    );
  }
  const from =
    admin.source === 'env'
      ? `the password from ${ADMIN_PASSWORD_ENV}`
      : `the password saved in ${admin.file}`;
  return (
    `the API refused user ${user} with ${from}. The database in ${dataDir} already has an ${user} user with ` +
    `another password (changed in the console, or a database from elsewhere); ${ADMIN_PASSWORD_ENV} only sets ` +
    `the password when the ${user} user is first created. Fix: set ${ADMIN_PASSWORD_ENV} to the ${user}'s ` +
    `current password, or delete ${dataDir} to start over with a fresh database (and a new password).`
  );
}
