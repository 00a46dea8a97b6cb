import type { BatchResult } from '../../../protocol/src/types.ts';
import type { AppendQueue, AppendResult } from './append-queue.ts';
import { checkEnvelope } from './canonical.ts';
import { ForbiddenError, ServiceError } from './errors.ts';
import type { LocalLimiter } from './rate-limit.ts';
import type { MessageAppend } from '../db/log.ts';
import { UUID_RE } from '../../../protocol/src/rules.ts';

/** What appending needs: the same for POST /messages/batch and the WebSocket `send` frames. */
export interface AppendDeps {
  maxEnvelopeBytes: number;
  appendQueue: AppendQueue;
  appendLimiter: LocalLimiter;
  /** DEV8: has this account revoked this device (db.devices.isRevoked)? */
  isRevoked(userPk: number, deviceId: string): Promise<boolean>;
}

/** The error of an append that was not stored, or null for stored and duplicate. */
export function appendFailure(result: AppendResult): { status: number; code: string; message: string } | null {
  switch (result.status) {
    case 'stored':
    case 'duplicate':
      return null;
    case 'client_id_conflict':
      return { status: 409, code: 'client_id_conflict', message: 'another message with this clientMessageId is stored' };
    case 'unknown_epoch':
      return { status: 409, code: 'unknown_epoch', message: 'the envelope names an epoch the conversation does not have yet' };
    case 'not_found':
      return { status: 404, code: 'not_found', message: 'no such conversation' };
  }
}

const str = (x: unknown): string | null => (typeof x === 'string' && x.length <= 128 ? x : null);

/**
 * Append envelopes for the caller: each is checked once (protocol's strict parser, the size
 * cap, sent by the caller); a bad one is rejected and the others go on, all in one group
 * commit. Membership, the epoch and idempotency by client id are checked by append_messages
 * in the same transaction. Results in request order. Throws (nothing stored) when over the
 * caller's rate limit (RateLimitedError) or when the instance is full (OverloadedError).
 */
export async function appendEnvelopes(deps: AppendDeps, me: { userId: string; userPk: number }, raw: readonly unknown[]): Promise<BatchResult[]> {
  deps.appendLimiter.hit(me.userId, raw.length);
  const results: BatchResult[] = new Array(raw.length);
  const items: MessageAppend[] = [];
  const at: number[] = [];
  // DEV8: a revoked device posts nothing more, whatever token it holds (clients refuse it
  // too, DEV10). Looked up once per device the envelopes name.
  const revoked = new Set<string>();
  const named = new Set(raw.map((j) => (j as { device?: { deviceId?: unknown } } | null)?.device?.deviceId).filter((d): d is string => typeof d === 'string'));
  for (const d of named) if (UUID_RE.test(d) && (await deps.isRevoked(me.userPk, d))) revoked.add(d);
  raw.forEach((json, i) => {
    const o = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
    results[i] = { clientMessageId: str(o.clientMessageId), conversationId: str(o.conversationId), status: 'rejected' };
    try {
      const env = checkEnvelope(json, deps.maxEnvelopeBytes);
      if (env.value.sender !== me.userId) throw new ForbiddenError('sender_mismatch', 'the envelope must be sent by the caller');
      if (env.value.v === 2 && revoked.has(env.value.device.deviceId)) throw new ForbiddenError('device_revoked', 'this device was revoked');
      items.push({ conversationId: env.value.conversationId, clientId: env.value.clientMessageId, senderPk: me.userPk, epoch: env.value.epoch, body: env.text, hash: env.hash });
      at.push(i);
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      results[i]!.error = { code: error.code, message: error.message };
    }
  });
  const appended = await deps.appendQueue.append(items);
  appended.forEach((result, k) => {
    const r = results[at[k]!]!;
    const failure = appendFailure(result);
    if (failure) r.error = { code: failure.code, message: failure.message };
    else {
      r.status = result.status as 'stored' | 'duplicate';
      r.seq = result.seq!;
    }
  });
  return results;
}
