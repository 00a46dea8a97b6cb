import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { decodeClientFrame, encodeFrame, FrameError, type Decoded, type ClientFrame, type ErrorFrameCode } from '../../../../protocol/src/frames.ts';
import type { Authenticator } from './authenticator.ts';
import type { Connection } from './connection.ts';
import type { Pinger } from './pinger.ts';
import type { Registry } from './registry.ts';

export interface GatewayOptions {
  path: string;
  /** The configured origins (read at each upgrade: tests add their listener's). */
  origins: readonly string[];
  /** The first frame must arrive within this many ms. */
  authTimeoutMs: number;
}

const BINARY: Decoded<ClientFrame> = { ok: false, error: new FrameError('invalid_json', 'frames are text') };

/** What the client is told about a frame it should not have sent. */
function errorCode(decoded: Decoded<ClientFrame>): ErrorFrameCode {
  return !decoded.ok && decoded.error.code === 'unsupported_version' ? 'unsupported_version' : 'invalid_message';
}

/**
 * The WebSocket endpoint on Hapi's own listener: the upgrade (path and Origin), then one
 * socket's conversation: an `auth` frame first, then only `ping`. Frames are decoded with
 * protocol/src/frames.ts.
 */
export class SocketGateway {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024, perMessageDeflate: false });

  constructor(
    private readonly options: GatewayOptions,
    private readonly authenticator: Authenticator,
    private readonly registry: Registry,
    private readonly pinger: Pinger,
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
    };
    const timer = setTimeout(() => { if (!connection) fail('unauthorized', 4401); }, this.options.authTimeoutMs);
    ws.on('error', () => undefined);
    ws.on('close', () => {
      clearTimeout(timer);
      this.pinger.untrack(ws);
      if (connection) this.registry.forget(connection);
    });

    let authenticating = false;
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const decoded = isBinary ? BINARY : decodeClientFrame(data.toString());
      if (connection) {
        if (decoded.ok && decoded.frame.type === 'ping') connection.send({ type: 'pong' });
        else connection.send({ type: 'error', code: errorCode(decoded) });
        return;
      }
      if (authenticating) return;
      if (!decoded.ok || decoded.frame.type !== 'auth') return fail(errorCode(decoded), 4400);
      authenticating = true;
      const { token, cursors } = decoded.frame;
      void this.authenticator.authenticate(ws, token, cursors).then((c) => {
        if (!c) return fail('unauthorized', 4401);
        // Closed while authenticating: the close handler saw no connection.
        if (ws.readyState !== ws.OPEN) return this.registry.forget(c);
        connection = c;
      }, (err) => {
        this.onError(err);
        ws.close(1011, 'internal error');
      });
    });
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
