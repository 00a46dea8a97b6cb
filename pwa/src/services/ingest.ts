// Receiving: verify and store log entries from any conversations. A conversation's
// entries are cut into runs: an epoch entry alone, or the messages up to the next epoch.
// The I/O (loading state, trust-on-first-use lookups, one write per page) lives in
// `Ingest`; what each verified entry means for the conversation is decided by the pure
// functions `decideEpoch` and `decideMessages`, tested without IndexedDB.
import {
  emptyTranscript, observe, openEpoch, openMessage, parseEpochRecord, ProtocolError,
  type EpochRecord, type Envelope, type OpenResult, type TranscriptState,
} from '../../../protocol/src/index.ts';
import type { ContactRow, ConversationRow, Db, EntryCheck, EpochRow, LogRow } from '../stores/db.ts';
import { getConversation, getEpochs, getTranscript, newConversationRow } from '../stores/conversations.ts';
import { commitReceivedBatch, type ReceivedBatch } from '../stores/log.ts';
import type { LogEntry } from './api.ts';
import type { Directory } from './directory.ts';
import { contactMap, type Keyring, type Plain, type Resolver } from './keyring.ts';

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

// ---- decisions (pure) ----------------------------------------------------------------

/** Entries past the cursor, each seq once (a retry, overlapping pages or a repeat in a page are skipped). */
export function freshEntries(sorted: readonly LogEntry[], lastSeq: number): LogEntry[] {
  const fresh: LogEntry[] = [];
  let last = lastSeq;
  for (const e of sorted) {
    if (e.seq <= last) continue;
    fresh.push(e);
    last = e.seq;
  }
  return fresh;
}

function rowOf(entry: LogEntry, check: EntryCheck): LogRow {
  return { conversationId: entry.conversationId, seq: entry.seq, kind: entry.kind, body: entry.body, createdAt: entry.createdAt, check };
}

/** An epoch entry, opened (`epoch`) or refused (`error`): the conversation after it. */
export function decideEpoch(
  conv: ConversationRow, entry: LogEntry, outcome: { epoch: EpochRow } | { error: unknown }, alreadyOpened: boolean, now: number,
): { conversation: ConversationRow; row: LogRow } {
  const next: ConversationRow = { ...conv, lastSeq: entry.seq };
  let check: EntryCheck;
  if ('epoch' in outcome) {
    next.members = outcome.epoch.members.map((m) => m.userId);
    next.latestEpoch = outcome.epoch.epoch;
    next.membershipAlert = null;
    check = { ok: true, problem: null };
  } else {
    const code = outcome.error instanceof ProtocolError ? outcome.error.code : 'malformed';
    const problem = code === 'broken-chain' && alreadyOpened ? 'epoch-replayed' : `epoch-${code}`;
    check = { ok: false, problem };
    // A refused change of members pauses sending until the user reviews it (M1).
    next.membershipAlert = { seq: entry.seq, reason: problem, at: now };
  }
  return { conversation: next, row: rowOf(entry, check) };
}

export interface MessageRunOutcome {
  conversation: ConversationRow;
  transcript: TranscriptState;
  rows: LogRow[];
  receipts: { refs: string[]; by: string }[];
  ownChains: { counter: number; hash: string; clientMessageId: string }[];
  /** clientMessageIds of new text messages from others, to acknowledge when live. */
  acknowledge: string[];
  /** Plaintexts to keep in memory, keyed `${conversationId}/${seq}`. */
  plain: [string, Plain][];
}

/**
 * A run of messages, verified and opened (`results[k]` for `run[k]`): the transcript
 * observes them in seq order, and each one's check, unread count, activity, receipts
 * and acknowledgements follow from its verdict.
 */
export function decideMessages(
  p: { me: string; conversation: ConversationRow; transcript: TranscriptState; run: readonly LogEntry[]; results: readonly OpenResult[]; opts: IngestOptions; now: number },
): MessageRunOutcome {
  const cid = p.conversation.conversationId;
  let conv = p.conversation;
  let transcript = p.transcript;
  const out: MessageRunOutcome = { conversation: conv, transcript, rows: [], receipts: [], ownChains: [], acknowledge: [], plain: [] };
  for (let k = 0; k < p.run.length; k++) {
    const entry = p.run[k]!;
    const opened = p.results[k]!;
    const env = entry.body as Envelope;
    const next: ConversationRow = { ...conv, lastSeq: entry.seq };
    let check: EntryCheck;
    if (!opened.ok) {
      check = { ok: false, problem: opened.error };
    } else {
      const obs = observe(transcript, env, opened.hash);
      transcript = obs.state;
      const pt = opened.plaintext;
      const accepted = obs.verdict === 'ok' || obs.verdict === 'gap' || obs.verdict === 'reordered';
      check = { ok: accepted, problem: obs.verdict === 'ok' ? null : obs.verdict, kind: pt.type, composedAt: pt.composedAt, hash: opened.hash };
      if (obs.missing?.length) check.missing = obs.missing.length;
      if (accepted || obs.verdict === 'fork') out.plain.push([`${cid}/${entry.seq}`, { plaintext: pt, sender: env.sender }]);
      if (accepted) {
        if (env.sender === p.me) out.ownChains.push({ counter: env.counter, hash: opened.hash, clientMessageId: env.clientMessageId });
        if (pt.type === 'receipt' && pt.refs && env.sender !== p.me) out.receipts.push({ refs: pt.refs, by: env.sender });
        if (pt.type === 'text') {
          next.lastActivity = Math.max(conv.lastActivity, Math.min(pt.composedAt, p.now + 60_000));
          if (env.sender !== p.me) {
            if (p.opts.viewing !== cid) next.unread = conv.unread + 1;
            if (p.opts.live) out.acknowledge.push(env.clientMessageId);
          }
        }
      }
    }
    if (!check.ok && entry.kind === 'message') next.lastActivity = Math.max(conv.lastActivity, Date.parse(entry.createdAt) || 0);
    out.rows.push(rowOf(entry, check));
    conv = next;
  }
  out.conversation = conv;
  out.transcript = transcript;
  return out;
}

