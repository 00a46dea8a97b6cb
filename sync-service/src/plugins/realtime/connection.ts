import type { WebSocket } from 'ws';
import { encodeFrame, type FrameInit, type ServerFrame } from '../../../../protocol/src/frames.ts';
import type { Caller } from '../auth/scheme.ts';
import type { Subscription } from './feed.ts';
import type { Feeds } from './feeds.ts';

/** Close the socket of a client that does not read (bytes queued in the socket). */
const MAX_BUFFERED = 16 * 1024 * 1024;

/**
 * One authenticated WebSocket. Per conversation it keeps the client's cursor; the
 * conversation's Feed pushes every entry after it, in order, exactly once.
 */
export class Connection {
  private subs = new Map<string, Subscription>();
  /** While the first subscriptions are being read, notifications are remembered here. */
  private early: Map<string, number> | null = new Map();
  /**
   * Where the last subscribed window ended (THREATS L3): null before the first, an id while
   * the client still has windows to send, undefined once every conversation is subscribed.
   */
  windowEnd: string | null | undefined = null;
  closed = false;
  /** Envelopes of `send` / `sendBatch` frames not answered yet (see Sender). */
  sending = 0;

  constructor(
    readonly socket: WebSocket,
    readonly user: Caller,
    private readonly feeds: Feeds,
    /** SHA-256 of the session token (never the token): each `send` checks the session again. */
    readonly tokenHash: Buffer,
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
    if (this.closed) return;
    if (this.subs.has(conversationId)) {
      this.advance(conversationId, target);
      return;
    }
    const early = this.early?.get(conversationId) ?? 0;
    const sub: Subscription = { conn: this, cursor, live: false, catchingUp: false };
    this.subs.set(conversationId, sub);
    this.feeds.join(conversationId, sub, Math.max(target, early));
  }

  /** A new entry exists up to seq. */
  advance(conversationId: string, seq: number): void {
    if (!this.subs.has(conversationId)) {
      if (this.early) this.early.set(conversationId, Math.max(seq, this.early.get(conversationId) ?? 0));
      return;
    }
    this.feeds.advance(conversationId, seq);
  }

  unsubscribe(conversationId: string): void {
    const sub = this.subs.get(conversationId);
    if (!sub) return;
    this.subs.delete(conversationId);
    this.feeds.leave(conversationId, sub);
  }

  /** Forget every subscription (the socket closed). */
  dispose(): void {
    this.closed = true;
    for (const id of [...this.subs.keys()]) this.unsubscribe(id);
  }

  /** The initial subscriptions are in place: later notifications go to them directly. */
  started(): void {
    this.early = null;
  }

  send(frame: FrameInit<ServerFrame>): void {
    this.sendText(encodeFrame(frame));
  }

  sendText(text: string): void {
    if (this.closed) return;
    if (this.socket.bufferedAmount > MAX_BUFFERED) {
      this.socket.terminate();
      return;
    }
    this.socket.send(text);
  }

  /** A UTF-8 text frame shared by many sockets (serialized once). */
  sendFrame(frame: Buffer): void {
    if (this.closed) return;
    if (this.socket.bufferedAmount > MAX_BUFFERED) {
      this.socket.terminate();
      return;
    }
    this.socket.send(frame, { binary: false });
  }
}
