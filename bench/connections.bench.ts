// 10,000 idle authenticated WebSocket connections on one service instance (a child
// process, so its memory is its own): RSS per connection, and the time to push one
// message to all of them (every connection is a device of a member of one conversation).
import { randomBytes, randomUUID, createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { createEpoch, sealMessage } from '../protocol/src/index.ts';
import { ApiClient, pool } from './support/api.ts';
import type { BenchContext } from './support/context.ts';
import { identityFrom, keyPool, runTag, userIdFor } from './support/identities.ts';
import { percentile, round, type BenchRow } from './support/rows.ts';
import { startServiceProcess } from './support/service.ts';
import { connectRealtime, type RealtimeClient } from './support/ws.ts';

const GROUP = 'connections';
const GOAL_KB = 20;

export async function runConnectionsBench(ctx: BenchContext): Promise<BenchRow[]> {
  const total = ctx.quick ? 1_000 : 10_000;
  const members = 50; // receivers; with the sender 51 ≤ the protocol's 256 members
  const rounds = ctx.quick ? 1 : 3;
  const databaseUrl = await ctx.pg.freshDatabase('connections');
  const service = await startServiceProcess({ databaseUrl });
  const api = new ApiClient(service.port, service.origin, 16);
  const clients: RealtimeClient[] = [];
  try {
    // Users and one conversation of all of them, with the real protocol.
    const run = runTag();
    const keys = await keyPool(2);
    const sender = await identityFrom(userIdFor('s', 0, run), keys[0]!);
    const receivers = await Promise.all(Array.from({ length: members }, (_, i) => identityFrom(userIdFor('m', i, run), keys[i % keys.length]!)));
    await api.register(sender);
    await pool(receivers, 8, (r) => api.register(r));
    const senderToken = await api.login(sender);
    const loginTokens = await pool(receivers, 8, (r) => api.login(r));
    const conversationId = randomUUID();
    const { record, key } = await createEpoch({ conversationId, epoch: 0, creator: sender, members: [sender.public, ...receivers.map((r) => r.public)], previous: null });
    await api.createConversation(senderToken, record);

    // Each member gets total/members device sessions: one from a real login, the rest
    // written straight into `sessions` (token stored as its SHA-256, as the service does),
    // so that setting up 10,000 devices does not take 10,000 logins.
    const { rows: pks } = await ctx.pg.query<{ id: string; user_id: string }>(databaseUrl, 'SELECT id, user_id FROM users WHERE user_id = ANY($1)', [receivers.map((r) => r.userId)]);
    const pkOf = new Map((pks as { id: string; user_id: string }[]).map((r) => [r.user_id, r.id]));
    const tokens: string[] = [...loginTokens];
    const extra = { ids: [] as string[], users: [] as string[], hashes: [] as Buffer[] };
    for (let i = tokens.length; i < total; i++) {
      const token = randomBytes(32).toString('base64url');
      tokens.push(token);
      extra.ids.push(randomUUID());
      extra.users.push(pkOf.get(receivers[i % members]!.userId)!);
      extra.hashes.push(createHash('sha256').update(token, 'utf8').digest());
    }
    await ctx.pg.query(databaseUrl,
      `INSERT INTO sessions (id, user_id, token_hash, device_name, expires_at)
       SELECT unnest($1::uuid[]), unnest($2::bigint[]), unnest($3::bytea[]), 'bench device', now() + interval '1 day'`,
      [extra.ids, extra.users, extra.hashes]);

    const before = await service.memory(true);
    ctx.log(`connections: service RSS ${(before.rss / 2 ** 20).toFixed(1)} MiB before; connecting ${total}…`);

    // Connect every device (cursor at the epoch entry: nothing to catch up).
    let wanted = 0;
    let arrivals: number[] = [];
    let done: (() => void) | null = null;
    const onEntry = (p: { seq: number; at: number }) => {
      if (p.seq !== wanted) return;
      arrivals.push(p.at);
      if (arrivals.length === total) done?.();
    };
    const t0 = performance.now();
    await pool(tokens, 500, async (token) => {
      const c = connectRealtime(service.port, service.origin, token, { [conversationId]: 1 }, onEntry);
      clients.push(c);
      await c.ready;
    });
    const connectSeconds = (performance.now() - t0) / 1000;
    ctx.log(`connections: ${total} authenticated in ${connectSeconds.toFixed(1)} s`);
    await new Promise((r) => setTimeout(r, 2000));
    const after = await service.memory(true);
    const perConnKB = (after.rss - before.rss) / total / 1024;
    const heapPerConnKB = (after.heapUsed - before.heapUsed) / total / 1024;

    // Fan-out: one message, pushed to every connection.
    const fan: { last: number; p50: number; p99: number }[] = [];
    const xacts: number[] = [];
    const appendErrors: string[] = [];
    for (let r = 0; r < rounds; r++) {
      const env = await sealMessage({
        conversationId, epoch: 0, epochKey: key, sender, clientMessageId: randomUUID(), counter: r + 1, prevHash: r === 0 ? null : 'ab'.repeat(32),
        plaintext: { type: 'text', body: `fan-out ${r}`, composedAt: Date.now() },
      });
      arrivals = [];
      wanted = r + 2; // seq 1 is the epoch record
      let timer: NodeJS.Timeout | undefined;
      const all = new Promise<void>((resolve, reject) => {
        done = resolve;
        timer = setTimeout(() => reject(new Error(`fan-out: ${arrivals.length} of ${total} pushes within 60 s`)), 60_000);
      });
      all.catch(() => undefined);
      await new Promise((res) => setTimeout(res, 1500));
      const xactBefore = await ctx.pg.transactions(databaseUrl);
      const sent = performance.now();
      // Appends are idempotent by client id: retry a failed one (and say so).
      let seq = 0;
      for (let attempt = 1; ; attempt++) {
        try {
          seq = await api.append(senderToken, env);
          break;
        } catch (error) {
          appendErrors.push((error as Error).message.slice(0, 80));
          if (attempt >= 3) {
            clearTimeout(timer);
            throw error;
          }
        }
      }
      if (seq !== wanted) throw new Error(`fan-out: stored at seq ${seq}, expected ${wanted}`);
      try {
        await all;
      } finally {
        clearTimeout(timer);
      }
      await new Promise((res) => setTimeout(res, 1500));
      xacts.push((await ctx.pg.transactions(databaseUrl)) - xactBefore - 1);
      const lat = arrivals.map((a) => a - sent);
      fan.push({ last: Math.max(...lat), p50: percentile(lat, 50), p99: percentile(lat, 99) });
      await new Promise((res) => setTimeout(res, 500));
    }
    const lastMs = fan.map((f) => f.last).sort((a, b) => a - b);
    const medianLast = lastMs[Math.floor(lastMs.length / 2)]!;
    const best = fan.reduce((a, b) => (a.last <= b.last ? a : b));

    return [
      {
        group: GROUP, name: `RSS per idle authenticated WebSocket (${total.toLocaleString('en')} on one instance)`, value: round(perConnKB, 1), unit: 'KB',
        goal: `≤ ${GOAL_KB} KB`, met: perConnKB <= GOAL_KB,
        note: `service RSS ${(before.rss / 2 ** 20).toFixed(1)} → ${(after.rss / 2 ** 20).toFixed(1)} MiB after forced GC (heap ${(before.heapUsed / 2 ** 20).toFixed(1)} → ${(after.heapUsed / 2 ** 20).toFixed(1)} MiB, ${round(heapPerConnKB, 1)} KB/connection of JS heap); ${total} connections authenticated in ${connectSeconds.toFixed(1)} s, 500 at a time; ${members} users × ${total / members} devices (${members} real logins, the other sessions inserted as token hashes)`,
      },
      {
        group: GROUP, name: `push fan-out: 1 message → ${total.toLocaleString('en')} connections, last delivery`, value: round(medianLast), unit: 'ms',
        note: `median of ${rounds} rounds (${lastMs.map((x) => Math.round(x)).join(' / ')} ms); best round p50 ${Math.round(best.p50)} ms, p99 ${Math.round(best.p99)} ms after the append request was sent; the receiving clients share the 2 cores; Postgres transactions per fan-out round: ${xacts.join(' / ')}${appendErrors.length ? `; append failures retried: ${appendErrors.join('; ')}` : ''}`,
      },
    ];
  } finally {
    for (const c of clients) c.close();
    api.close();
    await service.stop();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { standalone } = await import('./support/standalone.ts');
  await standalone(runConnectionsBench);
}
