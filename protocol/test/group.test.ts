// Groups: admins and an encrypted name in the signed epoch record (GRP1..GRP5,
// THREATS M1, M4, L2, L9 in the group setting).
import { beforeAll, describe, expect, it } from 'vitest';
import {
  GROUP_META_BYTES, LIMITS, ProtocolError, admitMessage, checkGroupName, createEpoch, epochHash, epochLookupPlan, fromBase64Url,
  membershipChange, openGroupMeta, openNextEpoch, parseEpochRecord, verifyEpochSignature,
  type EpochRecord, type Identity, type PublicIdentity,
} from '../src/index.ts';
import { errorCode, loadFixtures, resignEpoch, type Fixtures } from './fixtures.ts';

let f: Fixtures;
const conv = 'conv-group-test';
// epoch 0: the group "Climbing ⛰" {alice, bob, carol}, alice admin.
let g0: EpochRecord;
let g0key: CryptoKey;

const open = (r: EpochRecord, me: Identity, held: EpochRecord[], resolve?: (u: string) => PublicIdentity | undefined) =>
  openNextEpoch(r, { me, held, conversationId: conv, resolveIdentity: resolve ?? f.resolve });

/** The next record as `creator` would make it with no client-side check: content chosen, validly signed. */
async function forged(previous: EpochRecord, creator: Identity, members: PublicIdentity[], admins: string[] | undefined): Promise<EpochRecord> {
  // An admin makes a valid record with these members, which is then re-signed by `creator`.
  const made = (await createEpoch({ conversationId: conv, epoch: previous.epoch + 1, creator: f.ids.alice, members, previous, group: { name: 'Climbing ⛰', admins: ['alice'] } })).record;
  const r: EpochRecord = { ...made, creator: creator.userId };
  if (admins === undefined) {
    delete r.admins;
    delete r.meta;
  } else {
    r.admins = admins;
  }
  return resignEpoch(r, creator);
}

beforeAll(async () => {
  f = await loadFixtures();
  const made = await createEpoch({
    conversationId: conv, epoch: 0, creator: f.ids.alice, members: [f.pub.alice, f.pub.bob, f.pub.carol], previous: null,
    group: { name: 'Climbing ⛰', admins: ['alice'] },
  });
  g0 = made.record;
  g0key = made.key;
});

