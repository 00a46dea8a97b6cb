// Composing: start a conversation (its first signed epoch), seal messages into the
// outbox, re-key after an accepted key change, and add or remove members (each a new
// signed epoch with a fresh key). Sealing never needs the network; the
// outbox is drained later (outbox-flush.ts).
import {
  LIMITS, ProtocolError, USER_ID_RE, checkGroupName, createEpoch, envelopeHash, fingerprint, openGroupMeta, sealMessage, type AttachmentRef, type EpochRecord, type MessageKind, type MessagePlaintext, type MessageRef, type PublicIdentity,
} from '../../../protocol/src/index.ts';
import type { ContactRow, ConversationRow, Db, EpochRow, OutboxRow } from '../stores/db.ts';
import { getChain, getConversation, getEpochs, listConversations, newConversationRow, updateConversation } from '../stores/conversations.ts';
import { commitReceived } from '../stores/log.ts';
import { enqueue } from '../stores/outbox.ts';
import type { Api } from './api.ts';
import type { DeviceKeys } from './device-key.ts';
import { blockedFor } from './blocking.ts';
import type { Directory } from './directory.ts';
import { contactMap, type Keyring } from './keyring.ts';
import { BlockedError, type BlockReason } from './warnings.ts';

/** A file sealed for a message (attachments.ts): its reference, and the message id its upload waits under. */
export interface OutgoingAttachment { ref: AttachmentRef; clientMessageId: string }

/** EVT1: what a text replies to, or what an event (reaction, edit, delete) is about. */
export interface MessageLinks { replyTo?: MessageRef; target?: MessageRef }

/** A user name as typed, as the user id it means (not checked: typedUserId below). */
export function asUserId(typed: string): string {
  return typed.trim().replace(/^@/, '').toLowerCase();
}

/**
 * A user name as typed, as its user id. An empty or malformed one is refused here in plain
 * words; the directory's 400 for it read "The server could not accept that" (session 8).
 * One leading "@" is dropped: the screens show user ids as "@ada", so that is what people
 * type (it was refused as "not a user name", session 9).
 */
function typedUserId(typed: string): string {
  const userId = asUserId(typed);
  if (userId === '') throw new BlockedError({ code: 'user-name-empty' });
  if (!USER_ID_RE.test(userId)) throw new BlockedError({ code: 'user-name-format', typed: typed.trim() });
  return userId;
}

export class Composer {
  private readonly db: Db;
  private readonly api: Api;
  private readonly directory: Directory;
  private readonly keyring: Keyring;
  private readonly deviceKeys: DeviceKeys;
  private sendQueue: Promise<unknown> = Promise.resolve();

  constructor(p: { db: Db; api: Api; directory: Directory; keyring: Keyring; deviceKeys: DeviceKeys }) {
    this.db = p.db;
    this.deviceKeys = p.deviceKeys;
    this.api = p.api;
    this.directory = p.directory;
    this.keyring = p.keyring;
  }

  private get me(): string {
    return this.keyring.me;
  }

  /** Start (or reopen) a one-to-one conversation with a user name. Needs the network. */
  async startConversation(userName: string): Promise<string> {
    const userId = typedUserId(userName);
    if (userId === this.me) throw new BlockedError({ code: 'own-user-name' });
    // An existing one-to-one conversation opens without the network (issue 16, bug 10); its
    // contact's key is checked again when it is opened (Messenger.open) and before sending.
    for (const c of await listConversations(this.db)) {
      if (c.members.length === 2 && c.members.includes(userId) && c.members.includes(this.me)) return c.conversationId;
    }
    const contact = await this.directory.lookup(userId);
    if (contact.pending) throw new BlockedError({ code: 'key-changed', userId, name: contact.displayName || userId, when: 'start' });
    const conversationId = crypto.randomUUID();
    const identity = this.keyring.identity;
    const { record, key } = await createEpoch({ conversationId, epoch: 0, creator: identity, members: [identity.public, contact.pinned], previous: null });
    const { seq } = await this.api.createConversation(record);
    const conv = await this.storeOwnEpoch(newConversationRow(conversationId), record, key, seq);
    return conv.conversationId;
  }

