// The conversation engine: creates conversations, seals messages into the outbox, and
// verifies everything received (epochs against pinned keys, messages, the transcript),
// turning it into per-message states and integrity warnings. Plaintext lives only in
// this object's memory.
import {
  createEpoch, emptyTranscript, envelopeHash, importPublicIdentity, observe, openEpoch, openMessage, parseEpochRecord, ProtocolError, sealMessage,
  type EpochMember, type EpochRecord, type Envelope, type Identity, type ImportedIdentity, type MessagePlaintext, type PublicIdentity,
} from '../../../protocol/src/index.ts';
import type { ContactRow, ConversationRow, Db, EntryCheck, EpochRow, LogRow, OutboxRow } from '../stores/db.ts';
import { allContacts } from '../stores/contacts.ts';
import { getChain, getConversation, getEpochs, getTranscript, listConversations, newConversationRow, updateConversation } from '../stores/conversations.ts';
import { commitReceived, commitReceivedBatch, getLog, lastEntries, receiptsFor, type ReceivedBatch } from '../stores/log.ts';
import { enqueue, outboxFor } from '../stores/outbox.ts';
import type { Api, LogEntry } from './api.ts';
import type { Directory } from './directory.ts';
import { describeProblem } from './warnings.ts';

export type MessageState = 'queued' | 'sent' | 'delivered' | 'failed' | 'received';

export interface Warning {
  kind: string;
  text: string;
}

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
}

export interface ConversationSummary {
  conversationId: string;
  members: string[];
  others: string[];
  unread: number;
  lastActivity: number;
  preview: string | null;
  /** Why sending is paused, in plain words, or null. */
  blocked: string | null;
}

export class BlockedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BlockedError';
  }
}

interface Plain {
  plaintext: MessagePlaintext;
  sender: string;
}

export interface IngestOptions {
  /** Live entries are acknowledged with delivery receipts; history pulled at restore is not. */
  live: boolean;
  /** The conversation the user is looking at: its messages do not count as unread. */
  viewing?: string | null;
}

export interface IngestReport {
  processed: number;
  /** Conversation id -> clientMessageIds of new text messages from others. */
  toAcknowledge: Map<string, string[]>;
}

export class Engine {
  private readonly db: Db;
  private readonly api: Api;
  private readonly directory: Directory;
  private readonly identity: Identity;
  /** Decrypted plaintexts, in memory only: `${conversationId}/${seq}`. */
  private readonly plain = new Map<string, Plain>();
  private readonly imported = new Map<string, ImportedIdentity>();
  private sendQueue: Promise<unknown> = Promise.resolve();

  constructor(p: { db: Db; api: Api; directory: Directory; identity: Identity }) {
    this.db = p.db;
    this.api = p.api;
    this.directory = p.directory;
    this.identity = p.identity;
  }

  get me(): string {
    return this.identity.userId;
  }

  // ---- keys ---------------------------------------------------------------

  private async importOnce(pub: PublicIdentity): Promise<ImportedIdentity | undefined> {
    const key = `${pub.userId}/${pub.encryptionKey}/${pub.signingKey}`;
    let got = this.imported.get(key);
    if (!got) {
      try {
        got = await importPublicIdentity(pub);
      } catch {
        return undefined;
      }
      this.imported.set(key, got);
    }
    return got;
  }

  /**
   * A synchronous resolver of PINNED keys for one epoch: for a contact whose key changed
   * (and was accepted), the key the epoch names is taken from the accepted history.
   */
  private async resolverFor(contacts: Map<string, ContactRow>, members: readonly EpochMember[] | undefined) {
    const table = new Map<string, ImportedIdentity>();
    const me = await this.importOnce(this.identity.public);
    if (me) table.set(this.me, me);
    for (const c of contacts.values()) {
      const fp = members?.find((m) => m.userId === c.userId)?.fingerprint;
      const accepted = fp ? c.history.find((h) => h.fingerprint === fp && h.acceptedAt !== null) : undefined;
      const imp = await this.importOnce(accepted?.identity ?? c.pinned);
      if (imp) table.set(c.userId, imp);
    }
    return (userId: string) => table.get(userId);
  }

