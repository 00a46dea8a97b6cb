// Fixed test identities (sync-service/test/fixtures/identities.json): importing a
// key costs milliseconds, generating an RSA-3072 pair costs a second. These keys
// protect nothing; they only let tests play real clients with the real protocol.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromBase64Url, importIdentityKeys, type Identity, type PublicIdentity } from '../../../protocol/src/index.ts';

export type FixtureName = 'alice' | 'bob' | 'carol' | 'dave' | 'erin' | 'mallory' | 'trent' | 'victor';

interface KeyMaterial { encryptionSpki: string; encryptionPkcs8: string; signingRaw: string; signingPkcs8: string }

const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../sync-service/test/fixtures/identities.json');
const material = JSON.parse(readFileSync(file, 'utf8')) as Record<FixtureName, KeyMaterial>;

export const FIXTURE_NAMES = Object.keys(material) as FixtureName[];

/** The public identity of fixture `keys` under the user id `userId` (any valid id). */
export function publicOf(keys: FixtureName, userId: string = keys): PublicIdentity {
  const m = material[keys];
  return { v: 1, userId, encryptionKey: m.encryptionSpki, signingKey: m.signingRaw };
}

/** A full identity (non-extractable private keys) for fixture `keys` under `userId`. */
export async function fixtureIdentity(keys: FixtureName, userId: string = keys): Promise<Identity> {
  const m = material[keys];
  return importIdentityKeys(publicOf(keys, userId), fromBase64Url(m.encryptionPkcs8), fromBase64Url(m.signingPkcs8));
}

/** The private keys as PKCS#8 bytes, for writing key files in tests. */
export function secretsOf(keys: FixtureName, userId: string = keys): { pub: PublicIdentity; encryptionPkcs8: Uint8Array; signingPkcs8: Uint8Array } {
  const m = material[keys];
  return { pub: publicOf(keys, userId), encryptionPkcs8: fromBase64Url(m.encryptionPkcs8), signingPkcs8: fromBase64Url(m.signingPkcs8) };
}

/**
 * An identity that claims `victim`'s name and public keys but holds `forger`'s private
 * keys: what a server or a member would need to forge in someone else's name.
 */
export function impostor(victim: Identity, forger: Identity): Identity {
  return { userId: victim.userId, public: victim.public, encryption: forger.encryption, signing: forger.signing };
}
