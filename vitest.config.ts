import { defineConfig } from 'vitest/config';

// Unit tests sit next to the code as x.test.ts; integration tests (real sockets, real databases) are
// named x.integration.test.ts. End-to-end tests live in e2e/ and run under Playwright.
export default defineConfig({
  test: {
    projects: [
      {
        // The console's "@/…" imports (apps/web/tsconfig.json paths), so its logic modules can be unit-tested.
        resolve: { alias: [{ find: /^@\//, replacement: `${import.meta.dirname}/apps/web/src/` }] },
        test: {
          name: 'unit',
          include: ['{apps,packages}/*/{src,test}/**/*.test.ts'],
          exclude: ['**/*.integration.test.ts', '**/node_modules/**'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['{apps,packages}/*/{src,test}/**/*.integration.test.ts'],
          exclude: ['**/node_modules/**'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