  private async contactMap(): Promise<Map<string, ContactRow>> {
    return new Map((await allContacts(this.db)).map((c) => [c.userId, c]));
  }

  // ---- creating and sending ------------------------------------------------

  /** Start (or reopen) a one-to-one conversation with a user name. Needs the network. */
  async startConversation(userName: string): Promise<string> {
    const userId = userName.trim().toLowerCase();
    if (userId === this.me) throw new BlockedError('That is your own user name.');
    const contact = await this.directory.lookup(userId);
    for (const c of await listConversations(this.db)) {
      if (c.members.length === 2 && c.members.includes(userId) && c.members.includes(this.me)) return c.conversationId;
    }
    if (contact.pending) throw new BlockedError(`${userId}'s key has changed. Review it on their safety number screen first.`);
    const conversationId = crypto.randomUUID();
    const { record, key } = await createEpoch({ conversationId, epoch: 0, creator: this.identity, members: [this.identity.public, contact.pinned], previous: null });
    const { seq } = await this.api.createConversation(record);
    const conv = await this.storeOwnEpoch(newConversationRow(conversationId), record, key, seq);
    return conv.conversationId;
  }

  private async storeOwnEpoch(conv: ConversationRow, record: EpochRecord, key: CryptoKey, seq: number): Promise<ConversationRow> {
    const members = record.members.map((m) => ({ ...m }));
    const next: ConversationRow = {
      ...conv, members: members.map((m) => m.userId), latestEpoch: record.epoch,
      lastSeq: Math.max(conv.lastSeq, seq), lastActivity: Date.now(), membershipAlert: null,
    };
    // Entries between our cursor and this seq are fetched by the next pull; only advance
    // the cursor when nothing was skipped.
    if (seq !== conv.lastSeq + 1) next.lastSeq = conv.lastSeq;
    await commitReceived(this.db, {
      entry: { conversationId: conv.conversationId, seq, kind: 'epoch', body: record, createdAt: new Date().toISOString(), check: { ok: true, problem: null } },
      conversation: next,
      epoch: { conversationId: conv.conversationId, epoch: record.epoch, key, members, record },
    });
    return next;
  }

  /** Why sending in this conversation is paused, or null. */
  async blockedReason(conversationId: string): Promise<string | null> {
    const conv = await getConversation(this.db, conversationId);
    if (!conv) return 'This conversation is not known on this device.';
    return this.blockedFor(conv, await this.contactMap(), await getEpochs(this.db, conversationId));
  }

  private blockedFor(conv: ConversationRow, contacts: Map<string, ContactRow>, epochs: EpochRow[]): string | null {
    if (conv.membershipAlert) return 'Someone tried to change who is in this conversation without a valid signature. Review the warning before sending.';
    if (conv.latestEpoch < 0) return 'The keys of this conversation have not arrived yet.';
    for (const uid of conv.members) {
      if (uid === this.me) continue;
      const c = contacts.get(uid);
      if (!c) return `${uid}'s key is not known yet.`;
      if (c.pending) return `${c.displayName || uid}'s key has changed. Review it before sending.`;
    }
    const latest = epochs.find((e) => e.epoch === conv.latestEpoch);
    if (!latest) return 'The keys of this conversation have not arrived yet.';
    return null;
  }

  /** Seals at once into the outbox; sending happens later (flush). Never needs the network… */
  send(conversationId: string, body: string, kind: 'text' | 'receipt' = 'text', refs?: string[]): Promise<OutboxRow> {
    const run = this.sendQueue.then(() => this.sendNow(conversationId, body, kind, refs));
    this.sendQueue = run.catch(() => undefined);
    return run;
  }

