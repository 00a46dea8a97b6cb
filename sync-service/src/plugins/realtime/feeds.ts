import type { Database } from '../../db/index.ts';
import type { RawEntry } from '../../db/log.ts';
import { Feed, type Subscription } from './feed.ts';

/** The instance's feeds, one per conversation with local subscriptions. */
export class Feeds {
  private readonly feeds = new Map<string, Feed>();

  constructor(private readonly db: Database, private readonly onError: (error: unknown) => void) {}

  get(conversationId: string): Feed | undefined {
    return this.feeds.get(conversationId);
  }

  /** A notification: an entry exists up to seq. */
  advance(conversationId: string, seq: number): void {
    this.feeds.get(conversationId)?.advance(seq);
  }

  /** Entries this instance committed, in seq order (see Feed.deliver). */
  deliver(conversationId: string, rows: RawEntry[]): void {
    this.feeds.get(conversationId)?.deliver(rows);
  }

  join(conversationId: string, sub: Subscription, target: number): void {
    let feed = this.feeds.get(conversationId);
    if (!feed) this.feeds.set(conversationId, (feed = new Feed(conversationId, this.db, this.onError)));
    if (target > feed.target) feed.target = target;
    feed.add(sub);
  }

  leave(conversationId: string, sub: Subscription): void {
    const feed = this.feeds.get(conversationId);
    if (!feed) return;
    feed.remove(sub);
    if (feed.subs.size === 0) {
      feed.stop();
      this.feeds.delete(conversationId);
    }
  }

  get size(): number {
    return this.feeds.size;
  }

  stop(): void {
    for (const f of this.feeds.values()) f.stop();
  }
}
