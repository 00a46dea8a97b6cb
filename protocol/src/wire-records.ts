// Strict decoding of the signed records at the boundary (WIRE5, WIRE6, DEV3, DEV10): envelopes,
// device certificates and revocations, epoch records, with the field checks of wire.ts.
// Apart from wire.ts, whose checks the app's start needs for a public identity: these are
// needed only once messages are opened or synced (issue 18: the start chunk).
import { ProtocolError } from './encoding.ts';
import { ED25519_KEY_BYTES, ENVELOPE_VERSIONS, IV_BYTES, KEY_COMMITMENT_BYTES, LIMITS, MAX_DEVICE_CUTOFFS, MAX_EPOCH, RSA_WRAPPED_BYTES, SIG_BYTES, TAG_BYTES, GROUP_META_BYTES } from './rules.ts';
import type { DeviceCertificate, DeviceCutoff, DeviceRevocation, Envelope, EpochRecord } from './types.ts';
import { fail, isRecord, exactKeys, checkId, checkUuid, checkHash, checkInt, checkB64, checkVersion } from './wire.ts';

const ENVELOPE_KEYS = [
  'v', 'type', 'conversationId', 'epoch', 'sender', 'clientMessageId', 'counter', 'prevHash',
  'iv', 'encryptedContent', 'tag', 'sig',
] as const;
/** DEV5: version 2 adds the sender's device certificate. */
const ENVELOPE_V2_KEYS = [...ENVELOPE_KEYS, 'device'] as const;

/** Decoded binary parts of an envelope, so callers never decode twice. */
export interface EnvelopeBytes {
  iv: Uint8Array;
  ciphertext: Uint8Array;
  tag: Uint8Array;
  sig: Uint8Array;
}

/**
 * WIRE5: strict envelope decoding; the ciphertext length must be one padding bucket.
 * DEV5: versions 1 and 2 are read (2 carries a device certificate); any other is
 * `unsupported-version`.
 */
export function decodeEnvelope(json: unknown): { env: Envelope; bytes: EnvelopeBytes } {
  if (!isRecord(json)) fail('envelope: not an object');
  if (!('v' in json)) fail('envelope: no version');
  const v = json.v;
  if (!(ENVELOPE_VERSIONS as readonly unknown[]).includes(v)) {
    throw new ProtocolError('unsupported-version', `envelope: version ${String(v)} is not supported`);
  }
  exactKeys(json, v === 2 ? ENVELOPE_V2_KEYS : ENVELOPE_KEYS, 'envelope');
  if (json.type !== 'message') fail('envelope: type must be "message"');
  const conversationId = checkId(json.conversationId, 'envelope.conversationId');
  const epoch = checkInt(json.epoch, 0, MAX_EPOCH, 'envelope.epoch');
  const sender = checkId(json.sender, 'envelope.sender');
  const clientMessageId = checkUuid(json.clientMessageId, 'envelope.clientMessageId');
  const counter = checkInt(json.counter, 1, Number.MAX_SAFE_INTEGER, 'envelope.counter');
  const prevHash = json.prevHash === null ? null : checkHash(json.prevHash, 'envelope.prevHash');
  if (counter === 1 && prevHash !== null) fail('envelope: the first message has no previous hash');
  if (counter > 1 && prevHash === null) fail('envelope: a later message must name its previous hash');
  const maxBucket = LIMITS.paddingBuckets[LIMITS.paddingBuckets.length - 1]!;
  const iv = checkB64(json.iv, IV_BYTES, IV_BYTES, 'envelope.iv');
  const ciphertext = checkB64(json.encryptedContent, 1, maxBucket, 'envelope.encryptedContent');
  if (!LIMITS.paddingBuckets.includes(ciphertext.length)) fail('envelope.encryptedContent: not a padding bucket');
  const tag = checkB64(json.tag, TAG_BYTES, TAG_BYTES, 'envelope.tag');
  const sig = checkB64(json.sig, SIG_BYTES, SIG_BYTES, 'envelope.sig');
  const rest = {
    type: 'message' as const, conversationId, epoch, sender, clientMessageId, counter, prevHash,
    iv: json.iv as string, encryptedContent: json.encryptedContent as string, tag: json.tag as string, sig: json.sig as string,
  };
  let env: Envelope;
  if (v === 2) {
    const device = parseDeviceCertificate(json.device);
    // DEV5: the certificate is the sender's own.
    if (device.userId !== sender) fail('envelope: the device certificate is for another user');
    env = { v: 2, ...rest, device };
  } else {
    env = { v: 1, ...rest };
  }
  return { env, bytes: { iv, ciphertext, tag, sig } };
}

