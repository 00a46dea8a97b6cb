import { beforeAll, describe, expect, it } from 'vitest';
import {
  ProtocolError, createEpoch, epochHash, openEpoch, parseEpochRecord, sealMessage, openMessage, toBase64Url, wrapLabel,
  canonical, PURPOSE, sha256,
  type EpochRecord, type Identity, type PublicIdentity,
} from '../src/index.ts';
import { errorCode, getAt, leafPaths, loadFixtures, mutationsOf, resignEpoch, setAt, type Fixtures } from './fixtures.ts';

let f: Fixtures;
let e0: EpochRecord;
let e1: EpochRecord;
let e1b: EpochRecord;
const conv = 'conv-epoch-test';

beforeAll(async () => {
  f = await loadFixtures();
  e0 = (await createEpoch({ conversationId: conv, epoch: 0, creator: f.ids.alice, members: [f.pub.bob, f.pub.alice], previous: null })).record;
  e1 = (await createEpoch({ conversationId: conv, epoch: 1, creator: f.ids.bob, members: [f.pub.alice, f.pub.bob, f.pub.carol], previous: e0 })).record;
  e1b = (await createEpoch({ conversationId: conv, epoch: 1, creator: f.ids.alice, members: [f.pub.alice, f.pub.bob, f.pub.carol], previous: e0 })).record;
});

const open = (r: EpochRecord, me: Identity, previous: EpochRecord | null, resolve?: (u: string) => PublicIdentity | undefined) =>
  openEpoch(r, { me, previous, resolveIdentity: resolve ?? f.resolve });

