// Display names on the client (SPEC §8b): read from the signed, encrypted profile messages
// in the log, in memory only; the directory's display name is never used; a name that
// reads as another user id is not shown; the user's own name is sealed at rest.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { aliceAndBob, deliver, device, flush } from '../../test/support/fake-service.ts';
import { Keyring } from './keyring.ts';
import { Names } from './names.ts';
import { Views } from './views.ts';

describe('display names', () => {
  it('NAME1, NAME4: a contact\'s name is their latest profile message, never the directory\'s, never shown as a bubble, and not shown when it reads as another user id', async () => {
    const { service, aliceId, bobId } = await aliceAndBob();
    const alice = await device(service, aliceId);
    const bob = await device(service, bobId);
    const id = await alice.device.composer.startConversation('bob');
    await alice.device.composer.send(id, 'Alice Liddell', 'profile');
    await alice.device.composer.send(id, 'hi');
    await flush(service, alice);
    await deliver(service, bob, id);
    // The directory's field (a server's word) is not a name.
    const contact = (await bob.db.get('contacts', 'alice'))!;
    await bob.db.put('contacts', { ...contact, displayName: 'Server Says Mallory' });
    const names = new Names(bob.db, bob.device.views, 'bob');
    expect(await names.refresh([id])).toEqual(new Map([['alice', 'Alice Liddell']]));
    expect((await bob.device.views.messages(id)).map((m) => m.body)).toEqual(['hi']);
    // A later name reading as bob's own id: not shown (NAME4); nothing else instead.
    await alice.device.composer.send(id, '@BOB', 'profile');
    await flush(service, alice);
    await deliver(service, bob, id);
    expect(await names.refresh([id])).toEqual(new Map());
    // After a reload (empty memory), the same, from the log.
    const reloaded = new Names(bob.db, new Views({ db: bob.db, keyring: new Keyring(bobId) }), 'bob');
    expect(await reloaded.refresh([id])).toEqual(new Map());
  });

  it('NAME2: the user\'s own name is cleaned and kept sealed on the device, never in clear', async () => {
    const { service, aliceId } = await aliceAndBob();
    const alice = await device(service, aliceId);
    const names = new Names(alice.db, alice.device.views, 'alice');
    expect(await names.setMine('\u202E Alice   Liddell \u202C')).toBe('Alice Liddell');
    expect(await new Names(alice.db, alice.device.views, 'alice').mine()).toBe('Alice Liddell');
    const rows = JSON.stringify(await alice.db.getAll('settings'), (_k, v: unknown) => (v instanceof ArrayBuffer || ArrayBuffer.isView(v) ? Buffer.from(v as ArrayBuffer).toString('latin1') : v));
    expect(rows).not.toContain('Liddell');
    expect(await names.setMine('   ')).toBe('');
    expect(await names.mine()).toBe('');
  });
});