  /**
   * Start a group (GRP1..GRP4): a name, sealed under the first epoch's key so the server never
   * sees it, and up to 255 other members, with this user as its admin. Every user name is looked
   * up (and pinned) first; an unknown one, or one whose key changed and waits for review, refuses
   * the whole group. Our own name among them is left out: we are in it anyway (it used to refuse
   * the group with "That is your own user name", session 9). Needs the network.
   */
  async createGroup(nameIn: string, userNames: string[]): Promise<string> {
    const name = checkGroupName(nameIn);
    if (!name.ok) throw new BlockedError({ code: 'group-name', problem: name.problem });
    const ids = [...new Set(userNames.filter((u) => u.trim() !== '').map(typedUserId))].filter((id) => id !== this.me);
    if (ids.length === 0) throw new BlockedError({ code: 'group-empty' });
    if (ids.length > LIMITS.maxMembers - 1) throw new BlockedError({ code: 'group-too-large', max: LIMITS.maxMembers });
    const contacts = [];
    for (const id of ids) {
      const contact = await this.directory.lookup(id);
      if (contact.pending) throw new BlockedError({ code: 'key-changed', userId: id, name: contact.displayName || id, when: 'start' });
      contacts.push(contact.pinned);
    }
    const conversationId = crypto.randomUUID();
    const identity = this.keyring.identity;
    const { record, key } = await createEpoch({
      conversationId, epoch: 0, creator: identity, members: [identity.public, ...contacts], previous: null, group: { name: name.name, admins: [this.me] },
    });
    const { seq } = await this.api.createConversation(record);
    const conv = await this.storeOwnEpoch(newConversationRow(conversationId), record, key, seq);
    return conv.conversationId;
  }

  /**
   * Our own new epoch, stored at once (it may be ahead of the cursor: the next pull reads
   * it again and recognises it as ours, L7). The row is merged into what is stored when
   * the write happens (L8): the cursor moves only if nothing is skipped.
   */
  private async storeOwnEpoch(conv: ConversationRow, record: EpochRecord, key: CryptoKey, seq: number): Promise<ConversationRow> {
    const members = record.members.map((m) => ({ ...m }));
    const next: ConversationRow = {
      ...conv, members: members.map((m) => m.userId), latestEpoch: record.epoch, lastActivity: Date.now(), membershipAlert: null,
    };
    await commitReceived(this.db, {
      entry: { conversationId: conv.conversationId, seq, kind: 'epoch', body: record, createdAt: new Date().toISOString(), check: { ok: true, problem: null } },
      base: conv,
      conversation: next,
      epoch: { conversationId: conv.conversationId, epoch: record.epoch, key, members, record, seq },
    });
    return (await getConversation(this.db, conv.conversationId)) ?? next;
  }

  /** Why sending in this conversation is paused, or null. */
  async blockedReason(conversationId: string): Promise<BlockReason | null> {
    const conv = await getConversation(this.db, conversationId);
    if (!conv) return { code: 'unknown-conversation' };
    return blockedFor(this.me, conv, await contactMap(this.db), await getEpochs(this.db, conversationId));
  }

  /** Seals at once into the outbox; sending happens later (flush). Never needs the network… */
  send(conversationId: string, body: string, kind: MessageKind = 'text', refs?: string[], attachment?: OutgoingAttachment, links?: MessageLinks): Promise<OutboxRow> {
    const run = this.sendQueue.then(() => this.sendNow(conversationId, body, kind, refs, attachment, links));
    this.sendQueue = run.catch(() => undefined);
    return run;
  }

