// Attachments benchmark (issue 15): upload and download of one 50 MB file through the real
// path (protocol FileSealer → PUT /blobs/{id}/chunks/{i} of the service as a child process →
// Postgres; GET → FileOpener), beside two ceilings measured in the same run on the same
// bytes: raw AES-256-GCM over the same 64 KiB chunks (WebCrypto, encrypt then decrypt), and
// raw Postgres writes and reads of the same sealed chunks (one INSERT / SELECT of a bytea
// row per chunk over one connection, no HTTP, no checks), each run before and after the
// path, the faster kept. Goal: each direction at least
// 0.5× the throughput of the slower ceiling. Memory: the client's RSS growth while streaming.
// Run alone: `npx tsx bench/attachments.bench.ts` (BENCH_QUICK=1: 10 MB).
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { ATTACHMENT_LIMITS, FileSealer, createEpoch, randomBytes, type AttachmentRef } from '../protocol/src/index.ts';
import { BlobClient, IN_FLIGHT, downloadChunks } from '../pwa/src/services/attachments.ts';
import { identity } from '../test/support/identities.ts';
import { ApiClient } from './support/api.ts';
import type { BenchContext } from './support/context.ts';
import { round, type BenchRow } from './support/rows.ts';
import { startServiceProcess } from './support/service.ts';

const CHUNK = ATTACHMENT_LIMITS.chunkBytes;
const MB = 1_000_000;

/** The file's bytes, made one chunk at a time (never all in memory). */
function* source(size: number): Generator<Uint8Array> {
  const block = randomBytes(CHUNK);
  for (let at = 0; at < size; at += CHUNK) {
    block[0] = at & 0xff; // not all chunks alike
    yield block.subarray(0, Math.min(CHUNK, size - at));
  }
}

async function rawAesGcm(size: number): Promise<number> {
  const key = await crypto.subtle.importKey('raw', randomBytes(32) as Uint8Array<ArrayBuffer>, 'AES-GCM', false, ['encrypt', 'decrypt']);
  const t0 = performance.now();
  let i = 0;
  for (const plain of source(size)) {
    const iv = new Uint8Array(12);
    new DataView(iv.buffer).setUint32(8, i++);
    const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, plain as Uint8Array<ArrayBuffer>);
    await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, sealed);
  }
  return performance.now() - t0;
}

