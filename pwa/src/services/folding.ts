// The events of a conversation folded into its message views (protocol §8a, EVT2..EVT7):
// what views.ts built from the log and the outbox, decorated with edits, deletes, reactions,
// quotes and read receipts. In the online chunk (online.ts), not the start chunk: the JS
// budget (e2e/budget/js-budget.test.ts); the views load it when they first need it.
import { foldEvents, type FoldItem } from '../../../protocol/src/events.ts';
import type { MessageView } from './views.ts';

export { foldEvents };

export function applyEvents(
  views: MessageView[],
  items: readonly FoldItem[],
  o: { me: string; others: number; showReads: boolean; deliveredTo: (id: string) => readonly string[] },
): void {
  // Folded with every read receipt: whether WE sent one is needed either way (readsToSend).
  const folded = foldEvents(items, { showReads: true });
  for (const v of views) {
    const f = v.hash ? folded.get(v.hash) : undefined;
    if (!f) continue;
    v.body = f.body ?? '';
    v.edited = f.edited;
    v.deleted = f.deleted;
    v.reactions = f.reactions;
    v.replyTo = f.replyTo;
    if (f.deleted) v.attachment = null;
    const readers = f.readBy.filter((u) => u !== o.me);
    if (v.mine && v.seq !== null) {
      // A read receipt says at least as much as a delivery receipt (R2).
      const to = new Set([...o.deliveredTo(v.id), ...readers]).size;
      v.delivery = { to: Math.min(to, o.others), of: o.others };
      if (to >= o.others) v.state = 'delivered';
      // EVT2: read receipts off: none shown (nor sent: readsToSend is not called then).
      v.read = { by: o.showReads ? Math.min(readers.length, o.others) : 0, of: o.others };
    }
    if (!v.mine) v.readByMe = f.readBy.includes(o.me);
  }
}
