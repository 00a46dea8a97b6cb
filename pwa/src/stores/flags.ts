// Pin and archive (issue 16): per conversation, on this device only, in the settings store
// (`conversation-flags`). Flags, no content: which conversation ids are pinned or archived, and when.
import type { Db } from './db.ts';

const KEY = 'conversation-flags';

export interface ConversationFlags {
  pinned?: boolean;
  /** When it was archived. As in Signal, a message after that brings it back to the list (isArchived). */
  archivedAt?: number;
}

export type FlagTable = Record<string, ConversationFlags>;

export async function loadFlags(db: Db): Promise<FlagTable> {
  return ((await db.get('settings', KEY))?.value as FlagTable | undefined) ?? {};
}

/** Changes one conversation's flags in one transaction (two tabs never undo each other's other flags). */
export async function setFlags(db: Db, conversationId: string, change: ConversationFlags): Promise<FlagTable> {
  const tx = db.transaction('settings', 'readwrite');
  const all = { ...(((await tx.store.get(KEY))?.value as FlagTable | undefined) ?? {}) };
  const next: ConversationFlags = { ...all[conversationId], ...change };
  if (!next.pinned) delete next.pinned;
  if (next.archivedAt === undefined || next.archivedAt === 0) delete next.archivedAt;
  if (Object.keys(next).length) all[conversationId] = next;
  else delete all[conversationId];
  await tx.store.put({ key: KEY, value: all });
  await tx.done;
  return all;
}

/** Archived, and no message since (Signal: a new message unarchives; muted chats staying archived is left to mute). */
export function isArchived(f: ConversationFlags | undefined, lastActivity: number): boolean {
  return f?.archivedAt !== undefined && lastActivity <= f.archivedAt;
}
