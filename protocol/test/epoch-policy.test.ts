// Which epoch a message may use (ADMIT1..ADMIT6, THREATS L2).
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ADMISSION, admitMessage, createEpoch, emptyTranscript, observe, openMessage, sealMessage,
  type AdmissionEpoch, type AdmissionInput, type EpochMember, type Identity,
} from '../src/index.ts';
import { loadFixtures, type Fixtures } from './fixtures.ts';

// Fingerprints are opaque strings to admitMessage: no crypto happens in it.
const FP = { ada: 'a'.repeat(64), bob: 'b'.repeat(64), bobNew: 'c'.repeat(64), carl: 'd'.repeat(64) };
const m = (userId: string, fingerprint: string): EpochMember => ({ userId, fingerprint });

// The log of one conversation: epoch 0 at seq 1 {ada, bob}; epoch 1 at seq 10 {ada, bob, carl};
// epoch 2 at seq 20 drops bob; epoch 3 at seq 30 lists bob's new key.
const e0: AdmissionEpoch = { epoch: 0, seq: 1, members: [m('ada', FP.ada), m('bob', FP.bob)] };
const e1: AdmissionEpoch = { epoch: 1, seq: 10, members: [m('ada', FP.ada), m('bob', FP.bob), m('carl', FP.carl)] };
const e2: AdmissionEpoch = { epoch: 2, seq: 20, members: [m('ada', FP.ada), m('carl', FP.carl)] };
const e1keyChanged: AdmissionEpoch = { epoch: 1, seq: 10, members: [m('ada', FP.ada), m('bob', FP.bobNew)] };

const admit = (p: Partial<AdmissionInput> & Pick<AdmissionInput, 'epochNamed' | 'sender' | 'messageSeq'>) => admitMessage({ epochs: [e0, e1, e2], ...p });

describe('admitMessage (which epoch a message may use)', () => {
  it('ADMIT2: a member writing under the latest epoch at its position is admitted', () => {
    expect(admit({ epochNamed: 0, sender: 'bob', messageSeq: 5 })).toEqual({ ok: true, grace: false });
    expect(admit({ epochNamed: 2, sender: 'carl', messageSeq: 25 })).toEqual({ ok: true, grace: false });
  });

  it('ADMIT1: the named epoch must be accepted before the message and list the sender with the signing key', () => {
    expect(admit({ epochNamed: 3, sender: 'ada', messageSeq: 25 })).toEqual({ ok: false, reason: 'unknown-epoch' });
    // epoch 1 is recorded at seq 10: a message at seq 9 cannot use it
    expect(admit({ epochNamed: 1, sender: 'ada', messageSeq: 9 })).toEqual({ ok: false, reason: 'unknown-epoch' });
    expect(admit({ epochNamed: 0, sender: 'carl', messageSeq: 5 })).toEqual({ ok: false, reason: 'not-a-member' });
    expect(admit({ epochNamed: 0, sender: 'bob', messageSeq: 5, signer: FP.bobNew })).toEqual({ ok: false, reason: 'not-a-member' });
  });

  it('ADMIT1: the answer depends only on the log: epochs recorded after the message do not change it', () => {
    const early = { epochNamed: 0, sender: 'bob', messageSeq: 5 };
    expect(admitMessage({ ...early, epochs: [e0] })).toEqual(admitMessage({ ...early, epochs: [e2, e1, e0] }));
    expect(admitMessage({ ...early, epochs: [e2, e1, e0] })).toEqual({ ok: true, grace: false });
  });

  it('L2 ADMIT3: a removed member\'s message under the older epoch is refused, inside the window too', () => {
    expect(admit({ epochNamed: 1, sender: 'bob', messageSeq: 21 })).toEqual({ ok: false, reason: 'sender-removed' });
    expect(admit({ epochNamed: 0, sender: 'bob', messageSeq: 21 })).toEqual({ ok: false, reason: 'sender-removed' });
    // while epoch 1 was the latest, bob was still in
    expect(admit({ epochNamed: 1, sender: 'bob', messageSeq: 19 })).toEqual({ ok: true, grace: false });
  });

  it('L2 ADMIT3: a member whose key changed since cannot post with the old key under the older epoch', () => {
    const epochs = [e0, e1keyChanged];
    expect(admitMessage({ epochNamed: 0, sender: 'bob', messageSeq: 11, epochs })).toEqual({ ok: false, reason: 'sender-key-changed' });
    // the new key under the new epoch is fine
    expect(admitMessage({ epochNamed: 1, sender: 'bob', messageSeq: 11, epochs })).toEqual({ ok: true, grace: false });
  });

  it('L2 ADMIT4: a current member\'s in-flight message under the previous epoch is admitted inside the window and refused outside', () => {
    const window = ADMISSION.graceEntries;
    expect(window).toBe(1024);
    expect(admit({ epochNamed: 1, sender: 'ada', messageSeq: 21 })).toEqual({ ok: true, grace: true });
    expect(admit({ epochNamed: 1, sender: 'carl', messageSeq: 20 + window })).toEqual({ ok: true, grace: true });
    expect(admit({ epochNamed: 1, sender: 'carl', messageSeq: 20 + window + 1 })).toEqual({ ok: false, reason: 'stale-epoch' });
  });

  it('L2 ADMIT4: an epoch two back is refused, even right after the newest record', () => {
    expect(admit({ epochNamed: 0, sender: 'ada', messageSeq: 21 })).toEqual({ ok: false, reason: 'stale-epoch' });
  });

  it('ADMIT5: a revoked signing key posts nothing once its revocation is in force, under any epoch, with no window', () => {
    const revoked = [{ fingerprint: FP.carl, fromEpoch: 2 }];
    expect(admit({ epochNamed: 2, sender: 'carl', messageSeq: 25, revoked })).toEqual({ ok: false, reason: 'signer-revoked' });
    expect(admit({ epochNamed: 1, sender: 'carl', messageSeq: 21, revoked })).toEqual({ ok: false, reason: 'signer-revoked' });
    // before epoch 2 was accepted, the key was not revoked yet
    expect(admit({ epochNamed: 1, sender: 'carl', messageSeq: 15, revoked })).toEqual({ ok: true, grace: false });
    // another key is untouched
    expect(admit({ epochNamed: 2, sender: 'ada', messageSeq: 25, revoked })).toEqual({ ok: true, grace: false });
  });
});

