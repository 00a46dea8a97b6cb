import type { Database } from '../db/index.ts';
import type { EpochRecord } from '../../../protocol/src/epoch.ts';
import type { Caller } from '../plugins/auth/scheme.ts';
import { ApiError } from '../plugins/errors/index.ts';
import type { Canonical } from './canonical.ts';

export const CHANNEL_LOG = 'mh_log';
export const CHANNEL_MEMBER = 'mh_member';

const epochClientId = (epoch: number) => `epoch:${epoch}`;

/** The users of an epoch record, all registered (else 400 unknown_member). */
async function memberPks(db: Database, record: EpochRecord): Promise<number[]> {
  const ids = record.members.map((m) => m.userId);
  const rows = await db.users.findMany(ids);
  const byId = new Map(rows.map((row) => [row.userId, row.id]));
  return ids.map((id) => {
    const pk = byId.get(id);
    if (pk === undefined) throw new ApiError(400, 'unknown_member', 'every member must be a registered user');
    return pk;
  });
}

function checkCreator(record: EpochRecord, me: Caller): void {
  if (record.creator !== me.userId) throw new ApiError(403, 'creator_mismatch', 'the epoch record must be made by the caller');
  if (!record.members.some((m) => m.userId === me.userId)) {
    throw new ApiError(400, 'creator_not_member', 'the creator must be a member of the epoch');
  }
}

/**
 * Create a conversation from its epoch 0 record (seq 1). Idempotent: the same
 * record again answers 200; another record under an existing id is a conflict.
 */
export async function createConversation(db: Database, me: Caller, record: Canonical<EpochRecord>): Promise<{ created: boolean; seq: number }> {
  const r = record.value;
  if (r.epoch !== 0) throw new ApiError(400, 'invalid_epoch_record', 'a conversation starts at epoch 0');
  checkCreator(r, me);
  const pks = await memberPks(db, r);
  return db.tx('create-conversation', async (t) => {
    if (await t.conversations.insert(r.conversationId, me.userPk)) {
      await t.log.insertEpoch({ conversationId: r.conversationId, seq: 1, clientId: epochClientId(0), senderPk: me.userPk, epoch: 0, body: record.text, hash: record.hash });
      await t.conversations.setMembers(r.conversationId, pks);
      await notify(t, r.conversationId, 1, r.members.map((m) => m.userId));
      return { created: true, seq: 1 };
    }
    const existing = await t.log.findClientId(r.conversationId, epochClientId(0));
    if (existing && existing.hash.equals(record.hash)) return { created: false, seq: existing.seq };
    throw new ApiError(409, 'conversation_exists', 'a conversation with this id exists already');
  });
}

/**
 * Append epoch n+1: the caller must be a member of the latest epoch; the access
 * list is rewritten from the record's members in the same transaction.
 */
export async function appendEpoch(db: Database, me: Caller, conversationId: string, record: Canonical<EpochRecord>): Promise<{ created: boolean; seq: number }> {
  const r = record.value;
  if (r.conversationId !== conversationId) throw new ApiError(400, 'conversation_mismatch', 'the record names another conversation');
  checkCreator(r, me);
  if (r.epoch < 1) throw new ApiError(409, 'epoch_conflict', 'epoch 0 is the conversation itself');
  const pks = await memberPks(db, r);
  return db.tx('append-epoch', async (t) => {
    const conv = await t.conversations.lock(conversationId);
    if (!conv) throw notFound();
    const existing = await t.log.findClientId(conversationId, epochClientId(r.epoch));
    // Identical bytes mean the caller made this record: a retry, even if it removed itself.
    if (existing && existing.hash.equals(record.hash)) return { created: false, seq: existing.seq };
    if ((await t.conversations.memberLastSeq(conversationId, me.userPk)) === null) throw notFound();
    if (existing || r.epoch !== conv.latestEpoch + 1) {
      throw new ApiError(409, 'epoch_conflict', `the next epoch is ${conv.latestEpoch + 1}`);
    }
    const seq = await t.conversations.advanceEpoch(conversationId, r.epoch);
    await t.log.insertEpoch({ conversationId, seq, clientId: epochClientId(r.epoch), senderPk: me.userPk, epoch: r.epoch, body: record.text, hash: record.hash });
    const added = new Set(await t.conversations.setMembers(conversationId, pks));
    const addedIds = r.members.filter((_m, i) => added.has(pks[i]!)).map((m) => m.userId);
    await notify(t, conversationId, seq, addedIds);
    return { created: true, seq };
  });
}

/** NOTIFY is transactional: delivered at commit, never for a rolled-back append. Ids only. */
async function notify(t: Database | any, conversationId: string, seq: number, addedUserIds: string[]): Promise<void> {
  await t.any('SELECT pg_notify($1, $2)', [CHANNEL_LOG, `${conversationId} ${seq}`]);
  for (const userId of addedUserIds) await t.any('SELECT pg_notify($1, $2)', [CHANNEL_MEMBER, `${conversationId} ${userId}`]);
}

export function notFound(): ApiError {
  return new ApiError(404, 'not_found', 'no such conversation');
}
