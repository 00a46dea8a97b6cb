// SPEC §8c: typing indicators. Round trips, and every refusal: tampered bytes, another
// conversation, another or old epoch, a wrong signer, a non-member, a revoked device, stale
// and replayed signals.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  PURPOSE, TYPING_LIMITS, TYPING_SEALED_BYTES, canonical, typingSigningInput, type TypingSignal, certifyDevice, createDeviceKey, createEpoch, fromBase64Url, openTyping, revokeDevice, sealTyping, toBase64Url,
  typingEpoch, verifyDeviceRevocation, type DeviceRevocation, type DeviceSigner, type EpochMember, type TypingOpenContext,
} from '../src/index.ts';
import { loadFixtures, type Fixtures } from './fixtures.ts';

let f: Fixtures;
let key0: CryptoKey;
let members0: EpochMember[];
let otherKey: CryptoKey;
let alicePhone: DeviceSigner;
let malloryPhone: DeviceSigner;
const conv = 'conv-typing-test';
const NOW = 1_800_000_000_000;
const PHONE_ID = '11111111-1111-4111-8111-111111111111';

async function device(account: Fixtures['ids']['alice'], deviceId: string): Promise<DeviceSigner> {
  const k = await createDeviceKey();
  const cert = await certifyDevice(account, { deviceId, deviceKey: k.publicKey, createdAt: 1_700_000_000_000 });
  return { cert, privateKey: k.keyPair.privateKey };
}

beforeAll(async () => {
  f = await loadFixtures();
  const e = await createEpoch({ conversationId: conv, epoch: 0, creator: f.ids.alice, members: [f.pub.alice, f.pub.bob], previous: null });
  key0 = e.key;
  members0 = e.record.members;
  otherKey = (await createEpoch({ conversationId: 'conv-other', epoch: 0, creator: f.ids.alice, members: [f.pub.alice, f.pub.bob], previous: null })).key;
  alicePhone = await device(f.ids.alice, PHONE_ID);
  malloryPhone = await device(f.ids.mallory, PHONE_ID);
});

function ctx(over: Partial<TypingOpenContext> = {}): TypingOpenContext {
  return { conversationId: conv, epoch: { epoch: 0, key: key0, members: members0 }, resolveIdentity: f.resolve, now: NOW, seen: new Map(), ...over };
}

function seal(o: Partial<Parameters<typeof sealTyping>[0]> = {}): Promise<string> {
  return sealTyping({ conversationId: conv, epoch: 0, epochKey: key0, device: alicePhone, state: 'start', sentAt: NOW, counter: 1, ...o });
}

/**
 * What a faulty or hostile member's client could seal: any plaintext, signed by alice's phone,
 * sealed under the right key with the AAD of `conv` (the test picks every field).
 */
async function sealRaw(plaintext: unknown, o: { headEpoch?: number } = {}): Promise<string> {
  const json = new TextEncoder().encode(typeof plaintext === 'string' ? plaintext : JSON.stringify(plaintext));
  const plain = new Uint8Array(TYPING_LIMITS.plainBytes);
  new DataView(plain.buffer).setUint32(0, json.length);
  plain.set(json, 4);
  const epoch = o.headEpoch ?? 0;
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const aad = canonical(PURPOSE.typingAad, [1, 'typing', conv, epoch]);
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad as Uint8Array<ArrayBuffer>, tagLength: 128 }, key0, plain));
  const out = new Uint8Array(5 + 12 + sealed.length);
  out[0] = 1;
  new DataView(out.buffer).setUint32(1, epoch);
  out.set(iv, 5);
  out.set(sealed, 17);
  return toBase64Url(out);
}

async function signed(over: Partial<TypingSignal>): Promise<{ signal: TypingSignal; cert: DeviceSigner['cert']; sig: string }> {
  const signal: TypingSignal = { v: 1, kind: 'typing', conversationId: conv, epoch: 0, sender: 'alice', deviceId: PHONE_ID, state: 'start', sentAt: NOW, counter: 1, ...over };
  const sig = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, alicePhone.privateKey, typingSigningInput(signal) as Uint8Array<ArrayBuffer>));
  return { signal, cert: alicePhone.cert, sig: toBase64Url(sig) };
}

