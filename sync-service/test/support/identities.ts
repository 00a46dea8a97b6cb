// Test identities from ../fixtures/identities.json (made by make-identities.ts):
// importing takes milliseconds, where generating RSA-3072 keys takes seconds and a
// key file's Argon2id much more. These keys protect nothing.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromBase64Url, importIdentityKeys, signRegistration, type Identity, type PublicIdentity } from '../../../protocol/src/index.ts';

export const NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'mallory', 'trent', 'victor'] as const;
export type Name = (typeof NAMES)[number];

interface Raw { encryptionSpki: string; encryptionPkcs8: string; signingRaw: string; signingPkcs8: string }
const FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/identities.json');

/** An identity for `userId` made from the fixture keys of `name` (so any user name can be tested). */
export async function identity(name: Name, userId: string = name): Promise<Identity> {
  const raw = (JSON.parse(readFileSync(FILE, 'utf8')) as Record<Name, Raw>)[name];
  const pub: PublicIdentity = { v: 1, userId, encryptionKey: raw.encryptionSpki, signingKey: raw.signingRaw };
  return importIdentityKeys(pub, fromBase64Url(raw.encryptionPkcs8), fromBase64Url(raw.signingPkcs8));
}

export async function identities(): Promise<Record<Name, Identity>> {
  const out = {} as Record<Name, Identity>;
  for (const name of NAMES) out[name] = await identity(name);
  return out;
}

export async function registration(id: Identity, userName: string = id.userId) {
  return { userName, identity: id.public, proof: await signRegistration(id) };
}
