import { defineConfig } from 'vitest/config';

// One embedded Postgres serves the whole run (test/support/global-postgres.ts);
// every test file that needs a database makes its own from a migrated template.
export default defineConfig({
  test: {
    globalSetup: ['test/support/global-postgres.ts'],
    // Two test files at a time, node and browser alike (both projects share one pool; a
    // journey runs its own stack and Chromium). vitest's default on 2 cores is one worker,
    // which ran the whole suite file after file; it waits on timers, sockets and
    // IndexedDB far more than on the CPU.
    maxWorkers: 2,
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
