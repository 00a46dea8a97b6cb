import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { caller } from '../auth/scheme.ts';
import { appendEnvelopes } from '../../services/appender.ts';
import * as S from '../../schemas.ts';

export const MAX_BATCH = 500;

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
          413: 'payload_too_large', 429: 'rate_limited', 503: 'overloaded | database_unavailable',
        },
      },
    },
  },
  async handler(request) {
    const { config, appendQueue, appendLimiter } = request.server.app;
    const raw = (request.payload as { envelopes: Record<string, unknown>[] }).envelopes;
    const isRevoked = (userPk: number, deviceId: string) => request.server.app.database.db.devices.isRevoked(userPk, deviceId);
    return { results: await appendEnvelopes({ maxEnvelopeBytes: config.maxEnvelopeBytes, appendQueue, appendLimiter, isRevoked }, caller(request), raw) };
  },
};
