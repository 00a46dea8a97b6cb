// Account changes (ACCT1..ACCT5, THREATS L1): rotation, session revocation and reset
// cancellation are signed by the current key over a server nonce, each under its own purpose.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  PURPOSE, cancelResetInput, classifyKeyChange, fromBase64Url, importIdentityKeys, revokeSessionInput, rotationInput,
  signCancelReset, signLoginProof, signRegistration, signRevokeSession, signRotation, toBase64Url, toHex,
  verifyCancelReset, verifyLoginProof, verifyRegistration, verifyRevokeSession, verifyRotation,
  type Identity, type KeyHistoryEntry, type PublicIdentity,
} from '../src/index.ts';
import { keyVectors, loadFixtures, mutationsOf, type Fixtures } from './fixtures.ts';

let f: Fixtures;
/** Alice's second and third keys (bob's and carol's fixture keys under the user id alice). */
let alice2: Identity;
let alice3: Identity;
beforeAll(async () => {
  f = await loadFixtures();
  const as = async (name: string) => {
    const k = keyVectors.find((v) => v.userId === name)!;
    return importIdentityKeys({ ...k.public, userId: 'alice' }, fromBase64Url(k.encryptionPkcs8), fromBase64Url(k.signingPkcs8));
  };
  alice2 = await as('bob');
  alice3 = await as('carol');
});
const nonce = () => toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
const sessionId = '3f1c2a4e-9b7d-4c1e-8a2f-0d6b5e4c3a21';
const resetId = '7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d';

describe('key rotation', () => {
  it('ACCT2, L1: the current key signs the next one; the signature verifies only for that nonce, version and new identity', async () => {
    const n = nonce();
    const sig = await signRotation(f.ids.alice, { nonce: n, fromVersion: 1 }, alice2.public);
    expect(await verifyRotation(f.pub.alice, { nonce: n, fromVersion: 1 }, alice2.public, sig)).toBe(true);
    // another nonce, another position in the history, another new key, another signer
    expect(await verifyRotation(f.pub.alice, { nonce: nonce(), fromVersion: 1 }, alice2.public, sig)).toBe(false);
    expect(await verifyRotation(f.pub.alice, { nonce: n, fromVersion: 2 }, alice2.public, sig)).toBe(false);
    expect(await verifyRotation(f.pub.alice, { nonce: n, fromVersion: 1 }, alice3.public, sig)).toBe(false);
    expect(await verifyRotation(alice2.public, { nonce: n, fromVersion: 1 }, alice2.public, sig)).toBe(false);
    // the new key cannot certify itself (what a token thief holds)
    const self = await signRotation(alice2, { nonce: n, fromVersion: 1 }, alice2.public);
    expect(await verifyRotation(f.pub.alice, { nonce: n, fromVersion: 1 }, alice2.public, self)).toBe(false);
  });

  it('ACCT2: tamper test: every changed field of the input or the signature fails; verify never throws', async () => {
    const n = nonce();
    const sig = await signRotation(f.ids.alice, { nonce: n, fromVersion: 1 }, alice2.public);
    const base = { previous: f.pub.alice, nonce: n, fromVersion: 1, next: alice2.public, sig };
    let cases = 0;
    for (const key of ['nonce', 'fromVersion', 'sig'] as const) {
      for (const m of mutationsOf(base[key])) {
        const t = { ...base, [key]: m };
        cases++;
        expect(await verifyRotation(t.previous, { nonce: t.nonce as string, fromVersion: t.fromVersion as number }, t.next, t.sig as string), `${key}`).toBe(false);
      }
    }
    // The previous entry counts through its signing key and user id (its encryption key signs nothing).
    for (const [who, fields] of [['previous', ['userId', 'signingKey', 'v']], ['next', ['userId', 'encryptionKey', 'signingKey', 'v']]] as const) {
      for (const field of fields) {
        for (const m of mutationsOf(base[who][field]).slice(0, 40)) {
          const t = { ...base, [who]: { ...base[who], [field]: m } as PublicIdentity };
          cases++;
          expect(await verifyRotation(t.previous, { nonce: n, fromVersion: 1 }, t.next, sig), `${who}.${field}`).toBe(false);
        }
      }
    }
    expect(cases).toBeGreaterThan(100);
    expect(await verifyRotation(null as unknown as PublicIdentity, { nonce: n, fromVersion: 1 }, alice2.public, sig)).toBe(false);
  });

  it('ACCT1: nonces are exactly 256 bits and an identity for another user is refused when signing', async () => {
    await expect(signRotation(f.ids.alice, { nonce: toBase64Url(new Uint8Array(16)), fromVersion: 1 }, alice2.public)).rejects.toMatchObject({ code: 'malformed' });
    await expect(signRotation(f.ids.alice, { nonce: nonce(), fromVersion: 0 }, alice2.public)).rejects.toMatchObject({ code: 'malformed' });
    await expect(signRotation(f.ids.alice, { nonce: nonce(), fromVersion: 1 }, f.pub.bob)).rejects.toMatchObject({ code: 'malformed' });
    await expect(signRevokeSession(f.ids.alice, 'short', sessionId)).rejects.toMatchObject({ code: 'malformed' });
    await expect(signCancelReset(f.ids.alice, nonce(), 'not an id!')).rejects.toMatchObject({ code: 'malformed' });
  });
});

