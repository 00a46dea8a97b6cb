// The protocol's rules as data: versions, byte sizes, limits and the patterns of
// identifiers. A leaf module: it imports nothing, and everything that checks a
// value (protocol's parsers, the service's joi schemas, the client's forms) reads
// its numbers and patterns from here instead of writing them again.

export const PROTOCOL_VERSION = 1 as const;
/** DEV5: envelope versions a client reads; it writes the newest (2: sent by a certified device). */
export const ENVELOPE_VERSIONS = [1, 2] as const;
/** DEV9: conversation cut-offs one device revocation may carry. */
export const MAX_DEVICE_CUTOFFS = 4096;

export const LIMITS = {
  /** UTF-16 code units in a message body. */
  maxBodyChars: 8000,
  /** Padded plaintext sizes in bytes (ENV5); the ciphertext is always one of these. */
  paddingBuckets: [256, 1024, 4096, 16384, 65536],
  /** Upper bound on the JSON text of one envelope. */
  maxEnvelopeBytes: 98304,
  /** Members of one epoch (a group of up to 256 people, GRP1). */
  maxMembers: 256,
  /** Upper bound on the JSON text of one epoch record: 256 members with 128-character ids, their wrapped keys and admins fit. */
  maxEpochRecordBytes: 327680,
  /** A group name (GRP3): characters after NFC and trimming, and UTF-8 bytes. */
  maxGroupNameChars: 64,
  maxGroupNameBytes: 200,
  /** clientMessageIds a receipt may reference. */
  maxRefs: 256,
  /** Counters a transcript remembers as missing per sender (TR6). */
  maxMissing: 1024,
};

/**
 * EVT1: the largest number of message ids one read receipt names (LIMITS.maxRefs, as a
 * delivery receipt). Here, not in event-fields.ts: the app's start needs the number only,
 * not the checks (issue 18: the start chunk).
 */
export const MAX_READ_REFS = LIMITS.maxRefs;

export const IV_BYTES = 12;
export const TAG_BYTES = 16;
export const SIG_BYTES = 64;
export const ED25519_KEY_BYTES = 32;
export const EPOCH_KEY_BYTES = 32;
/** SHA-256 commitment to an epoch key (EPOCH5). */
export const KEY_COMMITMENT_BYTES = 32;
export const RSA_BITS = 3072;
export const RSA_WRAPPED_BYTES = RSA_BITS / 8;
/** Bounds on the DER (SPKI) of a public RSA key, checked before it is imported (WIRE4). */
export const RSA_SPKI_MIN_BYTES = 256;
export const RSA_SPKI_MAX_BYTES = 1024;
/** Bytes of the server's login nonce (AUTH1). */
export const AUTH_NONCE_BYTES = 32;
export const MAX_EPOCH = 2 ** 31 - 1;
/** GRP3: the group metadata plaintext is always this many bytes (u16 length, UTF-8 name, zeros). */
export const GROUP_META_PLAIN_BYTES = 256;
/** GRP3: iv || AES-GCM ciphertext || tag of the group metadata. */
export const GROUP_META_BYTES = 12 + GROUP_META_PLAIN_BYTES + 16;

/** The kinds of body a conversation log holds: epoch records and message envelopes. */
export const LOG_ENTRY_KINDS = ['epoch', 'message'] as const;
/** What the service answers for each envelope of a batch append. */
export const BATCH_STATUSES = ['stored', 'duplicate', 'rejected'] as const;

/** Characters of unpadded base64url text that encode `bytes` bytes. */
export function base64UrlChars(bytes: number): number {
  return Math.ceil((bytes * 4) / 3);
}

/** The base64url alphabet, without padding (WIRE2 adds canonical trailing bits). */
export const BASE64URL_RE = /^[A-Za-z0-9_-]*$/;

/**
 * WIRE3: identifiers (conversation ids, user ids inside records) are short printable
 * ASCII, so what a user sees, what is signed and what the server indexes are the same string.
 */
export const ID_RE = /^[A-Za-z0-9._:@-]{1,128}$/;
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Hex SHA-256: chain links and fingerprints. */
export const HASH_RE = /^[0-9a-f]{64}$/;

/**
 * A user name as typed at registration: 3 to 32 letters, digits, ".", "_", "-",
 * starting and ending with a letter or digit. Names are unique without regard to
 * case; the user id is the name in lower case (USER_ID_RE), which is also a WIRE3 id.
 */
export const USER_NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{1,30}[A-Za-z0-9])$/;
export const USER_ID_RE = /^[a-z0-9](?:[a-z0-9._-]{1,30}[a-z0-9])$/;

/**
 * Attachments (ATT1..ATT9): files are sealed in fixed-size chunks under a fresh key per
 * file; the service sees only the padded chunk count. A sealed chunk is
 * iv (12) || ciphertext (chunkBytes) || tag (16).
 */
export const ATTACHMENT_LIMITS = {
  /** Plaintext bytes per chunk; the last data chunk and the padding chunks are zero-filled. */
  chunkBytes: 65536,
  /** Padded chunks of one blob: 100 MiB of plaintext slots (ATT3, THREATS A3). */
  maxChunks: 1600,
  /** Padded chunks of an image preview (256 KiB). */
  maxPreviewChunks: 4,
  /** UTF-16 code units in a file name. */
  maxNameChars: 255,
  /** Characters of a MIME type. */
  maxTypeChars: 127,
  /** Pixels on the longer side of a preview. */
  maxPreviewSide: 1024,
};
export const ATTACHMENT_KEY_BYTES = 32;
export const SEALED_CHUNK_BYTES = IV_BYTES + ATTACHMENT_LIMITS.chunkBytes + TAG_BYTES;
/** A MIME type as `type/subtype`, lower case, no parameters. */
export const MIME_RE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;
/** Preview images are one of these (made on the device with a canvas). */
export const PREVIEW_TYPES = ['image/jpeg', 'image/webp'] as const;

/** TYP3: characters of the base64url text a `typing` frame carries (the sealed signal is 1,057 bytes: 1,410 characters). */
export const TYPING_MAX_SEALED_CHARS = 1600;
