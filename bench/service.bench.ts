// Sync service benchmark (issue 4 item 12). Every figure sits beside a ceiling
// measured in the same run, on the same database:
//  * durable appends/s: 16 concurrent HTTP clients appending signed envelopes for a
//    fixed time, against raw single-row INSERTs (autocommit) over 16 connections, and
//    the multi-row batched INSERT ceiling;
//  * store-and-relay messages/s: 16 sender/receiver pairs, every receiver online on a
//    WebSocket, senders sending over their WebSockets (`send` frames, as the page does),
//    from the first send until every receiver has every message (a push follows the
//    commit, so every row is durable by then), against the same raw single-row ceiling;
//  * send → push latency p50/p95/p99 at fixed 500 and 1,000 msg/s (open loop, `send`
//    frames), against the bare LISTEN/NOTIFY round trip at the same rates.
// Traffic goes only to 127.0.0.1; every loop is bounded in count and time.
// Run alone: `npx tsx bench/service.bench.ts` (BENCH_QUICK=1 for a short run).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import pg from 'pg';
import { createEpoch, sealMessage, type Envelope, type Identity } from '../protocol/src/index.ts';
import { identity, NAMES } from '../test/support/identities.ts';
import { ApiClient } from './support/api.ts';
import { forSeconds, rawCeilings } from './support/load.ts';
import { startServiceProcess } from './support/service.ts';
import { connectRealtime, type RealtimeClient } from './support/ws.ts';
import { percentile, round, type BenchRow } from './support/rows.ts';
import { busyMs, formatHotSpots, hotSpots, newestProfile } from './support/profile.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';

/** A row of this group (the runner adds the group). */
export type ServiceBenchRow = Omit<BenchRow, 'group'>;

const CLIENTS = 16;
// Bodies come back as Postgres renders jsonb: `"key": "value"`, with a space.
const CID = /"clientMessageId": ?"([0-9a-f-]{36})"/;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU time (ms) a process has used so far, from /proc (Linux). */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

interface User { id: Identity; token: string }

async function makeUsers(api: ApiClient, n: number, prefix: string): Promise<User[]> {
  const users: User[] = [];
  for (let i = 0; i < n; i++) {
    const id = await identity(NAMES[i % NAMES.length]!, `${prefix}${String(i).padStart(2, '0')}`);
    await api.register(id);
    users.push({ id, token: await api.login(id) });
  }
  return users;
}

async function conversation(api: ApiClient, creator: User, members: User[]): Promise<{ id: string; key: CryptoKey }> {
  const id = randomUUID();
  const { record, key } = await createEpoch({ conversationId: id, epoch: 0, creator: creator.id, members: members.map((m) => m.id.public), previous: null });
  await api.createConversation(creator.token, record);
  return { id, key };
}

/** Pre-sealed envelopes (sealing is the client's cost, not the service's). Chained per sender. */
async function seal(conv: { id: string; key: CryptoKey }, sender: Identity, n: number): Promise<Envelope[]> {
  const out: Envelope[] = [];
  for (let i = 0; i < n; i++) {
    out.push(await sealMessage({
      conversationId: conv.id, epoch: 0, epochKey: conv.key, sender, clientMessageId: randomUUID(),
      // The service does not check chains; a valid shape needs prevHash from counter 2 on.
      counter: i + 1, prevHash: i === 0 ? null : 'ab'.repeat(32),
      plaintext: { type: 'text', body: `bench message ${i}`, composedAt: Date.now() },
    }));
  }
  return out;
}


/** NOTIFY → notification on another connection, at a fixed rate: the floor under any push. */
async function notifyFloor(databaseUrl: string, rate: number, seconds: number): Promise<number[]> {
  const listener = new pg.Client({ connectionString: databaseUrl });
  await listener.connect();
  // Several sending connections, as the service's pool has: one would queue its NOTIFYs.
  const senders = await Promise.all(Array.from({ length: 4 }, async () => {
    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    return c;
  }));
  const sent = new Map<string, number>();
  const lat: number[] = [];
  listener.on('notification', (n: { payload?: string }) => {
    const t = sent.get(n.payload ?? '');
    if (t !== undefined) lat.push(performance.now() - t);
  });
  await listener.query('LISTEN bench_floor');
  const total = Math.round(rate * seconds);
  const start = performance.now();
  const inflight: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const id = String(i);
    sent.set(id, performance.now());
    inflight.push(senders[i % senders.length]!.query('SELECT pg_notify($1, $2)', ['bench_floor', id]));
  }
  await Promise.all(inflight);
  await sleep(200);
  await listener.end();
  await Promise.all(senders.map((c: pg.Client) => c.end()));
  return lat;
}

