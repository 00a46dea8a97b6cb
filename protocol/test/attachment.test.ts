import { describe, expect, it } from 'vitest';
import {
  ATTACHMENT_LIMITS, AttachmentError, FileOpener, FileSealer, MAX_ATTACHMENT_BYTES, PURPOSE, SEALED_CHUNK_BYTES, canonical, checkAttachmentRef, chunkAad,
  importFileKey, openChunk, padPlaintext, paddedChunkCount, sealChunk, toHex, unpadPlaintext,
  type AttachmentRef, type BlobContext, type SealedChunk,
} from '../src/index.ts';

const CHUNK = ATTACHMENT_LIMITS.chunkBytes;
const conv = 'conv-attach';
const uuid = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

function bytesOf(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

async function sealAll(data: Uint8Array, p: { conversationId?: string; blobId?: string; role?: BlobContext['role']; piece?: number } = {}): Promise<{ ref: AttachmentRef; chunks: SealedChunk[] }> {
  const s = await FileSealer.create({ conversationId: p.conversationId ?? conv, size: data.length, blobId: p.blobId, role: p.role });
  const chunks: SealedChunk[] = [];
  const piece = p.piece ?? 10000;
  for (let at = 0; at < data.length; at += piece) chunks.push(...(await s.push(data.subarray(at, at + piece))));
  for await (const c of s.finish()) chunks.push(c);
  const d = s.digest();
  return { ref: { blobId: s.blobId, key: d.key, size: data.length, chunks: s.chunkCount, type: 'application/octet-stream', name: 'f.bin', sha256: d.sha256, preview: null }, chunks };
}

async function openAll(ref: AttachmentRef, chunks: readonly Uint8Array[], conversationId = conv): Promise<Uint8Array> {
  const o = await FileOpener.create(ref, { conversationId });
  const parts: Uint8Array[] = [];
  for (let i = 0; i < chunks.length; i++) parts.push(await o.open(i, chunks[i]!));
  o.finish();
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

async function failure(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (e instanceof AttachmentError) return e.code;
    throw e;
  }
  return 'opened';
}

describe('attachment sealing', () => {
  it('ATT1, ATT4: a file round-trips chunk by chunk under a fresh key, every chunk the same sealed size', async () => {
    const data = bytesOf(3 * CHUNK + 123);
    const a = await sealAll(data);
    const b = await sealAll(data);
    expect(a.ref.key).not.toBe(b.ref.key);
    expect(a.chunks.map((c) => c.index)).toEqual([0, 1, 2, 3]);
    expect(a.chunks.every((c) => c.bytes.length === SEALED_CHUNK_BYTES)).toBe(true);
    expect(await openAll(a.ref, a.chunks.map((c) => c.bytes))).toEqual(data);
    expect(a.ref.sha256).toBe(toHex((await import('@noble/hashes/sha2.js')).sha256(data)));
  });

  it('ATT1: an empty file and an exact multiple of the chunk size round-trip', async () => {
    for (const n of [0, 1, CHUNK, 2 * CHUNK]) {
      const data = bytesOf(n, n + 7);
      const a = await sealAll(data, { piece: 4096 });
      expect(await openAll(a.ref, a.chunks.map((c) => c.bytes))).toEqual(data);
    }
  });

  it('ATT3: sizes are padded to a chunk count that costs at most 25 %; only the count shows', async () => {
    expect([1, 2, 3, 4, 5, 8, 9, 11, 17, 100, 1000, 1526].map((n) => paddedChunkCount(n * CHUNK))).toEqual([1, 2, 3, 4, 5, 8, 10, 12, 20, 112, 1024, 1536]);
    expect(paddedChunkCount(0)).toBe(1);
    for (let n = 1; n <= 2000; n++) {
      const p = paddedChunkCount(n * CHUNK);
      expect(p).toBeGreaterThanOrEqual(n);
      expect(p).toBeLessThanOrEqual(Math.ceil(n * 1.25));
    }
    // two files of different sizes in one bucket seal to the same number of same-size chunks
    const a = await sealAll(bytesOf(9 * CHUNK - 5));
    const b = await sealAll(bytesOf(10 * CHUNK));
    expect(a.chunks.length).toBe(10);
    expect(b.chunks.length).toBe(10);
    expect(MAX_ATTACHMENT_BYTES).toBeGreaterThanOrEqual(100_000_000);
    expect(paddedChunkCount(MAX_ATTACHMENT_BYTES)).toBeLessThanOrEqual(ATTACHMENT_LIMITS.maxChunks);
    expect(paddedChunkCount(MAX_ATTACHMENT_BYTES + 1)).toBeGreaterThan(ATTACHMENT_LIMITS.maxChunks);
  });

  it('ATT2: the chunk AAD is the canonical encoding of blob, conversation, role, count, index and last flag (known answer)', () => {
    const ctx: BlobContext = { blobId: uuid(1), conversationId: conv, role: { kind: 'file' } };
    expect(chunkAad(ctx, 3, 2)).toEqual(canonical(PURPOSE.attachmentChunk, [1, uuid(1), conv, 'file', null, 3, 2, 1]));
    expect(chunkAad(ctx, 3, 1)).toEqual(canonical(PURPOSE.attachmentChunk, [1, uuid(1), conv, 'file', null, 3, 1, 0]));
    const pv: BlobContext = { blobId: uuid(2), conversationId: conv, role: { kind: 'preview', fileBlobId: uuid(1) } };
    expect(toHex(chunkAad(pv, 1, 0))).toBe(toHex(canonical('MessageHub-attachment-chunk-v1', [1, uuid(2), conv, 'preview', uuid(1), 1, 0, 1])));
  });

  it('ATT4: a known key, AAD and IV give a chunk that opens; a flipped bit anywhere is tampered', async () => {
    const key = await importFileKey(new Uint8Array(32).fill(7));
    const ctx: BlobContext = { blobId: uuid(3), conversationId: conv, role: { kind: 'file' } };
    const sealed = await sealChunk(key, ctx, 1, 0, new Uint8Array([1, 2, 3]));
    const slot = await openChunk(key, ctx, 1, 0, sealed);
    expect(slot.length).toBe(CHUNK);
    expect([...slot.subarray(0, 4)]).toEqual([1, 2, 3, 0]);
    for (const at of [0, 11, 12, 5000, SEALED_CHUNK_BYTES - 1]) {
      const bad = sealed.slice();
      bad[at]! ^= 1;
      expect(await failure(openChunk(key, ctx, 1, 0, bad))).toBe('tampered');
    }
    expect(await failure(openChunk(key, ctx, 1, 0, sealed.subarray(1)))).toBe('tampered');
  });

  it('ATT1: the sealer refuses more or fewer bytes than it was told', async () => {
    const s = await FileSealer.create({ conversationId: conv, size: 10 });
    expect(await failure(s.push(new Uint8Array(11)))).toBe('too-large');
    const t = await FileSealer.create({ conversationId: conv, size: 10 });
    await t.push(new Uint8Array(9));
    expect(await failure(async () => { for await (const c of t.finish()) void c; })).toBe('truncated');
    await expect(FileSealer.create({ conversationId: conv, size: MAX_ATTACHMENT_BYTES + 1 })).rejects.toThrow(/size/);
  });
});

describe('attachment attacks (THREATS A1, A2, A4)', () => {
  it('A1, ATT6: chunks served reordered are refused at the chunk, before any byte is handed out', async () => {
    const a = await sealAll(bytesOf(3 * CHUNK));
    const o = await FileOpener.create(a.ref, { conversationId: conv });
    expect(await failure(o.open(0, a.chunks[1]!.bytes))).toBe('tampered');
    // padding chunks are all zeros inside: only the position in the AAD tells them apart
    const b = await sealAll(bytesOf(9 * CHUNK - 1));
    const ob = await FileOpener.create(b.ref, { conversationId: conv });
    for (let i = 0; i < 9; i++) await ob.open(i, b.chunks[i]!.bytes);
    expect(await failure(ob.open(9, b.chunks[8]!.bytes))).toBe('tampered');
  });

  it('A1, ATT6: a repeated chunk is refused', async () => {
    const a = await sealAll(bytesOf(2 * CHUNK + 1));
    const o = await FileOpener.create(a.ref, { conversationId: conv });
    await o.open(0, a.chunks[0]!.bytes);
    expect(await failure(o.open(1, a.chunks[0]!.bytes))).toBe('tampered');
    expect(await failure(o.open(0, a.chunks[0]!.bytes))).toBe('out-of-order');
  });

  it('A1, ATT6: a blob cut short is truncated, even when only padding chunks are missing', async () => {
    const a = await sealAll(bytesOf(9 * CHUNK - 1)); // 9 data chunks, padded to 10
    const o = await FileOpener.create(a.ref, { conversationId: conv });
    for (let i = 0; i < 9; i++) await o.open(i, a.chunks[i]!.bytes);
    expect(await failure(() => o.finish())).toBe('truncated');
    // a chunk sealed as "last" of a shorter blob does not open in the middle of a longer one
    const key = await importFileKey(new Uint8Array(32).fill(9));
    const ctx: BlobContext = { blobId: uuid(4), conversationId: conv, role: { kind: 'file' } };
    const lastOfTwo = await sealChunk(key, ctx, 2, 1, new Uint8Array(5));
    expect(await failure(openChunk(key, ctx, 3, 1, lastOfTwo))).toBe('tampered');
  });

  it('A2, ATT2: chunks of another blob under the same key are refused (a blob swapped between messages)', async () => {
    const data = bytesOf(2 * CHUNK);
    const a = await sealAll(data, { blobId: uuid(10) });
    const key = await importFileKey((await import('../src/encoding.ts')).fromBase64Url(a.ref.key));
    // the same key sealing the same bytes as another blob: only the blob id differs
    const other: BlobContext = { blobId: uuid(11), conversationId: conv, role: { kind: 'file' } };
    const swapped = await sealChunk(key, other, 2, 0, data.subarray(0, CHUNK));
    const o = await FileOpener.create(a.ref, { conversationId: conv });
    expect(await failure(o.open(0, swapped))).toBe('tampered');
  });

  it('A2, ATT2: a blob moved to another conversation does not open there', async () => {
    const a = await sealAll(bytesOf(CHUNK + 3), { conversationId: 'conv-one' });
    expect(await failure(openAll(a.ref, a.chunks.map((c) => c.bytes), 'conv-two'))).toBe('tampered');
    expect(await openAll(a.ref, a.chunks.map((c) => c.bytes), 'conv-one')).toEqual(bytesOf(CHUNK + 3));
  });

  it('A2, ATT6: the right chunks with a wrong hash in the reference are a hash mismatch', async () => {
    const a = await sealAll(bytesOf(100));
    expect(await failure(openAll({ ...a.ref, sha256: '0'.repeat(64) }, a.chunks.map((c) => c.bytes)))).toBe('hash-mismatch');
  });

  it('A4, ATT7: a preview opens only as the preview of its own file', async () => {
    const file = await sealAll(bytesOf(5000), { blobId: uuid(20) });
    const pv = await sealAll(bytesOf(700, 3), { blobId: uuid(21), role: { kind: 'preview', fileBlobId: uuid(20) } });
    const preview = { blobId: uuid(21), key: pv.ref.key, size: 700, chunks: 1, type: 'image/jpeg' as const, sha256: pv.ref.sha256, width: 10, height: 10 };
    const ok = await FileOpener.forPreview({ ...file.ref, preview }, conv);
    expect((await ok.open(0, pv.chunks[0]!.bytes)).length).toBe(700);
    ok.finish();
    // the same preview (key and all) pasted into another file's reference
    const otherFile = await sealAll(bytesOf(5000, 9), { blobId: uuid(22) });
    const pasted = await FileOpener.forPreview({ ...otherFile.ref, preview }, conv);
    expect(await failure(pasted.open(0, pv.chunks[0]!.bytes))).toBe('tampered');
    // a file's chunk presented as a preview, and a preview presented as the file
    const asPreview = await FileOpener.forPreview({ ...file.ref, preview: { ...preview, blobId: uuid(20), key: file.ref.key } }, conv);
    expect(await failure(asPreview.open(0, file.chunks[0]!.bytes))).toBe('tampered');
    const asFile = await FileOpener.create({ ...file.ref, blobId: uuid(21), key: pv.ref.key, size: 700, chunks: 1 }, { conversationId: conv });
    expect(await failure(asFile.open(0, pv.chunks[0]!.bytes))).toBe('tampered');
  });
});

describe('attachment references in messages', () => {
  const ref = (): AttachmentRef => ({
    blobId: uuid(30), key: 'A'.repeat(43), size: 70000, chunks: 2, type: 'image/png', name: 'cat "1".png', sha256: 'a'.repeat(64),
    preview: { blobId: uuid(31), key: 'B'.repeat(42) + 'A', size: 2000, chunks: 1, type: 'image/webp', sha256: 'b'.repeat(64), width: 320, height: 200 },
  });

  it('ATT5: a text message carries a file reference through padding and back, with a fixed key order', () => {
    const p = { type: 'text' as const, body: 'look', composedAt: 5, attachment: ref() };
    expect(unpadPlaintext(padPlaintext(p))).toEqual(p);
    const reordered = Object.fromEntries(Object.entries(p.attachment).reverse()) as unknown as AttachmentRef;
    expect(padPlaintext({ ...p, attachment: reordered })).toEqual(padPlaintext(p));
  });

  it('ATT5: references with a wrong count, odd name, bad type, extra field or on a receipt are refused', () => {
    const bad: unknown[] = [
      { ...ref(), chunks: 3 }, { ...ref(), size: MAX_ATTACHMENT_BYTES + 1 }, { ...ref(), name: 'a/b' }, { ...ref(), name: '' }, { ...ref(), name: 'x\u0000' },
      { ...ref(), name: 'x'.repeat(256) }, { ...ref(), type: 'Image/PNG' }, { ...ref(), type: 'text' }, { ...ref(), key: 'A'.repeat(42) },
      { ...ref(), extra: 1 }, { ...ref(), blobId: 'nope' }, { ...ref(), preview: { ...ref().preview!, type: 'image/png' } },
      { ...ref(), preview: { ...ref().preview!, blobId: uuid(30) } }, { ...ref(), preview: { ...ref().preview!, width: 5000 } },
      { ...ref(), preview: { ...ref().preview!, size: 5 * CHUNK, chunks: 5 } },
    ];
    for (const b of bad) expect(() => checkAttachmentRef(b), JSON.stringify(b)).toThrow();
    expect(() => padPlaintext({ type: 'receipt', body: '', composedAt: 1, refs: [uuid(1)], attachment: ref() })).toThrow();
    expect(checkAttachmentRef(ref())).toEqual(ref());
  });

  it('ATT5, WIRE7: the longest body with the most refs and the largest reference still fits the largest bucket', () => {
    const body = '\u0001'.repeat(8000);
    const refs = Array.from({ length: 256 }, (_, i) => uuid(i));
    const big = { ...ref(), name: '"'.repeat(255), type: 'a/' + 'b'.repeat(125) };
    expect(padPlaintext({ type: 'text', body, composedAt: Number.MAX_SAFE_INTEGER, refs, attachment: big }).length).toBe(65536);
  });
});
