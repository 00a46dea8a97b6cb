// Cluster mode (issue 19), on a real pg_auto_failover cluster on loopback: a monitor, a
// primary and one synchronous standby (scripts/cluster.ts, fast health checks). Rows:
//  - durable appends/s through 1, 2 and 4 service instances (16 HTTP clients spread over
//    them), beside the raw single-row INSERT ceiling (16 connections) on the same primary,
//    which waits for the same synchronous standby;
//  - history reads (POST /sync paging through a conversation) with and without
//    DATABASE_READ_URL, and how many rows the primary and the standby returned meanwhile;
//  - failover time: SIGKILL of the primary until an append is acknowledged again (median).
// Needs `apt-get install -y postgresql-15-auto-failover`. Every process runs on the same
// machine, so instances compete with Postgres and the load generator for its cores.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Envelope, Identity } from '../protocol/src/index.ts';
import { Cluster } from '../scripts/cluster.ts';
import { freePort } from '../db/embedded.ts';
import { Conv } from '../test/support/service.ts';
import { identity, NAMES } from '../test/support/identities.ts';
import { ApiClient, pool } from './support/api.ts';
import { forSeconds, rawCeilings } from './support/load.ts';
import { startServiceProcess, type ServiceProcess } from './support/service.ts';
import { failedRow, median, round, type BenchRow } from './support/rows.ts';
import { standalone } from './support/standalone.ts';
import type { BenchContext } from './support/context.ts';

const CLIENTS = 16;
const PG_AUTOCTL = ['/usr/bin/pg_autoctl', '/usr/lib/postgresql/15/bin/pg_autoctl'];

interface Sender { api: ApiClient; token: string; envelopes: Envelope[] }



/** 16 senders, each with its own conversation, logged in through instance i % instances. */
async function senders(instances: ServiceProcess[], tag: string, perSender: number): Promise<Sender[]> {
  const apis = instances.map((s) => new ApiClient(s.port, s.origin, 64));
  return await pool(Array.from({ length: CLIENTS }, (_, i) => i), 4, async (i) => {
    const api = apis[i % apis.length]!;
    const id: Identity = await identity(NAMES[i % NAMES.length]!, `${tag}${String(i).padStart(2, '0')}`);
    await api.register(id);
    const token = await api.login(id);
    const conv = new Conv(randomUUID());
    await api.createConversation(token, await conv.makeEpoch(id, [id.public]));
    const envelopes: Envelope[] = [];
    for (let n = 0; n < perSender; n++) envelopes.push(await conv.seal(id, `cluster bench ${n}`));
    return { api, token, envelopes };
  });
}

async function appendsPerSecond(cluster: Cluster, instances: number, seconds: number, tag: string): Promise<number> {
  const services = await Promise.all(Array.from({ length: instances }, () => startServiceProcess({ databaseUrl: cluster.url })));
  try {
    const all = await senders(services, tag, 4000);
    const r = await forSeconds(seconds, CLIENTS, async (w, n) => {
      const s = all[w]!;
      const env = s.envelopes[n];
      if (!env) return null;
      await s.api.append(s.token, env);
      return 1;
    });
    for (const s of all) s.api.close();
    return r.done / r.elapsed;
  } finally {
    await Promise.all(services.map((s) => s.stop()));
  }
}

/** Rows returned by queries on one node so far (pg_stat_database). */
async function rowsRead(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('SELECT pg_stat_clear_snapshot()');
    const r = await c.query("SELECT tup_returned + tup_fetched AS n FROM pg_stat_database WHERE datname = 'messagehub'");
    return Number(r.rows[0].n);
  } finally {
    await c.end();
  }
}