/** Send over a socket until stored: resend after each `retryLater`; the number of refusals. */
async function sendUntilStored(socket: RealtimeClient, env: Envelope): Promise<number> {
  for (let refused = 0; ; refused++) {
    const a = await socket.send(env);
    if (a.type === 'sent') return refused;
    if (a.type === 'sendFailed') throw new Error(`send failed: ${a.code}`);
    await sleep(a.retryAfterMs);
  }
}

/**
 * Store and relay: 16 senders each send `perSender` messages over their sockets, `window`
 * in flight each, to 16 receivers online on theirs; from the first send until every
 * receiver has every message.
 */
async function storeAndRelay(api: ApiClient, ports: number[], origin: (port: number) => string, perSender: number, tag: string): Promise<{ perSecond: number; refused: number; seconds: number }> {
  const senders = await makeUsers(api, CLIENTS, `${tag}s`);
  const receivers = await makeUsers(api, CLIENTS, `${tag}r`);
  // With several instances, pair i sends on instance i and receives on the next one.
  const at = (i: number) => ports[i % ports.length]!;
  const convs = await Promise.all(senders.map((s, i) => conversation(api, s, [s, receivers[i]!])));
  // One really sealed envelope per sender; the rest reuse it under fresh headers (the
  // service stores envelopes opaquely: its work is the same, and sealing stays out of the run).
  const templates = await Promise.all(senders.map((s, i) => seal(convs[i]!, s.id, 1)));
  const envs = templates.map(([t]) => Array.from({ length: perSender }, (_, n) => ({ ...t!, clientMessageId: randomUUID(), counter: n + 1, prevHash: n === 0 ? null : 'ab'.repeat(32) })));
  const got = new Array<number>(CLIENTS).fill(0);
  let complete = 0;
  let allIn: () => void = () => {};
  const done = new Promise<void>((r) => { allIn = r; });
  const receiving = receivers.map((r, i) => connectRealtime(at(i + 1), origin(at(i + 1)), r.token, { [convs[i]!.id]: 1 }, () => {
    if (++got[i]! === perSender && ++complete === CLIENTS) allIn();
  }));
  const sending = senders.map((s, i) => connectRealtime(at(i), origin(at(i)), s.token, { [convs[i]!.id]: 1 }, () => undefined));
  await Promise.all([...receiving, ...sending].map((c) => c.ready));
  const WINDOW = 16;
  let refused = 0;
  const t0 = performance.now();
  await Promise.all(sending.map(async (socket, i) => {
    let next = 0;
    await Promise.all(Array.from({ length: WINDOW }, async () => {
      while (next < perSender) refused += await sendUntilStored(socket, envs[i]![next++]!);
    }));
  }));
  await Promise.race([done, sleep(60_000)]);
  const seconds = (performance.now() - t0) / 1000;
  for (const c of [...receiving, ...sending]) c.close();
  const delivered = got.reduce((a, b) => a + b, 0);
  if (delivered < CLIENTS * perSender) throw new Error(`store-and-relay: ${CLIENTS * perSender - delivered} messages not pushed within 60 s`);
  return { perSecond: delivered / seconds, refused, seconds };
}

async function pushLatency(api: ApiClient, port: number, origin: string, senders: User[], receiver: User, rate: number, seconds: number): Promise<{ lat: number[]; lost: number }> {
  const convs = await Promise.all(senders.map((s) => conversation(api, s, [s, receiver])));
  const total = Math.round(rate * seconds);
  const perSender = Math.ceil(total / senders.length);
  const envs = await Promise.all(senders.map((s, i) => seal(convs[i]!, s.id, perSender)));
  const sentAt = new Map<string, number>();
  const lat: number[] = [];
  const client = connectRealtime(port, origin, receiver.token, Object.fromEntries(convs.map((c) => [c.id, 1])), (p) => {
    const m = CID.exec(p.text);
    const t = m ? sentAt.get(m[1]!) : undefined;
    if (t !== undefined) lat.push(p.at - t);
  });
  const sockets = senders.map((s, i) => connectRealtime(port, origin, s.token, { [convs[i]!.id]: 1 }, () => undefined));
  await Promise.all([client.ready, ...sockets.map((c) => c.ready)]);
  const start = performance.now();
  const inflight: Promise<unknown>[] = [];
  const deadline = start + seconds * 1000 + 30_000;
  for (let i = 0; i < total && performance.now() < deadline; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const s = i % senders.length;
    const env = envs[s]![Math.floor(i / senders.length)]!;
    sentAt.set(env.clientMessageId, performance.now());
    inflight.push(sendUntilStored(sockets[s]!, env).catch(() => undefined));
  }
  await Promise.all(inflight);
  for (let i = 0; i < 50 && lat.length < sentAt.size; i++) await sleep(20);
  client.close();
  for (const c of sockets) c.close();
  return { lat, lost: sentAt.size - lat.length };
}

