// Conversation epochs (EPOCH1..EPOCH12). Each epoch has a fresh AES-256-GCM key,
// wrapped with RSA-OAEP for every member under a label naming conversation,
// epoch and recipient, inside a record signed by a member and chained to the
// previous record by hash. Membership exists only in these signed records (M1).
import { ProtocolError, buf, canonical, equalBytes, fromBase64Url, randomBytes, sha256, toBase64Url, toHex, type Field } from './encoding.ts';
import { checkGroupChange, isLeave } from './group-change.ts';
import { sealGroupMeta } from './group.ts';
import { asImported, fingerprint, type Identity, type ImportedIdentity } from './identity.ts';
import { PURPOSE } from './purpose.ts';
import { EPOCH_KEY_BYTES, LIMITS, MAX_EPOCH } from './rules.ts';
import type { EpochMember, EpochRecord, PublicIdentity } from './types.ts';
import { checkId, checkInt } from './wire.ts';
import { parseEpochRecord } from './wire-records.ts';

export type { EpochMember, EpochRecord } from './types.ts';

type Contact = PublicIdentity | ImportedIdentity;

const subtle = (): SubtleCrypto => globalThis.crypto.subtle;

/** EPOCH3 (G2, M4): the OAEP label binds purpose, conversation, epoch and recipient. */
export function wrapLabel(conversationId: string, epoch: number, recipient: string): Uint8Array {
  return canonical(PURPOSE.epochWrap, [conversationId, epoch, recipient]);
}

/**
 * EPOCH5: a commitment to the key inside the signed record. Every member checks
 * the key it unwrapped against it, so a creator cannot hand different members
 * different keys (which AES-GCM, not being key-committing, would not reveal).
 */
async function keyCommitment(conversationId: string, epoch: number, raw: Uint8Array): Promise<Uint8Array> {
  return sha256(canonical(PURPOSE.epochKeyCommit, [conversationId, epoch, raw]));
}

/** EPOCH5: whether raw bytes are the key the record commits to (HIST4 checks an archived key with it). */
export async function opensEpoch(record: Pick<EpochRecord, 'conversationId' | 'epoch' | 'keyCommitment'>, raw: Uint8Array): Promise<boolean> {
  if (raw.length !== EPOCH_KEY_BYTES) return false;
  return equalBytes(await keyCommitment(record.conversationId, record.epoch, raw), fromBase64Url(record.keyCommitment));
}

/**
 * HIST4: where a reader gets the raw key of an epoch whose entry for it names an EARLIER key
 * of its own (`named`, a fingerprint): an epoch key archive (epoch-archive.ts). null: none.
 */
export type OwnKeySource = (record: EpochRecord, named: string) => Promise<Uint8Array | null>;

type Signed = Omit<EpochRecord, 'sig'>;

/** EPOCH4: purpose, every field, every member with fingerprint and wrapped key. */
function signedFields(r: Signed): Field[] {
  const f: Field[] = [
    r.v, r.type, r.conversationId, r.epoch, r.creator, r.createdAt, r.prevEpochHash, fromBase64Url(r.keyCommitment), r.members.length,
  ];
  for (let i = 0; i < r.members.length; i++) {
    const m = r.members[i]!;
    const w = r.wrappedKeys[i]!;
    if (w.userId !== m.userId) throw new ProtocolError('malformed', 'epoch: wrappedKeys do not match members');
    f.push(m.userId, m.fingerprint, fromBase64Url(w.wrappedKey));
  }
  // GRP2: a group's admins and encrypted name are signed and hashed with the rest,
  // after a purpose marker (the member count above fixes where the members end).
  if (r.admins !== undefined || r.meta !== undefined) {
    if (r.admins === undefined || r.meta === undefined) throw new ProtocolError('malformed', 'epoch: admins and meta come together');
    f.push(PURPOSE.epochGroup, r.admins.length, ...r.admins, fromBase64Url(r.meta));
  }
  return f;
}

export function epochSigningInput(r: Signed): Uint8Array {
  return canonical(PURPOSE.epoch, signedFields(r));
}

/** EPOCH6: the chain link, over the signed content. */
export async function epochHash(record: EpochRecord): Promise<string> {
  return toHex(await sha256(canonical(PURPOSE.epochHash, signedFields(record))));
}

async function fingerprintOf(c: Contact): Promise<string> {
  return 'fingerprint' in c && typeof c.fingerprint === 'string' ? c.fingerprint : fingerprint(c as PublicIdentity);
}

