import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import * as S from '../../schemas.ts';
import { knownUser } from '../known-user.ts';

/**
 * GET /api/v1/users/{userId}/devices: a user's device certificates and revocations, oldest
 * first. Untrusted like every answer: clients check each against the keys they pinned.
 */
export const listDevicesRoute: ServerRoute = {
  method: 'GET',
  path: '/api/v1/users/{userId}/devices',
  options: {
    tags: ['api', 'devices'],
    description: "A user's device certificates and revocations",
    validate: { params: Joi.object({ userId: S.userId.required() }) },
    plugins: {
      openapi: {
        responses: {
          200: Joi.object({ userId: S.userId, certificates: Joi.array().items(S.deviceCertificate), revocations: Joi.array().items(S.deviceRevocation) }),
          404: 'unknown_user',
        },
      },
    },
  },
  async handler(request) {
    const { userId } = request.params as { userId: string };
    const db = request.server.app.database.db;
    const user = await knownUser(db, userId);
    const [certificates, revocations] = await Promise.all([db.devices.certificates(user.id), db.devices.revocations(user.id)]);
    return { userId: user.userId, certificates, revocations };
  },
};
