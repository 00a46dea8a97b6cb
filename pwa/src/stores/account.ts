// The device's identity (non-extractable CryptoKeys) and its login session.
import type { Db, IdentityRow, SessionRow } from './db.ts';

export function loadIdentity(db: Db): Promise<IdentityRow | undefined> {
  return db.get('identity', 'me');
}

export async function saveIdentity(db: Db, row: Omit<IdentityRow, 'id'>): Promise<void> {
  await db.put('identity', { ...row, id: 'me' });
}

export async function markKeyFileConfirmed(db: Db, at = Date.now()): Promise<void> {
  const tx = db.transaction('identity', 'readwrite');
  const row = await tx.store.get('me');
  // Saved: the sealed copy kept for the reminder is no longer needed on this device.
  if (row) await tx.store.put({ ...row, keyFileConfirmedAt: at, unsavedKeyFile: null });
  await tx.done;
}

/** LINK4: keep the sealed key file this device can hand to a device it links. */
export async function saveSealedKeyFile(db: Db, sealedKeyFile: string): Promise<void> {
  const tx = db.transaction('identity', 'readwrite');
  const row = await tx.store.get('me');
  if (row) await tx.store.put({ ...row, sealedKeyFile });
  await tx.done;
}

export function loadSession(db: Db): Promise<SessionRow | undefined> {
  return db.get('session', 'current');
}

export async function saveSession(db: Db, row: Omit<SessionRow, 'id'>): Promise<void> {
  await db.put('session', { ...row, id: 'current' });
}

export async function clearSession(db: Db): Promise<void> {
  await db.delete('session', 'current');
}
