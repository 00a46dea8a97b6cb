import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { ApiError } from '../errors/index.ts';
import { caller } from '../auth/scheme.ts';
import { sharedLimit } from '../../services/rate-limit.ts';
import type { SealedHandoverRow } from '../../db/device-links.ts';
import { LINK_TRIES_PER_MINUTE, locator, sealedHandover } from './limits.ts';

/**
 * PUT /api/v1/device-links/{locator}/handover: a signed-in device leaves the sealed
 * handover (LINK3) for the new device. One per slot (LINK5): a second is 409 link_used,
 * whoever sends it. Limited per account (LINK6).
 */
export const handoverLinkRoute: ServerRoute = {
  method: 'PUT',
  path: '/api/v1/device-links/{locator}/handover',
  options: {
    tags: ['api', 'device-links'],
    description: 'Leave the sealed handover for a new device',
    validate: { params: Joi.object({ locator: locator.required() }), payload: Joi.object({ handover: sealedHandover.required() }) },
    plugins: {
      openapi: {
        responses: { 204: 'stored', 404: 'link_not_found', 409: 'link_used', 410: 'link_expired', 429: 'rate_limited' },
      },
    },
  },
  async handler(request, h) {
    const me = caller(request);
    const { locator: l } = request.params as { locator: string };
    const { handover } = request.payload as { handover: SealedHandoverRow };
    const db = request.server.app.database.db;
    await sharedLimit(db, `link-try:user:${me.userPk}`, LINK_TRIES_PER_MINUTE);
    const tried = await db.deviceLinks.postHandover(l, me.userPk, handover);
    if (!tried) {
      const slot = await db.deviceLinks.find(l);
      if (slot?.expired) throw new ApiError(410, 'link_expired', 'this code has expired');
      throw new ApiError(404, 'link_not_found', 'no device is waiting with this code');
    }
    if (!tried.stored) throw new ApiError(409, 'link_used', 'this code was already used');
    return h.response().code(204);
  },
};
