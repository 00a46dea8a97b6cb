// On-device search across conversations (issue 16). Nothing is sent to the service and no
// index is stored: the stored messages (ciphertext in IndexedDB) are opened on demand, a
// page at a time, by the same code that shows them (views.ts), and matched in memory
// (search-text.ts). What is kept between searches is in memory only and gone on reload:
// the folded texts, like the plaintexts the keyring already holds. Lazy: this module is
// loaded the first time the user searches.
import { getEpochs } from '../stores/conversations.ts';
import type { Db } from '../stores/db.ts';
import { blockedUsers } from '../stores/requests.ts';
import { contactMap } from './keyring.ts';
import { previewText } from './message-opening.ts';
import { findMatches, fold, foldQuery, snippet, type Folded } from './search-text.ts';
import type { Views } from './views.ts';

/** One stored message as search reads it (views.ts `searchable`). */
export interface SearchableText {
  seq: number;
  sender: string;
  body: string;
  composedAt: number;
}

/** Where search reads from: the conversations to look in and their texts, a page at a time. */
export interface SearchSource {
  conversations(): Promise<string[]>;
  /** Texts after `afterSeq`, oldest first, up to `limit` log entries read; `next` null at the end. */
  page(conversationId: string, afterSeq: number, limit: number): Promise<{ texts: SearchableText[]; next: number | null }>;
}

export interface SearchHit {
  conversationId: string;
  seq: number;
  sender: string;
  composedAt: number;
  /** [before, match, after] */
  snippet: [string, string, string];
}

export interface SearchProgress {
  /** Messages looked at so far. */
  searched: number;
  hits: SearchHit[];
  done: boolean;
}

export interface SearchOptions {
  signal?: AbortSignal;
  onProgress?: (p: SearchProgress) => void;
  /** Log entries read per page (default 200). */
  pageSize?: number;
  /** Most hits returned (default 200). */
  maxHits?: number;
  /** Yields to the page after this many messages matched in one go (default 250), so typing and scrolling stay smooth. */
  chunk?: number;
  /** How to give the event loop back (tests count the calls). */
  yieldNow?: () => Promise<void>;
}

const yieldToPage = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

export class Searcher {
  private readonly source: SearchSource;
  /** Folded texts, `${conversationId}/${seq}`, memory only. */
  private readonly folded = new Map<string, Folded>();

  constructor(source: SearchSource) {
    this.source = source;
  }

  /**
   * Every message containing `query` (case, accents and marks ignored), newest conversation
   * first as the list orders them, newest message first within one. Rejects with an
   * AbortError when `signal` aborts.
   */
  async search(query: string, o: SearchOptions = {}): Promise<SearchHit[]> {
    const q = foldQuery(query);
    const hits: SearchHit[] = [];
    const pageSize = o.pageSize ?? 200;
    const maxHits = o.maxHits ?? 200;
    const chunk = o.chunk ?? 250;
    const yieldNow = o.yieldNow ?? yieldToPage;
    let searched = 0;
    let sinceYield = 0;
    const check = () => {
      if (o.signal?.aborted) throw new DOMException('search cancelled', 'AbortError');
    };
    if (!q) return hits;
    for (const cid of await this.source.conversations()) {
      const found: SearchHit[] = [];
      let after: number | null = 0;
      while (after !== null) {
        check();
        const { texts, next } = await this.source.page(cid, after, pageSize);
        check();
        for (const t of texts) {
          const key = `${cid}/${t.seq}`;
          let f = this.folded.get(key);
          if (!f) this.folded.set(key, (f = fold(t.body)));
          const m = findMatches(f, q, 1)[0];
          if (m) found.push({ conversationId: cid, seq: t.seq, sender: t.sender, composedAt: t.composedAt, snippet: snippet(t.body, m) });
          searched++;
          if (++sinceYield >= chunk) {
            sinceYield = 0;
            await yieldNow();
            check();
          }
        }
        after = next;
      }
      hits.push(...found.reverse());
      o.onProgress?.({ searched, hits: hits.slice(0, maxHits), done: false });
      if (hits.length >= maxHits) break;
    }
    const out = hits.slice(0, maxHits);
    o.onProgress?.({ searched, hits: out, done: true });
    return out;
  }
}

/**
 * The texts of up to `limit` log entries after `afterSeq`, opened in memory as the
 * conversation shows them (views.ts): accepted texts only, nothing a blocked user sent
 * after the block. `next`: the seq to continue after, null at the end.
 */
export async function searchablePage(db: Db, views: Views, cid: string, afterSeq: number, limit: number): Promise<{ texts: SearchableText[]; next: number | null }> {
  const rows = await db.getAll('log', IDBKeyRange.bound([cid, afterSeq + 1], [cid, Infinity]), limit);
  const contacts = await contactMap(db);
  const epochs = new Map((await getEpochs(db, cid)).map((e) => [e.epoch, e]));
  const blocked = await blockedUsers(db);
  const texts: SearchableText[] = [];
  for (const row of rows) {
    if (row.kind !== 'message' || !row.check.ok || row.check.kind !== 'text') continue;
    const p = await views.plainOf(cid, row, contacts, epochs);
    const at = blocked.get(p?.sender ?? '');
    // A file sent without text is found by its name, as the list shows it ("File: name").
    const body = p ? previewText(p.plaintext, p.plaintext.body) : '';
    if (!p || !body || (at !== undefined && Date.parse(row.createdAt) >= at)) continue;
    texts.push({ seq: row.seq, sender: p.sender, body, composedAt: p.plaintext.composedAt });
  }
  return { texts, next: rows.length < limit ? null : rows[rows.length - 1]!.seq };
}
