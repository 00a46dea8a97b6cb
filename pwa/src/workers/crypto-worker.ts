// A crypto worker of the pool (protocol/src/message-crypto.ts): Ed25519 verifies and
// AES-GCM opens for the main thread, which keeps every check and decision. It imports
// only the protocol's message-crypto module, so it stays a small file of its own.
import { cryptoBatchRunner, type CryptoBatch } from '../../../protocol/src/message-crypto.ts';

const run = cryptoBatchRunner();
const scope = self as unknown as { onmessage: ((e: MessageEvent<CryptoBatch>) => void) | null; postMessage(m: unknown, transfer: Transferable[]): void };

scope.onmessage = (e) => {
  void run(e.data).then(({ reply, transfer }) => scope.postMessage(reply, transfer));
};
