// Signature before look-up (LOOKUP1..LOOKUP5, L6). A client that meets an epoch
// record naming users it has never pinned fetches their keys from the directory
// (the server) before it can open the record. These helpers say which users it
// may fetch and when, so that nothing is fetched for a record the client will
// refuse, and nothing is fetched for the members of a record whose signature
// has not been verified.
import { buf, fromBase64Url } from './encoding.ts';
import { chainPosition, epochSigningInput, type EpochRecord } from './epoch.ts';
import { checkGroupChange, isLeave } from './group-change.ts';
import { asImported, type ImportedIdentity, type PublicIdentity } from './identity.ts';
import { LIMITS } from './rules.ts';
import { parseEpochRecord } from './wire-records.ts';

export const LOOKUP_LIMITS = {
  /**
   * LOOKUP4: directory look-ups per record after its signature verified. A
   * valid record lists at most maxMembers users (WIRE6), the creator among
   * them, so this never stops a valid record: the parser already enforces it,
   * and it is stated here where look-ups are planned.
   */
  maxLookups: LIMITS.maxMembers - 1,
};

export type LookupRefusal = 'malformed' | 'wrong-conversation' | 'broken-chain' | 'unknown-sender' | 'not-a-member' | 'too-large' | 'not-an-admin';

export type LookupPlan =
  | { ok: false; reason: LookupRefusal }
  | {
      ok: true;
      /** JOIN3: the record would open as a join. */
      joining: boolean;
      /** LOOKUP3: at most the creator, for epoch 0 or a join. Fetch, do not pin. */
      beforeSignature: string[];
      /** LOOKUP4: only after verifyEpochSignature returned true; in member order. Fetch, do not pin. */
      afterSignature: string[];
    };

export interface LookupContext {
  conversationId: string;
  /** The reader's user id. */
  me: string;
  /** EVERY epoch record of this conversation the client has opened (as for openNextEpoch). */
  held: readonly EpochRecord[];
  /** True for a user whose key the client has pinned. */
  isPinned: (userId: string) => boolean;
  /** Defaults to LOOKUP_LIMITS.maxLookups; a client may ask for fewer. */
  maxLookups?: number;
}

/**
 * LOOKUP1..LOOKUP4: which unknown users a client may fetch for this record, and
 * in which order. Pure and synchronous; never throws. A refusal means: fetch
 * nothing, the record will not open (the reason is the error openNextEpoch
 * would give).
 */
export function epochLookupPlan(recordIn: unknown, ctx: LookupContext): LookupPlan {
  let record: EpochRecord;
  try {
    record = parseEpochRecord(recordIn);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (record.conversationId !== ctx.conversationId) return { ok: false, reason: 'wrong-conversation' };
  const pos = chainPosition(record, ctx.held);
  if (pos.kind === 'refused') return { ok: false, reason: pos.code };
  // EPOCH10 checks that need no key: the creator and the reader are listed.
  const listed = (u: string) => record.members.some((m) => m.userId === u);
  const leave = pos.kind === 'next' && isLeave(pos.previous, record); // GRP6
  if ((!listed(record.creator) && !leave) || !listed(ctx.me)) return { ok: false, reason: 'not-a-member' };
  const beforeSignature: string[] = [];
  if (pos.kind === 'next') {
    // LOOKUP2: after epoch 0 the creator was a member before, so it is pinned already.
    if (!pos.previous.members.some((m) => m.userId === record.creator)) return { ok: false, reason: 'not-a-member' };
    if (!ctx.isPinned(record.creator)) return { ok: false, reason: 'unknown-sender' };
  } else if (record.creator !== ctx.me && !ctx.isPinned(record.creator)) {
    // LOOKUP3: epoch 0 or a join: the creator alone, to check the signature with.
    beforeSignature.push(record.creator);
  }
  // GRP4, GRP5: a change its creator had no right to make is refused before anything is fetched.
  try {
    checkGroupChange(pos.kind === 'next' ? pos.previous : null, record);
  } catch {
    return { ok: false, reason: 'not-an-admin' };
  }
  const afterSignature = record.members
    .map((m) => m.userId)
    .filter((u) => u !== ctx.me && u !== record.creator && !ctx.isPinned(u));
  if (afterSignature.length > (ctx.maxLookups ?? LOOKUP_LIMITS.maxLookups)) return { ok: false, reason: 'too-large' };
  return { ok: true, joining: pos.kind === 'join', beforeSignature, afterSignature };
}

/**
 * LOOKUP2, LOOKUP3 (EPOCH4, EPOCH9 only): does the record's signature verify
 * under this key for its creator? Needs no other member pinned. Never throws;
 * false for a malformed record, a key for another user or a bad signature.
 */
export async function verifyEpochSignature(recordIn: unknown, creator: PublicIdentity | ImportedIdentity): Promise<boolean> {
  try {
    const record = parseEpochRecord(recordIn);
    const key = await asImported(creator);
    if (key.pub.userId !== record.creator) return false;
    return await globalThis.crypto.subtle.verify({ name: 'Ed25519' }, key.signingKey, buf(fromBase64Url(record.sig)), buf(epochSigningInput(record)));
  } catch {
    return false;
  }
}
