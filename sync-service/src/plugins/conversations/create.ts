import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { caller } from '../auth/scheme.ts';
import { checkEpochRecord } from '../../services/canonical.ts';
import { LIMITS } from '../../../../protocol/src/rules.ts';
import { createConversation } from '../../services/conversations.ts';
import * as S from '../../schemas.ts';
import type { CreateConversationResponse } from '../../../../protocol/src/index.ts';

/** POST /api/v1/conversations: create from a signed epoch 0 record; idempotent by id. */
export const createConversationRoute: ServerRoute = {
  method: 'POST',
  path: '/api/v1/conversations',
  options: {
    tags: ['api', 'conversations'],
    description: 'Create a conversation from its epoch 0 record',
    validate: { payload: Joi.object({ epochRecord: S.epochRecord.required() }) },
    plugins: {
      openapi: {
        responses: {
          201: Joi.object({ conversationId: S.conversationId, seq: Joi.number().integer() }),
          200: 'the same record again (idempotent retry)',
          400: 'invalid_epoch_record | unknown_member | creator_not_member', 403: 'creator_mismatch | conversation_refused',
          409: 'conversation_exists', 413: 'envelope_too_large', 429: 'conversation_rate_limited',
        },
      },
    },
  },
  async handler(request, h) {
    const me = caller(request);
    const { config, database } = request.server.app;
    const record = checkEpochRecord((request.payload as { epochRecord: unknown }).epochRecord, Math.max(config.maxEnvelopeBytes, LIMITS.maxEpochRecordBytes));
    const { created, seq } = await createConversation(database.db, me, record, { perMinute: config.conversationRateLimitPerMinute });
    return h.response({ conversationId: record.value.conversationId, seq } satisfies CreateConversationResponse).code(created ? 201 : 200);
  },
};
