// Sync: bringing the log up to date. `pull` pages through POST /sync from the cursors, one
// window of conversations per request (THREATS L3);
// live entries from the socket are ingested directly when they are the next seq, and a
// gap turns into a pull. Both run in one queue, so entries are handled in order. After
// each ingest, delivery receipts are sealed for new texts from others (R2).
import { listConversations } from '../stores/conversations.ts';
import { getConversation } from '../stores/conversations.ts';
import type { Db, LogRow } from '../stores/db.ts';
import { cursorWindows } from '../../../protocol/src/frames.ts';
import type { Api, LogEntry } from './api.ts';
import type { Composer } from './composing.ts';
import type { Ingest, IngestReport } from './ingest.ts';
import type { Requests } from './requests.ts';

export interface SyncHooks {
  /** The conversation the user is looking at now (its messages are not unread), or null. */
  viewing: () => string | null;
  /** New receipts are in the outbox: drain it. */
  kick: () => void;
  /** Entries were stored: refresh what the screens show. */
  ingested: () => Promise<void>;
}

export interface PullOptions {
  live: boolean;
  /** After each stored page: how many entries, and their rows (restore.ts counts its summary from them). */
  onEntries?: (handled: number, rows: readonly LogRow[]) => void;
  limit?: number;
}

export class Sync {
  /** Seal delivery receipts for new texts after each ingest (off while history is restored: it is not news). */
  acknowledge = true;
  /**
   * Conversations a restore is still replaying (issue 18), each with the seq its pull goes to
   * at least: what the socket sends for them is history, left to the restore's pull, never
   * ingested as news one entry at a time.
   */
  restoring: () => Readonly<Record<string, number>> = () => ({});
  private readonly db: Db;
  private readonly api: Api;
  private readonly ingest: Ingest;
  private readonly composer: Composer;
  private readonly requests: Requests | null;
  private readonly hooks: SyncHooks;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(p: { db: Db; api: Api; ingest: Ingest; composer: Composer; requests?: Requests; hooks: SyncHooks }) {
    this.db = p.db;
    this.api = p.api;
    this.ingest = p.ingest;
    this.composer = p.composer;
    this.requests = p.requests ?? null;
    this.hooks = p.hooks;
  }

