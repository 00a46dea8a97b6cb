// Conversations, their opened epochs (keys as non-extractable CryptoKeys), the device's
// own sending chain, and the receive-side transcript state.
import type { TranscriptState } from '../../../protocol/src/index.ts';
import type { ChainRow, ConversationRow, Db, EpochRow } from './db.ts';

export function getConversation(db: Db, id: string): Promise<ConversationRow | undefined> {
  return db.get('conversations', id);
}

/** Most recent activity first. */
export async function listConversations(db: Db): Promise<ConversationRow[]> {
  const rows = await db.getAllFromIndex('conversations', 'byActivity');
  return rows.reverse();
}

export async function putConversation(db: Db, row: ConversationRow): Promise<void> {
  await db.put('conversations', row);
}

export async function updateConversation(db: Db, id: string, change: (row: ConversationRow) => ConversationRow): Promise<ConversationRow | undefined> {
  const tx = db.transaction('conversations', 'readwrite');
  const row = await tx.store.get(id);
  const next = row ? change(row) : undefined;
  if (next) await tx.store.put(next);
  await tx.done;
  return next;
}

export function newConversationRow(conversationId: string, now = Date.now()): ConversationRow {
  return { conversationId, members: [], latestEpoch: -1, lastSeq: 0, lastActivity: now, unread: 0, createdAt: now, membershipAlert: null };
}

type Alert = ConversationRow['membershipAlert'];

function sameAlert(a: Alert, b: Alert): boolean {
  return a === b || (a !== null && b !== null && a.seq === b.seq && a.reason === b.reason);
}

/**
 * L8: a change computed from `base` (the row as it was read when the work began) applied
 * to `current` (the row as it is now, read inside the writing transaction), so that
 * nothing written in between is undone:
 * - lastSeq, lastActivity only grow; latestEpoch only grows, and members go with it;
 * - unread: what this change added is added to what is there now (a read in between stays read);
 * - membershipAlert: one this change did not touch stays as it is now (a dismissal made
 *   meanwhile stays dismissed); one it raised replaces an older one; one it cleared (an
 *   epoch opened) is cleared unless a newer alert was raised meanwhile.
 */
export function mergeConversation(current: ConversationRow | undefined, base: ConversationRow, next: ConversationRow): ConversationRow {
  if (!current) return next;
  const newerEpoch = next.latestEpoch > current.latestEpoch;
  let membershipAlert = current.membershipAlert;
  if (!sameAlert(next.membershipAlert, base.membershipAlert)) {
    const raised = next.membershipAlert;
    const since = base.membershipAlert?.seq ?? 0;
    if (raised === null) membershipAlert = current.membershipAlert && current.membershipAlert.seq > since ? current.membershipAlert : null;
    else membershipAlert = current.membershipAlert && current.membershipAlert.seq > raised.seq ? current.membershipAlert : raised;
  }
  return {
    ...current,
    lastSeq: Math.max(current.lastSeq, next.lastSeq),
    lastActivity: Math.max(current.lastActivity, next.lastActivity),
    latestEpoch: newerEpoch ? next.latestEpoch : current.latestEpoch,
    members: newerEpoch ? next.members : current.members,
    unread: current.unread + Math.max(0, next.unread - base.unread),
    membershipAlert,
  };
}

export async function putEpoch(db: Db, row: EpochRow): Promise<void> {
  await db.put('epochs', row);
}

export function getEpochs(db: Db, conversationId: string): Promise<EpochRow[]> {
  return db.getAll('epochs', IDBKeyRange.bound([conversationId, 0], [conversationId, Infinity]));
}

export function getChain(db: Db, conversationId: string): Promise<ChainRow | undefined> {
  return db.get('chains', conversationId);
}

export async function getTranscript(db: Db, conversationId: string): Promise<TranscriptState | undefined> {
  return (await db.get('transcripts', conversationId))?.state;
}

export async function putTranscript(db: Db, conversationId: string, state: TranscriptState): Promise<void> {
  await db.put('transcripts', { conversationId, state });
}

/**
 * Raises the sending chain to a counter seen in the log (our own message, e.g. sent from
 * another device or before a restore), so the next message continues the signed chain.
 */
export async function raiseChain(db: Db, conversationId: string, counter: number, hash: string): Promise<void> {
  const tx = db.transaction('chains', 'readwrite');
  const cur = await tx.store.get(conversationId);
  if (!cur || cur.counter < counter) await tx.store.put({ conversationId, counter, prevHash: hash });
  await tx.done;
}
