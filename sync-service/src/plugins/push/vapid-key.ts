import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { ApiError } from '../errors/index.ts';

/** GET /api/v1/push/vapid-key: the application server key a browser subscribes with (RFC 8292). */
export const vapidKeyRoute: ServerRoute = {
  method: 'GET',
  path: '/api/v1/push/vapid-key',
  options: {
    auth: false,
    tags: ['api', 'push'],
    description: 'The VAPID public key for PushManager.subscribe (applicationServerKey)',
    plugins: {
      openapi: {
        responses: {
          200: Joi.object({ publicKey: Joi.string().description('base64url, uncompressed P-256 point') }),
          404: 'push_unavailable',
        },
      },
    },
  },
  handler(request) {
    const vapid = request.server.app.config.vapid;
    if (!vapid) throw new ApiError(404, 'push_unavailable', 'this service sends no push notifications (no VAPID keys configured)');
    return { publicKey: vapid.publicKey };
  },
};
