// Attachments (ATT3, ATT5): a file reference as the signed message carries it, and the sizes
// it must agree with. Apart from attachment.ts (sealing and opening files) so that the start
// chunk, which opens every message (padding.ts), does not carry the file code (JS budget).
import { ATTACHMENT_KEY_BYTES, ATTACHMENT_LIMITS, MIME_RE, PREVIEW_TYPES, SEALED_CHUNK_BYTES, UUID_RE } from './rules.ts';
import type { AttachmentRef, PreviewRef } from './types.ts';
import { checkB64, checkHash, checkInt, checkUuid, exactKeys, fail, isRecord } from './wire.ts';

/** Why a file could not be opened (also what the screens that show files test for, so it lives here). */
export type AttachmentFailure = 'malformed' | 'tampered' | 'out-of-order' | 'truncated' | 'hash-mismatch' | 'too-large';

export class AttachmentError extends Error {
  constructor(readonly code: AttachmentFailure, message: string) {
    super(message);
    this.name = 'AttachmentError';
  }
}

/** Plaintext bytes per chunk. */
export const CHUNK = ATTACHMENT_LIMITS.chunkBytes;

/**
 * ATT3: the padded chunk count of a file of `size` bytes. Up to 4 chunks exactly; above,
 * rounded up to a multiple of a quarter of the largest power of two below, so padding
 * costs at most 25 % and a count reveals about two bits of the size per doubling.
 */
export function paddedChunkCount(size: number): number {
  const n = Math.max(1, Math.ceil(size / CHUNK));
  if (n <= 4) return n;
  const step = 2 ** (Math.floor(Math.log2(n)) - 2);
  return Math.ceil(n / step) * step;
}

/** The largest file whose padded chunk count stays within ATTACHMENT_LIMITS.maxChunks. */
export const MAX_ATTACHMENT_BYTES = ((): number => {
  let n = ATTACHMENT_LIMITS.maxChunks;
  while (paddedChunkCount(n * CHUNK) > ATTACHMENT_LIMITS.maxChunks) n--;
  return n * CHUNK;
})();

// eslint-disable-next-line no-control-regex -- control characters are exactly what a file name must not hold
const NAME_FORBIDDEN = /[\u0000-\u001f\u007f/\\]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** ATT5: strict parse of a file reference (exact keys, sizes consistent, type and name sane). */
export function checkAttachmentRef(x: unknown): AttachmentRef {
  if (!isRecord(x)) fail('attachment: not an object');
  exactKeys(x, ['blobId', 'key', 'size', 'chunks', 'type', 'name', 'sha256', 'preview'], 'attachment');
  const size = checkInt(x.size, 0, MAX_ATTACHMENT_BYTES, 'attachment.size');
  if (x.chunks !== paddedChunkCount(size)) fail('attachment.chunks: not the padded count of size');
  if (typeof x.type !== 'string' || x.type.length > ATTACHMENT_LIMITS.maxTypeChars || !MIME_RE.test(x.type)) fail('attachment.type');
  if (typeof x.name !== 'string' || x.name.length === 0 || x.name.length > ATTACHMENT_LIMITS.maxNameChars || NAME_FORBIDDEN.test(x.name) || LONE_SURROGATE.test(x.name)) {
    fail('attachment.name');
  }
  const out: AttachmentRef = {
    blobId: checkUuid(x.blobId, 'attachment.blobId'),
    key: checkKey(x.key, 'attachment.key'),
    size,
    chunks: x.chunks,
    type: x.type,
    name: x.name,
    sha256: checkHash(x.sha256, 'attachment.sha256'),
    preview: x.preview === null ? null : checkPreviewRef(x.preview),
  };
  if (out.preview !== null && out.preview.blobId === out.blobId) fail('attachment.preview: same blob as the file');
  return out;
}

function checkKey(x: unknown, what: string): string {
  checkB64(x, ATTACHMENT_KEY_BYTES, ATTACHMENT_KEY_BYTES, what);
  return x as string;
}

function checkPreviewRef(x: unknown): PreviewRef {
  if (!isRecord(x)) fail('attachment.preview: not an object');
  exactKeys(x, ['blobId', 'key', 'size', 'chunks', 'type', 'sha256', 'width', 'height'], 'attachment.preview');
  const size = checkInt(x.size, 1, ATTACHMENT_LIMITS.maxPreviewChunks * CHUNK, 'attachment.preview.size');
  if (x.chunks !== paddedChunkCount(size)) fail('attachment.preview.chunks');
  if (!(PREVIEW_TYPES as readonly unknown[]).includes(x.type)) fail('attachment.preview.type');
  return {
    blobId: checkUuid(x.blobId, 'attachment.preview.blobId'),
    key: checkKey(x.key, 'attachment.preview.key'),
    size,
    chunks: x.chunks,
    type: x.type as PreviewRef['type'],
    sha256: checkHash(x.sha256, 'attachment.preview.sha256'),
    width: checkInt(x.width, 1, ATTACHMENT_LIMITS.maxPreviewSide, 'attachment.preview.width'),
    height: checkInt(x.height, 1, ATTACHMENT_LIMITS.maxPreviewSide, 'attachment.preview.height'),
  };
}

/** A blob id as the service and the client's stores use it. */
export function isBlobId(x: unknown): x is string {
  return typeof x === 'string' && UUID_RE.test(x);
}

/** The wire size of a blob of `chunks` padded chunks. */
export function sealedBlobBytes(chunks: number): number {
  return chunks * SEALED_CHUNK_BYTES;
}
