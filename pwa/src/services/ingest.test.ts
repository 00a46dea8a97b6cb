// Ingest: the pure decisions (which entries are fresh, what an epoch or a run of messages
// means for the conversation) without IndexedDB, then the I/O around them: one write per
// page, repeats skipped, progress reported once stored.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { emptyTranscript, type OpenResult } from '../../../protocol/src/index.ts';
import { aliceAndBob, device, flush } from '../../test/support/fake-service.ts';
import { getConversation } from '../stores/conversations.ts';
import { getLog } from '../stores/log.ts';
import { newConversationRow } from '../stores/conversations.ts';
import type { LogEntry } from './api.ts';
import { decideEpoch, decideMessages, freshEntries } from './ingest.ts';
import { warningFor } from './warnings.ts';
import { warningText } from './warning-texts.ts';

const cid = 'c1';
const at = (seq: number) => new Date(1_700_000_000_000 + seq).toISOString();
const entry = (seq: number, kind: 'epoch' | 'message', body: unknown = {}): LogEntry => ({ conversationId: cid, seq, kind, body, createdAt: at(seq) });
const msg = (seq: number, sender: string, counter: number, prevHash: string | null, cmid = `m${seq}`) =>
  entry(seq, 'message', { sender, counter, prevHash, clientMessageId: cmid, epoch: 0, conversationId: cid });
/** Epoch 0, recorded at seq 1, listing both users (ADMIT1). */
const epochs = [{ epoch: 0, seq: 1, members: [{ userId: 'alice', fingerprint: 'fa' }, { userId: 'bob', fingerprint: 'fb' }] }];
const text = (body: string, composedAt = 1_000): OpenResult => ({ ok: true, plaintext: { type: 'text', body, composedAt }, hash: `h-${body}` });

