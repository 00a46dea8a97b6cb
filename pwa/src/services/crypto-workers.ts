// The app's pool of crypto workers (protocol/src/message-crypto.ts): Ingest verifies and
// opens every message it receives through it, so a restore's thousands of Ed25519
// verifies and AES-GCM opens run on every core, not on the one thread that also parses,
// stores and draws. Where Worker does not exist (Node, the unit tests), this thread's own
// WebCrypto does the same work.
import { CryptoPool, cryptoPoolSize, subtleMessageCrypto, type MessageCrypto, type WorkerLike } from '../../../protocol/src/message-crypto.ts';

let shared: MessageCrypto | undefined;

export function messageCrypto(): MessageCrypto {
  if (shared) return shared;
  if (typeof Worker === 'undefined') return (shared = subtleMessageCrypto);
  return (shared = new CryptoPool({
    size: cryptoPoolSize(navigator.hardwareConcurrency),
    spawn: () => new Worker(new URL('../workers/crypto-worker.ts', import.meta.url), { type: 'module', name: 'crypto' }) as unknown as WorkerLike,
  }));
}

/** Before a restore's first page: the workers start while it logs in. */
export function warmMessageCrypto(): void {
  const c = messageCrypto();
  if (c instanceof CryptoPool) c.warm();
}
