// The key directory with trust on first use: the first key seen for a user is pinned; a
// different key later is held as pending and blocks sending until reviewed (THREATS M2),
// unless the directory's key history shows a rotation signed by the pinned key (ACCT5,
// THREATS L1): that one is followed with a notice.
import { classifyKeyChange, fingerprint, type KeyEntry, type PublicIdentity } from '../../../protocol/src/index.ts';
import type { ContactRow, Db, KeyChangeKind } from '../stores/db.ts';
import { getContact, observeKey, recordKeyChange, type PinOutcome } from '../stores/contacts.ts';
import { ApiError, type Api } from './api.ts';

export class UnknownUserError extends Error {
  constructor(userId: string) {
    super(`There is no user called “${userId}”.`);
    this.name = 'UnknownUserError';
  }
}

/** A key the directory offered for a user, checked to be for that user, not pinned. */
export interface FetchedKey {
  userId: string;
  displayName: string;
  identity: PublicIdentity;
  fingerprint: string;
  version: number | null;
  /** The directory's key history with the current entry, to explain a change (ACCT5). */
  keys?: { current: KeyEntry; history: KeyEntry[] };
}

export class Directory {
  private readonly db: Db;
  private readonly api: Api;
  constructor(db: Db, api: Api) {
    this.db = db;
    this.api = api;
  }

  /** Fetches the user's current key and pins it, or notices that it changed. */
  async lookup(userId: string): Promise<ContactRow> {
    return (await this.refresh(userId)).contact;
  }

  async refresh(userId: string): Promise<{ outcome: PinOutcome; contact: ContactRow }> {
    return this.pin(await this.fetchKey(userId));
  }

  /**
   * The user's current key, checked to be for that user but NOT pinned (LOOKUP3..LOOKUP5:
   * keys fetched for an epoch record are pinned only if the record opens).
   */
  async fetchKey(userId: string): Promise<FetchedKey> {
    let answer;
    try {
      answer = await this.api.keys(userId);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) throw new UnknownUserError(userId);
      throw e;
    }
    const identity = answer.current.identity;
    // M3: never trust the id the server names; the key must be for the user we asked for.
    if (identity.userId !== userId || answer.userId !== userId) throw new UnknownUserError(userId);
    return {
      userId, displayName: answer.displayName || userId, identity, fingerprint: await fingerprint(identity), version: answer.current.version,
      keys: { current: answer.current, history: answer.history ?? [] },
    };
  }

  /**
   * Pin a fetched key on first use, or notice that it changed (never silently replaced):
   * a change is explained by the key history once (ACCT5); only a rotation signed by the
   * pinned key is followed, with a notice; anything else stays pending and blocks.
   */
  async pin(key: FetchedKey): Promise<{ outcome: PinOutcome; contact: ContactRow }> {
    const { keys, ...row } = key;
    const observed = await observeKey(this.db, row);
    if (observed.outcome !== 'changed' || observed.contact.pending?.change) return observed;
    const change = keys ? await explainKeyChange(key.userId, observed.contact.fingerprint, keys.history, keys.current) : 'unexplained';
    const contact = await recordKeyChange(this.db, key.userId, key.fingerprint, change);
    return { outcome: 'changed', contact: contact ?? observed.contact };
  }

  /** Refreshes known contacts, quietly ignoring failures (offline). */
  async refreshAll(userIds: string[]): Promise<PinOutcome[]> {
    const out: PinOutcome[] = [];
    for (const id of userIds) {
      if (!(await getContact(this.db, id))) continue;
      try {
        out.push((await this.refresh(id)).outcome);
      } catch {
        // offline or unknown: nothing learned
      }
    }
    return out;
  }
}

/**
 * ACCT5 over a whole step: from the pinned key (found in the history by its fingerprint)
 * to `current`, every version in between must be a rotation signed by the one before it.
 * A reset anywhere is a reset; a rotation whose signature fails is 'forged-rotation'; a
 * pinned key missing from the history, or a history that goes backwards, is 'unexplained'.
 * Never throws.
 */
export async function explainKeyChange(userId: string, pinnedFingerprint: string, history: KeyEntry[], current: KeyEntry): Promise<KeyChangeKind> {
  try {
    const byVersion = new Map<number, KeyEntry>();
    for (const e of [...history, current]) if (e?.identity?.userId === userId) byVersion.set(e.version, e);
    let from: KeyEntry | undefined;
    for (const e of byVersion.values()) if ((await fingerprint(e.identity)) === pinnedFingerprint) from = e;
    if (!from || current.version <= from.version) return 'unexplained';
    let kind: KeyChangeKind = 'rotation';
    for (let v = from.version + 1; v <= current.version; v++) {
      const prev = byVersion.get(v - 1);
      const entry = v === current.version ? current : byVersion.get(v);
      if (!prev || !entry) return 'unexplained';
      const step = await classifyKeyChange(prev, entry);
      if (step === 'forged-rotation') return 'forged-rotation';
      if (step === 'reset') kind = 'reset';
    }
    return kind;
  } catch {
    return 'unexplained';
  }
}
