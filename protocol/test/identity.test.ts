import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import canonJson from '../vectors/canonical.json';
import keysJson from '../vectors/keys.json';
import {
  PURPOSE, ProtocolError, canonical, fingerprint, fromBase64Url, importPublicIdentity, safetyNumber, signLoginProof, signRegistration,
  sha256Sync, toBase64Url, toHex, verifyLoginProof, verifyRegistration, type PublicIdentity,
} from '../src/index.ts';
import { loadFixtures, type Fixtures } from './fixtures.ts';

let f: Fixtures;
beforeAll(async () => {
  f = await loadFixtures();
});
const nonce = () => toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
const origin = 'https://messagehub.example';

describe('encoding', () => {
  it('WIRE2: base64url round-trips every byte string and rejects non-canonical text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        expect(fromBase64Url(toBase64Url(b))).toEqual(b);
      }),
    );
    for (const bad of ['A', 'AB==', 'AB+/', 'AB', 'ABC', 'a b']) {
      if (bad === 'AB' || bad === 'ABC') expect(() => fromBase64Url(bad)).toThrow(/trailing/);
      else expect(() => fromBase64Url(bad)).toThrow(ProtocolError);
    }
    expect(fromBase64Url('AA')).toEqual(new Uint8Array([0]));
  });

  it('WIRE2: property: a string decodes exactly when it is canonical base64url, to what Node decodes', () => {
    // Alphabet characters, padding, standard base64's + and /, a space, and characters
    // past ASCII whose low bits are an alphabet character's ('Ł' is 0x141, 'A' 0x41).
    const chars = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_AQgw'.split(''), '=', '+', '/', ' ', 'Ł', 'é', '\u0000');
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 40 }).map((a) => a.join('')), (text) => {
        const canonicalText = /^[A-Za-z0-9_-]*$/.test(text) && text.length % 4 !== 1 && Buffer.from(text, 'base64url').toString('base64url') === text;
        if (canonicalText) expect(fromBase64Url(text)).toEqual(new Uint8Array(Buffer.from(text, 'base64url')));
        else expect(() => fromBase64Url(text)).toThrow(ProtocolError);
      }),
      { numRuns: 2000 },
    );
  });

  it('CANON1: known answers from vectors/canonical.json', () => {
    for (const c of canonJson.cases) {
      const fields = c.fields.map((x) => ('text' in x ? x.text! : 'bytes' in x ? fromBase64Url(x.bytes!) : 'uint' in x ? x.uint! : null));
      expect(toHex(canonical(c.purpose, fields))).toBe(c.hex);
    }
  });

  it('CANON1, PUR1, T2, M5: property: different purposes or field lists never encode alike', () => {
    const field = fc.oneof(fc.string({ maxLength: 6 }), fc.uint8Array({ maxLength: 6 }), fc.nat(), fc.constant(null));
    const purposes = Object.values(PURPOSE);
    expect(new Set(purposes).size).toBe(purposes.length);
    fc.assert(
      fc.property(fc.constantFrom(...purposes), fc.array(field, { maxLength: 4 }), fc.constantFrom(...purposes), fc.array(field, { maxLength: 4 }), (p1, f1, p2, f2) => {
        const same = p1 === p2 && JSON.stringify(f1.map(norm)) === JSON.stringify(f2.map(norm));
        expect(toHex(canonical(p1, f1)) === toHex(canonical(p2, f2))).toBe(same);
      }),
      { numRuns: 2000 },
    );
  });
});

function norm(x: string | Uint8Array | number | null): unknown {
  return x instanceof Uint8Array ? ['b', [...x]] : [typeof x, x];
}

