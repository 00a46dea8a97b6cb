import { defineConfig } from 'vitest/config';

// One embedded Postgres serves the whole run (test/support/global-postgres.ts);
// every test file that needs a database makes its own from a migrated template.
export default defineConfig({
  test: {
    globalSetup: ['test/support/global-postgres.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          include: [
            'protocol/**/*.test.ts',
            'sync-service/**/*.test.ts',
            'pwa/**/*.test.ts',
            'db/**/*.test.ts',
            'test/**/*.test.ts',
            'bench/**/*.test.ts',
          ],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          environment: 'node',
          include: ['e2e/**/*.test.ts'],
          globalSetup: ['e2e/support/global-build.ts'],
          // One journey at a time (each runs a stack and a Chromium), but alongside the node files.
          maxWorkers: 1,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
