/**
 * Who the end-to-end tests sign in as. The demo's API creates `admin` with WEFT_ADMIN_PASSWORD on its first
 * start (playwright.config.ts sets it); the setup project signs in once and saves the session for the specs.
 */
import path from 'node:path';

export const ADMIN = {
  username: 'admin',
  displayName: 'Administrator',
  // Test-only, at least AuthLimits.minPasswordLength characters; the database is fresh on every run.
  password: process.env.WEFT_E2E_ADMIN_PASSWORD ?? 'e2e-admin-password-7f3c',
} as const;

/** The admin's signed-in browser state (cookies), written by auth.setup.ts into the run's scratch directory. */
export function adminStorageState(): string {
  const dataDir = process.env.WEFT_E2E_DATA_DIR;
  if (!dataDir)
    throw new Error('WEFT_E2E_DATA_DIR is not set: run the e2e tests through playwright.config.ts');
  return path.join(dataDir, 'e2e-admin-session.json');
}

/** A browser state without a session, for tests that sign in themselves or must be signed out. */
export const SIGNED_OUT = { cookies: [], origins: [] };

/** A name no earlier test of this run used (users and tokens outlive a test). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1296).toString(36)}`;
}
