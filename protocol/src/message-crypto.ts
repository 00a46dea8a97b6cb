// The two WebCrypto calls that opening a message makes (OPEN4's Ed25519 verify, OPEN6's
// AES-GCM open), behind an interface so that a client with thousands of messages to open
// (a restore) can run them on several threads. Chromium runs WebCrypto on the calling
// thread: 10,000 verifies take ~560 ms on the main thread and ~300 ms split over two
// workers on this 2-core machine (BENCHMARKS.md, session 7). Everything else about opening
// (which key, which epoch, every check) stays with openMessage: a pool only computes.

/** WebCrypto's parameter type (imports nothing: the worker's file stays this module alone). */
const buf = (u: Uint8Array): Uint8Array<ArrayBuffer> => u as Uint8Array<ArrayBuffer>;

export interface MessageCrypto {
  /** Ed25519: true when `signature` is `key`'s over `data`. */
  verify(key: CryptoKey, signature: Uint8Array, data: Uint8Array): Promise<boolean>;
  /** AES-GCM, 128-bit tag: the plaintext; rejects when the tag does not hold. */
  decrypt(key: CryptoKey, iv: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Promise<ArrayBuffer>;
}

/** The calling thread's own WebCrypto: the default. */
export const subtleMessageCrypto: MessageCrypto = {
  verify: (key, signature, data) => globalThis.crypto.subtle.verify({ name: 'Ed25519' }, key, buf(signature), buf(data)),
  decrypt: (key, iv, aad, sealed) => globalThis.crypto.subtle.decrypt({ name: 'AES-GCM', iv: buf(iv), additionalData: buf(aad), tagLength: 128 }, key, buf(sealed)),
};

// ---- a pool of workers -------------------------------------------------------------

/**
 * A batch as sent to a worker: every operation's bytes copied into ONE buffer that is
 * transferred (cloning thousands of small arrays cost more than the copy), and per
 * operation LAYOUT_INTS numbers: kind (0 verify, 1 decrypt), key number, then offset and
 * length of each input (verify: signature, data; decrypt: iv, aad, sealed). Keys travel
 * once per worker, then by number.
 */
export interface CryptoBatch { batch: number; keys: [number, CryptoKey][]; layout: Int32Array; bytes: ArrayBuffer }

export const LAYOUT_INTS = 8;

/** Per op: verify's boolean, decrypt's plaintext or null (the tag failed), or the error's name. */
export type CryptoOutcome = boolean | ArrayBuffer | null | { error: string };

export interface CryptoBatchReply { batch: number; outcomes: CryptoOutcome[] }

/** What the pool needs of a Worker (a DOM Worker has all of it; tests pass an in-process one). */
export interface WorkerLike {
  postMessage(message: CryptoBatch, transfer: Transferable[]): void;
  onmessage: ((event: { data: CryptoBatchReply }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  terminate(): void;
}

/**
 * The worker's side (pwa/src/workers/crypto-worker.ts wires it to `onmessage`): runs a
 * batch with the worker's own WebCrypto, and lists the plaintexts to transfer back.
 */
export function cryptoBatchRunner(crypto: MessageCrypto = subtleMessageCrypto): (b: CryptoBatch) => Promise<{ reply: CryptoBatchReply; transfer: ArrayBuffer[] }> {
  const keys = new Map<number, CryptoKey>();
  return async ({ batch, keys: sent, layout, bytes }) => {
    for (const [id, key] of sent) keys.set(id, key);
    const transfer: ArrayBuffer[] = [];
    const part = (at: number, k: number) => new Uint8Array(bytes, layout[at + 2 + 2 * k]!, layout[at + 3 + 2 * k]!);
    const ops = Array.from({ length: layout.length / LAYOUT_INTS }, (_, i) => i * LAYOUT_INTS);
    const outcomes = await Promise.all(ops.map(async (at): Promise<CryptoOutcome> => {
      const decrypting = layout[at] === 1;
      const key = keys.get(layout[at + 1]!);
      if (key === undefined) return { error: 'UnknownKey' };
      try {
        if (!decrypting) return await crypto.verify(key, part(at, 0), part(at, 1));
        const plain = await crypto.decrypt(key, part(at, 0), part(at, 1), part(at, 2));
        transfer.push(plain);
        return plain;
      } catch (e) {
        // A tag that does not hold is an OperationError: the answer "tampered", not a fault.
        if (decrypting && (e as Error)?.name === 'OperationError') return null;
        return { error: (e as Error)?.name ?? 'Error' };
      }
    }));
    return { reply: { batch, outcomes }, transfer };
  };
}

/** What a worker said instead of an answer of the expected kind. */
const failure = (out: CryptoOutcome): string => (out !== null && typeof out === 'object' && 'error' in out ? out.error : `unexpected ${typeof out}`);

/** Workers for a pool: one per core, at most 4 (beyond that the main thread, which parses and stores, is the limit). */
export function cryptoPoolSize(cores: number | undefined): number {
  return Math.min(4, Math.max(1, cores || 2));
}

interface Pending { decrypt: boolean; key: CryptoKey; keyId: number; parts: Uint8Array[]; resolve: (v: CryptoOutcome) => void }

interface Slot { worker: WorkerLike; sentKeys: Set<number>; inFlight: Map<number, Pending[]>; watchdog?: ReturnType<typeof setTimeout> }

/**
 * MessageCrypto on `size` workers. Calls made in the same turn of the event loop go out as
 * one batch, split in contiguous runs between the workers; a batch under `minBatch` starts
 * no worker (it runs here, unless workers are already up). Workers stop after `idleMs`
 * with nothing to do and start again on the next call. If a worker cannot start or fails,
 * its operations and every later one run on this thread (subtleMessageCrypto): slower,
 * never a different answer.
 */
export class CryptoPool implements MessageCrypto {
  private readonly spawn: () => WorkerLike;
  private readonly size: number;
  private readonly idleMs: number;
  private readonly fallback: MessageCrypto;
  private slots: Slot[] = [];
  private queue: Pending[] = [];
  private flushing = false;
  private broken = false;
  private nextBatch = 1;
  private keyIds = new WeakMap<CryptoKey, number>();
  private nextKey = 1;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

  /** Fewer operations than this, with no worker running: they run here (a live message needs no worker started for it). */
  private readonly minBatch: number;

  /** A worker that answers no batch for this long is given up (its work runs here): a restore never hangs on one. */
  private readonly stallMs: number;

  constructor(p: { spawn: () => WorkerLike; size: number; idleMs?: number; minBatch?: number; stallMs?: number; fallback?: MessageCrypto }) {
    this.spawn = p.spawn;
    this.stallMs = p.stallMs ?? 20_000;
    this.minBatch = p.minBatch ?? 16;
    this.size = Math.max(1, Math.floor(p.size));
    this.idleMs = p.idleMs ?? 10_000;
    this.fallback = p.fallback ?? subtleMessageCrypto;
  }

  /** Workers running now (0 when idle or fallen back). */
  get running(): number {
    return this.slots.length;
  }

  /** True once a worker failed: everything runs on this thread from then on. */
  get fellBack(): boolean {
    return this.broken;
  }

  async verify(key: CryptoKey, signature: Uint8Array, data: Uint8Array): Promise<boolean> {
    if (this.broken) return this.fallback.verify(key, signature, data);
    const out = await this.enqueue(false, key, [signature, data]);
    if (typeof out === 'boolean') return out;
    throw new Error(`verify failed in a crypto worker: ${failure(out)}`);
  }

  async decrypt(key: CryptoKey, iv: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Promise<ArrayBuffer> {
    if (this.broken) return this.fallback.decrypt(key, iv, aad, sealed);
    const out = await this.enqueue(true, key, [iv, aad, sealed]);
    if (out instanceof ArrayBuffer) return out;
    if (out === null) throw new DOMException('The tag does not match', 'OperationError');
    throw new Error(`decrypt failed in a crypto worker: ${failure(out)}`);
  }

  /** Starts the workers ahead of the first call (a restore does, while it logs in): they take tens of ms to start. */
  warm(): void {
    if (!this.broken && this.ensureSlots()) this.armIdle();
  }

  /** Stops every worker now (a later call starts them again). */
  close(): void {
    clearTimeout(this.idleTimer);
    for (const s of this.slots) this.failSlot(s, false);
    this.slots = [];
  }

  /** The bytes are read when the batch goes out (two microtasks later): callers do not change them meanwhile. */
  private enqueue(decrypt: boolean, key: CryptoKey, parts: Uint8Array[]): Promise<CryptoOutcome> {
    clearTimeout(this.idleTimer);
    let keyId = this.keyIds.get(key);
    if (keyId === undefined) this.keyIds.set(key, (keyId = this.nextKey++));
    return new Promise((resolve) => {
      this.queue.push({ decrypt, key, keyId, parts, resolve });
      if (!this.flushing) {
        this.flushing = true;
        // After the microtasks already queued: the other opens of the same batch of
        // messages reach their WebCrypto call in them, and join this batch.
        queueMicrotask(() => queueMicrotask(() => this.flush()));
      }
    });
  }

  private flush(): void {
    this.flushing = false;
    const queue = this.queue;
    this.queue = [];
    if (queue.length === 0) return;
    if (this.broken || (this.slots.length === 0 && queue.length < this.minBatch) || !this.ensureSlots()) {
      for (const p of queue) this.runHere(p);
      return;
    }
    const per = Math.ceil(queue.length / this.slots.length);
    for (let i = 0; i < this.slots.length && i * per < queue.length; i++) {
      const slot = this.slots[i]!;
      const part = queue.slice(i * per, (i + 1) * per);
      const keys: [number, CryptoKey][] = [];
      let size = 0;
      for (const p of part) {
        if (!slot.sentKeys.has(p.keyId)) {
          slot.sentKeys.add(p.keyId);
          keys.push([p.keyId, p.key]);
        }
        for (const x of p.parts) size += x.byteLength;
      }
      const bytes = new Uint8Array(size);
      const layout = new Int32Array(part.length * LAYOUT_INTS);
      let offset = 0;
      part.forEach((p, i) => {
        const at = i * LAYOUT_INTS;
        layout[at] = p.decrypt ? 1 : 0;
        layout[at + 1] = p.keyId;
        p.parts.forEach((x, k) => {
          bytes.set(x, offset);
          layout[at + 2 + 2 * k] = offset;
          layout[at + 3 + 2 * k] = x.byteLength;
          offset += x.byteLength;
        });
      });
      const batch = this.nextBatch++;
      slot.inFlight.set(batch, part);
      this.watch(slot);
      try {
        slot.worker.postMessage({ batch, keys, layout, bytes: bytes.buffer }, [bytes.buffer, layout.buffer]);
      } catch {
        this.failSlot(slot, true);
      }
    }
  }

  private ensureSlots(): boolean {
    if (this.slots.length > 0) return true;
    try {
      for (let i = 0; i < this.size; i++) {
        const slot: Slot = { worker: this.spawn(), sentKeys: new Set(), inFlight: new Map() };
        slot.worker.onmessage = ({ data }) => this.settle(slot, data);
        slot.worker.onerror = () => this.failSlot(slot, true);
        this.slots.push(slot);
      }
      return true;
    } catch {
      this.broken = true;
      this.close();
      return false;
    }
  }

  private settle(slot: Slot, reply: CryptoBatchReply): void {
    const part = slot.inFlight.get(reply.batch);
    if (!part) return;
    slot.inFlight.delete(reply.batch);
    this.watch(slot);
    if (reply.outcomes.length !== part.length) {
      for (const p of part) this.runHere(p);
    } else {
      for (let i = 0; i < part.length; i++) part[i]!.resolve(reply.outcomes[i]!);
    }
    this.armIdle();
  }

  /** Restarts the slot's stall timer while it has work out, or stops it. */
  private watch(slot: Slot): void {
    clearTimeout(slot.watchdog);
    slot.watchdog = undefined;
    if (slot.inFlight.size === 0) return;
    slot.watchdog = setTimeout(() => this.failSlot(slot, true), this.stallMs);
    (slot.watchdog as { unref?: () => void }).unref?.();
  }

  /** With nothing queued nor in flight: stop the workers after `idleMs` unless a call comes first. */
  private armIdle(): void {
    clearTimeout(this.idleTimer);
    if (this.queue.length > 0 || this.slots.some((s) => s.inFlight.size > 0)) return;
    this.idleTimer = setTimeout(() => this.close(), this.idleMs);
    (this.idleTimer as { unref?: () => void }).unref?.();
  }

  /** A worker that failed: its operations run here; with `fallBack`, every later one too. */
  private failSlot(slot: Slot, fallBack: boolean): void {
    if (fallBack) this.broken = true;
    clearTimeout(slot.watchdog);
    try {
      slot.worker.terminate();
    } catch {
      /* already gone */
    }
    this.slots = this.slots.filter((s) => s !== slot);
    for (const part of slot.inFlight.values()) for (const p of part) this.runHere(p);
    slot.inFlight.clear();
  }

  private runHere(p: Pending): void {
    const [a, b, c] = p.parts as [Uint8Array, Uint8Array, Uint8Array];
    const run = p.decrypt ? this.fallback.decrypt(p.key, a, b, c) : this.fallback.verify(p.key, a, b);
    run.then(
      (v) => p.resolve(v),
      (e: Error) => p.resolve(p.decrypt && e?.name === 'OperationError' ? null : { error: e?.name ?? 'Error' }),
    );
  }
}
