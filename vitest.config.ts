import { defineConfig } from 'vitest/config';

// One embedded Postgres serves the whole run (test/support/global-postgres.ts);
// every test file that needs a database makes its own from a migrated template.
export default defineConfig({
  test: {
    globalSetup: ['test/support/global-postgres.ts'],
    // One test file at a time (vitest's default on 2 cores). Two at a time took the run from
    // 360 s to 262 s, but in one CI run of four journey 12's draft test then failed (Bea's
    // draft still in the composer after opening Cyd's conversation): until that is
    // understood, the suite runs as it did when it passed every time.
    maxWorkers: 1,
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
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
