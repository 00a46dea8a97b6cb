// joi schemas of the signed account changes (THREATS L1, protocol ACCT1..ACCT5).
import Joi from 'joi';
import * as S from '../../schemas.ts';

export const ACCOUNT_PURPOSES = ['rotate', 'revoke-session', 'cancel-reset'] as const;

/** What every signed change carries: the challenge it answers and the current key's signature. */
export const signedChange = {
  challengeId: S.uuid.required().description('from POST /api/v1/users/me/challenge, for this purpose'),
  signature: S.signature.required().description('Ed25519 by the current key over the ACCT input of this change'),
};

/** A key history entry: what kind of change each version is, and a rotation's signature. */
export const keyEntry = Joi.object({
  version: Joi.number().integer().min(1).required(),
  identity: S.publicIdentity.required(),
  proof: S.signature.required(),
  createdAt: Joi.date().iso().required(),
  kind: Joi.string().valid('initial', 'rotation', 'reset').required(),
  rotation: Joi.object({ nonce: Joi.string(), signature: S.signature }).allow(null).required()
    .description('for a rotation: the nonce and the signature by version - 1 (ACCT2)'),
}).label('KeyEntry');

export const pendingReset = Joi.object({
  id: S.uuid, sessionId: S.uuid, deviceName: Joi.string(), baseVersion: Joi.number().integer(),
  identity: S.publicIdentity, requestedAt: Joi.date().iso(), completesAt: Joi.date().iso(), due: Joi.boolean(),
}).label('PendingReset');
