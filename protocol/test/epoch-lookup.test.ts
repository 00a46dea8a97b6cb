// Signature before look-up (LOOKUP1..LOOKUP5, THREATS L6).
import { beforeAll, describe, expect, it } from 'vitest';
import {
  LIMITS, LOOKUP_LIMITS, ProtocolError, createEpoch, epochLookupPlan, openNextEpoch, verifyEpochSignature,
  type EpochRecord, type Identity, type PublicIdentity,
} from '../src/index.ts';
import { loadFixtures, resignEpoch, type Fixtures } from './fixtures.ts';

let f: Fixtures;
const conv = 'conv-lookup-test';
let e0: EpochRecord; // {alice, bob} by alice
let e1: EpochRecord; // {alice, bob, carol} by bob

/**
 * The client's flow, as the ingest is to run it: plan, fetch the creator only
 * if the plan says so, verify the signature, only then fetch the members, open,
 * and pin what was fetched only if the record opened. Records every directory
 * call and what ends up pinned.
 */
async function ingestRecord(record: EpochRecord, me: Identity, held: EpochRecord[], pinnedIds: string[], maxLookups?: number) {
  const pinned = new Map(pinnedIds.map((u) => [u, f.resolve(u)!]));
  const fetched = new Map<string, PublicIdentity>();
  const calls: string[] = [];
  const fetch = (u: string) => {
    calls.push(u);
    const k = f.resolve(u);
    if (k) fetched.set(u, k);
  };
  const known = (u: string) => (u === me.userId ? me.public : pinned.get(u) ?? fetched.get(u));
  const plan = epochLookupPlan(record, { conversationId: conv, me: me.userId, held, isPinned: (u) => pinned.has(u), ...(maxLookups === undefined ? {} : { maxLookups }) });
  if (!plan.ok) return { result: plan.reason, calls, pinned: [] as string[] };
  plan.beforeSignature.forEach(fetch);
  const creatorKey = known(record.creator);
  if (creatorKey === undefined || !(await verifyEpochSignature(record, creatorKey))) return { result: 'bad-signature', calls, pinned: [] as string[] };
  plan.afterSignature.forEach(fetch);
  try {
    const opened = await openNextEpoch(record, { me, conversationId: conv, held, resolveIdentity: known });
    return { result: opened.joined ? 'joined' : 'opened', calls, pinned: [...fetched.keys()] };
  } catch (e) {
    if (e instanceof ProtocolError) return { result: e.code, calls, pinned: [] as string[] };
    throw e;
  }
}

beforeAll(async () => {
  f = await loadFixtures();
  e0 = (await createEpoch({ conversationId: conv, epoch: 0, creator: f.ids.alice, members: [f.pub.alice, f.pub.bob], previous: null })).record;
  e1 = (await createEpoch({ conversationId: conv, epoch: 1, creator: f.ids.bob, members: [f.pub.alice, f.pub.bob, f.pub.carol], previous: e0 })).record;
});