describe('identity', () => {
  it('KEY4: importPublicIdentity validates shape, RSA size and Ed25519 size', async () => {
    const ok = await importPublicIdentity(f.pub.alice);
    expect(ok.fingerprint).toBe(keysJson.identities[0]!.fingerprint);
    const rsa2048 = await crypto.subtle.generateKey({ name: 'RSA-OAEP', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['encrypt', 'decrypt']);
    const small: PublicIdentity = { ...f.pub.alice, encryptionKey: toBase64Url(new Uint8Array(await crypto.subtle.exportKey('spki', rsa2048.publicKey))) };
    await expect(importPublicIdentity(small)).rejects.toMatchObject({ code: 'malformed' });
    await expect(importPublicIdentity({ ...f.pub.alice, signingKey: toBase64Url(new Uint8Array(31)) })).rejects.toMatchObject({ code: 'malformed' });
    await expect(importPublicIdentity({ ...f.pub.alice, userId: 'has space' })).rejects.toMatchObject({ code: 'malformed' });
    await expect(importPublicIdentity({ ...f.pub.alice, v: 2 } as unknown as PublicIdentity)).rejects.toMatchObject({ code: 'unsupported-version' });
  });

  it('SN1, M3: the fingerprint covers user id and both keys; swapping any of them changes it', async () => {
    const base = await fingerprint(f.pub.alice);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    for (const v of [keysJson.identities[0]!.fingerprint]) expect(base).toBe(v);
    const variants = [
      { ...f.pub.alice, userId: 'bob' },
      { ...f.pub.alice, encryptionKey: f.pub.bob.encryptionKey },
      { ...f.pub.alice, signingKey: f.pub.bob.signingKey },
    ];
    const fps = await Promise.all(variants.map((p) => fingerprint(p)));
    expect(new Set([base, ...fps]).size).toBe(4);
  });

  it('SN2, SN3, M2, M3: safety numbers are 60 digits, the same from both sides, and match the vectors', async () => {
    for (const v of keysJson.safetyNumbers) {
      const a = keysJson.identities.find((k) => k.userId === v.a)!.public as PublicIdentity;
      const b = keysJson.identities.find((k) => k.userId === v.b)!.public as PublicIdentity;
      const ab = await safetyNumber(a, b);
      expect(ab).toEqual({ digits: v.digits, qrPayload: v.qrPayload });
      expect(await safetyNumber(b, a)).toEqual(ab);
      expect(ab.digits).toMatch(/^[0-9]{60}$/);
    }
    const swapped = await safetyNumber(f.pub.alice, { ...f.pub.bob, signingKey: f.pub.mallory.signingKey });
    expect(swapped.digits.slice(0, 30)).toBe((await safetyNumber(f.pub.alice, f.pub.bob)).digits.slice(0, 30));
    expect(swapped.digits.slice(30)).not.toBe((await safetyNumber(f.pub.alice, f.pub.bob)).digits.slice(30));
    await expect(safetyNumber(f.pub.alice, f.pub.alice)).rejects.toMatchObject({ code: 'malformed' });
  });

  it('KEY5, T2: a registration proof verifies only for its own identity and is not a login proof', async () => {
    const proof = await signRegistration(f.ids.alice);
    expect(await verifyRegistration(f.pub.alice, proof)).toBe(true);
    expect(await verifyRegistration(f.pub.bob, proof)).toBe(false);
    expect(await verifyRegistration({ ...f.pub.alice, encryptionKey: f.pub.bob.encryptionKey }, proof)).toBe(false);
    expect(await verifyRegistration(f.pub.alice, 'garbage')).toBe(false);
    const n = nonce();
    expect(await verifyLoginProof(f.pub.alice, { nonce: n, origin, userId: 'alice' }, proof)).toBe(false);
  });
});

describe('login proof', () => {
  it('AUTH1, AUTH2: a proof verifies for its nonce, origin and user', async () => {
    const n = nonce();
    const proof = await signLoginProof(f.ids.alice, { nonce: n, origin });
    expect(await verifyLoginProof(f.pub.alice, { nonce: n, origin, userId: 'alice' }, proof)).toBe(true);
    for (const v of keysJson.loginProofs) {
      expect(await verifyLoginProof(f.pub.alice, { nonce: v.nonce, origin: v.origin, userId: v.userId }, v.proof)).toBe(v.expect);
    }
  });

  it('AUTH3, T1: a captured proof is useless for another nonce, origin or user', async () => {
    const n = nonce();
    const proof = await signLoginProof(f.ids.alice, { nonce: n, origin });
    expect(await verifyLoginProof(f.pub.alice, { nonce: nonce(), origin, userId: 'alice' }, proof)).toBe(false);
    expect(await verifyLoginProof(f.pub.alice, { nonce: n, origin: 'https://evil.example', userId: 'alice' }, proof)).toBe(false);
    expect(await verifyLoginProof(f.pub.bob, { nonce: n, origin, userId: 'bob' }, proof)).toBe(false);
    expect(await verifyLoginProof(f.pub.alice, { nonce: n, origin, userId: 'bob' }, proof)).toBe(false);
  });

  it('AUTH4, T2: nonces must be 256 bits; server-chosen bytes are never signed bare; verify never throws', async () => {
    await expect(signLoginProof(f.ids.alice, { nonce: toBase64Url(new Uint8Array(16)), origin })).rejects.toMatchObject({ code: 'malformed' });
    await expect(signLoginProof(f.ids.alice, { nonce: nonce(), origin: 'javascript:alert(1)' })).rejects.toMatchObject({ code: 'malformed' });
    // a bare Ed25519 signature over the nonce (what a server might try to obtain) is not a proof
    const n = nonce();
    const bare = toBase64Url(new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, f.ids.alice.signing.privateKey, fromBase64Url(n) as Uint8Array<ArrayBuffer>)));
    expect(await verifyLoginProof(f.pub.alice, { nonce: n, origin, userId: 'alice' }, bare)).toBe(false);
    for (const junk of [null, 1, '', '!!', 'A'.repeat(86)]) {
      expect(await verifyLoginProof(f.pub.alice, { nonce: n, origin, userId: 'alice' }, junk as unknown as string)).toBe(false);
    }
    expect(await verifyLoginProof(null as unknown as PublicIdentity, { nonce: n, origin, userId: 'alice' }, bare)).toBe(false);
  });
});

