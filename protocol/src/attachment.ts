// Attachments (ATT1..ATT9, THREATS A1, A2, A4): a file is sealed under a fresh
// AES-256-GCM key of its own, in fixed-size chunks whose additional data names the
// blob, its conversation, its role, the chunk's index and whether it is the last one,
// so the service can neither reorder, truncate, repeat nor swap chunks or blobs. The
// file is zero-padded to a padded chunk count, the only size the service learns. The
// key, size, type, name and hash travel in the signed, encrypted message (ATT5).
import { sha256 } from '@noble/hashes/sha2.js';
import { buf, canonical, fromBase64Url, randomBytes, toBase64Url, toHex } from './encoding.ts';
import { PURPOSE } from './purpose.ts';
import { ATTACHMENT_KEY_BYTES, ATTACHMENT_LIMITS, IV_BYTES, SEALED_CHUNK_BYTES } from './rules.ts';
import type { AttachmentRef, PreviewRef } from './types.ts';
import { AttachmentError, CHUNK, MAX_ATTACHMENT_BYTES, paddedChunkCount } from './attachment-ref.ts';
import { checkInt } from './wire.ts';

export type { AttachmentRef, PreviewRef } from './types.ts';
export { AttachmentError, MAX_ATTACHMENT_BYTES, checkAttachmentRef, isBlobId, paddedChunkCount, sealedBlobBytes, type AttachmentFailure } from './attachment-ref.ts';


/** Who a blob belongs to: its id, conversation and role (ATT2). */
export interface BlobContext {
  blobId: string;
  conversationId: string;
  /** `file` for the file itself; `preview` with the file's blob id for its preview (ATT7, A4). */
  role: { kind: 'file' } | { kind: 'preview'; fileBlobId: string };
}

/**
 * ATT2 (A1, A2, A4): canonical("MessageHub-attachment-chunk-v1", [v, blobId,
 * conversationId, kind, fileBlobId, chunkCount, index, last]).
 */
export function chunkAad(ctx: BlobContext, chunkCount: number, index: number): Uint8Array {
  const fileBlobId = ctx.role.kind === 'preview' ? ctx.role.fileBlobId : null;
  return canonical(PURPOSE.attachmentChunk, [1, ctx.blobId, ctx.conversationId, ctx.role.kind, fileBlobId, chunkCount, index, index === chunkCount - 1 ? 1 : 0]);
}

/** ATT1: a fresh, extractable AES-256-GCM key for one file. */
export async function generateFileKey(): Promise<{ key: CryptoKey; raw: Uint8Array }> {
  const raw = randomBytes(ATTACHMENT_KEY_BYTES);
  return { key: await importFileKey(raw), raw };
}

export function importFileKey(raw: Uint8Array): Promise<CryptoKey> {
  return globalThis.crypto.subtle.importKey('raw', buf(raw), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

/** ATT4: one chunk, `plain` zero-filled to chunkBytes, under a fresh random IV: iv || ciphertext || tag. */
export async function sealChunk(key: CryptoKey, ctx: BlobContext, chunkCount: number, index: number, plain: Uint8Array): Promise<Uint8Array> {
  if (plain.length > CHUNK) throw new AttachmentError('too-large', 'chunk larger than chunkBytes');
  const slot = new Uint8Array(CHUNK);
  slot.set(plain);
  const iv = randomBytes(IV_BYTES);
  const sealed = new Uint8Array(
    await globalThis.crypto.subtle.encrypt({ name: 'AES-GCM', iv: buf(iv), additionalData: buf(chunkAad(ctx, chunkCount, index)), tagLength: 128 }, key, slot),
  );
  slot.fill(0);
  const out = new Uint8Array(SEALED_CHUNK_BYTES);
  out.set(iv);
  out.set(sealed, IV_BYTES);
  return out;
}

/** ATT4: the chunkBytes plaintext slot of chunk `index`, or `tampered`. */
export async function openChunk(key: CryptoKey, ctx: BlobContext, chunkCount: number, index: number, sealed: Uint8Array): Promise<Uint8Array> {
  if (sealed.length !== SEALED_CHUNK_BYTES) throw new AttachmentError('tampered', 'a chunk of the wrong size');
  try {
    return new Uint8Array(
      await globalThis.crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: buf(sealed.subarray(0, IV_BYTES)), additionalData: buf(chunkAad(ctx, chunkCount, index)), tagLength: 128 },
        key,
        buf(sealed.subarray(IV_BYTES)),
      ),
    );
  } catch {
    throw new AttachmentError('tampered', `chunk ${index} does not open for this blob, conversation and position`);
  }
}

export interface SealedChunk {
  index: number;
  bytes: Uint8Array;
}

/**
 * Seals a file as it streams in (ATT1..ATT4): feed the plaintext in pieces of any size
 * with push(), then finish(); memory stays at one chunk. The reference (key, hash, chunk
 * count) is ready after finish().
 */
export class FileSealer {
  readonly chunkCount: number;
  private readonly hash = sha256.create();
  private pending = new Uint8Array(CHUNK);
  private filled = 0;
  private seen = 0;
  private next = 0;

