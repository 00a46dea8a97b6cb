// SPEC §8a: conversation events. The plaintext checks at seal and open time, and the pure
// fold that turns a conversation's accepted messages into what each text shows.
import { describe, expect, it } from 'vitest';
import { foldEvents, laterThan, padPlaintext, unpadPlaintext, type FoldItem, type MessagePlaintext } from '../src/index.ts';

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const hash = (n: number) => n.toString(16).padStart(64, '0');
const ref = (n: number) => ({ id: id(n), hash: hash(n) });

const roundTrip = (p: MessagePlaintext) => unpadPlaintext(padPlaintext(p));
const refused = (p: unknown) => expect(() => padPlaintext(p as MessagePlaintext)).toThrow(/plaintext/);

/** A fold item: message n, by `sender` on `chain` (default: the sender's one chain) at `counter`. */
function item(n: number, sender: string, plaintext: Omit<MessagePlaintext, 'composedAt'> & { composedAt?: number }, o: { chain?: string; counter?: number } = {}): FoldItem {
  return { id: id(n), hash: hash(n), sender, chain: o.chain ?? sender, counter: o.counter ?? n, plaintext: { composedAt: 1000 + n, ...plaintext } };
}
const text = (n: number, sender: string, body: string, extra: Partial<MessagePlaintext> = {}, o = {}) => item(n, sender, { type: 'text', body, ...extra }, o);

describe('event plaintexts (EVT1)', () => {
  it('EVT1: read, reaction, edit and delete round-trip; replyTo and target are kept in the fixed key order', () => {
    const reply = roundTrip({ type: 'text', body: 'yes', composedAt: 5, replyTo: ref(1) });
    expect(reply).toEqual({ type: 'text', body: 'yes', composedAt: 5, replyTo: ref(1) });
    expect(roundTrip({ type: 'read', body: '', composedAt: 5, refs: [id(1), id(2)] }).refs).toEqual([id(1), id(2)]);
    expect(roundTrip({ type: 'reaction', body: '👍🏽', composedAt: 5, target: ref(1) }).body).toBe('👍🏽');
    expect(roundTrip({ type: 'reaction', body: '', composedAt: 5, target: ref(1) }).body).toBe('');
    expect(roundTrip({ type: 'edit', body: 'fixed', composedAt: 5, target: ref(1) }).target).toEqual(ref(1));
    expect(roundTrip({ type: 'delete', body: '', composedAt: 5, target: ref(1) }).type).toBe('delete');
    // ENV5: the order of the JSON keys is fixed whatever order the caller used.
    const padded = padPlaintext({ target: ref(1), composedAt: 5, body: 'x', type: 'edit' } as MessagePlaintext);
    const n = new DataView(padded.buffer).getUint32(0);
    expect(Object.keys(JSON.parse(new TextDecoder().decode(padded.subarray(4, 4 + n))))).toEqual(['type', 'body', 'composedAt', 'target']);
  });

  it('EVT1: an event without its target, a target or reply where none belongs, and malformed references are refused', () => {
    refused({ type: 'edit', body: 'x', composedAt: 1 });
    refused({ type: 'delete', body: '', composedAt: 1 });
    refused({ type: 'reaction', body: '👍', composedAt: 1 });
    refused({ type: 'text', body: 'x', composedAt: 1, target: ref(1) });
    refused({ type: 'receipt', body: '', composedAt: 1, refs: [id(1)], target: ref(1) });
    refused({ type: 'edit', body: 'x', composedAt: 1, target: ref(1), replyTo: ref(2) });
    refused({ type: 'text', body: 'x', composedAt: 1, replyTo: { id: id(1) } });
    refused({ type: 'text', body: 'x', composedAt: 1, replyTo: { ...ref(1), extra: 1 } });
    refused({ type: 'text', body: 'x', composedAt: 1, replyTo: { id: 'not-a-uuid', hash: hash(1) } });
    refused({ type: 'edit', body: 'x', composedAt: 1, target: { id: id(1), hash: 'zz' } });
    refused({ type: 'read', body: '', composedAt: 1 });
    refused({ type: 'read', body: 'x', composedAt: 1, refs: [id(1)] });
    refused({ type: 'delete', body: 'gone', composedAt: 1, target: ref(1) });
    refused({ type: 'edit', body: '  ', composedAt: 1, target: ref(1) });
    refused({ type: 'edit', body: 'x', composedAt: 1, target: ref(1), refs: [id(1)] });
    refused({ type: 'reaction', body: 'two words', composedAt: 1, target: ref(1) });
    refused({ type: 'reaction', body: '👍'.repeat(9), composedAt: 1, target: ref(1) });
    refused({ type: 'typing', body: '', composedAt: 1 });
  });
});

