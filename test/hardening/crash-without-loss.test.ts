// Crash without loss (issue 8, item 2). Two devices running the PWA's own client code
// (Device, Sync, outbox, flushOutbox, on fake-indexeddb) send messages through the sync
// service running as a child process, while the test SIGKILLs the service in the middle
// of outbox flushes and restarts it, then crashes Postgres itself (immediate shutdown,
// so it must recover from its WAL) and restarts it, all under load. Afterwards every
// message is in the log exactly once, in each sender's order, and each receiver's
// transcript reports no gap, replay, reorder or fork.
//
// Default: CRASH_MESSAGES=1000 messages, CRASH_KILLS=3 service kills, 1 Postgres crash.
// Long mode: `CRASH_MESSAGES=10000 npx vitest run --project node test/hardening/crash-without-loss.test.ts`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { emptyTranscript, envelopeHash, observe, type Envelope } from '../../protocol/src/index.ts';
import { freePort, startEmbeddedPostgres, type EmbeddedDatabase } from '../../db/embedded.ts';
import { migrate } from '../../db/migrate.ts';
import { getLog } from '../../pwa/src/stores/log.ts';
import { allOutbox, queued } from '../../pwa/src/stores/outbox.ts';
import { identity } from '../support/identities.ts';
import { spawnService } from '../support/service-process.ts';
import { PwaClient } from './support/pwa-client.ts';

const MESSAGES = Number(process.env.CRASH_MESSAGES ?? 1000);
const KILLS = Number(process.env.CRASH_KILLS ?? 3);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The sync service as a real process: `node --import tsx sync-service/src/start.ts`. */
class ServiceProcess {
  child: ChildProcess | null = null;
  starts = 0;
  kills = 0;
  constructor(readonly port: number, readonly databaseUrl: string) {}

  async start(): Promise<void> {
    const { child, listening } = spawnService({ port: this.port, databaseUrl: this.databaseUrl, origin: `http://127.0.0.1:${this.port}` });
    this.child = child;
    await listening;
    this.starts++;
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    this.kills++;
    this.child = null;
  }
}

