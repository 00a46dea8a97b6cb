import type { Plugin } from '@hapi/hapi';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { Notifier, type ClientConstructor } from '../../services/notifier.ts';
import { tokenHash } from '../../services/tokens.ts';
import { Connection, Feeds } from './connection.ts';
import { authMessage, laterMessage, parseJson } from './messages.ts';

export const WS_PATH = '/api/v1/ws';

export interface RealtimeOptions {
  databaseUrl: string;
  /** Ping every this many ms; a client that misses a pong is dropped, a revoked session closed. */
  pingIntervalMs?: number;
  /** The first message must arrive within this many ms. */
  authTimeoutMs?: number;
}

declare module '@hapi/hapi' {
  interface ServerApplicationState {
    realtime?: { notifier: Notifier; connections: Set<Connection> };
  }
}

/**
 * Realtime pushes over a WebSocket (`ws` on Hapi's own listener). Every instance
 * LISTENs on Postgres; an append on any instance NOTIFYs ids, and each instance
 * pushes the entries to its own sockets.
 */
export const realtimePlugin: Plugin<RealtimeOptions> = {
  name: 'realtime',
  register(server, options) {
    const { config, database } = server.app;
    const db = database.db;
    const pingInterval = options.pingIntervalMs ?? 25_000;
    const authTimeout = options.authTimeoutMs ?? 10_000;
    const notifier = new Notifier(options.databaseUrl, database.pgp.pg.Client as unknown as ClientConstructor, (msg) => server.log(['realtime', 'warn'], msg));
    const connections = new Set<Connection>();
    const byUser = new Map<string, Set<Connection>>();
    /** Connections still reading their first subscriptions (they remember every notification). */
    const starting = new Set<Connection>();
    const logError = (error: unknown) => server.log(['realtime', 'error'], { message: (error as Error)?.message });
    /** conversation → its local subscriptions, read once per new entry for all of them. */
    const feeds = new Feeds(db, logError);
    /** Every accepted socket (authenticated or not) and whether it answered the last ping. */
    const peers = new Map<WebSocket, { alive: boolean }>();
    server.app.realtime = { notifier, connections };
    const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024, perMessageDeflate: false });

    notifier.on('log', (conversationId, seq) => {
      feeds.advance(conversationId, seq);
      for (const c of starting) c.advance(conversationId, seq);
    });
    notifier.on('member', (conversationId, userId) => {
      for (const c of byUser.get(userId) ?? []) void addConversation(c, conversationId);
    });
    notifier.on('resync', () => {
      for (const c of connections) void refresh(c);
    });

    async function addConversation(c: Connection, conversationId: string): Promise<void> {
      try {
        const lastSeq = await db.conversations.memberLastSeq(conversationId, c.user.userPk);
        if (lastSeq === null || c.closed) return;
        if (!c.has(conversationId)) c.send({ type: 'conversation', conversationId });
        c.subscribe(conversationId, 0, lastSeq);
      } catch (error) {
        logError(error);
      }
    }

    /** After a LISTEN outage: re-read every conversation's head, then push what was missed. */
    async function refresh(c: Connection): Promise<void> {
      try {
        const heads = await db.log.memberCursors(c.user.userPk);
        for (const { conversationId, lastSeq } of heads) {
          if (c.has(conversationId)) c.advance(conversationId, lastSeq);
          else {
            c.send({ type: 'conversation', conversationId });
            c.subscribe(conversationId, 0, lastSeq);
          }
        }
      } catch (error) {
        logError(error);
      }
    }

    function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const reject = (status: number, text: string) => {
        socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      };
      if (url.pathname !== WS_PATH) return reject(404, 'Not Found');
      const origin = req.headers.origin;
      // Cross-site WebSocket hijacking: browsers always send Origin; refuse any other site.
      if (!origin || !config.origins.includes(origin)) return reject(403, 'Forbidden');
      wss.handleUpgrade(req, socket, head, (ws) => accept(ws));
    }

    function accept(ws: WebSocket): void {
      let connection: Connection | null = null;
      const peer = { alive: true };
      peers.set(ws, peer);
      const fail = (code: 'unauthorized' | 'invalid_message', close: number) => {
        ws.send(JSON.stringify({ type: 'error', code }));
        ws.close(close, code);
      };
      const timer = setTimeout(() => { if (!connection) fail('unauthorized', 4401); }, authTimeout);
      ws.on('pong', () => { peer.alive = true; });
      ws.on('error', () => undefined);
      ws.on('close', () => {
        clearTimeout(timer);
        peers.delete(ws);
        if (connection) forget(connection);
      });

      let authenticating = false;
      ws.on('message', (data: RawData, isBinary: boolean) => {
        const parsed = isBinary ? undefined : parseJson(data.toString());
        if (connection) {
          const { error } = laterMessage.validate(parsed);
          if (error) connection.send({ type: 'error', code: 'invalid_message' });
          else connection.send({ type: 'pong' });
          return;
        }
        if (authenticating) return;
        const { value, error } = authMessage.validate(parsed);
        if (error) return fail('invalid_message', 4400);
        authenticating = true;
        void authenticate(ws, value.token, value.cursors as Record<string, number>).then((c) => {
          if (!c) return fail('unauthorized', 4401);
          // Closed while authenticating: the close handler saw no connection.
          if (ws.readyState !== ws.OPEN) return forget(c);
          connection = c;
        }, (err) => {
          logError(err);
          ws.close(1011, 'internal error');
        });
      });
    }

    async function authenticate(ws: WebSocket, token: string, cursors: Record<string, number>): Promise<Connection | null> {
      const session = await db.sessions.authenticate(tokenHash(token));
      if (!session || ws.readyState !== ws.OPEN) return null;
      const c = new Connection(ws, { userId: session.userId, userPk: session.userPk, sessionId: session.sessionId }, feeds);
      connections.add(c);
      starting.add(c);
      let set = byUser.get(c.user.userId);
      if (!set) byUser.set(c.user.userId, (set = new Set()));
      set.add(c);
      // Registered before the heads are read: a notification in between is remembered, not lost.
      try {
        const heads = await db.log.memberCursors(c.user.userPk);
        c.send({ type: 'ready' });
        for (const { conversationId, lastSeq } of heads) c.subscribe(conversationId, cursors[conversationId] ?? 0, lastSeq);
      } catch (error) {
        forget(c);
        throw error;
      } finally {
        c.started();
        starting.delete(c);
      }
      return c;
    }

    function forget(c: Connection): void {
      c.dispose();
      connections.delete(c);
      starting.delete(c);
      const set = byUser.get(c.user.userId);
      set?.delete(c);
      if (set?.size === 0) byUser.delete(c.user.userId);
    }

    /**
     * Every ping period, for all sockets of the instance at once: drop a socket that
     * missed the last pong, ping the others, and close those whose session was revoked
     * or expired meanwhile (one query for all of them, not one per socket).
     */
    let rechecking = false;
    async function recheckAll(): Promise<void> {
      if (rechecking || connections.size === 0) return;
      rechecking = true;
      try {
        const bySession = new Map<string, Connection[]>();
        for (const c of connections) {
          const list = bySession.get(c.user.sessionId);
          if (list) list.push(c);
          else bySession.set(c.user.sessionId, [c]);
        }
        const ids = [...bySession.keys()];
        for (let at = 0; at < ids.length; at += 10_000) {
          const part = ids.slice(at, at + 10_000);
          const live = await db.sessions.liveOf(part);
          for (const id of part) {
            if (live.has(id)) continue;
            for (const c of bySession.get(id)!) {
              if (c.closed) continue;
              c.send({ type: 'error', code: 'unauthorized' });
              c.socket.close(4401, 'unauthorized');
            }
          }
        }
      } catch (error) {
        logError(error);
      } finally {
        rechecking = false;
      }
    }
    let pinger: NodeJS.Timeout | null = null;
    function tick(): void {
      for (const [ws, peer] of peers) {
        if (!peer.alive) {
          peers.delete(ws);
          ws.terminate();
          continue;
        }
        peer.alive = false;
        ws.ping();
      }
      void recheckAll();
    }

    server.listener.on('upgrade', onUpgrade);
    server.ext('onPreStart', async () => {
      pinger ??= setInterval(tick, pingInterval);
      await notifier.start();
    });
    // Close politely before Hapi stops listening: clients reconnect elsewhere with their cursors.
    server.ext('onPreStop', async () => {
      if (pinger) clearInterval(pinger);
      pinger = null;
      feeds.stop();
      for (const c of connections) c.socket.close(1001, 'server shutting down');
      for (const ws of wss.clients) if (ws.readyState === ws.CONNECTING || ws.readyState === ws.OPEN) ws.close(1001, 'server shutting down');
      await notifier.stop();
    });
    server.ext('onPostStop', async () => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    });
  },
};
