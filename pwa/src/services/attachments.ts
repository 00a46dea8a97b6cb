// Photos and files (protocol SPEC §14). A file is sealed at once, chunk by chunk, into an
// IndexedDB database of its own (sealed chunks only: the key rides in the message, which
// the outbox keeps sealed), uploaded before the message that names it is sent, resumed
// after a lost connection by asking the service what it has, and downloaded and opened
// chunk by chunk on demand. Memory holds one chunk at a time; nothing is in the clear at rest.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import {
  ATTACHMENT_LIMITS, FileOpener, FileSealer, MAX_ATTACHMENT_BYTES, MIME_RE, type AttachmentRef, type BlobContext, type PreviewRef,
} from '../../../protocol/src/index.ts';
import { ApiError, NetworkError } from './api.ts';

export const ATTACHMENT_DB = 'messagehub-attachments';

/** The attachments database that goes with the app database `name` (tests use their own names). */
export function attachmentDbName(name: string): string {
  return name === 'messagehub' ? ATTACHMENT_DB : `${name}-attachments`;
}

/** A blob waiting to be uploaded; the message `messageId` is held back until it is. */
export interface UploadRow {
  blobId: string;
  conversationId: string;
  messageId: string;
  chunks: number;
  createdAt: number;
  /** The service's last refusal (a quota, a lost membership): the message waits, the user is told. */
  error: string | null;
}

interface ChunkRow {
  blobId: string;
  index: number;
  /** Sealed: iv || ciphertext || tag. */
  bytes: Uint8Array;
}

interface AttachmentSchema extends DBSchema {
  uploads: { key: string; value: UploadRow; indexes: { byMessage: string } };
  chunks: { key: [string, number]; value: ChunkRow };
}

/** The device's sealed, not yet uploaded chunks. */
export class AttachmentStore {
  private constructor(readonly db: IDBPDatabase<AttachmentSchema>) {}

  static async open(name = ATTACHMENT_DB): Promise<AttachmentStore> {
    const db = await openDB<AttachmentSchema>(name, 1, {
      upgrade(d) {
        d.createObjectStore('uploads', { keyPath: 'blobId' }).createIndex('byMessage', 'messageId');
        d.createObjectStore('chunks', { keyPath: ['blobId', 'index'] });
      },
    });
    return new AttachmentStore(db);
  }

  putChunk(blobId: string, index: number, bytes: Uint8Array): Promise<unknown> {
    return this.db.put('chunks', { blobId, index, bytes });
  }

  async chunk(blobId: string, index: number): Promise<Uint8Array | undefined> {
    return (await this.db.get('chunks', [blobId, index]))?.bytes;
  }

  /** Oldest first, so files go up in the order their messages were written. */
  async uploads(): Promise<UploadRow[]> {
    return (await this.db.getAll('uploads')).sort((a, b) => a.createdAt - b.createdAt);
  }

  async addUploads(rows: UploadRow[]): Promise<void> {
    const tx = this.db.transaction('uploads', 'readwrite');
    for (const r of rows) await tx.store.put(r);
    await tx.done;
  }

  async setError(blobId: string, error: string | null): Promise<void> {
    const row = await this.db.get('uploads', blobId);
    if (row) await this.db.put('uploads', { ...row, error });
  }

  /** Forget a blob: its upload row and its chunks. */
  async drop(blobId: string): Promise<void> {
    const tx = this.db.transaction(['uploads', 'chunks'], 'readwrite');
    await tx.objectStore('uploads').delete(blobId);
    await tx.objectStore('chunks').delete(IDBKeyRange.bound([blobId, 0], [blobId, Infinity]));
    await tx.done;
  }

  /** Message ids whose files are not all uploaded yet. */
  async waitingMessages(): Promise<Set<string>> {
    return new Set((await this.uploads()).map((u) => u.messageId));
  }

  close(): void {
    this.db.close();
  }
}

// ---- the service's blob routes (sync-service/API.md, "Attachment blobs") -------------------

