// Contacts: keys pinned on first use, their history, the verified flag, and a pending
// (changed) key that blocks sending until the user reviews it (THREATS M2).
import type { PublicIdentity } from '../../../protocol/src/index.ts';
import type { ContactRow, Db, KeyChangeKind, KeyHistoryEntry } from './db.ts';

export function getContact(db: Db, userId: string): Promise<ContactRow | undefined> {
  return db.get('contacts', userId);
}

export function allContacts(db: Db): Promise<ContactRow[]> {
  return db.getAll('contacts');
}

export type PinOutcome = 'pinned' | 'same' | 'changed';

/**
 * Records what the directory says about a user. The first key is pinned; the same key
 * again changes nothing; a different key is kept as `pending` (never silently pinned).
 */
export async function observeKey(
  db: Db,
  p: { userId: string; displayName: string; identity: PublicIdentity; fingerprint: string; version: number | null },
  now = Date.now(),
): Promise<{ outcome: PinOutcome; contact: ContactRow }> {
  const tx = db.transaction('contacts', 'readwrite');
  const existing = await tx.store.get(p.userId);
  const entry: KeyHistoryEntry = { identity: p.identity, fingerprint: p.fingerprint, version: p.version, firstSeenAt: now, acceptedAt: now };
  let outcome: PinOutcome;
  let contact: ContactRow;
  if (!existing) {
    outcome = 'pinned';
    contact = {
      userId: p.userId, displayName: p.displayName, pinned: p.identity, fingerprint: p.fingerprint,
      verified: false, verifiedAt: null, history: [entry], pending: null, checkedAt: now,
    };
  } else if (existing.fingerprint === p.fingerprint) {
    outcome = 'same';
    contact = { ...existing, displayName: p.displayName, checkedAt: now };
  } else {
    outcome = 'changed';
    const pending = existing.pending?.fingerprint === p.fingerprint ? existing.pending : { ...entry, acceptedAt: null };
    contact = { ...existing, pending, checkedAt: now };
  }
  await tx.store.put(contact);
  await tx.done;
  return { outcome, contact };
}

/** The user reviewed a changed key and accepts it: it becomes the pinned key, unverified. */
export async function acceptPendingKey(db: Db, userId: string, now = Date.now()): Promise<ContactRow | undefined> {
  const tx = db.transaction('contacts', 'readwrite');
  const c = await tx.store.get(userId);
  if (!c || !c.pending) { await tx.done; return c; }
  const accepted = { ...c.pending, acceptedAt: now };
  const next: ContactRow = {
    ...c, pinned: accepted.identity, fingerprint: accepted.fingerprint, verified: false, verifiedAt: null,
    history: [...c.history, accepted], pending: null,
  };
  await tx.store.put(next);
  await tx.done;
  return next;
}

/**
 * Records why the pending key `fingerprint` replaced the pinned one (ACCT5). A rotation
 * signed by the pinned key is followed at once, as a notice: it becomes the pinned key
 * (unverified: the safety number changed). Anything else stays pending and blocks.
 */
export async function recordKeyChange(db: Db, userId: string, fingerprint: string, change: KeyChangeKind, now = Date.now()): Promise<ContactRow | undefined> {
  const tx = db.transaction('contacts', 'readwrite');
  const c = await tx.store.get(userId);
  if (!c?.pending || c.pending.fingerprint !== fingerprint) { await tx.done; return c; }
  const next: ContactRow = change === 'rotation'
    ? {
        ...c, pinned: c.pending.identity, fingerprint: c.pending.fingerprint, verified: false, verifiedAt: null,
        history: [...c.history, { ...c.pending, change, acceptedAt: now }], pending: null, rotatedAt: now,
      }
    : { ...c, pending: { ...c.pending, change } };
  await tx.store.put(next);
  await tx.done;
  return next;
}

export async function setVerified(db: Db, userId: string, verified: boolean, now = Date.now()): Promise<ContactRow | undefined> {
  const tx = db.transaction('contacts', 'readwrite');
  const c = await tx.store.get(userId);
  if (!c) { await tx.done; return undefined; }
  const next = { ...c, verified, verifiedAt: verified ? now : null };
  await tx.store.put(next);
  await tx.done;
  return next;
}
