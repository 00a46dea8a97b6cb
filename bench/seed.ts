// Seed a history through the real API with the real protocol: identities, one signed
// epoch per conversation (RSA-OAEP-wrapped key for each member), then sealed, signed,
// hash-chained envelopes appended with the outbox's batch route.
//
// Alone:  npx tsx bench/seed.ts http://localhost:8080 [messages] [conversations] > keyfile.json
//         (the service must allow ~30 logins a minute from this address; passphrase on stderr)
import { pathToFileURL } from 'node:url';
import {
  createEpoch, envelopeHash, sealMessage, type EpochRecord, type Envelope, type Identity, type MessagePlaintext,
} from '../protocol/src/index.ts';
import { ApiClient, pool } from './support/api.ts';
import { identityFrom, keyFileFor, keyPool, runTag, userIdFor, type KeyMaterial } from './support/identities.ts';

export interface SeedOptions {
  messages: number;
  conversations: number;
  passphrase?: string;
  /** Distinct key pairs for the peers (default 4; users are distinct either way). */
  keyPairs?: number;
  log?: (line: string) => void;
}

export interface SeededHistory {
  userId: string;
  passphrase: string;
  keyFile: string;
  /** The restoring user's keys, to measure raw operations with the same material. */
  keys: KeyMaterial;
  conversationIds: string[];
  peers: string[];
  messages: number;
  epochs: number;
  /** Envelopes by padded-plaintext bucket size, for same-size raw operations. */
  buckets: Record<number, number>;
  sample: Envelope;
  epochRecords: EpochRecord[];
  seconds: { identities: number; seal: number; append: number };
}

const WORDS = 'the of and to a in is you that it he was for on are as with his they at be this have from or one had by word but not what all were we when your can said there use an each which she do how their if will up other about out many then them these so some her would make like him into time has look two more write go see number no way could people my than first water been call who oil its now find long down day did get come made may part'.split(' ');

/** Deterministic, varied text: most fit the 256-byte bucket, one in ten the 1 KiB one. */
function body(i: number): string {
  const n = i % 10 === 0 ? 60 + (i % 90) : 4 + ((i * 7) % 30);
  const out: string[] = [];
  for (let k = 0; k < n; k++) out.push(WORDS[(i * 31 + k * 17) % WORDS.length]!);
  return out.join(' ');
}

