import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { caller } from '../auth/scheme.ts';
import { ApiError } from '../errors/index.ts';
import { ServiceError } from '../../services/errors.ts';
import { checkEnvelope } from '../../services/canonical.ts';
import type { MessageAppend } from '../../db/log.ts';
import { appendError } from './results.ts';
import * as S from '../../schemas.ts';
import type { BatchResult } from '../../../../protocol/src/index.ts';
import { UUID_RE } from '../../../../protocol/src/rules.ts';

export const MAX_BATCH = 500;

const str = (x: unknown): string | null => (typeof x === 'string' && x.length <= 128 ? x : null);

/**
 * POST /api/v1/messages/batch: the outbox flush. Envelopes are checked one by one
 * (a bad one is rejected, the others go on) and appended in one transaction;
 * results come back in request order.
 */
export const batchAppendRoute: ServerRoute = {
  method: 'POST',
  path: '/api/v1/messages/batch',
  options: {
    tags: ['api', 'messages'],
    description: 'Append many envelopes (outbox flush)',
    validate: {
      payload: Joi.object({
        envelopes: Joi.array().items(Joi.object().unknown(true).description('Envelope (checked one by one)')).min(1).max(MAX_BATCH).required(),
      }),
    },
    plugins: {
      openapi: {
        responses: {
          200: Joi.object({
            results: Joi.array().items(Joi.object({
              clientMessageId: S.uuid.allow(null), conversationId: S.conversationId.allow(null),
              status: S.batchStatus, seq: Joi.number().integer(),
              error: Joi.object({ code: Joi.string(), message: Joi.string() }),
            })),
          }),
          413: 'payload_too_large', 429: 'rate_limited',
        },
      },
    },
  },
  async handler(request) {
    const me = caller(request);
    const { config, appendQueue, appendLimiter } = request.server.app;
    const raw = (request.payload as { envelopes: Record<string, unknown>[] }).envelopes;
    appendLimiter.hit(me.userId, raw.length);
    const results: BatchResult[] = new Array(raw.length);
    const items: MessageAppend[] = [];
    const at: number[] = [];
    // DEV8: a revoked device posts nothing more (checked once per device named in the batch).
    const revoked = new Set<string>();
    const named = new Set(raw.map((j) => (j as { device?: { deviceId?: unknown } })?.device?.deviceId).filter((d): d is string => typeof d === 'string'));
    for (const d of named) if (UUID_RE.test(d) && (await request.server.app.database.db.devices.isRevoked(me.userPk, d))) revoked.add(d);
    raw.forEach((json, i) => {
      results[i] = { clientMessageId: str(json.clientMessageId), conversationId: str(json.conversationId), status: 'rejected' };
      try {
        const env = checkEnvelope(json, config.maxEnvelopeBytes);
        if (env.value.sender !== me.userId) throw new ApiError(403, 'sender_mismatch', 'the envelope must be sent by the caller');
        if (env.value.v === 2 && revoked.has(env.value.device.deviceId)) throw new ApiError(403, 'device_revoked', 'this device was revoked');
        items.push({ conversationId: env.value.conversationId, clientId: env.value.clientMessageId, senderPk: me.userPk, epoch: env.value.epoch, body: env.text, hash: env.hash });
        at.push(i);
      } catch (error) {
        if (!(error instanceof ApiError || error instanceof ServiceError)) throw error;
        results[i]!.error = { code: error.code, message: error.message };
      }
    });
    const appended = await appendQueue.append(items);
    appended.forEach((result, k) => {
      const r = results[at[k]!]!;
      const error = appendError(result);
      if (error) r.error = { code: error.code, message: error.message };
      else {
        r.status = result.status as 'stored' | 'duplicate';
        r.seq = result.seq!;
      }
    });
    return { results };
  },
};
