// Restore: after the key file is open, log in, adopt the identity, replay the whole log
// (nothing unread, nothing acknowledged), and summarise what failed by warning code.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { identity as fixtureIdentity } from '../../../test/support/identities.ts';
import { aliceAndBob, device, flush } from '../../test/support/fake-service.ts';
import { loadIdentity, saveIdentity } from '../stores/account.ts';
import { openDatabase } from '../stores/db.ts';
import { queued } from '../stores/outbox.ts';
import { getLog } from '../stores/log.ts';
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

  // The restore verifies a page's conversations concurrently and streams the history page
  // after page: the transcript's order-dependent checks still see every sender's chain in
  // server order across pages, so what the server did to OLDER history is still shown.
  it('R1, TR3, TR4, OPEN4 (T4): a history spread over pages still shows a message withheld, two swapped and one altered', async () => {
    const { service, bobId } = await aliceAndBob();
    const aliceId = await fixtureIdentity('alice');
    const carolId = await fixtureIdentity('carol');
    service.keys.set('carol', carolId.public);
    const alice = await device(service, aliceId);
    const carol = await device(service, carolId);
    const withBob = await alice.device.composer.startConversation('bob');
    for (let i = 1; i <= 10; i++) await alice.device.composer.send(withBob, `old ${i}`);
    await flush(service, alice);
    const withCarol = await carol.device.composer.startConversation('bob');
    for (let i = 1; i <= 4; i++) await carol.device.composer.send(withCarol, `carol ${i}`);
    await flush(service, carol);

    // The server rewrites alice's older messages to bob: "old 3" withheld, "old 5" and
    // "old 6" swapped, "old 8" altered; the seqs stay consecutive, so only the chain tells.
    const log = service.logs.get(withBob)!;
    const at = (counter: number) => log.findIndex((e) => e.kind === 'message' && (e.body as EnvelopeV2).counter === counter);
    log.splice(at(3), 1);
    const [five, six] = [at(5), at(6)];
    [log[five], log[six]] = [log[six]!, log[five]!];
    const eight = log[at(8)]!.body as EnvelopeV2;
    eight.encryptedContent = (eight.encryptedContent[0] === 'A' ? 'B' : 'A') + eight.encryptedContent.slice(1);
    log.forEach((e, i) => (e.seq = i + 1));
    service.pageSize = 4; // several pages, one of them holding both conversations

    const db = await openDatabase(`restore-${++n}`);
    const session = { login: async () => undefined } as unknown as Session;
    const summary = await restoreAccount(
      {
        db, api: service.api(), session,
        adopt: async (identity) => {
          await saveIdentity(db, { userId: identity.userId, displayName: 'Bob', public: identity.public, encryption: identity.encryption, signing: identity.signing, fingerprint: 'f', createdAt: 1, keyFileConfirmedAt: null });
          return new Device({ db, api: service.api(), identity });
        },
      },
      bobId, () => undefined,
    );
    expect(service.syncRequests.length).toBeGreaterThanOrEqual(4);
    const checks = (await getLog(db, withBob)).filter((r) => r.kind === 'message').map((r) => [(r.body as EnvelopeV2).counter, r.check.problem, r.check.missing ?? 0]);
    expect(checks).toEqual([
      [1, null, 0], [2, null, 0],
      [4, 'gap', 1], // TR3: "old 3" never came
      [6, 'gap', 1], [5, 'reordered', 0], // TR4: "old 5" came after "old 6", and it is the one "old 6" chained to
      [7, null, 0],
      [8, 'bad-signature', 0], // OPEN4: altered, refused
      [9, 'gap', 1], [10, null, 0],
    ]);
    expect((await getLog(db, withCarol)).filter((r) => r.kind === 'message').map((r) => r.check.problem)).toEqual([null, null, null, null]);
    expect(summary.messages).toBe(8 + 4);
    expect(summary.failed.map((f) => [f.warning.code, f.count])).toEqual([['bad-signature', 1]]);
  });

  it('refuses to restore over another account', async () => {
    const db = await openDatabase(`restore-${++n}`);
    const alice = await fixtureIdentity('alice');
    await saveIdentity(db, { userId: 'alice', displayName: 'Alice', public: alice.public, encryption: alice.encryption, signing: alice.signing, fingerprint: 'f', createdAt: 1, keyFileConfirmedAt: 1 });
    const ctx = { db, api: {} as Api, session: {} as Session, adopt: async () => { throw new Error('not reached'); } };
    await expect(restoreAccount(ctx, await fixtureIdentity('bob'), () => undefined)).rejects.toThrow(/another account/);
  });
});
