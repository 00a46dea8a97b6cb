// Linking a device from another device (LINK1..LINK4): the code's spelling, the check that
// binds the new device's key, the sealed handover bound to both keys and the whole code,
// and the handover's strict shape. Known answers, round trips, and tamper tests.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  LINK_ALPHABET, LINK_QR_PREFIX, LinkError, PURPOSE, canonical, fingerprint, formatLinkCode, isLinkLocator, linkCheck, linkLocator, makeLinkCode,
  newLinkKey, normalizeLinkCode, openHandover, parseHandover, sealHandover, sha256, toBase64Url, verifyLinkKey,
  type LinkHandover,
} from '../src/index.ts';
import { publicOf } from '../../test/support/identities.ts';

/** What the handover reads of a key file: its public identity (the rest stays sealed, KF1). */
const keyFileOf = (name: 'alice' | 'bob') => JSON.stringify({ format: 'messagehub-keyfile', version: 1, userId: name, public: publicOf(name), iv: 'AAAAAAAAAAAAAAAA', ciphertext: 'A'.repeat(400) });

/** A fixed P-256 point (the curve's generator), so the check has a known answer. */
const G = toBase64Url(
  new Uint8Array([
    4, ...Buffer.from('6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296', 'hex'),
    ...Buffer.from('4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5', 'hex'),
  ]),
);

async function rejects(p: Promise<unknown>, code: LinkError['code']): Promise<void> {
  await expect(p).rejects.toSatisfy((e: unknown) => e instanceof LinkError && e.code === code);
}

let handover: LinkHandover;
let otherHandover: LinkHandover;

beforeAll(async () => {
  handover = { v: 1, type: 'link-handover', userId: 'alice', accountFingerprint: await fingerprint(publicOf('alice')), keyFile: keyFileOf('alice'), createdAt: 1_700_000_000_000 };
  otherHandover = { ...handover, keyFile: keyFileOf('bob') };
});

describe('link codes (LINK1)', () => {
  it('LINK1: a code is 12 Crockford characters, read however it was typed or scanned', () => {
    expect(LINK_ALPHABET).toHaveLength(32);
    expect(normalizeLinkCode('abcd-efgh-jkmn')).toBe('ABCDEFGHJKMN');
    expect(normalizeLinkCode(' 0o1i L234 5678 ')).toBe('001112345678');
    expect(normalizeLinkCode(`${LINK_QR_PREFIX}ABCDEFGHJKMN`)).toBe('ABCDEFGHJKMN');
    expect(formatLinkCode('ABCDEFGHJKMN')).toBe('ABCD-EFGH-JKMN');
    expect(linkLocator('abcd efgh jkmn')).toBe('ABCD');
    for (const bad of ['', 'ABCDEFGHJKM', 'ABCDEFGHJKMNP', 'ABCDEFGHJKMU', 'ABCD.EFGH.JKMN']) {
      expect(() => normalizeLinkCode(bad), bad).toThrow(LinkError);
    }
    expect(isLinkLocator('AB12')).toBe(true);
    expect([isLinkLocator('ab12'), isLinkLocator('ABU2'), isLinkLocator('ABC'), isLinkLocator(7)]).toEqual([false, false, false, false]);
  });

  it('LINK1, LINK2: a made code is the locator, a fresh secret and the check of its key', async () => {
    const k = await newLinkKey();
    const a = await makeLinkCode('AB12', k.publicKey);
    const b = await makeLinkCode('AB12', k.publicKey);
    expect(a.slice(0, 4)).toBe('AB12');
    expect(normalizeLinkCode(a)).toBe(a);
    expect(a.slice(8)).toBe(await linkCheck('AB12', a.slice(4, 8), k.publicKey));
    // Two codes for one key differ in their secret (20 random bits; equal once in a million).
    expect(a.slice(4, 8)).not.toBe(b.slice(4, 8));
    await rejects(makeLinkCode('ab12', k.publicKey), 'malformed');
  });
});

describe('the check binds the new device key (LINK2)', () => {
  it('LINK2: known answer: the first 20 bits of SHA-256 over the locator, the secret and the key', async () => {
    const h = await sha256(canonical(PURPOSE.linkCheck, ['AB12', 'CD34', Buffer.from(G.replace(/-/g, '+').replace(/_/g, '/'), 'base64')]));
    const n = (h[0]! << 12) | (h[1]! << 4) | (h[2]! >>> 4);
    let expected = '';
    for (let i = 3; i >= 0; i--) expected += LINK_ALPHABET[(n >>> (i * 5)) & 31];
    expect(await linkCheck('AB12', 'CD34', G)).toBe(expected);
    expect(PURPOSE.linkCheck).toBe('MessageHub-link-check-v1');
  });

  it('LINK2: the existing device refuses a key the code does not name: a substituted key, another secret, a mistyped check; nothing is sealed', async () => {
    const real = await newLinkKey();
    const server = await newLinkKey();
    const code = await makeLinkCode('AB12', real.publicKey);
    await expect(verifyLinkKey(code, real.publicKey)).resolves.toBeUndefined();
    await rejects(verifyLinkKey(code, server.publicKey), 'code-mismatch');
    await rejects(sealHandover(code, server.publicKey, handover), 'code-mismatch');
    const flip = (i: number) => code.slice(0, i) + (code[i] === '0' ? '1' : '0') + code.slice(i + 1);
    for (const i of [4, 7, 8, 11]) await rejects(verifyLinkKey(flip(i), real.publicKey), 'code-mismatch');
    await rejects(verifyLinkKey(code, 'not a key'), 'malformed');
  });
});

