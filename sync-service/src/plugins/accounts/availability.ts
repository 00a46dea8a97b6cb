import Joi from 'joi';
import type { ServerRoute } from '@hapi/hapi';
import { clientAddress, sharedLimit } from '../../services/rate-limit.ts';
import * as S from '../../schemas.ts';

/**
 * GET /api/v1/users/{userName}/availability: whether a user name is free, asked by the
 * onboarding screen before it makes keys (issue 16). It says no more than registering
 * would (a taken name is refused there too), under the same per-address limit.
 */
export const availabilityRoute: ServerRoute = {
  method: 'GET',
  path: '/api/v1/users/{userName}/availability',
  options: {
    auth: false,
    tags: ['api', 'accounts'],
    description: 'Is a user name free?',
    validate: { params: Joi.object({ userName: S.userName.required() }) },
    plugins: {
      openapi: { responses: { 200: Joi.object({ available: Joi.boolean() }), 400: 'invalid_request', 429: 'rate_limited' } },
    },
  },
  async handler(request) {
    const { userName } = request.params as { userName: string };
    const { config, database } = request.server.app;
    await sharedLimit(database.db, `availability:ip:${clientAddress(request)}`, config.loginRateLimitPerMinute);
    return { available: !(await database.db.users.find(userName.toLowerCase())) };
  },
};
