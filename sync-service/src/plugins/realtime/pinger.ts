import type { WebSocket } from 'ws';
import type { Database } from '../../db/index.ts';
import type { Connection } from './connection.ts';

/**
 * Every ping period, for all sockets of the instance at once: drop a socket that missed
 * the last pong, ping the others, and close those whose session was revoked or expired
 * meanwhile (one query for all of them, not one per socket).
 */
export class Pinger {
  /** Every accepted socket (authenticated or not) and whether it answered the last ping. */
  private readonly peers = new Map<WebSocket, { alive: boolean }>();
  private timer: NodeJS.Timeout | null = null;
  private rechecking = false;

  constructor(
    private readonly db: Database,
    private readonly connections: ReadonlySet<Connection>,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  track(ws: WebSocket): void {
    const peer = { alive: true };
    this.peers.set(ws, peer);
    ws.on('pong', () => { peer.alive = true; });
  }

  untrack(ws: WebSocket): void {
    this.peers.delete(ws);
  }

  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private tick(): void {
    for (const [ws, peer] of this.peers) {
      if (!peer.alive) {
        this.peers.delete(ws);
        ws.terminate();
        continue;
      }
      peer.alive = false;
      ws.ping();
    }
    void this.recheckSessions();
  }

  private async recheckSessions(): Promise<void> {
    if (this.rechecking || this.connections.size === 0) return;
    this.rechecking = true;
    try {
      const bySession = new Map<string, Connection[]>();
      for (const c of this.connections) {
        const list = bySession.get(c.user.sessionId);
        if (list) list.push(c);
        else bySession.set(c.user.sessionId, [c]);
      }
      const ids = [...bySession.keys()];
      for (let at = 0; at < ids.length; at += 10_000) {
        const part = ids.slice(at, at + 10_000);
        const live = await this.db.sessions.liveOf(part);
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
      this.onError(error);
    } finally {
      this.rechecking = false;
    }
  }
}
