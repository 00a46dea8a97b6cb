// Every type that crosses the wire, in one place: the signed records the protocol
// defines (public identity, epoch record, envelope, sealed plaintext) and the HTTP
// bodies client and service exchange (sync-service/API.md). Declarations only, so
// every module imports from here and this module imports only rules.ts, for the
// enumerations it shares with the service's schemas.
import type { BATCH_STATUSES, LOG_ENTRY_KINDS } from './rules.ts';

// ---- protocol records ---------------------------------------------------------------

export interface PublicIdentity {
  v: 1;
  userId: string;
  /** base64url SPKI of an RSA-OAEP 3072-bit, SHA-256 public key. */
  encryptionKey: string;
  /** base64url raw Ed25519 public key (32 bytes). */
  signingKey: string;
}

export interface EpochMember {
  userId: string;
  /** fingerprint() of the public identity the creator wrapped this epoch's key for. */
  fingerprint: string;
}

export interface EpochRecord {
  v: 1;
  type: 'epoch';
  conversationId: string;
  epoch: number;
  creator: string;
  /** Sorted by userId, no duplicates, creator included. */
  members: EpochMember[];
  /** Same users, same order as members. */
  wrappedKeys: { userId: string; wrappedKey: string }[];
  /** base64url SHA-256 commitment to the epoch key (EPOCH5); an addition to the original design. */
  keyCommitment: string;
  prevEpochHash: string | null;
  createdAt: number;
  sig: string;
  /**
   * GRP1: a group's record lists who may change membership (sorted user ids, each a
   * member). Present together with `meta`, or neither (a one-to-one conversation).
   */
  admins?: string[];
  /** GRP3: base64url iv || ciphertext || tag of the group name, under this epoch's key. */
  meta?: string;
}

/** A message envelope: version 1 (signed by the account key, one chain per user) or 2 (DEV5: by a certified device key, one chain per device). */
export type Envelope = EnvelopeV1 | EnvelopeV2;

/** DEV5: an envelope sent by one device; its chain (counter, prevHash) is that device's own (DEV6). */
export interface EnvelopeV2 extends Omit<EnvelopeV1, 'v'> {
  v: 2;
  /** The sender's device certificate (DEV2): the key that signs this envelope. */
  device: DeviceCertificate;
}

/** DEV2: the account key vouches for one device's Ed25519 key. */
export interface DeviceCertificate {
  v: 1;
  type: 'device-cert';
  userId: string;
  /** Lowercase UUID chosen by the device. */
  deviceId: string;
  /** base64url raw Ed25519 public key of the device (32 bytes). */
  deviceKey: string;
  /** SN1 fingerprint of the account identity that signs. */
  accountFingerprint: string;
  createdAt: number;
  sig: string;
}

/** DEV8: the account key withdraws one device certificate for good. */
export interface DeviceRevocation {
  v: 1;
  type: 'device-revoke';
  userId: string;
  deviceId: string;
  accountFingerprint: string;
  /** DEV9: per conversation (a tag, not its id) the last message of the device that stays valid; sorted by tag. */
  cutoffs: DeviceCutoff[];
  createdAt: number;
  sig: string;
}

export interface DeviceCutoff {
  /** hex SHA-256 tag of the conversation id (DEV9), so the record does not list conversation ids. */
  conversation: string;
  counter: number;
  /** envelopeHash of the device's message at `counter`. */
  hash: string;
}

export interface EnvelopeV1 {
  v: 1;
  type: 'message';
  conversationId: string;
  epoch: number;
  sender: string;
  /** Lowercase UUID chosen by the sender; the server's idempotency key. */
  clientMessageId: string;
  /** Per sender per conversation, starting at 1. */
  counter: number;
  /** envelopeHash of the sender's previous envelope in this conversation; null for counter 1. */
  prevHash: string | null;
  iv: string;
  encryptedContent: string;
  tag: string;
  sig: string;
}

/** What an envelope seals (ENV5), before padding. */
/**
 * ENV1: what a plaintext is. `text` is shown; `receipt` (delivered, R2) and `read` (EVT2)
 * name messages by clientMessageId; `reaction`, `edit` and `delete` (EVT1) are signed
 * follow-up events about one message, named by `target`.
 */
export type MessageKind = 'text' | 'receipt' | 'read' | 'reaction' | 'edit' | 'delete' | 'profile';

/** EVT3: a message named by its clientMessageId AND its envelope hash (ENV8), so no one can point it elsewhere. */
export interface MessageRef {
  id: string;
  hash: string;
}

export interface MessagePlaintext {
  /** 'profile': the sender's display name in `body` (SPEC §8b, NAME1..NAME4). */
  type: MessageKind;
  body: string;
  composedAt: number;
  /** For receipts and read receipts: clientMessageIds this message refers to. */
  refs?: string[];
  /** A file sent with this message (ATT5); only on `text` messages. */
  attachment?: AttachmentRef;
  /** EVT1: the message a text replies to (quoted); only on `text` messages. */
  replyTo?: MessageRef;
  /** EVT1: the message a reaction, an edit or a delete is about; required on those, refused elsewhere. */
  target?: MessageRef;
}

/**
 * ATT5: what a message says about an attached file. It travels only inside the signed,
 * encrypted message body; the service never sees any of it.
 */
