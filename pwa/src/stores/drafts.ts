// Per-conversation drafts, kept in the settings store (`draft:<conversationId>`) and sealed
// at rest: AES-256-GCM under a device key that is a non-extractable CryptoKey made on first
// use (`draft-key`), with the conversation id as associated data, so a draft can be neither
// read from the database nor moved to another conversation. No draft text is ever stored in clear.
import type { Db } from './db.ts';

const KEY = 'draft-key';
const DRAFT = 'draft:';

interface SealedDraft {
  iv: Uint8Array<ArrayBuffer>;
  ct: ArrayBuffer;
}

/** The device's sealing key (also seals the user's own display name: services/names.ts). */
export async function deviceKey(db: Db): Promise<CryptoKey> {
  const row = await db.get('settings', KEY);
  if (row?.value instanceof CryptoKey) return row.value;
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  // Two tabs may race to make it: the first one stored wins, and both use that one.
  const tx = db.transaction('settings', 'readwrite');
  const again = await tx.store.get(KEY);
  if (again?.value instanceof CryptoKey) {
    await tx.done;
    return again.value;
  }
  await tx.store.put({ key: KEY, value: key });
  await tx.done;
  return key;
}

const aad = (conversationId: string) => new TextEncoder().encode(`messagehub-draft/${conversationId}`);

/** Stores the draft of a conversation sealed; an empty (or blank) text deletes it. */
export async function saveDraft(db: Db, conversationId: string, text: string): Promise<void> {
  if (!text.trim()) {
    await db.delete('settings', DRAFT + conversationId);
    return;
  }
  const key = await deviceKey(db);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad(conversationId) }, key, new TextEncoder().encode(text));
  const value: SealedDraft = { iv, ct };
  await db.put('settings', { key: DRAFT + conversationId, value });
}

/** The draft of a conversation, or '' when there is none (or it cannot be opened). */
export async function loadDraft(db: Db, conversationId: string): Promise<string> {
  const row = await db.get('settings', DRAFT + conversationId);
  const sealed = row?.value as SealedDraft | undefined;
  if (!sealed?.iv || !sealed.ct) return '';
  try {
    const key = await deviceKey(db);
    const pt = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: sealed.iv, additionalData: aad(conversationId) }, key, sealed.ct);
    return new TextDecoder().decode(pt);
  } catch {
    return '';
  }
}
