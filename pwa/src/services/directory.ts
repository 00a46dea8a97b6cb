// The key directory with trust on first use: the first key seen for a user is pinned; a
// different key later is held as pending and blocks sending until reviewed (THREATS M2).
import { fingerprint, type PublicIdentity } from '../../../protocol/src/index.ts';
import type { ContactRow, Db } from '../stores/db.ts';
import { getContact, observeKey, type PinOutcome } from '../stores/contacts.ts';
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
    return { userId, displayName: answer.displayName || userId, identity, fingerprint: await fingerprint(identity), version: answer.current.version };
  }

  /** Pin a fetched key on first use, or notice that it changed (never silently replaced). */
  pin(key: FetchedKey): Promise<{ outcome: PinOutcome; contact: ContactRow }> {
    return observeKey(this.db, key);
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