describe('the sealed handover (LINK3, LINK4)', () => {
  it('LINK3: round trip: the new device opens what the existing one sealed for its code', async () => {
    const k = await newLinkKey();
    const code = await makeLinkCode('ZZ90', k.publicKey);
    const sealed = await sealHandover(formatLinkCode(code).toLowerCase(), k.publicKey, handover);
    expect(Object.keys(sealed).sort()).toEqual(['ciphertext', 'iv', 'publicKey', 'v']);
    expect(JSON.stringify(sealed)).not.toContain(handover.keyFile.slice(40, 80));
    expect(await openHandover(code, k, sealed)).toEqual(handover);
  });

  it('LINK3: the key is bound to the whole code: the same keys under another secret or check do not open it', async () => {
    const k = await newLinkKey();
    const code = await makeLinkCode('AB12', k.publicKey);
    const sealed = await sealHandover(code, k.publicKey, handover);
    // Same locator and the same two keys; only the code's secret part (then its check) differs.
    const other = code.slice(0, 4) + (code[4] === '0' ? '1' : '0') + code.slice(5);
    await rejects(openHandover(other, k, sealed), 'code-mismatch');
    const otherCheck = code.slice(0, 11) + (code[11] === '0' ? '1' : '0');
    await rejects(openHandover(otherCheck, k, sealed), 'code-mismatch');
  });

  it('LINK3: replay and substitution: a handover sealed for one slot does not open in another, and every changed field is refused', async () => {
    const k1 = await newLinkKey();
    const k2 = await newLinkKey();
    const code1 = await makeLinkCode('AB12', k1.publicKey);
    const sealed = await sealHandover(code1, k1.publicKey, handover);
    // Replayed to a new slot (a new key; the code made for it): it does not open.
    const code2 = await makeLinkCode('AB12', k2.publicKey);
    await rejects(openHandover(code2, k2, sealed), 'code-mismatch');
    // Another ephemeral key named as the sender (the server's own): the ECDH secret differs.
    const mallory = await newLinkKey();
    await rejects(openHandover(code1, k1, { ...sealed, publicKey: mallory.publicKey }), 'code-mismatch');
    // Every byte of iv and ciphertext counts.
    const bytes = Buffer.from(sealed.ciphertext, 'base64url');
    for (const i of [0, bytes.length >> 1, bytes.length - 1]) {
      const t = Buffer.from(bytes);
      t[i]! ^= 1;
      await rejects(openHandover(code1, k1, { ...sealed, ciphertext: t.toString('base64url') }), 'code-mismatch');
    }
    const iv = Buffer.from(sealed.iv, 'base64url');
    iv[0]! ^= 1;
    await rejects(openHandover(code1, k1, { ...sealed, iv: iv.toString('base64url') }), 'code-mismatch');
    for (const bad of [null, 'x', { ...sealed, v: 2 }, { ...sealed, iv: 'AAAA' }, { ...sealed, publicKey: 'AAAA' }]) {
      await rejects(openHandover(code1, k1, bad), 'malformed');
    }
  });

  it('LINK3: the AAD names the version, the locator and both keys (own purpose)', async () => {
    expect(new Set([PURPOSE.linkCheck, PURPOSE.linkSalt, PURPOSE.linkKey, PURPOSE.linkAad]).size).toBe(4);
    const { linkAad } = await import('../src/link.ts');
    const a = await newLinkKey();
    const b = await newLinkKey();
    const raw = (p: string) => new Uint8Array(Buffer.from(p, 'base64url'));
    expect(linkAad('AB12CD34EF56', a.publicKey, b.publicKey)).toEqual(canonical(PURPOSE.linkAad, [1, 'AB12', raw(a.publicKey), raw(b.publicKey)]));
  });

  it('LINK4: the handover has an exact shape, and its key file must name its user and its account key', async () => {
    expect(await parseHandover(handover)).toEqual(handover);
    await rejects(parseHandover({ ...handover, extra: 1 }), 'malformed');
    await rejects(parseHandover({ ...handover, v: 2 }), 'malformed');
    await rejects(parseHandover({ ...handover, userId: 'bob' }), 'malformed');
    await rejects(parseHandover(otherHandover), 'malformed');
    await rejects(parseHandover({ ...otherHandover, userId: 'bob' }), 'malformed');
    await rejects(parseHandover({ ...handover, keyFile: 'x'.repeat(20_000) }), 'malformed');
    await rejects(parseHandover({ ...handover, keyFile: '{}' }), 'malformed');
    // The existing device seals only a handover of this shape.
    const k = await newLinkKey();
    await rejects(sealHandover(await makeLinkCode('AB12', k.publicKey), k.publicKey, otherHandover), 'malformed');
  });
});
