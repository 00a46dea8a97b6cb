// Live updates over the WebSocket (API.md "Realtime"). Every (re)connection sends the
// cursors again, so the server replays whatever was missed while disconnected: the first
// window of them in `auth`, the others in `subscribe` frames once `ready` (THREATS L3: never
// every cursor in one frame). Frames, both
// ways, are the typed and versioned ones of protocol/src/frames.ts.
import { cursorWindows, decodeServerFrame, encodeFrame, type CursorWindow, type RetryLaterCode, type SentBatchResult } from '../../../protocol/src/frames.ts';
import type { LogEntry } from './api.ts';

/** The service answered a `sendBatch` with `retryLater`: nothing was stored; send again after retryAfterMs. */
export class RetryLater extends Error {
  constructor(readonly code: RetryLaterCode, readonly retryAfterMs: number) {
    super(`the service asks to send again in ${retryAfterMs} ms (${code})`);
    this.name = 'RetryLater';
  }
}

/** The socket closed, or did not answer in time: the caller sends over HTTP instead. */
export class SocketGone extends Error {
  constructor() {
    super('the WebSocket went away before answering');
    this.name = 'SocketGone';
  }
}

/** A `sendBatch` not answered within this long is given up (and sent over HTTP). */
const SEND_TIMEOUT_MS = 20_000;
/** The service closes a socket on a frame over 1 MiB: a batch larger than this goes over HTTP. */
const MAX_SEND_FRAME_CHARS = 900 * 1024;

export type ConnectionState = 'offline' | 'connecting' | 'online';

export interface RealtimeOptions {
  url: string;
  token: () => string | undefined;
  cursors: () => Promise<Record<string, number>>;
  onEntry: (entry: LogEntry) => void;
  onReady: () => void;
  onConversation: (conversationId: string) => void;
  onState: (state: ConnectionState) => void;
  onUnauthorized: () => void;
  /** SPEC §8c: another member's sealed typing signal (the caller opens and checks it). */
  onTyping?: (conversationId: string, sealed: string) => void;
}

const MAX_DELAY = 15_000;

export class Realtime {
  private readonly opts: RealtimeOptions;
  private ws: WebSocket | null = null;
  private stopped = true;
  private delay = 500;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** `ready` came on the current socket: sends may go over it. */
  private ready = false;
  private nextRef = 0;
  private readonly pending = new Map<string, { resolve(r: SentBatchResult[]): void; reject(e: Error): void; timer: ReturnType<typeof setTimeout> }>();
  private readonly onOnline = () => this.reconnectNow();
  /**
   * The browser lost the network: an open socket may linger for a long time before it
   * notices, so drop it now and say "offline" (messages are queued) instead of "online".
   */
  private readonly onOffline = () => {
    const ws = this.ws;
    this.ws = null;
    this.socketGone();
    if (ws) {
      ws.onclose = null;
      ws.onmessage = null;
      ws.close();
    }
    this.opts.onState('offline');
    this.retry();
  };

  constructor(opts: RealtimeOptions) {
    this.opts = opts;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    globalThis.addEventListener?.('online', this.onOnline);
    globalThis.addEventListener?.('offline', this.onOffline);
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    globalThis.removeEventListener?.('online', this.onOnline);
    globalThis.removeEventListener?.('offline', this.onOffline);
    clearTimeout(this.timer);
    this.ws?.close();
    this.ws = null;
    this.socketGone();
    this.opts.onState('offline');
  }

  /**
   * Send envelopes over the open socket (`sendBatch`, answered as POST /messages/batch), or
   * null when there is no authenticated socket. Rejects with RetryLater when the service is
   * full, with SocketGone when the socket closes or does not answer in time.
   */
  sendBatch(envelopes: object[]): Promise<SentBatchResult[]> | null {
    const ws = this.ws;
    if (!ws || !this.ready || ws.readyState !== WebSocket.OPEN) return null;
    const ref = `b${++this.nextRef}`;
    const text = encodeFrame({ type: 'sendBatch', ref, envelopes: envelopes as Record<string, unknown>[] });
    if (text.length > MAX_SEND_FRAME_CHARS) return null;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(ref);
        reject(new SocketGone());
      }, SEND_TIMEOUT_MS);
      this.pending.set(ref, { resolve, reject, timer });
      ws.send(text);
    });
  }

  /** SPEC §8c: a sealed typing signal over the open socket; false (dropped, never queued) when there is none. */
  sendTyping(conversationId: string, sealed: string): boolean {
    const ws = this.ws;
    if (!ws || !this.ready || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(encodeFrame({ type: 'typing', conversationId, sealed }));
    return true;
  }

  /** The socket is no more: every send still waiting goes over HTTP. */
  private socketGone(): void {
    this.ready = false;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new SocketGone());
    }
    this.pending.clear();
  }

  private settle(ref: string): { resolve(r: SentBatchResult[]): void; reject(e: Error): void } | undefined {
    const p = this.pending.get(ref);
    if (!p) return undefined;
    this.pending.delete(ref);
    clearTimeout(p.timer);
    return p;
  }

  reconnectNow(): void {
    if (this.stopped) return;
    this.delay = 500;
    clearTimeout(this.timer);
    if (!this.ws) void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped || this.ws) return;
    const token = this.opts.token();
    if (!token) return;
    this.opts.onState('connecting');
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.opts.url);
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    let rest: CursorWindow[] = [];
    ws.onopen = async () => {
      const [first, ...others] = cursorWindows(await this.opts.cursors());
      rest = others;
      if (ws.readyState !== WebSocket.OPEN) return;
      ws.send(encodeFrame(first!.until === undefined ? { type: 'auth', token, cursors: first!.cursors } : { type: 'auth', token, cursors: first!.cursors, until: first!.until }));
    };
    ws.onmessage = (ev) => {
      const decoded = decodeServerFrame(String(ev.data));
      // A frame this version cannot read (unknown type, newer version) is skipped; the entries
      // it may have carried come back with the next pull.
      if (!decoded.ok) return;
      const msg = decoded.frame;
      if (msg.type === 'ready') {
        for (const w of rest) ws.send(encodeFrame({ type: 'subscribe', after: w.after!, cursors: w.cursors, ...(w.until !== undefined ? { until: w.until } : {}) }));
        rest = [];
        this.ready = true;
        this.delay = 500;
        this.opts.onState('online');
        this.opts.onReady();
      } else if (msg.type === 'entry') {
        this.opts.onEntry({ conversationId: msg.conversationId, seq: msg.seq, kind: msg.kind, body: msg.body, createdAt: msg.createdAt });
      } else if (msg.type === 'typing') {
        this.opts.onTyping?.(msg.conversationId, msg.sealed);
      } else if (msg.type === 'conversation') {
        this.opts.onConversation(msg.conversationId);
      } else if (msg.type === 'sentBatch') {
        this.settle(msg.ref)?.resolve(msg.results);
      } else if (msg.type === 'retryLater') {
        this.settle(msg.ref)?.reject(new RetryLater(msg.code, msg.retryAfterMs));
      } else if (msg.type === 'error' && msg.code === 'unauthorized') {
        this.opts.onUnauthorized();
      }
    };
    ws.onclose = () => {
      if (this.ws === ws) {
        this.ws = null;
        this.socketGone();
      }
      this.opts.onState(navigator.onLine === false ? 'offline' : 'connecting');
      this.retry();
    };
  }

  private retry(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.connect(), this.delay);
    this.delay = Math.min(this.delay * 2, MAX_DELAY);
  }
}
