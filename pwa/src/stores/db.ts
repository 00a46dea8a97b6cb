// The one IndexedDB database of the app, shared by the page and the service worker.
// Nothing here holds message plaintext: messages are kept as the envelopes that were
// received or sealed, and are decrypted in memory only. Private and epoch keys are
// non-extractable CryptoKeys, stored as themselves (structured clone keeps them opaque).
import { deleteDB, openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { EpochRecord, Envelope, MessageKind, PublicIdentity, TranscriptState } from '../../../protocol/src/index.ts';

export const DB_NAME = 'messagehub';
export const DB_VERSION = 2;

export interface IdentityRow {
  id: 'me';
  userId: string;
  displayName: string;
  public: PublicIdentity;
  encryption: CryptoKeyPair;
  signing: CryptoKeyPair;
  fingerprint: string;
  createdAt: number;
  /** When the user confirmed the key file was saved (create) or used it (restore). */
  keyFileConfirmedAt: number | null;
  /**
   * The key file made at sign-up, kept only while the user has not saved it (they chose
   * "I understand I can lose everything"), so the reminder can still offer it. It is the
   * passphrase-sealed file itself (Argon2id + AES-GCM), never key material in clear, and
   * is deleted once the user downloads it.
   */
  unsavedKeyFile?: string | null;
  /**
   * The key file this device was set up with or last made, as sealed under the passphrase
   * (Argon2id + AES-GCM, never key material in clear), kept so that this device can hand
   * it to a device linked by code (protocol LINK4). Absent on devices set up before.
   */
  sealedKeyFile?: string | null;
  /**
   * This account's earlier public keys, oldest first, after a rotation made on this device
   * ("I lost a device", DEV11): what was signed under them still verifies here.
   */
  previousKeys?: PublicIdentity[];
}

/**
 * The device's bearer token. The service worker needs it to flush the outbox in the
 * background, so it is kept here; it is never logged and "forget this device" deletes it.
 */
export interface SessionRow {
  id: 'current';
  token: string;
  sessionId: string;
  userId: string;
  expiresAt: string;
}

export interface KeyHistoryEntry {
  identity: PublicIdentity;
  fingerprint: string;
  /** Directory version, when known. */
  version: number | null;
  firstSeenAt: number;
  acceptedAt: number | null;
  /**
   * How the directory's key history explains the step to this key from the one pinned
   * before it (ACCT5): 'rotation' is signed by the previous key; anything else blocks.
   * Absent for the first key, and on rows written before this was recorded.
   */
  change?: KeyChangeKind;
}

/** ACCT5 as the client records it; 'unexplained': the pinned key is not in the history, or the history goes backwards. */
export type KeyChangeKind = 'rotation' | 'reset' | 'forged-rotation' | 'unexplained';

export interface ContactRow {
  userId: string;
  displayName: string;
  /** The key pinned on first use (TOFU) or accepted after review. */
  pinned: PublicIdentity;
  fingerprint: string;
  verified: boolean;
  verifiedAt: number | null;
  /** Every key seen for this contact, oldest first, including the pinned one. */
  history: KeyHistoryEntry[];
  /** A different key offered by the directory, awaiting review: sending is blocked. */
  pending: KeyHistoryEntry | null;
  checkedAt: number;
  /** When the contact's key last changed by a signed rotation, followed without blocking (a notice). */
  rotatedAt?: number | null;
}

export interface ConversationRow {
  conversationId: string;
  /** Members of the latest epoch we accepted, user ids, sorted. */
  members: string[];
  latestEpoch: number;
  /** Cursor: the highest log seq received and processed. */
  lastSeq: number;
  lastActivity: number;
  unread: number;
  createdAt: number;
  /** Set when an epoch record failed verification; sending waits for the user to review it. */
  membershipAlert: { seq: number; reason: string; at: number } | null;
}

export interface EpochRow {
  conversationId: string;
  epoch: number;
  key: CryptoKey;
  members: { userId: string; fingerprint: string }[];
  record: EpochRecord;
  /**
   * Log position of the epoch record (ADMIT1: an epoch counts only for messages after it).
   * Rows stored before version 2 get it from the log when the database is upgraded.
   */
  seq: number;
}

/** Verification result of one log entry: metadata only, never the plaintext. */
export interface EntryCheck {
  ok: boolean;
  /** protocol error code when not ok, or a transcript verdict other than 'ok'. */
  problem: string | null;
  missing?: number;
  kind?: MessageKind;
  composedAt?: number;
  hash?: string;
}

export interface LogRow {
  conversationId: string;
  seq: number;
  kind: 'epoch' | 'message';
  /** The EpochRecord or Envelope exactly as the service returned it. */
  body: unknown;
  createdAt: string;
  check: EntryCheck;
}

export interface OutboxRow {
  clientMessageId: string;
  conversationId: string;
  /** Monotonic per device; the order messages were composed in. */
  order: number;
  envelope: Envelope;
  composedAt: number;
  kind: MessageKind;
  status: 'queued' | 'sent' | 'rejected';
  seq: number | null;
  error: string | null;
  attempts: number;
}

/** The device's own sending chain in one conversation (R1). */
export interface ChainRow {
  conversationId: string;
  counter: number;
  prevHash: string | null;
  /**
   * DEV6: the device whose chain this is. A row without it (version 1, one chain per
   * account) or of another device key is not continued: the device starts its own chain.
   */
  deviceId?: string;
}

export interface TranscriptRow {
  conversationId: string;
  state: TranscriptState;
}

export interface ReceiptRow {
  /** The clientMessageId a receipt refers to. */
  clientMessageId: string;
  conversationId: string;
  by: string[];
}

export interface SettingRow {
  key: string;
  value: unknown;
}

export interface MessageHubDB extends DBSchema {
  identity: { key: 'me'; value: IdentityRow };
  session: { key: 'current'; value: SessionRow };
  contacts: { key: string; value: ContactRow };
  conversations: { key: string; value: ConversationRow; indexes: { byActivity: number } };
  epochs: { key: [string, number]; value: EpochRow };
  log: { key: [string, number]; value: LogRow };
  outbox: { key: string; value: OutboxRow; indexes: { byOrder: number; byConversation: [string, number] } };
  chains: { key: string; value: ChainRow };
  transcripts: { key: string; value: TranscriptRow };
  receipts: { key: string; value: ReceiptRow };
  settings: { key: string; value: SettingRow };
}

export type Db = IDBPDatabase<MessageHubDB>;

/** Opens (and creates or upgrades) the database. `blocked` fires when an old tab holds it open. */
export function openDatabase(name = DB_NAME, hooks: { blocked?: () => void; versionchange?: () => void } = {}): Promise<Db> {
  return openDB<MessageHubDB>(name, DB_VERSION, {
    async upgrade(db, oldVersion, _newVersion, tx) {
      // Forward-only, one step per version.
      if (oldVersion < 1) {
        db.createObjectStore('identity', { keyPath: 'id' });
        db.createObjectStore('session', { keyPath: 'id' });
        db.createObjectStore('contacts', { keyPath: 'userId' });
        db.createObjectStore('conversations', { keyPath: 'conversationId' }).createIndex('byActivity', 'lastActivity');
        db.createObjectStore('epochs', { keyPath: ['conversationId', 'epoch'] });
        db.createObjectStore('log', { keyPath: ['conversationId', 'seq'] });
        const outbox = db.createObjectStore('outbox', { keyPath: 'clientMessageId' });
        outbox.createIndex('byOrder', 'order');
        outbox.createIndex('byConversation', ['conversationId', 'order']);
        db.createObjectStore('chains', { keyPath: 'conversationId' });
        db.createObjectStore('transcripts', { keyPath: 'conversationId' });
        db.createObjectStore('receipts', { keyPath: 'clientMessageId' });
        db.createObjectStore('settings', { keyPath: 'key' });
      }
      if (oldVersion === 1) {
        // Version 2: each epoch row records the log position of its record (ADMIT1), read
        // from the accepted epoch entry in the log (0, before every message, if none is there).
        const log = tx.objectStore('log');
        let cursor = await tx.objectStore('epochs').openCursor();
        while (cursor) {
          const row = cursor.value as EpochRow & { seq?: number };
          if (typeof row.seq !== 'number') {
            let seq = 0;
            let entry = await log.openCursor(IDBKeyRange.bound([row.conversationId, 0], [row.conversationId, Infinity]));
            while (entry) {
              const e = entry.value;
              if (e.kind === 'epoch' && e.check.ok && (e.body as { epoch?: unknown } | null)?.epoch === row.epoch) {
                seq = e.seq;
                break;
              }
              entry = await entry.continue();
            }
            await cursor.update({ ...row, seq });
          }
          cursor = await cursor.continue();
        }
      }
    },
    blocked: hooks.blocked,
    blocking() {
      // A newer version of the app wants to upgrade: let it, and tell the page.
      hooks.versionchange?.();
    },
  });
}

/** "Forget this device": closes and deletes everything local. */
export async function deleteDatabase(db: Db | null, name = DB_NAME): Promise<void> {
  db?.close();
  await deleteDB(name);
}
