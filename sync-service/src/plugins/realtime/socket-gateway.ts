import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { decodeClientFrame, encodeFrame, FrameError, type Decoded, type ClientFrame, type ErrorFrameCode } from '../../../../protocol/src/frames.ts';
import type { Authenticator } from './authenticator.ts';
import type { Connection } from './connection.ts';
import type { Pinger } from './pinger.ts';
import type { Registry } from './registry.ts';
import type { Sender } from './sender.ts';
import type { TypingRelay } from './typing-relay.ts';

export interface GatewayOptions {
  path: string;
  /** The configured origins (read at each upgrade: tests add their listener's). */
  origins: readonly string[];
  /** The first frame must arrive within this many ms. */
  authTimeoutMs: number;
}

/** Frames a client may send before its `auth` is answered (its `subscribe` windows), at most. */
const MAX_HELD_FRAMES = 100;
const MAX_HELD_BYTES = 4 * 1024 * 1024;
const rawLength = (d: RawData): number => (Array.isArray(d) ? d.reduce((n, b) => n + b.length, 0) : (d as Buffer | ArrayBuffer).byteLength);

const BINARY: Decoded<ClientFrame> = { ok: false, error: new FrameError('invalid_json', 'frames are text') };

/** What the client is told about a frame it should not have sent. */
function errorCode(decoded: Decoded<ClientFrame>): ErrorFrameCode {
  return !decoded.ok && decoded.error.code === 'unsupported_version' ? 'unsupported_version' : 'invalid_message';
}

/**
 * The WebSocket endpoint on Hapi's own listener: the upgrade (path and Origin), then one
 * socket's conversation: an `auth` frame first, then `subscribe` windows, `ping`,
 * `send` / `sendBatch` (appends, see Sender) and `typing` (relayed, see TypingRelay). Frames are decoded with
 * protocol/src/frames.ts.
 */
export class SocketGateway {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024, perMessageDeflate: false });

  constructor(
    private readonly options: GatewayOptions,
    private readonly authenticator: Authenticator,
    private readonly registry: Registry,
    private readonly pinger: Pinger,
    private readonly sender: Sender,
    private readonly typing: TypingRelay,
    private readonly onError: (error: unknown) => void,
  ) {}

  readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const reject = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== this.options.path) return reject(404, 'Not Found');
    const origin = req.headers.origin;
    // Cross-site WebSocket hijacking: browsers always send Origin; refuse any other site.
    if (!origin || !this.options.origins.includes(origin)) return reject(403, 'Forbidden');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  };

  private accept(ws: WebSocket): void {
    let connection: Connection | null = null;
    this.pinger.track(ws);
    const fail = (code: ErrorFrameCode, close: number) => {
      ws.send(encodeFrame({ type: 'error', code }));
      ws.close(close, code);
      ws.resume(); // paused while authenticating: the peer's closing frame must still be read
    };
    const timer = setTimeout(() => { if (!connection) fail('unauthorized', 4401); }, this.options.authTimeoutMs);
    ws.on('error', () => undefined);
    ws.on('close', () => {
      clearTimeout(timer);
      this.pinger.untrack(ws);
      if (connection) this.registry.forget(connection);
    });

    let authenticating = false;
    // Frames that came while the token was checked (after `ready`, the first window may still
    // be read): handled, in order, once the connection exists.
    let held: [RawData, boolean][] = [];
    let heldBytes = 0;
    // `subscribe` windows are read one after another, in the order they came.
    let windows: Promise<unknown> = Promise.resolve();
    const onFrame = (data: RawData, isBinary: boolean): void => {
      if (authenticating && !connection) {
        heldBytes += rawLength(data);
        held.push([data, isBinary]);
        if (held.length > MAX_HELD_FRAMES || heldBytes > MAX_HELD_BYTES) fail('invalid_message', 4400);
        return;
      }
      const decoded = isBinary ? BINARY : decodeClientFrame(data.toString());
      if (connection) {
        const c = connection;
        if (decoded.ok && decoded.frame.type === 'ping') c.send({ type: 'pong' });
        else if (decoded.ok && decoded.frame.type === 'typing') this.typing.handle(c, decoded.frame);
        else if (decoded.ok && (decoded.frame.type === 'send' || decoded.frame.type === 'sendBatch')) this.sender.handle(c, decoded.frame);
        else if (decoded.ok && decoded.frame.type === 'subscribe') {
          const { after, until, cursors } = decoded.frame;
          windows = windows.then(() => this.authenticator.subscribeWindow(c, { after, until: until ?? null, cursors })).then((ok) => {
            // Not the window after the previous one (or every conversation is subscribed already).
            if (!ok) c.send({ type: 'error', code: 'invalid_message' });
            else c.send(until === undefined ? { type: 'subscribed' } : { type: 'subscribed', until });
          }, (err) => {
            this.onError(err);
            ws.close(1011, 'internal error');
          });
        } else c.send({ type: 'error', code: errorCode(decoded) });
        return;
      }
      if (!decoded.ok || decoded.frame.type !== 'auth') return fail(errorCode(decoded), 4400);
      authenticating = true;
      // Back-pressure while the token is checked and the first window read: the client may
      // start sending once it sees `ready`, and a paused socket leaves those frames in the
      // kernel's buffers instead of our `held` list (which keeps only what was already parsed).
      ws.pause();
      const { token, cursors, until } = decoded.frame;
      void this.authenticator.authenticate(ws, token, { after: null, until: until ?? null, cursors }).then((c) => {
        if (!c) return fail('unauthorized', 4401);
        // Closed while authenticating: the close handler saw no connection.
        if (ws.readyState !== ws.OPEN) return this.registry.forget(c);
        connection = c;
        const waiting = held;
        held = [];
        for (const [d, b] of waiting) onFrame(d, b);
        ws.resume();
      }, (err) => {
        this.onError(err);
        ws.close(1011, 'internal error');
        ws.resume();
      });
    };
    ws.on('message', onFrame);
  }

  /** Close politely (1001): clients reconnect elsewhere with their cursors. */
  closeAll(): void {
    for (const c of this.registry.connections) c.socket.close(1001, 'server shutting down');
    for (const ws of this.wss.clients) if (ws.readyState === ws.CONNECTING || ws.readyState === ws.OPEN) ws.close(1001, 'server shutting down');
  }

  terminate(): void {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }
}
