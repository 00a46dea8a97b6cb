import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { verifyDeviceCertificate } from '../../../../protocol/src/device.ts';
import { ProtocolError } from '../../../../protocol/src/encoding.ts';
import { parseDeviceCertificate } from '../../../../protocol/src/wire-records.ts';
import type { DeviceCertificate } from '../../../../protocol/src/types.ts';
import { ApiError } from '../errors/index.ts';
import { caller } from '../auth/scheme.ts';
import * as S from '../../schemas.ts';

/**
 * POST /api/v1/devices: publish this device's certificate (DEV2). It must be the caller's,
 * hold under the account's CURRENT key (DEV3) and name a device that is not revoked; the
 * token alone cannot make one (the account key signs it). Idempotent; the session that
 * publishes it is the one a revocation of the device ends.
 */
export const registerDeviceRoute: ServerRoute = {
  method: 'POST',
  path: '/api/v1/devices',
  options: {
    tags: ['api', 'devices'],
    description: "Publish this device's certificate (signed by the account key)",
    validate: { payload: Joi.object({ certificate: S.deviceCertificate.required() }) },
    plugins: {
      openapi: {
        responses: {
          201: Joi.object({ certificate: S.deviceCertificate }),
          400: 'invalid_certificate',
          409: 'device_revoked | certificate_conflict',
        },
      },
    },
  },
  async handler(request, h) {
    const me = caller(request);
    const db = request.server.app.database.db;
    let cert: DeviceCertificate;
    try {
      cert = parseDeviceCertificate((request.payload as { certificate: unknown }).certificate);
    } catch (error) {
      if (error instanceof ProtocolError) throw new ApiError(400, 'invalid_certificate', error.message);
      throw error;
    }
    const current = await db.users.findByPk(me.userPk);
    if (!current || cert.userId !== me.userId || (await verifyDeviceCertificate(cert, current.identity)) === null) {
      throw new ApiError(400, 'invalid_certificate', 'the certificate is not signed by your current key for your account');
    }
    if (await db.devices.isRevoked(me.userPk, cert.deviceId)) throw new ApiError(409, 'device_revoked', 'this device was revoked for good');
    const stored = await db.devices.addCertificate(me.userPk, cert, me.sessionId);
    if (stored.sig !== cert.sig) throw new ApiError(409, 'certificate_conflict', 'another certificate is stored for this device and key');
    return h.response({ certificate: stored }).code(201);
  },
};
