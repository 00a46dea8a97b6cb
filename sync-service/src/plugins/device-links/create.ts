import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { ApiError } from '../errors/index.ts';
import { clientAddress, sharedLimit } from '../../services/rate-limit.ts';
import { newToken, tokenHash } from '../../services/tokens.ts';
import { LINK_TTL_SECONDS, linkPublicKey, linkToken, locator } from './limits.ts';

/**
 * POST /api/v1/device-links: the new device, not signed in yet, opens a relay slot with its
 * ephemeral public key (LINK2) and gets the locator for its code and a token to read the
 * handover with (LINK5). Limited per address (LINK6).
 */
export const createLinkRoute: ServerRoute = {
  method: 'POST',
  path: '/api/v1/device-links',
  options: {
    auth: false,
    tags: ['api', 'device-links'],
    description: 'Open a slot to link this new device from another one',
    validate: { payload: Joi.object({ publicKey: linkPublicKey.required() }) },
    plugins: {
      openapi: {
        responses: {
          201: Joi.object({ locator, token: linkToken, expiresAt: Joi.date().iso() }),
          429: 'rate_limited', 409: 'link_busy',
        },
      },
    },
  },
  async handler(request, h) {
    const { publicKey } = request.payload as { publicKey: string };
    const { config, database } = request.server.app;
    await sharedLimit(database.db, `link-create:ip:${clientAddress(request)}`, config.loginRateLimitPerMinute);
    const token = newToken();
    const slot = await database.db.deviceLinks.create({ tokenHash: tokenHash(token), publicKey, ttlSeconds: LINK_TTL_SECONDS });
    if (!slot) throw new ApiError(409, 'link_busy', 'no free link slot just now; try again');
    return h.response({ locator: slot.locator, token, expiresAt: slot.expiresAt.toISOString() }).code(201);
  },
};