  private constructor(
    readonly ctx: BlobContext,
    readonly size: number,
    private readonly key: CryptoKey,
    private readonly raw: Uint8Array,
  ) {
    this.chunkCount = paddedChunkCount(size);
  }

  /** A sealer for `size` bytes; the blob id is a fresh UUID unless given. */
  static async create(p: { conversationId: string; size: number; blobId?: string; role?: BlobContext['role'] }): Promise<FileSealer> {
    checkInt(p.size, 0, MAX_ATTACHMENT_BYTES, 'attachment size');
    const role = p.role ?? { kind: 'file' };
    const blobId = p.blobId ?? globalThis.crypto.randomUUID();
    if (role.kind === 'preview' && paddedChunkCount(p.size) > ATTACHMENT_LIMITS.maxPreviewChunks) throw new AttachmentError('too-large', 'preview too large');
    const { key, raw } = await generateFileKey();
    return new FileSealer({ blobId, conversationId: p.conversationId, role }, p.size, key, raw);
  }

  get blobId(): string {
    return this.ctx.blobId;
  }

  /** Plaintext in; the chunks it completed out, in order. */
  async push(bytes: Uint8Array): Promise<SealedChunk[]> {
    if (this.seen + bytes.length > this.size) throw new AttachmentError('too-large', 'more bytes than the declared size');
    this.seen += bytes.length;
    this.hash.update(bytes);
    const out: SealedChunk[] = [];
    let at = 0;
    while (at < bytes.length) {
      const take = Math.min(CHUNK - this.filled, bytes.length - at);
      this.pending.set(bytes.subarray(at, at + take), this.filled);
      this.filled += take;
      at += take;
      if (this.filled === CHUNK) out.push(await this.flush());
    }
    return out;
  }

  private async flush(): Promise<SealedChunk> {
    const index = this.next++;
    const bytes = await sealChunk(this.key, this.ctx, this.chunkCount, index, this.pending.subarray(0, this.filled));
    this.pending.fill(0);
    this.filled = 0;
    return { index, bytes };
  }

  /** The last data chunk, then the padding chunks (ATT3), one at a time. */
  async *finish(): AsyncGenerator<SealedChunk> {
    if (this.seen !== this.size) throw new AttachmentError('truncated', 'fewer bytes than the declared size');
    while (this.next < this.chunkCount) yield await this.flush();
  }

  /** Key and hash, once finish() has run to its end. */
  digest(): { key: string; sha256: string } {
    if (this.next !== this.chunkCount) throw new AttachmentError('truncated', 'the sealer has not finished');
    return { key: toBase64Url(this.raw), sha256: toHex(this.hash.digest()) };
  }
}

/**
 * Opens a blob chunk by chunk, in order (ATT6): each chunk must open at the position it is
 * asked for (A1, A2, A4), plaintext past `size` must be zero, and finish() checks that
 * every chunk came and the hash matches. Bytes handed out before finish() are authentic
 * chunks in their right place; only finish() says the file is whole.
 */
export class FileOpener {
  private readonly hash = sha256.create();
  private next = 0;

  private constructor(
    private readonly key: CryptoKey,
    private readonly ctx: BlobContext,
    private readonly ref: { size: number; chunks: number; sha256: string },
  ) {}

  static async create(ref: AttachmentRef | PreviewRef, p: { conversationId: string; role?: BlobContext['role'] }): Promise<FileOpener> {
    const key = await importFileKey(fromBase64Url(ref.key));
    return new FileOpener(key, { blobId: ref.blobId, conversationId: p.conversationId, role: p.role ?? { kind: 'file' } }, ref);
  }

  /** For a file's preview: bound to the file's blob id (ATT7, A4). */
  static forPreview(file: AttachmentRef, conversationId: string): Promise<FileOpener> {
    if (file.preview === null) throw new AttachmentError('malformed', 'no preview');
    return FileOpener.create(file.preview, { conversationId, role: { kind: 'preview', fileBlobId: file.blobId } });
  }

  get chunkCount(): number {
    return this.ref.chunks;
  }

  /** The next chunk's plaintext (empty for a padding chunk). */
  async open(index: number, sealed: Uint8Array): Promise<Uint8Array> {
    if (index !== this.next) throw new AttachmentError('out-of-order', `chunk ${index} where ${this.next} belongs`);
    if (index >= this.ref.chunks) throw new AttachmentError('out-of-order', 'more chunks than the reference names');
    const slot = await openChunk(this.key, this.ctx, this.ref.chunks, index, sealed);
    this.next++;
    const start = index * CHUNK;
    const keep = Math.max(0, Math.min(CHUNK, this.ref.size - start));
    for (let i = keep; i < CHUNK; i++) if (slot[i] !== 0) throw new AttachmentError('tampered', 'padding is not zero');
    const data = slot.subarray(0, keep);
    this.hash.update(data);
    return data;
  }

  /** ATT6: every chunk came, and the plaintext hashes to the reference's hash. */
  finish(): void {
    if (this.next !== this.ref.chunks) throw new AttachmentError('truncated', `${this.next} of ${this.ref.chunks} chunks`);
    if (toHex(this.hash.digest()) !== this.ref.sha256) throw new AttachmentError('hash-mismatch', 'the file does not match its hash');
  }
}
