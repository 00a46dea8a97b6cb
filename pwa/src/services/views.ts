// Views: what the screens show, read from the stores and the in-memory plaintexts:
// the conversation list (summaries, previews) and one conversation's messages with
// their states and warnings (as codes; warnings.ts has the words). Opening messages
// (message-opening.ts: previews, plaintexts) and one conversation's messages and events
// (timeline.ts) are in the online chunk: the list paints without them.
import { openGroupMeta, type AttachmentRef, type Quote, type Reaction } from '../../../protocol/src/index.ts';
import type { ContactRow, Db, EpochRow, LogRow } from '../stores/db.ts';
import { getEpochs, listConversations, updateConversation } from '../stores/conversations.ts';
import { allRequests, type RequestState } from '../stores/requests.ts';
import { blockedFor } from './blocking.ts';
import { contactMap, type Keyring, type Plain } from './keyring.ts';
import type { OpeningSource } from './message-opening.ts';
import type { BlockReason, TimelineEvent, Warning } from './warnings.ts';

export type MessageState = 'queued' | 'sent' | 'delivered' | 'failed' | 'received';

export interface MessageView {
  /** clientMessageId when known, else `seq-N`. */
  id: string;
  seq: number | null;
  sender: string;
  mine: boolean;
  body: string | null;
  composedAt: number | null;
  state: MessageState;
  warnings: Warning[];
  /** For our own sent messages: how many of the other members signed a receipt for it ("delivered to 3 of 5"). */
  delivery?: { to: number; of: number };
  /** A file sent with the message (protocol ATT5), opened on demand. */
  attachment?: AttachmentRef | null;
  /** EVT3: the envelope hash (ENV8), with the id what a reply or an event names. */
  hash?: string;
  /** EVT6: the sender edited it (the body is the latest text) or deleted it for everyone (the body is ''). */
  edited?: boolean;
  deleted?: boolean;
  /** EVT5: one per member, counted per emoji. */
  reactions?: Reaction[];
  /** EVT1, EVT3: the message it replies to, as shown now. */
  replyTo?: Quote | null;
  /** EVT2: for our own sent messages, how many of the others signed a read receipt (only with read receipts on; a read one is also delivered). */
  read?: { by: number; of: number };
  /** EVT2: for others' messages, whether this user sent a read receipt for it. */
  readByMe?: boolean;
}

/** An accepted epoch record in the timeline (MEMB2): who signed it and what it changed. */
export interface EventView {
  id: string;
  seq: number;
  epoch: number;
  by: string;
  events: TimelineEvent[];
}

export interface ConversationSummary {
  conversationId: string;
  members: string[];
  others: string[];
  unread: number;
  lastActivity: number;
  preview: string | null;
  /** Why sending is paused, or null. */
  blocked: BlockReason | null;
  /**
   * THREATS L3 message requests: `accepted` (the list), `request` (waiting: shown apart, no
   * unread badge), `ignored` or `blocked` (hidden, found under "Hidden").
   */
  request: RequestState;
  /** Every other member is a contact marked verified, with no key change waiting (issue 16, bug 9). */
  verified: boolean;
  /** GRP1: a group's name (decrypted in memory; null if it does not open) and admins, from the latest accepted epoch. */
  group: GroupInfo | null;
}

export interface GroupInfo {
  name: string | null;
  admins: string[];
}

export class Views {
  private readonly db: Db;
  private readonly keyring: Keyring;

  constructor(p: { db: Db; keyring: Keyring }) {
    this.db = p.db;
    this.keyring = p.keyring;
  }

  private get me(): string {
    return this.keyring.me;
  }

  /** What opening messages and the timeline (in the online chunk) read through this view. */
  private source(): OpeningSource {
    return { db: this.db, keyring: this.keyring, me: this.me };
  }

  /** Group name and admins per conversation and epoch, decrypted in memory only (never stored: no plaintext at rest). */
  private readonly groups = new Map<string, { epoch: number; group: GroupInfo | null }>();