  /** Runs `fn` after everything queued before it (pulls, live entries, starting a conversation). */
  enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The last seq stored per conversation: what the service is asked to continue from. */
  async cursors(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const c of await listConversations(this.db)) out[c.conversationId] = c.lastSeq;
    return out;
  }

  private history(conversationId: string): boolean {
    return conversationId in this.restoring();
  }

  /**
   * What the socket asks to continue from: the stored cursors, and for a conversation a
   * restore is replaying, the end of what its pull fetches. From the stored cursor (0 for one
   * not yet on this device) the service would replay that whole log over the socket too, a
   * second download of the history, every entry held in the queue until the pull was done
   * (100,000 messages: a 255 MiB heap peak, issue 18).
   */
  async liveCursors(): Promise<Record<string, number>> {
    const out = await this.cursors();
    for (const [id, end] of Object.entries(this.restoring())) out[id] = Math.max(out[id] ?? 0, end);
    return out;
  }

  /** An entry from the socket. */
  onLiveEntry(e: LogEntry): Promise<void> {
    return this.enqueue(async () => {
      if (this.history(e.conversationId)) return;
      const conv = await getConversation(this.db, e.conversationId);
      const last = conv?.lastSeq ?? 0;
      if (e.seq <= last) return;
      if (e.seq !== last + 1) {
        await this.pullNow({ live: true }); // a gap in seq: fetch what is missing, in order
        return;
      }
      const report = await this.ingest.ingest([e], { live: true, viewing: this.hooks.viewing() });
      await this.afterIngest(report.toAcknowledge);
    });
  }

  /**
   * Pull everything past the cursors, in the queue. `limit`: entries per page (the service's
   * default when absent; a restore asks for its maximum to make fewer round trips).
   */
  pull(opts: PullOptions): Promise<IngestReport> {
    return this.enqueue(() => this.pullNow(opts));
  }

  /**
   * The whole logs of a few conversations past their cursors (a restore's newest first, issue
   * 18), one conversation at a time through GET /conversations/{id}/log, in the queue; the
   * first page of each is asked for at once, the next while this one is verified and stored.
   */
  pullLogs(ids: readonly string[], opts: PullOptions): Promise<IngestReport> {
    return this.enqueue(async () => {
      const total: IngestReport = { processed: 0, toAcknowledge: new Map() };
      const from = await Promise.all(ids.map(async (id) => (await getConversation(this.db, id))?.lastSeq ?? 0));
      const firsts = ids.map((id, k) => {
        const p = this.api.log(id, from[k]!, opts.limit);
        p.catch(() => undefined); // awaited below, in order
        return p;
      });
      for (let k = 0; k < ids.length; k++) {
        let next = firsts[k]!;
        for (let page = 0; page < 100_000; page++) {
          const res = await next;
          // This route's entries do not name their conversation: it is the one asked for
          // (each envelope names its own, and a wrong one fails verification).
          const entries = res.entries.map((e) => ({ ...e, conversationId: ids[k]! }));
          const last = entries[entries.length - 1]?.seq;
          // Each answer moves on: a service that says "more" without entries does not keep us looping.
          const more = res.hasMore && last !== undefined;
          if (more) {
            next = this.api.log(ids[k]!, last, opts.limit);
            next.catch(() => undefined);
          }
          const report = await this.ingest.ingest(entries, { live: opts.live, viewing: this.hooks.viewing() }, opts.onEntries);
          total.processed += report.processed;
          for (const [c, v] of report.toAcknowledge) total.toAcknowledge.set(c, [...(total.toAcknowledge.get(c) ?? []), ...v]);
          if (!more) break;
        }
      }
      await this.afterIngest(total.toAcknowledge);
      return total;
    });
  }

  private async pullNow(opts: PullOptions): Promise<IngestReport> {
    const total: IngestReport = { processed: 0, toAcknowledge: new Map() };
    const cursors = await this.cursors();
    // One window of conversations per request (THREATS L3): never every cursor at once.
    const request = (after: string | undefined) => {
      const [w] = cursorWindows(Object.fromEntries(Object.entries(cursors).filter(([id]) => after === undefined || id > after)));
      return this.api.sync(w!.cursors, opts.limit, { ...(after !== undefined ? { after } : {}), ...(w!.until !== undefined ? { until: w!.until } : {}) });
    };
    let after: string | undefined;
    let next = request(after);
    for (let page = 0; page < 100_000; page++) {
      const res = await next;
      // Each answer moves on (entries, or a later window): a service that says "more" forever
      // without either does not keep the client looping.
      const nextAfter = res.nextAfter ?? undefined;
      const moved = res.entries.length > 0 || (nextAfter !== undefined && (after === undefined || nextAfter > after));
      const more = res.hasMore && moved;
      // The next page is fetched while this one is verified and stored, from the cursors
      // this page leaves (ingest stores every entry past a cursor; repeats are skipped).
      if (more) {
        for (const e of res.entries) if (e.seq > (cursors[e.conversationId] ?? 0)) cursors[e.conversationId] = e.seq;
        after = nextAfter;
        next = request(after);
        next.catch(() => undefined); // awaited on the next turn; not unhandled if ingest throws
      }
      // A live pull during a restore: the conversations still being replayed are history.
      const past = opts.live ? res.entries.filter((e) => this.history(e.conversationId)) : [];
      if (past.length) await this.ingest.ingest(past, { live: false, viewing: this.hooks.viewing() });
      const report = await this.ingest.ingest(past.length ? res.entries.filter((e) => !this.history(e.conversationId)) : res.entries, { live: opts.live, viewing: this.hooks.viewing() }, opts.onEntries);
      total.processed += report.processed;
      for (const [k, v] of report.toAcknowledge) total.toAcknowledge.set(k, [...(total.toAcknowledge.get(k) ?? []), ...v]);
      if (!more) break;
    }
    await this.afterIngest(total.toAcknowledge);
    return total;
  }

  /** Seals delivery receipts (signed, end-to-end encrypted messages, R2) and refreshes the view. */
  private async afterIngest(ack: Map<string, string[]>): Promise<void> {
    // THREATS L3: new conversations are classified (request or not) before anything is said.
    const states = this.requests ? await this.requests.classify() : null;
    if (this.acknowledge) {
      let sealed = 0;
      for (const [cid, refs] of ack) {
        // A request (or an ignored or blocked conversation) gets no delivery receipts.
        if (states && states.get(cid)?.state !== 'accepted') continue;
        sealed++;
        try {
          await this.composer.send(cid, '', 'receipt', refs);
        } catch {
          // blocked conversation: no receipt until the user reviews it
        }
      }
      if (sealed > 0) this.hooks.kick();
    }
    await this.hooks.ingested();
  }
}
