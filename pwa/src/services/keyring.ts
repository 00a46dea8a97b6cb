// What a signed-in device holds in memory only, shared by ingest, composing and views:
// its identity, imported public keys (importing RSA keys is slow, so once per key), and
// decrypted plaintexts. Nothing here is written to IndexedDB.
import {
  fingerprint, importPublicIdentity, type EpochMember, type Identity, type ImportedIdentity, type MessagePlaintext, type PublicIdentity,
} from '../../../protocol/src/index.ts';
import { allContacts } from '../stores/contacts.ts';
import type { ContactRow, Db } from '../stores/db.ts';

export interface Plain {
  plaintext: MessagePlaintext;
  sender: string;
}

export type Resolver = (userId: string) => ImportedIdentity | undefined;

export class Keyring {
  private current: Identity;
  /** This account's earlier public keys, after a rotation made on this device (DEV11): what it signed under them still verifies. */
  private previous: PublicIdentity[];
  /**
   * Decrypted plaintexts: `${conversationId}/${seq}` for received entries,
   * `${conversationId}/out/${clientMessageId}` for the outbox.
   */
  readonly plain = new Map<string, Plain>();
  private readonly imported = new Map<string, ImportedIdentity>();

  constructor(identity: Identity, previous: readonly PublicIdentity[] = []) {
    this.current = identity;
    this.previous = [...previous];
  }

  get identity(): Identity {
    return this.current;
  }

  /**
   * After a rotation made on this device (ACCT2, "I lost a device"): speak with the new
   * identity from now on; the old public key stays known for what was signed under it.
   */
  replaceIdentity(next: Identity, previous: readonly PublicIdentity[]): void {
    this.current = next;
    this.previous = [...previous];
  }

  /** Whether this account's key was rotated on this device ("I lost a device", LOST2). */
  get rotatedHere(): boolean {
    return this.previous.length > 0;
  }

  /** Our own public key that an epoch names (by fingerprint), the current one if none matches. */
  private async ownKeyFor(members: readonly EpochMember[] | undefined): Promise<PublicIdentity> {
    const fp = members?.find((m) => m.userId === this.me)?.fingerprint;
    if (fp && this.previous.length > 0) {
      for (const p of this.previous) if ((await fingerprint(p)) === fp) return p;
    }
    return this.current.public;
  }

  get me(): string {
    return this.identity.userId;
  }

  private async importOnce(pub: PublicIdentity): Promise<ImportedIdentity | undefined> {
    const key = `${pub.userId}/${pub.encryptionKey}/${pub.signingKey}`;
    let got = this.imported.get(key);
    if (!got) {
      try {
        got = await importPublicIdentity(pub);
      } catch {
        return undefined;
      }
      this.imported.set(key, got);
    }
    return got;
  }

  /**
   * A synchronous resolver of PINNED keys for one epoch: for a contact whose key changed
   * (and was accepted), the key the epoch names is taken from the accepted history.
   */
  async resolverFor(contacts: Map<string, ContactRow>, members: readonly EpochMember[] | undefined): Promise<Resolver> {
    const table = new Map<string, ImportedIdentity>();
    const me = await this.importOnce(await this.ownKeyFor(members));
    if (me) table.set(this.me, me);
    for (const c of contacts.values()) {
      const fp = members?.find((m) => m.userId === c.userId)?.fingerprint;
      const accepted = fp ? c.history.find((h) => h.fingerprint === fp && h.acceptedAt !== null) : undefined;
      const imp = await this.importOnce(accepted?.identity ?? c.pinned);
      if (imp) table.set(c.userId, imp);
    }
    return (userId: string) => table.get(userId);
  }
}

export async function contactMap(db: Db): Promise<Map<string, ContactRow>> {
  return new Map((await allContacts(db)).map((c) => [c.userId, c]));
}
