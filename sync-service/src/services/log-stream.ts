import { Readable } from 'node:stream';
import type { Database } from '../db/index.ts';
import type { RawEntry } from '../db/log.ts';

/** Rows fetched per query while streaming: memory stays bounded whatever the page limit. */
export const CHUNK = 100;

/** Where log pages are read: the primary's `db.log`, or services/history-reader.ts. */
export interface LogPages {
  page(conversationId: string, after: number, upTo: number, limit: number): Promise<RawEntry[]>;
}

/** Entries of one conversation with after < seq <= upTo, at most `limit`, fetched CHUNK at a time. */
export async function* entriesOf(pages: LogPages, conversationId: string, after: number, upTo: number, limit: number): AsyncGenerator<RawEntry> {
  let cursor = after;
  let left = limit;
  while (left > 0 && cursor < upTo) {
    const rows = await pages.page(conversationId, cursor, upTo, Math.min(CHUNK, left));
    if (rows.length === 0) return;
    for (const row of rows) yield row;
    cursor = rows[rows.length - 1]!.seq;
    left -= rows.length;
  }
}

/**
 * One entry as JSON text; the stored body is spliced in without being parsed. The realtime
 * entry frame wraps this text (protocol/src/frames.ts encodeEntryFrame).
 */
export function entryJson(e: RawEntry, conversationId?: string): string {
  const head = conversationId !== undefined ? `"conversationId":${JSON.stringify(conversationId)},` : '';
  return `{${head}"seq":${e.seq},"kind":"${e.kind}","body":${e.body},"createdAt":"${e.createdAt.toISOString()}"}`;
}

/** GET …/log: `{ entries, nextAfter, hasMore }` streamed as it is read. */
export async function* logPage(pages: LogPages, conversationId: string, after: number, lastSeq: number, limit: number): AsyncGenerator<string> {
  yield '{"entries":[';
  let next = after;
  let first = true;
  for await (const e of entriesOf(pages, conversationId, after, lastSeq, limit)) {
    yield (first ? '' : ',') + entryJson(e);
    first = false;
    next = e.seq;
  }
  yield `],"nextAfter":${next},"hasMore":${next < lastSeq}}`;
}

/** Conversations walked by one POST /sync at most (THREATS L3: a window, never all of them). */
export const SYNC_WINDOW = 1000;

/** One POST /sync request: a window of the caller's conversations and the cursors for it. */
export interface SyncRequest {
  /** The client's last seq per conversation; conversations not named start at 0. */
  cursors: Record<string, number>;
  /** Walk conversations with an id above this one (byte order); absent: from the first. */
  after?: string;
  /** ...and at most up to this one, inclusive: the client named cursors only that far. */
  until?: string;
  /** Entries in this answer at most. */
  limit: number;
}

/**
 * POST /sync (THREATS L3): the caller's conversations with an id in (after, until], in byte
 * order, at most SYNC_WINDOW of them; the entries after each cursor (0 when not named), until
 * `limit` entries. The walk stops before the first conversation it cannot finish, so
 * `nextAfter` (sent with `hasMore: true` only) is the last conversation it finished: the
 * client asks again with `after: nextAfter` and the cursors of the conversations after it.
 * `hasMore` is also true when the window ended (at `until` or SYNC_WINDOW) before the last
 * conversation. `cursors` names the conversations walked. Membership and last seqs come from
 * `db` (the primary); the entries from `pages`.
 */
export async function* syncPage(db: Database, pages: LogPages, userPk: number, req: SyncRequest): AsyncGenerator<string> {
  const convs = await db.log.memberWindow(userPk, req.after ?? null, req.until ?? null, SYNC_WINDOW + 1);
  const truncated = convs.length > SYNC_WINDOW;
  if (truncated) convs.length = SYNC_WINDOW;
  const out: Record<string, number> = {};
  let left = req.limit;
  let first = true;
  let finished: string | null = req.after ?? null;
  let stopped = false;
  yield '{"entries":[';
  for (const { conversationId, lastSeq } of convs) {
    const after = req.cursors[conversationId] ?? 0;
    let cursor = after;
    if (cursor < lastSeq) {
      if (left === 0) {
        stopped = true;
        break;
      }
      for await (const e of entriesOf(pages, conversationId, after, lastSeq, left)) {
        yield (first ? '' : ',') + entryJson(e, conversationId);
        first = false;
        cursor = e.seq;
        left--;
      }
    }
    out[conversationId] = cursor;
    if (cursor < lastSeq) {
      stopped = true;
      break;
    }
    finished = conversationId;
  }
  // Past the window's end there may be more: at SYNC_WINDOW, or the client's `until`.
  if (!stopped && truncated) stopped = true;
  if (!stopped && req.until !== undefined) {
    stopped = true;
    finished = req.until;
  }
  const next = stopped ? `,"nextAfter":${JSON.stringify(finished)}` : '';
  yield `],"cursors":${JSON.stringify(out)},"hasMore":${stopped}${next}}`;
}

/** A byte stream of the generator's text, coalesced into chunks of about 16 KiB. */
export function toStream(parts: AsyncGenerator<string>): Readable {
  async function* coalesce(): AsyncGenerator<Buffer> {
    let buffer = '';
    for await (const part of parts) {
      buffer += part;
      if (buffer.length >= 16_384) {
        yield Buffer.from(buffer, 'utf8');
        buffer = '';
      }
    }
    if (buffer) yield Buffer.from(buffer, 'utf8');
  }
  return Readable.from(coalesce(), { objectMode: false });
}
