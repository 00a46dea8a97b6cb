// Store modules over fake-indexeddb: CryptoKeys survive a reopen (a "crash"), the outbox
// and the sending chain move together, TOFU pinning never silently replaces a key.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { loadIdentity, loadSession, saveIdentity, saveSession } from './account.ts';
import { acceptPendingKey, getContact, observeKey, setVerified } from './contacts.ts';
import { openDB } from 'idb';
import { getChain, getEpochs, mergeConversation, newConversationRow } from './conversations.ts';
import { deleteDatabase, openDatabase, type Db } from './db.ts';
import { allOutbox, enqueue, markResults, queued, removeDelivered } from './outbox.ts';
import type { Envelope, PublicIdentity } from '../../../protocol/src/index.ts';

let n = 0;
const freshName = () => `stores-test-${++n}-${Math.random().toString(36).slice(2)}`;

function env(counter: number, conversationId = 'c1'): Envelope {
  return {
    v: 1, type: 'message', conversationId, epoch: 0, sender: 'alice', clientMessageId: crypto.randomUUID(), counter,
    prevHash: counter === 1 ? null : 'a'.repeat(64), iv: 'iv', encryptedContent: 'ct', tag: 'tag', sig: 'sig',
  };
}

const pub = (k: string): PublicIdentity => ({ v: 1, userId: 'bob', encryptionKey: k, signingKey: k });