describe('typing signals (TYP1..TYP7)', () => {
  it('TYP1, TYP2: a signal round-trips with its sender, device, state, time and counter; the sealed text has one fixed size', async () => {
    const sealed = await seal({ state: 'stop', counter: 7 });
    const r = await openTyping(sealed, ctx());
    expect(r).toEqual({ ok: true, signal: { v: 1, kind: 'typing', conversationId: conv, epoch: 0, sender: 'alice', deviceId: PHONE_ID, state: 'stop', sentAt: NOW, counter: 7 } });
    expect(fromBase64Url(sealed).length).toBe(TYPING_SEALED_BYTES);
    expect(sealed.length).toBeLessThanOrEqual(TYPING_LIMITS.maxSealedChars);
    expect(typingEpoch(sealed)).toBe(0);
    // A longer user id does not change the size (TYP3: padded).
    expect((await seal({ state: 'start', counter: 8 })).length).toBe(sealed.length);
  });

  it('TYP2: a signal signed by a device of another account is refused (bad certificate), and one whose signature does not match is bad-signature', async () => {
    // Mallory's device, certified by mallory, claiming nothing else: she is not in the epoch.
    expect(await openTyping(await seal({ device: malloryPhone }), ctx())).toEqual({ ok: false, error: 'not-a-member' });
    // Mallory's certificate with alice's name: the certificate does not hold under alice's pinned key.
    const forged: DeviceSigner = { cert: { ...malloryPhone.cert, userId: 'alice' }, privateKey: malloryPhone.privateKey };
    expect(await openTyping(await seal({ device: forged }), ctx())).toEqual({ ok: false, error: 'bad-certificate' });
    // Alice's certificate, signed by another key (mallory's device key): the signature fails.
    const wrongKey: DeviceSigner = { cert: alicePhone.cert, privateKey: malloryPhone.privateKey };
    expect(await openTyping(await seal({ device: wrongKey }), ctx())).toEqual({ ok: false, error: 'bad-signature' });
  });

  it('TYP3: every flipped byte of the sealed signal is refused (tampered, or the epoch it names is not the current one)', async () => {
    const sealed = fromBase64Url(await seal());
    for (let i = 1; i < sealed.length; i += 7) {
      const b = sealed.slice();
      b[i] = b[i]! ^ 0x01;
      const r = await openTyping(toBase64Url(b), ctx());
      expect(r.ok, `byte ${i}`).toBe(false);
      expect(['tampered', 'unknown-epoch']).toContain(r.ok ? '' : r.error);
    }
    expect(await openTyping('not base64!', ctx())).toEqual({ ok: false, error: 'malformed' });
    expect(await openTyping(toBase64Url(sealed.subarray(0, 100)), ctx())).toEqual({ ok: false, error: 'malformed' });
    const v2 = sealed.slice();
    v2[0] = 2;
    expect(await openTyping(toBase64Url(v2), ctx())).toEqual({ ok: false, error: 'unsupported-version' });
  });

  it('TYP3: a signal relayed into another conversation is refused, even under the same key', async () => {
    const sealed = await seal();
    expect(await openTyping(sealed, ctx({ conversationId: 'conv-other' }))).toEqual({ ok: false, error: 'tampered' });
    expect(await openTyping(sealed, ctx({ conversationId: 'conv-other', epoch: { epoch: 0, key: otherKey, members: members0 } }))).toEqual({ ok: false, error: 'tampered' });
  });

  it('TYP3: a member\'s signal naming another conversation or epoch than the one it is sealed in is wrong-conversation; a bad plaintext is malformed', async () => {
    // The helper itself makes signals that open.
    expect((await openTyping(await sealRaw(await signed({})), ctx())).ok).toBe(true);
    expect(await openTyping(await sealRaw(await signed({ conversationId: 'conv-other' })), ctx())).toEqual({ ok: false, error: 'wrong-conversation' });
    expect(await openTyping(await sealRaw(await signed({ epoch: 5 })), ctx())).toEqual({ ok: false, error: 'wrong-conversation' });
    expect(await openTyping(await sealRaw('not json'), ctx())).toEqual({ ok: false, error: 'malformed' });
    expect(await openTyping(await sealRaw({ ...(await signed({})), extra: 1 }), ctx())).toEqual({ ok: false, error: 'malformed' });
    expect(await openTyping(await sealRaw({ ...(await signed({})), signal: { ...(await signed({})).signal, state: 'maybe' } }), ctx())).toEqual({ ok: false, error: 'malformed' });
    // A state changed after signing: the signature no longer holds.
    const s = await signed({});
    expect(await openTyping(await sealRaw({ ...s, signal: { ...s.signal, state: 'stop' } }), ctx())).toEqual({ ok: false, error: 'bad-signature' });
  });

  it('TYP4: a signal under an old or unknown epoch is refused', async () => {
    expect(await openTyping(await seal({ epoch: 3 }), ctx())).toEqual({ ok: false, error: 'unknown-epoch' });
    // Epoch 0 while the conversation is at epoch 1: an old key no longer counts.
    expect(await openTyping(await seal(), ctx({ epoch: { epoch: 1, key: key0, members: members0 } }))).toEqual({ ok: false, error: 'unknown-epoch' });
  });

  it('TYP5: a sender who is not a member, an unknown sender, and a revoked device are refused', async () => {
    const onlyBob = members0.filter((m) => m.userId !== 'alice');
    expect(await openTyping(await seal(), ctx({ epoch: { epoch: 0, key: key0, members: onlyBob } }))).toEqual({ ok: false, error: 'not-a-member' });
    expect(await openTyping(await seal(), ctx({ resolveIdentity: () => undefined }))).toEqual({ ok: false, error: 'unknown-sender' });
    const revocation: DeviceRevocation = await revokeDevice(f.ids.alice, { deviceId: PHONE_ID, lastSeen: [], createdAt: 1 });
    expect(await verifyDeviceRevocation(revocation, f.pub.alice)).not.toBeNull();
    const revokedDevice = (u: string, d: string) => (u === 'alice' && d === PHONE_ID ? revocation : undefined);
    expect(await openTyping(await seal(), ctx({ revokedDevice }))).toEqual({ ok: false, error: 'revoked-device' });
  });

  it('TYP6: a signal older or further in the future than the window is stale', async () => {
    const skew = TYPING_LIMITS.maxSkewMs;
    expect((await openTyping(await seal({ sentAt: NOW - skew }), ctx())).ok).toBe(true);
    expect(await openTyping(await seal({ sentAt: NOW - skew - 1 }), ctx())).toEqual({ ok: false, error: 'stale' });
    expect(await openTyping(await seal({ sentAt: NOW + skew + 1 }), ctx())).toEqual({ ok: false, error: 'stale' });
  });

  it('TYP7: a replayed signal, or one whose counter does not go up, is refused; the counter is per device', async () => {
    const seen = new Map<string, number>();
    const first = await seal({ counter: 5 });
    expect((await openTyping(first, ctx({ seen }))).ok).toBe(true);
    expect(await openTyping(first, ctx({ seen }))).toEqual({ ok: false, error: 'replay' });
    expect(await openTyping(await seal({ counter: 5, state: 'stop' }), ctx({ seen }))).toEqual({ ok: false, error: 'replay' });
    expect(await openTyping(await seal({ counter: 4 }), ctx({ seen }))).toEqual({ ok: false, error: 'replay' });
    expect((await openTyping(await seal({ counter: 6, state: 'stop' }), ctx({ seen }))).ok).toBe(true);
    const laptop = await device(f.ids.alice, '22222222-2222-4222-8222-222222222222');
    expect((await openTyping(await seal({ device: laptop, counter: 1 }), ctx({ seen }))).ok).toBe(true);
    // A refused signal records nothing.
    expect(seen.get(`alice#${PHONE_ID}`)).toBe(6);
  });
});
