// A newcomer's first epoch (JOIN1..JOIN4, THREATS L9).
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createEpoch, openEpoch, openMessage, openNextEpoch, sealMessage,
  type EpochRecord, type Identity, type PublicIdentity,
} from '../src/index.ts';
import { errorCode, loadFixtures, resignEpoch, type Fixtures } from './fixtures.ts';

let f: Fixtures;
const conv = 'conv-join-test';
// epoch 0 {alice, bob} by alice; epoch 1 {alice, bob, carol} by bob (carol added); epoch 2 same members by alice.
let e0: EpochRecord;
let e1: EpochRecord;
let e1key: CryptoKey;
let e2: EpochRecord;

const next = (r: EpochRecord, me: Identity, held: EpochRecord[], resolve?: (u: string) => PublicIdentity | undefined) =>
  openNextEpoch(r, { me, held, conversationId: conv, resolveIdentity: resolve ?? f.resolve });

beforeAll(async () => {
  f = await loadFixtures();
  e0 = (await createEpoch({ conversationId: conv, epoch: 0, creator: f.ids.alice, members: [f.pub.alice, f.pub.bob], previous: null })).record;
  const one = await createEpoch({ conversationId: conv, epoch: 1, creator: f.ids.bob, members: [f.pub.alice, f.pub.bob, f.pub.carol], previous: e0 });
  e1 = one.record;
  e1key = one.key;
  e2 = (await createEpoch({ conversationId: conv, epoch: 2, creator: f.ids.alice, members: [f.pub.alice, f.pub.bob, f.pub.carol], previous: e1 })).record;
});

describe('openNextEpoch (joining and chaining)', () => {
  it('L9 JOIN3: a newcomer holding no epoch opens the first epoch that names it, told it joined, and reads under it', async () => {
    const opened = await next(e1, f.ids.carol, []);
    expect(opened.joined).toBe(true);
    expect(opened.members.map((m) => m.userId)).toEqual(['alice', 'bob', 'carol']);
    const env = await sealMessage({ conversationId: conv, epoch: 1, epochKey: e1key, sender: f.ids.bob, clientMessageId: crypto.randomUUID(), counter: 1, prevHash: null, plaintext: { type: 'text', body: 'hi carol', composedAt: 0 } });
    const r = await openMessage(env, { conversationId: conv, epochs: new Map([[1, opened]]), resolveIdentity: f.resolve });
    expect(r.ok && r.plaintext.body).toBe('hi carol');
    // EPOCH8 is unchanged: openEpoch still has no join path
    expect(await errorCode(openEpoch(e1, { me: f.ids.carol, previous: null, resolveIdentity: f.resolve }))).toBe('broken-chain');
  });

  it('JOIN2: after joining, the next epoch chains from the joined one', async () => {
    const opened = await next(e2, f.ids.carol, [e1]);
    expect(opened.joined).toBe(false);
    expect(await errorCode(next(await resignEpoch({ ...e2, prevEpochHash: 'ab'.repeat(32) }, f.ids.alice), f.ids.carol, [e1]))).toBe('broken-chain');
  });

  it('JOIN1, JOIN3: epoch 0 and a chained epoch open as before, not as joins', async () => {
    expect((await next(e0, f.ids.bob, [])).joined).toBe(false);
    expect((await next(e1, f.ids.bob, [e0])).joined).toBe(false);
  });

  it('L9 JOIN2: a client that holds the previous epoch cannot be downgraded to a join: a record off its chain is refused', async () => {
    // A member (bob) signs an epoch 1 that does not follow the epoch 0 alice holds.
    const offChain = await resignEpoch({ ...e1, prevEpochHash: 'cd'.repeat(32) }, f.ids.bob);
    // The same record would open as a join for a client holding nothing ...
    expect((await next(offChain, f.ids.alice, [])).joined).toBe(true);
    // ... but alice holds epoch 0, so the path is chaining and the link is checked.
    expect(await errorCode(next(offChain, f.ids.alice, [e0]))).toBe('broken-chain');
  });

  it('L9 JOIN2: holding any epoch, a record beyond the next one or at or below the highest held is broken-chain, never a join', async () => {
    expect(await errorCode(next(e2, f.ids.alice, [e0]))).toBe('broken-chain');
    expect(await errorCode(next(e1, f.ids.alice, [e0, e1]))).toBe('broken-chain');
    expect(await errorCode(next(e0, f.ids.alice, [e0, e1]))).toBe('broken-chain');
    // holding 0 and 1 in any order, 2 chains from the highest
    expect((await next(e2, f.ids.alice, [e1, e0])).joined).toBe(false);
  });

  it('JOIN4: a member removed and re-added (holds an earlier epoch, not the one before) gets broken-chain', async () => {
    const z = (await createEpoch({ conversationId: conv, epoch: 0, creator: f.ids.alice, members: [f.pub.alice, f.pub.bob], previous: null })).record;
    const without = (await createEpoch({ conversationId: conv, epoch: 1, creator: f.ids.alice, members: [f.pub.alice], previous: z })).record;
    const readded = (await createEpoch({ conversationId: conv, epoch: 2, creator: f.ids.alice, members: [f.pub.alice, f.pub.bob], previous: without })).record;
    expect(await errorCode(next(without, f.ids.bob, [z]))).toBe('not-a-member');
    expect(await errorCode(next(readded, f.ids.bob, [z]))).toBe('broken-chain');
  });

  it('L9 JOIN3, M1, M2, M4: a join keeps every other check: signature, pinned creator, reader and members listed with pinned keys', async () => {
    expect(await errorCode(next({ ...e1, sig: e0.sig }, f.ids.carol, []))).toBe('bad-signature');
    expect(await errorCode(next(await resignEpoch(e1, f.ids.mallory), f.ids.carol, []))).toBe('bad-signature');
    expect(await errorCode(next(e1, f.ids.carol, [], (u) => (u === 'bob' ? undefined : f.resolve(u))))).toBe('unknown-sender');
    expect(await errorCode(next(e1, f.ids.carol, [], (u) => (u === 'alice' ? undefined : f.resolve(u))))).toBe('unknown-member');
    expect(await errorCode(next(e1, f.ids.carol, [], (u) => (u === 'alice' ? { ...f.pub.mallory, userId: 'alice' } : f.resolve(u))))).toBe('key-mismatch');
    expect(await errorCode(next(e1, f.ids.mallory, []))).toBe('not-a-member');
    const creatorNotListed = await resignEpoch({ ...e1, creator: 'mallory' }, f.ids.mallory);
    expect(await errorCode(next(creatorNotListed, f.ids.carol, []))).toBe('not-a-member');
    const wrongKeyForCarol = await resignEpoch({ ...e1, wrappedKeys: e1.wrappedKeys.map((w) => (w.userId === 'carol' ? { ...w, wrappedKey: e1.wrappedKeys[0]!.wrappedKey } : w)) }, f.ids.bob);
    expect(await errorCode(next(wrongKeyForCarol, f.ids.carol, []))).toBe('tampered');
  });

  it('JOIN1: records and held epochs of another conversation are wrong-conversation', async () => {
    const other = (await createEpoch({ conversationId: 'conv-other', epoch: 0, creator: f.ids.alice, members: [f.pub.alice, f.pub.bob], previous: null })).record;
    expect(await errorCode(next(other, f.ids.bob, []))).toBe('wrong-conversation');
    expect(await errorCode(next(e1, f.ids.bob, [other]))).toBe('wrong-conversation');
  });
});
