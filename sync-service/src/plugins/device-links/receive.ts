import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { ApiError } from '../errors/index.ts';
import { clientAddress, sharedLimit } from '../../services/rate-limit.ts';
import { tokenHash } from '../../services/tokens.ts';
import { LINK_POLLS_PER_MINUTE, linkToken, locator, sealedHandover } from './limits.ts';

/**
 * POST /api/v1/device-links/{locator}/receive: the new device, with its slot token, asks
 * whether the handover arrived: `waiting`, or `ready` with the handover, given once (the
 * slot is deleted with it, LINK5). A POST so the token stays out of URLs and logs.
 */
export const receiveLinkRoute: ServerRoute = {
  method: 'POST',
  path: '/api/v1/device-links/{locator}/receive',
  options: {
    auth: false,
    tags: ['api', 'device-links'],
    description: 'The new device reads its handover (once)',
    validate: { params: Joi.object({ locator: locator.required() }), payload: Joi.object({ token: linkToken.required() }) },
    plugins: {
      openapi: {
        responses: {
          200: Joi.object({ status: Joi.string().valid('waiting', 'ready'), expiresAt: Joi.date().iso(), handover: sealedHandover }),
          404: 'link_not_found', 410: 'link_expired', 429: 'rate_limited',
        },
      },
    },
  },
  async handler(request) {
    const { locator: l } = request.params as { locator: string };
    const { token } = request.payload as { token: string };
    const db = request.server.app.database.db;
    await sharedLimit(db, `link-poll:ip:${clientAddress(request)}`, LINK_POLLS_PER_MINUTE);
    const hash = tokenHash(token);
    const state = await db.deviceLinks.state(l, hash);
    if (!state) throw new ApiError(404, 'link_not_found', 'no such link slot (or it was already read)');
    if (state.expired) throw new ApiError(410, 'link_expired', 'this code has expired');
    if (!state.ready) return { status: 'waiting', expiresAt: state.expiresAt.toISOString() };
    const handover = await db.deviceLinks.take(l, hash);
    if (!handover) throw new ApiError(404, 'link_not_found', 'no such link slot (or it was already read)');
    return { status: 'ready', expiresAt: state.expiresAt.toISOString(), handover };
  },
};
