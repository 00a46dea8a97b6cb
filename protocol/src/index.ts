// Public surface of the MessageHub protocol. Pure and isomorphic: WebCrypto via
// globalThis.crypto.subtle, @noble/hashes and hash-wasm; no DOM, no Node APIs, no I/O.
export * from './rules.ts';
export * from './types.ts';
export * from './encoding.ts';
export * from './purpose.ts';
export * from './kdf.ts';
export * from './keyfile.ts';
export * from './identity.ts';
export * from './identity-keyfile.ts';
export * from './auth.ts';
export * from './account-proofs.ts';
export * from './epoch.ts';
export * from './padding.ts';
export * from './envelope.ts';
export * from './device.ts';
export * from './transcript.ts';
export * from './wire.ts';
export * from './sha256.ts';
export * from './epoch-policy.ts';
export * from './epoch-lookup.ts';
export * from './membership.ts';
export * from './group.ts';
export * from './attachment.ts';
export * from './link.ts';
export * from './event-fields.ts';
export * from './events.ts';
export * from './display-name.ts';
