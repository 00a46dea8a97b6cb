import type { WebSocket } from 'ws';
import type { Database } from '../../db/index.ts';
import type { Caller } from '../auth/scheme.ts';
import { CHUNK, entryJson } from '../../services/log-stream.ts';

/** Close the socket of a client that does not read (bytes queued in the socket). */
const MAX_BUFFERED = 16 * 1024 * 1024;
/** Catch-up pauses while this much is queued, so a long history streams at the client's pace. */
const PAUSE_BUFFERED = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Subscription {
  /** Last seq pushed to this client. */
  cursor: number;
  /** Highest seq known to exist (from a notification or a query). */
  target: number;
  draining: boolean;
}

/**
 * One authenticated WebSocket. Per conversation it keeps the client's cursor and
 * pushes every entry after it, in order, exactly once: catch-up and live pushes
 * go through the same drain loop, so they never interleave or skip.
 */
export class Connection {
  private subs = new Map<string, Subscription>();
  /** While the first subscriptions are being read, notifications are remembered here. */
  private early: Map<string, number> | null = new Map();
  closed = false;

  constructor(
    readonly socket: WebSocket,
    readonly user: Caller,
    private readonly db: Database,
    private readonly onError: (error: unknown) => void,
    /** Keeps the instance's conversation → connections index up to date. */
    private readonly index: { add(conversationId: string, c: Connection): void; remove(conversationId: string, c: Connection): void },
  ) {}

  /** True until started(): notifications for any conversation are remembered. */
  get starting(): boolean {
    return this.early !== null;
  }

  has(conversationId: string): boolean {
    return this.subs.has(conversationId);
  }

  conversations(): string[] {
    return [...this.subs.keys()];
  }

  subscribe(conversationId: string, cursor: number, target: number): void {
    const existing = this.subs.get(conversationId);
    if (existing) {
      this.advance(conversationId, target);
      return;
    }
    const early = this.early?.get(conversationId) ?? 0;
    this.subs.set(conversationId, { cursor, target: Math.max(target, early), draining: false });
    this.index.add(conversationId, this);
    this.drain(conversationId);
  }

  /** A new entry exists up to seq. */
  advance(conversationId: string, seq: number): void {
    const sub = this.subs.get(conversationId);
    if (!sub) {
      if (this.early) this.early.set(conversationId, Math.max(seq, this.early.get(conversationId) ?? 0));
      return;
    }
    if (seq > sub.target) sub.target = seq;
    this.drain(conversationId);
  }

  unsubscribe(conversationId: string): void {
    if (this.subs.delete(conversationId)) this.index.remove(conversationId, this);
  }

  /** Forget every subscription (the socket closed). */
  dispose(): void {
    this.closed = true;
    for (const id of this.subs.keys()) this.index.remove(id, this);
    this.subs.clear();
  }

  /** The initial subscriptions are in place: later notifications go to them directly. */
  started(): void {
    this.early = null;
  }

  send(message: unknown): void {
    this.sendText(JSON.stringify(message));
  }

  private sendText(text: string): void {
    if (this.closed) return;
    if (this.socket.bufferedAmount > MAX_BUFFERED) {
      this.socket.terminate();
      return;
    }
    this.socket.send(text);
  }

  private drain(conversationId: string): void {
    const sub = this.subs.get(conversationId);
    if (!sub || sub.draining || sub.cursor >= sub.target || this.closed) return;
    sub.draining = true;
    void (async () => {
      try {
        while (!this.closed && sub.cursor < sub.target) {
          for (let waited = 0; this.socket.bufferedAmount > PAUSE_BUFFERED && !this.closed && waited < 30_000; waited += 10) await sleep(10);
          const rows = await this.db.log.pageForMember(conversationId, this.user.userPk, sub.cursor, CHUNK);
          if (rows.length === 0) {
            // No longer a member (or nothing there): stop pushing this conversation.
            if (sub.cursor < sub.target) this.unsubscribe(conversationId);
            break;
          }
          for (const row of rows) {
            this.sendText(entryJson(row, conversationId, 'entry'));
            sub.cursor = row.seq;
          }
          if (sub.cursor > sub.target) sub.target = sub.cursor;
        }
      } catch (error) {
        this.onError(error);
      } finally {
        sub.draining = false;
      }
      // A notification may have raised the target while the last query ran.
      if (this.subs.get(conversationId) === sub && sub.cursor < sub.target) this.drain(conversationId);
    })();
  }
}