export async function runServiceBench(opts: { databaseUrl: string; quick?: boolean; profile?: boolean }): Promise<ServiceBenchRow[]> {
  const quick = opts.quick ?? false;
  const seconds = quick ? 3 : 8;
  const latencySeconds = quick ? 2 : 5;
  const rows: ServiceBenchRow[] = [];
  const profileDir = opts.profile ? await mkdtemp(path.join(os.tmpdir(), 'messagehub-service-prof-')) : undefined;
  const service = await startServiceProcess({ databaseUrl: opts.databaseUrl, cpuProfileDir: profileDir });
  const api = new ApiClient(service.port, service.origin, 64);
  try {
    // 1. Durable appends/s: 16 clients, one conversation each, one envelope per request.
    const users = await makeUsers(api, CLIENTS, 'bench');
    const convs = await Promise.all(users.map((u) => conversation(api, u, [u])));
    const perClient = quick ? 1500 : 5000;
    const envs = await Promise.all(users.map((u, i) => seal(convs[i]!, u.id, perClient)));
    await forSeconds(0.5, CLIENTS, async (w, n) => (n < 20 ? (await api.append(users[w]!.token, envs[w]![n]!), 1) : null)); // warm-up
    const serviceCpu0 = cpuMs(service.pid);
    const benchCpu0 = process.cpuUsage();
    const load = os.loadavg()[0]!;
    const appended = await forSeconds(seconds, CLIENTS, async (w, n) => {
      const env = envs[w]![n + 20];
      if (!env) return null;
      await api.append(users[w]!.token, env);
      return 1;
    });
    const appendsPerSecond = appended.done / appended.elapsed;
    const serviceCpuPerAppend = (cpuMs(service.pid) - serviceCpu0) / appended.done;
    const benchCpu = process.cpuUsage(benchCpu0);
    const clientCpuPerAppend = (benchCpu.user + benchCpu.system) / 1000 / appended.done;
    const bodies = envs[0]!.slice(0, 200).map((e) => JSON.stringify(e));
    const raw = await rawCeilings(opts.databaseUrl, bodies, seconds);
    rows.push({
      name: 'durable appends/s, 16 HTTP clients (storing only, no receiver)',
      value: round(appendsPerSecond, 0),
      unit: 'appends/s',
      ceiling: round(raw.single, 0),
      ceilingName: 'raw single-row INSERTs, 16 connections',
      ratio: round(raw.single / appendsPerSecond),
      goal: '≥ 1.0× raw single-row',
      met: appendsPerSecond >= raw.single,
      note: `${round(appendsPerSecond / raw.single)}× raw single-row; ${round(appendsPerSecond / raw.multi)}× the multi-row batched ceiling (${round(raw.multi, 0)} rows/s); group commit, ${appended.done} appends in ${round(appended.elapsed, 1)} s; service CPU ${round(serviceCpuPerAppend)} ms/append, load generator ${round(clientCpuPerAppend)} ms/append; 1-min load average ${round(load, 1)} on ${os.cpus().length} CPUs`,
    });
    const relay = await storeAndRelay(api, [service.port], () => service.origin, quick ? 300 : 1500, 'rel');
    rows.push({
      name: 'store-and-relay msg/s, 16 pairs over WebSockets',
      value: round(relay.perSecond, 0),
      unit: 'msg/s',
      ceiling: round(raw.single, 0),
      ceilingName: 'raw single-row INSERTs, 16 connections',
      ratio: round(relay.perSecond / raw.single),
      goal: '≥ 0.8× raw single-row',
      met: relay.perSecond >= 0.8 * raw.single,
      note: `16 senders (\`send\` frames, 16 in flight each) → 16 receivers online; from the first send until every receiver had all ${CLIENTS * (quick ? 300 : 1500)} messages: ${round(relay.seconds, 1)} s; ${relay.refused} refused with retryLater and resent; 1-min load average ${round(os.loadavg()[0]!, 1)}`,
    });
    // 1, 2 and 4 instances on the one Postgres (one more process each on the same 2 cores).
    const instances = [service];
    try {
      for (const n of [1, 2, 4]) {
        while (instances.length < n) instances.push(await startServiceProcess({ databaseUrl: opts.databaseUrl }));
        const ports = instances.slice(0, n).map((x) => x.port);
        const byPort = new Map(instances.map((x) => [x.port, x.origin]));
        const r = await storeAndRelay(api, ports, (p) => byPort.get(p)!, quick ? 200 : 600, `i${n}`);
        rows.push({
          name: `store-and-relay msg/s with ${n} instance${n > 1 ? 's' : ''}`,
          value: round(r.perSecond, 0),
          unit: 'msg/s',
          ceiling: round(raw.single, 0),
          ceilingName: 'raw single-row INSERTs, 16 connections',
          ratio: round(r.perSecond / raw.single),
          note: `${n === 1 ? 'the row above, shorter' : 'each pair sends on one instance and receives on the next (pushes cross instances through NOTIFY)'}; ${CLIENTS * (quick ? 200 : 600)} messages in ${round(r.seconds, 1)} s; ${r.refused} refused and resent; every instance a process on the same ${os.cpus().length} cores`,
        });
      }
    } finally {
      for (const x of instances.slice(1)) await x.stop();
    }
    rows.push({
      name: 'raw multi-row batched INSERTs (ceiling)',
      value: round(raw.multi, 0),
      unit: 'rows/s',
      note: '16 connections, 100 rows per INSERT, same table shape and bodies',
    });

    // 2. send → push at fixed rates, sender and receiver on one instance.
    const senders = await makeUsers(api, 4, 'snd');
    const [receiver] = await makeUsers(api, 1, 'rcv');
    for (const rate of [500, 1000]) {
      const floor = await notifyFloor(opts.databaseUrl, rate, latencySeconds);
      const { lat, lost } = await pushLatency(api, service.port, service.origin, senders, receiver!, rate, latencySeconds);
      const p = (x: number) => round(percentile(lat, x), 2);
      const f = (x: number) => round(percentile(floor, x), 2);
      for (const q of [50, 95, 99]) {
        rows.push({
          name: `send → push p${q} at ${rate} msg/s`,
          value: p(q),
          unit: 'ms',
          ceiling: f(q),
          ceilingName: 'LISTEN/NOTIFY round trip',
          ratio: f(q) > 0 ? round(p(q) / f(q)) : undefined,
          goal: q === 99 ? '≤ 25 ms' : q === 50 ? '≤ 5 ms' : undefined,
          met: q === 99 ? p(q) <= 25 : q === 50 ? p(q) <= 5 : undefined,
          note: q === 99 ? `${lat.length} pushes${lost ? `, ${lost} not pushed in time` : ''}; \`send\` frame on the sender's socket → push on the receiver's` : undefined,
        });
      }
    }
  } finally {
    api.close();
    await service.stop();
  }
  if (profileDir) {
    const prof = await newestProfile(profileDir);
    if (prof) {
      const busy = busyMs(prof);
      // Shares of the busy time (idle left out).
      const ofBusy = (spots: ReturnType<typeof hotSpots>) => spots.filter((h) => !h.name.includes('(idle)')).map((h) => ({ ...h, share: round((h.ms / busy) * 100, 1) }));
      const summary = [
        formatHotSpots(`service main thread, whole service benchmark: ${Math.round(busy)} ms busy; self time by script (% of busy)`, ofBusy(hotSpots(prof, 26, 'script'))),
        formatHotSpots('by function (% of busy)', ofBusy(hotSpots(prof, 31, 'function'))),
      ].join('\n');
      console.error(summary);
      rows.push({ name: 'service CPU profile (BENCH_PROFILE=1)', value: Math.round(busy), unit: 'ms busy', note: `self time, % of busy: ${ofBusy(hotSpots(prof, 13, 'script')).map((h) => `${h.share}% ${h.name}`).join('; ')}` });
    }
    await rm(profileDir, { recursive: true, force: true });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { startBenchPostgres } = await import('./support/postgres.ts');
  const pgc = await startBenchPostgres((line) => console.error(line));
  try {
    const rows = await runServiceBench({ databaseUrl: await pgc.freshDatabase('service'), quick: process.env.BENCH_QUICK === '1', profile: process.env.BENCH_PROFILE === '1' });
    console.table(rows.map((r) => ({ name: r.name, value: r.value, unit: r.unit, ceiling: r.ceiling, ratio: r.ratio, goal: r.goal, met: r.met })));
    for (const r of rows) if (r.note) console.log(`${r.name}: ${r.note}`);
  } finally {
    await pgc.stop();
  }
}