async function rawPostgres(url: string, chunks: Uint8Array[], table: string): Promise<{ write: number; read: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE TABLE ${table} (idx integer PRIMARY KEY, bytes bytea NOT NULL)`);
    await client.query(`ALTER TABLE ${table} ALTER COLUMN bytes SET STORAGE EXTERNAL`);
    let t0 = performance.now();
    for (let i = 0; i < chunks.length; i++) await client.query(`INSERT INTO ${table} (idx, bytes) VALUES ($1, $2)`, [i, Buffer.from(chunks[i]!)]);
    const write = performance.now() - t0;
    t0 = performance.now();
    let total = 0;
    for (let i = 0; i < chunks.length; i++) total += ((await client.query<{ bytes: Buffer }>(`SELECT bytes FROM ${table} WHERE idx = $1`, [i])).rows[0]!.bytes).length;
    const read = performance.now() - t0;
    if (total !== chunks.length * chunks[0]!.length) throw new Error('raw read lost bytes');
    return { write, read };
  } finally {
    await client.end();
  }
}

export async function runAttachmentsBench(ctx: BenchContext): Promise<BenchRow[]> {
  const size = (ctx.quick ? 10 : 50) * MB;
  const url = await ctx.pg.freshDatabase('attachments');
  const service = await startServiceProcess({ databaseUrl: url, env: { BLOB_QUOTA_BYTES: String(10 * 1024 ** 3) } });
  const api = new ApiClient(service.port, service.origin);
  try {
    const alice = await identity('alice', 'benchatt');
    await api.register(alice);
    const token = await api.login(alice);
    const conversationId = `bench-att-${Date.now()}`;
    const { record } = await createEpoch({ conversationId, epoch: 0, creator: alice, members: [alice.public], previous: null });
    await api.createConversation(token, record);
    const client = new BlobClient({ baseUrl: service.url, token: () => token });

    // Ceilings first (on a sealed copy of the same file), then the path, then the ceilings
    // again: each ceiling keeps its faster run, so load beside the bench cannot flatter the ratio.
    const sealedCopy: Uint8Array[] = [];
    const pre = await FileSealer.create({ conversationId, size });
    for (const piece of source(size)) for (const c of await pre.push(piece)) sealedCopy.push(c.bytes);
    for await (const c of pre.finish()) sealedCopy.push(c.bytes);
    const aes0 = await rawAesGcm(size);
    const raw0 = await rawPostgres(url, sealedCopy, 'bench_raw_before');

    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sample = () => {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    };

    // upload: seal as the bytes stream in, PUT each chunk as it is sealed
    let t0 = performance.now();
    const sealer = await FileSealer.create({ conversationId, size });
    await client.create(conversationId, sealer.blobId, sealer.chunkCount);
    // as the client does (attachments.ts IN_FLIGHT): a few PUTs in flight while the next chunks are sealed
    const pending = new Set<Promise<void>>();
    const put = async (c: { index: number; bytes: Uint8Array }) => {
      const p: Promise<void> = client.put(conversationId, sealer.blobId, c.index, c.bytes).then(() => {
        pending.delete(p);
      });
      pending.add(p);
      if (pending.size >= IN_FLIGHT) await Promise.race(pending);
      sample();
    };
    for (const piece of source(size)) for (const c of await sealer.push(piece)) await put(c);
    for await (const c of sealer.finish()) await put(c);
    await Promise.all(pending);
    const digest = sealer.digest();
    await client.finish(conversationId, sealer.blobId, crypto.randomUUID());
    const upload = performance.now() - t0;

    // download: GET each chunk (read ahead), open it in place, drop it
    const ref: AttachmentRef = { blobId: sealer.blobId, key: digest.key, size, chunks: sealer.chunkCount, type: 'application/octet-stream', name: 'bench.bin', sha256: digest.sha256, preview: null };
    t0 = performance.now();
    let got = 0;
    for await (const part of downloadChunks(client, ref, conversationId)) {
      got += part.length;
      sample();
    }
    const download = performance.now() - t0;
    if (got !== size) throw new Error('download lost bytes');

    // the ceilings, same run, same bytes
    const aes = Math.min(aes0, await rawAesGcm(size));
    const raw1 = await rawPostgres(url, sealedCopy, 'bench_raw_after');
    const raw = { write: Math.min(raw0.write, raw1.write), read: Math.min(raw0.read, raw1.read) };
    const slowerUp = Math.max(aes, raw.write);
    const slowerDown = Math.max(aes, raw.read);
    const mbps = (ms: number) => round(size / MB / (ms / 1000), 1);
    const growth = round((rssPeak - rssBefore) / MB, 0);
    const note = `${size / MB} MB, ${ref.chunks} chunks; raw AES-GCM ${mbps(aes)} MB/s, raw Postgres write ${mbps(raw.write)} / read ${mbps(raw.read)} MB/s; client RSS +${growth} MB while streaming (after the sealed copy for the raw ceiling was made)`;
    return [
      {
        group: 'attachments', name: `upload ${size / MB} MB (seal + HTTP + Postgres)`, value: mbps(upload), unit: 'MB/s',
        ceiling: mbps(slowerUp), ceilingName: 'slower of raw AES-GCM and raw Postgres write', ratio: round(slowerUp / upload),
        goal: '≥ 0.5× the slower ceiling', met: slowerUp / upload >= 0.5, note,
      },
      {
        group: 'attachments', name: `download ${size / MB} MB (HTTP + open + hash)`, value: mbps(download), unit: 'MB/s',
        ceiling: mbps(slowerDown), ceilingName: 'slower of raw AES-GCM and raw Postgres read', ratio: round(slowerDown / download),
        goal: '≥ 0.5× the slower ceiling', met: slowerDown / download >= 0.5,
      },
    ];
  } finally {
    api.close();
    await service.stop();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { standalone } = await import('./support/standalone.ts');
  await standalone(runAttachmentsBench);
}
