// The client's attachment service against the real sync service (in-process, through a
// fetch that calls server.inject), with IndexedDB from fake-indexeddb: sealed at once into
// IndexedDB with nothing in the clear, uploaded before its message, resumed after a lost
// connection, downloaded and opened chunk by chunk.
import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from '@hapi/hapi';
import { ATTACHMENT_LIMITS, AttachmentError, SEALED_CHUNK_BYTES, type AttachmentRef, type Identity } from '../../../protocol/src/index.ts';
import { identity } from '../../../test/support/identities.ts';
import { createConversation, login, register, startApp, type Conv, type TestApp } from '../../../test/support/service.ts';
import {
  AttachmentStore, BlobClient, cleanName, downloadChunks, downloadFile, downloadPreview, prepareAttachment, sendable, uploadPending,
} from './attachments.ts';

const CHUNK = ATTACHMENT_LIMITS.chunkBytes;

/** fetch onto the in-process service; `cut(path, method)` returning true fails the request like a lost connection. */
function fetchVia(server: Server, cut: (path: string, method: string) => boolean = () => false): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    if (cut(url.pathname, method)) throw new TypeError('Failed to fetch');
    const body = init?.body;
    const payload = body instanceof Uint8Array ? Buffer.from(body) : (body as string | undefined);
    const res = await server.inject({ method, url: url.pathname + url.search, headers: init?.headers as Record<string, string>, payload });
    return new Response(res.statusCode === 204 ? null : new Uint8Array(res.rawPayload), { status: res.statusCode, headers: { 'content-type': String(res.headers['content-type'] ?? '') } });
  }) as typeof fetch;
}

function fileBytes(n: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(n);
  // a recognisable plaintext: if it were stored anywhere in the clear, the scan below finds it
  const marker = new TextEncoder().encode('PLAINTEXT-MARKER ');
  for (let i = 0; i < n; i++) b[i] = marker[i % marker.length]!;
  return b;
}

function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

let app: TestApp;
let alice: Identity, bob: Identity;
let tokens: { alice: string; bob: string };
let conv: Conv;
let n = 0;

beforeAll(async () => {
  app = await startApp();
  [alice, bob] = await Promise.all([identity('alice'), identity('bob')]);
  await register(app.server, alice);
  await register(app.server, bob);
  tokens = { alice: (await login(app.server, alice)).token, bob: (await login(app.server, bob)).token };
  conv = await createConversation(app.server, tokens.alice, alice, [alice, bob]);
});
afterAll(async () => app?.close());

const client = (token: string, cut?: (path: string, method: string) => boolean) => new BlobClient({ baseUrl: 'http://service.test', token: () => token, fetch: fetchVia(app.server, cut) });

