import { defineConfig } from 'vitest/config';

// `npm run test:cluster`: the failover test on a real pg_auto_failover cluster
// (test/cluster/). Not part of `npm test`: it needs the Debian package
// postgresql-15-auto-failover and takes minutes. No embedded Postgres here.
export default defineConfig({
  test: {
    name: 'cluster',
    environment: 'node',
    include: ['test/cluster/**/*.cluster-test.ts'],
    fileParallelism: false,
    testTimeout: 900_000,
    hookTimeout: 300_000,
  },
});
