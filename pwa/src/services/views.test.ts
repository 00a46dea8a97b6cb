// Views: the list (summaries with a block reason as a code, previews) and a conversation's
// messages with states and warnings as codes, including after a reload (plaintexts are
// opened again from the stored ciphertext, never stored in clear).
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { aliceAndBob, deliver, device, flush } from '../../test/support/fake-service.ts';
import { setVerified } from '../stores/contacts.ts';
import { updateConversation } from '../stores/conversations.ts';
import { markResults, queued } from '../stores/outbox.ts';
import { Views } from './views.ts';
import { Keyring } from './keyring.ts';
import { searchablePage } from './search.ts';
import type { OutgoingAttachment } from './composing.ts';
import { paddedChunkCount, toBase64Url } from '../../../protocol/src/index.ts';

describe('views', () => {
  it('summarises conversations with unread counts, block reasons as codes and previews', async () => {
    const { service, aliceId, bobId } = await aliceAndBob();
    const alice = await device(service, aliceId);
    const bob = await device(service, bobId);
    const id = await alice.device.composer.startConversation('bob');
    await alice.device.composer.send(id, 'hello');
    expect(await alice.device.views.preview(id)).toBe('You: hello');
    await flush(service, alice);
    await deliver(service, bob, id);
    // THREATS L3: from a stranger, a request (no unread badge) until bob accepts it.
    await bob.device.requests.classify();
    expect((await bob.device.views.summaries())[0]).toMatchObject({ request: 'request', unread: 0 });
    await bob.device.requests.accept(id);
    expect(await bob.device.views.summaries()).toEqual([{ conversationId: id, members: ['alice', 'bob'], others: ['alice'], unread: 1, lastActivity: expect.any(Number), preview: null, blocked: null, request: 'accepted', verified: false, group: null }]);
    expect(await bob.device.views.preview(id)).toBe('hello');
    await bob.device.views.markRead(id);
    await updateConversation(bob.db, id, (c) => ({ ...c, membershipAlert: { seq: 9, reason: 'epoch-tampered', at: 1 } }));
    expect((await bob.device.views.summaries())[0]).toMatchObject({ unread: 0, blocked: { code: 'membership-alert' } });
    // Issue 16, bug 9: verified once every other member is a verified contact.
    await setVerified(bob.db, 'alice', true);
    expect((await bob.device.views.summaries())[0]).toMatchObject({ verified: true });
  });

  it('previews a file sent without text by what it is and its name, on both sides, and search finds it so', async () => {
    const { service, aliceId, bobId } = await aliceAndBob();
    const alice = await device(service, aliceId);
    const bob = await device(service, bobId);
    const id = await alice.device.composer.startConversation('bob');
    await alice.device.composer.send(id, 'hello');
    const file = (name: string, type: string): OutgoingAttachment => ({
      clientMessageId: crypto.randomUUID(),
      ref: { blobId: crypto.randomUUID(), key: toBase64Url(new Uint8Array(32)), size: 10, chunks: paddedChunkCount(10), type, name, sha256: '0'.repeat(64), preview: null },
    });
    await alice.device.composer.send(id, '', 'text', undefined, file('report.pdf', 'application/pdf'));
    expect(await alice.device.views.preview(id)).toBe('You: File: report.pdf');
    await alice.device.composer.send(id, '', 'text', undefined, file('sunset.png', 'image/png'));
    expect(await alice.device.views.preview(id)).toBe('You: Photo: sunset.png');
    await flush(service, alice);
    await deliver(service, bob, id);
    expect(await bob.device.views.preview(id)).toBe('Photo: sunset.png');
    // ...and search finds them by that name.
    const { texts } = await searchablePage(bob.db, bob.device.views, id, 0, 100);
    expect(texts.map((t) => t.body)).toEqual(['hello', 'File: report.pdf', 'Photo: sunset.png']);
  });

  it('shows states (queued, sent, failed with a rejected warning) and reopens plaintexts after a reload', async () => {
    const { service, aliceId } = await aliceAndBob();
    const alice = await device(service, aliceId);
    const id = await alice.device.composer.startConversation('bob');
    for (const t of ['kept', 'refused', 'waiting']) await alice.device.composer.send(id, t);
    const [kept, refused] = await queued(alice.db);
    await markResults(alice.db, [
      { clientMessageId: kept!.clientMessageId, status: 'stored', seq: 2 },
      { clientMessageId: refused!.clientMessageId, status: 'rejected', error: { code: 'too_large', message: 'too large' } },
    ]);
    // A fresh Views with an empty memory, as after a reload: the outbox is opened again.
    const reloaded = new Views({ db: alice.db, keyring: new Keyring(aliceId) });
    const views = await reloaded.messages(id);
    expect(views.map((v) => [v.body, v.state, v.warnings.map((w) => w.code)])).toEqual([
      ['kept', 'sent', []], ['refused', 'failed', ['rejected']], ['waiting', 'queued', []],
    ]);
    expect(await reloaded.messages('nope')).toEqual([]);
  });
});
