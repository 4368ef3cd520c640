/**
 * Who the end-to-end tests sign in as, on which demo. The demo's API creates `admin` with WEFT_ADMIN_PASSWORD on
 * its first start (playwright.config.ts sets it); the setup projects sign in as admin, create an `editor` and a
 * `viewer` the way an admin would, sign each in once and save the sessions for the specs.
 */
import type { TestInfo } from '@playwright/test';
import path from 'node:path';

export type Role = 'viewer' | 'editor' | 'admin';

export interface Account {
  username: string;
  displayName: string;
  role: Role;
  password: string;
}

export const ADMIN = {
  username: 'admin',
  displayName: 'Administrator',
  role: 'admin',
  // Test-only, at least AuthLimits.minPasswordLength characters; the database is fresh on every run.
  password: process.env.WEFT_E2E_ADMIN_PASSWORD ?? 'e2e-admin-password-7f3c',
} as const satisfies Account;

/** Created by the setup project on every demo; changes policies (the policy editor journeys). */
export const EDITOR = {
  username: 'e2e-editor',
  displayName: 'Eddie Editor',
  role: 'editor',
  password: 'e2e-editor-password-4b1d',
} as const satisfies Account;

/** Created by the setup project on every demo; may look, not change. */
export const VIEWER = {
  username: 'e2e-viewer',
  displayName: 'Vic Viewer',
  role: 'viewer',
  password: 'e2e-viewer-password-9a2e',
} as const satisfies Account;

/**
 * The demos a run starts (playwright.config.ts): the universal one every spec runs against, and a Kubernetes-mode
 * one (its own API, console and data directory) for the journeys that must pass on both.
 */
export type E2EPlatform = 'universal' | 'kubernetes';

/** Which demo a test runs against: its project's `metadata.platform` (universal when not set). */
export function platformOf(testInfo: TestInfo): E2EPlatform {
  return testInfo.project.metadata.platform === 'kubernetes' ? 'kubernetes' : 'universal';
}

function dataDirOf(platform: E2EPlatform): string {
  const variable = platform === 'kubernetes' ? 'WEFT_E2E_K8S_DATA_DIR' : 'WEFT_E2E_DATA_DIR';
  const dataDir = process.env[variable];
  if (!dataDir) throw new Error(`${variable} is not set: run the e2e tests through playwright.config.ts`);
  return dataDir;
}

/** A role's signed-in browser state (cookies) on one demo, written by auth.setup.ts into its data directory. */
export function sessionFile(role: Role, platform: E2EPlatform = 'universal'): string {
  return path.join(dataDirOf(platform), `e2e-${role}-session.json`);
}

/** The admin's signed-in browser state on the universal demo (every spec's default). */
export function adminStorageState(): string {
  return sessionFile('admin', 'universal');
}

/** A browser state without a session, for tests that sign in themselves or must be signed out. */
export const SIGNED_OUT = { cookies: [], origins: [] };

/** A name no earlier test of this run used (users and tokens outlive a test). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1296).toString(36)}`;
}
