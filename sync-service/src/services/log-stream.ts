import { Readable } from 'node:stream';
import type { Database } from '../db/index.ts';
import type { RawEntry } from '../db/log.ts';

/** Rows fetched per query while streaming: memory stays bounded whatever the page limit. */
export const CHUNK = 100;

/** Entries of one conversation with after < seq <= upTo, at most `limit`, fetched CHUNK at a time. */
export async function* entriesOf(db: Database, conversationId: string, after: number, upTo: number, limit: number): AsyncGenerator<RawEntry> {
  let cursor = after;
  let left = limit;
  while (left > 0 && cursor < upTo) {
    const rows = await db.log.page(conversationId, cursor, upTo, Math.min(CHUNK, left));
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
export async function* logPage(db: Database, conversationId: string, after: number, lastSeq: number, limit: number): AsyncGenerator<string> {
  yield '{"entries":[';
  let next = after;
  let first = true;
  for await (const e of entriesOf(db, conversationId, after, lastSeq, limit)) {
    yield (first ? '' : ',') + entryJson(e);
    first = false;
    next = e.seq;
  }
  yield `],"nextAfter":${next},"hasMore":${next < lastSeq}}`;
}

/**
 * POST /sync: every member conversation in id order, entries after the client's
 * cursor (0 when not named), until `limit` entries; then the cursors and hasMore.
 */
export async function* syncPage(db: Database, userPk: number, cursors: Record<string, number>, limit: number): AsyncGenerator<string> {
  const convs = await db.log.memberCursors(userPk);
  const out: Record<string, number> = {};
  let left = limit;
  let hasMore = false;
  let first = true;
  yield '{"entries":[';
  for (const { conversationId, lastSeq } of convs) {
    const after = cursors[conversationId] ?? 0;
    let cursor = after;
    if (left > 0) {
      for await (const e of entriesOf(db, conversationId, after, lastSeq, left)) {
        yield (first ? '' : ',') + entryJson(e, conversationId);
        first = false;
        cursor = e.seq;
        left--;
      }
    }
    out[conversationId] = cursor;
    if (cursor < lastSeq) hasMore = true;
  }
  yield `],"cursors":${JSON.stringify(out)},"hasMore":${hasMore}}`;
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
