// The crypto pool's bookkeeping, with in-process "workers" that run the real worker side
// (cryptoBatchRunner) on Node's WebCrypto. Real workers in Chromium: browser.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { CryptoPool, LAYOUT_INTS, cryptoBatchRunner, type CryptoBatch, type CryptoBatchReply, type WorkerLike } from '../src/index.ts';

interface FakeWorker extends WorkerLike { batches: CryptoBatch[]; terminated: boolean }

/** A worker that answers asynchronously with the real runner; `failOn`: the batch it dies on; `silent`: never answers. */
function fakeWorker(opts: { failOn?: number; silent?: boolean } = {}): FakeWorker {
  const run = cryptoBatchRunner();
  const w: FakeWorker = {
    batches: [],
    terminated: false,
    onmessage: null,
    onerror: null,
    postMessage(b: CryptoBatch) {
      // What postMessage with a transfer list does: the pool's copies are detached here.
      const copy = structuredClone(b, { transfer: [b.bytes, b.layout.buffer] });
      w.batches.push(copy);
      setTimeout(() => {
        if (w.terminated) return;
        if (opts.failOn === w.batches.length) return w.onerror?.(new Error('worker died'));
        if (opts.silent) return;
        void run(copy).then(({ reply }) => w.onmessage?.({ data: reply as CryptoBatchReply }));
      }, 1);
    },
    terminate() {
      w.terminated = true;
    },
  };
  return w;
}

const pools: CryptoPool[] = [];
afterEach(() => {
  for (const p of pools.splice(0)) p.close();
});

async function fixtures() {
  const ed = (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as CryptoKeyPair;
  const aes = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  const data = crypto.getRandomValues(new Uint8Array(300));
  const sig = new Uint8Array(await crypto.subtle.sign('Ed25519', ed.privateKey, data));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const aad = crypto.getRandomValues(new Uint8Array(40));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, aes, data));
  return { ed, aes, data, sig, iv, aad, sealed };
}

