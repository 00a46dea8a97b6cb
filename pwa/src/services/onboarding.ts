// Onboarding, in three steps the screen walks through: check the name, make the keys and
// the key file (nothing stored yet), then register once the user saved the key file.
import { USER_ID_RE, fingerprint, signRegistration, type Identity } from '../../../protocol/src/index.ts';
import { ApiError, type Api } from './api.ts';
import { AppError } from './warnings.ts';

export interface PendingAccount {
  userName: string;
  identity: Identity;
  keyFile: string;
}

/** Step 1: is the name well formed? (`nameIsFree` then asks the service, before any key is made.) */
export function checkUserName(userName: string): void {
  const userId = userName.trim().toLowerCase();
  if (!USER_ID_RE.test(userId)) {
    throw new AppError('user-name-format');
  }
}

/** Step 1, second half: is the name free? Asked before key generation (issue 16, bug 3). */
export async function nameIsFree(api: Api, userName: string): Promise<boolean> {
  return (await api.availability(userName.trim())).available;
}

/** Step 2: make the keys and the key file (Argon2id runs here), nothing stored yet. */
export async function generateAccount(userName: string, passphrase: string, onProgress: (stage: string, fraction: number) => void): Promise<PendingAccount> {
  const { createIdentity } = await import('./keyfile-ops.ts');
  const userId = userName.trim().toLowerCase();
  const { identity, keyFile } = await createIdentity(userId, passphrase, { onProgress });
  return { userName: userName.trim(), identity, keyFile };
}

/** Step 3 (first half): register the name with our key; a retry after a lost answer is fine. */
export async function registerAccount(api: Api, p: PendingAccount): Promise<void> {
  const proof = await signRegistration(p.identity);
  try {
    await api.register(p.userName, p.identity.public, proof);
  } catch (e) {
    // A retry after a lost answer: the name is ours if the directory holds our key.
    if (!(e instanceof ApiError && e.code === 'user_name_taken' && (await ownsName(api, p.identity)))) throw e;
  }
}

async function ownsName(api: Api, identity: Identity): Promise<boolean> {
  try {
    const k = await api.keys(identity.userId);
    return (await fingerprint(k.current.identity)) === (await fingerprint(identity.public));
  } catch {
    return false;
  }
}
