// The epoch key archive (HIST1..HIST5, issue 12): after a rotation (ACCT2, "I lost a
// device"), epochs made before it are wrapped (EPOCH3) only to the account's OLD key, which
// no key file holds any more. The device that rotated still holds the old private key; it
// re-wraps every old epoch key of its own account to the NEW key and signs each entry with
// the new identity key, so a device restored from the new key file reads the whole history.
// Only this account's own epochs, never another member's. Pure: WebCrypto only, no I/O.
import { ProtocolError, buf, canonical, fromBase64Url, toBase64Url } from './encoding.ts';
import { epochHash, opensEpoch, wrapLabel, type OwnKeySource } from './epoch.ts';
import { asImported, fingerprint, type Identity, type ImportedIdentity } from './identity.ts';
import { PURPOSE } from './purpose.ts';
import { MAX_EPOCH, PROTOCOL_VERSION, RSA_WRAPPED_BYTES, SIG_BYTES } from './rules.ts';
import type { EpochRecord, PublicIdentity } from './types.ts';
import { checkB64, checkHash, checkId, checkInt, exactKeys, fail, isRecord } from './wire.ts';
import { parseEpochRecord } from './wire-records.ts';

/** HIST1: one archived epoch key of one account. */
export interface EpochArchiveEntry {
  v: 1;
  type: 'epoch-archive';
  /** The account whose key the epoch named and to whose current key it is re-wrapped. */
  userId: string;
  conversationId: string;
  epoch: number;
  /** EPOCH6 hash of the epoch record: the entry opens that very record, no other. */
  epochHash: string;
  /** SN1 fingerprint of the earlier key of this account that the epoch record names (HIST5). */
  previousKey: string;
  /** SN1 fingerprint of the key the entry is wrapped to, which also signs it. */
  recipientKey: string;
  /** RSA-OAEP-3072/SHA-256 of the raw 32-byte epoch key, under the HIST2 label. */
  wrappedKey: string;
  sig: string;
}

const ENTRY_KEYS = ['v', 'type', 'userId', 'conversationId', 'epoch', 'epochHash', 'previousKey', 'recipientKey', 'wrappedKey', 'sig'] as const;

const subtle = (): SubtleCrypto => globalThis.crypto.subtle;

/** One message per failure kind: the code says what failed (HIST4: every failure to open is `tampered`). */
const BAD = 'epoch archive entry refused';

/**
 * HIST3: the raw key of an epoch whose entry names `me`'s key (the device that rotated,
 * re-wrapping to the account's next key), checked against the commitment (EPOCH5); the
 * EPOCH3 label as in openEpoch. The caller wipes the bytes.
 */
export async function rawEpochKey(recordIn: EpochRecord, me: Identity): Promise<Uint8Array> {
  const record = parseEpochRecord(recordIn);
  const index = record.members.findIndex((m) => m.userId === me.userId);
  if (index < 0 || record.members[index]!.fingerprint !== (await fingerprint(me.public))) throw new ProtocolError('key-mismatch', BAD);
  let raw: Uint8Array;
  try {
    raw = new Uint8Array(await subtle().decrypt(
      { name: 'RSA-OAEP', label: buf(wrapLabel(record.conversationId, record.epoch, me.userId)) },
      me.encryption.privateKey, buf(fromBase64Url(record.wrappedKeys[index]!.wrappedKey)),
    ));
  } catch {
    throw new ProtocolError('tampered', BAD);
  }
  if (!(await opensEpoch(record, raw))) {
    raw.fill(0);
    throw new ProtocolError('tampered', BAD);
  }
  return raw;
}

/** HIST1: strict shape (WIRE1); the signature is checked by verifyEpochArchiveEntry. */
export function parseEpochArchiveEntry(json: unknown): EpochArchiveEntry {
  if (!isRecord(json) || !('v' in json)) fail(BAD);
  if (json.v !== PROTOCOL_VERSION) throw new ProtocolError('unsupported-version', BAD);
  exactKeys(json, ENTRY_KEYS, BAD);
  if (json.type !== 'epoch-archive') fail(BAD);
  checkB64(json.wrappedKey, RSA_WRAPPED_BYTES, RSA_WRAPPED_BYTES, BAD);
  checkB64(json.sig, SIG_BYTES, SIG_BYTES, BAD);
  return {
    v: 1, type: 'epoch-archive', userId: checkId(json.userId, BAD), conversationId: checkId(json.conversationId, BAD),
    epoch: checkInt(json.epoch, 0, MAX_EPOCH, BAD), epochHash: checkHash(json.epochHash, BAD),
    previousKey: checkHash(json.previousKey, BAD), recipientKey: checkHash(json.recipientKey, BAD),
    wrappedKey: json.wrappedKey as string, sig: json.sig as string,
  };
}

/** HIST2: the signed bytes (CANON1): every field but the signature, the wrapped key as bytes. */
export function epochArchiveInput(e: Omit<EpochArchiveEntry, 'sig'>): Uint8Array {
  return canonical(PURPOSE.epochArchive, [
    e.v, e.type, e.userId, e.conversationId, e.epoch, e.epochHash, e.previousKey, e.recipientKey, fromBase64Url(e.wrappedKey),
  ]);
}

/** HIST2: the OAEP label binds account, conversation, epoch and the record's hash, under a purpose of its own (not EPOCH3's). */
export function epochArchiveLabel(userId: string, conversationId: string, epoch: number, hash: string): Uint8Array {
  return canonical(PURPOSE.epochArchiveWrap, [userId, conversationId, epoch, hash]);
}

