// Which epoch a message may use (ADMIT1..ADMIT6, L2). openMessage proves who
// signed a message and that the epoch it names lists them; this decides whether
// that epoch may still be used at the message's place in the conversation log,
// given the epochs accepted before it. Pure and synchronous: the answer depends
// only on the log, so re-reading a message later gives the same answer.
import type { EpochMember } from './epoch.ts';

export const ADMISSION = {
  /**
   * ADMIT4: log positions after the latest epoch's record during which a current
   * member (same key) may still use the immediately previous epoch. Equal to
   * LIMITS.maxMissing, the number of one sender's messages a reader tracks as
   * still on their way.
   */
  graceEntries: 1024,
};

/** One epoch this client accepted, with the log position (seq) of its record. */
export interface AdmissionEpoch {
  epoch: number;
  seq: number;
  members: readonly EpochMember[];
}

/**
 * ADMIT5: a signing key revoked from an epoch on. Nothing fills this yet; a
 * per-device model adds revoked device keys here without changing the shape.
 */
export interface Revocation {
  /** Fingerprint of the revoked signing key (today: the SN1 fingerprint of a user's identity). */
  fingerprint: string;
  /** Revoked once an epoch >= fromEpoch is the latest at a message's position. */
  fromEpoch: number;
}

export interface AdmissionInput {
  /** The epoch the envelope names. */
  epochNamed: number;
  sender: string;
  /** Fingerprint of the key that verified the signature; defaults to the sender's entry in the named epoch (OPEN5 made them equal). */
  signer?: string;
  /** The message's log position (seq) in this conversation. */
  messageSeq: number;
  /** Every epoch of this conversation the client accepted, in any order. Those recorded after the message do not count. */
  epochs: readonly AdmissionEpoch[];
  revoked?: readonly Revocation[];
}

export type AdmissionRefusal = 'unknown-epoch' | 'not-a-member' | 'sender-removed' | 'sender-key-changed' | 'signer-revoked' | 'stale-epoch';

export type AdmissionResult = { ok: true; grace: boolean } | { ok: false; reason: AdmissionRefusal };

/**
 * ADMIT1..ADMIT5. `grace: true` marks a message admitted under the previous
 * epoch inside the window (ADMIT4).
 */
export function admitMessage(p: AdmissionInput): AdmissionResult {
  // ADMIT1: only epochs whose record precedes the message count.
  const before = p.epochs.filter((e) => e.seq < p.messageSeq);
  const named = before.find((e) => e.epoch === p.epochNamed);
  if (named === undefined) return { ok: false, reason: 'unknown-epoch' };
  const entry = named.members.find((m) => m.userId === p.sender);
  const signer = p.signer ?? entry?.fingerprint;
  if (entry === undefined || entry.fingerprint !== signer) return { ok: false, reason: 'not-a-member' };
  const latest = before.reduce((a, b) => (b.epoch > a.epoch ? b : a));
  // ADMIT5: a revoked key posts nothing once its revocation is in force, under any epoch.
  if ((p.revoked ?? []).some((r) => r.fingerprint === signer && latest.epoch >= r.fromEpoch)) return { ok: false, reason: 'signer-revoked' };
  // ADMIT2: the latest epoch at this position.
  if (named.epoch === latest.epoch) return { ok: true, grace: false };
  // ADMIT3 (L2): every later epoch must still list the sender, with the same key.
  for (const later of before) {
    if (later.epoch <= named.epoch) continue;
    const now = later.members.find((m) => m.userId === p.sender);
    if (now === undefined) return { ok: false, reason: 'sender-removed' };
    if (now.fingerprint !== signer) return { ok: false, reason: 'sender-key-changed' };
  }
  // ADMIT4: in flight under the immediately previous epoch, for a bounded stretch of the log.
  if (named.epoch === latest.epoch - 1 && p.messageSeq - latest.seq <= ADMISSION.graceEntries) return { ok: true, grace: true };
  return { ok: false, reason: 'stale-epoch' };
}