describe('epochLookupPlan and verifyEpochSignature (signature before look-up)', () => {
  it('L6 LOOKUP3: a forged epoch 0 whose signature fails yields a look-up of nothing but the creator, and pins nothing', async () => {
    const forged0 = (await createEpoch({ conversationId: conv, epoch: 0, creator: f.ids.alice, members: [f.pub.alice, f.pub.bob, f.pub.carol], previous: null })).record;
    const forged = await resignEpoch(forged0, f.ids.mallory);
    const plan = epochLookupPlan(forged, { conversationId: conv, me: 'bob', held: [], isPinned: () => false });
    expect(plan).toEqual({ ok: true, joining: false, beforeSignature: ['alice'], afterSignature: ['carol'] });
    expect(await ingestRecord(forged, f.ids.bob, [], [])).toEqual({ result: 'bad-signature', calls: ['alice'], pinned: [] });
  });

  it('L6 LOOKUP2: a chained record is checked against the pinned creator before any look-up; a forged one fetches nothing', async () => {
    const forged = await resignEpoch(e1, f.ids.mallory);
    expect(epochLookupPlan(forged, { conversationId: conv, me: 'alice', held: [e0], isPinned: (u) => u === 'bob' })).toEqual({
      ok: true, joining: false, beforeSignature: [], afterSignature: ['carol'],
    });
    expect(await ingestRecord(forged, f.ids.alice, [e0], ['bob'])).toEqual({ result: 'bad-signature', calls: [], pinned: [] });
  });

  it('L6 LOOKUP2: after epoch 0, a creator outside the previous epoch or not pinned means no look-up at all', async () => {
    const byCarol = await resignEpoch({ ...e1, creator: 'carol' }, f.ids.carol);
    expect(epochLookupPlan(byCarol, { conversationId: conv, me: 'alice', held: [e0], isPinned: () => true })).toEqual({ ok: false, reason: 'not-a-member' });
    expect(await ingestRecord(byCarol, f.ids.alice, [e0], ['bob'])).toEqual({ result: 'not-a-member', calls: [], pinned: [] });
    expect(epochLookupPlan(e1, { conversationId: conv, me: 'alice', held: [e0], isPinned: () => false })).toEqual({ ok: false, reason: 'unknown-sender' });
  });

  it('LOOKUP4: after the signature verifies, the unknown members are fetched, and pinned once the record opens', async () => {
    expect(await ingestRecord(e1, f.ids.alice, [e0], ['bob'])).toEqual({ result: 'opened', calls: ['carol'], pinned: ['carol'] });
  });

  it('L6 LOOKUP4: at most maxLookups per record (maxMembers - 1); a record needing more fetches nothing', async () => {
    expect(LOOKUP_LIMITS.maxLookups).toBe(LIMITS.maxMembers - 1);
    expect(epochLookupPlan(e1, { conversationId: conv, me: 'alice', held: [e0], isPinned: (u) => u === 'bob', maxLookups: 0 })).toEqual({ ok: false, reason: 'too-large' });
    expect(await ingestRecord(e1, f.ids.alice, [e0], ['bob'], 0)).toEqual({ result: 'too-large', calls: [], pinned: [] });
  });

  it('L6 LOOKUP5: a record whose signature verifies but which does not open pins nothing it fetched', async () => {
    // bob signs a record in which alice's wrapped key is carol's: it verifies, then fails EPOCH12.
    const bad = await resignEpoch({ ...e1, wrappedKeys: e1.wrappedKeys.map((w) => (w.userId === 'alice' ? { ...w, wrappedKey: e1.wrappedKeys[2]!.wrappedKey } : w)) }, f.ids.bob);
    expect(await ingestRecord(bad, f.ids.alice, [e0], ['bob'])).toEqual({ result: 'tampered', calls: ['carol'], pinned: [] });
  });

  it('L9 LOOKUP3: a newcomer fetches the unknown creator first, verifies, then the other members, and joins', async () => {
    expect(epochLookupPlan(e1, { conversationId: conv, me: 'carol', held: [], isPinned: () => false })).toEqual({
      ok: true, joining: true, beforeSignature: ['bob'], afterSignature: ['alice'],
    });
    expect(await ingestRecord(e1, f.ids.carol, [], [])).toEqual({ result: 'joined', calls: ['bob', 'alice'], pinned: ['bob', 'alice'] });
  });

  it('LOOKUP1: nothing is fetched for a record that cannot open: malformed, another conversation, off the chain, reader or creator not listed', async () => {
    const ctx = { conversationId: conv, me: 'alice', held: [e0], isPinned: () => false };
    expect(epochLookupPlan({ ...e1, v: 2 }, ctx)).toEqual({ ok: false, reason: 'malformed' });
    expect(epochLookupPlan('not a record', ctx)).toEqual({ ok: false, reason: 'malformed' });
    expect(epochLookupPlan(e1, { ...ctx, conversationId: 'conv-other' })).toEqual({ ok: false, reason: 'wrong-conversation' });
    expect(epochLookupPlan(e1, { ...ctx, held: [{ ...e0, conversationId: 'conv-other' }] })).toEqual({ ok: false, reason: 'wrong-conversation' });
    expect(epochLookupPlan(e0, ctx)).toEqual({ ok: false, reason: 'broken-chain' });
    expect(epochLookupPlan(e1, { ...ctx, me: 'mallory' })).toEqual({ ok: false, reason: 'not-a-member' });
    const creatorNotListed = await resignEpoch({ ...e0, creator: 'mallory' }, f.ids.mallory);
    expect(epochLookupPlan(creatorNotListed, { ...ctx, held: [] })).toEqual({ ok: false, reason: 'not-a-member' });
    // a client holding epoch 0 is never offered the join path for a later epoch
    expect(epochLookupPlan({ ...e1, epoch: 2 }, ctx)).toEqual({ ok: false, reason: 'broken-chain' });
  });

  it('LOOKUP3: verifyEpochSignature checks only the signature under the given creator key, and never throws', async () => {
    expect(await verifyEpochSignature(e1, f.pub.bob)).toBe(true);
    expect(await verifyEpochSignature(e1, f.imported.bob)).toBe(true);
    expect(await verifyEpochSignature(e1, f.pub.alice)).toBe(false);
    expect(await verifyEpochSignature(e1, { ...f.pub.mallory, userId: 'bob' })).toBe(false);
    // signed by mallory, naming bob as creator: mallory's own key is not bob's
    expect(await verifyEpochSignature(await resignEpoch(e1, f.ids.mallory), f.pub.mallory)).toBe(false);
    expect(await verifyEpochSignature({ ...e1, sig: e0.sig }, f.pub.bob)).toBe(false);
    expect(await verifyEpochSignature({ ...e1, createdAt: e1.createdAt + 1 }, f.pub.bob)).toBe(false);
    expect(await verifyEpochSignature(null, f.pub.bob)).toBe(false);
    expect(await verifyEpochSignature(e1, { v: 1, userId: 'bob', encryptionKey: 'x', signingKey: 'y' })).toBe(false);
  });
});