/**
 * HIST3: archive one epoch key of `account`'s own earlier key: `raw` (the epoch's key, from
 * rawEpochKey or an older entry) is re-wrapped to `account`'s current key and signed by it.
 * Refuses bytes the record does not commit to, and records that do not name this account.
 */
export async function archiveEpochKey(account: Identity, recordIn: EpochRecord, raw: Uint8Array): Promise<EpochArchiveEntry> {
  const record = parseEpochRecord(recordIn);
  const named = record.members.find((m) => m.userId === account.userId)?.fingerprint;
  if (named === undefined) throw new ProtocolError('not-a-member', BAD);
  const recipientKey = await fingerprint(account.public);
  if (named === recipientKey) throw new ProtocolError('malformed', BAD);
  if (!(await opensEpoch(record, raw))) throw new ProtocolError('tampered', BAD);
  const hash = await epochHash(record);
  const enc = (await asImported(account.public)).encryptionKey;
  const wrapped = new Uint8Array(await subtle().encrypt(
    { name: 'RSA-OAEP', label: buf(epochArchiveLabel(account.userId, record.conversationId, record.epoch, hash)) }, enc, buf(raw),
  ));
  const body: Omit<EpochArchiveEntry, 'sig'> = {
    v: 1, type: 'epoch-archive', userId: account.userId, conversationId: record.conversationId, epoch: record.epoch, epochHash: hash,
    previousKey: named, recipientKey, wrappedKey: toBase64Url(wrapped),
  };
  const sig = new Uint8Array(await subtle().sign({ name: 'Ed25519' }, account.signing.privateKey, buf(epochArchiveInput(body))));
  return parseEpochArchiveEntry({ ...body, sig: toBase64Url(sig) });
}

/**
 * HIST2, HIST5: the entry, if it holds under this account key: exact shape, the same user,
 * wrapped to exactly this key (`recipientKey` is its fingerprint), and signed by it. Never throws.
 */
export async function verifyEpochArchiveEntry(entryIn: unknown, account: PublicIdentity | ImportedIdentity): Promise<EpochArchiveEntry | null> {
  try {
    const entry = parseEpochArchiveEntry(entryIn);
    const acct = await asImported(account);
    if (entry.userId !== acct.pub.userId || entry.recipientKey !== acct.fingerprint) return null;
    const ok = await subtle().verify({ name: 'Ed25519' }, acct.signingKey, buf(fromBase64Url(entry.sig)), buf(epochArchiveInput(entry)));
    return ok ? entry : null;
  } catch {
    return null;
  }
}

/**
 * HIST4: the raw bytes an entry holds for this very record, for `me` (the entry's recipient):
 * the entry must name the record's conversation, epoch and hash and the key the record names
 * for `me`, and open under the HIST2 label; every failure is `tampered`. Whether the bytes
 * are the record's key is checked once, by openEpoch against the commitment (EPOCH5), as for
 * every key. The caller wipes the bytes.
 */
export async function openArchivedKey(entry: EpochArchiveEntry, record: EpochRecord, me: Identity): Promise<Uint8Array> {
  const named = record.members.find((m) => m.userId === me.userId)?.fingerprint;
  const hash = await epochHash(record);
  if (entry.userId !== me.userId || entry.conversationId !== record.conversationId || entry.epoch !== record.epoch || entry.epochHash !== hash
    || entry.previousKey !== named || entry.recipientKey !== (await fingerprint(me.public))) {
    throw new ProtocolError('tampered', BAD);
  }
  try {
    return new Uint8Array(await subtle().decrypt(
      { name: 'RSA-OAEP', label: buf(epochArchiveLabel(me.userId, record.conversationId, record.epoch, hash)) },
      me.encryption.privateKey, buf(fromBase64Url(entry.wrappedKey)),
    ));
  } catch {
    throw new ProtocolError('tampered', BAD);
  }
}

/**
 * HIST4: an OwnKeySource (openEpoch, openNextEpoch) over an account's archive as the service
 * returned it. An entry for the record is used only if its signature holds under `me`'s
 * key (HIST2) and it opens the record (openArchivedKey); a record with entries none of
 * which holds is `tampered` (a server that alters entries is shown, not skipped); a record
 * with no entry at all is null (`not-archived`: history this device cannot read).
 */
export function archiveKeySource(entries: readonly unknown[], me: Identity): OwnKeySource {
  const byEpoch = new Map<string, unknown[]>();
  for (const e of entries) {
    if (!isRecord(e) || typeof e.conversationId !== 'string' || typeof e.epoch !== 'number') continue;
    const k = `${e.conversationId}/${e.epoch}`;
    byEpoch.set(k, [...(byEpoch.get(k) ?? []), e]);
  }
  return async (record, named) => {
    const found = byEpoch.get(`${record.conversationId}/${record.epoch}`);
    if (!found?.length) return null;
    let failure: unknown = new ProtocolError('tampered', BAD);
    for (const candidate of found) {
      const entry = await verifyEpochArchiveEntry(candidate, me.public);
      if (entry === null || entry.previousKey !== named) continue;
      try {
        return await openArchivedKey(entry, record, me);
      } catch (e) {
        failure = e;
      }
    }
    throw failure;
  };
}

/** HIST5: the earlier keys of this account (fingerprints) that valid entries vouch for, signed by `account`'s own key. */
export async function vouchedPreviousKeys(entries: readonly unknown[], account: PublicIdentity | ImportedIdentity): Promise<Set<string>> {
  const out = new Set<string>();
  for (const e of entries) {
    const ok = await verifyEpochArchiveEntry(e, account);
    if (ok) out.add(ok.previousKey);
  }
  return out;
}
