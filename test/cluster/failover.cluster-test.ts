// Failover without loss (issue 19), on a real pg_auto_failover cluster: `npm run test:cluster`
// (not in `npm test`: it needs `apt-get install -y postgresql-15-auto-failover`, root or a
// `postgres` user, and a minute or two). A monitor, a primary and two synchronous standbys
// on 127.0.0.1 (scripts/cluster.ts, fast health checks); two service instances as real
// processes on the multi-host DATABASE_URL; two clients send FAILOVER_MESSAGES (default
// 5,000) through HTTP in outbox-sized batches, each to its own instance, resending a batch
// with the same client ids after a network error or a 503 as the outbox does. Meanwhile the
// primary is SIGKILLed (pg_autoctl, the postmaster and every backend), a standby is
// promoted, and the old primary is started again and rejoins as a standby.
// Afterwards, on the new primary and on the old one once it has replayed: every
// acknowledged message is in the log exactly once, at the seq it was acknowledged with,
// in each sender's order, seqs gap-free. Printed: time without writes, messages retried.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import type { Envelope, Identity } from '../../protocol/src/index.ts';
import { freePort } from '../../db/embedded.ts';
import { Cluster } from '../../scripts/cluster.ts';
import { identity } from '../support/identities.ts';
import { spawnService } from '../support/service-process.ts';
import { ORIGIN, createConversation, httpClient, login, register, type Conv } from '../support/service.ts';

const MESSAGES = Number(process.env.FAILOVER_MESSAGES ?? 5000);
const BATCH = 25;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One service instance: `node --import tsx sync-service/src/start.ts`. */
class ServiceProcess {
  child: ChildProcess | null = null;
  constructor(readonly port: number, readonly databaseUrl: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const { child, listening } = spawnService({ port: this.port, databaseUrl: this.databaseUrl, origin: 'http://localhost:8080', timeoutMs: 60_000 });
    this.child = child;
    await listening;
  }

  kill(): void {
    if (this.child && this.child.exitCode === null) this.child.kill('SIGKILL');
    this.child = null;
  }
}

interface Acked { clientId: string; seq: number }

/**
 * A realtime socket on one conversation, as the app keeps it: on close it reconnects and
 * resumes from the last seq it got. `seqs`: every entry pushed, in arrival order.
 */
class Watcher {
  seqs: number[] = [];
  reconnects = 0;
  private ws: WebSocket | null = null;
  private stopped = false;
  readonly done: Promise<void>;

  constructor(baseUrl: string, token: string, conversationId: string, from: number) {
    const url = `${baseUrl.replace(/^http/, 'ws')}/api/v1/ws`;
    this.done = (async () => {
      while (!this.stopped) {
        const ws = new WebSocket(url, { origin: ORIGIN });
        this.ws = ws;
        ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', token, cursors: { [conversationId]: this.seqs.at(-1) ?? from }, v: 1 })));
        ws.on('message', (data) => {
          const m = JSON.parse(String(data));
          if (m.type === 'entry' && m.conversationId === conversationId) this.seqs.push(m.seq);
        });
        ws.on('error', () => undefined);
        await new Promise((r) => ws.once('close', r));
        if (!this.stopped) {
          this.reconnects++;
          await sleep(200);
        }
      }
    })();
  }

  stop(): void {
    this.stopped = true;
    this.ws?.terminate();
  }
}