describe('sha256', () => {
  it('CANON2: the synchronous SHA-256 equals WebCrypto on known answers and random inputs', async () => {
    expect(toHex(sha256Sync(new TextEncoder().encode('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(toHex(sha256Sync(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (b) => {
        expect(toHex(sha256Sync(b))).toBe(toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', b as Uint8Array<ArrayBuffer>))));
      }),
      { numRuns: 300 },
    );
    for (const n of [55, 56, 63, 64, 65, 119, 120, 5000]) {
      const b = new Uint8Array(n).map((_, i) => i * 7);
      expect(toHex(sha256Sync(b))).toBe(toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', b))));
    }
  });
});

describe('wire and key import rules', () => {
  it('KEY3: private keys that do not belong to the public identity are refused', async () => {
    const { importIdentityKeys } = await import('../src/index.ts');
    const alice = keysJson.identities.find((k) => k.userId === 'alice')!;
    const bob = keysJson.identities.find((k) => k.userId === 'bob')!;
    await expect(importIdentityKeys(alice.public as PublicIdentity, fromBase64Url(bob.encryptionPkcs8), fromBase64Url(alice.signingPkcs8))).rejects.toMatchObject({ code: 'key-mismatch' });
    await expect(importIdentityKeys(alice.public as PublicIdentity, fromBase64Url(alice.encryptionPkcs8), fromBase64Url(bob.signingPkcs8))).rejects.toMatchObject({ code: 'key-mismatch' });
    const ok = await importIdentityKeys(alice.public as PublicIdentity, fromBase64Url(alice.encryptionPkcs8), fromBase64Url(alice.signingPkcs8));
    expect(ok.signing.privateKey.extractable).toBe(false);
    expect(ok.encryption.privateKey.extractable).toBe(false);
  });

  it('WIRE3: identifiers are short printable ASCII; message ids are lowercase UUIDs', async () => {
    const { isId, createEpoch, sealMessage } = await import('../src/index.ts');
    for (const good of ['alice', 'user@example.org', 'a.b_c-d:1', 'x'.repeat(128)]) expect(isId(good)).toBe(true);
    for (const bad of ['', 'x'.repeat(129), 'has space', 'ünï', 'a\u0000b', 'a/b', 42]) expect(isId(bad)).toBe(false);
    await expect(createEpoch({ conversationId: 'bad id', epoch: 0, creator: f.ids.alice, members: [f.pub.alice], previous: null })).rejects.toMatchObject({ code: 'malformed' });
    const { key } = await createEpoch({ conversationId: 'c', epoch: 0, creator: f.ids.alice, members: [f.pub.alice], previous: null });
    await expect(sealMessage({ conversationId: 'c', epoch: 0, epochKey: key, sender: f.ids.alice, clientMessageId: 'not-a-uuid', counter: 1, prevHash: null, plaintext: { type: 'text', body: '', composedAt: 0 } })).rejects.toMatchObject({ code: 'malformed' });
  });

  it('WIRE4: a public identity has exactly its four fields', async () => {
    const { parsePublicIdentity } = await import('../src/index.ts');
    expect(parsePublicIdentity(JSON.parse(JSON.stringify(f.pub.alice)))).toEqual(f.pub.alice);
    expect(() => parsePublicIdentity({ ...f.pub.alice, extra: 1 })).toThrow(ProtocolError);
    expect(() => parsePublicIdentity({ ...f.pub.alice, signingKey: f.pub.alice.signingKey + 'A' })).toThrow(ProtocolError);
    expect(() => parsePublicIdentity('alice')).toThrow(ProtocolError);
  });

  it('WIRE7: LIMITS hold: member cap, receipt refs, largest body fits the largest bucket', async () => {
    const { LIMITS, createEpoch, padPlaintext } = await import('../src/index.ts');
    const many = Array.from({ length: LIMITS.maxMembers + 1 }, (_, i) => ({ ...f.pub.alice, userId: i === 0 ? 'alice' : `m${String(i).padStart(3, '0')}` }));
    await expect(createEpoch({ conversationId: 'c', epoch: 0, creator: f.ids.alice, members: many, previous: null })).rejects.toMatchObject({ code: 'too-large' });
    const worst = padPlaintext({ type: 'text', body: '\u0001'.repeat(LIMITS.maxBodyChars), composedAt: Number.MAX_SAFE_INTEGER, refs: Array.from({ length: LIMITS.maxRefs }, () => crypto.randomUUID()) });
    expect(worst.length).toBe(LIMITS.paddingBuckets[LIMITS.paddingBuckets.length - 1]);
    expect(() => padPlaintext({ type: 'receipt', body: '', composedAt: 0, refs: Array.from({ length: LIMITS.maxRefs + 1 }, () => crypto.randomUUID()) })).toThrow(ProtocolError);
    expect(() => padPlaintext({ type: 'receipt', body: '', composedAt: 0 })).toThrow(ProtocolError);
    expect(() => padPlaintext({ type: 'text', body: '\uD800', composedAt: 0 })).toThrow(ProtocolError);
  });
});
