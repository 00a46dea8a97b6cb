// Runs inside headless Chromium (bundled with esbuild by support/browser.ts).
// rawOps: the WebCrypto/Argon2id work a restore cannot avoid, each operation awaited
// one at a time, so the total is the plain sum of their costs.
// pipelineRestore: the restore done directly with the protocol bundle against the real
// API (no IndexedDB, no UI framework): a lower bound for what the app could reach.
import { argon2id } from 'hash-wasm';
import {
  CryptoPool, cryptoPoolSize, emptyTranscript, fromBase64Url, importKeyFile, importPublicIdentity, observe, openEpoch, openMessage, signLoginProof, wrapLabel,
  type EpochRecord, type Envelope, type ImportedIdentity, type KeyFileJson, type PublicIdentity, type WorkerLike,
} from '../../protocol/src/index.ts';

const subtle = crypto.subtle;

export interface RawInput {
  keyFile: string;
  passphrase: string;
  /** base64url PKCS#8 of the restoring user's RSA key, and the real wrapped keys for them. */
  encryptionPkcs8: string;
  wrapped: { conversationId: string; wrappedKey: string }[];
  userId: string;
  messages: number;
  epochs: number;
  /** Bytes signed per envelope, per epoch record; AAD bytes; ciphertext bytes per bucket (count). */
  envelopeSignedBytes: number;
  epochSignedBytes: number;
  aadBytes: number;
  buckets: Record<string, number>;
}

export interface RawResult {
  totalMs: number;
  parts: Record<string, { count: number; ms: number }>;
  /** The same operations issued all at once per kind (what parallel code could reach). */
  parallelMs: number;
}

const b = (u: Uint8Array): Uint8Array<ArrayBuffer> => u as Uint8Array<ArrayBuffer>;

async function timeSerial<T>(items: readonly T[], op: (x: T) => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  for (const x of items) await op(x);
  return performance.now() - t0;
}

export async function rawOps(p: RawInput): Promise<RawResult> {
  const kf = JSON.parse(p.keyFile) as KeyFileJson;
  const parts: RawResult['parts'] = {};
  // Inputs (not timed): same sizes as the real ones.
  const rsa = await subtle.importKey('pkcs8', b(fromBase64Url(p.encryptionPkcs8)), { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['decrypt']);
  const ed = (await subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as CryptoKeyPair;
  const aes = await subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  const aad = crypto.getRandomValues(new Uint8Array(p.aadBytes));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const envInput = crypto.getRandomValues(new Uint8Array(p.envelopeSignedBytes));
  const epochInput = crypto.getRandomValues(new Uint8Array(p.epochSignedBytes));
  const envSig = await subtle.sign('Ed25519', ed.privateKey, envInput);
  const epochSig = await subtle.sign('Ed25519', ed.privateKey, epochInput);
  const cts: ArrayBuffer[] = [];
  for (const [size, count] of Object.entries(p.buckets)) {
    const ct = await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, aes, new Uint8Array(Number(size)));
    for (let i = 0; i < count; i++) cts.push(ct);
  }
  const kfCt = fromBase64Url(kf.ciphertext);
  const kfAes = await subtle.importKey('raw', crypto.getRandomValues(new Uint8Array(32)), 'AES-GCM', false, ['encrypt', 'decrypt']);
  const kfSealed = await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, kfAes, new Uint8Array(kfCt.length - 16));
  const wrapped = p.wrapped.map((w) => ({ label: b(wrapLabel(w.conversationId, 0, p.userId)), ct: b(fromBase64Url(w.wrappedKey)) }));
  const commitInput = new Uint8Array(120);
  const msgs = Array.from({ length: p.messages }, (_, i) => i);
  const epochs = Array.from({ length: p.epochs }, (_, i) => i);

  // 1. Argon2id once, with the key file's own parameters.
  let t0 = performance.now();
  await argon2id({
    password: p.passphrase, salt: fromBase64Url(kf.kdf.salt), parallelism: kf.kdf.parallelism, iterations: kf.kdf.passes,
    memorySize: kf.kdf.memoryKiB, hashLength: 32, outputType: 'binary',
  });
  parts['Argon2id'] = { count: 1, ms: performance.now() - t0 };
  // 2. RSA-OAEP unwraps: one per epoch record.
  parts['RSA-OAEP decrypt'] = { count: wrapped.length, ms: await timeSerial(wrapped, (w) => subtle.decrypt({ name: 'RSA-OAEP', label: w.label }, rsa, w.ct)) };
  // 3. Ed25519 verifies: every envelope and every epoch record.
  parts['Ed25519 verify'] = {
    count: p.messages + p.epochs,
    ms: (await timeSerial(msgs, () => subtle.verify('Ed25519', ed.publicKey, envSig, envInput)))
      + (await timeSerial(epochs, () => subtle.verify('Ed25519', ed.publicKey, epochSig, epochInput))),
  };
  // 4. AES-GCM decrypts: every envelope, and the key file once.
  t0 = performance.now();
  for (const ct of cts) await subtle.decrypt({ name: 'AES-GCM', iv, additionalData: aad }, aes, ct);
  await subtle.decrypt({ name: 'AES-GCM', iv, additionalData: aad }, kfAes, kfSealed);
  parts['AES-GCM decrypt'] = { count: cts.length + 1, ms: performance.now() - t0 };
  // 5. SHA-256: the chain hash of every envelope, the key commitment of every epoch.
  parts['SHA-256'] = {
    count: p.messages + p.epochs,
    ms: (await timeSerial(msgs, () => subtle.digest('SHA-256', envInput))) + (await timeSerial(epochs, () => subtle.digest('SHA-256', commitInput))),
  };
  const totalMs = Object.values(parts).reduce((s, x) => s + x.ms, 0);

  // The same work issued concurrently per kind, Argon2id excluded and then added back.
  t0 = performance.now();
  await Promise.all(wrapped.map((w) => subtle.decrypt({ name: 'RSA-OAEP', label: w.label }, rsa, w.ct)));
  await Promise.all(msgs.map(() => subtle.verify('Ed25519', ed.publicKey, envSig, envInput)));
  await Promise.all(cts.map((ct) => subtle.decrypt({ name: 'AES-GCM', iv, additionalData: aad }, aes, ct)));
  await Promise.all(msgs.map(() => subtle.digest('SHA-256', envInput)));
  const parallelMs = performance.now() - t0 + parts['Argon2id']!.ms;
  return { totalMs, parts, parallelMs };
}

