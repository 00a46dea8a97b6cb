// What a device key's owner makes (DEV1, DEV2, DEV8, DEV9): a new device key, its
// certificate, a revocation. Apart from device.ts, which checks certificates and
// revocations on every message opened, so that a bundle that only opens messages (the
// PWA's start chunk) does not carry the code that makes them.
import { deviceCertificateInput, conversationTag, deviceRevocationInput } from './device.ts';
import { buf, toBase64Url } from './encoding.ts';
import { fingerprint, type Identity } from './identity.ts';
import { MAX_DEVICE_CUTOFFS } from './rules.ts';
import type { DeviceCertificate, DeviceCutoff, DeviceRevocation } from './types.ts';
import { fail } from './wire.ts';
import { parseDeviceCertificate, parseDeviceRevocation } from './wire-records.ts';

const subtle = (): SubtleCrypto => globalThis.crypto.subtle;

/**
 * DEV1: a fresh device key pair, made on the device. The private key is non-extractable:
 * it never leaves the device, not even in the key file.
 */
export async function createDeviceKey(): Promise<{ deviceId: string; keyPair: CryptoKeyPair; publicKey: string }> {
  const keyPair = (await subtle().generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as CryptoKeyPair;
  const raw = new Uint8Array(await subtle().exportKey('raw', keyPair.publicKey));
  return { deviceId: globalThis.crypto.randomUUID(), keyPair, publicKey: toBase64Url(raw) };
}

/** DEV2: the account key certifies one device key. Throws ProtocolError('malformed') on bad input. */
export async function certifyDevice(account: Identity, p: { deviceId: string; deviceKey: string; createdAt: number }): Promise<DeviceCertificate> {
  const body: Omit<DeviceCertificate, 'sig'> = {
    v: 1, type: 'device-cert', userId: account.userId, deviceId: p.deviceId, deviceKey: p.deviceKey,
    accountFingerprint: await fingerprint(account.public), createdAt: p.createdAt,
  };
  const sig = new Uint8Array(await subtle().sign({ name: 'Ed25519' }, account.signing.privateKey, buf(deviceCertificateInput(body))));
  return parseDeviceCertificate({ ...body, sig: toBase64Url(sig) });
}

/**
 * DEV8, DEV9: the account key withdraws a device. `lastSeen` lists, per conversation, the
 * device's last message the revoking device accepted (counter and envelopeHash); every
 * later message of the device, and every one in a conversation not listed, is refused.
 */
export async function revokeDevice(
  account: Identity,
  p: { deviceId: string; createdAt: number; lastSeen: readonly { conversationId: string; counter: number; hash: string }[] },
): Promise<DeviceRevocation> {
  if (p.lastSeen.length > MAX_DEVICE_CUTOFFS) fail('revocation: too many conversations');
  const cutoffs: DeviceCutoff[] = [];
  for (const s of p.lastSeen) cutoffs.push({ conversation: await conversationTag(s.conversationId), counter: s.counter, hash: s.hash });
  cutoffs.sort((a, b) => (a.conversation < b.conversation ? -1 : a.conversation > b.conversation ? 1 : 0));
  for (let i = 1; i < cutoffs.length; i++) if (cutoffs[i - 1]!.conversation === cutoffs[i]!.conversation) fail('revocation: a conversation is listed twice');
  const body: Omit<DeviceRevocation, 'sig'> = {
    v: 1, type: 'device-revoke', userId: account.userId, deviceId: p.deviceId, accountFingerprint: await fingerprint(account.public),
    cutoffs, createdAt: p.createdAt,
  };
  const sig = new Uint8Array(await subtle().sign({ name: 'Ed25519' }, account.signing.privateKey, buf(deviceRevocationInput(body))));
  return parseDeviceRevocation({ ...body, sig: toBase64Url(sig) });
}
