// The key-file operations (Argon2id), loaded only by the screens that need them:
// onboarding, restore, and making a new key file from Settings.
import { KeyFileError, fingerprint, importIdentityKeys, parsePublicIdentity, readKeyFile, writeKeyFile, type PublicIdentity } from '../../../protocol/src/index.ts';

export { createIdentity, importKeyFile, KeyFileError, warmUpKdf } from '../../../protocol/src/index.ts';

/** Why a key file could not be made again: the four key-file codes, or a file of another account. */
export type RewrapErrorCode = KeyFileError['code'] | 'other-account';

export class RewrapError extends Error {
  readonly code: RewrapErrorCode;
  constructor(code: RewrapErrorCode, message: string) {
    super(message);
    this.name = 'RewrapError';
    this.code = code;
  }
}

/**
 * A new key file for this device's account under a new passphrase, from a key file the
 * user holds and its passphrase. This device's private keys are non-extractable, so the
 * key material can only come from a key file: it is opened (KF7), checked to be this
 * account's current key (`me`) and to hold matching private keys (KEY3), and sealed again
 * with a fresh salt and IV; the bytes in between are zeroed. Errors: RewrapError with the
 * key file's own code, or 'other-account' for another user's (or another key's) file.
 */
export async function rewrapKeyFile(keyFileText: string, passphrase: string, newPassphrase: string, me: PublicIdentity): Promise<string> {
  const mine = await fingerprint(me);
  let secrets;
  try {
    secrets = await readKeyFile(keyFileText, passphrase);
  } catch (e) {
    if (!(e instanceof KeyFileError)) throw e;
    // A wrong passphrase for a file that names another key is told as that: plainer.
    if (e.code === 'wrong-passphrase' && (await headerFingerprint(keyFileText)) !== mine) throw otherAccount(keyFileText, me);
    throw new RewrapError(e.code, e.message);
  }
  try {
    if ((await fingerprint(secrets.pub)) !== mine) throw otherAccount(keyFileText, me);
    try {
      await importIdentityKeys(secrets.pub, secrets.encryptionPkcs8, secrets.signingPkcs8);
    } catch {
      throw new RewrapError('damaged', 'key file is damaged: keys are unusable');
    }
    return await writeKeyFile(secrets, newPassphrase);
  } finally {
    secrets.encryptionPkcs8.fill(0);
    secrets.signingPkcs8.fill(0);
  }
}

async function headerFingerprint(text: string): Promise<string | null> {
  try {
    return await fingerprint(parsePublicIdentity((JSON.parse(text) as { public: unknown }).public));
  } catch {
    return null;
  }
}

function otherAccount(text: string, me: PublicIdentity): RewrapError {
  let named = '';
  try {
    named = String((JSON.parse(text) as { userId?: unknown }).userId ?? '');
  } catch {
    // unreadable: say only that it is not ours
  }
  return named && named !== me.userId
    ? new RewrapError('other-account', `This key file belongs to ${named}, not to ${me.userId}.`)
    : new RewrapError('other-account', `This key file holds a different key than the one ${me.userId} uses on this device.`);
}
