// Whether sending in a conversation is paused, and why: a pure decision over what the
// device stores, shared by composing (which refuses) and views (which show it).
import type { ContactRow, ConversationRow, EpochRow } from '../stores/db.ts';
import type { BlockReason } from './warnings.ts';

export function blockedFor(me: string, conv: ConversationRow, contacts: Map<string, ContactRow>, epochs: Pick<EpochRow, 'epoch'>[]): BlockReason | null {
  if (conv.membershipAlert) return { code: 'membership-alert' };
  if (conv.latestEpoch < 0) return { code: 'keys-not-arrived' };
  if (!conv.members.includes(me)) return { code: 'removed' };
  for (const uid of conv.members) {
    if (uid === me) continue;
    const c = contacts.get(uid);
    if (!c) return { code: 'key-unknown', userId: uid };
    if (c.pending) return { code: 'key-changed', userId: uid, name: c.displayName || uid, when: 'send' };
  }
  if (!epochs.some((e) => e.epoch === conv.latestEpoch)) return { code: 'keys-not-arrived' };
  return null;
}
