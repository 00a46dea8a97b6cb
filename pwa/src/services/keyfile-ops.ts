// The key-file operations (Argon2id), loaded only by the onboarding and restore screens.
export { createIdentity, importKeyFile, KeyFileError } from '../../../protocol/src/index.ts';