describe('CryptoPool', () => {
  it('OPEN4, OPEN6: answers what WebCrypto answers: good and bad signatures, plaintext and a failed tag', async () => {
    const f = await fixtures();
    const workers: FakeWorker[] = [];
    const pool = new CryptoPool({ size: 2, minBatch: 1, spawn: () => (workers.push(fakeWorker()), workers.at(-1)!) });
    pools.push(pool);
    const badSig = f.sig.slice();
    badSig[5]! ^= 1;
    const badSealed = f.sealed.slice();
    badSealed[0]! ^= 1;
    const [good, bad, plain, tampered] = await Promise.all([
      pool.verify(f.ed.publicKey, f.sig, f.data),
      pool.verify(f.ed.publicKey, badSig, f.data),
      pool.decrypt(f.aes, f.iv, f.aad, f.sealed),
      pool.decrypt(f.aes, f.iv, f.aad, badSealed).then(() => 'opened', (e: Error) => e.name),
    ]);
    expect([good, bad, tampered]).toEqual([true, false, 'OperationError']);
    expect(new Uint8Array(plain)).toEqual(f.data);
    expect(workers.length).toBe(2);
    expect(workers.every((w) => w.batches.length === 1)).toBe(true);
  });

  it('a small batch starts no worker (a live message); a large one does, and then small ones use the running workers', async () => {
    const f = await fixtures();
    const workers: FakeWorker[] = [];
    const pool = new CryptoPool({ size: 2, spawn: () => (workers.push(fakeWorker()), workers.at(-1)!) });
    pools.push(pool);
    expect(await Promise.all(Array.from({ length: 15 }, () => pool.verify(f.ed.publicKey, f.sig, f.data)))).toEqual(Array(15).fill(true));
    expect(workers.length).toBe(0);
    expect(await Promise.all(Array.from({ length: 16 }, () => pool.verify(f.ed.publicKey, f.sig, f.data)))).toEqual(Array(16).fill(true));
    expect(workers.map((w) => w.batches.length)).toEqual([1, 1]);
    expect(await pool.verify(f.ed.publicKey, f.sig, f.data)).toBe(true);
    expect(workers[0]!.batches.length).toBe(2);
  });

  it('calls of one turn go out as one batch per worker, and each key travels once per worker', async () => {
    const f = await fixtures();
    const workers: FakeWorker[] = [];
    const pool = new CryptoPool({ size: 2, minBatch: 1, spawn: () => (workers.push(fakeWorker()), workers.at(-1)!) });
    pools.push(pool);
    const first = await Promise.all(Array.from({ length: 100 }, () => pool.verify(f.ed.publicKey, f.sig, f.data)));
    const second = await Promise.all(Array.from({ length: 10 }, () => pool.verify(f.ed.publicKey, f.sig, f.data)));
    expect([...first, ...second].every((x) => x === true)).toBe(true);
    expect(workers.map((w) => w.batches.map((b) => b.layout.length / LAYOUT_INTS))).toEqual([[50, 5], [50, 5]]);
    expect(workers.map((w) => w.batches.map((b) => b.keys.length))).toEqual([[1, 0], [1, 0]]);
  });

  it('a batch travels as one buffer of exactly its inputs (a view into a larger buffer sends only its bytes), the caller\'s arrays untouched', async () => {
    const f = await fixtures();
    const workers: FakeWorker[] = [];
    const pool = new CryptoPool({ size: 1, minBatch: 1, spawn: () => (workers.push(fakeWorker()), workers.at(-1)!) });
    pools.push(pool);
    const big = new Uint8Array(1 << 20);
    big.set(f.data, 1000);
    const view = big.subarray(1000, 1000 + f.data.length);
    expect(await Promise.all([pool.verify(f.ed.publicKey, f.sig, view), pool.decrypt(f.aes, f.iv, f.aad, f.sealed)])).toHaveLength(2);
    const sent = workers[0]!.batches[0]!;
    expect(sent.bytes.byteLength).toBe(f.sig.length + f.data.length + f.iv.length + f.aad.length + f.sealed.length);
    expect(Array.from(sent.layout)).toEqual([0, 1, 0, 64, 64, 300, 0, 0, 1, 2, 364, 12, 376, 40, 416, 316]);
    expect(big.byteLength).toBe(1 << 20);
    expect(view).toEqual(f.data);
  });

  it('a worker that dies: its operations and every later one run on this thread, with the same answers', async () => {
    const f = await fixtures();
    const workers: FakeWorker[] = [];
    const pool = new CryptoPool({ size: 2, minBatch: 1, spawn: () => (workers.push(fakeWorker({ failOn: 1 })), workers.at(-1)!) });
    pools.push(pool);
    const badSig = f.sig.slice();
    badSig[0]! ^= 1;
    const answers = await Promise.all([pool.verify(f.ed.publicKey, f.sig, f.data), pool.verify(f.ed.publicKey, badSig, f.data)]);
    expect(answers).toEqual([true, false]);
    expect(pool.fellBack).toBe(true);
    expect(await pool.verify(f.ed.publicKey, badSig, f.data)).toBe(false);
    expect(workers.reduce((n, w) => n + w.batches.length, 0)).toBe(2);
  });

  it('a worker that never answers is given up after stallMs: its work runs on this thread', async () => {
    const f = await fixtures();
    const workers: FakeWorker[] = [];
    const pool = new CryptoPool({ size: 1, minBatch: 1, stallMs: 50, spawn: () => (workers.push(fakeWorker({ silent: true })), workers.at(-1)!) });
    pools.push(pool);
    const badSig = f.sig.slice();
    badSig[1]! ^= 1;
    expect(await Promise.all([pool.verify(f.ed.publicKey, f.sig, f.data), pool.verify(f.ed.publicKey, badSig, f.data)])).toEqual([true, false]);
    expect(pool.fellBack).toBe(true);
    expect(workers[0]!.terminated).toBe(true);
  });

  it('no Worker at all (spawn throws): everything runs on this thread', async () => {
    const f = await fixtures();
    const pool = new CryptoPool({ size: 2, minBatch: 1, spawn: () => { throw new Error('blocked by CSP'); } });
    pools.push(pool);
    expect(await pool.verify(f.ed.publicKey, f.sig, f.data)).toBe(true);
    expect(pool.fellBack).toBe(true);
    expect(pool.running).toBe(0);
  });

  it('idle workers stop, and start again on the next call (keys sent again)', async () => {
    const f = await fixtures();
    const workers: FakeWorker[] = [];
    const pool = new CryptoPool({ size: 1, minBatch: 1, idleMs: 20, spawn: () => (workers.push(fakeWorker()), workers.at(-1)!) });
    pools.push(pool);
    expect(await pool.verify(f.ed.publicKey, f.sig, f.data)).toBe(true);
    expect(pool.running).toBe(1);
    await new Promise((r) => setTimeout(r, 60));
    expect(pool.running).toBe(0);
    expect(workers[0]!.terminated).toBe(true);
    expect(await pool.verify(f.ed.publicKey, f.sig, f.data)).toBe(true);
    expect(workers.length).toBe(2);
    expect(workers[1]!.batches[0]!.keys.length).toBe(1);
  });
});
