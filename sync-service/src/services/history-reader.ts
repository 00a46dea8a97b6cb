import type { DatabaseHandle } from '../db/index.ts';
import type { RawEntry } from '../db/log.ts';
import type { LogPages } from './log-stream.ts';

/** Entries read so far, by where they came from (tests and benchmarks read it). */
export const historyReads = { standby: 0, primary: 0 };

/**
 * Where history reads (POST /sync, GET …/log) get their entries (issue 19, read scaling).
 *
 * Membership and each conversation's last seq always come from the primary, so who may read
 * what, and how far, is decided where writes happen. The entries themselves, the bulk of a
 * restore, come from a standby (DATABASE_READ_URL) as far as it has replayed them: a
 * conversation's seqs are gap-free and commit in order, and a standby replays commits in
 * order, so a standby holds a prefix of every conversation's log. A page the standby returns
 * short (it has not replayed that far yet) is completed from the primary, and a standby that
 * cannot be reached hands the whole page to the primary. The answer is therefore the same
 * as the primary's, never older; only where it is read differs.
 */
export function historyPages(handle: DatabaseHandle): LogPages {
  const { db, reader } = handle;
  if (!reader) return countedPrimary(handle);
  return {
    async page(conversationId, after, upTo, limit): Promise<RawEntry[]> {
      const wanted = Math.min(limit, upTo - after);
      const fromStandby = await reader.log.page(conversationId, after, upTo, limit).catch(() => [] as RawEntry[]);
      historyReads.standby += fromStandby.length;
      if (fromStandby.length >= wanted) return fromStandby;
      const cursor = fromStandby.length ? fromStandby[fromStandby.length - 1]!.seq : after;
      const rest = await db.log.page(conversationId, cursor, upTo, limit - fromStandby.length);
      historyReads.primary += rest.length;
      return fromStandby.concat(rest);
    },
  };
}

function countedPrimary(handle: DatabaseHandle): LogPages {
  return {
    async page(conversationId, after, upTo, limit) {
      const rows = await handle.db.log.page(conversationId, after, upTo, limit);
      historyReads.primary += rows.length;
      return rows;
    },
  };
}
