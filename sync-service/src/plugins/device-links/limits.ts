import Joi from 'joi';
import { BASE64URL_RE, base64UrlChars } from '../../../../protocol/src/rules.ts';
import { MAX_LINK_KEYFILE_CHARS } from '../../../../protocol/src/link.ts';

/** LINK5: a slot lives this long. */
export const LINK_TTL_SECONDS = 600;
/** LINK6: slot look-ups, and handovers, one account may make per minute. */
export const LINK_TRIES_PER_MINUTE = 10;
/** LINK5: how often per minute one address may ask whether its handover arrived (a poll every 2 s fits). */
export const LINK_POLLS_PER_MINUTE = 120;

export const locator = Joi.string().pattern(/^[0-9A-HJKMNP-TV-Z]{4}$/, 'locator').description('the first four characters of the link code (LINK1)');
/** A raw uncompressed P-256 point, 65 bytes. */
export const linkPublicKey = Joi.string().pattern(BASE64URL_RE, 'base64url').length(base64UrlChars(65)).description('ephemeral ECDH P-256 public key, raw, base64url');
export const linkToken = Joi.string().pattern(/^[A-Za-z0-9_-]{43}$/, 'token').description('the slot token the new device got when it made the slot');
export const sealedHandover = Joi.object({
  v: Joi.number().valid(1).required(),
  publicKey: linkPublicKey.required(),
  iv: Joi.string().pattern(BASE64URL_RE, 'base64url').length(base64UrlChars(12)).required(),
  // The key file (≤ MAX_LINK_KEYFILE_CHARS) and the handover's other fields, JSON, plus the GCM tag.
  ciphertext: Joi.string().pattern(BASE64URL_RE, 'base64url').max(base64UrlChars(MAX_LINK_KEYFILE_CHARS + 1024)).required(),
}).description('the sealed handover (protocol LINK3), opaque to the service');