  private async sendNow(conversationId: string, body: string, kind: 'text' | 'receipt', refs?: string[]): Promise<OutboxRow> {
    const conv = await getConversation(this.db, conversationId);
    if (!conv) throw new BlockedError('This conversation is not known on this device.');
    const contacts = await this.contactMap();
    let epochs = await getEpochs(this.db, conversationId);
    const blocked = this.blockedFor(conv, contacts, epochs);
    if (blocked) throw new BlockedError(blocked);
    let latest = epochs.find((e) => e.epoch === conv.latestEpoch)!;
    // …except after an accepted key change: the epoch key must be re-wrapped for the
    // member's new key before anything else is sent (a new signed epoch).
    const stale = latest.members.some((m) => m.userId !== this.me && contacts.get(m.userId)?.fingerprint !== m.fingerprint);
    if (stale && kind === 'text') {
      await this.rekey(conv, contacts, latest);
      epochs = await getEpochs(this.db, conversationId);
      const fresh = await getConversation(this.db, conversationId);
      latest = epochs.find((e) => e.epoch === fresh!.latestEpoch)!;
    }
    const chain = await getChain(this.db, conversationId);
    const composedAt = Date.now();
    const plaintext: MessagePlaintext = { type: kind, body, composedAt };
    if (refs) plaintext.refs = refs;
    const envelope = await sealMessage({
      conversationId, epoch: latest.epoch, epochKey: latest.key, sender: this.identity, clientMessageId: crypto.randomUUID(),
      counter: (chain?.counter ?? 0) + 1, prevHash: chain?.prevHash ?? null, plaintext,
    });
    const hash = await envelopeHash(envelope);
    const row = await enqueue(this.db, { envelope, composedAt, kind, hash });
    if (kind === 'text') {
      this.plain.set(`${conversationId}/out/${envelope.clientMessageId}`, { plaintext, sender: this.me });
      await updateConversation(this.db, conversationId, (c) => ({ ...c, lastActivity: Math.max(c.lastActivity, composedAt) }));
    }
    return row;
  }

  private async rekey(conv: ConversationRow, contacts: Map<string, ContactRow>, latest: EpochRow): Promise<void> {
    const members: PublicIdentity[] = latest.members.map((m) => (m.userId === this.me ? this.identity.public : contacts.get(m.userId)!.pinned));
    const { record, key } = await createEpoch({ conversationId: conv.conversationId, epoch: latest.epoch + 1, creator: this.identity, members, previous: latest.record });
    let seq: number;
    try {
      ({ seq } = await this.api.addEpoch(conv.conversationId, record));
    } catch (error) {
      // A refusal is not a network failure: the server claims a newer key change than any
      // this device accepted (e.g. a forged membership change it refused). Say so plainly
      // rather than hiding interference behind "offline".
      if ((error as { code?: unknown } | null)?.code === 'epoch_conflict') {
        throw new BlockedError('The server refuses new keys for this conversation because it claims a newer membership or key change that this device did not accept. Someone may be interfering with this conversation; compare safety numbers with your contacts.');
      }
      throw new BlockedError('A contact’s key changed, so this conversation needs new keys, and the server cannot be reached to share them. Try again when online.');
    }
    await this.storeOwnEpoch(conv, record, key, seq);
  }

  // ---- receiving ---------------------------------------------------------------

  /**
   * Verify and store entries (any conversations, any order within a page of results).
   * Messages between two epoch entries of a conversation are verified and opened
   * concurrently; the transcript then observes them in seq order; and the whole page is
   * written in one transaction. `onProgress` gets the number of entries handled, once
   * they are stored.
   */
  async ingest(entries: LogEntry[], opts: IngestOptions, onProgress?: (handled: number) => void): Promise<IngestReport> {
    const byConv = new Map<string, LogEntry[]>();
    for (const e of entries) {
      const list = byConv.get(e.conversationId) ?? [];
      list.push(e);
      byConv.set(e.conversationId, list);
    }
    const report: IngestReport = { processed: 0, toAcknowledge: new Map() };
    const batches: ReceivedBatch[] = [];
    for (const [cid, list] of byConv) {
      list.sort((a, b) => a.seq - b.seq);
      const batch = await this.ingestConversation(cid, list, opts, report);
      if (batch) batches.push(batch);
    }
    await commitReceivedBatch(this.db, batches);
    const handled = batches.reduce((n, b) => n + b.entries.length, 0);
    report.processed += handled;
    if (handled > 0) onProgress?.(handled);
    return report;
  }