// ---- the restore pipeline, with the protocol alone --------------------------------

interface Entry { conversationId: string; seq: number; kind: 'epoch' | 'message'; body: unknown; createdAt: string }

async function api<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export interface PipelineResult {
  totalMs: number;
  marks: Record<string, number>;
  conversations: number;
  messages: number;
  failures: number;
}

/** Key file → login → pull every page → open epochs → verify and open every message → transcript → list in the DOM. */
export async function pipelineRestore(p: { keyFile: string; passphrase: string }): Promise<PipelineResult> {
  // The app's crypto workers (pwa/src/services/crypto-workers.ts): same pool, same worker file.
  const crypto = new CryptoPool({
    size: cryptoPoolSize(navigator.hardwareConcurrency),
    spawn: () => new Worker('/__bench/crypto-worker.js', { type: 'module' }) as unknown as WorkerLike,
  });
  const t0 = performance.now();
  const marks: Record<string, number> = {};
  const mark = (name: string) => (marks[name] = Math.round(performance.now() - t0));
  const me = await importKeyFile(p.keyFile, p.passphrase);
  mark('key file opened');
  const origin = location.origin;
  const ch = await api<{ challengeId: string; nonce: string }>('POST', '/auth/challenge', { userId: me.userId, origin });
  const proof = await signLoginProof(me, { nonce: ch.nonce, origin });
  const { token } = await api<{ token: string }>('POST', '/auth/login', { challengeId: ch.challengeId, proof, deviceName: 'bench pipeline' });
  mark('logged in');

  const pinned = new Map<string, ImportedIdentity>();
  pinned.set(me.userId, await importPublicIdentity(me.public));
  const pinning = new Map<string, Promise<void>>();
  const pin = (userId: string): Promise<void> => {
    let got = pinning.get(userId);
    if (!got) {
      got = api<{ current: { identity: PublicIdentity } }>('GET', `/users/${encodeURIComponent(userId)}/keys`, undefined, token)
        .then((k) => importPublicIdentity(k.current.identity))
        .then((imp) => void pinned.set(userId, imp));
      pinning.set(userId, got);
    }
    return got;
  };

  interface Conv { epochs: Map<number, { key: CryptoKey; members: { userId: string; fingerprint: string }[] }>; transcript: ReturnType<typeof emptyTranscript>; last: { body: string; at: number; sender: string } | null; count: number }
  const convs = new Map<string, Conv>();
  let failures = 0;
  let messages = 0;

  // A page is opened (epochs, then signatures and AEAD, in the crypto workers) as soon as
  // it arrives, while the pages before it may still be in the workers; each conversation's
  // transcript then observes the messages in log order, page after page. Epoch records
  // open one page after another (a later page's messages may need an earlier page's epoch).
  let epochsOpened: Promise<void> = Promise.resolve();
  let observed: Promise<void> = Promise.resolve();
  const ingest = (entries: Entry[]): Promise<void> => {
    const byConv = new Map<string, Entry[]>();
    for (const e of entries) (byConv.get(e.conversationId) ?? byConv.set(e.conversationId, []).get(e.conversationId)!).push(e);
    const lists = [...byConv].map(([cid, list]) => {
      let conv = convs.get(cid);
      if (!conv) convs.set(cid, (conv = { epochs: new Map(), transcript: emptyTranscript(), last: null, count: 0 }));
      return { cid, conv, list: list.sort((a, b2) => a.seq - b2.seq) };
    });
    const before = epochsOpened;
    const epochsHere = before.then(() => Promise.all(lists.map(async ({ cid, conv, list }) => {
      for (const e of list) {
        if (e.kind !== 'epoch') continue;
        const rec = e.body as EpochRecord;
        await Promise.all(rec.members.map((m) => (pinned.has(m.userId) ? undefined : pin(m.userId))));
        try {
          const opened = await openEpoch(rec, { me, previous: null, conversationId: cid, resolveIdentity: (u) => pinned.get(u) });
          conv.epochs.set(rec.epoch, opened);
        } catch {
          failures++;
        }
      }
    })));
    epochsOpened = epochsHere.then(() => undefined);
    const opening = epochsHere.then(() => Promise.all(lists.map(({ cid, conv, list }) => {
      const msgs = list.filter((e) => e.kind === 'message');
      return Promise.all(msgs.map((e) => openMessage(e.body as Envelope, { conversationId: cid, epochs: conv.epochs, resolveIdentity: (u) => pinned.get(u), crypto })))
        .then((opened) => ({ conv, msgs, opened }));
    })));
    const previous = observed;
    observed = Promise.all([previous, opening]).then(([, results]) => {
      for (const { conv, msgs, opened } of results) {
        for (let i = 0; i < msgs.length; i++) {
          const r = opened[i]!;
          const env = msgs[i]!.body as Envelope;
          if (!r.ok) {
            failures++;
            continue;
          }
          const obs = observe(conv.transcript, env, r.hash);
          conv.transcript = obs.state;
          if (obs.verdict !== 'ok') failures++;
          messages++;
          conv.count++;
          conv.last = { body: r.plaintext.body, at: r.plaintext.composedAt, sender: env.sender };
        }
      }
    });
    return observed;
  };

  // Pull page after page; the next page is fetched as soon as one arrives, and at most
  // two pages are being opened meanwhile: three pages held at most, so memory stays flat
  // however long the history.
  let cursors: Record<string, number> = {};
  type Page = { entries: Entry[]; cursors: Record<string, number>; hasMore: boolean };
  let pending: Promise<Page> | null = api<Page>('POST', '/sync', { cursors }, token);
  const working: Promise<void>[] = [];
  for (let page = 0; pending && page < 10_000; page++) {
    const res: Page = await pending;
    cursors = { ...cursors, ...res.cursors };
    pending = res.hasMore && res.entries.length > 0 ? api<Page>('POST', '/sync', { cursors }, token) : null;
    working.push(ingest(res.entries));
    if (working.length >= 2) await working.shift();
  }
  await observed;
  mark('history verified and opened');

  const list = document.createElement('ul');
  list.id = 'conversations';
  const sorted = [...convs].sort((a, b2) => (b2[1].last?.at ?? 0) - (a[1].last?.at ?? 0));
  for (const [cid, c] of sorted) {
    const li = document.createElement('li');
    li.dataset.conversationId = cid;
    li.textContent = `${c.last?.sender ?? ''}: ${c.last?.body ?? ''} (${c.count})`;
    list.append(li);
  }
  document.body.append(list);
  await new Promise((r) => requestAnimationFrame(() => r(undefined)));
  mark('list rendered');
  if (crypto.fellBack) throw new Error('the crypto workers failed: the restore ran on the main thread');
  crypto.close();
  return { totalMs: performance.now() - t0, marks, conversations: convs.size, messages, failures };
}

(globalThis as any).__bench = { rawOps, pipelineRestore };
