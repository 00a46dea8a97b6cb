// What a signed-in device holds in memory only, shared by ingest, composing and views:
// its identity, imported public keys (importing RSA keys is slow, so once per key), and
// decrypted plaintexts. Nothing here is written to IndexedDB.
import {
  importPublicIdentity, type EpochMember, type Identity, type ImportedIdentity, type MessagePlaintext, type PublicIdentity,
} from '../../../protocol/src/index.ts';
import { allContacts } from '../stores/contacts.ts';
import type { ContactRow, Db } from '../stores/db.ts';

export interface Plain {
  plaintext: MessagePlaintext;
  sender: string;
}

export type Resolver = (userId: string) => ImportedIdentity | undefined;

export class Keyring {
  readonly identity: Identity;
  /**
   * Decrypted plaintexts: `${conversationId}/${seq}` for received entries,
   * `${conversationId}/out/${clientMessageId}` for the outbox.
   */
  readonly plain = new Map<string, Plain>();
  private readonly imported = new Map<string, ImportedIdentity>();

  constructor(identity: Identity) {
    this.identity = identity;
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
    const me = await this.importOnce(this.identity.public);
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