describe('session revocation and reset cancellation', () => {
  it('ACCT3, L1: a revocation is signed by the current key for one nonce and one session', async () => {
    const n = nonce();
    const sig = await signRevokeSession(f.ids.alice, n, sessionId);
    expect(await verifyRevokeSession(f.pub.alice, n, sessionId, sig)).toBe(true);
    expect(await verifyRevokeSession(f.pub.alice, nonce(), sessionId, sig)).toBe(false);
    expect(await verifyRevokeSession(f.pub.alice, n, resetId, sig)).toBe(false);
    expect(await verifyRevokeSession(f.pub.bob, n, sessionId, sig)).toBe(false);
    for (const m of mutationsOf(sig)) expect(await verifyRevokeSession(f.pub.alice, n, sessionId, m as string)).toBe(false);
  });

  it('ACCT4, L1: a cancellation is signed by the current key for one nonce and one reset', async () => {
    const n = nonce();
    const sig = await signCancelReset(f.ids.alice, n, resetId);
    expect(await verifyCancelReset(f.pub.alice, n, resetId, sig)).toBe(true);
    expect(await verifyCancelReset(f.pub.alice, nonce(), resetId, sig)).toBe(false);
    expect(await verifyCancelReset(f.pub.alice, n, sessionId, sig)).toBe(false);
    expect(await verifyCancelReset(alice2.public, n, resetId, sig)).toBe(false);
    for (const m of mutationsOf(sig)) expect(await verifyCancelReset(f.pub.alice, n, resetId, m as string)).toBe(false);
  });
});

describe('domain separation', () => {
  it('ACCT1, PUR1, T2: the account purposes are distinct, and a signature made for one never verifies as another', async () => {
    expect(new Set([PURPOSE.rotate, PURPOSE.revokeSession, PURPOSE.cancelReset, PURPOSE.auth, PURPOSE.register]).size).toBe(5);
    const n = nonce();
    // Same nonce, user and subject under each purpose: different bytes.
    const inputs = [revokeSessionInput('alice', n, sessionId), cancelResetInput('alice', n, sessionId), rotationInput('alice', { nonce: n, fromVersion: 1 }, alice2.public)];
    expect(new Set(inputs.map(toHex)).size).toBe(3);
    const revoke = await signRevokeSession(f.ids.alice, n, sessionId);
    const cancel = await signCancelReset(f.ids.alice, n, sessionId);
    const rotate = await signRotation(f.ids.alice, { nonce: n, fromVersion: 1 }, alice2.public);
    const login = await signLoginProof(f.ids.alice, { nonce: n, origin: 'https://messagehub.example' });
    const register = await signRegistration(f.ids.alice);
    expect(await verifyCancelReset(f.pub.alice, n, sessionId, revoke)).toBe(false);
    expect(await verifyRevokeSession(f.pub.alice, n, sessionId, cancel)).toBe(false);
    for (const other of [revoke, cancel, login, register]) {
      expect(await verifyRotation(f.pub.alice, { nonce: n, fromVersion: 1 }, alice2.public, other)).toBe(false);
      expect(await verifyRevokeSession(f.pub.alice, n, sessionId, other === revoke ? cancel : other)).toBe(false);
    }
    for (const other of [revoke, cancel, rotate]) {
      expect(await verifyLoginProof(f.pub.alice, { nonce: n, origin: 'https://messagehub.example', userId: 'alice' }, other)).toBe(false);
      expect(await verifyRegistration(f.pub.alice, other)).toBe(false);
    }
    // A bare signature over the server's nonce is none of them.
    const bare = toBase64Url(new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, f.ids.alice.signing.privateKey, fromBase64Url(n) as Uint8Array<ArrayBuffer>)));
    expect(await verifyRevokeSession(f.pub.alice, n, sessionId, bare)).toBe(false);
  });
});

describe('key history', () => {
  async function rotated(prev: Identity, version: number, next: Identity): Promise<KeyHistoryEntry> {
    const n = nonce();
    return {
      version: version + 1, identity: next.public, proof: await signRegistration(next), kind: 'rotation',
      rotation: { nonce: n, signature: await signRotation(prev, { nonce: n, fromVersion: version }, next.public) },
    };
  }

  it('ACCT5, L1: a client follows signed rotations version by version and treats everything else as a reset or a forgery', async () => {
    const v1: KeyHistoryEntry = { version: 1, identity: f.pub.alice, proof: await signRegistration(f.ids.alice), kind: 'initial' };
    const v2 = await rotated(f.ids.alice, 1, alice2);
    const v3 = await rotated(alice2, 2, alice3);
    expect(await classifyKeyChange(v1, v2)).toBe('rotation');
    expect(await classifyKeyChange(v2, v3)).toBe('rotation');
    // v3 is not signed by v1: skipping a version, or the server relabelling, is caught
    expect(await classifyKeyChange(v1, { ...v3, version: 2 })).toBe('forged-rotation');
    expect(await classifyKeyChange(v1, v3)).toBe('forged-rotation');
    // a rotation "signed" by the new key itself (a token thief's) is a forgery
    const selfSigned = await rotated(alice2, 1, alice2);
    expect(await classifyKeyChange(v1, selfSigned)).toBe('forged-rotation');
    expect(await classifyKeyChange(v1, { ...v2, rotation: null })).toBe('forged-rotation');
    // an unsigned change is a reset, whatever else it carries
    expect(await classifyKeyChange(v1, { ...v2, kind: 'reset' })).toBe('reset');
    expect(await classifyKeyChange(v1, { ...v2, kind: 'initial' })).toBe('reset');
  });
});
