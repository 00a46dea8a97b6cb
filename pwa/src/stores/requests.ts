// Message requests (THREATS L3): per conversation, whether the user took it in. Kept in the
// settings store (`request:<conversationId>`, `blocked:<userId>`), apart from the
// conversation rows that ingest rewrites, so a decision and an ingest never overwrite each
// other.
import type { Db } from './db.ts';

/**
 * `accepted`: a normal conversation (the user opened it, accepted it, or it came from
 * someone they talk to). `request`: from someone the user never talked to, waiting.
 * `ignored`: hidden, kept, can be found again. `blocked`: hidden, and its inviter is blocked.
 */
export type RequestState = 'accepted' | 'request' | 'ignored' | 'blocked';

export interface RequestRow {
  state: RequestState;
  /** Who put the user into the conversation (the signer of the first epoch naming them). */
  from: string | null;
  at: number;
}

const REQUEST = 'request:';
const BLOCKED = 'blocked:';

export async function getRequest(db: Db, conversationId: string): Promise<RequestRow | undefined> {
  return (await db.get('settings', REQUEST + conversationId))?.value as RequestRow | undefined;
}

export async function putRequest(db: Db, conversationId: string, row: RequestRow): Promise<void> {
  await db.put('settings', { key: REQUEST + conversationId, value: row });
}

/** Every decision, by conversation id. */
export async function allRequests(db: Db): Promise<Map<string, RequestRow>> {
  const rows = await db.getAll('settings', IDBKeyRange.bound(REQUEST, `${REQUEST}\uffff`));
  return new Map(rows.map((r) => [r.key.slice(REQUEST.length), r.value as RequestRow]));
}

/** The users this device blocked, and since when (ms). */
export async function blockedUsers(db: Db): Promise<Map<string, number>> {
  const rows = await db.getAll('settings', IDBKeyRange.bound(BLOCKED, `${BLOCKED}\uffff`));
  return new Map(rows.map((r) => [r.key.slice(BLOCKED.length), r.value as number]));
}

export async function putBlocked(db: Db, userId: string, at: number): Promise<void> {
  await db.put('settings', { key: BLOCKED + userId, value: at });
}

export async function deleteBlocked(db: Db, userId: string): Promise<void> {
  await db.delete('settings', BLOCKED + userId);
}