export interface AttachmentRef {
  /** Lowercase UUID chosen by the sender; the blob's id at the service, bound in every chunk's AAD. */
  blobId: string;
  /** base64url AES-256-GCM key of this file alone. */
  key: string;
  /** Plaintext bytes. */
  size: number;
  /** Padded chunk count (paddedChunkCount(size)): the only thing the service learns. */
  chunks: number;
  /** MIME type as the sender's device saw it. */
  type: string;
  name: string;
  /** Hex SHA-256 of the plaintext file. */
  sha256: string;
  preview: PreviewRef | null;
}

/** ATT7: a small image made from the file, sealed as a blob of its own bound to the file. */
export interface PreviewRef {
  blobId: string;
  key: string;
  size: number;
  chunks: number;
  type: 'image/jpeg' | 'image/webp';
  sha256: string;
  width: number;
  height: number;
}

// ---- HTTP bodies (sync-service/API.md) ------------------------------------------------

/** Every error answer: a stable code and plain words. */
export interface ErrorBody {
  error: { code: string; message: string };
}

export interface RegisterRequest { userName: string; identity: PublicIdentity; proof: string }
export interface RegisterResponse { userId: string; displayName: string; keyVersion: number }

export interface ChallengeRequest { userId: string; origin: string }
export interface ChallengeResponse { challengeId: string; nonce: string; origin: string; expiresAt: string }

export interface LoginRequest { challengeId: string; proof: string; deviceName: string }
export interface LoginResponse { token: string; sessionId: string; expiresAt: string; userId: string; deviceId?: string | null }
/** DEV12: what a device adds to a login: its certificate and its own key's proof over the same challenge. */
export interface DeviceLogin { certificate: DeviceCertificate; proof: string }

/**
 * One version of a user's keys in the directory; history is oldest first. `kind` is the
 * server's word; a client believes `rotation` only when `rotation.signature` verifies under
 * the previous version's key (ACCT5, classifyKeyChange).
 */
export interface KeyEntry {
  version: number; identity: PublicIdentity; proof: string; createdAt: string;
  kind: 'initial' | 'rotation' | 'reset';
  rotation: { nonce: string; signature: string } | null;
}
export interface KeysResponse { userId: string; displayName: string; current: KeyEntry; history: KeyEntry[] }

/** Signed account changes (ACCT1..ACCT4, THREATS L1): a challenge per change, answered by the current key. */
export type AccountChangePurpose = 'rotate' | 'revoke-session' | 'cancel-reset';
export interface AccountChallengeRequest { purpose: AccountChangePurpose }
export interface AccountChallengeResponse { challengeId: string; nonce: string; purpose: AccountChangePurpose; expiresAt: string }
export interface SignedChange { challengeId: string; signature: string }
export interface RotateKeysRequest extends SignedChange { identity: PublicIdentity; proof: string }
export type RevokeSessionRequest = SignedChange;
export type CancelResetRequest = SignedChange;
export interface ResetRequest { identity: PublicIdentity; proof: string }
export interface PendingReset {
  id: string; sessionId: string; deviceName: string; baseVersion: number; identity: PublicIdentity;
  requestedAt: string; completesAt: string; due: boolean;
}
export interface ResetStatusResponse { pending: PendingReset | null }

export interface CreateConversationRequest { epochRecord: EpochRecord }
export interface CreateConversationResponse { conversationId: string; seq: number }
export interface AddEpochRequest { epochRecord: EpochRecord }
export interface AddEpochResponse { seq: number }

/** `latestAt`: when the service stored the latest entry (ms since 1970); a restore pulls the most recent first. */
export interface ConversationListItem { conversationId: string; latestSeq: number; latestEpoch: number; latestAt: number; members: string[] }
/** One page of GET /conversations; with `hasMore`, ask again with `after: nextAfter`. */
export interface ConversationsResponse { conversations: ConversationListItem[]; hasMore?: boolean; nextAfter?: string }

export interface AppendMessageRequest { envelope: Envelope }
export interface AppendMessageResponse { seq: number; duplicate: boolean }

export type LogEntryKind = (typeof LOG_ENTRY_KINDS)[number];

/**
 * One entry of a conversation's log. `body` is an EpochRecord (kind 'epoch') or an
 * Envelope (kind 'message') as the server stored it: untrusted, so it is typed
 * unknown and goes through parseEpochRecord / parseEnvelope before use.
 */
export interface LogEntry { conversationId: string; seq: number; kind: LogEntryKind; body: unknown; createdAt: string }

export interface LogPage { entries: LogEntry[]; nextAfter: number; hasMore: boolean }

export interface SyncRequest { cursors: Record<string, number>; limit?: number }
/** A POST /sync answer: with `hasMore`, ask again from `nextAfter` (null: from the first conversation). */
export interface SyncPage { entries: LogEntry[]; cursors: Record<string, number>; hasMore: boolean; nextAfter?: string | null }

export type BatchStatus = (typeof BATCH_STATUSES)[number];

export interface BatchRequest { envelopes: Envelope[] }

/**
 * The answer for one envelope of a batch, in request order. The ids are null when
 * the envelope sent did not carry a readable one.
 */
export interface BatchResult {
  clientMessageId: string | null;
  conversationId: string | null;
  status: BatchStatus;
  seq?: number;
  error?: { code: string; message: string };
}
export interface BatchResponse { results: BatchResult[] }