describe('crash without loss', () => {
  let dataDir: string;
  let cluster: EmbeddedDatabase;
  let pgPort: number;
  let databaseUrl: string;
  let service: ServiceProcess;
  let pgCrashes = 0;

  beforeAll(async () => {
    // A dedicated Postgres: this file crashes it, so it must not be the run's shared one.
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'messagehub-crash-pg-'));
    await chmod(dataDir, 0o700);
    cluster = await startEmbeddedPostgres({ dataDir });
    pgPort = cluster.port;
    const admin = new pg.Client({ connectionString: cluster.adminUrl });
    await admin.connect();
    await admin.query('CREATE DATABASE crash');
    await admin.end();
    databaseUrl = cluster.urlFor('crash');
    await migrate(databaseUrl);
    service = new ServiceProcess(await freePort(), databaseUrl);
    await service.start();
  });

  afterAll(async () => {
    await service?.kill();
    await cluster?.stop().catch(() => undefined);
    await stopPostgres(dataDir).catch(() => undefined);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** Immediate shutdown (SIGQUIT): no checkpoint, like a power cut; the next start replays the WAL. */
  async function crashPostgres(): Promise<void> {
    await stopPostgres(dataDir, 'SIGQUIT');
    pgCrashes++;
    cluster = await startEmbeddedPostgres({ dataDir, port: pgPort });
  }

  it(`${MESSAGES} messages from two devices survive ${KILLS} SIGKILLs of the service mid-flush and a Postgres crash: each exactly once, in order, no gap`, async () => {
    const base = `http://127.0.0.1:${service.port}`;
    // Fault injection rides on the clients' own fetch: when armed, the next outbox flush
    // (POST /messages/batch) is followed by a kill while it is in flight.
    let armed: null | (() => Promise<void>) = null;
    let faults: Promise<void> = Promise.resolve();
    let batches = 0;
    const faultyFetch: typeof fetch = (input, init) => {
      const p = fetch(input, init);
      if (String(input).endsWith('/messages/batch')) {
        batches++;
        const fault = armed;
        if (fault) {
          armed = null;
          faults = faults.then(() => sleep(batches % 3)).then(fault);
        }
      }
      return p;
    };
    const [aliceId, bobId] = await Promise.all([identity('alice'), identity('bob')]);
    const alice = await PwaClient.create(aliceId, base, { fetch: faultyFetch });
    const bob = await PwaClient.create(bobId, base, { fetch: faultyFetch });
    for (const c of [alice, bob]) {
      await c.register();
      await c.login();
    }
    const cid = await alice.composer.startConversation('bob');
    await bob.pull();
    expect(await bob.composer.blockedReason(cid)).toBeNull();

    const sent = new Map<string, string[]>([['alice', []], ['bob', []]]);
    let composing = true;

    async function compose(c: PwaClient, from: number, to: number): Promise<void> {
      for (let i = from; i < to; i++) {
        const row = await c.composer.send(cid, `${c.identity.userId} #${i + 1}`);
        sent.get(c.identity.userId)!.push(row.clientMessageId);
      }
    }

    // The page's outbox runner, with a short backoff: flush, and on failure try again.
    async function flusher(c: PwaClient): Promise<{ failures: number }> {
      let failures = 0;
      for (;;) {
        const o = await c.flush();
        if (!o.ok) {
          failures++;
          await sleep(20);
          continue;
        }
        if (!composing && (await queued(c.db)).length === 0) return { failures };
        await sleep(2);
      }
    }

    // Receivers keep pulling during the load, as the live socket and resyncs would.
    let loadDone = false;
    async function puller(c: PwaClient): Promise<void> {
      while (!loadDone) {
        try {
          await c.pull();
        } catch {
          // service or database down: the next pull resumes from the cursor
        }
        await sleep(50);
      }
    }

    const killService = async () => {
      await service.kill();
      await service.start();
    };
    // The load in stages: before each of the first KILLS + 1 stages a fault is armed, and
    // the first outbox flush of that stage (a POST /messages/batch in flight) sets it off:
    // KILLS service kills, then one Postgres crash. The last stage runs without a fault.
    const faultsPlan = [...Array.from({ length: KILLS }, () => killService), crashPostgres];
    const stages = faultsPlan.length + 1;
    const half = Math.ceil(MESSAGES / 2);
    const perSender = { alice: half, bob: MESSAGES - half };
    const flushers = Promise.all([flusher(alice), flusher(bob)]);
    const pullers = [puller(alice), puller(bob)];
    for (let k = 0; k < stages; k++) {
      if (k < faultsPlan.length) armed = faultsPlan[k]!;
      const slice = (n: number) => [Math.floor((n * k) / stages), Math.floor((n * (k + 1)) / stages)] as const;
      await Promise.all([compose(alice, ...slice(perSender.alice)), compose(bob, ...slice(perSender.bob))]);
      while (armed) await sleep(2); // the stage's first flush has taken the fault
      await faults;
    }
    composing = false;
    const [fa, fb] = await flushers;
    loadDone = true;
    await Promise.all(pullers);
    expect(sent.get('alice')!.length + sent.get('bob')!.length).toBe(MESSAGES);

    expect(service.kills).toBe(KILLS);
    expect(pgCrashes).toBe(1);
    expect(fa.failures + fb.failures, 'flushes failed while the service or Postgres was down').toBeGreaterThan(0);

    // Nothing was rejected or left behind by the outboxes.
    for (const c of [alice, bob]) {
      const rows = await allOutbox(c.db);
      expect(rows.filter((r) => r.status !== 'sent')).toEqual([]);
    }

    // The log, read as superuser: every message exactly once, each sender's in its order.
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const { rows } = await db.query<{ seq: number; client_id: string; body: Envelope }>(
      `SELECT seq::int, client_id, body FROM log_entries WHERE conversation_id = $1 AND kind = 'message' ORDER BY seq`, [cid],
    );
    const { rows: [{ n: lastSeq }] } = await db.query<{ n: number }>('SELECT max(seq)::int AS n FROM log_entries WHERE conversation_id = $1', [cid]);
    await db.end();
    expect(rows.length).toBe(MESSAGES);
    expect(lastSeq).toBe(MESSAGES + 1); // seq 1 is the epoch record: gap-free
    expect(new Set(rows.map((r) => r.client_id)).size).toBe(MESSAGES);
    for (const [sender, ids] of sent) {
      const inLog = rows.filter((r) => r.body.sender === sender);
      expect(inLog.map((r) => r.client_id)).toEqual(ids);
      expect(inLog.map((r) => r.body.counter)).toEqual(ids.map((_, i) => i + 1));
    }

    // The protocol's transcript over the log: every message 'ok' (no gap, replay, reorder, fork).
    let transcript = emptyTranscript();
    const verdicts = new Map<string, number>();
    for (const r of rows) {
      const obs = observe(transcript, r.body, await envelopeHash(r.body));
      transcript = obs.state;
      verdicts.set(obs.verdict, (verdicts.get(obs.verdict) ?? 0) + 1);
    }
    expect(Object.fromEntries(verdicts)).toEqual({ ok: MESSAGES });

    // And each device, after a final pull, verified every entry with no warning.
    for (const c of [alice, bob]) {
      await c.pull();
      const log = (await getLog(c.db, cid)).filter((r) => r.kind === 'message');
      expect(log.length).toBe(MESSAGES);
      const problems = log.filter((r) => !r.check.ok || r.check.problem !== null).map((r) => `${r.seq}: ${r.check.problem}`);
      expect(problems).toEqual([]);
      const views = await c.views.messages(cid);
      expect(views.filter((v) => v.warnings.length > 0)).toEqual([]);
      expect(views.length).toBe(MESSAGES);
      // Own messages came back through the log, so the outbox is empty.
      expect(await allOutbox(c.db)).toEqual([]);
    }
    alice.close();
    bob.close();
  }, 120_000 + MESSAGES * 300);
});

/** Stop the cluster of dataDir by signal (SIGQUIT: immediate; SIGINT: fast) and wait until it is gone. */
async function stopPostgres(dataDir: string, signal: NodeJS.Signals = 'SIGINT'): Promise<void> {
  let pid: number;
  try {
    pid = Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(20);
  }
}
