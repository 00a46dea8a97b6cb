// joi schemas shared by the routes. They describe shapes for validation and for the
// OpenAPI document; the exact protocol rules (byte lengths, padding buckets, sorted
// members) are checked again by protocol/'s parsers in the handlers.
import Joi from 'joi';

export const USER_ID_RE = /^[a-z0-9](?:[a-z0-9._-]{1,30}[a-z0-9])$/;
export const USER_NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{1,30}[A-Za-z0-9])$/;
/** WIRE3 identifiers: what the protocol accepts as a conversation id. */
export const CONVERSATION_ID_RE = /^[A-Za-z0-9._:@-]{1,128}$/;
const B64URL_RE = /^[A-Za-z0-9_-]*$/;
const HEX256_RE = /^[0-9a-f]{64}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const b64url = (maxChars?: number) => {
  const s = Joi.string().pattern(B64URL_RE, 'base64url');
  return maxChars === undefined ? s : s.max(maxChars);
};

export const userId = Joi.string().pattern(USER_ID_RE, 'userId').description('user name folded to lower case');
export const userName = Joi.string().pattern(USER_NAME_RE, 'userName').description('3–32 letters, digits, ".", "_", "-"');
export const conversationId = Joi.string().pattern(CONVERSATION_ID_RE, 'conversationId');
export const uuid = Joi.string().pattern(UUID_RE, 'uuid');
export const seq = Joi.number().integer().min(0).max(Number.MAX_SAFE_INTEGER);

export const publicIdentity = Joi.object({
  v: Joi.number().valid(1).required(),
  userId: userId.required(),
  encryptionKey: b64url(1400).required(),
  signingKey: b64url(43).required(),
}).label('PublicIdentity');

export const signature = b64url(100).description('base64url Ed25519 signature');

/** Shape of protocol's Envelope (WIRE5); no length cap on the ciphertext here: the size check gives 413. */
export const envelope = Joi.object({
  v: Joi.number().valid(1).required(),
  type: Joi.string().valid('message').required(),
  conversationId: conversationId.required(),
  epoch: Joi.number().integer().min(0).max(2 ** 31 - 1).required(),
  sender: Joi.string().pattern(CONVERSATION_ID_RE, 'id').required(),
  clientMessageId: uuid.required(),
  counter: Joi.number().integer().min(1).max(Number.MAX_SAFE_INTEGER).required(),
  prevHash: Joi.string().pattern(HEX256_RE, 'hex').allow(null).required(),
  iv: b64url(16).required(),
  encryptedContent: b64url().required(),
  tag: b64url(22).required(),
  sig: signature.required(),
}).label('Envelope');

/** Shape of protocol's EpochRecord (WIRE6). */
export const epochRecord = Joi.object({
  v: Joi.number().valid(1).required(),
  type: Joi.string().valid('epoch').required(),
  conversationId: conversationId.required(),
  epoch: Joi.number().integer().min(0).max(2 ** 31 - 1).required(),
  creator: Joi.string().pattern(CONVERSATION_ID_RE, 'id').required(),
  members: Joi.array().items(Joi.object({
    userId: Joi.string().pattern(CONVERSATION_ID_RE, 'id').required(),
    fingerprint: Joi.string().pattern(HEX256_RE, 'hex').required(),
  })).min(1).max(64).required(),
  wrappedKeys: Joi.array().items(Joi.object({
    userId: Joi.string().pattern(CONVERSATION_ID_RE, 'id').required(),
    wrappedKey: b64url(512).required(),
  })).min(1).max(64).required(),
  keyCommitment: b64url(43).required(),
  prevEpochHash: Joi.string().pattern(HEX256_RE, 'hex').allow(null).required(),
  createdAt: Joi.number().integer().min(0).max(Number.MAX_SAFE_INTEGER).required(),
  sig: signature.required(),
}).label('EpochRecord');

export const keyEntry = Joi.object({
  version: Joi.number().integer().min(1).required(),
  identity: publicIdentity.required(),
  proof: signature.required(),
  createdAt: Joi.date().iso().required(),
}).label('KeyEntry');

export const logEntry = Joi.object({
  conversationId: conversationId,
  seq: Joi.number().integer().min(1).required(),
  kind: Joi.string().valid('epoch', 'message').required(),
  body: Joi.alternatives(epochRecord, envelope).required(),
  createdAt: Joi.date().iso().required(),
}).label('LogEntry');

export const errorBody = Joi.object({
  error: Joi.object({ code: Joi.string().required(), message: Joi.string().required() }).required(),
}).label('Error');