const DEVICE_CERT_KEYS = ['v', 'type', 'userId', 'deviceId', 'deviceKey', 'accountFingerprint', 'createdAt', 'sig'] as const;

/** DEV2: strict shape of a device certificate (the signature is checked by verifyDeviceCertificate). */
export function parseDeviceCertificate(json: unknown): DeviceCertificate {
  if (!isRecord(json)) fail('device certificate: not an object');
  checkVersion(json, 'device certificate');
  exactKeys(json, DEVICE_CERT_KEYS, 'device certificate');
  if (json.type !== 'device-cert') fail('device certificate: type must be "device-cert"');
  const userId = checkId(json.userId, 'device.userId');
  const deviceId = checkUuid(json.deviceId, 'device.deviceId');
  checkB64(json.deviceKey, ED25519_KEY_BYTES, ED25519_KEY_BYTES, 'device.deviceKey');
  const accountFingerprint = checkHash(json.accountFingerprint, 'device.accountFingerprint');
  const createdAt = checkInt(json.createdAt, 0, Number.MAX_SAFE_INTEGER, 'device.createdAt');
  checkB64(json.sig, SIG_BYTES, SIG_BYTES, 'device.sig');
  return {
    v: 1, type: 'device-cert', userId, deviceId, deviceKey: json.deviceKey as string, accountFingerprint, createdAt, sig: json.sig as string,
  };
}

const DEVICE_REVOKE_KEYS = ['v', 'type', 'userId', 'deviceId', 'accountFingerprint', 'cutoffs', 'createdAt', 'sig'] as const;

/** DEV8, DEV9: strict shape of a device revocation; cut-offs sorted by conversation tag, no duplicates. */
export function parseDeviceRevocation(json: unknown): DeviceRevocation {
  if (!isRecord(json)) fail('device revocation: not an object');
  checkVersion(json, 'device revocation');
  exactKeys(json, DEVICE_REVOKE_KEYS, 'device revocation');
  if (json.type !== 'device-revoke') fail('device revocation: type must be "device-revoke"');
  const userId = checkId(json.userId, 'revocation.userId');
  const deviceId = checkUuid(json.deviceId, 'revocation.deviceId');
  const accountFingerprint = checkHash(json.accountFingerprint, 'revocation.accountFingerprint');
  if (!Array.isArray(json.cutoffs) || json.cutoffs.length > MAX_DEVICE_CUTOFFS) fail('revocation.cutoffs: not an array or too long');
  const cutoffs: DeviceCutoff[] = [];
  for (const c of json.cutoffs as unknown[]) {
    if (!isRecord(c)) fail('revocation.cutoffs[]: not an object');
    exactKeys(c, ['conversation', 'counter', 'hash'], 'revocation.cutoffs[]');
    const conversation = checkHash(c.conversation, 'revocation.cutoffs[].conversation');
    const counter = checkInt(c.counter, 1, Number.MAX_SAFE_INTEGER, 'revocation.cutoffs[].counter');
    const hash = checkHash(c.hash, 'revocation.cutoffs[].hash');
    const prev = cutoffs[cutoffs.length - 1];
    if (prev && !(prev.conversation < conversation)) fail('revocation.cutoffs: not sorted by conversation or duplicated');
    cutoffs.push({ conversation, counter, hash });
  }
  const createdAt = checkInt(json.createdAt, 0, Number.MAX_SAFE_INTEGER, 'revocation.createdAt');
  checkB64(json.sig, SIG_BYTES, SIG_BYTES, 'revocation.sig');
  return { v: 1, type: 'device-revoke', userId, deviceId, accountFingerprint, cutoffs, createdAt, sig: json.sig as string };
}

export function parseEnvelope(json: unknown): Envelope {
  return decodeEnvelope(json).env;
}

const EPOCH_KEYS = [
  'v', 'type', 'conversationId', 'epoch', 'creator', 'members', 'wrappedKeys', 'keyCommitment',
  'prevEpochHash', 'createdAt', 'sig',
] as const;
const GROUP_EPOCH_KEYS = [...EPOCH_KEYS, 'admins', 'meta'] as const;

