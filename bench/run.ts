// `npm run bench`: one embedded Postgres, every benchmark in turn, one table.
// Each figure sits beside a ceiling measured in the same run, so the ratios hold on a
// noisy shared machine. BENCH_QUICK=1: a ~1 minute smoke run. BENCH_PROFILE=1: also
// profile where a goal is missed. BENCH_ONLY=recovery,client: run only those modules.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildIfStale } from '../scripts/build-if-stale.ts';
import { chromiumVersion } from './support/browser.ts';
import { RESULTS_DIR, type BenchContext } from './support/context.ts';
import { startBenchPostgres } from './support/postgres.ts';
import { failedRow, formatTable, round, type BenchRow } from './support/rows.ts';

const HERE = path.dirname(new URL(import.meta.url).pathname);

interface Module {
  id: string;
  group: string;
  /** Backstop: every module bounds its own loops; this only keeps the run going. */
  budgetSeconds: number;
  run(ctx: BenchContext): Promise<BenchRow[]>;
}

/** The protocol engineer's rows: `ceiling` there is the goal ratio, the raw figure is value / ratio. */
async function protocolRows(): Promise<BenchRow[]> {
  const file = path.join(HERE, 'protocol.bench.ts');
  if (!existsSync(file)) return [failedRow('protocol', 'per-message crypto', 'missing: bench/protocol.bench.ts (runProtocolBench) does not exist yet')];
  const { runProtocolBench } = (await import(file)) as { runProtocolBench: () => Promise<{ name: string; value: number; unit: string; ceiling: number; ratio: number; note?: string }[]> };
  return (await runProtocolBench()).map((r) => ({
    group: 'protocol',
    name: r.name.replace(/^protocol /, ''),
    value: r.value,
    unit: r.unit,
    ceiling: r.ratio ? round(r.value / r.ratio) : undefined,
    ceilingName: 'raw WebCrypto',
    ratio: r.ratio,
    goal: `≤ ${r.ceiling}× raw`,
    met: r.ratio <= r.ceiling,
    note: r.note,
  }));
}

async function serviceRows(ctx: BenchContext): Promise<BenchRow[]> {
  const file = path.join(HERE, 'service.bench.ts');
  if (!existsSync(file)) return [failedRow('service', 'append throughput and send → push latency', 'missing: bench/service.bench.ts (runServiceBench) does not exist yet')];
  const { runServiceBench } = (await import(file)) as { runServiceBench: (o: { databaseUrl: string; quick?: boolean; profile?: boolean }) => Promise<Partial<BenchRow>[]> };
  const rows = await runServiceBench({ databaseUrl: await ctx.pg.freshDatabase('service'), quick: ctx.quick, profile: ctx.profile });
  return rows.map((r) => ({ group: 'service', name: '?', value: NaN, unit: '', ...r }) as BenchRow);
}

const MODULES: Module[] = [
  { id: 'protocol', group: 'protocol', budgetSeconds: 120, run: () => protocolRows() },
  { id: 'service', group: 'service', budgetSeconds: 420, run: serviceRows },
  { id: 'recovery', group: 'recovery', budgetSeconds: 300, run: async (ctx) => (await import('./recovery.bench.ts')).runRecoveryBench(ctx) },
  { id: 'connections', group: 'connections', budgetSeconds: 240, run: async (ctx) => (await import('./connections.bench.ts')).runConnectionsBench(ctx) },
  { id: 'sustained', group: 'sustained', budgetSeconds: 200, run: async (ctx) => (await import('./sustained.bench.ts')).runSustainedBench(ctx) },
  { id: 'client', group: 'client', budgetSeconds: 200, run: async (ctx) => (await import('./client.bench.ts')).runClientBench(ctx) },
  { id: 'cluster', group: 'cluster', budgetSeconds: 600, run: async (ctx) => (await import('./cluster.bench.ts')).runClusterBench(ctx) },
  { id: 'attachments', group: 'attachments', budgetSeconds: 240, run: async (ctx) => (await import('./attachments.bench.ts')).runAttachmentsBench(ctx) },
];

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '?';
  }
}

async function main(): Promise<void> {
  const quick = process.env.BENCH_QUICK === '1';
  const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim()).filter(Boolean);
  const log = (line: string) => console.error(`  ${line}`);
  const started = Date.now();
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? '?',
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    chromium: await chromiumVersion().catch((e: Error) => `unavailable: ${e.message}`),
    loadAverageAtStart: os.loadavg().map((x) => round(x)),
    nofile: sh('sh', ['-c', 'ulimit -n']),
  };
  console.error(`bench: ${quick ? 'QUICK smoke run' : 'full run'} on ${machine.cpus} × ${machine.cpuModel}, ${machine.memory}, node ${machine.node}, chromium ${machine.chromium}, load ${machine.loadAverageAtStart.join(' ')}`);

  const modules = MODULES.filter((m) => !only || only.includes(m.id));
  if (modules.some((m) => m.id === 'recovery' || m.id === 'client')) buildIfStale(undefined, (l) => log(`build: ${l}`));

  const pg = await startBenchPostgres(log);
  let stopping = false;
  const stopAll = async () => {
    if (stopping) return;
    stopping = true;
    await pg.stop().catch(() => undefined);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`bench: ${signal}, stopping`);
      void stopAll().finally(() => process.exit(130));
    });
  }

  const ctx: BenchContext = { pg, quick, profile: process.env.BENCH_PROFILE === '1', log };
  const rows: BenchRow[] = [];
  const timings: Record<string, number> = {};
  try {
    for (const m of modules) {
      const t0 = Date.now();
      console.error(`bench: ${m.id}…`);
      let timer: NodeJS.Timeout | undefined;
      try {
        const got = await Promise.race([
          m.run(ctx),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`over its ${m.budgetSeconds} s budget`)), m.budgetSeconds * 1000);
          }),
        ]);
        rows.push(...got);
      } catch (error) {
        const e = error as Error;
        console.error(`bench: ${m.id} failed: ${e.stack ?? e.message}`);
        rows.push(failedRow(m.group, `${m.id} benchmark`, `failed: ${e.message.split('\n')[0]}`));
      } finally {
        clearTimeout(timer);
      }
      timings[m.id] = round((Date.now() - t0) / 1000, 1);
      console.error(`bench: ${m.id} done in ${timings[m.id]} s`);
    }
  } finally {
    await stopAll();
  }

  const seconds = round((Date.now() - started) / 1000, 1);
  const loadAverageAtEnd = os.loadavg().map((x) => round(x));
  console.log(formatTable(rows));
  console.log(`\n${rows.filter((r) => r.met === true).length} goals met, ${rows.filter((r) => r.met === false).length} missed; ${seconds} s in all (${Object.entries(timings).map(([k, v]) => `${k} ${v} s`).join(', ')}); load average ${machine.loadAverageAtStart.join(' ')} → ${loadAverageAtEnd.join(' ')}`);
  await mkdir(RESULTS_DIR, { recursive: true });
  const out = path.join(RESULTS_DIR, 'latest.json');
  await writeFile(out, JSON.stringify({ startedAt: new Date(started).toISOString(), quick, seconds, timings, machine: { ...machine, loadAverageAtEnd }, rows }, null, 2) + '\n');
  console.error(`bench: rows written to ${path.relative(process.cwd(), out)}`);
  // Anything left (keep-alive sockets, a browser that would not close) must not keep the run alive.
  process.exit(0);
}

main().catch((error: Error) => {
  console.error(`bench: ${error.stack ?? error.message}`);
  process.exit(1);
});
