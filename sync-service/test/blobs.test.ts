// Attachment blobs (protocol SPEC §14, API.md "Attachment blobs"): upload, resume, finish
// and download by members only; limits and quota (THREATS A3); collection of blobs no
// message names; chunk rows append-only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { ATTACHMENT_LIMITS, FileOpener, FileSealer, SEALED_CHUNK_BYTES, type Identity, type SealedChunk } from '../../protocol/src/index.ts';
import { identity } from '../../test/support/identities.ts';
import { call, createConversation, login, register, send, startApp, type Conv, type TestApp } from '../../test/support/service.ts';

let app: TestApp;
let alice: Identity, bob: Identity, mallory: Identity;
let tokens: { alice: string; bob: string; mallory: string };
let conv: Conv;

beforeAll(async () => {
  app = await startApp({ config: { blobQuotaBytes: 40 * SEALED_CHUNK_BYTES } });
  [alice, bob, mallory] = await Promise.all([identity('alice'), identity('bob'), identity('mallory')]);
  for (const id of [alice, bob, mallory]) await register(app.server, id);
  tokens = { alice: (await login(app.server, alice)).token, bob: (await login(app.server, bob)).token, mallory: (await login(app.server, mallory)).token };
  conv = await createConversation(app.server, tokens.alice, alice, [alice, bob]);
});
afterAll(async () => app?.close());

async function putChunk(token: string | undefined, blobId: string, index: number, bytes: Uint8Array, type = 'application/octet-stream') {
  const res = await app.server.inject({
    method: 'PUT', url: `${base()}/${blobId}/chunks/${index}`,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': type },
    payload: Buffer.from(bytes),
  });
  return { status: res.statusCode, json: res.payload ? (JSON.parse(res.payload) as any) : undefined };
}

