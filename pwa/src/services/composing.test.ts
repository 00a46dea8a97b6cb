// Composing: starting (or reopening) a conversation, sealing into the outbox without the
// network, the reasons sending is refused (as codes), and re-keying after a key change.
import 'fake-indexeddb/auto';
import { beforeEach, describe, expect, it } from 'vitest';
import { identity as fixtureIdentity } from '../../../test/support/identities.ts';
import { device, FakeService, type TestDevice } from '../../test/support/fake-service.ts';
import { acceptPendingKey } from '../stores/contacts.ts';
import { getChain, getConversation, getEpochs, updateConversation } from '../stores/conversations.ts';
import { queued } from '../stores/outbox.ts';
import { NetworkError } from './api.ts';
import { BlockedError, blockText } from './warnings.ts';

describe('composing', () => {
  let service: FakeService;
  let alice: TestDevice;

  beforeEach(async () => {
    service = new FakeService();
    for (const name of ['alice', 'bob', 'carol'] as const) service.keys.set(name, (await fixtureIdentity(name)).public);
    alice = await device(service, await fixtureIdentity('alice'));
  });

  const refusal = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => (e instanceof BlockedError ? e.reason : e));

  it('starts a conversation once per person, and refuses one with yourself', async () => {
    const id = await alice.device.composer.startConversation(' Bob ');
    expect(await alice.device.composer.startConversation('bob')).toBe(id);
    expect(await alice.device.composer.startConversation(' @Bob')).toBe(id); // as the screens show ids
    expect(service.logs.size).toBe(1);
    expect(await getConversation(alice.db, id)).toMatchObject({ members: ['alice', 'bob'], latestEpoch: 0, lastSeq: 1 });
    expect(await refusal(alice.device.composer.startConversation('ALICE'))).toEqual({ code: 'own-user-name' });
    // Refused on the device in plain words, before any request (the service's 400 said only
    // "could not accept that"): nothing typed, spaces, too long, letters a user name cannot have.
    expect(await refusal(alice.device.composer.startConversation('   '))).toEqual({ code: 'user-name-empty' });
    for (const typed of ['b', 'x'.repeat(33), 'שלום', 'bob!', '-bob']) {
      expect(await refusal(alice.device.composer.startConversation(` ${typed} `))).toEqual({ code: 'user-name-format', typed });
    }
    // Among several names, the refusal names the one at fault.
    expect(await refusal(alice.device.composer.createGroup('Team', ['bob', 'carol!', 'dave']))).toEqual({ code: 'user-name-format', typed: 'carol!' });
    expect(blockText({ code: 'user-name-format', typed: 'carol!' })).toMatch(/^“\u2068carol!\u2069” is not a user name\./);
    expect(await alice.device.composer.blockedReason(id)).toBeNull();
    expect(await alice.device.composer.blockedReason('nope')).toEqual({ code: 'unknown-conversation' });
  });

  it('adds and removes members with new signed epochs (L9), each with a fresh key; a repeat changes nothing', async () => {
    const id = await alice.device.composer.startConversation('bob');
    expect(await alice.device.composer.addMember(id, ' Carol ')).toMatchObject({ members: ['alice', 'bob', 'carol'], latestEpoch: 1 });
    expect((await alice.device.composer.addMember(id, 'carol')).latestEpoch).toBe(1);
    expect(await alice.device.composer.removeMember(id, 'bob')).toMatchObject({ members: ['alice', 'carol'], latestEpoch: 2 });
    expect((await alice.device.composer.removeMember(id, 'bob')).latestEpoch).toBe(2);
    expect(await refusal(alice.device.composer.removeMember(id, 'alice'))).toEqual({ code: 'own-user-name' });
    const epochs = await getEpochs(alice.db, id);
    expect(epochs.map((e) => [e.epoch, e.seq, e.record.creator, e.members.map((m) => m.userId)])).toEqual([
      [0, 1, 'alice', ['alice', 'bob']], [1, 2, 'alice', ['alice', 'bob', 'carol']], [2, 3, 'alice', ['alice', 'carol']],
    ]);
    expect(service.logs.get(id)!.map((e) => e.kind)).toEqual(['epoch', 'epoch', 'epoch']);
    const row = await alice.device.composer.send(id, 'to carol only');
    expect(row.envelope.epoch).toBe(2);
  });

  it('seals messages in order into the outbox, continuing the chain, with no network', async () => {
    const id = await alice.device.composer.startConversation('bob');
    const api = alice.api as unknown as Record<string, unknown>;
    api.keys = api.createConversation = api.addEpoch = async () => { throw new NetworkError(); };
    await Promise.all(['a', 'b', 'c'].map((t) => alice.device.composer.send(id, t)));
    const rows = await queued(alice.db);
    expect(rows.map((r) => r.envelope.counter)).toEqual([1, 2, 3]);
    expect(rows[0]!.envelope.prevHash).toBeNull();
    expect(rows[1]!.envelope.prevHash).not.toBeNull();
    expect((await getChain(alice.db, id))?.counter).toBe(3);
    expect(await refusal(alice.device.composer.send('nope', 'x'))).toEqual({ code: 'unknown-conversation' });
  });

  it('refuses to send while a membership alert or a changed key waits for review', async () => {
    const id = await alice.device.composer.startConversation('bob');
    await updateConversation(alice.db, id, (c) => ({ ...c, membershipAlert: { seq: 2, reason: 'epoch-bad-signature', at: 1 } }));
    expect(await refusal(alice.device.composer.send(id, 'x'))).toEqual({ code: 'membership-alert' });
    await updateConversation(alice.db, id, (c) => ({ ...c, membershipAlert: null }));
    service.keys.set('bob', (await fixtureIdentity('mallory', 'bob')).public);
    expect((await alice.directory.refresh('bob')).outcome).toBe('changed');
    expect(await refusal(alice.device.composer.send(id, 'x'))).toEqual({ code: 'key-changed', userId: 'bob', name: 'bob', when: 'send' });
    expect(await refusal(alice.device.composer.startConversation('bob'))).toBeNull(); // reopening is fine
  });

  it('re-keys after an accepted key change before the next text, and says so when offline', async () => {
    const id = await alice.device.composer.startConversation('carol');
    service.keys.set('carol', (await fixtureIdentity('dave', 'carol')).public);
    await alice.directory.refresh('carol');
    await acceptPendingKey(alice.db, 'carol');
    const api = alice.api as unknown as Record<string, unknown>;
    const addEpoch = api.addEpoch;
    api.addEpoch = async () => { throw new NetworkError(); };
    expect(await refusal(alice.device.composer.send(id, 'x'))).toEqual({ code: 'rekey-offline' });
    api.addEpoch = addEpoch;
    await alice.device.composer.send(id, 'after the reset');
    expect((await getConversation(alice.db, id))?.latestEpoch).toBe(1);
    expect((await queued(alice.db)).map((r) => r.envelope.epoch)).toEqual([1]);
  });
});