describe('epochs', () => {
  it('EPOCH1, EPOCH2: every member opens the same key; members sorted with fingerprints', async () => {
    const { record, key } = await createEpoch({ conversationId: conv, epoch: 0, creator: f.ids.alice, members: [f.pub.bob, f.pub.alice], previous: null });
    expect(record.members.map((m) => m.userId)).toEqual(['alice', 'bob']);
    expect(record.members[1]!.fingerprint).toBe(f.imported.bob.fingerprint);
    const asBob = await open(record, f.ids.bob, null);
    const env = await sealMessage({ conversationId: conv, epoch: 0, epochKey: key, sender: f.ids.alice, clientMessageId: crypto.randomUUID(), counter: 1, prevHash: null, plaintext: { type: 'text', body: 'k', composedAt: 0 } });
    const r = await openMessage(env, { conversationId: conv, epochs: new Map([[0, asBob]]), resolveIdentity: f.resolve });
    expect(r.ok).toBe(true);
    expect(key.extractable).toBe(false);
    expect(asBob.key.extractable).toBe(false);
  });

  it('EPOCH7: createEpoch refuses a creator outside the member list or the previous epoch', async () => {
    await expect(createEpoch({ conversationId: conv, epoch: 0, creator: f.ids.carol, members: [f.pub.alice, f.pub.bob], previous: null })).rejects.toMatchObject({ code: 'not-a-member' });
    await expect(createEpoch({ conversationId: conv, epoch: 1, creator: f.ids.carol, members: [f.pub.alice, f.pub.carol], previous: e0 })).rejects.toMatchObject({ code: 'not-a-member' });
    await expect(createEpoch({ conversationId: conv, epoch: 2, creator: f.ids.alice, members: [f.pub.alice], previous: e0 })).rejects.toMatchObject({ code: 'broken-chain' });
  });

  it('EPOCH6, EPOCH8: the chain: epoch 1 opens only after the epoch 0 it hashes', async () => {
    expect(e1.prevEpochHash).toBe(await epochHash(e0));
    expect((await open(e1, f.ids.carol, e0)).members.map((m) => m.userId)).toEqual(['alice', 'bob', 'carol']);
    expect(await errorCode(open(e1, f.ids.carol, null))).toBe('broken-chain');
    expect(await errorCode(open(e1, f.ids.carol, e1b))).toBe('broken-chain');
    const otherE0 = (await createEpoch({ conversationId: conv, epoch: 0, creator: f.ids.alice, members: [f.pub.alice, f.pub.bob], previous: null })).record;
    expect(await errorCode(open(e1, f.ids.carol, otherE0))).toBe('broken-chain');
  });

  it('EPOCH8: a record for another conversation is wrong-conversation', async () => {
    const other = (await createEpoch({ conversationId: 'conv-x', epoch: 0, creator: f.ids.alice, members: [f.pub.alice, f.pub.bob], previous: null })).record;
    expect(await errorCode(openEpoch(other, { me: f.ids.bob, previous: null, resolveIdentity: f.resolve, conversationId: conv }))).toBe('wrong-conversation');
  });

  it('EPOCH9, M4: an unsigned or foreign-signed record is refused', async () => {
    expect(await errorCode(open({ ...e1, sig: e0.sig }, f.ids.carol, e0))).toBe('bad-signature');
    expect(await errorCode(open(await resignEpoch(e1, f.ids.mallory), f.ids.carol, e0))).toBe('bad-signature');
    expect(await errorCode(open({ ...e1, creator: 'zed' }, f.ids.carol, e0))).toBe('unknown-sender');
  });

  it('EPOCH10, M1: a pinned contact outside the previous epoch cannot add members, even signing correctly', async () => {
    const forged = await resignEpoch({ ...e1b, creator: 'carol' }, f.ids.carol);
    expect(await errorCode(open(forged, f.ids.alice, e0))).toBe('not-a-member');
    const notListed = await resignEpoch({ ...e0, creator: 'carol' }, f.ids.carol);
    expect(await errorCode(open(notListed, f.ids.alice, null))).toBe('not-a-member');
  });

  it('EPOCH10: a reader who is not a member gets not-a-member', async () => {
    expect(await errorCode(open(e0, f.ids.carol, null))).toBe('not-a-member');
  });

  it('EPOCH11, M2: a member listed with a key other than the pinned one is key-mismatch', async () => {
    const swappedPins = (u: string): PublicIdentity | undefined => (u === 'bob' ? { ...f.pub.mallory, userId: 'bob' } : f.resolve(u));
    expect(await errorCode(open(e0, f.ids.alice, null, swappedPins))).toBe('key-mismatch');
    expect(await errorCode(open(e0, f.ids.alice, null, (u) => (u === 'bob' ? undefined : f.resolve(u))))).toBe('unknown-member');
  });

  it('EPOCH3, G2, M4: a wrapped key pasted from another conversation fails its OAEP label, even re-signed', async () => {
    const other = (await createEpoch({ conversationId: 'conv-y', epoch: 0, creator: f.ids.alice, members: [f.pub.alice, f.pub.bob], previous: null })).record;
    const pasted = await resignEpoch({ ...e0, wrappedKeys: e0.wrappedKeys.map((w, i) => (w.userId === 'bob' ? other.wrappedKeys[i]! : w)) }, f.ids.alice);
    expect(await errorCode(open(pasted, f.ids.bob, null))).toBe('tampered');
    // and between recipients of the same epoch
    const crossed = await resignEpoch({ ...e0, wrappedKeys: [{ ...e0.wrappedKeys[0]!, wrappedKey: e0.wrappedKeys[1]!.wrappedKey }, { ...e0.wrappedKeys[1]!, wrappedKey: e0.wrappedKeys[0]!.wrappedKey }] }, f.ids.alice);
    expect(await errorCode(open(crossed, f.ids.bob, null))).toBe('tampered');
    expect(wrapLabel('c', 1, 'bob')).not.toEqual(wrapLabel('c', 1, 'bo'));
  });

  it('EPOCH5: a creator who wraps a different key for one member is caught by the commitment', async () => {
    const raw = crypto.getRandomValues(new Uint8Array(32));
    const wrongForBob = new Uint8Array(await crypto.subtle.encrypt({ name: 'RSA-OAEP', label: wrapLabel(conv, 0, 'bob') as Uint8Array<ArrayBuffer> }, f.imported.bob.encryptionKey, raw));
    const equivocating = await resignEpoch({ ...e0, wrappedKeys: e0.wrappedKeys.map((w) => (w.userId === 'bob' ? { ...w, wrappedKey: toBase64Url(wrongForBob) } : w)) }, f.ids.alice);
    expect(await errorCode(open(equivocating, f.ids.bob, null))).toBe('tampered');
    expect(await errorCode(open(equivocating, f.ids.alice, null))).toBe('opened');
    expect((await sha256(canonical(PURPOSE.epochKeyCommit, [conv, 0, raw]))).length).toBe(32);
  });

  it('EPOCH12, G4: every RSA failure is the same tampered error', async () => {
    const garbage = await resignEpoch({ ...e0, wrappedKeys: e0.wrappedKeys.map((w) => (w.userId === 'bob' ? { ...w, wrappedKey: toBase64Url(new Uint8Array(384).fill(7)) } : w)) }, f.ids.alice);
    const err = await openEpoch(garbage, { me: f.ids.bob, previous: null, resolveIdentity: f.resolve }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe('tampered');
    expect((err as ProtocolError).message).toBe('epoch: my wrapped key does not open');
  });

  it('WIRE6: parseEpochRecord keeps one spelling: sorted, unique, matching wrapped keys', () => {
    expect(parseEpochRecord(JSON.parse(JSON.stringify(e1)))).toEqual(e1);
    expect(() => parseEpochRecord({ ...e1, members: [...e1.members].reverse() })).toThrow();
    expect(() => parseEpochRecord({ ...e1, wrappedKeys: e1.wrappedKeys.slice(1) })).toThrow();
    expect(() => parseEpochRecord({ ...e1, v: 2 })).toThrow(expect.objectContaining({ code: 'unsupported-version' }));
    expect(() => parseEpochRecord({ ...e0, prevEpochHash: 'ab'.repeat(32) })).toThrow();
  });

  it('EPOCH4, M1, M4: flipping any byte of any field of an epoch record never opens', async () => {
    let tried = 0;
    for (const path of leafPaths(e1)) {
      for (const m of mutationsOf(getAt(e1, path))) {
        const c = await errorCode(open(setAt(e1, path, m), f.ids.carol, e0));
        expect(c, `${path.join('.')} = ${String(m).slice(0, 20)}`).not.toBe('opened');
        tried++;
      }
    }
    expect(tried).toBeGreaterThan(1000);
  });

  it('EPOCH4, G2: swapping any field between two valid epoch records never opens', async () => {
    for (const path of leafPaths(e1)) {
      const swapped = setAt(e1, path, getAt(e1b, path));
      if (JSON.stringify(swapped) === JSON.stringify(e1)) continue;
      expect(await errorCode(open(swapped, f.ids.carol, e0)), path.join('.')).not.toBe('opened');
    }
  });
});