export interface BlobStatus { blobId: string; conversationId: string; chunks: number; stored: number[]; complete: boolean }

export interface BlobClientOptions { baseUrl: string; token: () => string | undefined; fetch?: typeof fetch }

export class BlobClient {
  constructor(private readonly opts: BlobClientOptions) {}

  private async request(method: string, path: string, body?: Uint8Array | object): Promise<Response> {
    const headers: Record<string, string> = {};
    const token = this.opts.token();
    if (token) headers.authorization = `Bearer ${token}`;
    let payload: BodyInit | undefined;
    if (body instanceof Uint8Array) {
      headers['content-type'] = 'application/octet-stream';
      payload = body as Uint8Array<ArrayBuffer>;
    } else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await (this.opts.fetch ?? fetch)(`${this.opts.baseUrl}/api/v1${path}`, { method, headers, body: payload, cache: 'no-store' });
    } catch {
      throw new NetworkError();
    }
    if (res.ok) return res;
    if (res.status === 502 || res.status === 503 || res.status === 504) throw new NetworkError();
    let err: { code?: string; message?: string } | undefined;
    try {
      err = ((await res.json()) as { error?: { code?: string; message?: string } }).error;
    } catch {
      err = undefined;
    }
    throw new ApiError(res.status, err?.code ?? `http_${res.status}`, err?.message ?? `The server answered ${res.status}.`);
  }

  private static path(conversationId: string, blobId?: string): string {
    return `/conversations/${encodeURIComponent(conversationId)}/blobs${blobId === undefined ? '' : `/${blobId}`}`;
  }

  async create(conversationId: string, blobId: string, chunks: number): Promise<BlobStatus> {
    return (await this.request('POST', BlobClient.path(conversationId), { blobId, chunks })).json() as Promise<BlobStatus>;
  }

  async put(conversationId: string, blobId: string, index: number, bytes: Uint8Array): Promise<void> {
    await this.request('PUT', `${BlobClient.path(conversationId, blobId)}/chunks/${index}`, bytes);
  }

  async finish(conversationId: string, blobId: string, messageId: string): Promise<BlobStatus> {
    return (await this.request('POST', `${BlobClient.path(conversationId, blobId)}/finish`, { messageId })).json() as Promise<BlobStatus>;
  }

  async chunk(conversationId: string, blobId: string, index: number): Promise<Uint8Array> {
    return new Uint8Array(await (await this.request('GET', `${BlobClient.path(conversationId, blobId)}/chunks/${index}`)).arrayBuffer());
  }
}

// ---- sealing ---------------------------------------------------------------------------------

/** What a caller hands in for a preview (made by makePreview in the browser). */
export interface PreviewImage { bytes: Uint8Array; type: PreviewRef['type']; width: number; height: number }

export class AttachmentTooLargeError extends Error {
  constructor() {
    super(`A file can be at most ${Math.floor(MAX_ATTACHMENT_BYTES / 1_000_000)} MB.`);
    this.name = 'AttachmentTooLargeError';
  }
}

/** Stream `source` through a FileSealer into the store, one chunk in memory at a time. */
async function sealInto(store: AttachmentStore, source: Blob, p: { conversationId: string; role?: BlobContext['role'] }): Promise<{ sealer: FileSealer; digest: { key: string; sha256: string } }> {
  const sealer = await FileSealer.create({ conversationId: p.conversationId, size: source.size, role: p.role });
  const reader = source.stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    for (const c of await sealer.push(value)) await store.putChunk(sealer.blobId, c.index, c.bytes);
  }
  for await (const c of sealer.finish()) await store.putChunk(sealer.blobId, c.index, c.bytes);
  return { sealer, digest: sealer.digest() };
}

/** A file name the protocol accepts (ATT5): no path, no control characters, at most 255 characters. */
export function cleanName(name: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is removed
  const cleaned = name.replace(/[\u0000-\u001f\u007f/\\]/g, '_').toWellFormed().slice(0, ATTACHMENT_LIMITS.maxNameChars);
  return cleaned.length > 0 ? cleaned : 'file';
}

