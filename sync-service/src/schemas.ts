// joi schemas shared by the routes. They describe shapes for validation and for the
// OpenAPI document, built from protocol's rules (patterns, sizes, limits, enumerations)
// so nothing is written twice; the exact protocol rules (exact byte lengths, padding
// buckets, sorted members) are checked again by protocol's parsers in the handlers.
import Joi from 'joi';
import {
  BASE64URL_RE, BATCH_STATUSES, ED25519_KEY_BYTES, ENVELOPE_VERSIONS, HASH_RE, MAX_DEVICE_CUTOFFS, ID_RE, IV_BYTES,
  KEY_COMMITMENT_BYTES, LIMITS, LOG_ENTRY_KINDS, MAX_EPOCH, PROTOCOL_VERSION, RSA_SPKI_MAX_BYTES, RSA_WRAPPED_BYTES,
  SIG_BYTES, TAG_BYTES, USER_ID_RE, USER_NAME_RE, UUID_RE, base64UrlChars, GROUP_META_BYTES,
} from '../../protocol/src/rules.ts';

/** base64url text of at most `maxBytes` bytes (any length when omitted). */
const b64url = (maxBytes?: number) => {
  const s = Joi.string().pattern(BASE64URL_RE, 'base64url');
  return maxBytes === undefined ? s : s.max(base64UrlChars(maxBytes));
};
const version = Joi.number().valid(PROTOCOL_VERSION);
const id = Joi.string().pattern(ID_RE, 'id');
const hash = Joi.string().pattern(HASH_RE, 'hex');
const epochNumber = Joi.number().integer().min(0).max(MAX_EPOCH);

export const userId = Joi.string().pattern(USER_ID_RE, 'userId').description('user name folded to lower case');
export const userName = Joi.string().pattern(USER_NAME_RE, 'userName').description('3–32 letters, digits, ".", "_", "-"');
export const conversationId = Joi.string().pattern(ID_RE, 'conversationId');
export const uuid = Joi.string().pattern(UUID_RE, 'uuid');
export const seq = Joi.number().integer().min(0).max(Number.MAX_SAFE_INTEGER);
export const batchStatus = Joi.string().valid(...BATCH_STATUSES);

export const publicIdentity = Joi.object({
  v: version.required(),
  userId: userId.required(),
  encryptionKey: b64url(RSA_SPKI_MAX_BYTES).required(),
  signingKey: b64url(ED25519_KEY_BYTES).required(),
}).label('PublicIdentity');

export const signature = b64url(SIG_BYTES).description('base64url Ed25519 signature');

/** Shape of protocol's DeviceCertificate (DEV2); the signature is checked by the handlers. */
export const deviceCertificate = Joi.object({
  v: version.required(),
  type: Joi.string().valid('device-cert').required(),
  userId: id.required(),
  deviceId: uuid.required(),
  deviceKey: b64url(ED25519_KEY_BYTES).required(),
  accountFingerprint: hash.required(),
  createdAt: Joi.number().integer().min(0).max(Number.MAX_SAFE_INTEGER).required(),
  sig: signature.required(),
}).label('DeviceCertificate');

/** Shape of protocol's DeviceRevocation (DEV8, DEV9). */
export const deviceRevocation = Joi.object({
  v: version.required(),
  type: Joi.string().valid('device-revoke').required(),
  userId: id.required(),
  deviceId: uuid.required(),
  accountFingerprint: hash.required(),
  cutoffs: Joi.array().items(Joi.object({
    conversation: hash.required(),
    counter: Joi.number().integer().min(1).max(Number.MAX_SAFE_INTEGER).required(),
    hash: hash.required(),
  })).max(MAX_DEVICE_CUTOFFS).required(),
  createdAt: Joi.number().integer().min(0).max(Number.MAX_SAFE_INTEGER).required(),
  sig: signature.required(),
}).label('DeviceRevocation');

/**
 * Shape of protocol's Envelope (WIRE5; DEV5: version 2 carries the device certificate); no
 * length cap on the ciphertext here: the size check gives 413.
 */
export const envelope = Joi.object({
  v: Joi.number().valid(...ENVELOPE_VERSIONS).required(),
  device: Joi.when('v', { is: 2, then: deviceCertificate.required(), otherwise: Joi.forbidden() }),
  type: Joi.string().valid('message').required(),
  conversationId: conversationId.required(),
  epoch: epochNumber.required(),
  sender: id.required(),
  clientMessageId: uuid.required(),
  counter: Joi.number().integer().min(1).max(Number.MAX_SAFE_INTEGER).required(),
  prevHash: hash.allow(null).required(),
  iv: b64url(IV_BYTES).required(),
  encryptedContent: b64url().required(),
  tag: b64url(TAG_BYTES).required(),
  sig: signature.required(),
}).label('Envelope');

/** Shape of protocol's EpochRecord (WIRE6). */
export const epochRecord = Joi.object({
  v: version.required(),
  type: Joi.string().valid('epoch').required(),
  conversationId: conversationId.required(),
  epoch: epochNumber.required(),
  creator: id.required(),
  members: Joi.array().items(Joi.object({
    userId: id.required(),
    fingerprint: hash.required(),
  })).min(1).max(LIMITS.maxMembers).required(),
  wrappedKeys: Joi.array().items(Joi.object({
    userId: id.required(),
    wrappedKey: b64url(RSA_WRAPPED_BYTES).required(),
  })).min(1).max(LIMITS.maxMembers).required(),
  keyCommitment: b64url(KEY_COMMITMENT_BYTES).required(),
  prevEpochHash: hash.allow(null).required(),
  createdAt: Joi.number().integer().min(0).max(Number.MAX_SAFE_INTEGER).required(),
  sig: signature.required(),
  // GRP1: a group's admins (user ids) and its encrypted name, together or not at all.
  admins: Joi.array().items(id).min(1).max(LIMITS.maxMembers),
  meta: b64url(GROUP_META_BYTES),
}).and('admins', 'meta').label('EpochRecord');

export const keyEntry = Joi.object({
  version: Joi.number().integer().min(1).required(),
  identity: publicIdentity.required(),
  proof: signature.required(),
  createdAt: Joi.date().iso().required(),
}).label('KeyEntry');

export const logEntry = Joi.object({
  conversationId: conversationId,
  seq: Joi.number().integer().min(1).required(),
  kind: Joi.string().valid(...LOG_ENTRY_KINDS).required(),
  body: Joi.alternatives(epochRecord, envelope).required(),
  createdAt: Joi.date().iso().required(),
}).label('LogEntry');

export const errorBody = Joi.object({
  error: Joi.object({ code: Joi.string().required(), message: Joi.string().required() }).required(),
}).label('Error');

/** Shape of protocol's EpochArchiveEntry (HIST1); the signature is checked by the handler. */
export const epochArchiveEntry = Joi.object({
  v: version.required(),
  type: Joi.string().valid('epoch-archive').required(),
  userId: id.required(),
  conversationId: id.required(),
  epoch: epochNumber.required(),
  epochHash: hash.required(),
  previousKey: hash.required(),
  recipientKey: hash.required(),
  wrappedKey: b64url(RSA_WRAPPED_BYTES).required(),
  sig: signature.required(),
}).label('EpochArchiveEntry');
