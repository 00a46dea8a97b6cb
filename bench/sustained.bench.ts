// Sustained load: a fixed offered rate (2,000 messages/s by default) for 60 s (10 s in
// BENCH_QUICK) against one service instance in a child process, 200 users each with a
// connected WebSocket, in 100 two-person conversations; every message is sent over its
// sender's socket (`send` frame, as the page does). A message refused with `retryLater`
// is resent after the time asked, as the page's outbox does. Reports offered / stored /
// refused-then-stored / lost (each message counted once), append and send → push latency
// percentiles (from the scheduled send time, so a stalled sender cannot hide a stall),
// and the slope of the service's RSS over the run.
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createEpoch, sealMessage, type Envelope } from '../protocol/src/index.ts';
import { ApiClient, pool } from './support/api.ts';
import { RESULTS_DIR, type BenchContext } from './support/context.ts';
import { formatHotSpots, hotSpots, newestProfile } from './support/profile.ts';
import { identityFrom, keyPool, runTag, userIdFor } from './support/identities.ts';
import { percentile, round, slope, type BenchRow } from './support/rows.ts';
import { startServiceProcess } from './support/service.ts';
import { connectRealtime, type RealtimeClient } from './support/ws.ts';

const GROUP = 'sustained';
const RATE = Number(process.env.BENCH_RATE ?? 2000);
const RECEIVERS = 200;
/** "Flat": the fitted RSS slope after warm-up, in KB per minute. */
const FLAT_KB_PER_MIN = 1024;
/**
 * Messages in flight beyond this wait in the generator (as in a client's outbox) and go
 * as answers come back; their latency still counts from the scheduled time.
 */
const MAX_IN_FLIGHT = 2000;

const CID = /"clientMessageId":\s*"([0-9a-f-]{36})"/;
const SENDER = /"sender":\s*"([^"]+)"/;