function cleanType(type: string): string {
  const t = type.split(';')[0]!.trim().toLowerCase();
  return t.length <= ATTACHMENT_LIMITS.maxTypeChars && MIME_RE.test(t) ? t : 'application/octet-stream';
}

/**
 * Seal a file (and its preview) for the message `messageId` into the store, and mark both
 * blobs as waiting for upload; the outbox holds that message back until they are up. The
 * reference returned goes into the message's plaintext (ATT5).
 */
export async function prepareAttachment(
  store: AttachmentStore,
  file: Blob,
  p: { conversationId: string; messageId: string; name: string; preview?: PreviewImage | null },
): Promise<AttachmentRef> {
  if (file.size > MAX_ATTACHMENT_BYTES) throw new AttachmentTooLargeError();
  const main = await sealInto(store, file, { conversationId: p.conversationId });
  let preview: PreviewRef | null = null;
  const rows: UploadRow[] = [{ blobId: main.sealer.blobId, conversationId: p.conversationId, messageId: p.messageId, chunks: main.sealer.chunkCount, createdAt: Date.now(), error: null }];
  if (p.preview) {
    const pv = await sealInto(store, new Blob([p.preview.bytes as Uint8Array<ArrayBuffer>]), { conversationId: p.conversationId, role: { kind: 'preview', fileBlobId: main.sealer.blobId } });
    preview = { blobId: pv.sealer.blobId, key: pv.digest.key, size: p.preview.bytes.length, chunks: pv.sealer.chunkCount, type: p.preview.type, sha256: pv.digest.sha256, width: p.preview.width, height: p.preview.height };
    rows.push({ ...rows[0]!, blobId: pv.sealer.blobId, chunks: pv.sealer.chunkCount });
  }
  await store.addUploads(rows);
  return { blobId: main.sealer.blobId, key: main.digest.key, size: file.size, chunks: main.sealer.chunkCount, type: cleanType(file.type), name: cleanName(p.name), sha256: main.digest.sha256, preview };
}

// ---- uploading --------------------------------------------------------------------------------

/** Chunk requests in flight at once: enough to hide a round trip, few enough to keep memory flat. */
export const IN_FLIGHT = 4;

/** Run `fn` over `items` with at most `limit` at once; the first failure stops new starts and is thrown. */
export async function inFlight<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}

export type UploadOutcome = { waiting: Set<string>; uploaded: number; network: boolean };

/**
 * Upload every waiting blob: create (or resume: the service says which chunks it has), send
 * the missing chunks from the store, finish with the message id, then forget the local
 * chunks. Stops at a network failure (everything stays for the next try). Returns the
 * message ids whose files are still not all up.
 */
export async function uploadPending(store: AttachmentStore, client: BlobClient): Promise<UploadOutcome> {
  let uploaded = 0;
  for (const up of await store.uploads()) {
    try {
      const status = await client.create(up.conversationId, up.blobId, up.chunks);
      const have = new Set(status.stored);
      const missing = Array.from({ length: up.chunks }, (_, i) => i).filter((i) => !have.has(i));
      await inFlight(missing, IN_FLIGHT, async (i) => {
        const bytes = await store.chunk(up.blobId, i);
        if (!bytes) throw new Error(`chunk ${i} of ${up.blobId} is missing on this device`);
        await client.put(up.conversationId, up.blobId, i, bytes);
      });
      await client.finish(up.conversationId, up.blobId, up.messageId);
      await store.drop(up.blobId);
      uploaded++;
    } catch (e) {
      if (e instanceof NetworkError) return { waiting: await store.waitingMessages(), uploaded, network: true };
      await store.setError(up.blobId, e instanceof ApiError ? e.code : (e as Error).message);
    }
  }
  return { waiting: await store.waitingMessages(), uploaded, network: false };
}

/**
 * The outbox rows that may go now, in order: per conversation, everything before the first
 * message whose files are still uploading (so no later message overtakes it, R1).
 */
