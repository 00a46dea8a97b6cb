// A device's services wired together (device.ts: composing, ingest, views) against an
// in-memory service (flushed by hand, no timers), with the real protocol: what the user sees for honest traffic and for each attack the
// client can notice (THREATS R1, M1, M2, G3, T4), and that nothing is stored in clear.
import 'fake-indexeddb/auto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createIdentity, type EpochRecord, type Identity } from '../../../protocol/src/index.ts';
import { deliver, device, FakeService, flush, type TestDevice } from '../../test/support/fake-service.ts';
import type { Db } from '../stores/db.ts';
import { updateConversation } from '../stores/conversations.ts';
import { acceptPendingKey } from '../stores/contacts.ts';
import { BlockedError, blockText } from './warnings.ts';
import { warningText } from './warning-texts.ts';

/** Every record of every store, as text, for "no plaintext at rest" checks. */
async function dump(db: Db): Promise<string> {
  let out = '';
  for (const name of Array.from(db.objectStoreNames)) {
    const rows = await db.getAll(name);
    out += JSON.stringify(rows, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v));
  }
  return out;
}

describe('a device: composing, ingest and views together', () => {
  const service = new FakeService();
  let alice: TestDevice;
  let bob: TestDevice;
  let aliceId: Identity;
  let bobId: Identity;
  let conversationId = '';

  beforeAll(async () => {
    aliceId = (await createIdentity('alice', 'alice passphrase for tests')).identity;
    bobId = (await createIdentity('bob', 'bob passphrase for tests')).identity;
    service.keys.set('alice', aliceId.public);
    service.keys.set('bob', bobId.public);
    alice = await device(service, aliceId);
    bob = await device(service, bobId);
  });

  it('creates a conversation, seals into the outbox at once, and the receiver reads the messages in order', async () => {
    conversationId = await alice.device.composer.startConversation('Bob');
    await alice.device.composer.send(conversationId, 'hello bob');
    await alice.device.composer.send(conversationId, 'second');
    const before = await alice.device.views.messages(conversationId);
    expect(before.map((m) => [m.body, m.state])).toEqual([['hello bob', 'queued'], ['second', 'queued']]);
    await flush(service, alice);
    const report = await deliver(service, bob, conversationId);
    expect(report.toAcknowledge.get(conversationId)?.length).toBe(2);
    const seen = await bob.device.views.messages(conversationId);
    expect(seen.map((m) => [m.sender, m.body, m.warnings.length])).toEqual([['alice', 'hello bob', 0], ['alice', 'second', 0]]);
    // THREATS L3: alice is a stranger to bob, so her conversation is a request: no badge until accepted.
    await bob.device.requests.classify();
    expect((await bob.device.views.summaries())[0]).toMatchObject({ request: 'request', unread: 0 });
    await bob.device.requests.accept(conversationId);
    expect((await bob.device.views.summaries())[0]?.unread).toBe(2);
    expect(await bob.device.views.preview(conversationId)).toBe('second');
  });

  it('turns a signed receipt from the other member into "delivered"', async () => {
    await bob.device.composer.send(conversationId, '', 'receipt', (await bob.device.views.messages(conversationId)).map((m) => m.id));
    await flush(service, bob);
    await deliver(service, alice, conversationId);
    const mine = await alice.device.views.messages(conversationId);
    expect(mine.map((m) => m.state)).toEqual(['delivered', 'delivered']);
  });

  it('shows a changed ciphertext, a replay and a deleted message inline, never silently', async () => {
    await alice.device.composer.send(conversationId, 'third');
    const [third] = await flush(service, alice);
    // The server flips a byte of the ciphertext under a new seq.
    const forged = { ...third!, encryptedContent: third!.encryptedContent.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) };
    service.append(conversationId, 'message', forged);
    // It replays the first message under a new seq.
    service.append(conversationId, 'message', service.logs.get(conversationId)![1]!.body);
    // It drops one message: only the one after it arrives.
    await alice.device.composer.send(conversationId, 'will be deleted');
    await alice.device.composer.send(conversationId, 'after the deleted one');
    await flush(service, alice, (e) => e.counter !== 4);
    await deliver(service, bob, conversationId);
    const views = await bob.device.views.messages(conversationId);
    const kinds = views.flatMap((v) => v.warnings.map((w) => w.code));
    expect(kinds).toEqual(['bad-signature', 'replayed', 'gap']);
    expect(views.map((v) => v.body)).toEqual(['hello bob', 'second', 'third', null, null, 'after the deleted one']);
    expect(views.find((v) => v.body === 'after the deleted one')?.warnings.map(warningText)[0]).toMatch(/1 earlier message from alice is missing/);
    // The queued copy of the message the server dropped is still in Alice's outbox view, as sent.
    expect((await alice.device.views.messages(conversationId)).some((m) => m.body === 'will be deleted')).toBe(true);
  });

  it('refuses a membership change that is not validly signed and pauses sending until reviewed (M1)', async () => {
    const log = service.logs.get(conversationId)!;
    const epoch0 = log[0]!.body as EpochRecord;
    const forged = { ...epoch0, epoch: 1, prevEpochHash: 'f'.repeat(64), createdAt: epoch0.createdAt + 1 };
    service.append(conversationId, 'epoch', forged);
    await deliver(service, bob, conversationId);
    const reason = await bob.device.composer.blockedReason(conversationId);
    expect(reason).toEqual({ code: 'membership-alert' });
    expect(blockText(reason!)).toMatch(/without a valid signature/);
    await expect(bob.device.composer.send(conversationId, 'blocked?')).rejects.toBeInstanceOf(BlockedError);
    const views = await bob.device.views.messages(conversationId);
    expect(views.at(-1)?.warnings[0]?.code).toBe('membership');
  });

  it('holds a substituted directory key as pending and blocks sending to that contact (M2)', async () => {
    const mallory = (await createIdentity('bob', 'mallory pretends to be bob')).identity;
    service.keys.set('bob', mallory.public);
    const { outcome } = await alice.directory.refresh('bob');
    expect(outcome).toBe('changed');
    expect(await alice.device.composer.blockedReason(conversationId)).toEqual({ code: 'key-changed', userId: 'bob', name: 'bob', when: 'send' });
    await expect(alice.device.composer.send(conversationId, 'to the wrong key?')).rejects.toBeInstanceOf(BlockedError);
    service.keys.set('bob', bobId.public);
  });

  it('rebuilds replay state from the signed log on a restored device before anything new (T4)', async () => {
    const restored = await device(service, aliceId);
    await deliver(service, restored, conversationId, false);
    const views = await restored.device.views.messages(conversationId);
    expect(views.filter((v) => v.mine).map((v) => v.body)).toEqual(['hello bob', 'second', 'third', 'after the deleted one']);
    // A replay of an old message to the new device is recognised as one.
    service.append(conversationId, 'message', service.logs.get(conversationId)![2]!.body);
    await deliver(service, restored, conversationId);
    expect((await restored.device.views.messages(conversationId)).at(-1)?.warnings.map((w) => w.code)).toEqual(['replayed']);
    // The forged membership change in the log pauses the restored device too, until reviewed.
    expect(await restored.device.composer.blockedReason(conversationId)).toEqual({ code: 'membership-alert' });
    await updateConversation(restored.db, conversationId, (c) => ({ ...c, membershipAlert: null }));
    // Then its next message starts the restored device's OWN chain (DEV6): a new device key,
    // certified by Alice's account key, never continues another device's counters.
    const row = await restored.device.composer.send(conversationId, 'from the restored device');
    expect(row.envelope).toMatchObject({ v: 2, counter: 1, prevHash: null });
  });

  it('keeps no plaintext at rest on either device', async () => {
    for (const d of [alice, bob]) {
      const text = await dump(d.db);
      for (const secret of ['hello bob', 'second', 'third', 'after the deleted one', 'from the restored device', 'passphrase']) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain(Buffer.from(secret).toString('base64').slice(0, 8));
      }
    }
  });
});

