import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  LIMITS, PURPOSE, canonical, signRegistration, createEpoch, envelopeHash, envelopeSigningInput, fromBase64Url, openMessage, parseEnvelope, sealMessage, toBase64Url,
  type Envelope, type EnvelopeV1, type EpochMember, type MessagePlaintext, type OpenResult,
} from '../src/index.ts';
import { getAt, leafPaths, loadFixtures, mutationsOf, setAt, type Fixtures } from './fixtures.ts';

let f: Fixtures;
let key0: CryptoKey;
let members0: EpochMember[];
const conv = 'conv-env-test';
const uuid = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

beforeAll(async () => {
  f = await loadFixtures();
  const e = await createEpoch({ conversationId: conv, epoch: 0, creator: f.ids.alice, members: [f.pub.alice, f.pub.bob], previous: null });
  key0 = e.key;
  members0 = e.record.members;
});

function ctx(over: Partial<Parameters<typeof openMessage>[1]> = {}): Parameters<typeof openMessage>[1] {
  return { conversationId: conv, epochs: new Map([[0, { key: key0, members: members0 }]]), resolveIdentity: f.resolve, ...over };
}

async function seal(body: string, counter = 1, prevHash: string | null = null, sender = f.ids.alice): Promise<Envelope> {
  return sealMessage({ conversationId: conv, epoch: 0, epochKey: key0, sender, clientMessageId: uuid(counter), counter, prevHash, plaintext: { type: 'text', body, composedAt: 1000 + counter } });
}

async function resign(env: Envelope, signer = f.ids.alice): Promise<Envelope> {
  const s = await crypto.subtle.sign({ name: 'Ed25519' }, signer.signing.privateKey, envelopeSigningInput(env) as Uint8Array<ArrayBuffer>);
  return { ...env, sig: toBase64Url(new Uint8Array(s)) };
}

describe('envelope round trips', () => {
  it('ENV1, OPEN1: seal then open returns the plaintext and the chain hash', async () => {
    const env = await seal('hello');
    const r = await openMessage(env, ctx());
    expect(r).toEqual({ ok: true, plaintext: { type: 'text', body: 'hello', composedAt: 1001 }, hash: await envelopeHash(env) });
  });

  it('ENV1: an ImportedIdentity from resolveIdentity works like a PublicIdentity', async () => {
    const env = await seal('hi');
    const r = await openMessage(env, ctx({ resolveIdentity: (u) => (u === 'alice' ? f.imported.alice : undefined) }));
    expect(r.ok).toBe(true);
  });

  it('ENV1, ENV6: property: any text or receipt round-trips through JSON transport', async () => {
    const ptArb: fc.Arbitrary<MessagePlaintext> = fc.oneof(
      fc.record({ type: fc.constant('text' as const), body: fc.string({ unit: 'grapheme', maxLength: 400 }), composedAt: fc.nat() }),
      fc.record({ type: fc.constant('receipt' as const), body: fc.constant(''), composedAt: fc.nat(), refs: fc.array(fc.uuid({ version: 4 }), { minLength: 1, maxLength: 5 }) }),
    );
    await fc.assert(
      fc.asyncProperty(ptArb, fc.integer({ min: 1, max: 1000 }), async (pt, counter) => {
        const env = await sealMessage({ conversationId: conv, epoch: 0, epochKey: key0, sender: f.ids.bob, clientMessageId: uuid(counter), counter, prevHash: counter === 1 ? null : 'ab'.repeat(32), plaintext: pt });
        const wire = JSON.parse(JSON.stringify(env)) as Envelope;
        const r = await openMessage(wire, ctx());
        expect(r).toEqual({ ok: true, plaintext: pt, hash: await envelopeHash(env) });
      }),
      { numRuns: 60 },
    );
  });

  it('ENV4: every envelope has a fresh 96-bit IV', async () => {
    const ivs = new Set<string>();
    for (let i = 0; i < 50; i++) ivs.add((await seal('same')).iv);
    expect(ivs.size).toBe(50);
    expect(fromBase64Url([...ivs][0]!).length).toBe(12);
  });

  it('ENV5, T7: the ciphertext length is the padding bucket, not the message length', async () => {
    const sizes = new Map<number, number>();
    for (const n of [0, 1, 50, 150, 200, 300, 900, 2000, 8000]) {
      const env = await seal('x'.repeat(n));
      sizes.set(n, fromBase64Url(env.encryptedContent).length);
    }
    for (const size of sizes.values()) expect(LIMITS.paddingBuckets).toContain(size);
    expect(sizes.get(0)).toBe(sizes.get(150));
    expect(sizes.get(1)).toBe(256);
  });

  it('ENV5: a body above the limit is refused at seal time', async () => {
    await expect(seal('x'.repeat(LIMITS.maxBodyChars + 1))).rejects.toMatchObject({ code: 'malformed' });
  });

  it('ENV2: counter 1 has no prevHash and later counters must have one', async () => {
    await expect(seal('x', 1, 'ab'.repeat(32))).rejects.toMatchObject({ code: 'malformed' });
    await expect(seal('x', 2, null)).rejects.toMatchObject({ code: 'malformed' });
  });

  it('ENV8: envelopeHash chains each message to the previous one', async () => {
    const a = await seal('one');
    const b = await seal('two', 2, await envelopeHash(a));
    expect(b.prevHash).toBe(await envelopeHash(a));
    expect(await envelopeHash(b)).not.toBe(await envelopeHash(a));
  });
});

