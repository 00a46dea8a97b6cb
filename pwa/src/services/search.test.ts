// On-device search (issue 16): matching ignores case, accents and marks in any script,
// highlights the original text, and 10,000 messages are searched in chunks with the
// event loop given back between them, cancellable.
import { describe, expect, it } from 'vitest';
import { Searcher, type SearchSource, type SearchableText } from './search.ts';
import { findMatches, fold, foldQuery, snippet } from './search-text.ts';

const match = (text: string, q: string) => findMatches(fold(text), foldQuery(q)).map(([s, e]) => text.slice(s, e));

describe('search matching', () => {
  it('ignores case and diacritics, and highlights the original spelling', () => {
    expect(match('Rendez-vous au Café Crème', 'cafe creme')).toEqual(['Café Crème']);
    expect(match('ÜBER alles', 'uber')).toEqual(['ÜBER']);
    // decomposed input (e + U+0301) matches too, and the mark is part of the highlight
    expect(match('cafe\u0301 noir', 'CAFÉ')).toEqual(['cafe\u0301']);
    expect(match('İstanbul', 'istanbul')).toEqual(['İstanbul']);
    expect(match('ﬁnal', 'fin')).toEqual(['ﬁn']);
    expect(match('nothing here', 'cafe')).toEqual([]);
  });

  it('matches right-to-left words, with or without vowel marks, and ignores bidi controls', () => {
    expect(match('נפגשים מחר בבוקר', 'מחר')).toEqual(['מחר']);
    expect(match('שָׁלוֹם לכולם', 'שלום')).toEqual(['שָׁלוֹם']);
    expect(match('مَرْحَبًا يا صديقي', 'مرحبا')).toEqual(['مَرْحَبًا']);
    // what is dropped when folding (marks, format characters) and follows the match is highlighted with it
    expect(match('a\u202Eolleh\u202C b', 'olleh')).toEqual(['olleh\u202C']);
    expect(match('x\u200Bmeet\u200Bing', 'meeting')).toEqual(['meet\u200Bing']);
  });

  it('cuts a snippet around the match without splitting a surrogate pair', () => {
    const text = `${'x'.repeat(50)}😀 needle 😀${'y'.repeat(50)}`;
    const f = fold(text);
    const [before, hit, after] = snippet(text, findMatches(f, 'needle')[0]!, 3);
    expect(hit).toBe('needle');
    expect(before).toBe('…😀 ');
    expect(after).toBe(' 😀…');
  });
});

function source(n: number, perConversation: number): SearchSource & { pages: number } {
  const convs = Array.from({ length: Math.ceil(n / perConversation) }, (_, i) => `c${i}`);
  const s = {
    pages: 0,
    conversations: async () => convs,
    async page(cid: string, after: number, limit: number) {
      s.pages++;
      const c = Number(cid.slice(1));
      const texts: SearchableText[] = [];
      for (let seq = after + 1; seq <= Math.min(after + limit, perConversation); seq++) {
        const i = c * perConversation + seq;
        texts.push({ seq, sender: 'bea', body: i % 1000 === 0 ? `message ${i}: the Crème brûlée` : `message ${i}: nothing to see`, composedAt: i });
      }
      return { texts, next: after + limit >= perConversation ? null : after + limit };
    },
  };
  return s;
}

describe('Searcher', () => {
  it('searches 10,000 messages in pages, giving the event loop back between chunks, newest first per conversation', async () => {
    const src = source(10_000, 2_500);
    let yields = 0;
    const progress: number[] = [];
    const hits = await new Searcher(src).search('creme BRULEE', {
      chunk: 250, pageSize: 200,
      yieldNow: async () => { yields++; },
      onProgress: (p) => progress.push(p.searched),
    });
    expect(hits.map((h) => h.composedAt)).toEqual([2000, 1000, 5000, 4000, 3000, 7000, 6000, 10000, 9000, 8000]);
    expect(hits).toHaveLength(10);
    expect(hits[0]).toMatchObject({ conversationId: 'c0', seq: 2000, snippet: ['message 2000: the ', 'Crème brûlée', ''] });
    expect(hits[1]!.seq).toBe(1000);
    expect(yields).toBe(40); // every 250 messages
    expect(src.pages).toBe(4 * 13); // 2,500 / 200 pages per conversation
    expect(progress.at(-1)).toBe(10_000);
  });

  it('stops when cancelled, before reading the rest', async () => {
    const src = source(10_000, 2_500);
    const abort = new AbortController();
    let yields = 0;
    const run = new Searcher(src).search('brulee', { signal: abort.signal, yieldNow: async () => { if (++yields === 3) abort.abort(); } });
    await expect(run).rejects.toThrow(/cancelled/);
    expect(src.pages).toBeLessThan(6);
  });

  it('an empty query reads nothing', async () => {
    const src = source(100, 100);
    expect(await new Searcher(src).search('  ')).toEqual([]);
    expect(src.pages).toBe(0);
  });
});