  private async sendNow(conversationId: string, body: string, kind: MessageKind, refs?: string[], attachment?: OutgoingAttachment, links?: MessageLinks): Promise<OutboxRow> {
    const conv = await getConversation(this.db, conversationId);
    if (!conv) throw new BlockedError({ code: 'unknown-conversation' });
    const contacts = await contactMap(this.db);
    let epochs = await getEpochs(this.db, conversationId);
    const blocked = blockedFor(this.me, conv, contacts, epochs);
    if (blocked) throw new BlockedError(blocked);
    let latest = epochs.find((e) => e.epoch === conv.latestEpoch)!;
    // …except after an accepted key change: the epoch key must be re-wrapped for the
    // member's new key before anything else is sent (a new signed epoch).
    // Receipts are messages too (ADMIT1): sealed under the epoch the key change made, never a stale one.
    // GRP6: nor under the key of a member who left: they made it.
    // DEV11: nor under an epoch wrapped to our own previous key (a rotation on this device).
    const mine = await fingerprint(this.keyring.identity.public);
    const stale = latest.members.some((m) => (m.userId === this.me ? mine : contacts.get(m.userId)?.fingerprint) !== m.fingerprint)
      || !latest.members.some((m) => m.userId === latest.record.creator);
    // EVT2: a read receipt never re-keys a conversation by itself (after a member left or a key
    // changed, that is for the next real message): it waits, like the read it reports.
    if (stale && kind === 'read') throw new BlockedError({ code: 'keys-not-arrived' });
    if (stale) {
      await this.nextEpoch(conv, this.currentKeys(latest.members.map((m) => m.userId), contacts), latest);
      epochs = await getEpochs(this.db, conversationId);
      const fresh = await getConversation(this.db, conversationId);
      latest = epochs.find((e) => e.epoch === fresh!.latestEpoch)!;
    }
    // DEV5, DEV6: sealed by this device's certified key, continuing this device's own chain only.
    const device = await this.deviceKeys.signer();
    const stored = await getChain(this.db, conversationId);
    const chain = stored?.deviceId === device.cert.deviceId ? stored : undefined;
    const composedAt = Date.now();
    const plaintext: MessagePlaintext = { type: kind, body, composedAt };
    if (refs) plaintext.refs = refs;
    if (attachment) plaintext.attachment = attachment.ref;
    if (links?.replyTo) plaintext.replyTo = links.replyTo;
    if (links?.target) plaintext.target = links.target;
    const envelope = await sealMessage({
      conversationId, epoch: latest.epoch, epochKey: latest.key, sender: this.keyring.identity, device, clientMessageId: attachment?.clientMessageId ?? crypto.randomUUID(),
      counter: (chain?.counter ?? 0) + 1, prevHash: chain?.prevHash ?? null, plaintext,
    });
    const hash = await envelopeHash(envelope);
    const row = await enqueue(this.db, { envelope, composedAt, kind, hash });
    // EVT7: events are kept in memory for the views' fold, but move no activity.
    if (kind !== 'receipt') this.keyring.plain.set(`${conversationId}/out/${envelope.clientMessageId}`, { plaintext, sender: this.me });
    if (kind === 'text') {
      await updateConversation(this.db, conversationId, (c) => ({ ...c, lastActivity: Math.max(c.lastActivity, composedAt) }));
    }
    return row;
  }

  /** Add a member: a new signed epoch listing them, its key wrapped for everyone in it (L9). Needs the network. */
  addMember(conversationId: string, userId: string): Promise<ConversationRow> {
    return this.changeMembers(conversationId, async (members) => {
      const id = typedUserId(userId);
      if (members.includes(id)) return null;
      const contact = await this.directory.lookup(id);
      if (contact.pending) throw new BlockedError({ code: 'key-changed', userId: id, name: contact.displayName || id, when: 'send' });
      return [...members, id];
    });
  }

  /** Remove a member: a new signed epoch without them, so a fresh key they never get (L2, L9). Needs the network. */
  removeMember(conversationId: string, userId: string): Promise<ConversationRow> {
    return this.changeMembers(conversationId, async (members) => {
      if (userId === this.me) throw new BlockedError({ code: 'own-user-name' });
      return members.includes(userId) ? members.filter((m) => m !== userId) : null;
    });
  }

  /**
   * Leave a group (GRP6): the one record we are not in, listing everyone else with a fresh key,
   * keeping the other admins (the last admin hands the role to the first member who stays).
   * Whoever sends next re-keys first, since we made that key. Needs the network.
   */
  leave(conversationId: string): Promise<ConversationRow> {
    const run = this.sendQueue.then(async () => {
      const conv = await getConversation(this.db, conversationId);
      if (!conv) throw new BlockedError({ code: 'unknown-conversation' });
      if (!conv.members.includes(this.me)) throw new BlockedError({ code: 'removed' });
      const epochs = await getEpochs(this.db, conversationId);
      const latest = epochs.find((e) => e.epoch === conv.latestEpoch);
      if (!latest) throw new BlockedError({ code: 'keys-not-arrived' });
      if (latest.record.admins === undefined) throw new BlockedError({ code: 'not-a-group' });
      const rest = latest.members.map((m) => m.userId).filter((u) => u !== this.me);
      if (rest.length === 0) throw new BlockedError({ code: 'group-empty' });
      const admins = latest.record.admins.filter((a) => a !== this.me);
      return this.nextEpoch(conv, this.currentKeys(rest, await contactMap(this.db)), latest, admins.length ? admins : [rest[0]!]);
    });
    this.sendQueue = run.catch(() => undefined);
    return run;
  }

