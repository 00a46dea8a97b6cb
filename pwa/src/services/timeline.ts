// One conversation's timeline for its screen: every message with its state and warnings,
// and the accepted membership changes as events (Views.messages and Views.events). Apart
// from views.ts, in the online chunk (online.ts), so that the start chunk holds only what the
// conversation list needs (issue 18); the conversation screen loads after the list anyway.
import {
  envelopeHash, membershipChange, openGroupMeta,
  type EpochRecord, type Envelope, type FoldItem, type MembershipChange,
} from '../../../protocol/src/index.ts';
import { getConversation, getEpochs } from '../stores/conversations.ts';
import { getLog, receiptsFor } from '../stores/log.ts';
import { outboxFor } from '../stores/outbox.ts';
import { readReceiptsOn } from '../stores/preferences.ts';
import { blockedUsers } from '../stores/requests.ts';
import { deviceEvents } from './device-notices.ts';
import { applyEvents } from './folding.ts';
import { contactMap } from './keyring.ts';
import { EVENT_KINDS, foldItem, outboxPlain, plainOf, type OpeningSource } from './message-opening.ts';
import type { EventView, MessageState, MessageView } from './views.ts';
import { warningFor, type TimelineEvent, type Warning } from './warnings.ts';

/** What Views lends the timeline: its stores, keys and plaintext cache. */
export type TimelineSource = OpeningSource;

/** MEMB1 -> MEMB2: the events one accepted change shows, as codes. `group`: epoch 0 of a group, with its name. */
export function eventsOf(change: MembershipChange, group?: { name: string | null }): TimelineEvent[] {
  const by = change.by;
  if (change.joined) return [{ code: 'joined', by }];
  if (change.epoch === 0) return group ? [{ code: 'group-created', by, name: group.name, with: change.added }] : [{ code: 'started', by, with: change.added }];
  const out: TimelineEvent[] = [
    ...change.added.map((userId) => ({ code: 'member-added' as const, by, userId })),
    ...change.removed.map((userId) => ({ code: userId === by ? ('member-left' as const) : ('member-removed' as const), by, userId })),
    ...change.keyChanged.map((userId) => ({ code: 'key-changed' as const, by, userId })),
  ];
  return out.length ? out : [{ code: 'rekeyed', by }];
}

/** Problems of entries from before this device was added (JOIN3): not shown one by one; the join event says it once. */
const NOT_SHARED = new Set(['epoch-not-shared', 'not-shared', 'epoch-removed']);

/**
 * Every message of a conversation with its state and warnings, oldest first, with the
 * events about each folded in (EVT2..EVT7). `showReads`: read receipts counted (EVT2).
 */
