import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { verifyDeviceRevocation } from '../../../../protocol/src/device.ts';
import type { DeviceRevocation } from '../../../../protocol/src/types.ts';
import { ApiError } from '../errors/index.ts';
import { caller } from '../auth/scheme.ts';
import * as S from '../../schemas.ts';

/**
 * PUT /api/v1/devices/{deviceId}/revocation: withdraw a device for good (DEV8). The
 * revocation is signed by the account's CURRENT key, so a token alone cannot revoke the
 * owner's devices (THREATS L1); replaying it changes nothing (final and idempotent). The
 * sessions that device opened (DEV12) or published its certificate from end now, its
 * sockets close, and from then on the service refuses its logins, its certificate and its
 * envelopes (`device_revoked`, DEV13).
 */
export const revokeDeviceRoute: ServerRoute = {
  method: 'PUT',
  path: '/api/v1/devices/{deviceId}/revocation',
  options: {
    tags: ['api', 'devices'],
    description: 'Revoke one of my devices for good (signed by the account key)',
    validate: { params: Joi.object({ deviceId: S.uuid.required() }), payload: Joi.object({ revocation: S.deviceRevocation.required() }) },
    plugins: {
      openapi: {
        responses: {
          200: Joi.object({ revocation: S.deviceRevocation, sessionsEnded: Joi.number().integer() }),
          400: 'invalid_revocation | device_mismatch',
        },
      },
    },
  },
  async handler(request) {
    const me = caller(request);
    const { deviceId } = request.params as { deviceId: string };
    const db = request.server.app.database.db;
    const current = await db.users.findByPk(me.userPk);
    const rev: DeviceRevocation | null = current ? await verifyDeviceRevocation((request.payload as { revocation: unknown }).revocation, current.identity) : null;
    if (rev === null || rev.userId !== me.userId) {
      throw new ApiError(400, 'invalid_revocation', 'the revocation is not signed by your current key for your account');
    }
    if (rev.deviceId !== deviceId) throw new ApiError(400, 'device_mismatch', 'the revocation is for another device');
    const { stored, ended } = await db.tx('revoke-device', async (t) => {
      const s = await t.devices.addRevocation(me.userPk, rev);
      return { stored: s, ended: await t.devices.revokeSessions(me.userPk, deviceId) };
    });
    for (const id of ended) request.server.app.sessionCache.evictSession(id);
    // DEV13: its open realtime sockets close now, not at the next ping.
    request.server.app.realtime?.closeSessions(ended);
    return { revocation: stored, sessionsEnded: ended.length };
  },
};