  /** GRP1, GRP3: the group of a conversation's latest accepted epoch, or null for a conversation without admins. */
  async groupOf(conversationId: string, latestEpoch: number): Promise<GroupInfo | null> {
    const cached = this.groups.get(conversationId);
    if (cached && cached.epoch === latestEpoch) return cached.group;
    const row = (await getEpochs(this.db, conversationId)).find((e) => e.epoch === latestEpoch);
    let group: GroupInfo | null = null;
    if (row?.record.admins !== undefined) {
      let name: string | null = null;
      try {
        name = await openGroupMeta(row.record, row.key);
      } catch {
        // an accepted record whose name does not open: shown without a name
      }
      group = { name, admins: [...row.record.admins] };
    }
    if (row) this.groups.set(conversationId, { epoch: latestEpoch, group });
    return group;
  }

  async summaries(): Promise<ConversationSummary[]> {
    const convs = await listConversations(this.db);
    const contacts = await contactMap(this.db);
    const requests = await allRequests(this.db);
    const groups = await Promise.all(convs.map((c) => (c.latestEpoch >= 0 ? this.groupOf(c.conversationId, c.latestEpoch) : null)));
    return convs.map((c, i) => {
      // Not decided yet (Requests.classify): nothing opened in it, so nothing to accept yet.
      const request = requests.get(c.conversationId)?.state ?? 'request';
      return {
        group: groups[i] ?? null,
        conversationId: c.conversationId, members: c.members, others: c.members.filter((m) => m !== this.me),
        unread: request === 'accepted' ? c.unread : 0, lastActivity: c.lastActivity, preview: null,
        blocked: blockedFor(this.me, c, contacts, c.latestEpoch >= 0 ? [{ epoch: c.latestEpoch }] : []),
        request,
        verified: c.members.some((m) => m !== this.me) && c.members.every((m) => m === this.me || (!!contacts.get(m)?.verified && !contacts.get(m)?.pending)),
      };
    });
  }

  async markRead(conversationId: string): Promise<void> {
    await updateConversation(this.db, conversationId, (c) => (c.unread === 0 ? c : { ...c, unread: 0 }));
  }

  /** The last text of a conversation, decrypted in memory, as edited or deleted since (EVT6): message-opening.ts. */
  async preview(conversationId: string): Promise<string | null> {
    return (await import('./online.ts')).previewOf(this.source(), conversationId);
  }

  /**
   * Every message of a conversation with its state and warnings, oldest first, with the
   * events about each folded in (EVT2..EVT7). `showReads`: read receipts counted (EVT2),
   * by default as the user's setting says.
   */
  async messages(conversationId: string, o: { showReads?: boolean } = {}): Promise<MessageView[]> {
    return (await import('./online.ts')).timelineMessages(this.source(), conversationId, o);
  }

  /** EVT2: the messages of others in a conversation this user has not yet sent a read receipt for (newest last). */
  async readsToSend(conversationId: string): Promise<string[]> {
    return (await this.messages(conversationId, { showReads: true }))
      .filter((v) => !v.mine && v.seq !== null && v.hash !== undefined && !v.readByMe && !v.deleted && !v.id.startsWith('seq-'))
      .map((v) => v.id);
  }

  /**
   * Every accepted epoch record of a conversation as timeline events (L9, MEMB2), oldest
   * first: "ada added carl", "bob's key changed", or, for a newcomer, that earlier history
   * was not shared. The words come from eventText.
   */
  async events(conversationId: string): Promise<EventView[]> {
    return (await import('./online.ts')).timelineEvents(this.source(), conversationId);
  }

  /** A stored message's plaintext: from memory, or opened again (after a reload) and kept (message-opening.ts; names.ts and search.ts use it). */
  async plainOf(cid: string, row: LogRow, contacts: Map<string, ContactRow>, epochs: Map<number, EpochRow>): Promise<Plain | undefined> {
    return (await import('./online.ts')).plainOf(this.source(), cid, row, contacts, epochs);
  }
}