async function historyReads(cluster: Cluster, primary: string, standby: string, seconds: number): Promise<BenchRow[]> {
  const MESSAGES = 3000;
  const writer = await startServiceProcess({ databaseUrl: cluster.url });
  const api = new ApiClient(writer.port, writer.origin, 16);
  const reader = await identity('alice', 'clusterreader');
  await api.register(reader);
  const token = await api.login(reader);
  const conv = new Conv(randomUUID());
  await api.createConversation(token, await conv.makeEpoch(reader, [reader.public]));
  for (let i = 0; i < MESSAGES; i += 100) {
    const batch: Envelope[] = [];
    for (let k = 0; k < 100; k++) batch.push(await conv.seal(reader, `history ${i + k}`));
    await api.batch(token, batch);
  }
  api.close();
  await writer.stop();
  // The standby has replayed everything before reads start.
  const lsn = (await cluster.query(cluster.nodeUrl(primary), 'SELECT pg_current_wal_lsn()::text AS l')).rows[0].l as string;
  await cluster.waitFor('the standby to replay', async () => {
    const r = await cluster.tryQuery(cluster.nodeUrl(standby), `SELECT pg_last_wal_replay_lsn() >= '${lsn}'::pg_lsn AS ok`);
    return r?.rows[0]?.ok === true;
  });
  const readUrl = `postgresql://messagehub@127.0.0.1:${cluster.port(standby)}/messagehub?target_session_attrs=standby`;
  const rows: BenchRow[] = [];
  let primaryOnly = 0;
  for (const mode of ['primary', 'standby'] as const) {
    const service = await startServiceProcess({ databaseUrl: cluster.url, env: mode === 'standby' ? { DATABASE_READ_URL: readUrl } : {} });
    const client = new ApiClient(service.port, service.origin, 16);
    const t = await client.login(reader);
    const before = { p: await rowsRead(cluster.nodeUrl(primary)), s: await rowsRead(cluster.nodeUrl(standby)) };
    const r = await forSeconds(seconds, 8, async () => {
      let after = 0;
      let n = 0;
      for (;;) {
        const page = await client.request<{ entries: { seq: number }[]; hasMore: boolean }>('POST', '/sync', { cursors: { [conv.id]: after }, limit: 1000 }, t);
        n += page.json.entries.length;
        if (!page.json.hasMore || page.json.entries.length === 0) return n;
        after = page.json.entries.at(-1)!.seq;
      }
    });
    const after = { p: await rowsRead(cluster.nodeUrl(primary)), s: await rowsRead(cluster.nodeUrl(standby)) };
    client.close();
    await service.stop();
    const perSecond = r.done / r.elapsed;
    if (mode === 'primary') primaryOnly = perSecond;
    rows.push({
      group: 'cluster',
      name: mode === 'primary' ? 'history reads, all on the primary' : 'history reads, entries from the standby (DATABASE_READ_URL)',
      value: round(perSecond, 0),
      unit: 'entries/s',
      ...(mode === 'standby' ? { ceiling: round(primaryOnly, 0), ceilingName: 'the same reads on the primary', ratio: round(perSecond / primaryOnly) } : {}),
      note: `8 readers paging POST /sync through ${MESSAGES + 1} entries for ${seconds} s; rows read meanwhile: primary ${after.p - before.p}, standby ${after.s - before.s}`,
    });
  }
  return rows;
}

