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
import { getConversation, listConversations } from '../stores/conversations.ts';
import { completedBy, loadRestoreState } from '../stores/restore-state.ts';
import { continueRestore, NEWEST_CONVERSATIONS, restoreAccount, restoreAll, restoreSummary, type RestoreProgress } from './restore.ts';
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
    const summary = await restoreAll(
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
    const summary = await restoreAll(
      {
        db, api: service.api(), session,
        adopt: async (identity) => {
          await saveIdentity(db, { userId: identity.userId, displayName: 'Bob', public: identity.public, encryption: identity.encryption, signing: identity.signing, fingerprint: 'f', createdAt: 1, keyFileConfirmedAt: null });
          return new Device({ db, api: service.api(), identity });
        },
      },
      bobId, () => undefined,
    );
    expect(service.syncRequests.length + service.logRequests.length).toBeGreaterThanOrEqual(4);
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

  // Issue 18: the most recent conversations first, the rest streamed; THREATS T4 per
  // conversation: one is listed only once its whole signed log has been replayed.
  it('T4 (issue 18): the newest conversations are replayed first; an older one is listed only once its whole log is in, and a restore cut off mid-stream continues from IndexedDB, not news', async () => {
    const { service, aliceId, bobId } = await aliceAndBob();
    const alice = await device(service, aliceId);
    const ids: string[] = [];
    for (let i = 0; i < NEWEST_CONVERSATIONS + 2; i++) {
      const id = await alice.device.composer.createGroup(`group ${i}`, ['bob']);
      // the last ones longer than one page of the background pull
      for (let k = 0; k < (i < 2 ? 7 : 1); k++) await alice.device.composer.send(id, `text ${i}.${k}`);
      ids.push(id);
    }
    await flush(service, alice);
    // Recency as the service says it: group 6 is the most recent, group 0 the oldest.
    ids.forEach((id, i) => service.latestAt.set(id, 1_700_000_000_000 + i * 1000));
    const newest = [...ids].reverse().slice(0, NEWEST_CONVERSATIONS);
    const older = ids.slice(0, 2);
    service.pageSize = 3; // the older logs span several sync pages

    const db = await openDatabase(`restore-${++n}`);
    const session = { login: async () => undefined } as unknown as Session;
    const adopt = async (identity: typeof bobId) => {
      await saveIdentity(db, { userId: identity.userId, displayName: 'Bob', public: identity.public, encryption: identity.encryption, signing: identity.signing, fingerprint: 'f', createdAt: 1, keyFileConfirmedAt: null });
      return new Device({ db, api: service.api(), identity });
    };
    let first: Device | undefined;
    const stream = await restoreAccount({ db, api: service.api(), session, adopt: async (i) => (first = await adopt(i)) }, bobId, () => undefined);
    // Only the newest window was asked for, most recent first, one conversation at a time.
    expect([...new Set(service.logRequests.map(([c]) => c))]).toEqual(newest);
    expect(service.syncRequests).toEqual([]);
    for (const id of newest) expect((await getConversation(db, id))?.lastSeq).toBe(service.logs.get(id)!.length);
    expect([...stream.pending()].sort()).toEqual([...older].sort());
    expect(Object.keys((await loadRestoreState(db))!.pending).sort()).toEqual([...older].sort());
    // What the socket sends meanwhile for a conversation still being replayed is history, left
    // to the restore's pull: never ingested as news (unread, receipts) one entry at a time.
    await first!.sync.onLiveEntry(service.logs.get(older[0]!)![0]!);
    expect(await getConversation(db, older[0]!)).toBeUndefined();
    // And the socket is not asked to replay those logs at all: its cursors start where the
    // restore's pull ends (from 0, the service would send every entry of them twice).
    const live = await first!.sync.liveCursors();
    for (const id of older) expect(live[id]).toBe(service.logs.get(id)!.length);
    for (const id of newest) expect(live[id]).toBe(service.logs.get(id)!.length);

    // The page is reloaded before the rest: a new Device on the same database continues it.
    const listed: Promise<[string, number | undefined]>[] = [];
    const again = await adopt(bobId);
    const summary = await continueRestore(db, service.api(), again, () => undefined, (done) => {
      // Read at once: the state of the database when the conversation is said to be complete.
      for (const id of done) listed.push(getConversation(db, id).then((c) => [id, c?.lastSeq]));
    });
    expect(service.syncRequests.length).toBeGreaterThan(2);
    expect((await Promise.all(listed)).sort()).toEqual(older.map((id) => [id, service.logs.get(id)!.length]).sort());
    expect(await loadRestoreState(db)).toBeNull();
    expect(summary).toEqual(await restoreSummary(db));
    expect(summary?.conversations).toBe(NEWEST_CONVERSATIONS + 2);
    expect((await listConversations(db)).map((c) => c.unread)).toEqual(new Array(NEWEST_CONVERSATIONS + 2).fill(0));
    expect(await queued(db)).toEqual([]); // no receipts for history
    expect(await continueRestore(db, service.api(), again, () => undefined, () => undefined)).toBeNull(); // nothing left to continue
    expect(await again.sync.liveCursors()).toEqual(await again.sync.cursors()); // restored: the stored cursors
  });

  it('T4 (issue 18): a conversation is complete only when a stored row reaches the seq its log must reach', () => {
    const pending = { a: 5, b: 2 };
    expect(completedBy(pending, [{ conversationId: 'a', seq: 3 }, { conversationId: 'a', seq: 4 }, { conversationId: 'b', seq: 1 }])).toEqual([]);
    expect(completedBy(pending, [{ conversationId: 'b', seq: 2 }, { conversationId: 'a', seq: 5 }])).toEqual(['b', 'a']);
    expect(pending).toEqual({});
  });

  it('refuses to restore over another account', async () => {
    const db = await openDatabase(`restore-${++n}`);
    const alice = await fixtureIdentity('alice');
    await saveIdentity(db, { userId: 'alice', displayName: 'Alice', public: alice.public, encryption: alice.encryption, signing: alice.signing, fingerprint: 'f', createdAt: 1, keyFileConfirmedAt: 1 });
    const ctx = { db, api: {} as Api, session: {} as Session, adopt: async () => { throw new Error('not reached'); } };
    await expect(restoreAccount(ctx, await fixtureIdentity('bob'), () => undefined)).rejects.toThrow(/another account/);
  });
});
