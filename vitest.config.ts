import { defineConfig } from 'vitest/config';

// One embedded Postgres serves the whole run (test/support/global-postgres.ts);
// every test file that needs a database makes its own from a migrated template.
export default defineConfig({
  test: {
    globalSetup: ['test/support/global-postgres.ts'],
    // The node tests first, then the browser journeys (each group two files at a time: on this
    // 2-core machine one file at a time left the CPU idle 60% of the time, waiting on
    // Postgres, Chromium and timers). The app is built in the background meanwhile
    // (e2e/support/global-build.ts). Journey 12's draft test once failed with two at a time:
    // the cause was the test's startConversation() returning before the new conversation
    // had opened (fixed in e2e/support/journeys.ts), not the app.
    // Files share their worker's module cache (`isolate: false`): each file re-importing the
    // service, protocol and Playwright cost 80 s of import time per run (14 s shared), and the
    // whole run went from 410 to 341 s at the same load. It is safe because no test changes
    // a global (no fake timers, stubbed globals or env writes; every fake-indexeddb database
    // and test Postgres database has a name of its own).
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          sequence: { groupOrder: 0 },
          maxWorkers: 2,
          isolate: false,
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
          sequence: { groupOrder: 1 },
          maxWorkers: 2,
          isolate: false,
          include: ['e2e/**/*.test.ts'],
          globalSetup: ['e2e/support/global-build.ts'],
          setupFiles: ['e2e/support/await-build.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
