// Groups in the client: creating one (name and members checked), its name shown but never
// stored or sent in the clear, admins-only changes (GRP5) refused and shown, and the trust
// rule per member (THREATS M1, L9).
import 'fake-indexeddb/auto';
import { beforeEach, describe, expect, it } from 'vitest';
import { createEpoch, epochSigningInput, toBase64Url, type EpochRecord, type Identity } from '../../../protocol/src/index.ts';
import { identity as fixtureIdentity } from '../../../test/support/identities.ts';
import { deliver, device, flush, FakeService, type TestDevice } from '../../test/support/fake-service.ts';
import { acceptPendingKey } from '../stores/contacts.ts';
import { getConversation, getEpochs } from '../stores/conversations.ts';
import { BlockedError } from './warnings.ts';

const refusal = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => (e instanceof BlockedError ? e.reason : (e as Error).name));

async function resign(r: EpochRecord, signer: Identity): Promise<EpochRecord> {
  const sig = await crypto.subtle.sign({ name: 'Ed25519' }, signer.signing.privateKey, epochSigningInput(r) as Uint8Array<ArrayBuffer>);
  return { ...r, sig: toBase64Url(new Uint8Array(sig)) };
}

describe('groups (client)', () => {
  let service: FakeService;
  const ids = {} as Record<'alice' | 'bob' | 'carol' | 'mallory', Identity>;
  let alice: TestDevice;
  let bob: TestDevice;
  let carol: TestDevice;

  beforeEach(async () => {
    service = new FakeService();
    for (const name of ['alice', 'bob', 'carol', 'mallory'] as const) {
      ids[name] = await fixtureIdentity(name);
      service.keys.set(name, ids[name].public);
    }
    alice = await device(service, ids.alice);
    bob = await device(service, ids.bob);
    carol = await device(service, ids.carol);
  });

  it('GRP3: a new group checks its name and members before anything is sent', async () => {
    const c = alice.device.composer;
    expect(await refusal(c.createGroup('   ', ['bob']))).toEqual({ code: 'group-name', problem: 'empty' });
    expect(await refusal(c.createGroup('x'.repeat(65), ['bob']))).toEqual({ code: 'group-name', problem: 'too-long' });
    expect(await refusal(c.createGroup('a\u202Eb', ['bob']))).toEqual({ code: 'group-name', problem: 'control-characters' });
    expect(await refusal(c.createGroup('Team', []))).toEqual({ code: 'group-empty' });
    expect(await refusal(c.createGroup('Team', ['Alice']))).toEqual({ code: 'group-empty' }); // our own name is left out
    expect(await refusal(c.createGroup('Team', Array.from({ length: 256 }, (_, i) => `user${i}`)))).toEqual({ code: 'group-too-large', max: 256 });
    await expect(c.createGroup('Team', ['bob', 'nobody'])).rejects.toThrow(); // an unknown user name refuses the whole group
    expect(service.logs.size).toBe(0);
  });

  it('GRP1 GRP3: a group is created with its name sealed; every member reads the name and the event, the server sees neither', async () => {
    const id = await alice.device.composer.createGroup('  فريق التسلق ', ['bob', ' Carol ', 'bob', 'ALICE']);
    expect(await getConversation(alice.db, id)).toMatchObject({ members: ['alice', 'bob', 'carol'], latestEpoch: 0 });
    expect(JSON.stringify(service.logs.get(id))).not.toContain('التسلق');
    await deliver(service, bob, id);
    const [summary] = await bob.device.views.summaries();
    expect(summary!.group).toEqual({ name: 'فريق التسلق', admins: ['alice'] });
    expect((await bob.device.views.events(id))[0]!.events).toEqual([{ code: 'group-created', by: 'alice', name: 'فريق التسلق', with: ['bob', 'carol'] }]);
    // the name is not stored in the clear on the device either
    expect(JSON.stringify(await getConversation(bob.db, id))).not.toContain('التسلق');
    // sending to the group is one envelope, sealed once under the epoch key, whatever its size
    await alice.device.composer.send(id, 'to all of you');
    expect(await flush(service, alice)).toHaveLength(1);
    // the list's preview names who wrote, in a group (one-to-one, the title does)
    await deliver(service, bob, id);
    expect(await bob.device.views.preview(id)).toBe('alice: to all of you');
    expect(await alice.device.views.preview(id)).toBe('You: to all of you');
  });

  it('M1 GRP5: a member who is not an admin cannot add anyone; a signed record by them adding someone is refused and shown, sending paused', async () => {
    const id = await alice.device.composer.createGroup('Team', ['bob', 'carol']);
    await deliver(service, bob, id);
    expect(await refusal(bob.device.composer.addMember(id, 'mallory'))).toEqual({ code: 'not-admin' });
    const latest = (await getEpochs(bob.db, id)).at(-1)!;
    const made = await createEpoch({ conversationId: id, epoch: 1, creator: ids.alice, members: [ids.alice.public, ids.bob.public, ids.carol.public, ids.mallory.public], previous: latest.record, group: { name: 'Team', admins: ['alice'] } });
    service.append(id, 'epoch', await resign({ ...made.record, creator: 'bob' }, ids.bob));
    await deliver(service, carol, id);
    const conv = await getConversation(carol.db, id);
    expect(conv).toMatchObject({ members: ['alice', 'bob', 'carol'], latestEpoch: 0, membershipAlert: { seq: 2, reason: 'epoch-not-an-admin' } });
    const warnings = (await carol.device.views.messages(id)).flatMap((m) => m.warnings);
    expect(warnings).toEqual([{ code: 'not-an-admin', by: 'bob' }]);
    expect(await refusal(carol.device.composer.send(id, 'x'))).toEqual({ code: 'membership-alert' });
  });

  it('L9 GRP5: a member who is not an admin cannot remove someone: the removed member does not take it as a removal', async () => {
    const id = await alice.device.composer.createGroup('Team', ['bob', 'carol']);
    await deliver(service, bob, id);
    expect(await refusal(bob.device.composer.removeMember(id, 'carol'))).toEqual({ code: 'not-admin' });
    const latest = (await getEpochs(bob.db, id)).at(-1)!;
    const made = await createEpoch({ conversationId: id, epoch: 1, creator: ids.alice, members: [ids.alice.public, ids.bob.public], previous: latest.record, group: { name: 'Team', admins: ['alice'] } });
    service.append(id, 'epoch', await resign({ ...made.record, creator: 'bob' }, ids.bob));
    await deliver(service, carol, id);
    expect(await getConversation(carol.db, id)).toMatchObject({ members: ['alice', 'bob', 'carol'], membershipAlert: { reason: 'epoch-not-an-admin' } });
    expect(await carol.device.composer.blockedReason(id)).toEqual({ code: 'membership-alert' });
  });

  it('GRP7: a member who is not an admin cannot rename the group in a re-key: refused and shown, the name stays', async () => {
    const id = await alice.device.composer.createGroup('Team', ['bob', 'carol']);
    await deliver(service, bob, id);
    const latest = (await getEpochs(bob.db, id)).at(-1)!;
    const renamed = await createEpoch({ conversationId: id, epoch: 1, creator: ids.bob, members: [ids.alice.public, ids.bob.public, ids.carol.public], previous: latest.record, group: { name: 'Bob rules', admins: ['alice'] } });
    service.append(id, 'epoch', renamed.record);
    await deliver(service, carol, id);
    expect(await getConversation(carol.db, id)).toMatchObject({ latestEpoch: 0, membershipAlert: { reason: 'epoch-not-an-admin' } });
    expect((await carol.device.views.summaries())[0]!.group).toEqual({ name: 'Team', admins: ['alice'] });
    // the same re-key keeping the name is fine (GRP5)
    const service2 = new FakeService();
    for (const n of ['alice', 'bob', 'carol'] as const) service2.keys.set(n, ids[n].public);
    const [a2, b2, c2] = await Promise.all([device(service2, ids.alice), device(service2, ids.bob), device(service2, ids.carol)]);
    const id2 = await a2.device.composer.createGroup('Team', ['bob', 'carol']);
    await deliver(service2, b2, id2);
    const l2 = (await getEpochs(b2.db, id2)).at(-1)!;
    service2.append(id2, 'epoch', (await createEpoch({ conversationId: id2, epoch: 1, creator: ids.bob, members: [ids.alice.public, ids.bob.public, ids.carol.public], previous: l2.record, group: { name: 'Team', admins: ['alice'] } })).record);
    await deliver(service2, c2, id2);
    expect(await getConversation(c2.db, id2)).toMatchObject({ latestEpoch: 1, membershipAlert: null });
  });

  it('L2 GRP6: bob leaves; everyone sees it; the next sender re-keys first, so bob reads nothing after', async () => {
    const id = await alice.device.composer.createGroup('Team', ['bob', 'carol']);
    await deliver(service, bob, id);
    expect(await refusal(alice.device.composer.leave('nope'))).toEqual({ code: 'unknown-conversation' });
    await bob.device.composer.leave(id);
    expect(await bob.device.composer.blockedReason(id)).toEqual({ code: 'removed' });
    expect((await bob.device.views.events(id)).at(-1)!.events).toEqual([{ code: 'member-left', by: 'bob', userId: 'bob' }]);
    await deliver(service, carol, id);
    expect(await getConversation(carol.db, id)).toMatchObject({ members: ['alice', 'carol'], latestEpoch: 1, membershipAlert: null });
    expect((await carol.device.views.events(id)).at(-1)!.events).toEqual([{ code: 'member-left', by: 'bob', userId: 'bob' }]);
    const row = await carol.device.composer.send(id, 'after bob left');
    expect(row.envelope.epoch).toBe(2);
    expect((await getEpochs(carol.db, id)).at(-1)!.record).toMatchObject({ creator: 'carol', admins: ['alice'] });
    await flush(service, carol);
    await deliver(service, alice, id);
    expect((await alice.device.views.messages(id)).map((m) => m.body)).toContain('after bob left');
    await deliver(service, bob, id);
    expect((await bob.device.views.messages(id)).map((m) => m.body)).not.toContain('after bob left');
    // a one-to-one conversation is not left this way
    const one = await alice.device.composer.startConversation('bob');
    expect(await refusal(alice.device.composer.leave(one))).toEqual({ code: 'not-a-group' });
  });

  it('GRP5: the admin removes carol (she is told), adds mallory; any member re-keys after a key change, keeping the name', async () => {
    const id = await alice.device.composer.createGroup('Team', ['bob', 'carol']);
    await alice.device.composer.removeMember(id, 'carol');
    await alice.device.composer.addMember(id, 'mallory');
    await deliver(service, carol, id);
    expect(await carol.device.composer.blockedReason(id)).toEqual({ code: 'removed' });
    await deliver(service, bob, id);
    expect((await bob.device.views.summaries())[0]!.group).toEqual({ name: 'Team', admins: ['alice'] });
    // the trust rule holds per member: mallory's key changes, so bob may not send until he reviews it
    service.keys.set('mallory', (await fixtureIdentity('dave', 'mallory')).public);
    expect((await bob.directory.refresh('mallory')).outcome).toBe('changed');
    expect(await refusal(bob.device.composer.send(id, 'x'))).toMatchObject({ code: 'key-changed', userId: 'mallory' });
    await acceptPendingKey(bob.db, 'mallory');
    const row = await bob.device.composer.send(id, 'after review');
    const epochs = await getEpochs(bob.db, id);
    expect(row.envelope.epoch).toBe(3);
    expect(epochs.at(-1)!.record).toMatchObject({ creator: 'bob', admins: ['alice'] });
    await flush(service, bob);
    await deliver(service, alice, id);
    expect((await alice.device.views.summaries())[0]!.group).toEqual({ name: 'Team', admins: ['alice'] });
  });
});