  private async ingestConversation(cid: string, list: LogEntry[], opts: IngestOptions, report: IngestReport): Promise<ReceivedBatch | undefined> {
    const conv0 = (await getConversation(this.db, cid)) ?? newConversationRow(cid, 0);
    // Already processed (a retry or overlapping pages), or twice in this page: skipped.
    const fresh: LogEntry[] = [];
    let last = conv0.lastSeq;
    for (const e of list) {
      if (e.seq <= last) continue;
      fresh.push(e);
      last = e.seq;
    }
    if (fresh.length === 0) return undefined;
    let conv = conv0;
    const transcript0 = (await getTranscript(this.db, cid)) ?? emptyTranscript();
    let transcript = transcript0;
    const epochRows = await getEpochs(this.db, cid);
    const epochs = new Map(epochRows.map((e) => [e.epoch, e]));
    let contacts = await this.contactMap();
    const batch: ReceivedBatch = { entries: [], conversation: conv, epochs: [], receipts: [], ownChains: [] };
    const epochOf = (entry: LogEntry) => {
      const env = entry.body as Envelope;
      return typeof env?.epoch === 'number' ? env.epoch : -1;
    };
    let i = 0;
    while (i < fresh.length) {
      if (fresh[i].kind === 'epoch') {
        const entry = fresh[i++];
        const nextConv: ConversationRow = { ...conv, lastSeq: entry.seq };
        let check: EntryCheck;
        const rec = entry.body as EpochRecord;
        try {
          // Shape first: a body that is not an epoch record (M5) is 'malformed', never a replay.
          parseEpochRecord(rec);
          if (epochs.has(rec.epoch)) throw new ProtocolError('broken-chain', 'epoch already opened');
          // Trust on first use for members we have never seen (fetching their keys).
          for (const m of Array.isArray(rec.members) ? rec.members : []) {
            if (m && typeof m.userId === 'string' && m.userId !== this.me && !contacts.has(m.userId)) {
              try {
                await this.directory.lookup(m.userId);
              } catch {
                // unknown to the directory or offline: openEpoch reports the member as unknown
              }
            }
          }
          contacts = await this.contactMap();
          const previous = epochs.get(rec.epoch - 1)?.record ?? null;
          const resolve = await this.resolverFor(contacts, undefined);
          const opened = await openEpoch(rec, { me: this.identity, resolveIdentity: resolve, previous, conversationId: cid });
          const epochRow: EpochRow = { conversationId: cid, epoch: rec.epoch, key: opened.key, members: opened.members, record: rec };
          epochs.set(rec.epoch, epochRow);
          batch.epochs!.push(epochRow);
          nextConv.members = opened.members.map((m) => m.userId);
          nextConv.latestEpoch = rec.epoch;
          nextConv.membershipAlert = null;
          check = { ok: true, problem: null };
        } catch (e) {
          const code = e instanceof ProtocolError ? e.code : 'malformed';
          const problem = code === 'broken-chain' && epochs.has((rec as { epoch?: number })?.epoch ?? -1) ? 'epoch-replayed' : `epoch-${code}`;
          check = { ok: false, problem };
          nextConv.membershipAlert = { seq: entry.seq, reason: problem, at: Date.now() };
        }
        batch.entries.push({ conversationId: cid, seq: entry.seq, kind: entry.kind, body: entry.body, createdAt: entry.createdAt, check });
        conv = nextConv;
        continue;
      }
      // A run of messages up to the next epoch entry: the epochs they can use are fixed,
      // so they are verified and opened concurrently (every one is verified by openMessage).
      let j = i;
      while (j < fresh.length && fresh[j].kind !== 'epoch') j++;
      const run = fresh.slice(i, j);
      i = j;
      const resolvers = new Map<number, (userId: string) => ImportedIdentity | undefined>();
      for (const entry of run) {
        const n = epochOf(entry);
        if (!resolvers.has(n)) resolvers.set(n, await this.resolverFor(contacts, epochs.get(n)?.members));
      }
      const results = await Promise.all(run.map((entry) => openMessage(entry.body as Envelope, { conversationId: cid, epochs, resolveIdentity: resolvers.get(epochOf(entry))! })));
      // The transcript observes them in seq order.
      for (let k = 0; k < run.length; k++) {
        const entry = run[k];
        const opened = results[k];
        const env = entry.body as Envelope;
        const nextConv: ConversationRow = { ...conv, lastSeq: entry.seq };
        let check: EntryCheck;
        if (!opened.ok) {
          check = { ok: false, problem: opened.error };
        } else {
          const obs = observe(transcript, env, opened.hash);
          transcript = obs.state;
          const pt = opened.plaintext;
          const accepted = obs.verdict === 'ok' || obs.verdict === 'gap' || obs.verdict === 'reordered';
          check = {
            ok: accepted, problem: obs.verdict === 'ok' ? null : obs.verdict, kind: pt.type, composedAt: pt.composedAt, hash: opened.hash,
          };
          if (obs.missing?.length) check.missing = obs.missing.length;
          if (accepted || obs.verdict === 'fork') this.plain.set(`${cid}/${entry.seq}`, { plaintext: pt, sender: env.sender });
          if (accepted) {
            if (env.sender === this.me) batch.ownChains!.push({ counter: env.counter, hash: opened.hash, clientMessageId: env.clientMessageId });
            if (pt.type === 'receipt' && pt.refs && env.sender !== this.me) batch.receipts!.push({ refs: pt.refs, by: env.sender });
            if (pt.type === 'text') {
              nextConv.lastActivity = Math.max(conv.lastActivity, Math.min(pt.composedAt, Date.now() + 60_000));
              if (env.sender !== this.me) {
                if (opts.viewing !== cid) nextConv.unread = conv.unread + 1;
                if (opts.live) {
                  const ack = report.toAcknowledge.get(cid) ?? [];
                  ack.push(env.clientMessageId);
                  report.toAcknowledge.set(cid, ack);
                }
              }
            }
          }
        }
        if (!check.ok && entry.kind === 'message') nextConv.lastActivity = Math.max(conv.lastActivity, Date.parse(entry.createdAt) || 0);
        batch.entries.push({ conversationId: cid, seq: entry.seq, kind: entry.kind, body: entry.body, createdAt: entry.createdAt, check });
        conv = nextConv;
      }
    }
    batch.conversation = conv;
    if (transcript !== transcript0) batch.transcript = transcript;
    return batch;
  }

