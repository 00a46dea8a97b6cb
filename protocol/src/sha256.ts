// Synchronous SHA-256 for the protocol's small hash inputs: chain links,
// fingerprints, commitments, checksums. WebCrypto's digest is async and, in Node,
// a thread-pool round trip per call; on a 500-byte input that hop costs more than
// the hashing, and it sits on every message open (see bench/). The hashing itself
// is @noble/hashes (audited, pure JavaScript, the same code in the browser and in
// Node); tests compare it against crypto.subtle.digest on random inputs.
import { sha256 } from '@noble/hashes/sha2.js';

export function sha256Sync(data: Uint8Array): Uint8Array {
  return sha256(data);
}

/** SHA-256 of the parts one after the other, without joining them into a copy first. */
export function sha256Parts(...parts: Uint8Array[]): Uint8Array {
  const h = sha256.create();
  for (const p of parts) h.update(p);
  return h.digest();
}
