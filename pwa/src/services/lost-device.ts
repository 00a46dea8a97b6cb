// "I lost a device" (protocol DEV11, issue 12): one flow, from another device of the same
// account. In order, each step safe to repeat:
//  1. take in the log, then revoke the lost device (DEV8, with cut-offs after everything it
//     sent that reached the service, DEV9; the service ends its sessions and refuses its
//     logins, DEV13) and sign its session out (ACCT3) in case its login named no device;
//  2. make a new identity (KEY1: extractable only while its key file is sealed, as at
//     sign-up), keep it with the sealed key file in the settings store, and rotate to it,
//     signed by the current key (ACCT2), so contacts follow with a notice (ACCT5);
//  3. speak with the new identity here (the old public key is kept for what it signed),
//     and certify this device again under it (DEV11);
//  4. re-key every conversation: a new epoch wrapped to everyone's current keys, never to
//     the old key the lost device holds;
//  5. archive the old epoch keys (HIST3): every epoch this device holds that is wrapped to
//     the previous key is re-wrapped to the new one, signed by it and uploaded, so a device
//     restored from the new key file reads the whole history;
//  6. hand back the new key file, which stays on this device (sealed) until it is saved.
// Interrupted (reload, crash, offline), `runLostDevice` with the same device continues
// where it stopped: the state says which steps are done, the new keys are made once and
// sent again as they are, and a conversation already re-keyed is skipped.
import { fingerprint, signRegistration, signRotation, type Identity } from '../../../protocol/src/index.ts';
import { loadIdentity, saveIdentity } from '../stores/account.ts';
import { listConversations } from '../stores/conversations.ts';
import type { Db, IdentityRow } from '../stores/db.ts';
import { ApiError, type Api } from './api.ts';
import type { Device } from './device.ts';
import type { Session } from './session.ts';

const KEY = 'lost-device';

export interface LostDeviceState {
  deviceId: string;
  deviceName: string;
  /** The lost device's session when it was chosen (signed out too, ACCT3). */
  sessionId: string | null;
  /** 'start': nothing done; 'revoked': DEV8 done; 'rotated': the new key is this device's. */
  stage: 'start' | 'revoked' | 'rotated';
  /** The new identity (non-extractable keys) and its sealed key file, made once, before the rotation is sent. */
  pending: { identity: Identity; keyFile: string } | null;
  /**
   * HIST3: the identity before the rotation (non-extractable keys, as it was in the identity
   * row), kept only until its epochs are archived to the new key, then deleted with this state.
   */
  previous?: Identity | null;
}

export type LostStep = 'revoke' | 'keys' | 'rotate' | 'certify' | 'rekey' | 'archive' | 'done';
export interface LostProgress {
  step: LostStep;
  done: number;
  total: number;
}

export interface LostTarget {
  deviceId: string;
  deviceName: string;
  sessionId: string | null;
}

/** A flow that was interrupted, if any: the screen offers to continue it. */
export async function unfinishedLostDevice(db: Db): Promise<LostDeviceState | null> {
  return ((await db.get('settings', KEY))?.value as LostDeviceState | undefined) ?? null;
}

async function save(db: Db, st: LostDeviceState): Promise<void> {
  await db.put('settings', { key: KEY, value: st });
}

export interface LostDeps {
  db: Db;
  api: Api;
  session: Session;
  device: Device;
}

/**
 * Runs (or continues) the flow for `target`. `passphrase` seals the new key file; it is
 * needed only until the new keys are made (a continued flow may pass null). Returns the
 * new key file, sealed; it also stays in the identity row as `unsavedKeyFile` (the key
 * file reminder) until the user saves it.
 */