describe('the fold (EVT2..EVT7)', () => {
  it('EVT2: a read receipt marks the named messages of others as read, never the reader\'s own, and counts for nothing when read receipts are off', () => {
    const items = [text(1, 'ada', 'hi'), text(2, 'bea', 'hello'), item(3, 'bea', { type: 'read', body: '', refs: [id(1), id(2)] })];
    const on = foldEvents(items, { showReads: true });
    expect(on.get(hash(1))!.readBy).toEqual(['bea']);
    expect(on.get(hash(2))!.readBy).toEqual([]);
    const off = foldEvents(items, { showReads: false });
    expect(off.get(hash(1))!.readBy).toEqual([]);
  });

  it('EVT3: a reply quotes the message its id AND hash name; with another hash the quote is "not available" and an event changes nothing', () => {
    const items = [
      text(1, 'ada', 'original'),
      text(2, 'bea', 'reply', { replyTo: ref(1) }),
      text(3, 'bea', 'reply to a swapped message', { replyTo: { id: id(1), hash: hash(99) } }),
      item(4, 'ada', { type: 'edit', body: 'changed', target: { id: id(1), hash: hash(98) } }),
      item(5, 'bea', { type: 'reaction', body: '👍', target: { id: id(1), hash: hash(97) } }),
    ];
    const f = foldEvents(items, { showReads: true });
    expect(f.get(hash(2))!.replyTo).toEqual({ id: id(1), sender: 'ada', body: 'original', state: 'shown' });
    expect(f.get(hash(3))!.replyTo).toEqual({ id: id(1), sender: null, body: null, state: 'unavailable' });
    expect(f.get(hash(1))).toMatchObject({ body: 'original', edited: false, reactions: [] });
    // Events are never shown themselves, and only texts can be targets.
    expect([...f.keys()]).toEqual([hash(1), hash(2), hash(3)]);
  });

  it('EVT4: the latest edit in the sender\'s own chain order wins, whatever order the server delivered them in', () => {
    const e1 = item(2, 'ada', { type: 'edit', body: 'first fix', target: ref(1), composedAt: 9000 }, { chain: 'ada#d1', counter: 2 });
    const e2 = item(3, 'ada', { type: 'edit', body: 'second fix', target: ref(1), composedAt: 10 }, { chain: 'ada#d1', counter: 3 });
    const base = text(1, 'ada', 'typo', {}, { chain: 'ada#d1', counter: 1 });
    // A server that swaps the two edits (and a clock that went backwards) changes nothing: counter 3 is later.
    expect(foldEvents([base, e1, e2], { showReads: true }).get(hash(1))!.body).toBe('second fix');
    expect(foldEvents([base, e2, e1], { showReads: true }).get(hash(1))!.body).toBe('second fix');
    // Two devices of the account: the later composedAt, then the chain id.
    const other = item(4, 'ada', { type: 'edit', body: 'from the phone', target: ref(1), composedAt: 500 }, { chain: 'ada#d2', counter: 1 });
    expect(laterThan(other, e2)).toBe(true);
    expect(foldEvents([base, other, e1, e2], { showReads: true }).get(hash(1))!.body).toBe('from the phone');
    expect(foldEvents([other, e2, base, e1], { showReads: true }).get(hash(1))!.body).toBe('from the phone');
  });

  it('EVT5: one reaction per member per message, the last one wins, "" takes it back, counted per emoji', () => {
    const items = [
      text(1, 'ada', 'party?'),
      item(2, 'bea', { type: 'reaction', body: '👍', target: ref(1) }),
      item(3, 'cyd', { type: 'reaction', body: '🎉', target: ref(1) }),
      item(4, 'bea', { type: 'reaction', body: '🎉', target: ref(1) }),
      item(5, 'dan', { type: 'reaction', body: '👍', target: ref(1) }),
      item(6, 'dan', { type: 'reaction', body: '', target: ref(1) }),
      item(7, 'ada', { type: 'reaction', body: '❤️', target: ref(1) }),
    ];
    expect(foldEvents(items, { showReads: true }).get(hash(1))!.reactions).toEqual([{ emoji: '🎉', by: ['bea', 'cyd'] }, { emoji: '❤️', by: ['ada'] }]);
    // Delivered in another order: bea's reactions are ordered by her chain, so the same result.
    expect(foldEvents([...items].reverse(), { showReads: true }).get(hash(1))!.reactions).toEqual([{ emoji: '🎉', by: ['bea', 'cyd'] }, { emoji: '❤️', by: ['ada'] }]);
  });

  it('EVT6: only the sender edits or deletes a message; a delete wins over edits and shows in quotes', () => {
    const items = [
      text(1, 'ada', 'original'),
      item(2, 'bea', { type: 'edit', body: 'bea put words in ada\'s mouth', target: ref(1) }),
      item(3, 'bea', { type: 'delete', body: '', target: ref(1) }),
    ];
    expect(foldEvents(items, { showReads: true }).get(hash(1))).toMatchObject({ body: 'original', edited: false, deleted: false });
    const own = [...items, item(4, 'ada', { type: 'edit', body: 'ada fixed it', target: ref(1) }), text(5, 'bea', 'quote', { replyTo: ref(1) })];
    const edited = foldEvents(own, { showReads: true });
    expect(edited.get(hash(1))).toMatchObject({ body: 'ada fixed it', edited: true, deleted: false });
    expect(edited.get(hash(5))!.replyTo).toMatchObject({ body: 'ada fixed it', state: 'shown' });
    const deleted = foldEvents([...own, item(6, 'ada', { type: 'delete', body: '', target: ref(1) }), item(7, 'bea', { type: 'reaction', body: '👍', target: ref(1) })], { showReads: true });
    expect(deleted.get(hash(1))).toMatchObject({ body: null, edited: false, deleted: true, reactions: [] });
    expect(deleted.get(hash(5))!.replyTo).toEqual({ id: id(1), sender: 'ada', body: null, state: 'deleted' });
  });
});
