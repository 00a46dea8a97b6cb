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
