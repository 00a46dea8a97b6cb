// Devices (DEV1..DEV11): each device of an account signs with an Ed25519 key of its own,
// certified by the account identity key; the account key withdraws a certificate for good
// with a signed revocation that says, per conversation, which of the device's messages
// stay valid. Pure: WebCrypto only, no I/O. The envelope side (version 2) is envelope.ts;
// making a device key, a certificate or a revocation is device-issue.ts.
import { deviceLoginInput, type LoginChallenge } from './auth.ts';
import { buf, canonical, fromBase64Url, sha256, toHex } from './encoding.ts';
import { asImported, type ImportedIdentity } from './identity.ts';
import { PURPOSE } from './purpose.ts';
import { SIG_BYTES } from './rules.ts';
import type { DeviceCertificate, DeviceRevocation, PublicIdentity } from './types.ts';
import { checkHash, checkId, checkInt, checkUuid } from './wire.ts';
import { parseDeviceCertificate, parseDeviceRevocation } from './wire-records.ts';

export type { DeviceCertificate, DeviceCutoff, DeviceRevocation } from './types.ts';

/** What a device needs to send (DEV1, DEV5): its certificate and its non-extractable private key. */
export interface DeviceSigner {
  cert: DeviceCertificate;
  privateKey: CryptoKey;
}

const subtle = (): SubtleCrypto => globalThis.crypto.subtle;

/** DEV2: (purpose, v, type, userId, deviceId, device key, account fingerprint, createdAt). */
export function deviceCertificateInput(c: Omit<DeviceCertificate, 'sig'>): Uint8Array {
  return canonical(PURPOSE.deviceCert, [
    c.v, c.type, checkId(c.userId, 'device.userId'), checkUuid(c.deviceId, 'device.deviceId'), fromBase64Url(c.deviceKey),
    checkHash(c.accountFingerprint, 'device.accountFingerprint'), checkInt(c.createdAt, 0, Number.MAX_SAFE_INTEGER, 'device.createdAt'),
  ]);
}

/**
 * DEV3: the device key a certificate vouches for, if it holds under this account key:
 * strict shape, the same user, the fingerprint of exactly this key, and its signature.
 * Never throws; anything odd is null.
 */
export async function verifyDeviceCertificate(certIn: unknown, account: PublicIdentity | ImportedIdentity): Promise<CryptoKey | null> {
  try {
    const cert = parseDeviceCertificate(certIn);
    const acct = await asImported(account);
    if (cert.userId !== acct.pub.userId || cert.accountFingerprint !== acct.fingerprint) return null;
    // Every message of a device carries the same certificate: the answer for these exact
    // fields under this exact account key is remembered (a restore checked it once per
    // message: one more signature check each). Concurrent opens share one check.
    const id = [acct.fingerprint, acct.pub.signingKey, cert.userId, cert.deviceId, cert.deviceKey, cert.accountFingerprint, cert.createdAt, cert.sig].join(' ');
    let got = checkedCertificates.get(id);
    if (!got) {
      if (checkedCertificates.size >= 512) checkedCertificates.clear();
      got = checkCertificate(cert, acct).catch(() => null);
      checkedCertificates.set(id, got);
    }
    return await got;
  } catch {
    return null;
  }
}

const checkedCertificates = new Map<string, Promise<CryptoKey | null>>();

async function checkCertificate(cert: DeviceCertificate, acct: ImportedIdentity): Promise<CryptoKey | null> {
  const sig = fromBase64Url(cert.sig);
  if (sig.length !== SIG_BYTES) return null;
  if (!(await subtle().verify({ name: 'Ed25519' }, acct.signingKey, buf(sig), buf(deviceCertificateInput(cert))))) return null;
  return subtle().importKey('raw', buf(fromBase64Url(cert.deviceKey)), { name: 'Ed25519' }, false, ['verify']);
}

/** DEV9: the tag a revocation names a conversation by (hex SHA-256 under its own purpose). */
export async function conversationTag(conversationId: string): Promise<string> {
  return toHex(await sha256(canonical(PURPOSE.deviceConversationTag, [checkId(conversationId, 'conversationId')])));
}

/** DEV8: (purpose, v, type, userId, deviceId, account fingerprint, createdAt, n, (tag, counter, hash) x n). */
export function deviceRevocationInput(r: Omit<DeviceRevocation, 'sig'>): Uint8Array {
  const fields: (string | number | null)[] = [
    r.v, r.type, checkId(r.userId, 'revocation.userId'), checkUuid(r.deviceId, 'revocation.deviceId'),
    checkHash(r.accountFingerprint, 'revocation.accountFingerprint'), checkInt(r.createdAt, 0, Number.MAX_SAFE_INTEGER, 'revocation.createdAt'),
    r.cutoffs.length,
  ];
  for (const c of r.cutoffs) fields.push(checkHash(c.conversation, 'cutoff.conversation'), checkInt(c.counter, 1, Number.MAX_SAFE_INTEGER, 'cutoff.counter'), checkHash(c.hash, 'cutoff.hash'));
  return canonical(PURPOSE.deviceRevoke, fields);
}

/**
 * DEV8: does this revocation hold under this account key (the one whose fingerprint it
 * names)? Strict shape, same user, signature. Never throws.
 */
export async function verifyDeviceRevocation(revIn: unknown, account: PublicIdentity | ImportedIdentity): Promise<DeviceRevocation | null> {
  try {
    const rev = parseDeviceRevocation(revIn);
    const acct = await asImported(account);
    if (rev.userId !== acct.pub.userId || rev.accountFingerprint !== acct.fingerprint) return null;
    const sig = fromBase64Url(rev.sig);
    const ok = await subtle().verify({ name: 'Ed25519' }, acct.signingKey, buf(sig), buf(deviceRevocationInput(rev)));
    return ok ? rev : null;
  } catch {
    return null;
  }
}

/**
 * DEV9, DEV10: may a message of a revoked device stand? Only one at or below the cut-off
 * of its conversation, and the one AT the cut-off only with exactly the hash the revoker
 * accepted. `before`: it stands (the transcript checks the links below the cut-off, TR4,
 * TR6); `after`: refused (`revoked-device`).
 */
export async function revocationVerdict(rev: DeviceRevocation, conversationId: string, counter: number, hash: string): Promise<'before' | 'after'> {
  const tag = await conversationTag(conversationId);
  const cut = rev.cutoffs.find((c) => c.conversation === tag);
  if (cut === undefined || counter > cut.counter) return 'after';
  if (counter === cut.counter && hash !== cut.hash) return 'after';
  return 'before';
}

/**
 * DEV12, server side: the certificate holds under `account` (DEV3, the CURRENT key) for
 * `challenge.userId`, and the proof verifies under the device key it certifies. Never
 * throws; anything odd is false.
 */
export async function verifyDeviceLoginProof(
  account: PublicIdentity,
  cert: unknown,
  challenge: LoginChallenge & { userId: string },
  proof: string,
): Promise<boolean> {
  try {
    if (account.userId !== challenge.userId) return false;
    const deviceKey = await verifyDeviceCertificate(cert, account);
    if (!deviceKey) return false;
    const sig = fromBase64Url(proof);
    if (sig.length !== SIG_BYTES) return false;
    const input = deviceLoginInput(challenge, challenge.userId, (cert as DeviceCertificate).deviceId);
    return await globalThis.crypto.subtle.verify({ name: 'Ed25519' }, deviceKey, buf(sig), buf(input));
  } catch {
    return false;
  }
}
