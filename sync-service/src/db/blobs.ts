import pgPromise, { type IBaseProtocol } from 'pg-promise';
import type { BlobChunkStore, BlobKey } from '../services/blob-store.ts';
import { sql } from './sql/index.ts';

const { ParameterizedQuery } = pgPromise;

/** A blob's row: where it belongs, who uploads it, how many chunks, and how far it got. */
export interface BlobRow extends BlobKey {
  ownerPk: number;
  chunks: number;
  messageId: string | null;
  completedAt: Date | null;
  createdAt: Date;
  /** Whether the user the row was read for is a member of the latest epoch of its conversation. */
  isMember: boolean;
}

export type CreateOutcome = 'created' | 'existing' | 'conflict' | 'quota';

/**
 * Attachment blobs (SPEC §14): metadata rows, and the Postgres implementation of the chunk
 * store (one append-only row per sealed chunk, keyed by conversation like the log). An
 * S3-compatible store would implement BlobChunkStore alone and keep the metadata here.
 */
export class BlobsRepository implements BlobChunkStore {
  constructor(private readonly db: IBaseProtocol<unknown>) {}

  /** Create, or find the same create again; refuses past the owner's quota (THREATS A3). */
  create(p: BlobKey & { ownerPk: number; chunks: number; reservedBytes: number; quotaBytes: number }): Promise<{ outcome: CreateOutcome; usedBytes: number }> {
    return this.db.one(sql.blobs.create, p);
  }

  /** The blob, read for `userPk` (isMember); one query per chunk request. */
  find(key: BlobKey, userPk: number): Promise<BlobRow | null> {
    return this.db.oneOrNone<BlobRow>(sql.blobs.find, { ...key, userPk });
  }

  async storedIndexes(key: BlobKey): Promise<number[]> {
    return (await this.db.any<{ idx: number }>(sql.blobs.storedIndexes, key)).map((r) => r.idx);
  }

  /**
   * The chunk travels as a binary parameter of a parameterized query: formatted into the
   * SQL text (pg-promise's named parameters) it was 128 KiB of hex per 64 KiB chunk, built
   * here and parsed again by Postgres (BENCHMARKS.md, attachments, session 8).
   */
  async put(key: BlobKey, index: number, bytes: Uint8Array): Promise<boolean> {
    const values = [key.conversationId, key.blobId, index, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)];
    return (await this.db.oneOrNone(new ParameterizedQuery({ text: sql.blobs.putChunk, values }))) !== null;
  }

  /**
   * Read in text result format, as hex that pg decodes. Not the binary result format: pg
   * (8.x) decodes a binary row's fields as UTF-8 strings unless the whole client is in
   * binary mode, which corrupts the bytes (tried, session 8).
   */
  async get(key: BlobKey, index: number): Promise<Uint8Array | null> {
    const row = await this.db.oneOrNone<{ bytes: Buffer }>(sql.blobs.getChunk, { ...key, index });
    return row ? row.bytes : null;
  }

  /** Complete once every chunk is stored: the completion, or null while chunks are missing. */
  complete(key: BlobKey, messageId: string): Promise<{ completedAt: Date; messageId: string } | null> {
    return this.db.oneOrNone(sql.blobs.complete, { ...key, messageId });
  }

  /** Delete the blobs no message names after the grace period; their ids. */
  async collect(graceSeconds: number): Promise<string[]> {
    return (await this.db.any<{ blobId: string }>(sql.blobs.collect, { graceSeconds })).map((r) => r.blobId);
  }
}
