// Devices (DEV1..DEV11): device certificates, version 2 envelopes with one chain per
// device, and revocations with per-conversation cut-offs. Known answers (Ed25519 is
// deterministic), round trips, and tamper tests over every field.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  PURPOSE, ProtocolError, canonical, certifyDevice, chainOf, conversationTag, createDeviceKey, createEpoch, deviceCertificateInput, deviceRevocationInput, emptyTranscript,
  envelopeHash, fingerprint, fromBase64Url, importIdentityKeys, observe, openMessage, parseDeviceCertificate, parseDeviceRevocation, parseEnvelope,
  revocationVerdict, revokeDevice, sealMessage, sha256, signDeviceLoginProof, toBase64Url, toHex, verifyDeviceCertificate, verifyDeviceLoginProof, verifyDeviceRevocation,
  type DeviceCertificate, type DeviceRevocation, type DeviceSigner, type Envelope, type EnvelopeV2, type EpochMember, type Identity,
} from '../src/index.ts';
import { getAt, keyVectors, leafPaths, loadFixtures, mutationsOf, setAt, type Fixtures } from './fixtures.ts';

let f: Fixtures;
let key0: CryptoKey;
let members0: EpochMember[];
let phone: DeviceSigner;
let laptop: DeviceSigner;
/** Alice after a rotation: bob's fixture keys under the user id alice. */
let alice2: Identity;
const conv = 'conv-device-test';
const uuid = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
const PHONE_ID = '11111111-1111-4111-8111-111111111111';
const LAPTOP_ID = '22222222-2222-4222-8222-222222222222';

async function device(account: Identity, deviceId: string): Promise<DeviceSigner> {
  const k = await createDeviceKey();
  const cert = await certifyDevice(account, { deviceId, deviceKey: k.publicKey, createdAt: 1_700_000_000_000 });
  return { cert, privateKey: k.keyPair.privateKey };
}

beforeAll(async () => {
  f = await loadFixtures();
  const e = await createEpoch({ conversationId: conv, epoch: 0, creator: f.ids.alice, members: [f.pub.alice, f.pub.bob], previous: null });
  key0 = e.key;
  members0 = e.record.members;
  phone = await device(f.ids.alice, PHONE_ID);
  laptop = await device(f.ids.alice, LAPTOP_ID);
  const k = keyVectors.find((v) => v.userId === 'bob')!;
  alice2 = await importIdentityKeys({ ...k.public, userId: 'alice' }, fromBase64Url(k.encryptionPkcs8), fromBase64Url(k.signingPkcs8));
});

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'parsed';
  } catch (e) {
    return e instanceof ProtocolError ? e.code : 'other';
  }
}

function ctx(over: Partial<Parameters<typeof openMessage>[1]> = {}): Parameters<typeof openMessage>[1] {
  return { conversationId: conv, epochs: new Map([[0, { key: key0, members: members0 }]]), resolveIdentity: f.resolve, ...over };
}

function seal(d: DeviceSigner, body: string, counter = 1, prevHash: string | null = null, n = counter): Promise<Envelope> {
  return sealMessage({
    conversationId: conv, epoch: 0, epochKey: key0, sender: f.ids.alice, device: d, clientMessageId: uuid(n), counter, prevHash,
    plaintext: { type: 'text', body, composedAt: 1000 + counter },
  });
}

