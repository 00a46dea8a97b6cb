// GRP4..GRP6: the check every client makes on a chained epoch record (who may change a
// group's members and admins, and what a leave is). Apart from group.ts so that a bundle
// that only opens group names (the PWA's start chunk) does not carry it.
import { ProtocolError } from './encoding.ts';
import { isGroupRecord } from './group.ts';
import type { EpochRecord } from './types.ts';

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * GRP6: is `record` its creator leaving the group `previous`? A group record after a group
 * record, by a member of `previous` who is not listed any more, listing exactly everyone
 * else, and keeping the other admins (or, when the leaver was the last admin, naming new
 * ones among those who stay).
 */
export function isLeave(previous: Pick<EpochRecord, 'members' | 'admins'>, record: Pick<EpochRecord, 'creator' | 'members' | 'admins'>): boolean {
  if (!isGroupRecord(previous) || !isGroupRecord(record)) return false;
  const c = record.creator;
  if (!previous.members.some((m) => m.userId === c) || record.members.some((m) => m.userId === c)) return false;
  const rest = previous.members.map((m) => m.userId).filter((u) => u !== c);
  if (!sameList(rest, record.members.map((m) => m.userId))) return false;
  const admins = previous.admins!.filter((a) => a !== c);
  return admins.length === 0 ? record.admins!.length > 0 : sameList(admins, record.admins!);
}

/**
 * GRP4, GRP5: may `record`'s creator make this record? Throws ProtocolError
 * 'not-an-admin' when not. Pure and synchronous; needs no key, so it runs before
 * any directory look-up (LOOKUP1) and again when the record is opened.
 * - epoch 0 of a group: its creator is an admin;
 * - after a group record, every record is a group record (a group never turns back
 *   into a conversation without admins);
 * - a creator who is not an admin of the previous epoch may only re-key: the same
 *   members (by user id) and the same admins. Adding, removing, or changing admins
 *   needs an admin of the previous epoch.
 * - GRP6: any member may leave (isLeave): the one record its creator is not in.
 * A record chained to a record without admins (a one-to-one conversation) may make
 * it a group; its creator is then an admin of it.
 * `previous` is null for epoch 0 and for a join (JOIN4: the newcomer has nothing to
 * compare with and trusts the inviter's signature).
 */
export function checkGroupChange(previous: EpochRecord | null, record: EpochRecord): void {
  if (previous === null || !isGroupRecord(previous)) {
    if (isGroupRecord(record) && (previous === null ? record.epoch === 0 : true) && !record.admins!.includes(record.creator)) {
      throw new ProtocolError('not-an-admin', 'group: the creator of a group must be one of its admins');
    }
    return;
  }
  if (!isGroupRecord(record)) throw new ProtocolError('not-an-admin', 'group: a group record was followed by one without admins');
  // GRP6: a record whose creator is not in it is a leave, and nothing else.
  if (!record.members.some((m) => m.userId === record.creator)) {
    if (isLeave(previous, record)) return;
    throw new ProtocolError('not-an-admin', 'group: a member may leave, but not change anything else while leaving');
  }
  if (previous.admins!.includes(record.creator)) return;
  const before = previous.members.map((m) => m.userId);
  const now = record.members.map((m) => m.userId);
  if (!sameList(before, now) || !sameList(previous.admins!, record.admins!)) {
    throw new ProtocolError('not-an-admin', `group: ${record.creator} is not an admin and may not change who is in the group`);
  }
}