describe('attachments on the device', () => {
  it('ATT1 (client): a file is sealed at once into IndexedDB: sealed chunks and ids only, no key, no name, no plaintext', async () => {
    const store = await AttachmentStore.open(`att-${n++}`);
    const data = fileBytes(2 * CHUNK + 10);
    const messageId = crypto.randomUUID();
    const ref = await prepareAttachment(store, new Blob([data], { type: 'text/plain' }), { conversationId: conv.id, messageId, name: 'secret-plan.txt' });
    expect([ref.size, ref.chunks, ref.type, ref.name]).toEqual([data.length, 3, 'text/plain', 'secret-plan.txt']);
    const chunks = await store.db.getAll('chunks');
    expect(chunks.map((c) => c.bytes.length)).toEqual([SEALED_CHUNK_BYTES, SEALED_CHUNK_BYTES, SEALED_CHUNK_BYTES]);
    const marker = new TextEncoder().encode('PLAINTEXT-MARKER');
    for (const c of chunks) expect(contains(c.bytes, marker)).toBe(false);
    const uploads = await store.uploads();
    expect(uploads).toEqual([{ blobId: ref.blobId, conversationId: conv.id, messageId, chunks: 3, createdAt: expect.any(Number), error: null }]);
    const text = JSON.stringify(uploads);
    expect(text).not.toContain(ref.key);
    expect(text).not.toContain('secret-plan');
    expect(await store.waitingMessages()).toEqual(new Set([messageId]));
    store.close();
  });

  it('holds a message back until its files are up, and nothing after it in the same conversation', () => {
    const rows = [
      { clientMessageId: 'a1', conversationId: 'a' }, { clientMessageId: 'b1', conversationId: 'b' }, { clientMessageId: 'a2', conversationId: 'a' },
      { clientMessageId: 'b2', conversationId: 'b' }, { clientMessageId: 'a3', conversationId: 'a' },
    ];
    expect(sendable(rows, new Set(['a2'])).map((r) => r.clientMessageId)).toEqual(['a1', 'b1', 'b2']);
    expect(sendable(rows, new Set()).length).toBe(5);
  });

  it('uploads, resumes after a lost connection without sending a chunk twice, and the other member downloads the same bytes with the preview', async () => {
    const store = await AttachmentStore.open(`att-${n++}`);
    const data = fileBytes(3 * CHUNK + 77);
    const messageId = crypto.randomUUID();
    const preview = { bytes: fileBytes(900), type: 'image/webp' as const, width: 32, height: 20 };
    const ref = await prepareAttachment(store, new Blob([data], { type: 'image/png' }), { conversationId: conv.id, messageId, name: 'cat.png', preview });
    // the connection drops after two chunks of the file went up
    let puts = 0;
    const sent: string[] = [];
    const flaky = client(tokens.alice, (path, method) => {
      if (method !== 'PUT') return false;
      if (puts++ >= 2) return true;
      sent.push(path);
      return false;
    });
    const first = await uploadPending(store, flaky);
    expect([first.network, [...first.waiting]]).toEqual([true, [messageId]]);
    // back online: the service says what it has, only the rest is sent
    const resumed: string[] = [];
    const good = client(tokens.alice, (path, method) => {
      if (method === 'PUT') resumed.push(path);
      return false;
    });
    const second = await uploadPending(store, good);
    expect(await store.uploads()).toEqual([]);
    // the file and its preview, each uploaded once over the two tries (in either order)
    expect([second.network, second.waiting.size, first.uploaded + second.uploaded]).toEqual([false, 0, 2]);
    expect(resumed.filter((p) => sent.includes(p))).toEqual([]);
    expect(sent.length + resumed.length).toBe(ref.chunks + ref.preview!.chunks);
    expect(await store.db.count('chunks')).toBe(0);
    // bob, a member, downloads on demand
    const got = await downloadFile(client(tokens.bob), ref, conv.id);
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(data);
    expect(got.type).toBe('image/png');
    const pv = await downloadPreview(client(tokens.bob), ref, conv.id);
    expect(new Uint8Array(await pv!.arrayBuffer())).toEqual(preview.bytes);
    store.close();
  });

  it('A4, A2 (client): a preview pasted from another file and a wrong hash are refused on download', async () => {
    const store = await AttachmentStore.open(`att-${n++}`);
    const mk = async (seed: number) => prepareAttachment(store, new Blob([fileBytes(5000 + seed)]), {
      conversationId: conv.id, messageId: crypto.randomUUID(), name: 'p.jpg', preview: { bytes: fileBytes(300 + seed), type: 'image/jpeg', width: 4, height: 4 },
    });
    const one = await mk(1);
    const two = await mk(2);
    await uploadPending(store, client(tokens.alice));
    const pasted: AttachmentRef = { ...two, preview: one.preview };
    await expect(downloadPreview(client(tokens.bob), pasted, conv.id)).rejects.toSatisfy((e) => e instanceof AttachmentError && e.code === 'tampered');
    const wrongHash: AttachmentRef = { ...one, sha256: two.sha256 };
    const seen: number[] = [];
    await expect((async () => { for await (const p of downloadChunks(client(tokens.bob), wrongHash, conv.id)) seen.push(p.length); })())
      .rejects.toSatisfy((e) => e instanceof AttachmentError && e.code === 'hash-mismatch');
    store.close();
  });

  it('A1 (client): chunks the database swapped or repeated are refused on download, before any byte of them is handed out', async () => {
    const store = await AttachmentStore.open(`att-${n++}`);
    const data = fileBytes(3 * CHUNK);
    const ref = await prepareAttachment(store, new Blob([data]), { conversationId: conv.id, messageId: crypto.randomUUID(), name: 'a.bin' });
    await uploadPending(store, client(tokens.alice));
    const q = (sql: string) => app.testDb.query(sql, [conv.id, ref.blobId]);
    const attempt = async () => {
      const parts: number[] = [];
      try {
        for await (const p of downloadChunks(client(tokens.bob), ref, conv.id)) parts.push(p.length);
        return { code: 'opened', parts };
      } catch (e) {
        return { code: e instanceof AttachmentError ? e.code : String(e), parts };
      }
    };
    expect(await attempt()).toEqual({ code: 'opened', parts: [CHUNK, CHUNK, CHUNK] });
    // the attacker (as the database superuser) swaps chunks 0 and 1: rows are append-only, so delete and insert
    await q(`CREATE TABLE saved AS SELECT * FROM blob_chunks WHERE conversation_id = $1::text AND blob_id = $2::uuid`);
    await q(`DELETE FROM blob_chunks WHERE conversation_id = $1 AND blob_id = $2`);
    await q(`INSERT INTO blob_chunks SELECT conversation_id, blob_id, CASE idx WHEN 0 THEN 1 WHEN 1 THEN 0 ELSE idx END, bytes FROM saved WHERE conversation_id = $1 AND blob_id = $2`);
    expect(await attempt()).toEqual({ code: 'tampered', parts: [] });
    // chunk 0 repeated in place of chunk 2
    await q(`DELETE FROM blob_chunks WHERE conversation_id = $1 AND blob_id = $2`);
    await q(`INSERT INTO blob_chunks SELECT conversation_id, blob_id, idx, bytes FROM saved WHERE conversation_id = $1 AND blob_id = $2 AND idx < 2`);
    await q(`INSERT INTO blob_chunks SELECT conversation_id, blob_id, 2, bytes FROM saved WHERE conversation_id = $1 AND blob_id = $2 AND idx = 0`);
    expect(await attempt()).toEqual({ code: 'tampered', parts: [CHUNK, CHUNK] });
    store.close();
  });

  it('keeps a refused upload waiting with the service\'s code (the message is not sent without its file)', async () => {
    const store = await AttachmentStore.open(`att-${n++}`);
    const messageId = crypto.randomUUID();
    const mallory = await identity('mallory');
    await register(app.server, mallory);
    const token = (await login(app.server, mallory)).token;
    await prepareAttachment(store, new Blob([fileBytes(10)]), { conversationId: conv.id, messageId, name: 'x' });
    const out = await uploadPending(store, client(token));
    expect([...out.waiting]).toEqual([messageId]);
    expect((await store.uploads())[0]!.error).toBe('not_found');
    store.close();
  });

  it('cleans file names and refuses nothing the protocol would accept', () => {
    expect(cleanName('../../etc/passwd')).toBe('.._.._etc_passwd');
    expect(cleanName('a\u0000b')).toBe('a_b');
    expect(cleanName('')).toBe('file');
    expect(cleanName('x'.repeat(300)).length).toBe(255);
  });
});
