// Passphrase key derivation (KF3, KF4): Argon2id through hash-wasm, which runs
// the same WebAssembly in the browser and in Node. hash-wasm is imported when a key is
// derived, not with this module, so that an app's start bundle does not carry the
// Argon2 WebAssembly (it is only needed to create or open a key file).
import { buf } from './encoding.ts';

export interface KdfParams {
  alg: 'argon2id';
  memoryKiB: number;
  passes: number;
  parallelism: number;
}

/** RFC 9106's second recommended option: 64 MiB, 3 passes, 1 lane. */
export const KDF_DEFAULTS: Readonly<KdfParams> = { alg: 'argon2id', memoryKiB: 65536, passes: 3, parallelism: 1 };

/**
 * KF4 (C2): nothing below this is ever written or read, whatever the file says.
 * The ceiling stops a hostile file from making the client allocate gigabytes.
 */
export const KDF_FLOOR = { memoryKiB: 65536, passes: 3, parallelism: 1 } as const;
export const KDF_CEILING = { memoryKiB: 4 * 1024 * 1024, passes: 64, parallelism: 16 } as const;

export const KDF_SALT_BYTES = 16;

export function kdfParamsAcceptable(p: KdfParams): boolean {
  return (
    p.alg === 'argon2id' &&
    Number.isSafeInteger(p.memoryKiB) && p.memoryKiB >= KDF_FLOOR.memoryKiB && p.memoryKiB <= KDF_CEILING.memoryKiB &&
    Number.isSafeInteger(p.passes) && p.passes >= KDF_FLOOR.passes && p.passes <= KDF_CEILING.passes &&
    Number.isSafeInteger(p.parallelism) && p.parallelism >= KDF_FLOOR.parallelism && p.parallelism <= KDF_CEILING.parallelism
  );
}

/** Derives a non-extractable AES-256-GCM key; the raw bytes are wiped after import. */
export async function deriveKeyFileKey(passphrase: string, salt: Uint8Array, p: KdfParams): Promise<CryptoKey> {
  const { argon2id } = await import('hash-wasm');
  const raw = await argon2id({
    password: passphrase.normalize('NFC'), // KF3: the same passphrase typed on any device gives the same key
    salt,
    parallelism: p.parallelism,
    iterations: p.passes,
    memorySize: p.memoryKiB,
    hashLength: 32,
    outputType: 'binary',
  });
  try {
    return await globalThis.crypto.subtle.importKey('raw', buf(raw), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
  } finally {
    raw.fill(0);
  }
}

/**
 * Loads hash-wasm and compiles its Argon2id and BLAKE2b WebAssembly (hash-wasm keeps the
 * compiled modules) ahead of a derivation: a screen that is about to ask for a passphrase
 * calls it when shown, so the user's typing hides that cost. One tiny Argon2id run (8 KiB,
 * one pass) on a fixed input, its output dropped: no secret is involved. Never throws; the
 * real derivation reports any failure.
 */
export async function warmUpKdf(): Promise<void> {
  try {
    const { argon2id } = await import('hash-wasm');
    await argon2id({ password: 'warm-up', salt: new Uint8Array(KDF_SALT_BYTES), parallelism: 1, iterations: 1, memorySize: 8, hashLength: 32, outputType: 'binary' });
  } catch {
    // nothing to do: deriveKeyFileKey loads and compiles again
  }
}
