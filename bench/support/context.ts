import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchPostgres } from './postgres.ts';

export const RESULTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../results');

/** What bench/run.ts hands to every benchmark module. */
export interface BenchContext {
  pg: BenchPostgres;
  /** BENCH_QUICK=1: a ~1 minute smoke run with smaller counts and shorter loads. */
  quick: boolean;
  /** BENCH_PROFILE=1: also profile (Chrome tracing, node --cpu-prof) and print where the time goes. */
  profile: boolean;
  log: (line: string) => void;
}

/** Stop after `ms` (a benchmark's own loops are bounded too; this is the backstop). */
export function deadline(ms: number, what: string): { check(): void; left(): number } {
  const end = Date.now() + ms;
  return {
    check() {
      if (Date.now() > end) throw new Error(`${what}: over its ${Math.round(ms / 1000)} s budget`);
    },
    left: () => Math.max(0, end - Date.now()),
  };
}
