import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { caller } from '../auth/scheme.ts';
import { checkEpochRecord } from '../../services/canonical.ts';
import { LIMITS } from '../../../../protocol/src/rules.ts';
import { appendEpoch } from '../../services/conversations.ts';
import * as S from '../../schemas.ts';
import type { AddEpochResponse } from '../../../../protocol/src/index.ts';

/** POST /api/v1/conversations/{id}/epochs: append epoch latest+1 (member change or key rotation). */
export const appendEpochRoute: ServerRoute = {
  method: 'POST',
  path: '/api/v1/conversations/{id}/epochs',
  options: {
    tags: ['api', 'conversations'],
    description: 'Append an epoch record',
    validate: {
      params: Joi.object({ id: S.conversationId.required() }),
      payload: Joi.object({ epochRecord: S.epochRecord.required() }),
    },
    plugins: {
      openapi: {
        responses: {
          201: Joi.object({ seq: Joi.number().integer() }),
          200: 'the same record again (idempotent retry)',
          400: 'invalid_epoch_record | conversation_mismatch | unknown_member | creator_not_member',
          403: 'creator_mismatch | conversation_refused', 404: 'not_found', 409: 'epoch_conflict', 413: 'envelope_too_large', 429: 'conversation_rate_limited',
        },
      },
    },
  },
  async handler(request, h) {
    const me = caller(request);
    const { config, database } = request.server.app;
    const { id } = request.params as { id: string };
    const record = checkEpochRecord((request.payload as { epochRecord: unknown }).epochRecord, Math.max(config.maxEnvelopeBytes, LIMITS.maxEpochRecordBytes));
    const { created, seq } = await appendEpoch(database.db, me, id, record, { perMinute: config.conversationRateLimitPerMinute });
    return h.response({ seq } satisfies AddEpochResponse).code(created ? 201 : 200);
  },
};