describe('admission with real envelopes', () => {
  let f: Fixtures;
  beforeAll(async () => {
    f = await loadFixtures();
  });
  const conv = 'conv-admit-test';
  const seal = (sender: Identity, epoch: number, epochKey: CryptoKey, counter: number, prevHash: string | null) =>
    sealMessage({ conversationId: conv, epoch, epochKey, sender, clientMessageId: crypto.randomUUID(), counter, prevHash, plaintext: { type: 'text', body: 'x', composedAt: 0 } });

  it('L2 ADMIT3: openMessage alone accepts a removed member posting under the old epoch; admitMessage refuses it', async () => {
    const z = await createEpoch({ conversationId: conv, epoch: 0, creator: f.ids.alice, members: [f.pub.alice, f.pub.bob], previous: null });
    const one = await createEpoch({ conversationId: conv, epoch: 1, creator: f.ids.alice, members: [f.pub.alice, f.pub.carol], previous: z.record });
    const env = await seal(f.ids.bob, 0, z.key, 1, null);
    const opened = await openMessage(env, { conversationId: conv, epochs: new Map([[0, { key: z.key, members: z.record.members }], [1, { key: one.key, members: one.record.members }]]), resolveIdentity: f.resolve });
    expect(opened.ok).toBe(true);
    const epochs = [{ epoch: 0, seq: 1, members: z.record.members }, { epoch: 1, seq: 2, members: one.record.members }];
    expect(admitMessage({ epochNamed: env.epoch, sender: env.sender, messageSeq: 3, epochs })).toEqual({ ok: false, reason: 'sender-removed' });
  });

  it('ADMIT6: a refused message is not fed to the transcript; the sender\'s next admitted message shows the gap', async () => {
    const z = await createEpoch({ conversationId: conv, epoch: 0, creator: f.ids.alice, members: [f.pub.alice, f.pub.bob], previous: null });
    const one = await createEpoch({ conversationId: conv, epoch: 1, creator: f.ids.alice, members: [f.pub.alice, f.pub.bob], previous: z.record });
    const epochs = [{ epoch: 0, seq: 1, members: z.record.members }, { epoch: 1, seq: 2, members: one.record.members }];
    const keys = new Map([[0, { key: z.key, members: z.record.members }], [1, { key: one.key, members: one.record.members }]]);
    const first = await seal(f.ids.bob, 0, z.key, 1, null); // far too late: seq 2 + 1025
    const firstOpened = await openMessage(first, { conversationId: conv, epochs: keys, resolveIdentity: f.resolve });
    if (!firstOpened.ok) throw new Error('setup');
    const second = await seal(f.ids.bob, 1, one.key, 2, firstOpened.hash);
    let t = emptyTranscript();
    const log = [{ env: first, seq: 2 + ADMISSION.graceEntries + 1 }, { env: second, seq: 2 + ADMISSION.graceEntries + 2 }];
    const verdicts: string[] = [];
    for (const { env, seq } of log) {
      const opened = await openMessage(env, { conversationId: conv, epochs: keys, resolveIdentity: f.resolve });
      if (!opened.ok) throw new Error('setup');
      const a = admitMessage({ epochNamed: env.epoch, sender: env.sender, messageSeq: seq, epochs });
      if (!a.ok) {
        verdicts.push(a.reason);
        continue;
      }
      const o = observe(t, env, opened.hash);
      t = o.state;
      verdicts.push(o.verdict);
    }
    expect(verdicts).toEqual(['stale-epoch', 'gap']);
  });
});
