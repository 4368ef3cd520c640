/**
 * Whether the console needs `next build`: .next/BUILD_ID missing, or older than any source it is built from.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Inputs relative to the repository root (files or directories). */
export const CONSOLE_BUILD_INPUTS = [
  'apps/web/src',
  'apps/web/app',
  'apps/web/public',
  'apps/web/next.config.ts',
  'apps/web/next.config.mjs',
  'apps/web/next.config.js',
  'apps/web/package.json',
  'apps/api/src/trpc',
  'packages/schema/src',
];

const SKIP_DIRS = new Set(['node_modules', '.next', '.git']);

/** Newest mtime (ms) under a path, with the file that has it; null when the path does not exist. */
export function newestMtime(p: string, depthLimit = 20): { mtimeMs: number; file: string } | null {
  let st;
  try {
    st = statSync(p);
  } catch {
    return null;
  }
  if (!st.isDirectory()) return { mtimeMs: st.mtimeMs, file: p };
  if (depthLimit <= 0) return null;
  let best: { mtimeMs: number; file: string } | null = null;
  for (const entry of readdirSync(p, { withFileTypes: true })) {
    if (entry.isDirectory() && SKIP_DIRS.has(entry.name)) continue;
    const r = newestMtime(path.join(p, entry.name), depthLimit - 1);
    if (r && (!best || r.mtimeMs > best.mtimeMs)) best = r;
  }
  return best;
}

export type BuildCheck = { needed: false } | { needed: true; reason: string };

export function consoleBuildNeeded(
  repoRoot: string,
  inputs: readonly string[] = CONSOLE_BUILD_INPUTS,
): BuildCheck {
  const buildId = path.join(repoRoot, 'apps/web/.next/BUILD_ID');
  let builtAt: number;
  try {
    builtAt = statSync(buildId).mtimeMs;
  } catch {
    return { needed: true, reason: 'no build yet' };
  }
  for (const input of inputs) {
    const newest = newestMtime(path.join(repoRoot, input));
    if (newest && newest.mtimeMs > builtAt) {
      return { needed: true, reason: `${path.relative(repoRoot, newest.file)} changed since the last build` };
    }
  }
  return { needed: false };
}