describe('group records', () => {
  it('GRP1: admins and meta come together; admins are sorted members; meta has one size', async () => {
    expect(parseEpochRecord(JSON.parse(JSON.stringify(g0)))).toEqual(g0);
    expect(g0.admins).toEqual(['alice']);
    expect(fromBase64Url(g0.meta!).length).toBe(GROUP_META_BYTES);
    const { meta: _m, ...noMeta } = g0;
    expect(() => parseEpochRecord(noMeta)).toThrow(ProtocolError);
    const { admins: _a, ...noAdmins } = g0;
    expect(() => parseEpochRecord(noAdmins)).toThrow(ProtocolError);
    expect(() => parseEpochRecord({ ...g0, admins: ['mallory'] })).toThrow(ProtocolError);
    expect(() => parseEpochRecord({ ...g0, admins: ['bob', 'alice'] })).toThrow(ProtocolError);
    expect(() => parseEpochRecord({ ...g0, admins: [] })).toThrow(ProtocolError);
    expect(() => parseEpochRecord({ ...g0, meta: g0.meta!.slice(4) })).toThrow(ProtocolError);
    // createEpoch refuses an admin who is not a member
    expect(await errorCode(createEpoch({ conversationId: conv, epoch: 0, creator: f.ids.alice, members: [f.pub.alice], previous: null, group: { name: 'x', admins: ['alice', 'bob'] } }))).toBe('malformed');
  });

  it('GRP2: admins and the encrypted name are signed: the server cannot change or strip them', async () => {
    expect(await verifyEpochSignature(g0, f.pub.alice)).toBe(true);
    const moreAdmins = { ...g0, admins: ['alice', 'bob'] };
    expect(await verifyEpochSignature(moreAdmins, f.pub.alice)).toBe(false);
    expect(await errorCode(open(moreAdmins, f.ids.carol, []))).toBe('bad-signature');
    const other = (await createEpoch({ conversationId: conv, epoch: 0, creator: f.ids.alice, members: [f.pub.alice, f.pub.bob, f.pub.carol], previous: null, group: { name: 'Another name', admins: ['alice'] } })).record;
    expect(await errorCode(open({ ...g0, meta: other.meta! }, f.ids.carol, []))).toBe('bad-signature');
    const { admins: _a, meta: _m, ...stripped } = g0;
    expect(await errorCode(open(stripped, f.ids.carol, []))).toBe('bad-signature');
    // and they are part of the chain link
    expect(await epochHash(g0)).not.toBe(await epochHash({ ...g0, admins: ['alice', 'bob'] }));
  });

  it('GRP3: the name is sealed under the epoch key: every member reads it, it opens only for its conversation and epoch', async () => {
    const opened = await open(g0, f.ids.bob, []);
    expect(await openGroupMeta(g0, opened.key)).toBe('Climbing ⛰');
    expect(JSON.stringify(g0)).not.toContain('Climbing');
    // a meta moved to another epoch (or conversation) does not open
    await expect(openGroupMeta({ ...g0, epoch: 1 }, g0key)).rejects.toMatchObject({ code: 'tampered' });
    await expect(openGroupMeta({ ...g0, conversationId: 'elsewhere' }, g0key)).rejects.toMatchObject({ code: 'tampered' });
    // right-to-left names are names; the size of the name does not show
    const rtl = await createEpoch({ conversationId: conv, epoch: 0, creator: f.ids.alice, members: [f.pub.alice], previous: null, group: { name: 'مجموعة التسلق', admins: ['alice'] } });
    expect(await openGroupMeta(rtl.record, rtl.key)).toBe('مجموعة التسلق');
    expect(rtl.record.meta!.length).toBe(g0.meta!.length);
  });

  it('GRP3: group names: trimmed and NFC; empty, too long and control or bidi-override characters refused', () => {
    expect(checkGroupName('  Cafe\u0301  ')).toEqual({ ok: true, name: 'Café' });
    expect(checkGroupName('   ')).toEqual({ ok: false, problem: 'empty' });
    expect(checkGroupName('x'.repeat(LIMITS.maxGroupNameChars))).toMatchObject({ ok: true });
    expect(checkGroupName('x'.repeat(LIMITS.maxGroupNameChars + 1))).toEqual({ ok: false, problem: 'too-long' });
    expect(checkGroupName('🧗'.repeat(LIMITS.maxGroupNameChars))).toEqual({ ok: false, problem: 'too-long' }); // 256 UTF-8 bytes
    expect(checkGroupName('evil\u202Egnp.exe')).toEqual({ ok: false, problem: 'control-characters' });
    expect(checkGroupName('two\nlines')).toEqual({ ok: false, problem: 'control-characters' });
    expect(checkGroupName('שלום חברים')).toMatchObject({ ok: true });
  });

  it('GRP4: the creator of a group is one of its admins', async () => {
    expect(await errorCode(createEpoch({ conversationId: conv, epoch: 0, creator: f.ids.alice, members: [f.pub.alice, f.pub.bob], previous: null, group: { name: 'x', admins: ['bob'] } }))).toBe('not-an-admin');
    const made = await createEpoch({ conversationId: conv, epoch: 0, creator: f.ids.bob, members: [f.pub.alice, f.pub.bob], previous: null, group: { name: 'x', admins: ['bob'] } });
    const notAdmin = await resignEpoch({ ...made.record, creator: 'alice' }, f.ids.alice);
    expect(await errorCode(open(notAdmin, f.ids.bob, []))).toBe('not-an-admin');
  });
});

