// Generates protocol/vectors/*.json. Run: npx tsx protocol/scripts/make-vectors.ts
// The vectors are checked in; tests open each one and expect the recorded
// plaintext or failure. Randomness (keys, IVs, salts) is fresh on every run,
// so regenerating changes the bytes but never the expectations.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  canonical, createEpoch, fingerprint, importIdentityKeys, safetyNumber, sealMessage, signLoginProof, toBase64Url, toHex,
  envelopeSigningInput, epochSigningInput, fromBase64Url, writeKeyFile, envelopeHash, epochHash,
  type Envelope, type EpochRecord, type Identity, type PublicIdentity, type MessagePlaintext,
} from '../src/index.ts';

const dir = fileURLToPath(new URL('../vectors/', import.meta.url));
const subtle = globalThis.crypto.subtle;

interface KeyVector { userId: string; public: PublicIdentity; encryptionPkcs8: string; signingPkcs8: string; fingerprint: string }

async function makeKeys(userId: string): Promise<{ v: KeyVector; id: Identity }> {
  const enc = await subtle.generateKey({ name: 'RSA-OAEP', modulusLength: 3072, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['encrypt', 'decrypt']);
  const sig = (await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const pub: PublicIdentity = {
    v: 1, userId,
    encryptionKey: toBase64Url(new Uint8Array(await subtle.exportKey('spki', enc.publicKey))),
    signingKey: toBase64Url(new Uint8Array(await subtle.exportKey('raw', sig.publicKey))),
  };
  const encryptionPkcs8 = new Uint8Array(await subtle.exportKey('pkcs8', enc.privateKey));
  const signingPkcs8 = new Uint8Array(await subtle.exportKey('pkcs8', sig.privateKey));
  const id = await importIdentityKeys(pub, encryptionPkcs8, signingPkcs8);
  return { v: { userId, public: pub, encryptionPkcs8: toBase64Url(encryptionPkcs8), signingPkcs8: toBase64Url(signingPkcs8), fingerprint: await fingerprint(pub) }, id };
}

function write(name: string, data: unknown): void {
  writeFileSync(dir + name, JSON.stringify(data, null, 2) + '\n');
}

async function resign(env: Envelope, id: Identity): Promise<Envelope> {
  const s = await subtle.sign({ name: 'Ed25519' }, id.signing.privateKey, envelopeSigningInput(env) as Uint8Array<ArrayBuffer>);
  return { ...env, sig: toBase64Url(new Uint8Array(s)) };
}

function flipB64(s: string, i = 0): string {
  const b = fromBase64Url(s);
  b[i] = b[i]! ^ 1;
  return toBase64Url(b);
}

const users = ['alice', 'bob', 'carol', 'mallory'] as const;
const made = Object.fromEntries(await Promise.all(users.map(async (u) => [u, await makeKeys(u)] as const))) as Record<(typeof users)[number], { v: KeyVector; id: Identity }>;
const { alice, bob, carol, mallory } = { alice: made.alice.id, bob: made.bob.id, carol: made.carol.id, mallory: made.mallory.id };

// --- canonical encoding known answers (CANON1)
const canonCases: { purpose: string; fields: ({ text: string } | { bytes: string } | { uint: number } | { null: true })[] }[] = [
  { purpose: 'MessageHub-msg-v1', fields: [] },
  { purpose: 'MessageHub-msg-v1', fields: [{ text: 'ab' }, { text: 'c' }] },
  { purpose: 'MessageHub-msg-v1', fields: [{ text: 'a' }, { text: 'bc' }] },
  { purpose: 'MessageHub-epoch-v1', fields: [{ uint: 1 }, { null: true }, { bytes: 'AAEC' }, { uint: 2 ** 40 + 5 }, { text: 'é' }] },
];
write('canonical.json', {
  description: 'CANON1: purpose || count || (tag || u32 length || value)*; tags 0 null, 1 bytes, 2 UTF-8 text, 3 u64',
  cases: canonCases.map((c) => ({
    ...c,
    hex: toHex(canonical(c.purpose, c.fields.map((f) => ('text' in f ? f.text : 'bytes' in f ? fromBase64Url(f.bytes) : 'uint' in f ? f.uint : null)))),
  })),
});

// --- identities, fingerprints, safety numbers, login proof
const nonce = toBase64Url(new Uint8Array(32).map((_, i) => i));
write('keys.json', {
  description: 'Fixed test identities (RSA-OAEP 3072 SHA-256 PKCS#8/SPKI, Ed25519 PKCS#8/raw). Test keys only.',
  identities: users.map((u) => made[u].v),
  safetyNumbers: [
    { a: 'alice', b: 'bob', ...(await safetyNumber(alice.public, bob.public)) },
    { a: 'carol', b: 'alice', ...(await safetyNumber(carol.public, alice.public)) },
  ],
  loginProofs: [
    { userId: 'alice', nonce, origin: 'https://messagehub.example', proof: await signLoginProof(alice, { nonce, origin: 'https://messagehub.example' }), expect: true },
    { userId: 'alice', nonce, origin: 'https://evil.example', proof: await signLoginProof(alice, { nonce, origin: 'https://messagehub.example' }), expect: false },
  ],
});

// --- epochs: 0 by alice (alice, bob); 1 by bob adding carol; failures
const conv = 'conv-7f3a';
const e0 = await createEpoch({ conversationId: conv, epoch: 0, creator: alice, members: [alice.public, bob.public], previous: null, createdAt: 1_700_000_000_000 });
const e1 = await createEpoch({ conversationId: conv, epoch: 1, creator: bob, members: [alice.public, bob.public, carol.public], previous: e0.record, createdAt: 1_700_000_100_000 });
// M1: mallory (a pinned contact, never a member) makes a correctly chained,
// correctly signed epoch 1 that adds her. createEpoch refuses to, so sign by hand.
const fakePrev = await createEpoch({ conversationId: conv, epoch: 0, creator: mallory, members: [alice.public, bob.public, mallory.public], previous: null, createdAt: 1_700_000_000_000 });
const malloryDraft = await createEpoch({ conversationId: conv, epoch: 1, creator: mallory, members: [alice.public, bob.public, mallory.public], previous: fakePrev.record, createdAt: 1_700_000_200_000 });
const e0Hash = await epochHash(e0.record);
const malloryUnsigned = { ...malloryDraft.record, prevEpochHash: e0Hash };
const malloryE1: EpochRecord = {
  ...malloryUnsigned,
  sig: toBase64Url(new Uint8Array(await subtle.sign({ name: 'Ed25519' }, mallory.signing.privateKey, epochSigningInput(malloryUnsigned) as Uint8Array<ArrayBuffer>))),
};
const otherConv = await createEpoch({ conversationId: 'conv-other', epoch: 0, creator: alice, members: [alice.public, bob.public], previous: null, createdAt: 1_700_000_000_000 });
const swapped = { ...e1.record, wrappedKeys: e1.record.wrappedKeys.map((w) => (w.userId === 'alice' ? { ...w, wrappedKey: e0.record.wrappedKeys[0]!.wrappedKey } : w)) };
write('epochs.json', {
  description: 'Epoch records of conversation ' + conv + '. "open" cases name who opens, with which previous record, expecting members or an error code. Everyone pins the keys in keys.json.',
  records: { e0: e0.record, e1: e1.record, malloryE1, otherConv: otherConv.record, swappedWrap: swapped },
  cases: [
    { name: 'EPOCH8: epoch 0 opens for bob', record: 'e0', me: 'bob', previous: null, expect: { members: ['alice', 'bob'] } },
    { name: 'EPOCH8: epoch 0 opens for its creator', record: 'e0', me: 'alice', previous: null, expect: { members: ['alice', 'bob'] } },
    { name: 'EPOCH8: epoch 1 opens for carol', record: 'e1', me: 'carol', previous: 'e0', expect: { members: ['alice', 'bob', 'carol'] } },
    { name: 'EPOCH8: epoch 1 opens for alice', record: 'e1', me: 'alice', previous: 'e0', expect: { members: ['alice', 'bob', 'carol'] } },
    { name: 'EPOCH10/M1: carol is not in epoch 0', record: 'e0', me: 'carol', previous: null, expect: { error: 'not-a-member' } },
    { name: 'EPOCH8: epoch 1 without its previous', record: 'e1', me: 'carol', previous: null, expect: { error: 'broken-chain' } },
    { name: 'EPOCH10/M1: mallory, not a member of epoch 0, signs an epoch 1 adding herself', record: 'malloryE1', me: 'alice', previous: 'e0', expect: { error: 'not-a-member' } },
    { name: 'EPOCH8: mallory\'s epoch 1 offered after the wrong previous epoch', record: 'malloryE1', me: 'alice', previous: 'otherConv', expect: { error: 'wrong-conversation' } },
    { name: 'EPOCH1: a record from another conversation', record: 'otherConv', me: 'bob', previous: null, conversationId: conv, expect: { error: 'wrong-conversation' } },
    { name: 'G2: wrapped key pasted from epoch 0 (signature breaks)', record: 'swappedWrap', me: 'alice', previous: 'e0', expect: { error: 'bad-signature' } },
  ],
});

// --- envelopes in epoch 0
const epochs0 = { e0: e0.key, e1: e1.key };
const plaintexts: MessagePlaintext[] = [
  { type: 'text', body: 'hello bob', composedAt: 1_700_000_000_500 },
  { type: 'text', body: 'ünïcødé ✓ 🔐 '.repeat(30), composedAt: 1_700_000_000_600 },
  { type: 'receipt', body: '', composedAt: 1_700_000_000_700, refs: ['00000000-0000-4000-8000-000000000001'] },
];
const m1 = await sealMessage({ conversationId: conv, epoch: 0, epochKey: epochs0.e0, sender: alice, clientMessageId: '11111111-1111-4111-8111-111111111111', counter: 1, prevHash: null, plaintext: plaintexts[0]! });
const m2 = await sealMessage({ conversationId: conv, epoch: 0, epochKey: epochs0.e0, sender: alice, clientMessageId: '22222222-2222-4222-8222-222222222222', counter: 2, prevHash: await envelopeHash(m1), plaintext: plaintexts[1]! });
const m3 = await sealMessage({ conversationId: conv, epoch: 1, epochKey: epochs0.e1, sender: bob, clientMessageId: '33333333-3333-4333-8333-333333333333', counter: 1, prevHash: null, plaintext: plaintexts[2]! });
const byMallory = await sealMessage({ conversationId: conv, epoch: 0, epochKey: epochs0.e0, sender: mallory, clientMessageId: '44444444-4444-4444-8444-444444444444', counter: 1, prevHash: null, plaintext: { type: 'text', body: 'let me in', composedAt: 1 } });
const otherConvMsg = await sealMessage({ conversationId: 'conv-other', epoch: 0, epochKey: otherConv.key, sender: alice, clientMessageId: '55555555-5555-4555-8555-555555555555', counter: 1, prevHash: null, plaintext: plaintexts[0]! });
write('envelopes.json', {
  description: 'Envelopes of conversation ' + conv + ', opened by alice holding epochs 0 and 1 from epochs.json and pinning keys.json. Expect plaintext and hash, or an OpenFailure.',
  opener: 'alice',
  conversationId: conv,
  cases: [
    { name: 'ENV1: text message', envelope: m1, expect: { plaintext: plaintexts[0], hash: await envelopeHash(m1) } },
    { name: 'ENV5: longer unicode text, chained to the first', envelope: m2, expect: { plaintext: plaintexts[1], hash: await envelopeHash(m2) } },
    { name: 'R2: signed receipt in epoch 1', envelope: m3, expect: { plaintext: plaintexts[2], hash: await envelopeHash(m3) } },
    { name: 'OPEN4/G3: sender swapped to bob', envelope: { ...m1, sender: 'bob' }, expect: { error: 'bad-signature' } },
    { name: 'OPEN4: signature flipped', envelope: { ...m1, sig: flipB64(m1.sig) }, expect: { error: 'bad-signature' } },
    { name: 'OPEN6/M7: IV flipped and re-signed by the sender', envelope: await resign({ ...m1, iv: flipB64(m1.iv) }, alice), expect: { error: 'tampered' } },
    { name: 'OPEN6/M7: counter changed and re-signed by the sender', envelope: await resign({ ...m2, counter: 3 }, alice), expect: { error: 'tampered' } },
    { name: 'OPEN5/M1: mallory is not a member', envelope: byMallory, expect: { error: 'not-a-member' } },
    { name: 'OPEN5: unknown epoch', envelope: await resign({ ...m1, epoch: 9 }, alice), expect: { error: 'unknown-epoch' } },
    { name: 'OPEN2/T3: message from another conversation', envelope: otherConvMsg, expect: { error: 'wrong-conversation' } },
    { name: 'OPEN3: unknown sender', envelope: { ...m1, sender: 'zed' }, expect: { error: 'unknown-sender' } },
    { name: 'WIRE1: version 3', envelope: { ...m1, v: 3 }, expect: { error: 'unsupported-version' } },
    { name: 'WIRE5: extra field', envelope: { ...m1, extra: 1 }, expect: { error: 'malformed' } },
    { name: 'WIRE5: ciphertext not a bucket size', envelope: { ...m1, encryptedContent: toBase64Url(fromBase64Url(m1.encryptedContent).subarray(1)) }, expect: { error: 'malformed' } },
  ],
});

// --- key file with the real default KDF (64 MiB, 3 passes)
const passphrase = 'correct horse battery staple';
const keyFile = await writeKeyFile(
  { pub: alice.public, encryptionPkcs8: fromBase64Url(made.alice.v.encryptionPkcs8), signingPkcs8: fromBase64Url(made.alice.v.signingPkcs8) },
  passphrase,
);
write('keyfile.json', {
  description: 'KF1: key file of alice (keys.json) under the default Argon2id parameters. Open with the passphrase to get alice\'s public identity.',
  passphrase,
  keyFile,
  expect: { public: alice.public },
  failures: [
    { name: 'KF7: wrong passphrase', keyFile, passphrase: 'Correct horse battery staple', expect: 'wrong-passphrase' },
    { name: 'KF7: not JSON', keyFile: 'hello', passphrase, expect: 'not-a-key-file' },
    { name: 'KF7: another format', keyFile: JSON.stringify({ ...JSON.parse(keyFile), format: 'other' }), passphrase, expect: 'not-a-key-file' },
    { name: 'KF7: version 2', keyFile: JSON.stringify({ ...JSON.parse(keyFile), version: 2 }), passphrase, expect: 'unsupported-version' },
    { name: 'KF7: checksum off', keyFile: JSON.stringify({ ...JSON.parse(keyFile), checksum: flipB64(JSON.parse(keyFile).checksum) }), passphrase, expect: 'damaged' },
  ],
});
console.log('vectors written to', dir);