export async function runLostDevice(deps: LostDeps, target: LostTarget, passphrase: string | null, onProgress: (p: LostProgress) => void = () => undefined): Promise<{ keyFile: string; rekeyed: number }> {
  const { db, api, session, device } = deps;
  const me = device.keyring.me;
  // The screen offers neither of these; they guard the flow's own invariants.
  if (target.deviceId === (await device.deviceKeys.deviceId())) throw new Error('this is the device in use, not a lost one');
  let st = await unfinishedLostDevice(db);
  if (st && st.deviceId !== target.deviceId) {
    if (st.stage !== 'start') throw new Error('the flow for another lost device is not finished');
    st = null;
  }
  st ??= { ...target, stage: 'start', pending: null };
  await save(db, st);

  // 1. Revoke (DEV8): final, and the service answers a repeat with the stored record.
  if (st.stage === 'start') {
    onProgress({ step: 'revoke', done: 0, total: 1 });
    // DEV9: the cut-offs are the lost device's last messages this device accepted, so take
    // in everything the service has first: what it sent that we never saw is refused.
    await device.sync.pull({ live: true });
    await device.revocations.revoke(st.deviceId);
    if (st.sessionId) {
      try {
        await session.revokeDevice(st.sessionId);
      } catch (e) {
        // Already ended by the revocation (DEV13): nothing left to sign out.
        if (!(e instanceof ApiError && e.status === 404)) throw e;
      }
    }
    st = { ...st, stage: 'revoked' };
    await save(db, st);
  }

  // 2. New keys, made once; rotation signed by the current key (ACCT2).
  if (st.stage === 'revoked') {
    if (!st.pending) {
      if (!passphrase) throw new Error('a passphrase for the new key file is needed');
      onProgress({ step: 'keys', done: 0, total: 1 });
      const { createIdentity } = await import('./keyfile-ops.ts');
      const made = await createIdentity(me, passphrase, { onProgress: (_s, f) => onProgress({ step: 'keys', done: f, total: 1 }) });
      st = { ...st, pending: made };
      await save(db, st);
    }
    onProgress({ step: 'rotate', done: 0, total: 1 });
    const next = st.pending!;
    const nextFp = await fingerprint(next.identity.public);
    const keys = await api.keys(me);
    if ((await fingerprint(keys.current.identity)) !== nextFp) {
      const current = device.keyring.identity;
      const ch = await api.accountChallenge('rotate');
      const signature = await signRotation(current, { nonce: ch.nonce, fromVersion: keys.current.version }, next.identity.public);
      await api.rotateKeys({ identity: next.identity.public, proof: await signRegistration(next.identity), challengeId: ch.challengeId, signature });
    }
    // 3. This device speaks with the new identity; the old public key stays known.
    const row = (await loadIdentity(db))!;
    // HIST3: the old private keys stay (in this state only) until step 5 has archived with them.
    if (row.fingerprint !== nextFp) {
      st = { ...st, previous: { userId: row.userId, public: row.public, encryption: row.encryption, signing: row.signing } };
      await save(db, st);
    }
    const previousKeys = row.fingerprint === nextFp ? row.previousKeys ?? [] : [...(row.previousKeys ?? []), row.public];
    const { id: _id, ...rest } = row;
    const adopted: Omit<IdentityRow, 'id'> = {
      ...rest, public: next.identity.public, encryption: next.identity.encryption, signing: next.identity.signing, fingerprint: nextFp,
      keyFileConfirmedAt: null, unsavedKeyFile: next.keyFile, previousKeys,
      // The new key file is the one this device hands to a device linked by code (LINK4).
      sealedKeyFile: next.keyFile,
    };
    // In the sync queue: no entry is being taken in while this device changes its key.
    await device.sync.enqueue(async () => {
      await saveIdentity(db, adopted);
      session.identity = next.identity;
      device.keyring.replaceIdentity(next.identity, previousKeys);
    });
    st = { ...st, stage: 'rotated', pending: null };
    await save(db, st);
  }

  // 3 (continued). Certified again under the new key (DEV11) and published; idempotent.
  onProgress({ step: 'certify', done: 0, total: 1 });
  const signer = await device.deviceKeys.signer();
  await api.publishDevice(signer.cert);

  // 4. A new epoch in every conversation, wrapped to the members' current keys.
  const conversations = await listConversations(db);
  let rekeyed = 0;
  for (let i = 0; i < conversations.length; i++) {
    onProgress({ step: 'rekey', done: i, total: conversations.length });
    // In the sync queue, as every membership change is: our own new epoch, pushed back by the
    // socket before the service's answer, must not be taken in before it is stored (L7).
    const cid = conversations[i]!.conversationId;
    if (await device.sync.enqueue(() => device.composer.rekeyOwn(cid))) rekeyed++;
  }
  // 5. HIST3: the old epoch keys, re-wrapped to the new key, for a device restored from the new key file.
  if (st.previous) {
    const { archiveOwnEpochs } = await import('./online.ts');
    await archiveOwnEpochs({ db, api, current: device.keyring.identity, previous: st.previous, onProgress: (done, total) => onProgress({ step: 'archive', done, total }) });
  }
  onProgress({ step: 'done', done: conversations.length, total: conversations.length });
  await db.delete('settings', KEY);
  const keyFile = (await loadIdentity(db))?.unsavedKeyFile;
  if (!keyFile) throw new Error('the new key file is missing');
  return { keyFile, rekeyed };
}
