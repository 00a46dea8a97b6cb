// Restore: after the key file is open, log in, adopt the identity, replay the whole log
// (nothing unread, nothing acknowledged), and summarise what failed by warning code.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { identity as fixtureIdentity } from '../../../test/support/identities.ts';
import { aliceAndBob, device, flush } from '../../test/support/fake-service.ts';
import { loadIdentity, saveIdentity } from '../stores/account.ts';
import { openDatabase } from '../stores/db.ts';
import { queued } from '../stores/outbox.ts';
import type { EnvelopeV2 } from '../../../protocol/src/index.ts';
import type { Api } from './api.ts';
import { Device } from './device.ts';
import { restoreAccount, restoreSummary, type RestoreProgress } from './restore.ts';
import type { Session } from './session.ts';

let n = 0;

describe('restore', () => {
  it('replays the history quietly and counts what could not be recovered', async () => {
    const { service, aliceId, bobId } = await aliceAndBob();
    const alice = await device(service, aliceId);
    const id = await alice.device.composer.startConversation('bob');
    for (const t of ['one', 'two']) await alice.device.composer.send(id, t);
    const [first] = await flush(service, alice);
    service.append(id, 'message', first); // replayed
    service.append(id, 'message', { ...first, sender: 'bob', device: { ...(first as EnvelopeV2).device, userId: 'bob' } }); // a device bob's key never certified (DEV3)

    const db = await openDatabase(`restore-${++n}`);
    const api = service.api();
    const logins: string[] = [];
    const session = { login: async (i: { userId: string }) => void logins.push(i.userId) } as unknown as Session;
    let wired: Device | null = null;
    const progress: RestoreProgress[] = [];
    const summary = await restoreAccount(
      {
        db, api, session,
        adopt: async (identity) => {
          await saveIdentity(db, { userId: identity.userId, displayName: 'Bob', public: identity.public, encryption: identity.encryption, signing: identity.signing, fingerprint: 'f', createdAt: 1, keyFileConfirmedAt: null });
          wired = new Device({ db, api, identity });
          return wired;
        },
      },
      bobId, (p) => progress.push(p),
    );
    expect(logins).toEqual(['bob']);
    expect(progress[0]).toEqual({ stage: 'login', done: 0, total: 0 });
    expect(progress.at(-1)).toEqual({ stage: 'done', done: 5, total: 5 });
    expect(summary.conversations).toBe(1);
    expect(summary.messages).toBe(2);
    expect(summary.failed.map((f) => [f.warning.code, f.count])).toEqual([['replayed', 1], ['bad-certificate', 1]]);
    // Counted as the pages were stored, it is what reading the device back says.
    expect(summary).toEqual(await restoreSummary(db));
    expect((await loadIdentity(db))?.keyFileConfirmedAt).not.toBeNull();
    expect((await wired!.views.summaries())[0]?.unread).toBe(0);
    expect(await queued(db)).toEqual([]); // no receipts for history
    expect(wired!.sync.acknowledge).toBe(true); // live entries after the restore are acknowledged again
  });

  it('refuses to restore over another account', async () => {
    const db = await openDatabase(`restore-${++n}`);
    const alice = await fixtureIdentity('alice');
    await saveIdentity(db, { userId: 'alice', displayName: 'Alice', public: alice.public, encryption: alice.encryption, signing: alice.signing, fingerprint: 'f', createdAt: 1, keyFileConfirmedAt: 1 });
    const ctx = { db, api: {} as Api, session: {} as Session, adopt: async () => { throw new Error('not reached'); } };
    await expect(restoreAccount(ctx, await fixtureIdentity('bob'), () => undefined)).rejects.toThrow(/another account/);
  });
});
