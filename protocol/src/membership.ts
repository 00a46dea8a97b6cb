// Membership events for the timeline (MEMB1, MEMB2, L9): what an accepted epoch
// record changed, as data; the view layer turns it into words ("ada added carl").
import { ProtocolError } from './encoding.ts';
import type { EpochRecord } from './epoch.ts';

export interface MembershipChange {
  conversationId: string;
  epoch: number;
  /** The record's creator, who signed the change. */
  by: string;
  /** Users listed now and not before (for epoch 0: everyone but the creator). */
  added: string[];
  /** Users listed before and not now (the creator itself when it left the group, GRP6). */
  removed: string[];
  /** Users listed in both with another key fingerprint. */
  keyChanged: string[];
  /** JOIN3: the reader joined here; nothing is known about earlier members. */
  joined?: true;
}

/**
 * MEMB1: the change an accepted record made, against the record before it
 * (null for epoch 0, or for a join when the reader holds no earlier epoch).
 * Lists are sorted by user id. Both records must already have been accepted.
 */
export function membershipChange(previous: EpochRecord | null, record: EpochRecord): MembershipChange {
  const base = { conversationId: record.conversationId, epoch: record.epoch, by: record.creator };
  if (previous === null) {
    if (record.epoch > 0) return { ...base, added: [], removed: [], keyChanged: [], joined: true };
    return { ...base, added: record.members.map((m) => m.userId).filter((u) => u !== record.creator).sort(), removed: [], keyChanged: [] };
  }
  if (previous.conversationId !== record.conversationId || previous.epoch + 1 !== record.epoch) {
    throw new ProtocolError('broken-chain', 'membership: records are not consecutive epochs of one conversation');
  }
  const before = new Map(previous.members.map((m) => [m.userId, m.fingerprint]));
  const now = new Map(record.members.map((m) => [m.userId, m.fingerprint]));
  const added = [...now.keys()].filter((u) => !before.has(u)).sort();
  const removed = [...before.keys()].filter((u) => !now.has(u)).sort();
  const keyChanged = [...now.keys()].filter((u) => before.has(u) && before.get(u) !== now.get(u)).sort();
  return { ...base, added, removed, keyChanged };
}