describe('device keys and certificates', () => {
  it('DEV1: a device key is made on the device, its private half non-extractable', async () => {
    const k = await createDeviceKey();
    expect(k.keyPair.privateKey.extractable).toBe(false);
    expect(fromBase64Url(k.publicKey)).toHaveLength(32);
    expect(k.deviceId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await expect(crypto.subtle.exportKey('pkcs8', k.keyPair.privateKey)).rejects.toThrow();
  });

  it('DEV2: known answer: the certificate signs (purpose, v, type, userId, deviceId, key, account fingerprint, createdAt)', async () => {
    const deviceKey = toBase64Url(new Uint8Array(32).fill(7));
    const cert = await certifyDevice(f.ids.alice, { deviceId: PHONE_ID, deviceKey, createdAt: 1_700_000_000_000 });
    expect(cert.accountFingerprint).toBe(await fingerprint(f.pub.alice));
    expect(toHex(await sha256(deviceCertificateInput(cert)))).toBe('c925ef4a5df9e69c9f25524bc3f53b35f9b3c383ecad899b4a152d15353eb81e');
    // Ed25519 is deterministic: the same key over the same input gives the same signature.
    expect(cert.sig).toBe('DTDTgBAA9ZXqyrGxM_ERv1qg4lx2vImndi2yL4GJOHZt1ugLyb0iflLAXiVU6wiVoqJ-TW0Kw4cKuw92mKhbAg');
    expect(deviceCertificateInput(cert)).toEqual(canonical(PURPOSE.deviceCert, [1, 'device-cert', 'alice', PHONE_ID, new Uint8Array(32).fill(7), cert.accountFingerprint, 1_700_000_000_000]));
    expect(parseDeviceCertificate(JSON.parse(JSON.stringify(cert)))).toEqual(cert);
    expect(PURPOSE.deviceCert).toBe('MessageHub-device-cert-v1');
  });

  it('DEV3: a certificate holds only under the account key it names; every changed field is refused', async () => {
    expect(await verifyDeviceCertificate(phone.cert, f.pub.alice)).not.toBeNull();
    expect(await verifyDeviceCertificate(phone.cert, f.imported.alice)).not.toBeNull();
    // Another account's key, or the same user id with another key (a reset): refused.
    expect(await verifyDeviceCertificate(phone.cert, f.pub.mallory)).toBeNull();
    expect(await verifyDeviceCertificate(phone.cert, alice2.public)).toBeNull();
    // Mallory certifies a device under alice's name with her own key: refused under alice's.
    const forged = await certifyDevice({ ...f.ids.mallory, userId: 'alice' }, { deviceId: PHONE_ID, deviceKey: phone.cert.deviceKey, createdAt: 1 });
    expect(await verifyDeviceCertificate(forged, f.pub.alice)).toBeNull();
    // Signed by alice's key but naming another key's fingerprint (e.g. her key before a reset): refused.
    const body = { ...phone.cert, accountFingerprint: await fingerprint(alice2.public) };
    const s = await crypto.subtle.sign({ name: 'Ed25519' }, f.ids.alice.signing.privateKey, deviceCertificateInput(body) as Uint8Array<ArrayBuffer>);
    expect(await verifyDeviceCertificate({ ...body, sig: toBase64Url(new Uint8Array(s)) }, f.pub.alice)).toBeNull();
    let tried = 0;
    for (const path of leafPaths(phone.cert)) {
      for (const m of mutationsOf(getAt(phone.cert, path))) {
        tried++;
        expect(await verifyDeviceCertificate(setAt(phone.cert, path, m), f.pub.alice), `${path.join('.')} = ${String(m)}`).toBeNull();
      }
    }
    expect(tried).toBeGreaterThan(100);
    expect(await verifyDeviceCertificate({ ...phone.cert, extra: 1 }, f.pub.alice)).toBeNull();
    expect(await verifyDeviceCertificate(null, f.pub.alice)).toBeNull();
  });

  it('DEV3: a device\'s certificate is checked once for all its messages; a changed copy is still refused after', async () => {
    const envs = await Promise.all([1, 2, 3, 4, 5].map((n) => seal(phone, `m${n}`, 1, null, 100 + n)));
    const verify = vi.spyOn(crypto.subtle, 'verify');
    try {
      const opened = await Promise.all(envs.map((e) => openMessage(e, ctx())));
      expect(opened.every((r) => r.ok)).toBe(true);
      expect(verify.mock.calls.length).toBeLessThanOrEqual(envs.length + 1); // five message signatures, at most one certificate
    } finally {
      verify.mockRestore();
    }
    const later = { ...(envs[0] as EnvelopeV2), device: { ...(envs[0] as EnvelopeV2).device, createdAt: 2 } };
    expect(await openMessage(later, ctx())).toEqual({ ok: false, error: 'bad-certificate' });
    expect(await verifyDeviceCertificate(phone.cert, f.pub.mallory)).toBeNull();
  });

  it('DEV11: after a rotation the old certificates no longer hold; the new key certifies the device again', async () => {
    expect(await verifyDeviceCertificate(phone.cert, alice2.public)).toBeNull();
    const again = await certifyDevice(alice2, { deviceId: PHONE_ID, deviceKey: phone.cert.deviceKey, createdAt: 2 });
    expect(await verifyDeviceCertificate(again, alice2.public)).not.toBeNull();
    // A message signed by the device under its old certificate, read by a client that pinned the new key.
    const env = await seal(phone, 'hi');
    const members = members0.map((m) => (m.userId === 'alice' ? { ...m, fingerprint: 'ab'.repeat(32) } : m));
    const r = await openMessage(env, ctx({ epochs: new Map([[0, { key: key0, members }]]), resolveIdentity: (u) => (u === 'alice' ? alice2.public : f.resolve(u)) }));
    expect(r).toEqual({ ok: false, error: 'bad-certificate' });
  });
});

describe('version 2 envelopes', () => {
  it('DEV5: seal then open through JSON: version 2, the device named, signed by the device key', async () => {
    const env = await seal(phone, 'hello');
    expect(env.v).toBe(2);
    const wire = JSON.parse(JSON.stringify(env)) as Envelope;
    expect(parseEnvelope(wire)).toEqual(env);
    expect(await openMessage(wire, ctx())).toEqual({ ok: true, plaintext: { type: 'text', body: 'hello', composedAt: 1001 }, hash: await envelopeHash(env) });
    // Version 1 (the account key signs) is still read.
    const v1 = await sealMessage({ conversationId: conv, epoch: 0, epochKey: key0, sender: f.ids.alice, clientMessageId: uuid(9), counter: 1, prevHash: null, plaintext: { type: 'text', body: 'old', composedAt: 1 } });
    expect(v1.v).toBe(1);
    expect((await openMessage(v1, ctx())).ok).toBe(true);
  });

  it('DEV5, WIRE1: an unknown version is unsupported-version; a version 2 without its certificate, or with another user\'s, is malformed', async () => {
    const env = (await seal(phone, 'x')) as EnvelopeV2;
    expect(await openMessage({ ...env, v: 3 } as unknown as Envelope, ctx())).toEqual({ ok: false, error: 'unsupported-version' });
    const { device: _dropped, ...bare } = env;
    expect(await openMessage(bare as unknown as Envelope, ctx())).toEqual({ ok: false, error: 'malformed' });
    expect(await openMessage({ ...env, v: 1 } as unknown as Envelope, ctx())).toEqual({ ok: false, error: 'malformed' });
    const bobs = await certifyDevice(f.ids.bob, { deviceId: PHONE_ID, deviceKey: phone.cert.deviceKey, createdAt: 1 });
    expect(await openMessage({ ...env, device: bobs }, ctx())).toEqual({ ok: false, error: 'malformed' });
    expect(() => parseEnvelope({ ...env, v: 1, device: undefined })).toThrow();
  });

  it('DEV5, PUR1: a version 2 signature never verifies as version 1 (own purposes), nor under the account key', async () => {
    const env = (await seal(phone, 'x')) as EnvelopeV2;
    const { device: _d, ...rest } = env;
    expect(await openMessage({ ...rest, v: 1 } as Envelope, ctx())).toEqual({ ok: false, error: 'bad-signature' });
    // Signed by alice's ACCOUNT key but presented with a device certificate: the device key must sign.
    const byAccount = await sealMessage({ conversationId: conv, epoch: 0, epochKey: key0, sender: f.ids.alice, device: { cert: phone.cert, privateKey: f.ids.alice.signing.privateKey }, clientMessageId: uuid(3), counter: 1, prevHash: null, plaintext: { type: 'text', body: 'x', composedAt: 1 } });
    expect(await openMessage(byAccount, ctx())).toEqual({ ok: false, error: 'bad-signature' });
    expect(new Set([PURPOSE.message, PURPOSE.messageV2, PURPOSE.messageAad, PURPOSE.messageAadV2, PURPOSE.messageHash, PURPOSE.messageHashV2]).size).toBe(6);
  });

  it('DEV5, DEV7: the device id is signed and additional data; swapping the certificate for another device of the same account is bad-signature', async () => {
    const env = (await seal(phone, 'x')) as EnvelopeV2;
    expect(await openMessage({ ...env, device: laptop.cert }, ctx())).toEqual({ ok: false, error: 'bad-signature' });
  });

  it('DEV7: every changed field of the certificate inside an envelope is refused, none opens', async () => {
    const env = (await seal(phone, 'x')) as EnvelopeV2;
    for (const path of leafPaths(env.device)) {
      for (const m of mutationsOf(getAt(env.device, path))) {
        const r = await openMessage({ ...env, device: setAt(env.device, path, m) }, ctx());
        expect(r.ok, `${path.join('.')} = ${String(m)}`).toBe(false);
      }
    }
  });

  it('DEV7: a certificate by an unpinned or other key is bad-certificate; the sender must be an epoch member with the certifying key', async () => {
    const env = await seal(phone, 'x');
    expect(await openMessage(env, ctx({ resolveIdentity: (u) => (u === 'alice' ? { ...f.pub.mallory, userId: 'alice' } : f.resolve(u)) }))).toEqual({ ok: false, error: 'bad-certificate' });
    expect(await openMessage(env, ctx({ resolveIdentity: () => undefined }))).toEqual({ ok: false, error: 'unknown-sender' });
    const members = members0.map((m) => (m.userId === 'alice' ? { ...m, fingerprint: 'ab'.repeat(32) } : m));
    expect(await openMessage(env, ctx({ epochs: new Map([[0, { key: key0, members }]]) }))).toEqual({ ok: false, error: 'not-a-member' });
  });

  it('DEV6, TR7: two devices of one account keep chains of their own: concurrent first messages are two ok, not a fork', async () => {
    const a1 = await seal(phone, 'from phone', 1, null, 1);
    const b1 = await seal(laptop, 'from laptop', 1, null, 2);
    const a2 = await seal(phone, 'phone again', 2, await envelopeHash(a1), 3);
    expect(chainOf(a1 as EnvelopeV2)).toBe(`alice#${PHONE_ID}`);
    expect(chainOf(a1 as EnvelopeV2)).not.toBe(chainOf(b1 as EnvelopeV2));
    let t = emptyTranscript();
    const verdicts: string[] = [];
    for (const env of [a1, b1, a2]) {
      const o = observe(t, { ...env, sender: chainOf(env) }, await envelopeHash(env));
      t = o.state;
      verdicts.push(o.verdict);
    }
    expect(verdicts).toEqual(['ok', 'ok', 'ok']);
    // The same messages keyed by user (one chain per account, version 1's model) fork.
    let u = emptyTranscript();
    const perUser: string[] = [];
    for (const env of [a1, b1]) {
      const o = observe(u, env, await envelopeHash(env));
      u = o.state;
      perUser.push(o.verdict);
    }
    expect(perUser).toEqual(['ok', 'fork']);
  });
});

describe('revocation', () => {
  let rev: DeviceRevocation;
  let h1: string;
  let h2: string;
  let e1: Envelope;
  let e2: Envelope;
  let e3: Envelope;
  beforeAll(async () => {
    e1 = await seal(phone, 'one', 1, null, 11);
    h1 = await envelopeHash(e1);
    e2 = await seal(phone, 'two', 2, h1, 12);
    h2 = await envelopeHash(e2);
    e3 = await seal(phone, 'three', 3, h2, 13);
    rev = await revokeDevice(f.ids.alice, { deviceId: PHONE_ID, createdAt: 5, lastSeen: [{ conversationId: conv, counter: 2, hash: h2 }, { conversationId: 'other-conv', counter: 7, hash: 'cd'.repeat(32) }] });
  });

  it('DEV8: a revocation is signed by the account key; it holds only under that key, and every changed field is refused', async () => {
    expect(await verifyDeviceRevocation(rev, f.pub.alice)).toEqual(rev);
    expect(await verifyDeviceRevocation(JSON.parse(JSON.stringify(rev)), f.imported.alice)).toEqual(rev);
    expect(await verifyDeviceRevocation(rev, f.pub.mallory)).toBeNull();
    expect(await verifyDeviceRevocation(rev, alice2.public)).toBeNull();
    for (const path of leafPaths(rev)) {
      for (const m of mutationsOf(getAt(rev, path))) {
        expect(await verifyDeviceRevocation(setAt(rev, path, m), f.pub.alice), `${path.join('.')} = ${String(m)}`).toBeNull();
      }
    }
    // Dropping a conversation's cut-off (which would refuse its whole history) breaks the signature.
    expect(await verifyDeviceRevocation({ ...rev, cutoffs: rev.cutoffs.slice(1) }, f.pub.alice)).toBeNull();
    expect(deviceRevocationInput(rev)).not.toEqual(deviceCertificateInput(phone.cert));
  });

  it('DEV9: cut-offs name conversations by a tag, sorted and unique; the record never lists a conversation id', async () => {
    expect(await conversationTag(conv)).toMatch(/^[0-9a-f]{64}$/);
    expect(await conversationTag(conv)).not.toBe(await conversationTag('other-conv'));
    expect(JSON.stringify(rev)).not.toContain(conv);
    expect(rev.cutoffs.map((c) => c.conversation)).toEqual([...rev.cutoffs.map((c) => c.conversation)].sort());
    expect(codeOf(() => parseDeviceRevocation({ ...rev, cutoffs: [rev.cutoffs[1], rev.cutoffs[0]] }))).toBe('malformed');
    await expect(revokeDevice(f.ids.alice, { deviceId: PHONE_ID, createdAt: 5, lastSeen: [{ conversationId: conv, counter: 1, hash: h1 }, { conversationId: conv, counter: 2, hash: h2 }] })).rejects.toThrow();
  });

  it('DEV9: a message stands up to the cut-off of its conversation (the one at it only with the accepted hash); later ones and other conversations do not', async () => {
    expect(await revocationVerdict(rev, conv, 1, h1)).toBe('before');
    expect(await revocationVerdict(rev, conv, 2, h2)).toBe('before');
    expect(await revocationVerdict(rev, conv, 2, 'ef'.repeat(32))).toBe('after');
    expect(await revocationVerdict(rev, conv, 3, 'ef'.repeat(32))).toBe('after');
    expect(await revocationVerdict(rev, 'never-listed', 1, h1)).toBe('after');
  });

  it('DEV10: openMessage refuses a revoked device\'s messages after its cut-off as revoked-device, keeps the ones before, ignores other devices', async () => {
    const revoked = (u: string, d: string) => (u === 'alice' && d === PHONE_ID ? rev : undefined);
    expect((await openMessage(e1, ctx({ revokedDevice: revoked }))).ok).toBe(true);
    expect((await openMessage(e2, ctx({ revokedDevice: revoked }))).ok).toBe(true);
    expect(await openMessage(e3, ctx({ revokedDevice: revoked }))).toEqual({ ok: false, error: 'revoked-device' });
    // A thief re-writes message 2 with other content: same counter, other hash.
    const other2 = await seal(phone, 'other two', 2, h1, 14);
    expect(await openMessage(other2, ctx({ revokedDevice: revoked }))).toEqual({ ok: false, error: 'revoked-device' });
    // The laptop is not revoked.
    expect((await openMessage(await seal(laptop, 'fine', 9, 'ab'.repeat(32), 15), ctx({ revokedDevice: revoked }))).ok).toBe(true);
    // Without the revocation the same message opens: the check is what refuses it.
    expect((await openMessage(e3, ctx())).ok).toBe(true);
  });
});

describe('certificate wire shape', () => {
  it('DEV2, WIRE1: exact keys, type and version; sizes checked', () => {
    const c: DeviceCertificate = phone.cert;
    expect(codeOf(() => parseDeviceCertificate({ ...c, v: 2 }))).toBe('unsupported-version');
    expect(codeOf(() => parseDeviceCertificate({ ...c, type: 'device-revoke' }))).toBe('malformed');
    expect(codeOf(() => parseDeviceCertificate({ ...c, deviceKey: toBase64Url(new Uint8Array(31)) }))).toBe('malformed');
    expect(codeOf(() => parseDeviceCertificate({ ...c, deviceId: 'not-a-uuid' }))).toBe('malformed');
  });
});

describe('device login', () => {
  const ch = { nonce: toBase64Url(new Uint8Array(32).fill(9)), origin: 'https://chat.example' };

  it('DEV12: a device signs the login challenge with its own key, bound to nonce, origin, user and device; it holds only with a certificate by the current key', async () => {
    const proof = await signDeviceLoginProof(phone, ch);
    const at = { ...ch, userId: 'alice' };
    expect(await verifyDeviceLoginProof(f.pub.alice, phone.cert, at, proof)).toBe(true);
    // The same bytes under another purpose than the account's login proof (PUR1).
    const input = canonical(PURPOSE.deviceLogin, [new Uint8Array(32).fill(9), ch.origin, 'alice', PHONE_ID]);
    expect(PURPOSE.deviceLogin).toBe('MessageHub-device-login-v1');
    const pk = await globalThis.crypto.subtle.importKey('raw', fromBase64Url(phone.cert.deviceKey) as BufferSource, { name: 'Ed25519' }, false, ['verify']);
    expect(await globalThis.crypto.subtle.verify({ name: 'Ed25519' }, pk, fromBase64Url(proof) as BufferSource, input as BufferSource)).toBe(true);
    // Another device's certificate, another nonce, origin or user, or a rotated account key: false.
    expect(await verifyDeviceLoginProof(f.pub.alice, laptop.cert, at, proof)).toBe(false);
    expect(await verifyDeviceLoginProof(f.pub.alice, phone.cert, { ...at, nonce: toBase64Url(new Uint8Array(32).fill(8)) }, proof)).toBe(false);
    expect(await verifyDeviceLoginProof(f.pub.alice, phone.cert, { ...at, origin: 'https://evil.example' }, proof)).toBe(false);
    expect(await verifyDeviceLoginProof(f.pub.alice, phone.cert, { ...at, userId: 'bob' }, proof)).toBe(false);
    expect(await verifyDeviceLoginProof(alice2.public, phone.cert, at, proof)).toBe(false);
    expect(await verifyDeviceLoginProof(f.pub.alice, { ...phone.cert, deviceKey: laptop.cert.deviceKey }, at, proof)).toBe(false);
    expect(await verifyDeviceLoginProof(f.pub.alice, 'junk', at, proof)).toBe(false);
    expect(await verifyDeviceLoginProof(f.pub.alice, phone.cert, at, 'junk')).toBe(false);
  });
});