  async markRead(conversationId: string): Promise<void> {
    await updateConversation(this.db, conversationId, (c) => (c.unread === 0 ? c : { ...c, unread: 0 }));
  }

  // ---- views ----------------------------------------------------------------------

  private async plainOf(cid: string, row: LogRow, contacts: Map<string, ContactRow>, epochs: Map<number, EpochRow>): Promise<Plain | undefined> {
    const key = `${cid}/${row.seq}`;
    const cached = this.plain.get(key);
    if (cached || row.kind !== 'message' || !row.check.hash) return cached;
    const env = row.body as Envelope;
    const resolve = await this.resolverFor(contacts, epochs.get(env.epoch)?.members);
    const opened = await openMessage(env, { conversationId: cid, epochs, resolveIdentity: resolve });
    if (!opened.ok) return undefined;
    const p = { plaintext: opened.plaintext, sender: env.sender };
    this.plain.set(key, p);
    return p;
  }

  async summaries(): Promise<ConversationSummary[]> {
    const convs = await listConversations(this.db);
    const contacts = await this.contactMap();
    const out: ConversationSummary[] = [];
    for (const c of convs) {
      out.push({
        conversationId: c.conversationId, members: c.members, others: c.members.filter((m) => m !== this.me),
        unread: c.unread, lastActivity: c.lastActivity, preview: null,
        blocked: this.blockedFor(c, contacts, c.latestEpoch >= 0 ? [{ epoch: c.latestEpoch } as EpochRow] : []),
      });
    }
    return out;
  }

  /** The last text of a conversation, decrypted in memory. */
  async preview(conversationId: string): Promise<string | null> {
    const contacts = await this.contactMap();
    const epochs = new Map((await getEpochs(this.db, conversationId)).map((e) => [e.epoch, e]));
    const outbox = (await outboxFor(this.db, conversationId)).filter((r) => r.kind === 'text');
    const lastOut = outbox[outbox.length - 1];
    const rows = await lastEntries(this.db, conversationId, 20);
    for (const row of rows) {
      if (row.kind !== 'message' || !row.check.ok || row.check.kind !== 'text') continue;
      if (lastOut && lastOut.composedAt > (row.check.composedAt ?? 0)) break;
      const p = await this.plainOf(conversationId, row, contacts, epochs);
      if (p) return `${p.sender === this.me ? 'You: ' : ''}${p.plaintext.body}`;
    }
    if (lastOut) {
      const p = await this.outboxPlain(conversationId, lastOut, epochs, contacts);
      if (p) return `You: ${p.body}`;
    }
    return null;
  }