describe('failover without loss (pg_auto_failover, SIGKILL of the primary)', () => {
  let cluster: Cluster;
  const services: ServiceProcess[] = [];
  const watchers: Watcher[] = [];

  beforeAll(async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'messagehub-failover-'));
    const basePort = 20000 + Math.floor(Math.random() * 20000);
    cluster = new Cluster({ dir, basePort, standbys: 2, fast: true, log: () => undefined });
    const url = await cluster.up();
    for (let i = 0; i < 2; i++) services.push(new ServiceProcess(await freePort(), url));
    await Promise.all(services.map((s) => s.start()));
  }, 300_000);

  afterAll(async () => {
    for (const w of watchers) w.stop();
    for (const s of services) s.kill();
    await cluster?.destroy();
  }, 120_000);

  it(`${MESSAGES} messages from two clients on two instances survive a SIGKILL of the primary and its rejoin: each acknowledged one exactly once, in order, no gap`, async () => {
    const [alice, bob] = await Promise.all([identity('alice'), identity('bob')]);
    const [a, b] = services.map((s) => httpClient(s.url)) as [ReturnType<typeof httpClient>, ReturnType<typeof httpClient>];
    await register(a, alice);
    await register(b, bob);
    const tokenA = (await login(a, alice)).token;
    const tokenB = (await login(b, bob)).token;
    const conv = await createConversation(a, tokenA, alice, [bob]);
    const convB = conv.copy();

    const acked = new Map<string, Acked[]>([['alice', []], ['bob', []]]);
    const ackTimes: number[] = [];
    const stats = { retriedMessages: 0, failedRequests: 0, statuses: {} as Record<string, number> };
    const perSender = { alice: Math.ceil(MESSAGES / 2), bob: Math.floor(MESSAGES / 2) };

    // The outbox: seal a batch, send it until it is acknowledged (same client ids on every try).
    async function sender(who: Identity, c: Conv, req: typeof a, token: string, total: number): Promise<void> {
      for (let sent = 0; sent < total;) {
        const envelopes: Envelope[] = [];
        for (let i = 0; i < Math.min(BATCH, total - sent); i++) envelopes.push(await c.seal(who, `${who.userId} #${sent + i + 1}`));
        const deadline = Date.now() + 120_000;
        for (let attempt = 0; ; attempt++) {
          if (Date.now() > deadline) throw new Error(`${who.userId}: a batch was not acknowledged within 120 s`);
          if (attempt > 0) stats.retriedMessages += envelopes.length;
          let status: string;
          try {
            const res = await req('POST', '/api/v1/messages/batch', { token, payload: { envelopes } });
            status = String(res.status);
            if (res.status === 200) {
              const rejected = res.json.results.filter((r: { status: string }) => r.status === 'rejected');
              expect(rejected).toEqual([]);
              for (const r of res.json.results as { clientMessageId: string; seq: number }[]) acked.get(who.userId)!.push({ clientId: r.clientMessageId, seq: r.seq });
              ackTimes.push(Date.now());
              break;
            }
            // Anything but a retryable answer is a failure of the test.
            expect([503], `HTTP ${res.status} ${res.payload.slice(0, 200)}`).toContain(res.status);
            expect(res.json.error.code).toBe('database_unavailable');
            expect(res.headers['retry-after']).toBe('1');
          } catch (error) {
            if ((error as Error).name === 'AssertionError') throw error;
            status = 'network';
          }
          stats.failedRequests++;
          stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
          await sleep(Math.min(1000, 50 * 2 ** Math.min(attempt, 5)));
        }
        sent += envelopes.length;
      }
    }

    // Each receiver's realtime socket is on the other instance than its sender's.
    watchers.push(new Watcher(services[1]!.url, tokenA, conv.id, conv.seq), new Watcher(services[0]!.url, tokenB, conv.id, conv.seq));

    const oldPrimary = await cluster.waitForPrimary();
    const load = Promise.all([sender(alice, conv, a, tokenA, perSender.alice), sender(bob, convB, b, tokenB, perSender.bob)]);
    let killedAt = 0;
    let promotedAt = 0;
    let newPrimary = '';
    const fault = (async () => {
      // Kill once about a third of the messages are acknowledged.
      while (acked.get('alice')!.length + acked.get('bob')!.length < MESSAGES / 3) await sleep(20);
      cluster.kill(oldPrimary);
      killedAt = Date.now();
      newPrimary = await cluster.waitForPrimary(120_000, oldPrimary);
      promotedAt = Date.now();
      // The old primary comes back and rejoins as a standby, while the load goes on.
      await cluster.start(oldPrimary);
    })();
    await Promise.all([load, fault]);

    // The old primary rejoins as a standby (pg_rewind if it must) and catches up.
    await cluster.waitFor(`${oldPrimary} to rejoin as a standby`, async () => {
      const s = (await cluster.state()).find((n) => n.name === oldPrimary);
      return s?.reported === 'secondary' && s.assigned === 'secondary';
    }, 180_000);
    const rejoinedAt = Date.now();
    const { rows: [{ lsn }] } = await cluster.query(cluster.nodeUrl(newPrimary), 'SELECT pg_current_wal_lsn()::text AS lsn');
    await cluster.waitFor(`${oldPrimary} to replay`, async () => {
      const r = await cluster.tryQuery(cluster.nodeUrl(oldPrimary), `SELECT pg_last_wal_replay_lsn() >= '${lsn}'::pg_lsn AS ok`);
      return r?.rows[0]?.ok === true;
    }, 120_000);

    // Every acknowledged message, at its acknowledged seq, on both nodes.
    const all = [...acked.values()].flat();
    expect(all.length).toBe(MESSAGES);
    for (const node of [newPrimary, oldPrimary]) {
      const { rows } = await cluster.query(cluster.nodeUrl(node),
        `SELECT seq::int, client_id, body->>'sender' AS sender FROM log_entries WHERE conversation_id = '${conv.id}' AND kind = 'message' ORDER BY seq`);
      const { rows: [{ n: lastSeq }] } = await cluster.query(cluster.nodeUrl(node), `SELECT max(seq)::int AS n FROM log_entries WHERE conversation_id = '${conv.id}'`);
      expect(rows.length, `${node}: messages in the log`).toBe(MESSAGES);
      expect(new Set(rows.map((r) => r.client_id)).size, `${node}: each exactly once`).toBe(MESSAGES);
      expect(lastSeq, `${node}: seqs gap-free (seq 1 is the epoch record)`).toBe(MESSAGES + 1);
      const bySeq = new Map(rows.map((r) => [r.seq as number, r.client_id as string]));
      const lost = all.filter((m) => bySeq.get(m.seq) !== m.clientId);
      expect(lost, `${node}: acknowledged messages not at their seq`).toEqual([]);
      for (const [who, list] of acked) {
        expect(rows.filter((r) => r.sender === who).map((r) => r.client_id), `${node}: ${who}'s order`).toEqual(list.map((m) => m.clientId));
      }
    }

    // Realtime: both sockets got every entry once, in order (LISTEN came back on the new primary).
    const expected = Array.from({ length: MESSAGES }, (_, i) => i + 2);
    for (const w of watchers) {
      await cluster.waitFor('realtime to catch up', async () => (w.seqs.at(-1) ?? 0) >= MESSAGES + 1, 60_000);
      expect(w.seqs).toEqual(expected);
    }

    // Time without writes: the longest pause between two acknowledgements (the failover's).
    const noWritesMs = Math.max(...ackTimes.slice(1).map((t, i) => t - ackTimes[i]!));
    const report = {
      messages: MESSAGES, oldPrimary, newPrimary,
      promotedAfterMs: promotedAt - killedAt,
      noWritesMs,
      rejoinedAfterMs: rejoinedAt - killedAt,
      retriedMessages: stats.retriedMessages, failedRequests: stats.failedRequests, statuses: stats.statuses,
      realtimeReconnects: watchers.map((w) => w.reconnects),
      lost: 0, duplicated: 0,
    };
    console.log(`FAILOVER ${JSON.stringify(report)}`);
  }, 900_000);
});
