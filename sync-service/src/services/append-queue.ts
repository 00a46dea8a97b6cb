import type { Database } from '../db/index.ts';
import type { AppendStatus, MessageAppend } from '../db/log.ts';
import { isDatabaseUnavailable } from '../db/unavailable.ts';
import { OverloadedError } from './errors.ts';

export interface AppendResult {
  status: AppendStatus;
  seq: number | null;
}

/** An entry a flush stored, as the realtime fan-out pushes it (no read back). */
export interface StoredEntry {
  conversationId: string;
  seq: number;
  /** Who appended it (users.id). */
  senderPk: number;
  /** Canonical JSON text of the envelope, as stored. */
  body: string;
  createdAt: Date;
}

export interface AppendQueueOptions {
  maxItems: number;
  maxInFlight: number;
  /**
   * Delays (ms) before each retry of a flush that failed because the database went away
   * (db/unavailable.ts). A retry is safe even when the first commit went through: the
   * client ids make it return the stored seqs ('duplicate'). After the last, the error
   * goes to the requests (503 database_unavailable, and the clients resend).
   */
  retryDelaysMs: number[];
  /**
   * Items waiting for a flush (not counting the one in flight) past which a request is
   * refused at once with OverloadedError (503 / `retryLater`) instead of queued: what
   * waits is bounded, so memory stays flat and an accepted append is stored in about
   * (maxQueued / maxItems) flushes. A request bigger than this is taken when nothing waits.
   */
  maxQueued: number;
  /** What a refused client is told to wait before it sends again. */
  retryAfterMs: number;
}

const DEFAULTS: AppendQueueOptions = { maxItems: 1000, maxInFlight: 1, retryDelaysMs: [50, 200, 500, 1000], maxQueued: 2000, retryAfterMs: 500 };

interface Group {
  items: MessageAppend[];
  resolve(results: AppendResult[]): void;
  reject(error: unknown): void;
}

/**
 * Group commit for message appends. Requests that arrive while a flush is in
 * flight wait for it and then go together in the next one: one statement
 * (append_messages), one transaction, one WAL flush for all of them. There is no
 * timer: an append on an idle instance is flushed at once, and under load the
 * batches grow by themselves. A request's envelopes are never split between
 * flushes, so a batch request gets results from one transaction.
 *
 * One flush in flight by default: append_messages NOTIFYs inside its transaction, and
 * Postgres serialises the commits of NOTIFYing transactions (a global lock held through
 * the WAL flush; measured on the bench machine, 16 connections: ~1,650–2,050 single-row
 * INSERTs/s, ~400–470/s with a NOTIFY in each). A second flush in flight only waits on
 * that lock and halves the batches; with one, everything that arrives meanwhile goes in
 * the next flush (A/B under the 16-client append benchmark: ~6.5 items per flush instead
 * of ~3.5, and more appends/s).
 */
export class AppendQueue {
  private pending: Group[] = [];
  /** Items in `pending`. */
  private queued = 0;
  private inFlight = 0;
  private closed = false;
  private readonly options: AppendQueueOptions;
  /** Flushes retried after the database went away, since start (for tests and logs). */
  retries = 0;
  /** Requests refused because the queue was full, since start. */
  refused = 0;
  /**
   * Called after each commit with the entries it stored, in seq order per conversation
   * (the realtime plugin pushes them to this instance's sockets at once).
   */
  onStored: ((entries: StoredEntry[]) => void) | null = null;
  /**
   * Also called after each commit with the same entries, after `onStored` (Web Push:
   * services/push-sender.ts). Each must only record and return: the requests wait for it.
   */
  readonly afterCommit: ((entries: readonly StoredEntry[]) => void)[] = [];
  /** Called when a flush is over (committed or failed), with its conversations. */
  onFlushed: ((conversationIds: string[]) => void) | null = null;
  /** Conversations with items in a flush in flight (how many flushes). */
  private readonly flushing = new Map<string, number>();

  /** True while a flush with items of this conversation is in flight. */
  isFlushing(conversationId: string): boolean {
    return this.flushing.has(conversationId);
  }

  constructor(private readonly db: Database, options: Partial<AppendQueueOptions> = {}) {
    this.options = { ...DEFAULTS, ...options };
  }

  append(items: MessageAppend[]): Promise<AppendResult[]> {
    if (this.closed) return Promise.reject(new Error('the append queue is closed'));
    if (items.length === 0) return Promise.resolve([]);
    if (this.queued > 0 && this.queued + items.length > this.options.maxQueued) {
      this.refused++;
      return Promise.reject(new OverloadedError(this.options.retryAfterMs));
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ items, resolve, reject });
      this.queued += items.length;
      this.pump();
    });
  }

  /** Stop taking appends; resolves when every accepted append is settled. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.inFlight > 0 || this.pending.length > 0) await new Promise((r) => setTimeout(r, 5));
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.pending.length > 0) {
      let count = 0;
      let take = 0;
      while (take < this.pending.length && (take === 0 || count + this.pending[take]!.items.length <= this.options.maxItems)) {
        count += this.pending[take]!.items.length;
        take++;
      }
      // One splice, not a shift per request (a full queue holds thousands of requests).
      const groups = this.pending.splice(0, take);
      this.queued -= count;
      this.inFlight++;
      void this.flush(groups).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async flush(groups: Group[]): Promise<void> {
    const items = groups.flatMap((g) => g.items);
    const conversations = [...new Set(items.map((i) => i.conversationId))];
    for (const c of conversations) this.flushing.set(c, (this.flushing.get(c) ?? 0) + 1);
    try {
      let results: (AppendResult & { createdAt?: Date })[];
      for (let attempt = 0; ; attempt++) {
        try {
          results = await this.db.log.appendMessages(items);
          break;
        } catch (error) {
          const delay = this.options.retryDelaysMs[attempt];
          if (delay === undefined || !isDatabaseUnavailable(error)) throw error;
          this.retries++;
          await new Promise((r) => setTimeout(r, delay));
        }
      }
      if (this.onStored || this.afterCommit.length > 0) {
        const stored: StoredEntry[] = [];
        results.forEach((r, i) => {
          if (r.status === 'stored' && r.createdAt) stored.push({ conversationId: items[i]!.conversationId, seq: r.seq!, senderPk: items[i]!.senderPk, body: items[i]!.body, createdAt: r.createdAt });
        });
        if (stored.length > 0) {
          for (const listener of this.onStored ? [this.onStored, ...this.afterCommit] : this.afterCommit) {
            try {
              listener(stored);
            } catch {
              // A push that fails must not fail the appends: the NOTIFY path still delivers.
            }
          }
        }
      }
      let at = 0;
      for (const g of groups) {
        g.resolve(results.slice(at, at + g.items.length).map(({ status, seq }) => ({ status, seq })));
        at += g.items.length;
      }
    } catch (error) {
      for (const g of groups) g.reject(error);
    } finally {
      for (const c of conversations) {
        const n = this.flushing.get(c)! - 1;
        if (n === 0) this.flushing.delete(c);
        else this.flushing.set(c, n);
      }
      try {
        this.onFlushed?.(conversations);
      } catch {
        // as onStored
      }
    }
  }
}