/** As a browser asks: accepting compressed answers. */
async function getChunk(token: string | undefined, blobId: string, index: number) {
  const res = await app.server.inject({ method: 'GET', url: `${base()}/${blobId}/chunks/${index}`, headers: { 'accept-encoding': 'gzip, deflate, br', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  return { status: res.statusCode, bytes: new Uint8Array(res.rawPayload), headers: res.headers, json: res.statusCode === 200 ? undefined : (JSON.parse(res.payload) as any) };
}

const base = (conversationId = conv.id) => `/api/v1/conversations/${conversationId}/blobs`;
const create = (token: string | undefined, payload: { blobId: string; conversationId?: string; chunks: number }) => {
  const { conversationId, ...body } = payload;
  return call(app.server, 'POST', base(conversationId), { token, payload: body });
};
const rows = async (blobId: string) => Number((await app.testDb.query<{ n: string }>('SELECT count(*) AS n FROM blob_chunks WHERE blob_id = $1', [blobId])).rows[0]!.n);
const blobRows = async (blobId: string) => Number((await app.testDb.query<{ n: string }>('SELECT count(*) AS n FROM blobs WHERE blob_id = $1', [blobId])).rows[0]!.n);

async function seal(bytes: number): Promise<{ sealer: FileSealer; chunks: SealedChunk[]; data: Uint8Array }> {
  const data = new Uint8Array(bytes).map((_, i) => (i * 31) & 0xff);
  const sealer = await FileSealer.create({ conversationId: conv.id, size: bytes });
  const chunks = [...(await sealer.push(data))];
  for await (const c of sealer.finish()) chunks.push(c);
  return { sealer, chunks, data };
}

describe('blob upload and download', () => {
  it('uploads a sealed file in chunks, resumes, finishes, and a member downloads the same bytes that open', async () => {
    const { sealer, chunks, data } = await seal(2 * ATTACHMENT_LIMITS.chunkBytes + 100);
    const blobId = sealer.blobId;
    const first = await create(tokens.alice, { blobId, conversationId: conv.id, chunks: chunks.length });
    expect([first.status, first.json.stored, first.json.complete, first.json.chunks]).toEqual([201, [], false, 3]);
    expect((await putChunk(tokens.alice, blobId, 0, chunks[0]!.bytes)).status).toBe(201);
    expect((await putChunk(tokens.alice, blobId, 2, chunks[2]!.bytes)).status).toBe(201);
    // the connection drops; the client asks what is there and sends the rest
    const again = await create(tokens.alice, { blobId, conversationId: conv.id, chunks: chunks.length });
    expect([again.status, again.json.stored]).toEqual([200, [0, 2]]);
    const messageId = randomUUID();
    const early = await call(app.server, 'POST', `${base()}/${blobId}/finish`, { token: tokens.alice, payload: { messageId } });
    expect([early.status, early.json.error.code]).toEqual([409, 'blob_incomplete']);
    // a resent chunk is harmless and never rewrites the stored one
    const resent = await putChunk(tokens.alice, blobId, 0, new Uint8Array(SEALED_CHUNK_BYTES));
    expect([resent.status, resent.json.duplicate]).toEqual([200, true]);
    expect((await putChunk(tokens.alice, blobId, 1, chunks[1]!.bytes)).status).toBe(201);
    const done = await call(app.server, 'POST', `${base()}/${blobId}/finish`, { token: tokens.alice, payload: { messageId } });
    expect([done.status, done.json.complete, done.json.stored]).toEqual([200, true, [0, 1, 2]]);
    const status = await call(app.server, 'GET', `${base()}/${blobId}`, { token: tokens.bob });
    expect([status.status, status.json.chunks, status.json.complete]).toEqual([200, 3, true]);
    const opener = await FileOpener.create({ blobId, ...sealer.digest(), size: data.length, chunks: 3, type: 'application/octet-stream', name: 'x', preview: null }, { conversationId: conv.id });
    const out: number[] = [];
    for (let i = 0; i < 3; i++) {
      const got = await getChunk(tokens.bob, blobId, i);
      expect([got.status, got.headers['content-type'], got.bytes.length]).toEqual([200, 'application/octet-stream', SEALED_CHUNK_BYTES]);
      // Ciphertext does not compress: sent as it is, not gzipped at both ends' expense.
      expect(got.headers['content-encoding']).toBeUndefined();
      out.push(...(await opener.open(i, got.bytes)));
    }
    opener.finish();
    expect(new Uint8Array(out)).toEqual(data);
    expect((await getChunk(tokens.bob, blobId, 3)).status).toBe(404);
  });
});

describe('authorization on every blob route', () => {
  let blobId: string;
  let incomplete: string;
  const chunk = new Uint8Array(SEALED_CHUNK_BYTES);

  beforeAll(async () => {
    blobId = randomUUID();
    incomplete = randomUUID();
    await create(tokens.alice, { blobId, conversationId: conv.id, chunks: 1 });
    await putChunk(tokens.alice, blobId, 0, chunk);
    await call(app.server, 'POST', `${base()}/${blobId}/finish`, { token: tokens.alice, payload: { messageId: randomUUID() } });
    await create(tokens.alice, { blobId: incomplete, conversationId: conv.id, chunks: 2 });
    await putChunk(tokens.alice, incomplete, 0, chunk);
  });

  const routes = () => [
    { name: 'POST /conversations/{id}/blobs', run: (t?: string) => create(t, { blobId: randomUUID(), conversationId: conv.id, chunks: 1 }) },
    { name: 'GET /blobs/{id}', run: (t?: string) => call(app.server, 'GET', `${base()}/${blobId}`, { token: t }) },
    { name: 'PUT /blobs/{id}/chunks/{i}', run: (t?: string) => putChunk(t, incomplete, 1, chunk) },
    { name: 'POST /blobs/{id}/finish', run: (t?: string) => call(app.server, 'POST', `${base()}/${incomplete}/finish`, { token: t, payload: { messageId: randomUUID() } }) },
    { name: 'GET /blobs/{id}/chunks/{i}', run: (t?: string) => getChunk(t, blobId, 0) },
  ];

  it('answers 401 unauthorized to no token on every blob route', async () => {
    for (const r of routes()) {
      const res = await r.run(undefined);
      expect([r.name, res.status, res.json?.error?.code]).toEqual([r.name, 401, 'unauthorized']);
    }
  });

  it('answers 404 not_found to a non-member on every blob route, and stores nothing for them', async () => {
    for (const r of routes()) {
      const res = await r.run(tokens.mallory);
      expect([r.name, res.status, res.json?.error?.code]).toEqual([r.name, 404, 'not_found']);
    }
    expect(await rows(incomplete)).toBe(1);
  });

  it('lets a member who is not the uploader download a finished blob, but not upload, finish or see an unfinished one', async () => {
    expect((await getChunk(tokens.bob, blobId, 0)).status).toBe(200);
    expect((await putChunk(tokens.bob, incomplete, 1, chunk)).status).toBe(404);
    expect((await call(app.server, 'POST', `${base()}/${incomplete}/finish`, { token: tokens.bob, payload: { messageId: randomUUID() } })).status).toBe(404);
    expect((await call(app.server, 'GET', `${base()}/${incomplete}`, { token: tokens.bob })).status).toBe(404);
    expect((await getChunk(tokens.bob, incomplete, 0)).status).toBe(404);
    // the uploader sees what it stored
    expect((await call(app.server, 'GET', `${base()}/${incomplete}`, { token: tokens.alice })).json.stored).toEqual([0]);
  });

  it('refuses a blob id taken by another upload (409 blob_exists)', async () => {
    const res = await create(tokens.bob, { blobId, conversationId: conv.id, chunks: 1 });
    expect([res.status, res.json.error.code]).toEqual([409, 'blob_exists']);
  });

  it('refuses malformed ids and indexes with 400, never 5xx', async () => {
    expect((await call(app.server, 'GET', `${base()}/not-a-uuid`, { token: tokens.alice })).status).toBe(400);
    expect((await getChunk(tokens.alice, blobId, -1)).status).toBe(400);
    expect((await create(tokens.alice, { blobId: randomUUID().toUpperCase(), conversationId: conv.id, chunks: 1 })).status).toBe(400);
    expect((await create(tokens.alice, { blobId: randomUUID(), conversationId: conv.id, chunks: 0 })).status).toBe(400);
  });
});

describe('A3: oversized and endless uploads', () => {
  it('A3: refuses a blob over the chunk limit (413 blob_too_large) and stores no row', async () => {
    const blobId = randomUUID();
    const res = await create(tokens.alice, { blobId, conversationId: conv.id, chunks: ATTACHMENT_LIMITS.maxChunks + 1 });
    expect([res.status, res.json.error.code]).toEqual([413, 'blob_too_large']);
    expect(await blobRows(blobId)).toBe(0);
  });

  it('A3: refuses chunks past the declared count, of another size, or too big, and stores nothing of them', async () => {
    const blobId = randomUUID();
    await create(tokens.alice, { blobId, conversationId: conv.id, chunks: 2 });
    const endless = await putChunk(tokens.alice, blobId, 2, new Uint8Array(SEALED_CHUNK_BYTES));
    expect([endless.status, endless.json.error.code]).toEqual([400, 'chunk_out_of_range']);
    const short = await putChunk(tokens.alice, blobId, 0, new Uint8Array(SEALED_CHUNK_BYTES - 1));
    expect([short.status, short.json.error.code]).toEqual([400, 'chunk_size']);
    const big = await putChunk(tokens.alice, blobId, 0, new Uint8Array(SEALED_CHUNK_BYTES + 1));
    expect([big.status, big.json.error.code]).toEqual([413, 'payload_too_large']);
    const json = await putChunk(tokens.alice, blobId, 0, new Uint8Array(SEALED_CHUNK_BYTES), 'application/json');
    expect(json.status).toBe(415);
    expect(await rows(blobId)).toBe(0);
  });

  it('A3: refuses an upload past the per-user quota (413 blob_quota_exceeded) before storing anything', async () => {
    // the quota here is 40 padded chunks; bob holds none yet
    const a = randomUUID();
    const b = randomUUID();
    expect((await create(tokens.bob, { blobId: a, conversationId: conv.id, chunks: 30 })).status).toBe(201);
    const over = await create(tokens.bob, { blobId: b, conversationId: conv.id, chunks: 11 });
    expect([over.status, over.json.error.code]).toEqual([413, 'blob_quota_exceeded']);
    expect(await blobRows(b)).toBe(0);
    expect((await create(tokens.bob, { blobId: b, conversationId: conv.id, chunks: 10 })).status).toBe(201);
    // the same create again is a resume, not a second reservation
    expect((await create(tokens.bob, { blobId: b, conversationId: conv.id, chunks: 10 })).status).toBe(200);
  });
});

describe('collection and append-only chunks', () => {
  it('collects blobs no message names after the grace period, and keeps the referenced and the recent ones', async () => {
    const make = async (finish: 'no' | 'sent' | 'unsent') => {
      const blobId = randomUUID();
      const messageId = randomUUID();
      await create(tokens.alice, { blobId, conversationId: conv.id, chunks: 1 });
      await putChunk(tokens.alice, blobId, 0, new Uint8Array(SEALED_CHUNK_BYTES));
      if (finish !== 'no') await call(app.server, 'POST', `${base()}/${blobId}/finish`, { token: tokens.alice, payload: { messageId } });
      if (finish === 'sent') expect((await send(app.server, tokens.alice, conv, await conv.seal(alice, 'a photo', messageId))).status).toBe(201);
      return blobId;
    };
    const unfinished = await make('no');
    const referenced = await make('sent');
    const unsent = await make('unsent');
    const recent = await make('no');
    await app.testDb.query("UPDATE blobs SET created_at = now() - interval '2 days' WHERE blob_id = ANY($1::uuid[])", [[unfinished, referenced, unsent]]);
    const gone = await app.database.db.blobs.collect(24 * 3600);
    expect(gone).toContain(unfinished);
    expect(gone).toContain(unsent);
    expect(gone).not.toContain(referenced);
    expect(gone).not.toContain(recent);
    expect([await blobRows(unfinished), await rows(unsent), await rows(referenced), await rows(recent)]).toEqual([0, 0, 1, 1]);
    expect((await getChunk(tokens.bob, referenced, 0)).status).toBe(200);
  });

  it('refuses to rewrite a stored chunk in the database', async () => {
    await expect(app.testDb.query("UPDATE blob_chunks SET bytes = '\\x00'")).rejects.toThrow(/append-only/);
  });
});
