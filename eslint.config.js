// One lint configuration for the whole repository (type-checked rules via typescript-eslint).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/.next/**',
      '**/.next-*/**',
      '**/dist/**',
      'apps/api/src/generated/**',
      'apps/web/next-env.d.ts',
      'test-results/**',
      'playwright-report/**',
      '.weft/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
    },
  },
  // Invariants from ARCHITECTURE.md that an import or a property access can break.
  {
    files: ['apps/proxy/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@prisma/*', '@trpc/*', 'prisma'],
              message: 'The proxy talks to the control plane over HTTP only.',
            },
            {
              group: ['**/apps/api/**', '@weft/api', '@weft/api/*'],
              message: 'The proxy never imports from apps/api.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/web/**/*.ts', 'apps/web/**/*.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@prisma/*', '@kubernetes/*', 'pg', 'better-sqlite3'],
              message: 'The console reaches data only through the API.',
            },
            {
              group: ['@weft/api', '@weft/api/*', '**/apps/api/**'],
              allowTypeImports: true,
              message: 'The console imports only the AppRouter type from apps/api.',
            },
          ],
        },
      ],
    },
  },
  {
    files: [
      'apps/api/src/**/*.ts',
      'apps/proxy/src/**/*.ts',
      'apps/web/src/**/*.ts',
      'apps/web/src/**/*.tsx',
    ],
    ignores: ['apps/api/src/env.ts', 'apps/proxy/src/env.ts', 'apps/web/src/server/env.ts', '**/*.test.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: "Read the environment only in the app's env.ts." },
      ],
    },
  },
  {
    files: ['apps/api/src/**/*.ts'],
    ignores: ['apps/api/src/auth/passwords.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@node-rs/argon2', message: 'Hash and verify passwords through src/auth/passwords.ts.' },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