export async function runSustainedBench(ctx: BenchContext): Promise<BenchRow[]> {
  const seconds = ctx.quick ? 5 : 60;
  const total = RATE * seconds;
  const databaseUrl = await ctx.pg.freshDatabase('sustained');
  const profileDir = ctx.profile ? path.join(RESULTS_DIR, `sustained-service-${Date.now()}`) : undefined;
  const service = await startServiceProcess({ databaseUrl, cpuProfileDir: profileDir });
  const api = new ApiClient(service.port, service.origin, 256);
  const clients: RealtimeClient[] = [];
  try {
    // 200 users in 100 pairs, real registrations, logins and signed epochs.
    const run = runTag();
    const keys = await keyPool(2);
    const users = await Promise.all(Array.from({ length: RECEIVERS }, (_, i) => identityFrom(userIdFor('u', i, run), keys[i % 2]!)));
    await pool(users, 8, (u) => api.register(u));
    const tokens = await pool(users, 8, (u) => api.login(u));
    const pairs = await pool(Array.from({ length: RECEIVERS / 2 }, (_, i) => i), 4, async (i) => {
      const a = users[2 * i]!;
      const b = users[2 * i + 1]!;
      const conversationId = randomUUID();
      const { record, key } = await createEpoch({ conversationId, epoch: 0, creator: a, members: [a.public, b.public], previous: null });
      await api.createConversation(tokens[2 * i]!, record);
      return { conversationId, key, a: 2 * i, b: 2 * i + 1 };
    });

    // One really sealed and signed envelope per sender; the rest of its messages reuse
    // its ciphertext and signature under fresh headers (client id, counter, previous
    // hash). The service stores envelopes opaquely and cannot check signatures, so its
    // work is the same; sealing 120,000 messages here would only steal the service's CPU.
    const templates = await pool(users, 8, async (u, i) => {
      const pair = pairs[Math.floor(i / 2)]!;
      return sealMessage({
        conversationId: pair.conversationId, epoch: 0, epochKey: pair.key, sender: u, clientMessageId: randomUUID(), counter: 1, prevHash: null,
        plaintext: { type: 'text', body: 'On my way, see you at the usual place in ten minutes.', composedAt: Date.now() },
      });
    });
    const counters = new Array<number>(users.length).fill(0);
    const nextEnvelope = (sender: number): Envelope => {
      const counter = ++counters[sender]!;
      return { ...templates[sender]!, clientMessageId: randomUUID(), counter, prevHash: counter === 1 ? null : randomBytes(32).toString('hex') };
    };

    // Every user connected (200 receivers); cursors past the epoch record.
    const sent = new Map<string, { scheduled: number; receiver: string }>();
    const pushLatency: number[] = [];
    let pushes = 0;
    let echoes = 0;
    let unexpected = 0;
    for (let i = 0; i < users.length; i++) {
      const me = users[i]!.userId;
      const pair = pairs[Math.floor(i / 2)]!;
      const c = connectRealtime(service.port, service.origin, tokens[i]!, { [pair.conversationId]: 1 }, (p) => {
        const sender = SENDER.exec(p.text)?.[1];
        if (sender === me) {
          echoes++;
          return;
        }
        const cid = CID.exec(p.text)?.[1];
        const s = cid ? sent.get(cid) : undefined;
        if (!s || s.receiver !== me) {
          unexpected++;
          return;
        }
        pushLatency.push(p.at - s.scheduled);
        pushes++;
      });
      clients.push(c);
    }
    await Promise.all(clients.map((c) => c.ready));

    // The run: open loop, a tick every 5 ms sends what is due.
    const rssSamples: { t: number; rss: number }[] = [];
    const before = await service.memory(true);
    await new Promise((r) => setTimeout(r, 1500));
    const xactBefore = await ctx.pg.transactions(databaseUrl);
    const appendLatency: number[] = [];
    const errors = new Map<string, number>();
    const fail = (why: string) => errors.set(why, (errors.get(why) ?? 0) + 1);
    let issued = 0;
    let inFlight = 0;
    let answered = 0;
    let stored = 0;
    let refusals = 0;
    let refusedThenStored = 0;
    const waitingToSend: number[] = [];
    const t0 = performance.now();
    const sampler = setInterval(() => rssSamples.push({ t: (performance.now() - t0) / 1000, rss: service.rssFromProc() }), 1000);
    const sendOne = (index: number) => {
      if (inFlight >= MAX_IN_FLIGHT) {
        waitingToSend.push(index);
        return;
      }
      const scheduled = t0 + (index * 1000) / RATE;
      const pair = pairs[index % pairs.length]!;
      const fromA = Math.floor(index / pairs.length) % 2 === 0;
      const sender = fromA ? pair.a : pair.b;
      const receiver = fromA ? pair.b : pair.a;
      const env = nextEnvelope(sender);
      sent.set(env.clientMessageId, { scheduled, receiver: users[receiver]!.userId });
      inFlight++;
      void (async () => {
        let refused = 0;
        try {
          for (;;) {
            const a = await clients[sender]!.send(env);
            if (a.type === 'sent') {
              stored++;
              if (refused > 0) refusedThenStored++;
              appendLatency.push(performance.now() - scheduled);
              return;
            }
            if (a.type === 'sendFailed') {
              fail(`sendFailed ${a.code}`);
              return;
            }
            refused++;
            refusals++;
            await new Promise((r) => setTimeout(r, a.retryAfterMs * (1 + Math.random() / 2)));
          }
        } catch (e) {
          fail((e as Error).message.slice(0, 80));
        } finally {
          inFlight--;
          answered++;
          const next = waitingToSend.shift();
          if (next !== undefined) sendOne(next);
        }
      })();
    };
    await new Promise<void>((resolve) => {
      const tick = () => {
        const due = Math.min(total, Math.floor(((performance.now() - t0) * RATE) / 1000));
        while (issued < due) sendOne(issued++);
        if (issued >= total) resolve();
        else setTimeout(tick, 5);
      };
      tick();
    });
    const sendSeconds = (performance.now() - t0) / 1000;
    const storedWhileSending = stored;
    // Drain: every request answered and every push in, or 15 s.
    const drainEnd = performance.now() + 15_000;
    while ((answered < issued || pushes < stored) && performance.now() < drainEnd) await new Promise((r) => setTimeout(r, 50));
    clearInterval(sampler);
    const after = await service.memory(true);
    const elapsed = (performance.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 1500));
    const xactPerMessage = ((await ctx.pg.transactions(databaseUrl)) - xactBefore - 1) / Math.max(1, appendLatency.length);

    const missing = stored - pushes;
    const unanswered = issued - answered;
    const lost = issued - stored - unanswered;
    if (missing > 0) errors.set('stored but not pushed to the other member within 15 s', missing);
    if (unanswered > 0) errors.set('sent or waiting to be sent, not answered within 15 s of the end', unanswered);
    if (unexpected > 0) errors.set('push not matching a sent message', unexpected);
    const errorCount = [...errors.values()].reduce((a, b) => a + b, 0);
    const warm = rssSamples.filter((s) => s.t >= seconds * 0.2 && s.t <= seconds);
    const kbPerMin = slope(warm.map((s) => s.t), warm.map((s) => s.rss)) * 60 / 1024;
    const rssMiB = (b: number) => (b / 2 ** 20).toFixed(1);
    const pct = (xs: number[]) => `p50 ${Math.round(percentile(xs, 50))}, p95 ${Math.round(percentile(xs, 95))}, p99 ${Math.round(percentile(xs, 99))}, max ${Math.round(percentile(xs, 100))} ms`;
    ctx.log(`sustained: ${issued} offered in ${sendSeconds.toFixed(1)} s, ${stored} stored, ${pushes} pushed; append ${pct(appendLatency)}; push ${pct(pushLatency)}`);
    const errorNote = errorCount ? `: ${[...errors].map(([k, v]) => `${v} × ${k}`).join('; ')}` : '';
    const label = `${RATE.toLocaleString('en')}/s for ${seconds} s, ${RECEIVERS} receivers`;
    return [
      {
        group: GROUP, name: `errors at ${label}`, value: errorCount, unit: '', goal: '0', met: errorCount === 0,
        note: `${issued.toLocaleString('en')} offered, ${stored.toLocaleString('en')} stored (${Math.round(storedWhileSending / sendSeconds).toLocaleString('en')}/s while sending, the rest in the drain), ${lost} lost (refused for good), ${unanswered} unanswered, ${pushes.toLocaleString('en')} pushed to the other member, ${echoes.toLocaleString('en')} echoes to the sender's own device${errorNote}`,
      },
      {
        group: GROUP, name: `refused then stored at ${label}`, value: refusedThenStored, unit: 'msgs',
        note: `messages answered \`retryLater\` (the service's queue was full) at least once and stored on a resend: ${refusals.toLocaleString('en')} refusals in all; counted once each in "stored", never as errors`,
      },
      {
        group: GROUP, name: `send → push p99 at ${label}`, value: round(percentile(pushLatency, 99), 1), unit: 'ms',
        note: `${pct(pushLatency)}, from the scheduled send time to the other member's WebSocket; send → \`sent\` ${pct(appendLatency)}; envelopes are one real sealed envelope per sender under fresh headers (see the file)`,
      },
      {
        group: GROUP, name: 'Postgres transactions per stored message', value: round(xactPerMessage, 2), unit: '',
        note: 'pg_stat_database xact_commit + xact_rollback over the run, divided by messages stored: each pg-promise query outside a transaction is one (token lookups not served by the session cache, one group-committed append per batch, one shared log read per conversation and instance per notification, …)',
      },
      {
        group: GROUP, name: `service RSS slope over the run (${label})`, value: round(kbPerMin, 0), unit: 'KB/min', goal: `flat (≤ ${FLAT_KB_PER_MIN} KB/min)`, met: Math.abs(kbPerMin) <= FLAT_KB_PER_MIN,
        note: `least squares over ${warm.length} one-second samples after the first 20 %; RSS ${rssMiB(rssSamples[0]?.rss ?? NaN)} → ${rssMiB(rssSamples[rssSamples.length - 1]?.rss ?? NaN)} MiB, max ${rssMiB(Math.max(...rssSamples.map((s) => s.rss)))} MiB; JS heap after forced GC ${rssMiB(before.heapUsed)} → ${rssMiB(after.heapUsed)} MiB; run ${elapsed.toFixed(1)} s with drain`,
      },
    ];
  } finally {
    for (const c of clients) c.close();
    api.close();
    await service.stop();
    if (profileDir) {
      const p = await newestProfile(profileDir);
      if (p) {
        ctx.log(formatHotSpots('sustained: service self time by function:', hotSpots(p, 20)));
        ctx.log(formatHotSpots('sustained: service self time by script:', hotSpots(p, 12, 'script')));
      }
    }
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { standalone } = await import('./support/standalone.ts');
  await standalone(runSustainedBench);
}
