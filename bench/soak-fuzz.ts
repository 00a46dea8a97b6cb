// Long fuzzing run (issue 8): every route of the sync service with 10,000 generated
// requests each (FUZZ_RUNS), and 10,000 WebSocket first messages (FUZZ_WS_RUNS).
// `npm test` runs the same file with 120 per route and a fixed seed; this draws new seeds.
//   npx tsx bench/soak-fuzz.ts                 # 10,000 per route
//   FUZZ_RUNS=50000 FUZZ_SEED=42 npx tsx bench/soak-fuzz.ts
import { spawnSync } from 'node:child_process';

const runs = process.env.FUZZ_RUNS ?? '10000';
const wsRuns = process.env.FUZZ_WS_RUNS ?? runs;
console.log(`route fuzzing: ${runs} requests per route, ${wsRuns} WebSocket first messages`);
const r = spawnSync('npx', ['vitest', 'run', '--project', 'node', 'sync-service/test/fuzz-routes.test.ts'], {
  stdio: 'inherit',
  env: { ...process.env, FUZZ_RUNS: runs, FUZZ_WS_RUNS: wsRuns },
});
process.exit(r.status ?? 1);
