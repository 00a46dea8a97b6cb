import type { Database } from '../../db/index.ts';
import type { RawEntry } from '../../db/log.ts';
import { CHUNK, entryJson } from '../../services/log-stream.ts';
import { encodeEntryFrame } from '../../../../protocol/src/frames.ts';
import type { Connection } from './connection.ts';

/** Catch-up pauses while this much is queued, so a long history streams at the client's pace. */
const PAUSE_BUFFERED = 1024 * 1024;
/** After a failed read, try again this much later (not in a tight loop). */
const RETRY_MS = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One socket's subscription to one conversation. */
export interface Subscription {
  readonly conn: Connection;
  /** Last seq pushed to this socket. */
  cursor: number;
  /**
   * Live: served by the conversation's shared read (its Feed). Otherwise the socket
   * catches up with reads of its own (far behind, or its socket is backed up).
   */
  live: boolean;
  /** A catch-up loop of its own is running. */
  catchingUp: boolean;
}

/**
 * Every local subscription to one conversation. A new entry is read ONCE per
 * instance (one query, membership checked for the set of local users in the same
 * snapshot) and the same frame goes to every live subscription.
 *
 * Per-socket cursors are kept exact: a read returns every entry with
 * from < seq ≤ last (contiguous, in order), and a row goes to a subscription only when
 * from ≤ cursor < seq, so nothing is skipped or sent twice, whenever a subscription
 * joined. Subscriptions more than one chunk behind, or whose socket is backed up, catch
 * up with their own reads (the previous per-socket loop) and then join the shared read.
 */
export class Feed {
  readonly subs = new Set<Subscription>();
  /** Highest seq known to exist (a notification, a head read, or a row). */
  target = 0;
  /**
   * Every entry up to here has been seen by this feed (a shared read, or a direct push of
   * the next message), with no epoch after the last membership read: `members` still holds
   * for the next entry. 0: unknown (the next entry is read).
   */
  private seenUpTo = 0;
  /** Local users whose membership the last shared read checked, and which of them are members. */
  private checked = new Set<number>();
  private members = new Set<number>();
  private reading = false;
  private retry: NodeJS.Timeout | null = null;

  constructor(readonly conversationId: string, private readonly db: Database, private readonly onError: (error: unknown) => void) {}

  advance(seq: number): void {
    if (seq > this.target) this.target = seq;
    this.pump();
  }

  add(sub: Subscription): void {
    this.subs.add(sub);
    this.place(sub);
  }

  remove(sub: Subscription): void {
    this.subs.delete(sub);
    if (this.subs.size === 0 && this.retry) {
      clearTimeout(this.retry);
      this.retry = null;
    }
  }

  stop(): void {
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
  }

  /** Shared read if close enough to the head and not backed up; else a catch-up of its own. */
  private place(sub: Subscription): void {
    if (sub.conn.closed || !this.subs.has(sub)) return;
    const behind = this.target - sub.cursor;
    if (behind <= 0 || (behind <= CHUNK && sub.conn.socket.bufferedAmount <= PAUSE_BUFFERED)) {
      sub.live = true;
      this.pump();
    } else {
      sub.live = false;
      this.catchUp(sub);
    }
  }

  private pump(): void {
    if (this.reading || this.retry) return;
    let from = Infinity;
    for (const s of this.subs) if (s.live && s.cursor < this.target && s.cursor < from) from = s.cursor;
    if (from === Infinity) return;
    const users = new Set<number>();
    for (const s of this.subs) if (s.live) users.add(s.conn.user.userPk);
    this.reading = true;
    const targetAtRead = this.target;
    void (async () => {
      let failed = false;
      try {
        const { rows, members } = await this.db.log.pageForMembers(this.conversationId, [...users], from, CHUNK);
        const memberSet = new Set(members);
        this.dispatch(from, rows, users, memberSet);
        if (rows.length > 0) {
          const last = rows[rows.length - 1]!.seq;
          if (last > this.target) this.target = last;
          // Membership as of this read holds for the entries after `last` until an epoch comes.
          if (last >= this.seenUpTo) {
            this.seenUpTo = last;
            this.checked = users;
            this.members = memberSet;
          }
        } else if (this.target === targetAtRead) {
          // Nothing after `from` exists: the target was wrong, do not read again for it.
          this.target = from;
        }
      } catch (error) {
        failed = true;
        this.onError(error);
      } finally {
        this.reading = false;
      }
      if (failed) {
        if (this.subs.size > 0) this.retry = setTimeout(() => { this.retry = null; this.pump(); }, RETRY_MS);
      } else this.pump();
    })();
  }

