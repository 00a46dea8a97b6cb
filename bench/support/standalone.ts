// Run one benchmark module alone (`npx tsx bench/recovery.bench.ts`), with its own Postgres.
import type { BenchContext } from './context.ts';
import { startBenchPostgres } from './postgres.ts';
import { formatTable, type BenchRow } from './rows.ts';

export async function standalone(fn: (ctx: BenchContext) => Promise<BenchRow[]>): Promise<void> {
  const log = (line: string) => console.error(line);
  const pg = await startBenchPostgres(log);
  try {
    const rows = await fn({ pg, quick: process.env.BENCH_QUICK === '1', profile: process.env.BENCH_PROFILE === '1', log });
    console.log(formatTable(rows));
  } finally {
    await pg.stop();
  }
}