export function sendable<T extends { clientMessageId: string; conversationId: string }>(rows: readonly T[], waiting: ReadonlySet<string>): T[] {
  const held = new Set<string>();
  return rows.filter((r) => {
    if (held.has(r.conversationId)) return false;
    if (waiting.has(r.clientMessageId)) {
      held.add(r.conversationId);
      return false;
    }
    return true;
  });
}

// ---- downloading ------------------------------------------------------------------------------

/**
 * The file's plaintext, chunk by chunk, each opened in its place (ATT6). The generator ends
 * normally only when every chunk came and the hash matched; otherwise it throws an
 * AttachmentError, and nothing read so far may be shown or saved as the file.
 */
export async function* downloadChunks(client: BlobClient, ref: AttachmentRef, conversationId: string): AsyncGenerator<Uint8Array> {
  const opener = await FileOpener.create(ref, { conversationId });
  // Read ahead: up to IN_FLIGHT chunks requested while the current one is opened, in order.
  const ahead: Promise<Uint8Array>[] = [];
  let asked = 0;
  const fill = () => {
    while (asked < ref.chunks && ahead.length < IN_FLIGHT) {
      const p = client.chunk(conversationId, ref.blobId, asked++);
      p.catch(() => undefined); // awaited in turn below; a failure there ends the download
      ahead.push(p);
    }
  };
  for (let i = 0; i < ref.chunks; i++) {
    fill();
    const data = await opener.open(i, await ahead.shift()!);
    if (data.length > 0) yield data;
  }
  opener.finish();
}

/** The whole file as a Blob, once it opened and matched its hash. */
export async function downloadFile(client: BlobClient, ref: AttachmentRef, conversationId: string): Promise<Blob> {
  const parts: Uint8Array<ArrayBuffer>[] = [];
  for await (const p of downloadChunks(client, ref, conversationId)) parts.push(p as Uint8Array<ArrayBuffer>);
  return new Blob(parts, { type: ref.type });
}

/** The preview image of a file, bound to it (ATT7, A4). */
export async function downloadPreview(client: BlobClient, ref: AttachmentRef, conversationId: string): Promise<Blob | null> {
  if (ref.preview === null) return null;
  const opener = await FileOpener.forPreview(ref, conversationId);
  const parts: Uint8Array<ArrayBuffer>[] = [];
  for (let i = 0; i < ref.preview.chunks; i++) parts.push((await opener.open(i, await client.chunk(conversationId, ref.preview.blobId, i))) as Uint8Array<ArrayBuffer>);
  opener.finish();
  return new Blob(parts, { type: ref.preview.type });
}

// ---- previews (browser only) ------------------------------------------------------------------

const PREVIEW_SIDE = 320;

/**
 * A small WebP (or JPEG where WebP cannot be written) of an image, made with a canvas on
 * this device; null for anything that is not a decodable image.
 */
export async function makePreview(file: Blob): Promise<PreviewImage | null> {
  if (!file.type.startsWith('image/') || typeof createImageBitmap !== 'function') return null;
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    return null;
  }
  try {
    const scale = Math.min(1, PREVIEW_SIDE / Math.max(bitmap.width, bitmap.height));
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d');
    if (!ctx) return null;
    ctx.drawImage(bitmap, 0, 0, width, height);
    for (const quality of [0.7, 0.4]) {
      let out = await canvas.convertToBlob({ type: 'image/webp', quality });
      if (out.type !== 'image/webp') out = await canvas.convertToBlob({ type: 'image/jpeg', quality });
      const type = out.type === 'image/webp' ? 'image/webp' : 'image/jpeg';
      if (out.size <= ATTACHMENT_LIMITS.maxPreviewChunks * ATTACHMENT_LIMITS.chunkBytes) {
        return { bytes: new Uint8Array(await out.arrayBuffer()), type, width, height };
      }
    }
    return null;
  } catch {
    return null;
  } finally {
    bitmap.close();
  }
}