  /** In the send queue, so nothing is sealed under an epoch being replaced. `change` returns the new list, or null for no change. */
  private changeMembers(conversationId: string, change: (members: string[]) => Promise<string[] | null>): Promise<ConversationRow> {
    const run = this.sendQueue.then(async () => {
      const conv = await getConversation(this.db, conversationId);
      if (!conv) throw new BlockedError({ code: 'unknown-conversation' });
      const epochs = await getEpochs(this.db, conversationId);
      const blocked = blockedFor(this.me, conv, await contactMap(this.db), epochs);
      if (blocked) throw new BlockedError(blocked);
      const latest = epochs.find((e) => e.epoch === conv.latestEpoch)!;
      const members = await change(latest.members.map((m) => m.userId));
      if (members === null) return conv;
      return this.nextEpoch(conv, this.currentKeys(members, await contactMap(this.db)), latest);
    });
    this.sendQueue = run.catch(() => undefined);
    return run;
  }

  /**
   * DEV11, "I lost a device": after this account's key changed on this device, a new
   * signed epoch with the same members and a fresh key wrapped to everyone's current keys,
   * so a device that held the old key reads nothing new. False (nothing done) when the
   * latest epoch already names our current key, or we are not a member: safe to repeat.
   * Needs the network.
   */
  rekeyOwn(conversationId: string): Promise<boolean> {
    const run = this.sendQueue.then(async () => {
      const conv = await getConversation(this.db, conversationId);
      if (!conv || !conv.members.includes(this.me)) return false;
      const epochs = await getEpochs(this.db, conversationId);
      const latest = epochs.find((e) => e.epoch === conv.latestEpoch);
      if (!latest) return false;
      const mine = await fingerprint(this.keyring.identity.public);
      if (latest.members.find((m) => m.userId === this.me)?.fingerprint === mine) return false;
      await this.nextEpoch(conv, this.currentKeys(latest.members.map((m) => m.userId), await contactMap(this.db)), latest);
      return true;
    });
    this.sendQueue = run.catch(() => undefined);
    return run;
  }

  /** The pinned keys of these users (ours for us). */
  private currentKeys(userIds: string[], contacts: Map<string, ContactRow>): PublicIdentity[] {
    return userIds.map((u) => {
      if (u === this.me) return this.keyring.identity.public;
      const c = contacts.get(u);
      if (!c) throw new BlockedError({ code: 'key-unknown', userId: u });
      return c.pinned;
    });
  }

  /** The next signed epoch for these members, with a fresh key, sent and stored. */
  private async nextEpoch(conv: ConversationRow, members: PublicIdentity[], latest: EpochRow, admins?: string[]): Promise<ConversationRow> {
    const identity = this.keyring.identity;
    // GRP5: a group stays a group, with its name and the admins still in it.
    let group: { name: string; admins: string[] } | undefined;
    if (latest.record.admins !== undefined) {
      const ids = new Set(members.map((m) => m.userId));
      group = { name: await openGroupMeta(latest.record, latest.key), admins: admins ?? latest.record.admins.filter((a) => ids.has(a)) };
    }
    let made: { record: EpochRecord; key: CryptoKey };
    try {
      made = await createEpoch({ conversationId: conv.conversationId, epoch: latest.epoch + 1, creator: identity, members, previous: latest.record, group });
    } catch (error) {
      if (error instanceof ProtocolError && error.code === 'not-an-admin') throw new BlockedError({ code: 'not-admin' });
      throw error;
    }
    const { record, key } = made;
    let seq: number;
    try {
      ({ seq } = await this.api.addEpoch(conv.conversationId, record));
    } catch (error) {
      // A refusal is not a network failure: the server claims a newer key change than any
      // this device accepted (e.g. a forged membership change it refused). Say so plainly
      // rather than hiding interference behind "offline".
      if ((error as { code?: unknown } | null)?.code === 'epoch_conflict') throw new BlockedError({ code: 'rekey-refused' });
      throw new BlockedError({ code: 'rekey-offline' });
    }
    return this.storeOwnEpoch(conv, record, key, seq);
  }
}
