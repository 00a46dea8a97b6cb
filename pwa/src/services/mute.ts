// Mute per conversation (issue 16; SPEC NOTE3): a flag per conversation in the settings store
// (`mute:<conversationId>` -> true). A muted conversation counts for nothing in the title
// and the app badge and never raises a notification; its messages still arrive and are
// shown. The flag says nothing about content, so it is kept as it is.
import type { Db } from '../stores/db.ts';

const PREFIX = 'mute:';

/** Every muted conversation of this device. */
export async function mutedConversations(db: Db): Promise<Set<string>> {
  const keys = await db.getAllKeys('settings', IDBKeyRange.bound(PREFIX, `${PREFIX}\uffff`));
  return new Set(keys.map((k) => k.slice(PREFIX.length)));
}

export async function setMuted(db: Db, conversationId: string, muted: boolean): Promise<void> {
  if (muted) await db.put('settings', { key: PREFIX + conversationId, value: true });
  else await db.delete('settings', PREFIX + conversationId);
}