/** EPOCH1, EPOCH2, EPOCH7: make and sign the next epoch for the given members. */
export async function createEpoch(p: {
  conversationId: string;
  epoch: number;
  creator: Identity;
  members: Contact[];
  previous: EpochRecord | null;
  /** Defaults to Date.now(); fixed in test vectors. */
  createdAt?: number;
  /** GRP1..GRP5: a group's name (sealed under the new key) and admins (user ids, each a member). */
  group?: { name: string; admins: string[] };
}): Promise<{ record: EpochRecord; key: CryptoKey }> {
  const conversationId = checkId(p.conversationId, 'conversationId');
  const epoch = checkInt(p.epoch, 0, MAX_EPOCH, 'epoch');
  let prevEpochHash: string | null = null;
  let prev: EpochRecord | null = null;
  if (p.previous === null) {
    if (epoch !== 0) throw new ProtocolError('broken-chain', 'epoch: only epoch 0 has no previous epoch');
  } else {
    prev = parseEpochRecord(p.previous);
    if (prev.conversationId !== conversationId) throw new ProtocolError('wrong-conversation', 'epoch: previous epoch is from another conversation');
    if (epoch !== prev.epoch + 1) throw new ProtocolError('broken-chain', 'epoch: must follow the previous epoch');
    if (!prev.members.some((m) => m.userId === p.creator.userId)) {
      throw new ProtocolError('not-a-member', 'epoch: the creator must be a member of the previous epoch');
    }
    prevEpochHash = await epochHash(prev);
  }
  const imported = await Promise.all(p.members.map((m) => asImported(m)));
  imported.sort((a, b) => (a.pub.userId < b.pub.userId ? -1 : a.pub.userId > b.pub.userId ? 1 : 0));
  for (let i = 1; i < imported.length; i++) {
    if (imported[i]!.pub.userId === imported[i - 1]!.pub.userId) throw new ProtocolError('malformed', 'epoch: duplicate member');
  }
  if (imported.length < 1 || imported.length > LIMITS.maxMembers) throw new ProtocolError('too-large', 'epoch: member count out of range');
  const self = imported.find((m) => m.pub.userId === p.creator.userId);
  // GRP6: only a group member leaving makes a record it is not in (checked in full below).
  const leaving = self === undefined && prev !== null && p.group !== undefined && prev.admins !== undefined;
  if (self === undefined && !leaving) throw new ProtocolError('not-a-member', 'epoch: the creator must be a member');
  if (self !== undefined && self.fingerprint !== (await fingerprint(p.creator.public))) throw new ProtocolError('key-mismatch', 'epoch: creator listed with another key');

  const raw = randomBytes(EPOCH_KEY_BYTES);
  try {
    const key = await subtle().importKey('raw', buf(raw), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
    const commitment = await keyCommitment(conversationId, epoch, raw);
    const wrapped = await Promise.all(
      imported.map(async (m) => {
        const label = wrapLabel(conversationId, epoch, m.pub.userId);
        return new Uint8Array(await subtle().encrypt({ name: 'RSA-OAEP', label: buf(label) }, m.encryptionKey, buf(raw)));
      }),
    );
    let unsigned: Signed = {
      v: 1,
      type: 'epoch',
      conversationId,
      epoch,
      creator: p.creator.userId,
      members: imported.map((m) => ({ userId: m.pub.userId, fingerprint: m.fingerprint })),
      wrappedKeys: imported.map((m, i) => ({ userId: m.pub.userId, wrappedKey: toBase64Url(wrapped[i]!) })),
      keyCommitment: toBase64Url(commitment),
      prevEpochHash,
      createdAt: checkInt(p.createdAt ?? Date.now(), 0, Number.MAX_SAFE_INTEGER, 'createdAt'),
    };
    if (p.group !== undefined) {
      const admins = [...new Set(p.group.admins)].sort();
      if (admins.length < 1 || admins.some((a) => !unsigned.members.some((m) => m.userId === a))) {
        throw new ProtocolError('malformed', 'epoch: every admin must be a member');
      }
      unsigned = { ...unsigned, admins, meta: await sealGroupMeta({ conversationId, epoch, key, name: p.group.name }) };
    }
    // GRP4, GRP5: refuse to make a change the members would refuse.
    checkGroupChange(prev, { ...unsigned, sig: '' });
    const sig = new Uint8Array(await subtle().sign({ name: 'Ed25519' }, p.creator.signing.privateKey, buf(epochSigningInput(unsigned))));
    return { record: { ...unsigned, sig: toBase64Url(sig) }, key };
  } finally {
    raw.fill(0);
  }
}

export interface OpenEpochContext {
  me: Identity;
  /** The client's PINNED keys. */
  resolveIdentity: (userId: string) => Contact | undefined;
  /** The previous record, already opened by this client; null only for epoch 0. */
  previous: EpochRecord | null;
  /** When given, a record for another conversation is refused as 'wrong-conversation'. */
  conversationId?: string;
  /** HIST4: archived keys of epochs wrapped to an earlier key of this account. */
  ownKey?: OwnKeySource;
}

/**
 * EPOCH8..EPOCH12: accept an epoch key only from a record that is well formed,
 * chained to the previous one, signed by a pinned member of the previous epoch,
 * lists every member with the key this client pinned for them, and whose
 * wrapped key for me decrypts under the right label to the committed key.
 */
export function openEpoch(recordIn: EpochRecord, ctx: OpenEpochContext): Promise<{ key: CryptoKey; members: EpochMember[] }> {
  return openRecord(recordIn, ctx, false);
}

/** `joining` (JOIN3) is set only by openNextEpoch, for a client that holds no epoch of the conversation. */
async function openRecord(recordIn: EpochRecord, ctx: OpenEpochContext, joining: boolean, parsed = false): Promise<{ key: CryptoKey; members: EpochMember[] }> {
  // `parsed`: openNextEpoch parsed it already (a 256-member record takes milliseconds to parse).
  const record = parsed ? recordIn : parseEpochRecord(recordIn);
  if (ctx.conversationId !== undefined && ctx.conversationId !== record.conversationId) {
    throw new ProtocolError('wrong-conversation', 'epoch: belongs to another conversation');
  }
  // EPOCH8: chain.
  if (ctx.previous === null) {
    if (record.epoch !== 0 && !joining) throw new ProtocolError('broken-chain', 'epoch: no previous epoch given for a later epoch');
  } else {
    if (ctx.previous.conversationId !== record.conversationId) throw new ProtocolError('wrong-conversation', 'epoch: previous epoch is from another conversation');
    if (record.epoch !== ctx.previous.epoch + 1 || record.prevEpochHash !== (await epochHash(ctx.previous))) {
      throw new ProtocolError('broken-chain', 'epoch: does not follow the previous epoch');
    }
  }
  // EPOCH9 (M4): signed by the creator's pinned key.
  const pinnedCreator = ctx.resolveIdentity(record.creator);
  if (pinnedCreator === undefined) throw new ProtocolError('unknown-sender', 'epoch: creator is not a known contact');
  let creator: ImportedIdentity;
  try {
    creator = await asImported(pinnedCreator);
  } catch {
    throw new ProtocolError('unknown-sender', 'epoch: creator key is unusable');
  }
  if (creator.pub.userId !== record.creator) throw new ProtocolError('unknown-sender', 'epoch: creator is not a known contact');
  const ok = await subtle().verify({ name: 'Ed25519' }, creator.signingKey, buf(fromBase64Url(record.sig)), buf(epochSigningInput(record)));
  if (!ok) throw new ProtocolError('bad-signature', 'epoch: signature does not verify');
  // EPOCH10 (M1): the creator is a member now (or, GRP6, leaves the group) and, after epoch 0, was one before.
  if (!record.members.some((m) => m.userId === record.creator) && !(ctx.previous !== null && isLeave(ctx.previous, record))) {
    throw new ProtocolError('not-a-member', 'epoch: creator is not a member');
  }
  if (ctx.previous !== null && !ctx.previous.members.some((m) => m.userId === record.creator)) {
    throw new ProtocolError('not-a-member', 'epoch: creator was not a member of the previous epoch');
  }
  // GRP4, GRP5 (M1, L9): in a group, only an admin of the previous epoch changes who is in it.
  checkGroupChange(ctx.previous, record);
  // EPOCH11 (M2): every listed key is the one this client pinned.
  for (const m of record.members) {
    const pinned = ctx.resolveIdentity(m.userId);
    if (pinned === undefined) throw new ProtocolError('unknown-member', `epoch: member ${m.userId} has no pinned key`);
    if ((await fingerprintOf(pinned)) !== m.fingerprint) {
      throw new ProtocolError('key-mismatch', `epoch: ${m.userId} is listed with a key that is not the pinned one`);
    }
  }
  const index = record.members.findIndex((m) => m.userId === ctx.me.userId);
  if (index < 0) throw new ProtocolError('not-a-member', 'epoch: I am not a member');
  const named = record.members[index]!.fingerprint;
  let raw: Uint8Array | null = null;
  if (named !== (await fingerprint(ctx.me.public))) {
    // HIST4: an epoch wrapped to an earlier key of this account opens only with an archived
    // key, which must still pass the commitment below (a wrong key is 'tampered').
    if (ctx.ownKey === undefined) throw new ProtocolError('key-mismatch', 'epoch: my entry names another key');
    raw = await ctx.ownKey(record, named);
    if (raw === null) throw new ProtocolError('not-archived', 'epoch: not archived');
  }
  // EPOCH12 (G2, G4): unwrap under the label; one uniform error for every failure.
  raw ??= await unwrapOwn(record, index, ctx.me);
  try {
    if (!(await opensEpoch(record, raw))) throw new ProtocolError('tampered', 'epoch: my wrapped key does not open');
    const key = await subtle().importKey('raw', buf(raw), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
    return { key, members: record.members.map((m) => ({ ...m })) };
  } finally {
    raw.fill(0);
  }
}

/** EPOCH12 (G2, G4): my wrapped key, unwrapped under the EPOCH3 label; one uniform error for every failure. */
async function unwrapOwn(record: EpochRecord, index: number, me: Identity): Promise<Uint8Array> {
  try {
    return new Uint8Array(
      await subtle().decrypt(
        { name: 'RSA-OAEP', label: buf(wrapLabel(record.conversationId, record.epoch, me.userId)) },
        me.encryption.privateKey,
        buf(fromBase64Url(record.wrappedKeys[index]!.wrappedKey)),
      ),
    );
  } catch {
    throw new ProtocolError('tampered', 'epoch: my wrapped key does not open');
  }
}

/**
 * JOIN1, JOIN2: where a record stands against the epochs this client holds for
 * its conversation. Pure; the one place that decides between chaining and
 * joining, used by openNextEpoch and epochLookupPlan.
 * - 'first': epoch 0 and nothing held;
 * - 'next': the held record with epoch n-1 is the highest held, so the record must chain to it;
 * - 'join': epoch n > 0 and nothing held at all.
 */
export type ChainPosition =
  | { kind: 'first'; previous: null }
  | { kind: 'next'; previous: EpochRecord }
  | { kind: 'join'; previous: null }
  | { kind: 'refused'; code: 'wrong-conversation' | 'broken-chain' };

export function chainPosition(record: Pick<EpochRecord, 'conversationId' | 'epoch'>, held: readonly EpochRecord[]): ChainPosition {
  let highest: EpochRecord | undefined;
  for (const h of held) {
    if (h.conversationId !== record.conversationId) return { kind: 'refused', code: 'wrong-conversation' };
    if (highest === undefined || h.epoch > highest.epoch) highest = h;
  }
  if (highest === undefined) return record.epoch === 0 ? { kind: 'first', previous: null } : { kind: 'join', previous: null };
  // JOIN2: holding any epoch, only the very next one opens, chained; never a join.
  if (record.epoch !== highest.epoch + 1) return { kind: 'refused', code: 'broken-chain' };
  return { kind: 'next', previous: highest };
}

export interface OpenNextEpochContext {
  me: Identity;
  /** HIST4: archived keys of epochs wrapped to an earlier key of this account. */
  ownKey?: OwnKeySource;
  /** The client's PINNED keys (plus, for LOOKUP5, keys fetched for this record and not yet pinned). */
  resolveIdentity: (userId: string) => Contact | undefined;
  conversationId: string;
  /** EVERY epoch record of this conversation this client has opened (none: empty). */
  held: readonly EpochRecord[];
}

/**
 * JOIN1..JOIN4: open the next epoch of a conversation. The path is chosen from
 * what the client holds, never by the caller: holding epoch n-1, the record
 * must chain to it exactly (EPOCH8..EPOCH12); holding nothing, epoch 0 opens
 * as usual and a later epoch that names the reader opens as a join
 * (`joined: true`: earlier history was not shared with this reader).
 */
export async function openNextEpoch(recordIn: EpochRecord, ctx: OpenNextEpochContext): Promise<{ key: CryptoKey; members: EpochMember[]; joined: boolean }> {
  const record = parseEpochRecord(recordIn);
  const pos = chainPosition(record, ctx.held);
  if (pos.kind === 'refused') throw new ProtocolError(pos.code, 'epoch: does not follow the epochs held for this conversation');
  const base = { me: ctx.me, resolveIdentity: ctx.resolveIdentity, conversationId: ctx.conversationId, previous: pos.previous, ownKey: ctx.ownKey };
  const opened = await openRecord(record, base, pos.kind === 'join', true);
  return { ...opened, joined: pos.kind === 'join' };
}
