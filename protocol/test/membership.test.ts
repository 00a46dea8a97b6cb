// Membership events for the timeline (MEMB1, MEMB2, THREATS L9).
import { beforeAll, describe, expect, it } from 'vitest';
import { createEpoch, membershipChange, type EpochRecord } from '../src/index.ts';
import { loadFixtures, type Fixtures } from './fixtures.ts';

let f: Fixtures;
const conv = 'conv-membership-test';
let e0: EpochRecord; // {alice, bob} by alice
let e1: EpochRecord; // {alice, bob, carol} by bob: carol added
let e2: EpochRecord; // {alice, carol} by alice: bob removed
let e3: EpochRecord; // {alice, carol} by carol: a re-key, no change

beforeAll(async () => {
  f = await loadFixtures();
  e0 = (await createEpoch({ conversationId: conv, epoch: 0, creator: f.ids.alice, members: [f.pub.alice, f.pub.bob], previous: null })).record;
  e1 = (await createEpoch({ conversationId: conv, epoch: 1, creator: f.ids.bob, members: [f.pub.alice, f.pub.bob, f.pub.carol], previous: e0 })).record;
  e2 = (await createEpoch({ conversationId: conv, epoch: 2, creator: f.ids.alice, members: [f.pub.alice, f.pub.carol], previous: e1 })).record;
  e3 = (await createEpoch({ conversationId: conv, epoch: 3, creator: f.ids.carol, members: [f.pub.alice, f.pub.carol], previous: e2 })).record;
});

describe('membershipChange', () => {
  it('L9 MEMB1: "bob added carol", "alice removed bob", and epoch 0 lists everyone the creator started with', () => {
    expect(membershipChange(null, e0)).toEqual({ conversationId: conv, epoch: 0, by: 'alice', added: ['bob'], removed: [], keyChanged: [] });
    expect(membershipChange(e0, e1)).toEqual({ conversationId: conv, epoch: 1, by: 'bob', added: ['carol'], removed: [], keyChanged: [] });
    expect(membershipChange(e1, e2)).toEqual({ conversationId: conv, epoch: 2, by: 'alice', added: [], removed: ['bob'], keyChanged: [] });
  });

  it('MEMB1: a member listed with another fingerprint is a key change, not an add and a remove', () => {
    // membershipChange reads accepted records; the fingerprint here stands for bob's new key.
    const rekeyed: EpochRecord = { ...e1, epoch: 2, members: e1.members.map((m) => (m.userId === 'bob' ? { ...m, fingerprint: 'f'.repeat(64) } : m)) };
    expect(membershipChange(e1, rekeyed)).toMatchObject({ added: [], removed: [], keyChanged: ['bob'], by: 'bob' });
  });

  it('L9 MEMB1: a newcomer\'s first epoch is a join with nothing known before it', () => {
    expect(membershipChange(null, e1)).toEqual({ conversationId: conv, epoch: 1, by: 'bob', added: [], removed: [], keyChanged: [], joined: true });
  });

  it('MEMB1: records that are not consecutive epochs of one conversation are broken-chain', () => {
    expect(() => membershipChange(e0, e2)).toThrow(expect.objectContaining({ code: 'broken-chain' }));
    expect(() => membershipChange({ ...e0, conversationId: 'conv-other' }, e1)).toThrow(expect.objectContaining({ code: 'broken-chain' }));
  });

  it('MEMB2: every accepted record is an event by its creator, a re-key with no change included', () => {
    const events = [membershipChange(null, e0), membershipChange(e0, e1), membershipChange(e1, e2), membershipChange(e2, e3)];
    expect(events.map((e) => [e.epoch, e.by])).toEqual([[0, 'alice'], [1, 'bob'], [2, 'alice'], [3, 'carol']]);
    expect(events[3]).toEqual({ conversationId: conv, epoch: 3, by: 'carol', added: [], removed: [], keyChanged: [] });
  });
});
