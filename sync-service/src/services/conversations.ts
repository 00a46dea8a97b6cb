import type { Database } from '../db/index.ts';
import type { EpochRecord } from '../../../protocol/src/epoch.ts';
import type { Canonical } from './canonical.ts';
import { ConflictError, ForbiddenError, InvalidError, NotFoundError, RateLimitedError } from './errors.ts';
import { sharedLimit } from './rate-limit.ts';

/**
 * The Postgres channels appends NOTIFY on (by notify_log_append() and notify_member_added()
 * in db/migrations/001): payloads "<conversationId> <lastSeq>" and "<conversationId> <userId>".
 */
export const CHANNEL_LOG = 'mh_log';
export const CHANNEL_MEMBER = 'mh_member';
/** SPEC §8c: typing signals, relayed between instances and never stored: "<conversationId> <userId> <sealed>". */
export const CHANNEL_TYPING = 'mh_typing';

/** The authenticated user (plugins/auth's Caller fits): services know no HTTP. */
export interface Caller {
  userId: string;
  userPk: number;
}

/** What limits the people a user can put into conversations (THREATS L3). */
export interface ConversationLimits {
  /** Conversations opened, or epochs that add someone, per user and minute (all instances). */
  perMinute: number;
}

/**
 * THREATS L3: opening a conversation with others, or adding someone to one, counts against a
 * per-user limit shared by every instance (Postgres): nobody can put another user into
 * thousands of conversations a minute. A retried creation is not counted again.
 */
async function countOpening(db: Database, me: Caller, limits: ConversationLimits): Promise<void> {
  await sharedLimit(db, `conversations:user:${me.userPk}`, limits.perMinute,
    (s) => new RateLimitedError(s, 'conversation_rate_limited', 'too many new conversations; try again later'));
}

/**
 * THREATS L3 message requests: a user who blocked the caller is never put into a conversation
 * by them. 403 conversation_refused, without saying which member refused.
 */
async function checkNotBlocked(db: Database, me: Caller, addedPks: number[]): Promise<void> {
  if (await db.blocks.blockedByAny(me.userPk, addedPks.filter((pk) => pk !== me.userPk))) {
    throw new ForbiddenError('conversation_refused', 'a member does not accept new conversations from you');
  }
}

/** The users of an epoch record, all registered (else unknown_member). */
async function memberPks(db: Database, record: EpochRecord): Promise<number[]> {
  const ids = record.members.map((m) => m.userId);
  const rows = await db.users.findMany(ids);
  const byId = new Map(rows.map((row) => [row.userId, row.id]));
  return ids.map((id) => {
    const pk = byId.get(id);
    if (pk === undefined) throw new InvalidError('unknown_member', 'every member must be a registered user');
    return pk;
  });
}

function checkCreator(record: EpochRecord, me: Caller, leaving = false): void {
  if (record.creator !== me.userId) throw new ForbiddenError('creator_mismatch', 'the epoch record must be made by the caller');
  if (!leaving && !record.members.some((m) => m.userId === me.userId)) {
    throw new InvalidError('creator_not_member', 'the creator must be a member of the epoch');
  }
}

/**
 * Create a conversation from its epoch 0 record (seq 1). Idempotent: the same
 * record again answers 200; another record under an existing id is a conflict.
 */
export async function createConversation(db: Database, me: Caller, record: Canonical<EpochRecord>, limits: ConversationLimits): Promise<{ created: boolean; seq: number }> {
  const r = record.value;
  if (r.epoch !== 0) throw new InvalidError('invalid_epoch_record', 'a conversation starts at epoch 0');
  checkCreator(r, me);
  const pks = await memberPks(db, r);
  await checkNotBlocked(db, me, pks);
  if (pks.some((pk) => pk !== me.userPk) && !(await db.conversations.exists(r.conversationId))) await countOpening(db, me, limits);
  const result = await db.log.appendEpoch({ conversationId: r.conversationId, senderPk: me.userPk, epoch: 0, body: record.text, hash: record.hash, memberPks: pks });
  switch (result.status) {
    case 'stored': return { created: true, seq: result.seq };
    case 'duplicate': return { created: false, seq: result.seq };
    default: throw new ConflictError('conversation_exists', 'a conversation with this id exists already');
  }
}

/**
 * Append epoch n+1: the caller must be a member of the latest epoch; the access
 * list is rewritten from the record's members in the same statement.
 */
export async function appendEpoch(db: Database, me: Caller, conversationId: string, record: Canonical<EpochRecord>, limits: ConversationLimits): Promise<{ created: boolean; seq: number }> {
  const r = record.value;
  if (r.conversationId !== conversationId) throw new InvalidError('conversation_mismatch', 'the record names another conversation');
  // A group member leaving (SPEC GRP6) makes the one record it is not in; clients check the rest.
  checkCreator(r, me, r.admins !== undefined);
  if (r.epoch < 1) throw new ConflictError('epoch_conflict', 'epoch 0 is the conversation itself');
  const pks = await memberPks(db, r);
  // Adding someone puts them into a conversation just as opening one does.
  const current = new Set(await db.conversations.memberPks(conversationId));
  const added = current.size > 0 ? pks.filter((pk) => !current.has(pk)) : [];
  if (added.length > 0) {
    await checkNotBlocked(db, me, added);
    await countOpening(db, me, limits);
  }
  const result = await db.log.appendEpoch({ conversationId, senderPk: me.userPk, epoch: r.epoch, body: record.text, hash: record.hash, memberPks: pks });
  switch (result.status) {
    case 'stored': return { created: true, seq: result.seq };
    case 'duplicate': return { created: false, seq: result.seq };
    case 'epoch_conflict': throw new ConflictError('epoch_conflict', `the next epoch is ${result.latestEpoch + 1}`);
    default: throw new NotFoundError();
  }
}
