import { encodeFrame, type TypingFrame } from '../../../../protocol/src/frames.ts';
import { TYPING_LIMITS } from '../../../../protocol/src/typing.ts';
import type { Database } from '../../db/index.ts';
import type { Connection } from './connection.ts';
import type { Feeds } from './feeds.ts';

/** Bytes queued on a socket past which it is skipped. */
const BEHIND_BYTES = 64 * 1024;

/** Per socket: the start of the current one-second window and the frames taken in it. */
interface Window { start: number; count: number }

/**
 * `typing` frames (SPEC §8c, API.md "Realtime"): ephemeral signals the service relays and
 * never stores. The sender must be a member of the conversation's latest epoch (else
 * `typingFailed` / `not_found`); a socket may send TYPING_LIMITS.maxPerSecond per second and
 * the rest are dropped without an answer (a typing signal is worth nothing late). The signal
 * goes out as a NOTIFY, so every instance (this one included) pushes it to the sockets
 * subscribed to the conversation, other than the sender's own user's. No row is written.
 */
export class TypingRelay {
  private readonly windows = new WeakMap<Connection, Window>();

  constructor(
    private readonly db: Database,
    private readonly feeds: Feeds,
    private readonly onError: (error: unknown) => void,
    private readonly now: () => number = Date.now,
  ) {}

  handle(c: Connection, frame: TypingFrame): void {
    const t = this.now();
    let w = this.windows.get(c);
    if (!w || t - w.start >= 1000) this.windows.set(c, (w = { start: t, count: 0 }));
    if (++w.count > TYPING_LIMITS.maxPerSecond) return;
    void this.relay(c, frame);
  }

  private async relay(c: Connection, frame: TypingFrame): Promise<void> {
    const { conversationId, sealed } = frame;
    try {
      const member = await this.db.conversations.memberLastSeq(conversationId, c.user.userPk);
      if (member === null) {
        if (!c.closed) c.send({ type: 'typingFailed', conversationId, code: 'not_found' });
        return;
      }
      await this.db.conversations.notifyTyping(`${conversationId} ${c.user.userId} ${sealed}`);
    } catch (error) {
      // Dropped: a typing signal is not retried.
      this.onError(error);
    }
  }

  /** A NOTIFY from any instance: push to this instance's sockets subscribed to the conversation. */
  deliver(conversationId: string, fromUserId: string, sealed: string): void {
    const feed = this.feeds.get(conversationId);
    if (!feed) return;
    let text: string | null = null;
    for (const s of feed.subs) {
      const c = s.conn;
      // A socket that is behind gets no typing signal: it would be stale by the time it is read.
      if (c.closed || c.user.userId === fromUserId || c.socket.bufferedAmount > BEHIND_BYTES) continue;
      text ??= encodeFrame({ type: 'typing', conversationId, sealed });
      c.sendText(text);
    }
  }
}
