import type { Plugin } from '@hapi/hapi';
import { Notifier, type ClientConstructor } from '../../services/notifier.ts';
import { Authenticator } from './authenticator.ts';
import type { Connection } from './connection.ts';
import { Feeds } from './feeds.ts';
import { Pinger } from './pinger.ts';
import { Registry } from './registry.ts';
import { Sender } from './sender.ts';
import { SocketGateway } from './socket-gateway.ts';
import { TypingRelay } from './typing-relay.ts';

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
    realtime?: {
      notifier: Notifier;
      connections: Set<Connection>;
      /** Close this instance's sockets of these (just revoked) sessions now (DEV13); other instances close theirs at their next ping. */
      closeSessions: (sessionIds: readonly string[]) => number;
    };
  }
}

/**
 * Realtime pushes over a WebSocket (`ws` on Hapi's own listener). Every instance
 * LISTENs on Postgres; an append on any instance NOTIFYs ids, and each instance
 * pushes the entries to its own sockets. The parts, one file each:
 *  - SocketGateway: the upgrade and each socket's frames (auth first, then subscribe, ping, send);
 *  - Sender: `send` / `sendBatch` frames, the HTTP append over the socket;
 *  - TypingRelay: `typing` frames, relayed to every instance by NOTIFY and never stored;
 *  - Authenticator: an `auth` frame to a Connection with its subscriptions;
 *  - Registry: the authenticated Connections, and what a notification means for them;
 *  - Feeds / Feed: per conversation, one read per new entry for every local subscriber;
 *  - Connection: one socket's cursors and sends;
 *  - Pinger: liveness and session re-checks on a timer.
 * register() only builds and wires them.
 */
export const realtimePlugin: Plugin<RealtimeOptions> = {
  name: 'realtime',
  register(server, options) {
    const { config, database } = server.app;
    const db = database.db;
    const logError = (error: unknown) => server.log(['realtime', 'error'], { message: (error as Error)?.message });
    const notifier = new Notifier(options.databaseUrl, database.Client as unknown as ClientConstructor, (msg) => server.log(['realtime', 'warn'], msg));
    const feeds = new Feeds(db, logError);
    const registry = new Registry(db, feeds, logError);
    const pinger = new Pinger(db, registry.connections, options.pingIntervalMs ?? 25_000, logError);
    const { appendQueue, appendLimiter, sessionCache } = server.app;
    const sender = new Sender(
      { maxEnvelopeBytes: config.maxEnvelopeBytes, appendQueue, appendLimiter, isRevoked: (userPk, deviceId) => db.devices.isRevoked(userPk, deviceId) },
      (hash) => sessionCache.get(hash, () => db.sessions.authenticate(hash)),
      logError,
    );
    const typing = new TypingRelay(db, feeds, logError);
    const gateway = new SocketGateway(
      { path: WS_PATH, origins: config.origins, authTimeoutMs: options.authTimeoutMs ?? 10_000 },
      new Authenticator(db, feeds, registry),
      registry,
      pinger,
      sender,
      typing,
      logError,
    );
    const closeSessions = (sessionIds: readonly string[]): number => {
      const ended = new Set(sessionIds);
      let closed = 0;
      for (const c of registry.connections) {
        if (c.closed || !ended.has(c.user.sessionId)) continue;
        c.send({ type: 'error', code: 'unauthorized' });
        c.socket.close(4401, 'unauthorized');
        closed++;
      }
      return closed;
    };
    server.app.realtime = { notifier, connections: registry.connections, closeSessions };

    // Fan-out after commit: this instance's appends reach its sockets without a read;
    // the NOTIFY brings the other instances' (and is the fallback for these).
    appendQueue.onStored = (entries) => registry.onStored(entries);
    // A NOTIFY may overtake the answer to the commit it announces: while this instance has a
    // flush in flight for the conversation, hold it until the flush is over (the entries are
    // pushed by then, and the notification finds the sockets at the head: no read).
    const held = new Map<string, number>();
    appendQueue.onFlushed = (conversationIds) => {
      for (const id of conversationIds) {
        const seq = held.get(id);
        if (seq === undefined || appendQueue.isFlushing(id)) continue;
        held.delete(id);
        registry.onLog(id, seq);
      }
    };
    notifier.on('log', (conversationId, seq) => {
      if (appendQueue.isFlushing(conversationId)) held.set(conversationId, Math.max(seq, held.get(conversationId) ?? 0));
      else registry.onLog(conversationId, seq);
    });
    notifier.on('member', (conversationId, userId) => registry.onMember(conversationId, userId));
    notifier.on('resync', () => registry.onResync());
    // SPEC §8c: typing signals, relayed through Postgres to every instance, never stored.
    notifier.on('typing', (conversationId, userId, sealed) => typing.deliver(conversationId, userId, sealed));

    server.listener.on('upgrade', gateway.onUpgrade);
    server.ext('onPreStart', async () => {
      pinger.start();
      await notifier.start();
    });
    // Close politely before Hapi stops listening: clients reconnect elsewhere with their cursors.
    server.ext('onPreStop', async () => {
      pinger.stop();
      feeds.stop();
      gateway.closeAll();
      await notifier.stop();
    });
    server.ext('onPostStop', async () => {
      gateway.terminate();
    });
  },
};
