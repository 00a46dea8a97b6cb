import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { ApiError } from '../errors/index.ts';
import { caller } from '../auth/scheme.ts';
import { sharedLimit } from '../../services/rate-limit.ts';
import { LINK_TRIES_PER_MINUTE, linkPublicKey, locator } from './limits.ts';

/**
 * GET /api/v1/device-links/{locator}: a signed-in device reads the new device's public key
 * for the code the user typed (it checks it against the code, LINK2). Limited per account
 * (LINK6); a spent slot is 409 link_used, an expired one 410 link_expired.
 */
export const lookupLinkRoute: ServerRoute = {
  method: 'GET',
  path: '/api/v1/device-links/{locator}',
  options: {
    tags: ['api', 'device-links'],
    description: "The new device's public key for a link code",
    validate: { params: Joi.object({ locator: locator.required() }) },
    plugins: {
      openapi: {
        responses: {
          200: Joi.object({ locator, publicKey: linkPublicKey, expiresAt: Joi.date().iso() }),
          404: 'link_not_found', 409: 'link_used', 410: 'link_expired', 429: 'rate_limited',
        },
      },
    },
  },
  async handler(request) {
    const me = caller(request);
    const { locator: l } = request.params as { locator: string };
    const db = request.server.app.database.db;
    await sharedLimit(db, `link-try:user:${me.userPk}`, LINK_TRIES_PER_MINUTE);
    const slot = await db.deviceLinks.find(l);
    if (!slot) throw new ApiError(404, 'link_not_found', 'no device is waiting with this code');
    if (slot.expired) throw new ApiError(410, 'link_expired', 'this code has expired');
    if (slot.used) throw new ApiError(409, 'link_used', 'this code was already used');
    return { locator: slot.locator, publicKey: slot.publicKey, expiresAt: slot.expiresAt.toISOString() };
  },
};
