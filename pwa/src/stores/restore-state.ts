// A restore that streams (issue 18): which conversations are still being replayed, kept in the
// settings store (`restore-state`) so a reload or a crash mid-restore continues from the stored
// cursors at the next start. Conversation ids and seqs only: no content (no plaintext at rest).
import type { Db } from './db.ts';

const KEY = 'restore-state';

export interface RestoreState {
  v: 1;
  /** Conversation id → the seq its log must reach before it is listed (THREATS T4, per conversation). */
  pending: Record<string, number>;
  /** The history's size when the restore began (entries), for the progress line. */
  total: number;
  startedAt: number;
}

export async function loadRestoreState(db: Db): Promise<RestoreState | null> {
  const v = (await db.get('settings', KEY))?.value as RestoreState | undefined;
  return v?.v === 1 ? v : null;
}

export async function saveRestoreState(db: Db, state: RestoreState): Promise<void> {
  await db.put('settings', { key: KEY, value: state });
}

/** The restore is over: every conversation is listed. */
export async function clearRestoreState(db: Db): Promise<void> {
  await db.delete('settings', KEY);
}

/**
 * The conversations of `pending` that these stored rows complete (their log reached the seq
 * it must reach); `pending` is changed in place. Rows are metadata (`conversationId`, `seq`).
 */
export function completedBy(pending: Record<string, number>, rows: readonly { conversationId: string; seq: number }[]): string[] {
  const done: string[] = [];
  for (const r of rows) {
    const want = pending[r.conversationId];
    if (want !== undefined && r.seq >= want) {
      delete pending[r.conversationId];
      done.push(r.conversationId);
    }
  }
  return done;
}
