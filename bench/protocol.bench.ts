// Protocol cost against the raw WebCrypto/Argon2id work it cannot avoid, measured
// in the same run (interleaved rounds, median per operation). Run:
//   npx tsx bench/protocol.bench.ts
import { pathToFileURL } from 'node:url';
import { argon2id } from 'hash-wasm';
import keysJson from '../protocol/vectors/keys.json';
import keyfileJson from '../protocol/vectors/keyfile.json';
import {
  createEpoch, envelopeSigningInput, epochSigningInput, fingerprint, fromBase64Url, importIdentityKeys, importKeyFile, importPublicIdentity,
  openEpoch, openMessage, openNextEpoch, sealMessage, wrapLabel, type Envelope, type ImportedIdentity, type KeyFileJson, type PublicIdentity,
} from '../protocol/src/index.ts';

export interface BenchRow { name: string; value: number; unit: string; ceiling: number; ratio: number; note?: string }

const CEILING = 1.3;
const subtle = globalThis.crypto.subtle;
type Op = () => Promise<unknown>;

/**
 * Microseconds per call of each op. Rounds alternate ours/raw back to back, and
 * the ratio is the median of the per-round ratios, so load from other processes
 * on a shared machine hits both sides of each ratio alike.
 */
async function compare(ours: Op, raw: Op, perRound: number, rounds: number): Promise<{ ours: number; raw: number; ratio: number }> {
  for (let i = 0; i < Math.min(perRound, 50); i++) {
    await ours();
    await raw();
  }
  const o: number[] = [];
  const r: number[] = [];
  for (let k = 0; k < rounds; k++) {
    for (const [op, into] of (k % 2 === 0 ? [[raw, r], [ours, o]] : [[ours, o], [raw, r]]) as [Op, number[]][]) {
      const t0 = performance.now();
      for (let i = 0; i < perRound; i++) await op();
      into.push(((performance.now() - t0) * 1000) / perRound);
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { ours: median(o), raw: median(r), ratio: median(o.map((x, i) => x / r[i]!)) };
}

function row(name: string, m: { ours: number; raw: number; ratio: number }, unit: 'µs' | 'ms', note: string): BenchRow {
  const scale = unit === 'ms' ? 1000 : 1;
  return { name, value: round(m.ours / scale), unit: `${unit}/op`, ceiling: CEILING, ratio: round(m.ratio), note: `${note}; raw ${round(m.raw / scale)} ${unit}` };
}
const round = (x: number): number => Math.round(x * 100) / 100;

export async function runProtocolBench(): Promise<BenchRow[]> {
  const pins = new Map<string, PublicIdentity>();
  const ids = new Map<string, Awaited<ReturnType<typeof importIdentityKeys>>>();
  for (const k of keysJson.identities) {
    const pub = k.public as PublicIdentity;
    pins.set(k.userId, pub);
    ids.set(k.userId, await importIdentityKeys(pub, fromBase64Url(k.encryptionPkcs8), fromBase64Url(k.signingPkcs8)));
  }
  const alice = ids.get('alice')!;
  const bob = ids.get('bob')!;
  const imported = new Map(await Promise.all([...pins].map(async ([u, p]) => [u, await importPublicIdentity(p)] as const)));
  const conv = 'conv-bench';
  const { record, key } = await createEpoch({ conversationId: conv, epoch: 0, creator: alice, members: [alice.public, bob.public], previous: null });
  const opened = await openEpoch(record, { me: bob, previous: null, resolveIdentity: (u) => pins.get(u) });
  const plaintext = { type: 'text' as const, body: 'See you at eight at the usual place.', composedAt: 1_700_000_000_000 };
  let counter = 0;
  const seal = (): Promise<Envelope> =>
    sealMessage({ conversationId: conv, epoch: 0, epochKey: key, sender: alice, clientMessageId: crypto.randomUUID(), counter: ++counter, prevHash: counter === 1 ? null : 'ab'.repeat(32), plaintext });
  const sample = await seal();
  const ct = fromBase64Url(sample.encryptedContent); // 256-byte bucket
  const signInput = envelopeSigningInput(sample) as Uint8Array<ArrayBuffer>;
  const aad = new Uint8Array(160);
  const rows: BenchRow[] = [];

  // 1. seal+sign vs AES-GCM encrypt (same padded size) + Ed25519 sign (same input size)
  const plain = new Uint8Array(ct.length);
  rows.push(row('protocol seal+sign per message', await compare(
    () => seal(),
    async () => {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, key, plain);
      await subtle.sign({ name: 'Ed25519' }, alice.signing.privateKey, signInput);
    },
    300, 15,
  ), 'µs', `sealMessage vs AES-GCM ${ct.length} B + Ed25519 sign ${signInput.length} B`));

  // 2. verify+open vs Ed25519 verify + AES-GCM decrypt of the same sizes
  const envs = await Promise.all(Array.from({ length: 64 }, () => seal()));
  const ctx = { conversationId: conv, epochs: new Map([[0, opened]]), resolveIdentity: (u: string) => imported.get(u) };
  const sealedRaw = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv: new Uint8Array(12), additionalData: aad }, key, plain));
  const sig = new Uint8Array(await subtle.sign({ name: 'Ed25519' }, alice.signing.privateKey, signInput));
  let n = 0;
  rows.push(row('protocol verify+open per message', await compare(
    async () => {
      const r = await openMessage(envs[n++ % envs.length]!, ctx);
      if (!r.ok) throw new Error(r.error);
    },
    async () => {
      await subtle.verify({ name: 'Ed25519' }, imported.get('alice')!.signingKey, sig, signInput);
      await subtle.decrypt({ name: 'AES-GCM', iv: new Uint8Array(12), additionalData: aad }, key, sealedRaw);
    },
    300, 15,
  ), 'µs', 'openMessage (pinned ImportedIdentity) vs Ed25519 verify + AES-GCM decrypt, incl. envelopeHash'));

  // 3. epoch unwrap vs one RSA-OAEP-3072 decrypt
  const wrapped = fromBase64Url(record.wrappedKeys.find((w) => w.userId === 'bob')!.wrappedKey) as Uint8Array<ArrayBuffer>;
  const label = wrapLabel(conv, 0, 'bob') as Uint8Array<ArrayBuffer>;
  rows.push(row('protocol epoch unwrap (openEpoch, 2 members)', await compare(
    () => openEpoch(record, { me: bob, previous: null, resolveIdentity: (u) => imported.get(u) }),
    () => subtle.decrypt({ name: 'RSA-OAEP', label }, bob.encryption.privateKey, wrapped),
    20, 7,
  ), 'ms', 'openEpoch vs RSA-OAEP 3072 decrypt'));

  // 4. a group of 256 (GRP1): make the epoch (256 RSA-OAEP wraps, one signature) and open
  // it as one member (signature, 256 listed keys checked, one unwrap), each against the
  // raw RSA-OAEP and Ed25519 work it cannot avoid. Members are bob's keys under 255 user ids
  // (pinned, imported once: what a client holds); sending to the group is still one envelope
  // (row 1: a message is sealed once under the epoch key, whatever the member count).
  const bobImported = imported.get('bob')!;
  const groupMembers: ImportedIdentity[] = [imported.get('alice')!];
  for (let i = 0; i < 255; i++) {
    const pub = { ...bob.public, userId: `m${String(i).padStart(3, '0')}` };
    groupMembers.push({ ...bobImported, pub, fingerprint: await fingerprint(pub) });
  }
  const byId = new Map(groupMembers.map((m) => [m.pub.userId, m]));
  const group = { name: 'Two hundred and fifty-six', admins: ['alice'] };
  const big = await createEpoch({ conversationId: conv, epoch: 0, creator: alice, members: groupMembers, previous: null, group });
  const raw32 = new Uint8Array(32);
  const bigInput = epochSigningInput(big.record) as Uint8Array<ArrayBuffer>;
  rows.push(row('protocol group epoch wrap (createEpoch, 256 members)', await compare(
    () => createEpoch({ conversationId: conv, epoch: 0, creator: alice, members: groupMembers, previous: null, group }),
    async () => {
      await Promise.all(groupMembers.map((m) => subtle.encrypt({ name: 'RSA-OAEP', label: wrapLabel(conv, 0, m.pub.userId) as Uint8Array<ArrayBuffer> }, m.encryptionKey, raw32)));
      await subtle.sign({ name: 'Ed25519' }, alice.signing.privateKey, bigInput);
    },
    2, 7,
  ), 'ms', 'createEpoch with a name and admins vs 256 RSA-OAEP 3072 encrypts + one Ed25519 sign'));
  const m007 = { ...bob, userId: 'm007', public: { ...bob.public, userId: 'm007' } };
  const bigWrapped = fromBase64Url(big.record.wrappedKeys.find((w) => w.userId === 'm007')!.wrappedKey) as Uint8Array<ArrayBuffer>;
  const bigSig = fromBase64Url(big.record.sig) as Uint8Array<ArrayBuffer>;
  rows.push(row('protocol group epoch verify+open (openNextEpoch, 256 members)', await compare(
    () => openNextEpoch(big.record, { me: m007, held: [], conversationId: conv, resolveIdentity: (u) => byId.get(u) }),
    async () => {
      await subtle.verify({ name: 'Ed25519' }, imported.get('alice')!.signingKey, bigSig, bigInput);
      await subtle.decrypt({ name: 'RSA-OAEP', label: wrapLabel(conv, 0, 'm007') as Uint8Array<ArrayBuffer> }, bob.encryption.privateKey, bigWrapped);
    },
    10, 7,
  ), 'ms', 'openNextEpoch (parse, signature, 256 pinned keys checked, unwrap, commitment) vs Ed25519 verify + one RSA-OAEP 3072 decrypt'));

  // 5. key-file import vs Argon2id (same parameters) + AES-GCM decrypt + PKCS#8 imports
  const kf = JSON.parse(keyfileJson.keyFile) as KeyFileJson;
  const k = keysJson.identities.find((x) => x.userId === 'alice')!;
  const encPkcs8 = fromBase64Url(k.encryptionPkcs8) as Uint8Array<ArrayBuffer>;
  const sigPkcs8 = fromBase64Url(k.signingPkcs8) as Uint8Array<ArrayBuffer>;
  const kfCt = new Uint8Array(fromBase64Url(kf.ciphertext).length - 16);
  rows.push(row('protocol key-file import (Argon2id 64 MiB, 3 passes)', await compare(
    () => importKeyFile(keyfileJson.keyFile, keyfileJson.passphrase),
    async () => {
      const raw = await argon2id({ password: keyfileJson.passphrase, salt: fromBase64Url(kf.kdf.salt), parallelism: 1, iterations: 3, memorySize: 65536, hashLength: 32, outputType: 'binary' });
      const aesKey = await subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, 'AES-GCM', false, ['encrypt', 'decrypt']);
      const iv = new Uint8Array(12);
      const c = await subtle.encrypt({ name: 'AES-GCM', iv }, aesKey, kfCt); // same-size ciphertext for the timed decrypt
      await subtle.decrypt({ name: 'AES-GCM', iv }, aesKey, c);
      await subtle.importKey('pkcs8', encPkcs8, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['decrypt']);
      await subtle.importKey('pkcs8', sigPkcs8, { name: 'Ed25519' }, false, ['sign']);
    },
    1, 7,
  ), 'ms', 'importKeyFile vs Argon2id + AES-GCM decrypt + 2 PKCS#8 imports (raw also pays one extra AES-GCM encrypt)'));
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await runProtocolBench();
  for (const r of rows) {
    const flag = r.ratio <= r.ceiling ? 'ok ' : 'OVER';
    console.log(`${flag} ${r.name}: ${r.value} ${r.unit}  ratio ${r.ratio} (ceiling ${r.ceiling})  — ${r.note ?? ''}`);
  }
  if (rows.some((r) => r.ratio > r.ceiling)) process.exitCode = 1;
}