export async function seedHistory(api: ApiClient, opts: SeedOptions): Promise<SeededHistory> {
  const log = opts.log ?? (() => {});
  const run = runTag();
  const passphrase = opts.passphrase ?? `correct horse battery staple ${run}`;
  let t = performance.now();

  // Identities: the restoring user and one peer per conversation, over key material from the
  // run's pool (RSA-3072 generation dominates seeding on a busy 2-core machine).
  const [mine, ...peerKeys] = await keyPool(1 + Math.min(opts.conversations, opts.keyPairs ?? 4));
  const userId = userIdFor('r', 0, run);
  const me = await identityFrom(userId, mine!);
  const peers: Identity[] = await Promise.all(
    Array.from({ length: opts.conversations }, (_, i) => identityFrom(userIdFor('p', i, run), peerKeys[i % peerKeys.length]!)),
  );
  const keyFile = await keyFileFor(userId, mine!, passphrase);
  await api.register(me);
  await pool(peers, 8, (p) => api.register(p));
  const tokens = new Map<string, string>();
  tokens.set(userId, await api.login(me, 'seeder'));
  await pool(peers, 8, async (p) => tokens.set(p.userId, await api.login(p, 'seeder')));
  const identitiesSeconds = (performance.now() - t) / 1000;
  log(`seed: ${1 + peers.length} users registered and logged in (${identitiesSeconds.toFixed(1)} s)`);

  // One conversation per peer, epoch 0 created by either side.
  t = performance.now();
  const conversations = await pool(peers, 4, async (peer, i) => {
    const creator = i % 2 === 0 ? me : peer;
    const conversationId = crypto.randomUUID();
    const { record, key } = await createEpoch({ conversationId, epoch: 0, creator, members: [me.public, peer.public], previous: null });
    await api.createConversation(tokens.get(creator.userId)!, record);
    return { conversationId, record, key, peer };
  });

  // Messages, spread evenly, each sender's chain in order (counter, prevHash).
  const perConversation = Array.from({ length: opts.conversations }, (_, i) =>
    Math.floor(opts.messages / opts.conversations) + (i < opts.messages % opts.conversations ? 1 : 0));
  const bySender = new Map<string, Envelope[]>();
  const buckets: Record<number, number> = {};
  const start = Date.now() - 30 * 24 * 3600 * 1000;
  const offsets = perConversation.map((_, c) => perConversation.slice(0, c).reduce((a, b) => a + b, 0));
  // Conversations are independent chains: seal them concurrently (WebCrypto runs on the thread pool).
  const sealedByConversation = await pool(conversations, 4, async ({ conversationId, key, peer }, c) => {
    const chains = new Map<string, { counter: number; prevHash: string | null }>();
    const out: Envelope[] = [];
    for (let k = 0; k < perConversation[c]!; k++) {
      const i = offsets[c]! + k;
      const sender = (k * 7 + c) % 3 === 0 ? me : peer;
      const chain = chains.get(sender.userId) ?? { counter: 0, prevHash: null };
      const plaintext: MessagePlaintext = { type: 'text', body: body(i), composedAt: start + i * 60_000 };
      const counter = chain.counter + 1;
      // The chain hash must be known before the sender's next seal.
      const env = await sealMessage({ conversationId, epoch: 0, epochKey: key, sender, clientMessageId: crypto.randomUUID(), counter, prevHash: chain.prevHash, plaintext });
      chains.set(sender.userId, { counter, prevHash: await envelopeHash(env) });
      out.push(env);
    }
    return out;
  });
  let n = 0;
  for (const list of sealedByConversation) {
    for (const env of list) {
      n++;
      const l = bySender.get(env.sender) ?? [];
      l.push(env);
      bySender.set(env.sender, l);
      const size = Math.floor((env.encryptedContent.length * 3) / 4);
      buckets[size] = (buckets[size] ?? 0) + 1;
    }
  }
  const sealSeconds = (performance.now() - t) / 1000;
  log(`seed: ${n} envelopes sealed and signed (${sealSeconds.toFixed(1)} s)`);

  // Append with the batch route, 500 per request, each sender's envelopes in order.
  t = performance.now();
  const jobs: { token: string; envelopes: Envelope[] }[] = [];
  for (const [sender, list] of bySender) {
    for (let i = 0; i < list.length; i += 500) jobs.push({ token: tokens.get(sender)!, envelopes: list.slice(i, i + 500) });
  }
  // Jobs of one sender run one after another (chain order); different senders in parallel.
  const bySenderJobs = new Map<string, typeof jobs>();
  for (const j of jobs) {
    const l = bySenderJobs.get(j.token) ?? [];
    l.push(j);
    bySenderJobs.set(j.token, l);
  }
  let rejected = 0;
  await pool([...bySenderJobs.values()], 4, async (list) => {
    for (const j of list) {
      const results = await api.batch(j.token, j.envelopes);
      rejected += results.filter((r) => r.status === 'rejected').length;
    }
  });
  if (rejected > 0) throw new Error(`seed: the service rejected ${rejected} envelopes`);
  const appendSeconds = (performance.now() - t) / 1000;
  log(`seed: appended in ${jobs.length} batch requests (${appendSeconds.toFixed(1)} s)`);

  return {
    userId,
    passphrase,
    keyFile,
    keys: mine!,
    conversationIds: conversations.map((c) => c.conversationId),
    peers: peers.map((p) => p.userId),
    messages: n,
    epochs: conversations.length,
    buckets,
    sample: bySender.get(userId)?.[0] ?? [...bySender.values()][0]![0]!,
    epochRecords: conversations.map((c) => c.record),
    seconds: { identities: identitiesSeconds, seal: sealSeconds, append: appendSeconds },
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const url = new URL(process.argv[2] ?? 'http://localhost:8080');
  const api = new ApiClient(Number(url.port || 80), url.origin);
  const seeded = await seedHistory(api, {
    messages: Number(process.argv[3] ?? 10_000),
    conversations: Number(process.argv[4] ?? 20),
    log: (l) => console.error(l),
  });
  api.close();
  console.error(`user ${seeded.userId}, passphrase: ${seeded.passphrase}`);
  process.stdout.write(seeded.keyFile + '\n');
}
