// Shared test fixtures: the fixed identities of vectors/keys.json, imported once
// per test file (RSA-3072 generation costs seconds; importing costs milliseconds).
import keysJson from '../vectors/keys.json';
import {
  ProtocolError, epochSigningInput, fromBase64Url, importIdentityKeys, importPublicIdentity, toBase64Url,
  type EpochRecord, type Identity, type ImportedIdentity, type PublicIdentity,
} from '../src/index.ts';

export type UserName = 'alice' | 'bob' | 'carol' | 'mallory';

export interface KeyVector {
  userId: string;
  public: PublicIdentity;
  encryptionPkcs8: string;
  signingPkcs8: string;
  fingerprint: string;
}

export const keyVectors = keysJson.identities as KeyVector[];

export interface Fixtures {
  ids: Record<UserName, Identity>;
  pub: Record<UserName, PublicIdentity>;
  imported: Record<UserName, ImportedIdentity>;
  /** Everyone pins everyone in keys.json. */
  resolve: (userId: string) => PublicIdentity | undefined;
}

export async function loadFixtures(): Promise<Fixtures> {
  const ids = {} as Record<UserName, Identity>;
  const pub = {} as Record<UserName, PublicIdentity>;
  const imported = {} as Record<UserName, ImportedIdentity>;
  for (const k of keyVectors) {
    const name = k.userId as UserName;
    ids[name] = await importIdentityKeys(k.public, fromBase64Url(k.encryptionPkcs8), fromBase64Url(k.signingPkcs8));
    pub[name] = k.public;
    imported[name] = await importPublicIdentity(k.public);
  }
  const byId = new Map(keyVectors.map((k) => [k.userId, k.public]));
  return { ids, pub, imported, resolve: (u) => byId.get(u) };
}

/** `r` signed again by `signer` (a record whose signature is valid but whose content the test chose). */
export async function resignEpoch(r: EpochRecord, signer: Identity): Promise<EpochRecord> {
  const s = await crypto.subtle.sign({ name: 'Ed25519' }, signer.signing.privateKey, epochSigningInput(r) as Uint8Array<ArrayBuffer>);
  return { ...r, sig: toBase64Url(new Uint8Array(s)) };
}

/** 'opened', or the code of the ProtocolError that `p` rejected with (any other error is rethrown). */
export async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'opened';
  } catch (e) {
    if (e instanceof ProtocolError) return e.code;
    throw e;
  }
}

/** Every way to change one value: each byte of base64url fields flipped, strings and numbers altered. */
export function mutationsOf(value: unknown): unknown[] {
  if (value === null) return ['0'.repeat(64), 0, ''];
  if (typeof value === 'number') return [value + 1, value - 1, -value - 1, value + 0.5, String(value), null];
  if (typeof value === 'boolean') return [!value];
  if (typeof value === 'string') {
    const out: unknown[] = [null, '', value + 'A', value.slice(1)];
    let bytes: Uint8Array | null;
    try {
      bytes = fromBase64Url(value);
    } catch {
      bytes = null;
    }
    if (bytes !== null && bytes.length > 0 && value.length >= 16) {
      for (let i = 0; i < bytes.length; i++) {
        const b = bytes.slice();
        b[i] = b[i]! ^ (1 << (i % 8));
        out.push(toB64(b));
      }
    } else {
      for (let i = 0; i < value.length; i++) {
        const c = value.charCodeAt(i);
        out.push(value.slice(0, i) + String.fromCharCode(c === 0x61 ? 0x62 : c ^ 1) + value.slice(i + 1));
      }
    }
    return out;
  }
  return [null, 'x'];
}

function toB64(b: Uint8Array): string {
  const bin = String.fromCharCode(...b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Every leaf path of a JSON value, e.g. ['members', 1, 'fingerprint']. */
export function leafPaths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(v)) return v.flatMap((x, i) => leafPaths(x, [...prefix, i]));
  if (typeof v === 'object' && v !== null) return Object.entries(v).flatMap(([k, x]) => leafPaths(x, [...prefix, k]));
  return [prefix];
}

export function getAt(v: unknown, path: (string | number)[]): unknown {
  let cur: unknown = v;
  for (const k of path) cur = (cur as Record<string | number, unknown>)[k];
  return cur;
}

export function setAt<T>(v: T, path: (string | number)[], value: unknown): T {
  const copy = structuredClone(v);
  let cur = copy as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
  cur[path[path.length - 1]!] = value;
  return copy;
}