describe('who may change a group (GRP5)', () => {
  it('M1 GRP5: a member who is not an admin cannot add someone: createEpoch refuses, and every member refuses the signed record, before fetching anyone', async () => {
    expect(await errorCode(createEpoch({ conversationId: conv, epoch: 1, creator: f.ids.bob, members: [f.pub.alice, f.pub.bob, f.pub.carol, f.pub.mallory], previous: g0, group: { name: 'Climbing ⛰', admins: ['alice'] } }))).toBe('not-an-admin');
    const byBob = await forged(g0, f.ids.bob, [f.pub.alice, f.pub.bob, f.pub.carol, f.pub.mallory], ['alice']);
    expect(await verifyEpochSignature(byBob, f.pub.bob)).toBe(true);
    expect(await errorCode(open(byBob, f.ids.alice, [g0]))).toBe('not-an-admin');
    expect(await errorCode(open(byBob, f.ids.carol, [g0]))).toBe('not-an-admin');
    // L6: the refusal comes before any look-up of mallory
    expect(epochLookupPlan(byBob, { conversationId: conv, me: 'carol', held: [g0], isPinned: (u) => u !== 'mallory' })).toEqual({ ok: false, reason: 'not-an-admin' });
  });

  it('L9 GRP5: a member who is not an admin cannot remove someone, nor make themselves an admin, nor turn the group back into an admin-less conversation', async () => {
    const removal = await forged(g0, f.ids.bob, [f.pub.alice, f.pub.bob], ['alice']);
    expect(await errorCode(open(removal, f.ids.alice, [g0]))).toBe('not-an-admin');
    const promoted = await forged(g0, f.ids.bob, [f.pub.alice, f.pub.bob, f.pub.carol], ['alice', 'bob']);
    expect(await errorCode(open(promoted, f.ids.carol, [g0]))).toBe('not-an-admin');
    const downgraded = await forged(g0, f.ids.bob, [f.pub.alice, f.pub.bob, f.pub.carol, f.pub.mallory], undefined);
    expect(await errorCode(open(downgraded, f.ids.carol, [g0]))).toBe('not-an-admin');
  });

  it('GRP5: any member may re-key with the same members and admins (after a key change); an admin adds and removes, shown as signed events', async () => {
    const rekey = await createEpoch({ conversationId: conv, epoch: 1, creator: f.ids.bob, members: [f.pub.alice, f.pub.bob, f.pub.carol], previous: g0, group: { name: 'Climbing ⛰', admins: ['alice'] } });
    expect((await open(rekey.record, f.ids.carol, [g0])).joined).toBe(false);
    const added = await createEpoch({ conversationId: conv, epoch: 2, creator: f.ids.alice, members: [f.pub.alice, f.pub.bob, f.pub.carol, f.pub.mallory], previous: rekey.record, group: { name: 'Climbing ⛰', admins: ['alice'] } });
    await open(added.record, f.ids.bob, [g0, rekey.record]);
    expect(membershipChange(rekey.record, added.record)).toMatchObject({ by: 'alice', added: ['mallory'], removed: [] });
    // the newcomer joins (JOIN3: it trusts the inviter's signature) and reads the name
    const joined = await open(added.record, f.ids.mallory, []);
    expect(joined.joined).toBe(true);
    expect(await openGroupMeta(added.record, joined.key)).toBe('Climbing ⛰');
  });

  it('L2 GRP5: after an admin removes carol, carol posts nothing under the group\'s older epoch', async () => {
    const removed = await createEpoch({ conversationId: conv, epoch: 1, creator: f.ids.alice, members: [f.pub.alice, f.pub.bob], previous: g0, group: { name: 'Climbing ⛰', admins: ['alice'] } });
    await open(removed.record, f.ids.bob, [g0]);
    const m = (r: EpochRecord, seq: number) => ({ epoch: r.epoch, seq, members: r.members });
    const carolFp = g0.members.find((x) => x.userId === 'carol')!.fingerprint;
    expect(admitMessage({ epochs: [m(g0, 1), m(removed.record, 5)], epochNamed: 0, sender: 'carol', signer: carolFp, messageSeq: 6 })).toEqual({ ok: false, reason: 'sender-removed' });
  });

  it('M4 GRP5: someone outside the group (or the server) cannot offer the group a key, even signing as themselves', async () => {
    const byMallory = await forged(g0, f.ids.mallory, [f.pub.alice, f.pub.bob, f.pub.carol, f.pub.mallory], ['alice', 'mallory']);
    expect(await errorCode(open(byMallory, f.ids.bob, [g0]))).toBe('not-a-member');
  });

  it('GRP6: any member may leave: the one record it is not in, listing everyone else, opened by those who stay', async () => {
    const left = await createEpoch({ conversationId: conv, epoch: 1, creator: f.ids.bob, members: [f.pub.alice, f.pub.carol], previous: g0, group: { name: 'Climbing ⛰', admins: ['alice'] } });
    expect(left.record.members.map((m) => m.userId)).toEqual(['alice', 'carol']);
    expect((await open(left.record, f.ids.carol, [g0])).members.map((m) => m.userId)).toEqual(['alice', 'carol']);
    expect(epochLookupPlan(left.record, { conversationId: conv, me: 'alice', held: [g0], isPinned: () => true })).toMatchObject({ ok: true });
    expect(membershipChange(g0, left.record)).toMatchObject({ by: 'bob', removed: ['bob'], added: [] });
    // the next record, by anyone who stays, re-keys (GRP5): the leaver made the leave record's key
    const rekey = await createEpoch({ conversationId: conv, epoch: 2, creator: f.ids.carol, members: [f.pub.alice, f.pub.carol], previous: left.record, group: { name: 'Climbing ⛰', admins: ['alice'] } });
    await open(rekey.record, f.ids.alice, [g0, left.record]);
  });

  it('L9 GRP6: leaving is nothing else: a leaver who also removes or adds someone, or changes admins, is refused', async () => {
    const alsoRemoves = await forged(g0, f.ids.bob, [f.pub.alice], ['alice']);
    expect(await errorCode(open(alsoRemoves, f.ids.alice, [g0]))).toBe('not-a-member');
    const alsoAdds = await forged(g0, f.ids.bob, [f.pub.alice, f.pub.carol, f.pub.mallory], ['alice']);
    expect(await errorCode(open(alsoAdds, f.ids.carol, [g0]))).toBe('not-a-member');
    const promotes = await forged(g0, f.ids.bob, [f.pub.alice, f.pub.carol], ['alice', 'carol']);
    expect(await errorCode(open(promotes, f.ids.carol, [g0]))).toBe('not-a-member');
    expect(epochLookupPlan(promotes, { conversationId: conv, me: 'carol', held: [g0], isPinned: () => true })).toEqual({ ok: false, reason: 'not-a-member' });
    // the last admin leaving names new admins among those who stay
    const adminLeaves = await createEpoch({ conversationId: conv, epoch: 1, creator: f.ids.alice, members: [f.pub.bob, f.pub.carol], previous: g0, group: { name: 'Climbing ⛰', admins: ['carol'] } });
    expect((await open(adminLeaves.record, f.ids.bob, [g0])).members.map((m) => m.userId)).toEqual(['bob', 'carol']);
    // and in a conversation without admins nobody makes a record they are not in (EPOCH10)
    const plain = (await createEpoch({ conversationId: conv, epoch: 0, creator: f.ids.alice, members: [f.pub.alice, f.pub.bob, f.pub.carol], previous: null })).record;
    expect(await errorCode(createEpoch({ conversationId: conv, epoch: 1, creator: f.ids.bob, members: [f.pub.alice, f.pub.carol], previous: plain }))).toBe('not-a-member');
  });

  it('L2 GRP6: once bob\'s leave is accepted, bob posts nothing under the older epoch', async () => {
    const left = await createEpoch({ conversationId: conv, epoch: 1, creator: f.ids.bob, members: [f.pub.alice, f.pub.carol], previous: g0, group: { name: 'Climbing ⛰', admins: ['alice'] } });
    const m = (r: EpochRecord, seq: number) => ({ epoch: r.epoch, seq, members: r.members });
    const bobFp = g0.members.find((x) => x.userId === 'bob')!.fingerprint;
    expect(admitMessage({ epochs: [m(g0, 1), m(left.record, 4)], epochNamed: 0, sender: 'bob', signer: bobFp, messageSeq: 5 })).toEqual({ ok: false, reason: 'sender-removed' });
  });

  it('GRP1: a group of maxMembers (256) is wrapped and opened; one more is refused', async () => {
    expect(LIMITS.maxMembers).toBe(256);
    const many = Array.from({ length: LIMITS.maxMembers - 1 }, (_, i) => ({ ...f.pub.bob, userId: `m${String(i).padStart(3, '0')}` }));
    const made = await createEpoch({ conversationId: conv, epoch: 0, creator: f.ids.alice, members: [f.pub.alice, ...many], previous: null, group: { name: 'Everyone', admins: ['alice'] } });
    expect(made.record.members.length).toBe(256);
    expect(JSON.stringify(made.record).length).toBeLessThanOrEqual(LIMITS.maxEpochRecordBytes);
    const m007: Identity = { ...f.ids.bob, userId: 'm007', public: { ...f.pub.bob, userId: 'm007' } };
    const resolve = (u: string) => (u === 'alice' ? f.pub.alice : { ...f.pub.bob, userId: u });
    const opened = await open(made.record, m007, [], resolve);
    expect(await openGroupMeta(made.record, opened.key)).toBe('Everyone');
    expect(await errorCode(createEpoch({ conversationId: conv, epoch: 0, creator: f.ids.alice, members: [f.pub.alice, ...many, { ...f.pub.bob, userId: 'z' }], previous: null }))).toBe('too-large');
  });
});