/** SIGKILL the primary under a steady trickle of appends; ms until one is acknowledged again. */
async function failoverOnce(cluster: Cluster, round_: number): Promise<{ noWritesMs: number; killed: string; promoted: string }> {
  const service = await startServiceProcess({ databaseUrl: cluster.url });
  const api = new ApiClient(service.port, service.origin, 4);
  try {
    const id = await identity('bob', `clusterfail${round_}`);
    await api.register(id);
    const token = await api.login(id);
    const conv = new Conv(randomUUID());
    await api.createConversation(token, await conv.makeEpoch(id, [id.public]));
    const killed = await cluster.waitForPrimary();
    let killedAt = 0;
    let firstAfter = 0;
    let stop = false;
    const trickle = (async () => {
      let env = await conv.seal(id, 'tick');
      while (!stop) {
        try {
          await api.append(token, env);
          if (killedAt && !firstAfter) firstAfter = Date.now();
          env = await conv.seal(id, 'tick');
        } catch {
          await new Promise((r) => setTimeout(r, 50)); // 503 database_unavailable: resend the same envelope
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await new Promise((r) => setTimeout(r, 1000));
    killedAt = Date.now();
    cluster.kill(killed);
    // With one standby the promoted node reports wait_primary (no standby left) until the
    // old one rejoins: the acknowledged append is what counts.
    await cluster.waitFor('an acknowledged append', async () => firstAfter > 0, 120_000);
    let promoted = '?';
    await cluster.waitFor('the monitor to name the new primary', async () => {
      promoted = (await cluster.state()).find((n) => n.name !== killed && ['primary', 'wait_primary'].includes(n.reported))?.name ?? '?';
      return promoted !== '?';
    }, 30_000).catch(() => undefined);
    stop = true;
    await trickle;
    // The old primary rejoins as a standby before the next round.
    await cluster.start(killed);
    await cluster.waitFor(`${killed} to rejoin`, async () => {
      const s = (await cluster.state()).find((n) => n.name === killed);
      return s?.reported === 'secondary' && s.assigned === 'secondary';
    }, 180_000);
    return { noWritesMs: firstAfter - killedAt, killed, promoted };
  } finally {
    api.close();
    await service.stop();
  }
}

export async function runClusterBench(ctx: Pick<BenchContext, 'quick'> & { log?: (line: string) => void }): Promise<BenchRow[]> {
  if (!PG_AUTOCTL.some((p) => existsSync(p))) {
    return [failedRow('cluster', 'cluster mode', 'needs pg_auto_failover: apt-get install -y postgresql-15-auto-failover')];
  }
  const seconds = ctx.quick ? 3 : 6;
  const only = process.env.BENCH_CLUSTER_ONLY; // "failover": skip the throughput and read rows
  const dir = await mkdtemp(path.join(os.tmpdir(), 'messagehub-bench-cluster-'));
  const basePort = (await freePort()) % 20_000 + 30_000;
  const cluster = new Cluster({ dir, basePort, standbys: 1, fast: true, log: ctx.log ?? (() => undefined) });
  const rows: BenchRow[] = [];
  try {
    await cluster.up();
    const primary = await cluster.waitForPrimary();
    const standby = cluster.nodes.find((n) => n !== 'monitor' && n !== primary)!;
    const raw = only === 'failover' ? 0 : (await rawCeilings(cluster.nodeUrl(primary), [JSON.stringify({ v: 1, ciphertext: 'x'.repeat(600) })], seconds)).single;
    for (const instances of only === 'failover' ? [] : [1, 2, 4]) {
      const perSecond = await appendsPerSecond(cluster, instances, seconds, `cb${instances}x`);
      rows.push({
        group: 'cluster',
        name: `durable appends/s, ${instances} instance${instances > 1 ? 's' : ''}, synchronous standby`,
        value: round(perSecond, 0),
        unit: 'appends/s',
        ceiling: round(raw, 0),
        ceilingName: 'raw single-row INSERTs on the same primary, 16 connections',
        ratio: round(perSecond / raw),
        note: `16 HTTP clients spread over the instances for ${seconds} s; every commit waits for the standby; 1-min load ${round(os.loadavg()[0]!, 1)} on ${os.cpus().length} CPUs`,
      });
    }
    if (only !== 'failover') rows.push(...await historyReads(cluster, primary, standby, seconds));
    const rounds = ctx.quick ? 1 : 3;
    const times: number[] = [];
    const seen: string[] = [];
    for (let i = 0; i < rounds; i++) {
      const r = await failoverOnce(cluster, i);
      times.push(r.noWritesMs);
      seen.push(`${r.killed}→${r.promoted} ${round(r.noWritesMs / 1000, 1)} s`);
    }
    rows.push({
      group: 'cluster',
      name: `failover: SIGKILL of the primary until an append is acknowledged again (median of ${rounds})`,
      value: round(median(times) / 1000, 1),
      unit: 's',
      note: `fast health checks (scripts/cluster.ts --fast); ${seen.join(', ')}`,
    });
  } catch (error) {
    rows.push(failedRow('cluster', 'cluster mode', (error as Error).message));
  } finally {
    await cluster.destroy();
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await standalone((ctx) => runClusterBench({ quick: ctx.quick, log: console.log }));
}