export async function timelineMessages(src: TimelineSource, conversationId: string, o: { showReads?: boolean } = {}): Promise<MessageView[]> {
  const conv = await getConversation(src.db, conversationId);
  if (!conv) return [];
  const showReads = o.showReads ?? (await readReceiptsOn(src.db));
  const contacts = await contactMap(src.db);
  const epochs = new Map((await getEpochs(src.db, conversationId)).map((e) => [e.epoch, e]));
  const rows = await getLog(src.db, conversationId);
  const receipts = await receiptsFor(src.db, conversationId);
  const others = Math.max(1, conv.members.length - 1);
  const views: MessageView[] = [];
  const seen = new Set<string>();
  const fold: FoldItem[] = [];
  // THREATS L3: nothing a blocked user sent after the block is shown, in any conversation.
  const blocked = await blockedUsers(src.db);
  for (const row of rows) {
    if (NOT_SHARED.has(row.check.problem ?? '')) continue;
    if (row.kind === 'epoch') {
      const creator = (row.body as Partial<EpochRecord> | null)?.creator;
      if (!row.check.ok) views.push({ id: `seq-${row.seq}`, seq: row.seq, sender: '', mine: false, body: null, composedAt: null, state: 'received', warnings: [warningFor(row.check.problem ?? 'malformed', { sender: typeof creator === 'string' ? creator : undefined })] });
      continue;
    }
    const env = row.body as Partial<Envelope>;
    const sender = typeof env?.sender === 'string' ? env.sender : '?';
    const blockedAt = blocked.get(sender);
    if (blockedAt !== undefined && Date.parse(row.createdAt) >= blockedAt) continue;
    const cmid = typeof env?.clientMessageId === 'string' ? env.clientMessageId : `seq-${row.seq}`;
    const warnings: Warning[] = [];
    if (row.check.problem) warnings.push(warningFor(row.check.problem, { sender, missing: row.check.missing }));
    if (row.check.kind === 'receipt' || row.check.kind === 'profile' || EVENT_KINDS.has(row.check.kind)) {
      // EVT7: an event is folded into the message it names, never shown itself; a
      // display name (NAME1) is read by names.ts, not shown as a bubble either.
      if (row.check.ok && row.check.hash && row.check.kind !== 'receipt' && row.check.kind !== 'profile') {
        const p = await plainOf(src, conversationId, row, contacts, epochs);
        if (p) fold.push(foldItem(row.body as Envelope, row.check.hash, p.plaintext));
      }
      seen.add(cmid);
      if (warnings.length) views.push({ id: `seq-${row.seq}`, seq: row.seq, sender, mine: sender === src.me, body: null, composedAt: null, state: 'received', warnings });
      continue;
    }
    const showBody = row.check.ok || row.check.problem === 'fork';
    const p = showBody ? await plainOf(src, conversationId, row, contacts, epochs) : undefined;
    const mine = sender === src.me && row.check.ok;
    const id = seen.has(cmid) ? `seq-${row.seq}` : cmid;
    seen.add(cmid);
    let state: MessageState = 'received';
    const to = receipts.get(cmid)?.by.length ?? 0;
    if (mine) state = to >= others ? 'delivered' : 'sent';
    const view: MessageView = { id, seq: row.seq, sender, mine, body: p?.plaintext.body ?? null, composedAt: p?.plaintext.composedAt ?? null, state, warnings, attachment: p?.plaintext.attachment ?? null };
    if (mine) view.delivery = { to: Math.min(to, others), of: others };
    // EVT3: only accepted messages can be quoted or named by events.
    if (p && row.check.ok && row.check.hash) {
      view.hash = row.check.hash;
      fold.push(foldItem(row.body as Envelope, row.check.hash, p.plaintext));
    }
    views.push(view);
  }
  for (const out of await outboxFor(src.db, conversationId)) {
    if (out.kind === 'receipt' || seen.has(out.clientMessageId)) continue;
    const p = await outboxPlain(src, conversationId, out, epochs, contacts);
    const hash = await envelopeHash(out.envelope);
    // Our own events, sealed and waiting, count at once (they are signed like the rest).
    if (p && out.status !== 'rejected') fold.push(foldItem(out.envelope, hash, p));
    if (out.kind !== 'text') continue;
    const state: MessageState = out.status === 'queued' ? 'queued' : out.status === 'sent' ? 'sent' : 'failed';
    const warnings: Warning[] = out.status === 'rejected' ? [{ code: 'rejected', error: out.error }] : [];
    const view: MessageView = { id: out.clientMessageId, seq: null, sender: src.me, mine: true, body: p?.body ?? null, composedAt: out.composedAt, state, warnings, attachment: p?.attachment ?? null };
    if (out.status !== 'rejected') view.hash = hash;
    views.push(view);
  }
  // EVT2..EVT7: the events folded into the messages they name (folding.ts).
  applyEvents(views, fold, { me: src.me, others, showReads, deliveredTo: (id) => receipts.get(id)?.by ?? [] });
  return views;
}

/** Every accepted epoch record of a conversation as timeline events (L9, MEMB2), oldest first. */
export async function timelineEvents(src: TimelineSource, conversationId: string): Promise<EventView[]> {
  const epochs = await getEpochs(src.db, conversationId);
  const records = new Map(epochs.map((e) => [e.epoch, e.record]));
  const contacts = await contactMap(src.db);
  const out: EventView[] = [];
  for (const e of epochs) {
    let change: MembershipChange;
    try {
      change = membershipChange(records.get(e.epoch - 1) ?? null, e.record as EpochRecord);
    } catch {
      continue; // not consecutive: cannot happen for accepted records
    }
    let group: { name: string | null } | undefined;
    if (e.epoch === 0 && e.record.admins !== undefined) group = { name: await openGroupMeta(e.record, e.key).catch(() => null) };
    const events = eventsOf(change, group);
    for (const ev of events) {
      if (ev.code !== 'key-changed') continue;
      // Why, as this device accepted the key the epoch names (ACCT5; LOST2 for our own).
      if (ev.userId === src.me) {
        if (src.keyring.rotatedHere) ev.change = 'own';
      } else {
        const fp = e.members.find((m) => m.userId === ev.userId)?.fingerprint;
        const accepted = contacts.get(ev.userId)?.history.find((h) => h.fingerprint === fp && h.acceptedAt !== null);
        // Only a signed rotation has words of its own (a notice); any other change reads as before.
        if (accepted?.change === 'rotation') ev.change = 'rotation';
      }
    }
    out.push({ id: `epoch-${e.epoch}`, seq: e.seq, epoch: e.epoch, by: change.by, events });
  }
  // Contacts' devices as notices (device-notices.ts).
  out.push(...(await deviceEvents(src.db, src.me, await getLog(src.db, conversationId))));
  // The record that removed us opened nothing, but is an event too.
  for (const row of await getLog(src.db, conversationId)) {
    if (row.kind !== 'epoch' || row.check.problem !== 'epoch-removed') continue;
    const rec = row.body as EpochRecord;
    out.push({ id: `epoch-${rec.epoch}`, seq: row.seq, epoch: rec.epoch, by: rec.creator, events: [{ code: 'member-removed', by: rec.creator, userId: src.me }] });
  }
  return out.sort((a, b) => a.seq - b.seq);
}
