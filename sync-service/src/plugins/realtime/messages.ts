import Joi from 'joi';
import * as S from '../../schemas.ts';

/** The first client message: `{ type: 'auth', token, cursors }`. */
export const authMessage = Joi.object().required().keys({
  type: Joi.string().valid('auth').required(),
  token: Joi.string().pattern(/^[A-Za-z0-9_-]{43}$/).required(),
  cursors: Joi.object().pattern(S.conversationId, S.seq).max(10_000).default({}),
});

/** Later client messages: only an application-level ping. */
export const laterMessage = Joi.object({ type: Joi.string().valid('ping').required() }).required();

export function parseJson(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}