describe('ingest decisions (pure)', () => {
  it('keeps only entries past the cursor, each seq once', () => {
    const list = [entry(1, 'epoch'), entry(2, 'message'), entry(2, 'message'), entry(3, 'message')];
    expect(freshEntries(list, 1).map((e) => e.seq)).toEqual([2, 3]);
    expect(freshEntries(list, 3)).toEqual([]);
  });

  it('an opened epoch sets members and clears an alert; a refused one raises the alert (M1), a repeat is a replay', () => {
    const conv = { ...newConversationRow(cid, 0), membershipAlert: { seq: 1, reason: 'x', at: 1 } };
    const opened = decideEpoch(conv, entry(2, 'epoch'), { epoch: { conversationId: cid, epoch: 1, key: {} as CryptoKey, members: [{ userId: 'a', fingerprint: 'f' }, { userId: 'b', fingerprint: 'g' }], record: {} as never, seq: 2 }, joined: false }, 5);
    expect(opened.conversation).toMatchObject({ lastSeq: 2, latestEpoch: 1, members: ['a', 'b'], membershipAlert: null });
    expect(opened.row.check).toEqual({ ok: true, problem: null });
    const refused = decideEpoch(conv, entry(3, 'epoch'), { problem: 'epoch-bad-signature' }, 7);
    expect(refused.row.check).toEqual({ ok: false, problem: 'epoch-bad-signature' });
    expect(refused.conversation.membershipAlert).toEqual({ seq: 3, reason: 'epoch-bad-signature', at: 7 });
    // L7: the record held for that epoch again is no alarm: at its own seq (ours, stored ahead
    // of the cursor) nothing at all, at another seq a replay; a different record is refused.
    const same = decideEpoch(conv, entry(4, 'epoch'), { duplicate: 'same' }, 7);
    expect([same.row.check, same.conversation.membershipAlert]).toEqual([{ ok: true, problem: null }, conv.membershipAlert]);
    const replayed = decideEpoch({ ...conv, membershipAlert: null }, entry(4, 'epoch'), { duplicate: 'replayed' }, 7);
    expect([replayed.row.check.problem, replayed.conversation.membershipAlert]).toEqual(['epoch-replayed', null]);
    expect(decideEpoch(conv, entry(4, 'epoch'), { problem: 'epoch-conflict' }, 7).conversation.membershipAlert).toEqual({ seq: 4, reason: 'epoch-conflict', at: 7 });
    // JOIN3: history from before we were added raises nothing.
    const before = decideEpoch(newConversationRow(cid, 0), entry(1, 'epoch'), { notShared: true }, 7);
    expect([before.row.check.problem, before.conversation.membershipAlert]).toEqual(['epoch-not-shared', null]);
    // Removed by a valid next record: members move on without us, no alarm.
    const removed = decideEpoch({ ...conv, membershipAlert: null, members: ['a', 'b'], latestEpoch: 0 }, entry(5, 'epoch'), { removed: { by: 'a', epoch: 1, members: ['a'] } }, 7);
    expect([removed.row.check.problem, removed.conversation.members, removed.conversation.latestEpoch, removed.conversation.membershipAlert]).toEqual(['epoch-removed', ['a'], 1, null]);
  });

  it('HIST4: an old epoch of our own with no archived key is history this device cannot read, said plainly: no alert, sending not paused', () => {
    const conv = newConversationRow(cid, 0);
    const missing = decideEpoch(conv, entry(1, 'epoch'), { problem: 'epoch-not-archived' }, 7);
    expect([missing.row.check, missing.conversation.membershipAlert]).toEqual([{ ok: false, problem: 'epoch-not-archived' }, null]);
    const w = warningFor('epoch-not-archived');
    expect(w).toEqual({ code: 'not-archived' });
    expect(warningText(w)).not.toBe(warningText(warningFor('epoch-tampered')));
    // A bad archived key is tampering, and raises the alert like any refused record.
    expect(decideEpoch(conv, entry(1, 'epoch'), { problem: 'epoch-tampered' }, 7).conversation.membershipAlert).toEqual({ seq: 1, reason: 'epoch-tampered', at: 7 });
  });

  it('counts unread texts from others, acknowledges them only when live, and flags a replay in seq order', () => {
    const conv = newConversationRow(cid, 0);
    const run = [msg(2, 'bob', 1, null), msg(3, 'bob', 2, 'h-one'), msg(4, 'bob', 1, null, 'm2'), msg(5, 'alice', 1, null)];
    const results = [text('one'), text('two'), text('one'), text('mine')];
    const live = decideMessages({ me: 'alice', conversation: conv, transcript: emptyTranscript(), run, results, opts: { live: true }, now: 10_000, epochs });
    expect(live.rows.map((r) => r.check.problem)).toEqual([null, null, 'replayed', null]);
    expect(live.conversation).toMatchObject({ lastSeq: 5, unread: 2 });
    expect(live.acknowledge).toEqual(['m2', 'm3']);
    expect(live.ownChains).toEqual([{ counter: 1, hash: 'h-mine', clientMessageId: 'm5' }]);
    expect(live.plain.map(([k]) => k)).toEqual(['c1/2', 'c1/3', 'c1/5']);
    const history = decideMessages({ me: 'alice', conversation: conv, transcript: emptyTranscript(), run, results, opts: { live: false, viewing: cid }, now: 10_000, epochs });
    expect(history.acknowledge).toEqual([]);
    expect(history.conversation.unread).toBe(0); // the conversation on screen has nothing unread
    // Restored history is not news (issue 18): nothing unread even in a conversation not on screen.
    const elsewhere = decideMessages({ me: 'alice', conversation: conv, transcript: emptyTranscript(), run, results, opts: { live: false, viewing: null }, now: 10_000, epochs });
    expect(elsewhere.conversation.unread).toBe(0);
    expect(elsewhere.acknowledge).toEqual([]);
  });

  it('L2 ADMIT3, ADMIT6: a message under an older epoch from a sender the newer epoch dropped is refused and never observed', () => {
    const conv = newConversationRow(cid, 0);
    const later = [...epochs, { epoch: 1, seq: 3, members: [{ userId: 'alice', fingerprint: 'fa' }] }];
    const d = decideMessages({
      me: 'alice', conversation: conv, transcript: emptyTranscript(), opts: { live: true }, now: 10_000, epochs: later,
      run: [msg(2, 'bob', 1, null), msg(4, 'bob', 2, 'h-one')], results: [text('one'), text('after removal')],
    });
    expect(d.rows.map((r) => [r.check.ok, r.check.problem])).toEqual([[true, null], [false, 'sender-removed']]);
    expect(d.plain.map(([k]) => k)).toEqual(['c1/2']);
    expect(d.conversation.unread).toBe(1);
    expect(d.transcript.senders).toEqual(decideMessages({
      me: 'alice', conversation: conv, transcript: emptyTranscript(), opts: { live: true }, now: 10_000, epochs: later, run: [msg(2, 'bob', 1, null)], results: [text('one')],
    }).transcript.senders);
  });

  it('records a failed open as its problem, keeps receipts from others, and caps activity at a minute ahead', () => {
    const conv = newConversationRow(cid, 0);
    const receipt: OpenResult = { ok: true, plaintext: { type: 'receipt', body: '', composedAt: 1, refs: ['x'] }, hash: 'h-r' };
    const d = decideMessages({
      me: 'alice', conversation: conv, transcript: emptyTranscript(), opts: { live: true }, now: 10_000, epochs,
      run: [msg(2, 'bob', 1, null), msg(3, 'bob', 2, 'h-r'), msg(4, 'bob', 3, 'h-late')],
      results: [receipt, text('late', 99_999_999), { ok: false, error: 'tampered' }],
    });
    expect(d.receipts).toEqual([{ refs: ['x'], by: 'bob' }]);
    expect(d.rows.map((r) => r.check.problem)).toEqual([null, null, 'tampered']);
    expect(d.conversation.lastActivity).toBe(Math.max(10_000 + 60_000, Date.parse(at(4))));
  });
});

describe('Ingest (I/O)', () => {
  it('stores a page at once, reports progress once stored, and skips the same page the second time', async () => {
    const { service, aliceId: alice, bobId: bob } = await aliceAndBob();
    const a = await device(service, alice);
    const b = await device(service, bob);
    const id = await a.device.composer.startConversation('bob');
    for (const t of ['one', 'two']) await a.device.composer.send(id, t);
    await flush(service, a);
    const page = service.logs.get(id)!;
    const progress: number[] = [];
    const report = await b.device.ingest.ingest([...page].reverse(), { live: true }, (n) => progress.push(n));
    expect(progress).toEqual([3]);
    expect(report.processed).toBe(3);
    expect(report.toAcknowledge.get(id)).toHaveLength(2);
    expect((await getLog(b.db, id)).map((r) => r.check.ok)).toEqual([true, true, true]);
    expect(await getConversation(b.db, id)).toMatchObject({ lastSeq: 3, unread: 2, members: ['alice', 'bob'] });
    const again = await b.device.ingest.ingest(page, { live: true }, (n) => progress.push(n));
    expect(again.processed).toBe(0);
    expect(progress).toEqual([3]);
  });
});