  /**
   * Entries this instance just committed (messages, in seq order): pushed at once, without
   * a read, to the live subscriptions right before each one, when the feed has seen every
   * entry before it (so no epoch changed the membership it last read) and the user's
   * membership was read. Anything else (a gap, an unknown user, a backed-up socket) is left
   * to the shared read, which the notification of the same commit starts.
   */
  deliver(rows: RawEntry[]): void {
    for (const row of rows) {
      if (row.seq !== this.seenUpTo + 1 || this.seenUpTo === 0) break;
      let frame: Buffer | null = null;
      for (const s of this.subs) {
        if (!s.live || s.cursor !== row.seq - 1 || s.conn.closed) continue;
        const pk = s.conn.user.userPk;
        if (!this.checked.has(pk) || !this.members.has(pk)) continue;
        if (s.conn.socket.bufferedAmount > PAUSE_BUFFERED) continue;
        frame ??= Buffer.from(encodeEntryFrame(this.conversationId, entryJson(row)), 'utf8');
        s.conn.sendFrame(frame);
        s.cursor = row.seq;
      }
      this.seenUpTo = row.seq;
    }
    // Whoever was not served above (behind, or after a gap) gets the shared read.
    this.advance(rows[rows.length - 1]!.seq);
  }

  private dispatch(from: number, rows: RawEntry[], checked: Set<number>, members: Set<number>): void {
    // Users checked and no longer members of the latest epoch: stop pushing to them.
    for (const s of [...this.subs]) {
      if (s.live && checked.has(s.conn.user.userPk) && !members.has(s.conn.user.userPk)) s.conn.unsubscribe(this.conversationId);
    }
    const backedUp: Subscription[] = [];
    for (const row of rows) {
      let frame: Buffer | null = null;
      for (const s of this.subs) {
        if (!s.live || s.cursor < from || s.cursor >= row.seq || !members.has(s.conn.user.userPk)) continue;
        if (s.conn.socket.bufferedAmount > PAUSE_BUFFERED) {
          s.live = false;
          backedUp.push(s);
          continue;
        }
        // One serialization (and one UTF-8 encoding) for every socket.
        frame ??= Buffer.from(encodeEntryFrame(this.conversationId, entryJson(row)), 'utf8');
        s.conn.sendFrame(frame);
        s.cursor = row.seq;
      }
    }
    for (const s of backedUp) this.catchUp(s);
  }

  /** The per-socket loop: reads of its own until close to the head, then the shared read. */
  private catchUp(sub: Subscription): void {
    if (sub.catchingUp) return;
    sub.catchingUp = true;
    const { conn } = sub;
    void (async () => {
      let failed = false;
      try {
        while (!conn.closed && this.subs.has(sub)) {
          for (let waited = 0; conn.socket.bufferedAmount > PAUSE_BUFFERED && !conn.closed && waited < 30_000; waited += 10) await sleep(10);
          if (this.target - sub.cursor <= CHUNK && conn.socket.bufferedAmount <= PAUSE_BUFFERED) break;
          const rows = await this.db.log.pageForMember(this.conversationId, conn.user.userPk, sub.cursor, CHUNK);
          if (rows.length === 0) {
            // No longer a member (or nothing there): stop pushing this conversation.
            if (sub.cursor < this.target) conn.unsubscribe(this.conversationId);
            break;
          }
          for (const row of rows) {
            conn.sendText(encodeEntryFrame(this.conversationId, entryJson(row)));
            sub.cursor = row.seq;
          }
          if (sub.cursor > this.target) this.target = sub.cursor;
        }
      } catch (error) {
        failed = true;
        this.onError(error);
      } finally {
        sub.catchingUp = false;
      }
      if (conn.closed || !this.subs.has(sub)) return;
      if (failed) setTimeout(() => this.place(sub), RETRY_MS);
      else this.place(sub);
    })();
  }
}
