// Preferences of this device, in the settings store (no message content). EVT2: "Send and
// show read receipts", on unless the user turned it off.
import type { Db } from './db.ts';

const READ_RECEIPTS = 'pref:read-receipts';

export async function readReceiptsOn(db: Db): Promise<boolean> {
  return (await db.get('settings', READ_RECEIPTS))?.value !== false;
}

export async function setReadReceipts(db: Db, on: boolean): Promise<void> {
  await db.put('settings', { key: READ_RECEIPTS, value: on });
}

const TYPING = 'pref:typing-indicators';

/** TYP8: "Send and show typing indicators", on unless the user turned it off. */
export async function typingIndicatorsOn(db: Db): Promise<boolean> {
  return (await db.get('settings', TYPING))?.value !== false;
}

export async function setTypingIndicators(db: Db, on: boolean): Promise<void> {
  await db.put('settings', { key: TYPING, value: on });
}
