// Where sealed attachment chunks live (SPEC §14). The service only ever stores, lists and
// returns opaque bytes by (conversation, blob, index); Postgres does it today (db/blobs.ts),
// and an S3-compatible store can take its place by implementing this interface.

/** A blob's key: its conversation and the id its uploader chose. */
export interface BlobKey {
  conversationId: string;
  blobId: string;
}

export interface BlobChunkStore {
  /** Store chunk `index` of a blob once: true when stored now, false when it was there (a resend). */
  put(key: BlobKey, index: number, bytes: Uint8Array): Promise<boolean>;
  /** The sealed bytes of a chunk, or null. */
  get(key: BlobKey, index: number): Promise<Uint8Array | null>;
  /** The indexes stored, ascending. */
  storedIndexes(key: BlobKey): Promise<number[]>;
}