describe('stores', () => {
  it('keeps non-extractable CryptoKeys usable across a close and reopen', async () => {
    const name = freshName();
    let db: Db = await openDatabase(name);
    const signing = (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as CryptoKeyPair;
    const encryption = await crypto.subtle.generateKey(
      { name: 'RSA-OAEP', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, false, ['encrypt', 'decrypt'],
    );
    await saveIdentity(db, {
      userId: 'alice', displayName: 'Alice', public: pub('x'), encryption, signing, fingerprint: 'f', createdAt: 1, keyFileConfirmedAt: 2,
    });
    await saveSession(db, { token: 't', sessionId: 's', userId: 'alice', expiresAt: 'later' });
    db.close(); // the tab dies
    db = await openDatabase(name);
    const row = (await loadIdentity(db))!;
    expect(row.signing.privateKey.extractable).toBe(false);
    expect(row.encryption.privateKey.extractable).toBe(false);
    const data = new TextEncoder().encode('proof');
    const sig = await crypto.subtle.sign({ name: 'Ed25519' }, row.signing.privateKey, data);
    expect(await crypto.subtle.verify({ name: 'Ed25519' }, row.signing.publicKey, sig, data)).toBe(true);
    expect((await loadSession(db))?.token).toBe('t');
    await deleteDatabase(db, name);
  });

  it('adds to the outbox and advances the chain in one transaction, in compose order, across a reopen', async () => {
    const name = freshName();
    let db = await openDatabase(name);
    const e1 = env(1);
    const e2 = env(2);
    await enqueue(db, { envelope: e1, composedAt: 10, kind: 'text', hash: 'h1'.padEnd(64, '0') });
    await enqueue(db, { envelope: e2, composedAt: 20, kind: 'text', hash: 'h2'.padEnd(64, '0') });
    // A counter that does not continue the chain is refused and leaves nothing behind.
    await expect(enqueue(db, { envelope: env(5), composedAt: 30, kind: 'text', hash: 'h5'.padEnd(64, '0') })).rejects.toThrow(/chain/);
    db.close();
    db = await openDatabase(name);
    expect((await queued(db)).map((r) => r.clientMessageId)).toEqual([e1.clientMessageId, e2.clientMessageId]);
    expect(await getChain(db, 'c1')).toEqual({ conversationId: 'c1', counter: 2, prevHash: 'h2'.padEnd(64, '0') });
    await markResults(db, [
      { clientMessageId: e1.clientMessageId, status: 'stored', seq: 7 },
      { clientMessageId: e2.clientMessageId, status: 'rejected', error: { code: 'x', message: 'too large' } },
    ]);
    const rows = await allOutbox(db);
    expect(rows.map((r) => [r.status, r.seq, r.error])).toEqual([['sent', 7, null], ['rejected', null, 'too large']]);
    expect(await queued(db)).toEqual([]);
    await removeDelivered(db, [e1.clientMessageId]);
    expect((await allOutbox(db)).length).toBe(1);
    await deleteDatabase(db, name);
  });

  it('pins the first key, keeps a changed key pending until accepted, and records the history', async () => {
    const db = await openDatabase(freshName());
    const first = await observeKey(db, { userId: 'bob', displayName: 'Bob', identity: pub('k1'), fingerprint: 'f1', version: 1 }, 1);
    expect(first.outcome).toBe('pinned');
    expect((await observeKey(db, { userId: 'bob', displayName: 'Bob', identity: pub('k1'), fingerprint: 'f1', version: 1 }, 2)).outcome).toBe('same');
    await setVerified(db, 'bob', true, 3);
    const changed = await observeKey(db, { userId: 'bob', displayName: 'Bob', identity: pub('k2'), fingerprint: 'f2', version: 2 }, 4);
    expect(changed.outcome).toBe('changed');
    expect(changed.contact.fingerprint).toBe('f1'); // never silently replaced
    expect(changed.contact.pending?.fingerprint).toBe('f2');
    const accepted = (await acceptPendingKey(db, 'bob', 5))!;
    expect(accepted.fingerprint).toBe('f2');
    expect(accepted.verified).toBe(false); // a new key must be verified again
    expect(accepted.pending).toBeNull();
    expect(accepted.history.map((h) => h.fingerprint)).toEqual(['f1', 'f2']);
    expect((await getContact(db, 'bob'))?.history.length).toBe(2);
    await deleteDatabase(db);
  });
});

describe('conversation rows merge (L8)', () => {
  const base = { ...newConversationRow('c1', 0), members: ['a', 'b'], latestEpoch: 0, lastSeq: 5, unread: 2, membershipAlert: { seq: 4, reason: 'epoch-bad-signature', at: 1 } };

  it('a dismissal and a re-key made meanwhile survive a commit computed from the row read before them', () => {
    const now = { ...base, membershipAlert: null, latestEpoch: 1, members: ['a', 'b', 'c'], lastSeq: 7, unread: 0 };
    const ingested = { ...base, lastSeq: 6, unread: 3, lastActivity: 9 };
    expect(mergeConversation(now, base, ingested)).toEqual({ ...now, lastSeq: 7, unread: 1, lastActivity: 9 });
  });

  it('an alert raised by the commit replaces an older one; one it cleared stays cleared unless a newer one came meanwhile', () => {
    const raised = { seq: 8, reason: 'epoch-conflict', at: 2 };
    expect(mergeConversation(base, base, { ...base, membershipAlert: raised }).membershipAlert).toEqual(raised);
    expect(mergeConversation(base, base, { ...base, membershipAlert: null, latestEpoch: 1 }).membershipAlert).toBeNull();
    const newer = { seq: 9, reason: 'epoch-bad-signature', at: 3 };
    expect(mergeConversation({ ...base, membershipAlert: newer }, base, { ...base, membershipAlert: null }).membershipAlert).toEqual(newer);
    expect(mergeConversation(undefined, base, base)).toBe(base);
  });
});

describe('database version 2', () => {
  it('gives epoch rows stored by version 1 the seq of their record in the log (ADMIT1), or 0', async () => {
    const name = freshName();
    const v1 = await openDB(name, 1, {
      upgrade(db) {
        db.createObjectStore('epochs', { keyPath: ['conversationId', 'epoch'] });
        db.createObjectStore('log', { keyPath: ['conversationId', 'seq'] });
      },
    });
    await v1.put('epochs', { conversationId: 'c1', epoch: 0, members: [], record: {} });
    await v1.put('epochs', { conversationId: 'c1', epoch: 1, members: [], record: {} });
    await v1.put('log', { conversationId: 'c1', seq: 1, kind: 'epoch', body: { epoch: 0 }, check: { ok: true, problem: null } });
    await v1.put('log', { conversationId: 'c1', seq: 2, kind: 'epoch', body: { epoch: 1 }, check: { ok: false, problem: 'epoch-bad-signature' } });
    await v1.put('log', { conversationId: 'c1', seq: 3, kind: 'epoch', body: { epoch: 1 }, check: { ok: true, problem: null } });
    v1.close();
    const db = await openDatabase(name);
    expect((await getEpochs(db, 'c1')).map((e) => [e.epoch, e.seq])).toEqual([[0, 1], [1, 3]]);
    await deleteDatabase(db, name);
  });
});