  private async outboxPlain(cid: string, row: OutboxRow, epochs: Map<number, EpochRow>, contacts: Map<string, ContactRow>): Promise<MessagePlaintext | undefined> {
    const key = `${cid}/out/${row.clientMessageId}`;
    const cached = this.plain.get(key);
    if (cached) return cached.plaintext;
    const resolve = await this.resolverFor(contacts, epochs.get(row.envelope.epoch)?.members);
    const opened = await openMessage(row.envelope, { conversationId: cid, epochs, resolveIdentity: resolve });
    if (!opened.ok) return undefined;
    this.plain.set(key, { plaintext: opened.plaintext, sender: this.me });
    return opened.plaintext;
  }

  /** Every message of a conversation with its state and warnings, oldest first. */
  async messages(conversationId: string): Promise<MessageView[]> {
    const conv = await getConversation(this.db, conversationId);
    if (!conv) return [];
    const contacts = await this.contactMap();
    const epochs = new Map((await getEpochs(this.db, conversationId)).map((e) => [e.epoch, e]));
    const rows = await getLog(this.db, conversationId);
    const receipts = await receiptsFor(this.db, conversationId);
    const others = Math.max(1, conv.members.length - 1);
    const views: MessageView[] = [];
    const seen = new Set<string>();
    for (const row of rows) {
      if (row.kind === 'epoch') {
        if (!row.check.ok) views.push({ id: `seq-${row.seq}`, seq: row.seq, sender: '', mine: false, body: null, composedAt: null, state: 'received', warnings: [describeProblem(row.check.problem ?? 'malformed', { seq: row.seq })] });
        continue;
      }
      const env = row.body as Partial<Envelope>;
      const sender = typeof env?.sender === 'string' ? env.sender : '?';
      const cmid = typeof env?.clientMessageId === 'string' ? env.clientMessageId : `seq-${row.seq}`;
      const warnings: Warning[] = [];
      if (row.check.problem) warnings.push(describeProblem(row.check.problem, { sender, missing: row.check.missing, seq: row.seq }));
      if (row.check.kind === 'receipt') {
        if (warnings.length) views.push({ id: `seq-${row.seq}`, seq: row.seq, sender, mine: sender === this.me, body: null, composedAt: null, state: 'received', warnings });
        continue;
      }
      const showBody = row.check.ok || row.check.problem === 'fork';
      const p = showBody ? await this.plainOf(conversationId, row, contacts, epochs) : undefined;
      const mine = sender === this.me && row.check.ok;
      const id = seen.has(cmid) ? `seq-${row.seq}` : cmid;
      seen.add(cmid);
      let state: MessageState = 'received';
      if (mine) state = (receipts.get(cmid)?.by.length ?? 0) >= others ? 'delivered' : 'sent';
      views.push({ id, seq: row.seq, sender, mine, body: p?.plaintext.body ?? null, composedAt: p?.plaintext.composedAt ?? null, state, warnings });
    }
    for (const out of await outboxFor(this.db, conversationId)) {
      if (out.kind !== 'text' || seen.has(out.clientMessageId)) continue;
      const p = await this.outboxPlain(conversationId, out, epochs, contacts);
      const state: MessageState = out.status === 'queued' ? 'queued' : out.status === 'sent' ? 'sent' : 'failed';
      const warnings: Warning[] = out.status === 'rejected' ? [{ kind: 'rejected', text: `Not sent: ${out.error ?? 'the server refused it'}.` }] : [];
      views.push({ id: out.clientMessageId, seq: null, sender: this.me, mine: true, body: p?.body ?? null, composedAt: out.composedAt, state, warnings });
    }
    return views;
  }
}
