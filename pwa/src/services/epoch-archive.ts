// The epoch key archive on the client (protocol HIST1..HIST5, issue 12). In the online chunk,
// never at start: used by "I lost a device" and by a restore.
//  - `archiveOwnEpochs`: after a rotation made on this device, every epoch this device holds
//    whose record names the account's PREVIOUS key is opened once more with that key (still
//    here, non-extractable: WebCrypto decrypts the wrapped key to bytes in memory only),
//    re-wrapped to the NEW key, signed by it and uploaded. Only this account's own entries:
//    other members' keys are never touched. Safe to repeat (the service replaces an entry).
//  - `loadArchive`: a device restored from the new key file fetches the archive, takes as
//    its own earlier keys only those its own key signed for (HIST5), and hands ingest the
//    source of archived keys (HIST4), each checked against its epoch's commitment.
import {
  archiveEpochKey, archiveKeySource, fingerprint, rawEpochKey, vouchedPreviousKeys, type Identity, type OwnKeySource, type PublicIdentity,
} from '../../../protocol/src/index.ts';
import { loadIdentity, saveIdentity } from '../stores/account.ts';
import { getEpochs, listConversations } from '../stores/conversations.ts';
import type { Db } from '../stores/db.ts';
import type { Api } from './api.ts';
import type { Keyring } from './keyring.ts';

/** The service takes at most this many entries a request. */
const BATCH = 256;

/**
 * HIST3: re-wrap to `current` every epoch key this device holds that is wrapped to
 * `previous` (this account's key before the rotation), and upload the entries. Returns how
 * many were stored. Epochs wrapped to neither (an older key, or another device's) are left.
 */
export async function archiveOwnEpochs(p: { db: Db; api: Api; current: Identity; previous: Identity; onProgress?: (done: number, total: number) => void }): Promise<number> {
  const { db, api, current, previous } = p;
  const previousFp = await fingerprint(previous.public);
  const me = current.userId;
  const todo = [];
  for (const conv of await listConversations(db)) {
    for (const row of await getEpochs(db, conv.conversationId)) {
      if (row.record.members.find((m) => m.userId === me)?.fingerprint === previousFp) todo.push(row.record);
    }
  }
  const entries = [];
  for (let i = 0; i < todo.length; i++) {
    p.onProgress?.(i, todo.length);
    const raw = await rawEpochKey(todo[i]!, previous);
    try {
      entries.push(await archiveEpochKey(current, todo[i]!, raw));
    } finally {
      raw.fill(0);
    }
  }
  let stored = 0;
  for (let i = 0; i < entries.length; i += BATCH) stored += (await api.storeEpochArchive(me, entries.slice(i, i + BATCH))).stored;
  p.onProgress?.(todo.length, todo.length);
  return stored;
}

/**
 * HIST4, HIST5: on a device restored from a key file, the archive as a source of old epoch
 * keys, or null when it is empty. The earlier keys it vouches for (by fingerprint, signed by
 * this identity's own key) are taken from the directory's key history and kept as this
 * account's previous keys, so what was signed under them verifies here.
 */
export async function loadArchive(p: { db: Db; api: Api; identity: Identity; keyring: Keyring }): Promise<OwnKeySource | null> {
  const { db, api, identity, keyring } = p;
  const { entries } = await api.epochArchive(identity.userId);
  if (entries.length === 0) return null;
  const vouched = await vouchedPreviousKeys(entries, identity.public);
  if (vouched.size === 0) return null;
  const history = (await api.keys(identity.userId)).history;
  const previous: PublicIdentity[] = [];
  for (const h of history) {
    if (h.identity.userId === identity.userId && vouched.has(await fingerprint(h.identity)) && !previous.some((q) => q.signingKey === h.identity.signingKey)) previous.push(h.identity);
  }
  const row = await loadIdentity(db);
  if (row) {
    const { id: _id, ...rest } = row;
    const known = row.previousKeys ?? [];
    const merged = [...known, ...previous.filter((q) => !known.some((k) => k.signingKey === q.signingKey))];
    await saveIdentity(db, { ...rest, previousKeys: merged });
    keyring.replaceIdentity(identity, merged);
  }
  return archiveKeySource(entries, identity);
}
