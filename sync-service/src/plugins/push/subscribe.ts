import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { caller } from '../auth/scheme.ts';
import { ApiError } from '../errors/index.ts';
import { allowedEndpoint } from '../../services/push-sender.ts';

const b64url = Joi.string().pattern(/^[A-Za-z0-9_-]+$/, 'base64url');

/**
 * PUT /api/v1/push/subscription: this session's Web Push subscription, as the browser's
 * PushSubscription.toJSON() gives it (one per session; a new one replaces it). The endpoint
 * must be https on an allowed push service (SECURITY.md NOTE4): the service POSTs to it.
 */
export const subscribeRoute: ServerRoute = {
  method: 'PUT',
  path: '/api/v1/push/subscription',
  options: {
    tags: ['api', 'push'],
    description: "Store this session's push subscription",
    validate: {
      payload: Joi.object({
        endpoint: Joi.string().max(1024).required(),
        expirationTime: Joi.number().allow(null),
        keys: Joi.object({
          // RFC 8291: an uncompressed P-256 point (65 bytes) and a 16-byte secret.
          p256dh: b64url.length(87).required(),
          auth: b64url.length(22).required(),
        }).required(),
      }),
    },
    plugins: {
      openapi: {
        responses: {
          201: 'stored',
          200: 'replaced the session’s subscription',
          400: 'invalid_push_endpoint | invalid_request',
          404: 'push_unavailable',
        },
      },
    },
  },
  async handler(request, h) {
    const me = caller(request);
    const { config, database } = request.server.app;
    if (!config.vapid) throw new ApiError(404, 'push_unavailable', 'this service sends no push notifications (no VAPID keys configured)');
    const { endpoint, keys } = request.payload as { endpoint: string; keys: { p256dh: string; auth: string } };
    if (!allowedEndpoint(endpoint, config.pushEndpointHosts)) {
      throw new ApiError(400, 'invalid_push_endpoint', 'the endpoint must be an https URL of a known push service');
    }
    const created = await database.db.pushSubscriptions.put(me.sessionId, me.userPk, { endpoint, p256dh: keys.p256dh, auth: keys.auth });
    return h.response({ subscribed: true }).code(created ? 201 : 200);
  },
};