// ---- I/O ------------------------------------------------------------------------------

export class Ingest {
  private readonly db: Db;
  private readonly directory: Directory;
  private readonly keyring: Keyring;

  constructor(p: { db: Db; directory: Directory; keyring: Keyring }) {
    this.db = p.db;
    this.directory = p.directory;
    this.keyring = p.keyring;
  }

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
    const fresh = freshEntries(list, conv0.lastSeq);
    if (fresh.length === 0) return undefined;
    let conv = conv0;
    const transcript0 = (await getTranscript(this.db, cid)) ?? emptyTranscript();
    let transcript = transcript0;
    const epochs = new Map((await getEpochs(this.db, cid)).map((e) => [e.epoch, e]));
    let contacts = await contactMap(this.db);
    const batch: ReceivedBatch = { entries: [], conversation: conv, epochs: [], receipts: [], ownChains: [] };
    let i = 0;
    while (i < fresh.length) {
      if (fresh[i]!.kind === 'epoch') {
        const entry = fresh[i++]!;
        const outcome = await this.openEpochEntry(cid, entry, epochs, contacts, async () => (contacts = await contactMap(this.db)));
        if ('epoch' in outcome) {
          epochs.set(outcome.epoch.epoch, outcome.epoch);
          batch.epochs!.push(outcome.epoch);
        }
        const alreadyOpened = 'error' in outcome && epochs.has((entry.body as { epoch?: number } | null)?.epoch ?? -1);
        const d = decideEpoch(conv, entry, outcome, alreadyOpened, Date.now());
        batch.entries.push(d.row);
        conv = d.conversation;
        continue;
      }
      // A run of messages up to the next epoch entry: the epochs they can use are fixed,
      // so they are verified and opened concurrently (every one is verified by openMessage).
      let j = i;
      while (j < fresh.length && fresh[j]!.kind !== 'epoch') j++;
      const run = fresh.slice(i, j);
      i = j;
      const resolvers = new Map<number, Resolver>();
      for (const entry of run) {
        const n = epochOf(entry);
        if (!resolvers.has(n)) resolvers.set(n, await this.keyring.resolverFor(contacts, epochs.get(n)?.members));
      }
      const results = await Promise.all(run.map((entry) => openMessage(entry.body as Envelope, { conversationId: cid, epochs, resolveIdentity: resolvers.get(epochOf(entry))! })));
      const d = decideMessages({ me: this.keyring.me, conversation: conv, transcript, run, results, opts, now: Date.now() });
      for (const [k, v] of d.plain) this.keyring.plain.set(k, v);
      batch.entries.push(...d.rows);
      batch.receipts!.push(...d.receipts);
      batch.ownChains!.push(...d.ownChains);
      if (d.acknowledge.length) report.toAcknowledge.set(cid, [...(report.toAcknowledge.get(cid) ?? []), ...d.acknowledge]);
      conv = d.conversation;
      transcript = d.transcript;
    }
    batch.conversation = conv;
    if (transcript !== transcript0) batch.transcript = transcript;
    return batch;
  }

  /** Check and open one epoch record against the pinned keys (fetching unknown members' keys first). */
  private async openEpochEntry(
    cid: string, entry: LogEntry, epochs: Map<number, EpochRow>, known: Map<string, ContactRow>, reloadContacts: () => Promise<Map<string, ContactRow>>,
  ): Promise<{ epoch: EpochRow } | { error: unknown }> {
    const rec = entry.body as EpochRecord;
    try {
      // Shape first: a body that is not an epoch record (M5) is 'malformed', never a replay.
      parseEpochRecord(rec);
      if (epochs.has(rec.epoch)) throw new ProtocolError('broken-chain', 'epoch already opened');
      // Trust on first use for members we have never seen (fetching their keys).
      for (const m of Array.isArray(rec.members) ? rec.members : []) {
        if (m && typeof m.userId === 'string' && m.userId !== this.keyring.me && !known.has(m.userId)) {
          try {
            await this.directory.lookup(m.userId);
          } catch {
            // unknown to the directory or offline: openEpoch reports the member as unknown
          }
        }
      }
      const contacts = await reloadContacts();
      const previous = epochs.get(rec.epoch - 1)?.record ?? null;
      const resolve = await this.keyring.resolverFor(contacts, undefined);
      const opened = await openEpoch(rec, { me: this.keyring.identity, resolveIdentity: resolve, previous, conversationId: cid });
      return { epoch: { conversationId: cid, epoch: rec.epoch, key: opened.key, members: opened.members, record: rec } };
    } catch (error) {
      return { error };
    }
  }
}

function epochOf(entry: LogEntry): number {
  const env = entry.body as Envelope;
  return typeof env?.epoch === 'number' ? env.epoch : -1;
}
