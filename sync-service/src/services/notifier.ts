import { EventEmitter } from 'node:events';
import { CHANNEL_LOG, CHANNEL_MEMBER, CHANNEL_TYPING } from './conversations.ts';

/** The part of pg.Client used here (pg ships no types in this repo). */
export interface ListenClient {
  connect(): Promise<unknown>;
  end(): Promise<unknown>;
  query(sql: string): Promise<unknown>;
  on(event: string, listener: (...args: any[]) => void): unknown;
}
export type ClientConstructor = new (config: { connectionString: string; keepAlive?: boolean }) => ListenClient;
type Client = ListenClient;

export interface NotifierEvents {
  log: [conversationId: string, seq: number];
  member: [conversationId: string, userId: string];
  /** SPEC §8c: a typing signal from `userId` to relay to the conversation's other members. */
  typing: [conversationId: string, userId: string, sealed: string];
  /** LISTEN is back after a connection loss: notifications may have been missed. */
  resync: [];
}

/**
 * One dedicated Postgres connection per instance that LISTENs for appends made
 * by any instance (payloads carry ids only). On loss it reconnects with backoff,
 * LISTENs again and emits `resync` so subscribers re-read from their cursors.
 */
export class Notifier extends EventEmitter<NotifierEvents> {
  private client: Client | null = null;
  private stopped = true;
  private retry: NodeJS.Timeout | null = null;
  private attempt = 0;

  constructor(private readonly url: string, private readonly Client: ClientConstructor, private readonly log: (msg: string) => void = () => {}) {
    super();
  }

  /** Never throws: without Postgres the instance still serves /healthz (503) and keeps retrying. */
  async start(): Promise<void> {
    this.stopped = false;
    try {
      await this.open();
    } catch {
      this.schedule();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  /** For tests: drop the connection as a network failure would. */
  breakConnection(): void {
    const client = this.client as unknown as { connection?: { stream?: { destroy(): void } } } | null;
    client?.connection?.stream?.destroy();
  }

  get connected(): boolean {
    return this.client !== null;
  }

  private async open(): Promise<void> {
    const client = new this.Client({ connectionString: this.url, keepAlive: true });
    client.on('notification', (n: { channel: string; payload?: string }) => this.onNotification(n.channel, n.payload ?? ''));
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL_LOG}`);
      await client.query(`LISTEN ${CHANNEL_MEMBER}`);
      await client.query(`LISTEN ${CHANNEL_TYPING}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    // After a loss, or a first connection that only came after retries, notifications may
    // have been missed: subscribers re-read from their cursors.
    const reconnect = this.everConnected || this.attempt > 0;
    this.client = client;
    this.everConnected = true;
    this.attempt = 0;
    if (reconnect) this.emit('resync');
  }

  private everConnected = false;

  private lost(client: Client): void {
    if (this.stopped || client !== this.client) return;
    this.client = null;
    this.schedule();
  }

  private schedule(): void {
    if (this.retry || this.stopped) return;
    const delay = Math.min(5000, 50 * 2 ** this.attempt++);
    this.log(`realtime: LISTEN connection lost; reconnecting in ${delay} ms`);
    this.retry = setTimeout(() => {
      this.retry = null;
      this.open().catch(() => this.schedule());
    }, delay);
  }

  private onNotification(channel: string, payload: string): void {
    if (channel === CHANNEL_TYPING) {
      const [conversationId, userId, sealed, more] = payload.split(' ');
      if (conversationId && userId && sealed && more === undefined) this.emit('typing', conversationId, userId, sealed);
      return;
    }
    const space = payload.lastIndexOf(' ');
    if (space <= 0) return;
    const id = payload.slice(0, space);
    const rest = payload.slice(space + 1);
    if (channel === CHANNEL_LOG) {
      const seq = Number(rest);
      if (Number.isSafeInteger(seq)) this.emit('log', id, seq);
    } else if (channel === CHANNEL_MEMBER) {
      this.emit('member', id, rest);
    }
  }
}