describe('opening refuses, with a named reason', () => {
  it('OPEN2, T3: a message from another conversation is wrong-conversation (reflection)', async () => {
    const env = await seal('hi');
    expect(await openMessage(env, ctx({ conversationId: 'conv-other' }))).toEqual({ ok: false, error: 'wrong-conversation' });
  });

  it('OPEN3, KEY6, M2: a sender without a pinned key is unknown-sender', async () => {
    const env = await seal('hi');
    expect(await openMessage(env, ctx({ resolveIdentity: () => undefined }))).toEqual({ ok: false, error: 'unknown-sender' });
  });

  it('OPEN3, M2: a pinned key that names someone else (a resolver handing back another user\'s key) is unknown-sender', async () => {
    const env = await seal('hi');
    expect(await openMessage(env, ctx({ resolveIdentity: () => f.pub.bob }))).toEqual({ ok: false, error: 'unknown-sender' });
  });

  it('OPEN4, G3, T3: a member forging in another member\'s name is bad-signature', async () => {
    const env = await seal('I am bob', 1, null, f.ids.alice);
    expect(await openMessage({ ...env, sender: 'bob' }, ctx())).toEqual({ ok: false, error: 'bad-signature' });
    // and re-signing as alice with sender=bob fails too: bob's pinned key does not verify it
    expect(await openMessage(await resign({ ...env, sender: 'bob' }), ctx())).toEqual({ ok: false, error: 'bad-signature' });
  });

  it('OPEN4, M2: a key swapped in the directory does not verify against the pinned key', async () => {
    const env = await seal('hi', 1, null, f.ids.mallory);
    const asAlice = await resign({ ...env, sender: 'alice' }, f.ids.mallory);
    expect(await openMessage(asAlice, ctx())).toEqual({ ok: false, error: 'bad-signature' });
  });

  it('OPEN5, M1: a pinned contact who is not in the epoch is not-a-member', async () => {
    const env = await seal('let me in', 1, null, f.ids.mallory);
    expect(await openMessage(env, ctx())).toEqual({ ok: false, error: 'not-a-member' });
  });

  it('OPEN5: a member listed with another key (pin changed since) is not-a-member', async () => {
    const env = await seal('hi');
    const members = members0.map((m) => (m.userId === 'alice' ? { ...m, fingerprint: 'ab'.repeat(32) } : m));
    expect(await openMessage(env, ctx({ epochs: new Map([[0, { key: key0, members }]]) }))).toEqual({ ok: false, error: 'not-a-member' });
  });

  it('OPEN5: an epoch this client never opened is unknown-epoch', async () => {
    const env = await resign({ ...(await seal('hi')), epoch: 5 });
    expect(await openMessage(env, ctx())).toEqual({ ok: false, error: 'unknown-epoch' });
  });

  it('OPEN6, ENV3, M7: every header field is additional data (re-signed header changes are tampered)', async () => {
    const env = await seal('hi', 2, 'cd'.repeat(32));
    const changes: Partial<EnvelopeV1>[] = [
      { clientMessageId: uuid(99) }, { counter: 3 }, { prevHash: 'ce'.repeat(32) }, { iv: toBase64Url(new Uint8Array(12)) },
      { tag: toBase64Url(new Uint8Array(16)) },
    ];
    for (const c of changes) {
      expect(await openMessage(await resign({ ...env, ...c }), ctx())).toEqual({ ok: false, error: 'tampered' });
    }
    // epoch and conversation in the AAD: same key known under another epoch number / conversation
    const moved = await resign({ ...env, epoch: 1 });
    const epochs = new Map([[0, { key: key0, members: members0 }], [1, { key: key0, members: members0 }]]);
    expect(await openMessage(moved, ctx({ epochs }))).toEqual({ ok: false, error: 'tampered' });
    const other = await resign({ ...env, conversationId: 'conv-b' });
    expect(await openMessage(other, ctx({ conversationId: 'conv-b' }))).toEqual({ ok: false, error: 'tampered' });
  });

  it('OPEN6, M4: a message under another epoch key is tampered', async () => {
    const other = await createEpoch({ conversationId: conv, epoch: 0, creator: f.ids.alice, members: [f.pub.alice, f.pub.bob], previous: null });
    const env = await sealMessage({ conversationId: conv, epoch: 0, epochKey: other.key, sender: f.ids.alice, clientMessageId: uuid(1), counter: 1, prevHash: null, plaintext: { type: 'text', body: 'x', composedAt: 1 } });
    expect(await openMessage(env, ctx())).toEqual({ ok: false, error: 'tampered' });
  });

  it('WIRE1: a newer version is unsupported-version, junk is malformed, never a throw', async () => {
    const env = await seal('hi');
    expect(await openMessage({ ...env, v: 3 } as unknown as Envelope, ctx())).toEqual({ ok: false, error: 'unsupported-version' });
    for (const junk of [null, 1, 'x', [], {}, { ...env, extra: 1 }, { ...env, counter: 0 }]) {
      expect(await openMessage(junk as unknown as Envelope, ctx())).toEqual({ ok: false, error: 'malformed' });
    }
  });

  it('WIRE5: parseEnvelope accepts what sealMessage makes and nothing with a wrong size', async () => {
    const env = await seal('hi');
    expect(parseEnvelope(JSON.parse(JSON.stringify(env)))).toEqual(env);
    expect(() => parseEnvelope({ ...env, iv: toBase64Url(new Uint8Array(16)) })).toThrow(/iv/);
    expect(() => parseEnvelope({ ...env, clientMessageId: 'ABCDEF00-0000-4000-8000-000000000001' })).toThrow(/UUID/);
    expect(JSON.stringify(env).length).toBeLessThan(LIMITS.maxEnvelopeBytes);
  });
});