describe('re-keying refused by the server', () => {
  it('says the server refuses new keys (not "offline") when it answers epoch_conflict after a key change', async () => {
    const service = new FakeService();
    const carolId = (await createIdentity('carol', 'carol passphrase for tests')).identity;
    const daveId = (await createIdentity('dave', 'dave passphrase for tests')).identity;
    service.keys.set('carol', carolId.public);
    service.keys.set('dave', daveId.public);
    const carol = await device(service, carolId);
    const id = await carol.device.composer.startConversation('dave');
    // Dave resets his keys; Carol reviews and accepts the new key, so her next message needs a new epoch.
    const daveReset = (await createIdentity('dave', 'dave after a reset')).identity;
    service.keys.set('dave', daveReset.public);
    expect((await carol.directory.refresh('dave')).outcome).toBe('changed');
    await acceptPendingKey(carol.db, 'dave');
    // The server claims a newer epoch than any Carol accepted and refuses hers.
    (carol.api as unknown as Record<string, unknown>).addEpoch = async () => {
      throw Object.assign(new Error('epoch conflict'), { status: 409, code: 'epoch_conflict' });
    };
    const refused = await carol.device.composer.send(id, 'after the reset').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BlockedError);
    expect((refused as BlockedError).reason).toEqual({ code: 'rekey-refused' });
    expect(blockText((refused as BlockedError).reason)).toMatch(/refuses new keys/);
  });
});
