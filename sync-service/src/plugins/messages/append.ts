import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { caller } from '../auth/scheme.ts';
import { ApiError } from '../errors/index.ts';
import { checkEnvelope } from '../../services/canonical.ts';
import { appendError } from './results.ts';
import * as S from '../../schemas.ts';

/**
 * POST /api/v1/conversations/{id}/messages: append one envelope. Idempotent by
 * clientMessageId; the seq is gap-free and assigned in commit order.
 */
export const appendMessageRoute: ServerRoute = {
  method: 'POST',
  path: '/api/v1/conversations/{id}/messages',
  options: {
    tags: ['api', 'messages'],
    description: 'Append a message envelope',
    validate: {
      params: Joi.object({ id: S.conversationId.required() }),
      // The envelope is checked once, by protocol's strict parser in checkEnvelope (400
      // invalid_envelope, 413 envelope_too_large); joi only sees that it is an object.
      payload: Joi.object({ envelope: Joi.object().required() }),
    },
    plugins: {
      openapi: {
        payload: Joi.object({ envelope: S.envelope.required() }),
        responses: {
          201: Joi.object({ seq: Joi.number().integer(), duplicate: Joi.boolean().valid(false) }),
          200: Joi.object({ seq: Joi.number().integer(), duplicate: Joi.boolean().valid(true) }),
          400: 'invalid_envelope | conversation_mismatch', 403: 'sender_mismatch | device_revoked', 404: 'not_found',
          409: 'client_id_conflict | unknown_epoch', 413: 'envelope_too_large', 429: 'rate_limited', 503: 'overloaded | database_unavailable',
        },
      },
    },
  },
  async handler(request, h) {
    const me = caller(request);
    const { config, appendQueue, appendLimiter } = request.server.app;
    const { id } = request.params as { id: string };
    const env = checkEnvelope((request.payload as { envelope: unknown }).envelope, config.maxEnvelopeBytes);
    if (env.value.conversationId !== id) throw new ApiError(400, 'conversation_mismatch', 'the envelope names another conversation');
    if (env.value.sender !== me.userId) throw new ApiError(403, 'sender_mismatch', 'the envelope must be sent by the caller');
    // DEV8: a revoked device posts nothing more, whatever token it holds (clients refuse it too, DEV10).
    if (env.value.v === 2 && (await request.server.app.database.db.devices.isRevoked(me.userPk, env.value.device.deviceId))) {
      throw new ApiError(403, 'device_revoked', 'this device was revoked');
    }
    appendLimiter.hit(me.userId);
    const [result] = await appendQueue.append([{
      conversationId: id, clientId: env.value.clientMessageId, senderPk: me.userPk, epoch: env.value.epoch, body: env.text, hash: env.hash,
    }]);
    const error = appendError(result!);
    if (error) throw error;
    const duplicate = result!.status === 'duplicate';
    return h.response({ seq: result!.seq, duplicate }).code(duplicate ? 200 : 201);
  },
};