describe('tamper: every byte of every field, and swaps', () => {
  it('ENV7, M7, G3: flipping any byte or value of any field never opens', async () => {
    const env = await seal('tamper me', 2, 'ab'.repeat(32));
    expect((await openMessage(env, ctx())).ok).toBe(true);
    let tried = 0;
    for (const path of leafPaths(env)) {
      for (const m of mutationsOf(getAt(env, path))) {
        const r: OpenResult = await openMessage(setAt(env, path, m), ctx());
        expect(r.ok, `${path.join('.')} = ${String(m)}`).toBe(false);
        tried++;
      }
    }
    expect(tried).toBeGreaterThan(400);
  });

  it('ENV7, G2: swapping any field between two valid envelopes never opens', async () => {
    const a = await seal('first', 3, 'ab'.repeat(32));
    const b = await seal('second', 4, 'cd'.repeat(32), f.ids.bob);
    for (const path of leafPaths(a)) {
      const swapped = setAt(a, path, getAt(b, path));
      if (JSON.stringify(swapped) === JSON.stringify(a)) continue;
      expect((await openMessage(swapped, ctx())).ok, path.join('.')).toBe(false);
    }
  });
});

describe('authentic but wrong', () => {
  it('OPEN7: a member who encrypts a badly padded plaintext gets malformed, not a crash', async () => {
    const header = { v: 1 as const, type: 'message' as const, conversationId: conv, epoch: 0, sender: 'alice', clientMessageId: uuid(7), counter: 1, prevHash: null };
    const aad = canonical(PURPOSE.messageAad, [header.v, header.type, header.conversationId, header.epoch, header.sender, header.clientMessageId, header.counter, header.prevHash]);
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const junk = new Uint8Array(256).fill(0xff); // length prefix far beyond the bucket
    const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad as Uint8Array<ArrayBuffer> }, key0, junk));
    const env = await resign({ ...header, iv: toBase64Url(iv), encryptedContent: toBase64Url(sealed.subarray(0, 256)), tag: toBase64Url(sealed.subarray(256)), sig: '' });
    expect(await openMessage(env, ctx())).toEqual({ ok: false, error: 'malformed' });
  });

  it('R2, G3: a receipt is a signed, encrypted message; a forged receipt does not open', async () => {
    const receipt = await sealMessage({ conversationId: conv, epoch: 0, epochKey: key0, sender: f.ids.bob, clientMessageId: uuid(1), counter: 1, prevHash: null, plaintext: { type: 'receipt', body: '', composedAt: 5, refs: [uuid(42)] } });
    expect(await openMessage(receipt, ctx())).toMatchObject({ ok: true, plaintext: { type: 'receipt', refs: [uuid(42)] } });
    expect(await openMessage({ ...receipt, sender: 'alice' }, ctx())).toEqual({ ok: false, error: 'bad-signature' });
    const byOutsider = await sealMessage({ conversationId: conv, epoch: 0, epochKey: key0, sender: f.ids.mallory, clientMessageId: uuid(2), counter: 1, prevHash: null, plaintext: { type: 'receipt', body: '', composedAt: 5, refs: [uuid(42)] } });
    expect(await openMessage(byOutsider, ctx())).toEqual({ ok: false, error: 'not-a-member' });
  });

  it('M5, T2, PUR1: signatures made for another purpose by the same key are not message signatures', async () => {
    const env = await seal('hi');
    const registration = await signRegistration(f.ids.alice);
    expect(await openMessage({ ...env, sig: registration }, ctx())).toEqual({ ok: false, error: 'bad-signature' });
    const epoch = await createEpoch({ conversationId: conv, epoch: 0, creator: f.ids.alice, members: [f.pub.alice, f.pub.bob], previous: null });
    expect(await openMessage({ ...env, sig: epoch.record.sig }, ctx())).toEqual({ ok: false, error: 'bad-signature' });
    // the same header bytes under the AAD purpose and the signature purpose differ
    expect(canonical(PURPOSE.messageAad, [1])).not.toEqual(canonical(PURPOSE.message, [1]));
  });
});
