import Joi from 'joi';
import { randomUUID } from 'node:crypto';
import type { ServerRoute } from '@hapi/hapi';
import { verifyLoginProof } from '../../../../protocol/src/auth.ts';
import { verifyDeviceLoginProof } from '../../../../protocol/src/device.ts';
import { ApiError } from '../errors/index.ts';
import { clientAddress, sharedLimit } from '../../services/rate-limit.ts';
import { newToken, tokenHash } from '../../services/tokens.ts';
import * as S from '../../schemas.ts';
import type { DeviceLogin, LoginResponse } from '../../../../protocol/src/index.ts';

/**
 * POST /api/v1/auth/login: answer a challenge with a signed proof. The challenge is
 * consumed atomically before the proof is checked, so a proof can never be replayed
 * and a wrong proof burns its nonce (T1). A device names itself with its certificate and a
 * proof by its own key (DEV12); the session keeps its id, and a revoked device is refused
 * (DEV13).
 */
export const loginRoute: ServerRoute = {
  method: 'POST',
  path: '/api/v1/auth/login',
  options: {
    auth: false,
    tags: ['api', 'auth'],
    description: 'Log in with a signed challenge; returns a bearer token',
    validate: {
      payload: Joi.object({
        challengeId: S.uuid.required(),
        proof: S.signature.required(),
        deviceName: Joi.string().min(1).max(64).required(),
        device: Joi.object({ certificate: S.deviceCertificate.required(), proof: S.signature.required() }),
      }),
    },
    plugins: {
      openapi: {
        responses: {
          201: Joi.object({ token: Joi.string(), sessionId: S.uuid, expiresAt: Joi.date().iso(), userId: S.userId, deviceId: S.uuid.allow(null) }),
          401: 'bad_proof | challenge_expired | challenge_used', 403: 'device_revoked', 404: 'unknown_challenge', 429: 'rate_limited',
        },
      },
    },
  },
  async handler(request, h) {
    const { challengeId, proof, deviceName, device } = request.payload as { challengeId: string; proof: string; deviceName: string; device?: DeviceLogin };
    const { config, database } = request.server.app;
    const db = database.db;
    await sharedLimit(db, `login:ip:${clientAddress(request)}`, config.loginRateLimitPerMinute);
    const challenge = await db.challenges.consume(challengeId);
    if (!challenge) {
      const state = await db.challenges.state(challengeId);
      if (!state) throw new ApiError(404, 'unknown_challenge', 'no such challenge');
      if (state.used) throw new ApiError(401, 'challenge_used', 'this challenge has been used already');
      throw new ApiError(401, 'challenge_expired', 'this challenge has expired; ask for a new one');
    }
    const headerOrigin = request.headers.origin;
    if (headerOrigin !== undefined && headerOrigin !== challenge.origin) {
      throw new ApiError(401, 'bad_proof', 'the proof does not match the challenge');
    }
    const current = await db.users.findByPk(challenge.userPk);
    const signed = current === null ? null : { nonce: challenge.nonce, origin: challenge.origin, userId: current.userId };
    const ok = current !== null && signed !== null && await verifyLoginProof(current.identity, signed, proof)
      // DEV12: a login that names a device proves it holds that device's key, certified by the current key.
      && (device === undefined || await verifyDeviceLoginProof(current.identity, device.certificate, signed, device.proof));
    if (!ok || !current) {
      // L4: failed proofs are counted per user; past the limit a failure answers 429, but a
      // valid proof is never refused because of someone else's failures.
      await sharedLimit(db, `login-failed:user:${challenge.userPk}`, config.loginRateLimitPerMinute);
      throw new ApiError(401, 'bad_proof', 'the proof does not match the challenge');
    }
    const deviceId = device?.certificate.deviceId ?? null;
    // DEV13: a revoked device never opens a session again, whatever keys it still holds.
    if (deviceId !== null && (await db.devices.isRevoked(current.id, deviceId))) {
      throw new ApiError(403, 'device_revoked', 'this device was revoked for good; link it again as a new device');
    }
    const token = newToken();
    const session = await db.sessions.create({
      id: randomUUID(), userPk: current.id, tokenHash: tokenHash(token), deviceName, ttlSeconds: config.sessionTtlSeconds, deviceId,
    });
    return h.response({ token, sessionId: session.id, expiresAt: session.expiresAt.toISOString(), userId: current.userId, deviceId } satisfies LoginResponse).code(201);
  },
};