/**
 * WIRE6: strict epoch record decoding. Members are sorted by userId without
 * duplicates and wrappedKeys list exactly the same users in the same order,
 * so there is one valid spelling of each membership list.
 */
export function parseEpochRecord(json: unknown): EpochRecord {
  if (!isRecord(json)) fail('epoch: not an object');
  checkVersion(json, 'epoch');
  // GRP1: a group's record has both `admins` and `meta`; any other record neither.
  const group = 'admins' in json || 'meta' in json;
  exactKeys(json, group ? GROUP_EPOCH_KEYS : EPOCH_KEYS, 'epoch');
  if (json.type !== 'epoch') fail('epoch: type must be "epoch"');
  const conversationId = checkId(json.conversationId, 'epoch.conversationId');
  const epoch = checkInt(json.epoch, 0, MAX_EPOCH, 'epoch.epoch');
  const creator = checkId(json.creator, 'epoch.creator');
  if (!Array.isArray(json.members) || !Array.isArray(json.wrappedKeys)) fail('epoch: members and wrappedKeys must be arrays');
  const n = json.members.length;
  if (n < 1 || n > LIMITS.maxMembers) fail('epoch: member count out of range');
  if (json.wrappedKeys.length !== n) fail('epoch: one wrapped key per member');
  const members: EpochRecord['members'] = [];
  const wrappedKeys: EpochRecord['wrappedKeys'] = [];
  for (let i = 0; i < n; i++) {
    const m: unknown = json.members[i];
    if (!isRecord(m)) fail('epoch.members: not an object');
    exactKeys(m, ['userId', 'fingerprint'], 'epoch.members[]');
    const userId = checkId(m.userId, 'epoch.members[].userId');
    const fingerprint = checkHash(m.fingerprint, 'epoch.members[].fingerprint');
    if (i > 0 && !(members[i - 1]!.userId < userId)) fail('epoch.members: not sorted by userId or duplicated');
    members.push({ userId, fingerprint });
    const w: unknown = json.wrappedKeys[i];
    if (!isRecord(w)) fail('epoch.wrappedKeys: not an object');
    exactKeys(w, ['userId', 'wrappedKey'], 'epoch.wrappedKeys[]');
    if (w.userId !== userId) fail('epoch.wrappedKeys: does not match members');
    checkB64(w.wrappedKey, RSA_WRAPPED_BYTES, RSA_WRAPPED_BYTES, 'epoch.wrappedKeys[].wrappedKey');
    wrappedKeys.push({ userId, wrappedKey: w.wrappedKey as string });
  }
  checkB64(json.keyCommitment, KEY_COMMITMENT_BYTES, KEY_COMMITMENT_BYTES, 'epoch.keyCommitment');
  const prevEpochHash = json.prevEpochHash === null ? null : checkHash(json.prevEpochHash, 'epoch.prevEpochHash');
  if ((epoch === 0) !== (prevEpochHash === null)) fail('epoch: only epoch 0 has no previous hash');
  const createdAt = checkInt(json.createdAt, 0, Number.MAX_SAFE_INTEGER, 'epoch.createdAt');
  checkB64(json.sig, SIG_BYTES, SIG_BYTES, 'epoch.sig');
  const record: EpochRecord = {
    v: 1, type: 'epoch', conversationId, epoch, creator, members, wrappedKeys,
    keyCommitment: json.keyCommitment as string, prevEpochHash, createdAt, sig: json.sig as string,
  };
  if (group) {
    // GRP1: admins sorted, unique, each a member; meta of the one fixed size (GRP3).
    if (!Array.isArray(json.admins) || json.admins.length < 1 || json.admins.length > n) fail('epoch.admins: 1..members user ids');
    const admins: string[] = [];
    for (const a of json.admins as unknown[]) {
      const userId = checkId(a, 'epoch.admins[]');
      if (admins.length > 0 && !(admins[admins.length - 1]! < userId)) fail('epoch.admins: not sorted or duplicated');
      if (!members.some((m) => m.userId === userId)) fail('epoch.admins: an admin who is not a member');
      admins.push(userId);
    }
    checkB64(json.meta, GROUP_META_BYTES, GROUP_META_BYTES, 'epoch.meta');
    record.admins = admins;
    record.meta = json.meta as string;
  }
  return record;
}
