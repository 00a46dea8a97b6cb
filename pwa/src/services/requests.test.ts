// Message requests (THREATS L3), the client's part, against the real service: the product's
// Device (Sync, Requests, Views) on fake-indexeddb through test/hardening's PwaClient. A
// stranger's conversation arrives as a request (no unread badge, no receipt); a contact's
// does not; blocking is told to the service, which then refuses the stranger's next one.
import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEpoch } from '../../../protocol/src/index.ts';
import { identity as fixtureIdentity } from '../../../test/support/identities.ts';
import { PwaClient } from '../../../test/hardening/support/pwa-client.ts';
import { ORIGIN, startApp, type TestApp } from '../../../test/support/service.ts';
import { queued } from '../stores/outbox.ts';
import { ApiError } from './api.ts';

describe('L3 message requests on the device, against the real service', () => {
  let app: TestApp;
  let alice: PwaClient, bob: PwaClient, carol: PwaClient;

  beforeAll(async () => {
    app = await startApp({ listen: true });
    const baseUrl = `http://127.0.0.1:${app.server.info.port}`;
    [alice, bob, carol] = await Promise.all((['alice', 'bob', 'carol'] as const).map(async (n) => PwaClient.create(await fixtureIdentity(n), baseUrl, { origin: ORIGIN })));
    for (const c of [alice, bob, carol]) {
      await c.register();
      await c.login();
    }
    // Bob receives as the app does: receipts sealed after each pull.
    bob.device.sync.acknowledge = true;
  });
  afterAll(async () => {
    for (const c of [alice, bob, carol]) c?.close();
    await app?.close();
  });

  it('L3 a stranger\'s conversation arrives as a request (no badge, no receipt); a contact\'s does not', async () => {
    // Bob talked to carol before: he opened a conversation with her.
    await bob.device.composer.startConversation('carol');
    await bob.device.requests.accept((await bob.device.views.summaries())[0]!.conversationId);
    // Carol (a contact) opens another conversation with bob; alice (a stranger) opens one too.
    const identity = carol.identity;
    const bobKeys = (await carol.api.keys('bob')).current.identity;
    const { record } = await createEpoch({ conversationId: crypto.randomUUID(), epoch: 0, creator: identity, members: [identity.public, bobKeys], previous: null });
    await carol.api.createConversation(record);
    await carol.device.sync.pull({ live: true });
    await carol.device.composer.send(record.conversationId, 'hi bob, carol here');
    expect((await carol.flush()).ok).toBe(true);
    const fromAlice = await alice.device.composer.startConversation('bob');
    await alice.device.composer.send(fromAlice, 'hello, you do not know me');
    expect((await alice.flush()).ok).toBe(true);

    await bob.pull();
    const states = await bob.device.requests.classify();
    expect(states.get(fromAlice)).toMatchObject({ state: 'request', from: 'alice' });
    expect(states.get(record.conversationId)).toMatchObject({ state: 'accepted', from: 'carol' });
    const summaries = new Map((await bob.device.views.summaries()).map((s) => [s.conversationId, s]));
    expect(summaries.get(fromAlice)).toMatchObject({ request: 'request', unread: 0 });
    expect(summaries.get(record.conversationId)).toMatchObject({ request: 'accepted', unread: 1 });
    // The request's text can be read, but alice is not told it arrived: receipts only for carol.
    expect((await bob.device.views.messages(fromAlice)).map((m) => m.body)).toEqual(['hello, you do not know me']);
    const receipts = (await queued(bob.db)).filter((r) => r.kind === 'receipt');
    expect(receipts.map((r) => r.conversationId)).toEqual([record.conversationId]);

    // Accepting makes it a normal conversation.
    await bob.device.requests.accept(fromAlice);
    expect((await bob.device.views.summaries()).find((s) => s.conversationId === fromAlice)).toMatchObject({ request: 'accepted', unread: 1 });
  });

  it('L3 blocking the sender of a request: hidden, the service refuses their next conversation, and their later messages are not shown', async () => {
    const dave = await PwaClient.create(await fixtureIdentity('dave'), alice.baseUrl, { origin: ORIGIN });
    await dave.register();
    await dave.login();
    const fromDave = await dave.device.composer.startConversation('bob');
    await dave.device.composer.send(fromDave, 'buy my stuff');
    expect((await dave.flush()).ok).toBe(true);
    await bob.pull();
    expect((await bob.device.requests.classify()).get(fromDave)?.state).toBe('request');
    await bob.device.requests.block(fromDave);
    expect((await bob.device.views.summaries()).find((s) => s.conversationId === fromDave)?.request).toBe('blocked');
    expect((await bob.api.blocks()).blocks.map((b) => b.userId)).toEqual(['dave']);

    // The service refuses dave's next conversation with bob.
    const refused = await dave.device.composer.startConversation('bob').then(() => null, (e: unknown) => e);
    expect(refused).toBeNull(); // reopening the existing one needs no request to the service
    const bobKeys = (await dave.api.keys('bob')).current.identity;
    const { record } = await createEpoch({ conversationId: crypto.randomUUID(), epoch: 0, creator: dave.identity, members: [dave.identity.public, bobKeys], previous: null });
    const err = await dave.api.createConversation(record).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 403, code: 'conversation_refused' });

    // Dave's messages after the block, in the old conversation, are not shown.
    await new Promise((r) => setTimeout(r, 5));
    await dave.device.composer.send(fromDave, 'still there?');
    expect((await dave.flush()).ok).toBe(true);
    await bob.pull();
    expect((await bob.device.views.messages(fromDave)).map((m) => m.body)).toEqual(['buy my stuff']);
    dave.close();
  });
});
