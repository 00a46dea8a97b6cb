// Conversation events through the client's real services (protocol §8a): alice and bob
// seal texts, replies, reactions, edits, deletes and read receipts with their own devices;
// the views fold what each side received. Signed and encrypted like any message.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { emptyTranscript, type OpenResult } from '../../../protocol/src/index.ts';
import { aliceAndBobTalking, deliver, flush } from '../../test/support/fake-service.ts';
import { newConversationRow } from '../stores/conversations.ts';
import { setReadReceipts } from '../stores/preferences.ts';
import type { LogEntry } from './api.ts';
import { decideMessages } from './ingest.ts';

async function talking() {
  const { service, alice, bob, id } = await aliceAndBobTalking();
  const sync = async () => {
    await flush(service, alice);
    await flush(service, bob);
    await deliver(service, alice, id);
    await deliver(service, bob, id);
  };
  return { service, alice, bob, id, sync };
}

describe('conversation events (client)', () => {
  it('EVT6 EVT3: an edit or delete from another member is not applied; the sender\'s own edit and delete are, on both sides', async () => {
    const { alice, bob, id, sync } = await talking();
    await alice.device.composer.send(id, 'meet at 5');
    await sync();
    const [original] = (await bob.device.views.messages(id)).filter((v) => v.body !== null);
    const target = { id: original!.id, hash: original!.hash! };
    // bob signs an edit and a delete of alice's message: validly signed by bob, so accepted
    // as messages, but they are not alice's and change nothing.
    await bob.device.composer.send(id, 'meet at 9', 'edit', undefined, undefined, { target });
    await bob.device.composer.send(id, '', 'delete', undefined, undefined, { target });
    await sync();
    for (const side of [alice, bob]) {
      const shown = (await side.device.views.messages(id)).filter((v) => v.body !== null);
      expect(shown.map((v) => [v.body, v.edited, v.deleted])).toEqual([['meet at 5', false, false]]);
    }
    // A reference with the right id but another hash resolves to nothing (EVT3).
    await alice.device.composer.send(id, 'meet at 7', 'edit', undefined, undefined, { target: { id: target.id, hash: 'f'.repeat(64) } });
    await sync();
    expect((await bob.device.views.messages(id)).find((v) => v.id === target.id)).toMatchObject({ body: 'meet at 5', edited: false });
    await alice.device.composer.send(id, 'meet at 6', 'edit', undefined, undefined, { target });
    await sync();
    for (const side of [alice, bob]) expect((await side.device.views.messages(id)).find((v) => v.id === target.id)).toMatchObject({ body: 'meet at 6', edited: true });
    expect(await bob.device.views.preview(id)).toBe('meet at 6');
    await alice.device.composer.send(id, '', 'delete', undefined, undefined, { target });
    await sync();
    for (const side of [alice, bob]) expect((await side.device.views.messages(id)).find((v) => v.id === target.id)).toMatchObject({ body: '', deleted: true });
    expect(await bob.device.views.preview(id)).toBe('This message was deleted');
  });

  it('EVT2: read receipts are counted as "read" for the sender, not sent again, and neither shown nor wanted when turned off', async () => {
    const { alice, bob, id, sync } = await talking();
    await alice.device.composer.send(id, 'did you read this?');
    await sync();
    const refs = await bob.device.views.readsToSend(id);
    expect(refs).toHaveLength(1);
    await bob.device.composer.send(id, '', 'read', refs);
    expect(await bob.device.views.readsToSend(id)).toEqual([]); // sealed: not asked again
    await sync();
    const mine = (await alice.device.views.messages(id)).find((v) => v.body === 'did you read this?');
    expect(mine).toMatchObject({ state: 'delivered', read: { by: 1, of: 1 } }); // a read one is delivered too
    // Off on alice's device: the same signed receipt is not shown.
    await setReadReceipts(alice.db, false);
    expect((await alice.device.views.messages(id)).find((v) => v.body === 'did you read this?')).toMatchObject({ state: 'delivered', read: { by: 0, of: 1 } });
    // Replies and reactions round-trip too.
    const target = { id: mine!.id, hash: mine!.hash! };
    await bob.device.composer.send(id, 'yes!', 'text', undefined, undefined, { replyTo: target });
    await bob.device.composer.send(id, '👍', 'reaction', undefined, undefined, { target });
    await sync();
    const seen = await alice.device.views.messages(id);
    expect(seen.find((v) => v.body === 'yes!')!.replyTo).toEqual({ id: target.id, sender: 'alice', body: 'did you read this?', state: 'shown' });
    expect(seen.find((v) => v.id === target.id)!.reactions).toEqual([{ emoji: '👍', by: ['bob'] }]);
  });

  it('EVT7: an event from another member is not unread, moves no activity and gets no delivery receipt', () => {
    const cid = 'c1';
    const entry = (seq: number, counter: number, prevHash: string | null): LogEntry => ({
      conversationId: cid, seq, kind: 'message', createdAt: new Date(1_700_000_000_000).toISOString(),
      body: { sender: 'bob', counter, prevHash, clientMessageId: `m${seq}`, epoch: 0, conversationId: cid },
    });
    const target = { id: '00000000-0000-4000-8000-000000000001', hash: '1'.repeat(64) };
    const results: OpenResult[] = [
      { ok: true, plaintext: { type: 'reaction', body: '👍', composedAt: 5_000, target }, hash: 'h1' },
      { ok: true, plaintext: { type: 'read', body: '', composedAt: 6_000, refs: [target.id] }, hash: 'h2' },
    ];
    const d = decideMessages({
      me: 'alice', conversation: newConversationRow(cid, 0), transcript: emptyTranscript(), opts: { live: true }, now: 10_000,
      epochs: [{ epoch: 0, seq: 1, members: [{ userId: 'alice', fingerprint: 'fa' }, { userId: 'bob', fingerprint: 'fb' }] }],
      run: [entry(2, 1, null), entry(3, 2, 'h1')], results,
    });
    expect(d.rows.map((r) => [r.check.ok, r.check.kind])).toEqual([[true, 'reaction'], [true, 'read']]);
    expect([d.conversation.unread, d.conversation.lastActivity, d.acknowledge, d.receipts]).toEqual([0, 0, [], []]);
  });
});
