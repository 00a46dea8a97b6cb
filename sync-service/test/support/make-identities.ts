// Generates the test identities in ../fixtures/identities.json (run once: `npx tsx sync-service/test/support/make-identities.ts`).
// RSA-3072 key generation takes about a second each; tests import these keys instead
// (no key file, no Argon2: these keys never protect anything).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'mallory', 'trent', 'victor'];
const subtle = globalThis.crypto.subtle;
const b64 = (b: ArrayBuffer) => Buffer.from(b).toString('base64url');

const out: Record<string, { encryptionSpki: string; encryptionPkcs8: string; signingRaw: string; signingPkcs8: string }> = {};
for (const name of NAMES) {
  const enc = await subtle.generateKey({ name: 'RSA-OAEP', modulusLength: 3072, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['encrypt', 'decrypt']);
  const sig = (await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  out[name] = {
    encryptionSpki: b64(await subtle.exportKey('spki', enc.publicKey)),
    encryptionPkcs8: b64(await subtle.exportKey('pkcs8', enc.privateKey)),
    signingRaw: b64(await subtle.exportKey('raw', sig.publicKey)),
    signingPkcs8: b64(await subtle.exportKey('pkcs8', sig.privateKey)),
  };
}
const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/identities.json');
writeFileSync(file, JSON.stringify(out, null, 1) + '\n');
console.log(`wrote ${NAMES.length} identities to ${file}`);
