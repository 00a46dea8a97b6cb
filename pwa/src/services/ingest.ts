// Receiving: verify and store log entries from any conversations. A conversation's
// entries are cut into runs: an epoch entry alone, or the messages up to the next epoch.
// The I/O (loading state, trust-on-first-use lookups, one write per page) lives in
// `Ingest`; what each verified entry means for the conversation is decided by the pure
// functions `decideEpoch` and `decideMessages`, tested without IndexedDB.
import {
  admitMessage, chainOf, chainPosition, emptyTranscript, epochHash, epochLookupPlan, observe, openMessage,
  openNextEpoch, parseEpochRecord, ProtocolError, checkGroupChange, openGroupMeta,
  verifyEpochSignature, type AdmissionEpoch, type EpochRecord, type Envelope, type MessageCrypto, type OpenResult, type OwnKeySource, type TranscriptState,
} from '../../../protocol/src/index.ts';
import type { ContactRow, ConversationRow, Db, EntryCheck, EpochRow, LogRow } from '../stores/db.ts';
import { getConversation, getEpochs, getTranscript, newConversationRow } from '../stores/conversations.ts';
import { commitReceivedBatch, type ReceivedBatch } from '../stores/log.ts';
import type { LogEntry } from './api.ts';
import { messageCrypto } from './crypto-workers.ts';
import type { DeviceKeys } from './device-key.ts';
import type { DeviceRevocations, RevokedDevice } from './device-revocation.ts';
import type { Directory, FetchedKey } from './directory.ts';
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

/**
 * What became of an epoch entry:
 * - `epoch`: opened (chained, or as a join: JOIN3);
 * - `duplicate`: the very record this device already holds for that epoch (L7): at the same
 *   seq it is the entry we stored ourselves ahead of the cursor (`same`, nothing to show);
 *   at another seq it is a harmless replay (`replayed`, shown, no alarm);
 * - `notShared`: a record that does not name us while we hold no epoch of the conversation:
 *   history from before we were added, not shared with us (JOIN3; no alarm, not shown);
 *   likewise every record after we were removed;
 * - `removed`: the next record, chained to the highest we hold and signed by a pinned
 *   member of it, that no longer lists us: we were removed (its members are kept, sending stops);
 * - `problem`: refused (`epoch-<code>`); a refused change of members pauses sending (M1).
 */
export type EpochOutcome =
  | { epoch: EpochRow; joined: boolean }
  | { duplicate: 'same' | 'replayed' }
  | { notShared: true }
  | { removed: { by: string; epoch: number; members: string[] } }
  | { problem: string };

/** An epoch entry and what became of it: the conversation after it. */
export function decideEpoch(conv: ConversationRow, entry: LogEntry, outcome: EpochOutcome, now: number): { conversation: ConversationRow; row: LogRow } {
  const next: ConversationRow = { ...conv, lastSeq: entry.seq };
  let check: EntryCheck;
  if ('epoch' in outcome) {
    next.members = outcome.epoch.members.map((m) => m.userId);
    next.latestEpoch = outcome.epoch.epoch;
    next.membershipAlert = null;
    check = { ok: true, problem: null };
  } else if ('duplicate' in outcome) {
    check = outcome.duplicate === 'same' ? { ok: true, problem: null } : { ok: false, problem: 'epoch-replayed' };
  } else if ('notShared' in outcome) {
    check = { ok: false, problem: 'epoch-not-shared' };
  } else if ('removed' in outcome) {
    // The epoch moves on without us (we hold no key for it): sending stops ('removed').
    next.members = outcome.removed.members;
    next.latestEpoch = outcome.removed.epoch;
    check = { ok: false, problem: 'epoch-removed' };
  } else {
    check = { ok: false, problem: outcome.problem };
    // HIST4: an epoch of this account's own earlier key with no archived key is history this
    // device cannot read (said plainly), not an attack on who is in the conversation.
    if (outcome.problem !== 'epoch-not-archived') next.membershipAlert = { seq: entry.seq, reason: outcome.problem, at: now };
  }
  return { conversation: next, row: rowOf(entry, check) };
}

export interface MessageRunOutcome {
  conversation: ConversationRow;
  transcript: TranscriptState;
  rows: LogRow[];
  receipts: { refs: string[]; by: string }[];
  ownChains: { counter: number; hash: string; clientMessageId: string; deviceId?: string }[];
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
  p: {
    me: string; conversation: ConversationRow; transcript: TranscriptState; run: readonly LogEntry[]; results: readonly OpenResult[]; opts: IngestOptions; now: number;
    /** Every epoch of the conversation this device accepted, with the seq of its record (ADMIT1). */
    epochs: readonly AdmissionEpoch[];
    /** DEV6: this device's id; only its own messages move its sending chain. */
    myDeviceId?: string;
  },
): MessageRunOutcome {
  // JOIN3: a device that joined after epoch 0 starts each sender's chain at the first
  // message of theirs it can read; the counters before it were not shared with it.
  const joined = p.epochs.length > 0 && Math.min(...p.epochs.map((e) => e.epoch)) > 0;
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
    const admitted = opened.ok ? admitMessage({ epochNamed: env.epoch, sender: env.sender, messageSeq: entry.seq, epochs: p.epochs }) : null;
    if (!opened.ok) {
      // Holding no epoch at all, messages from before we were added cannot be read: they
      // were not shared with us (JOIN3), which the join event says once; nor, once we were
      // removed, the ones after.
      const outside = p.epochs.length === 0 || !p.conversation.members.includes(p.me);
      const before = outside && (opened.error === 'unknown-epoch' || opened.error === 'unknown-sender');
      check = { ok: false, problem: before ? 'not-shared' : opened.error };
    } else if (admitted && !admitted.ok) {
      // ADMIT6 (L2): refused by the epochs accepted before it; never observed, never shown.
      check = { ok: false, problem: admitted.reason, kind: opened.plaintext.type };
    } else {
      // DEV6, TR7: one chain per device (version 2), per user for version 1.
      const chain = chainOf(env);
      if (joined && transcript.senders[chain] === undefined && env.counter > 1 && env.prevHash !== null) {
        transcript = { senders: { ...transcript.senders, [chain]: { counter: env.counter - 1, hash: env.prevHash, missing: [] } } };
      }
      const obs = observe(transcript, { ...env, sender: chain }, opened.hash);
      transcript = obs.state;
      const pt = opened.plaintext;
      const accepted = obs.verdict === 'ok' || obs.verdict === 'gap' || obs.verdict === 'reordered';
      check = { ok: accepted, problem: obs.verdict === 'ok' ? null : obs.verdict, kind: pt.type, composedAt: pt.composedAt, hash: opened.hash };
      if (obs.missing?.length) check.missing = obs.missing.length;
      if (accepted || obs.verdict === 'fork') out.plain.push([`${cid}/${entry.seq}`, { plaintext: pt, sender: env.sender }]);
      if (accepted) {
        if (env.sender === p.me) {
          const own: MessageRunOutcome['ownChains'][number] = { counter: env.counter, hash: opened.hash, clientMessageId: env.clientMessageId };
          // DEV6: another device of this account never moves this device's chain.
          if (env.v === 2 && p.myDeviceId !== undefined && env.device.deviceId === p.myDeviceId) own.deviceId = p.myDeviceId;
          out.ownChains.push(own);
        }
        if (pt.type === 'receipt' && pt.refs && env.sender !== p.me) out.receipts.push({ refs: pt.refs, by: env.sender });
        if (pt.type === 'text') {
          next.lastActivity = Math.max(conv.lastActivity, Math.min(pt.composedAt, p.now + 60_000));
          if (env.sender !== p.me) {
            // Restored history (not live) is not news, also in a conversation that finishes
            // streaming after the list is shown (issue 18): nothing becomes unread.
            if (p.opts.live && p.opts.viewing !== cid) next.unread = conv.unread + 1;
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

/** What a page's conversations share, read once per page. */
interface PageState {
  contacts: Map<string, ContactRow>;
  /** DEV6: this device's id (asked once, when a page holds messages). */
  myDeviceId: () => Promise<string>;
  /** DEV10: each sender's revocations, looked up once per page (per set of pinned contacts). */
  revoked: Map<Map<string, ContactRow>, Map<string, Promise<RevokedDevice>>>;
}

export class Ingest {
  private readonly db: Db;
  private readonly directory: Directory;
  private readonly keyring: Keyring;
  private readonly deviceKeys: DeviceKeys;
  private readonly revocations: DeviceRevocations;
  private epochQueue: Promise<unknown> = Promise.resolve();
  /** Where signatures are checked and messages decrypted: the crypto workers in a browser. */
  private readonly crypto: MessageCrypto = messageCrypto();
  /**
   * HIST4: on a device restored from a key file made after a rotation, the account's epoch
   * key archive (epoch-archive.ts): old epochs wrapped to an earlier key of ours open through it.
   */
  ownKey: OwnKeySource | undefined;

  constructor(p: { db: Db; directory: Directory; keyring: Keyring; deviceKeys: DeviceKeys; revocations: DeviceRevocations }) {
    this.db = p.db;
    this.deviceKeys = p.deviceKeys;
    this.revocations = p.revocations;
    this.directory = p.directory;
    this.keyring = p.keyring;
  }

  /**
   * Verify and store entries (any conversations, any order within a page of results).
   * Messages between two epoch entries of a conversation are verified and opened
   * concurrently; the transcript then observes them in seq order; and the whole page is
   * written in one transaction. `onProgress` gets the number of entries handled and their
   * rows (checks included), once
   * they are stored.
   */
  async ingest(entries: LogEntry[], opts: IngestOptions, onProgress?: (handled: number, rows: readonly LogRow[]) => void): Promise<IngestReport> {
    const byConv = new Map<string, LogEntry[]>();
    for (const e of entries) {
      const list = byConv.get(e.conversationId) ?? [];
      list.push(e);
      byConv.set(e.conversationId, list);
    }
    const report: IngestReport = { processed: 0, toAcknowledge: new Map() };
    // Read once per page, not once per conversation: the pinned contacts and this device's id.
    let deviceId: Promise<string> | undefined;
    const page: PageState = { contacts: byConv.size > 0 ? await contactMap(this.db) : new Map(), myDeviceId: () => (deviceId ??= this.deviceKeys.deviceId()), revoked: new Map() };
    // The conversations of a page are independent logs: they are verified concurrently, so
    // one's storage reads and signature checks overlap another's. Epoch records are opened
    // one at a time (they fetch and pin keys: trust on first use stays in one order).
    const lists = [...byConv].map(([cid, list]) => [cid, list.sort((a, b) => a.seq - b.seq)] as const);
    const done = await Promise.all(lists.map(([cid, list]) => this.ingestConversation(cid, list, opts, page)));
    const batches: ReceivedBatch[] = [];
    for (let k = 0; k < lists.length; k++) {
      const d = done[k];
      if (!d) continue;
      batches.push(d.batch);
      if (d.acknowledge.length) report.toAcknowledge.set(lists[k]![0], d.acknowledge);
    }
    await commitReceivedBatch(this.db, batches);
    const handled = batches.reduce((n, b) => n + b.entries.length, 0);
    report.processed += handled;
    if (handled > 0) onProgress?.(handled, batches.flatMap((b) => b.entries));
    return report;
  }

  /** DEV10: the revocations of these senders, one lookup per sender per page (not one per conversation). */
  private async revokedFor(users: readonly string[], contacts: Map<string, ContactRow>, page: PageState): Promise<RevokedDevice> {
    let memo = page.revoked.get(contacts);
    if (!memo) page.revoked.set(contacts, (memo = new Map()));
    const each = new Map<string, RevokedDevice>();
    for (const u of new Set(users)) {
      let got = memo.get(u);
      if (!got) memo.set(u, (got = this.revocations.lookup([u], contacts)));
      each.set(u, await got);
    }
    return (userId, deviceId) => each.get(userId)?.(userId, deviceId);
  }

  /** Runs `fn` after every epoch record queued before it has been opened (see ingest). */
  private epochTurn<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.epochQueue.then(fn);
    this.epochQueue = run.catch(() => undefined);
    return run;
  }

  private async ingestConversation(cid: string, list: LogEntry[], opts: IngestOptions, page: PageState): Promise<{ batch: ReceivedBatch; acknowledge: string[] } | undefined> {
    const conv0 = (await getConversation(this.db, cid)) ?? newConversationRow(cid, 0);
    const fresh = freshEntries(list, conv0.lastSeq);
    if (fresh.length === 0) return undefined;
    let conv = conv0;
    const transcript0 = (await getTranscript(this.db, cid)) ?? emptyTranscript();
    let transcript = transcript0;
    const epochs = new Map((await getEpochs(this.db, cid)).map((e) => [e.epoch, e]));
    let contacts = page.contacts;
    const batch: ReceivedBatch = { entries: [], conversation: conv, base: conv0, epochs: [], receipts: [], ownChains: [] };
    const acknowledge: string[] = [];
    // DEV10: the revocations of the devices that sent these messages, verified under pinned keys.
    const deviceSenders = fresh.filter((e) => e.kind === 'message' && (e.body as Envelope)?.v === 2).map((e) => (e.body as Envelope).sender);
    let revokedDevice: RevokedDevice | undefined = deviceSenders.length > 0 ? await this.revokedFor(deviceSenders, contacts, page) : undefined;
    let i = 0;
    while (i < fresh.length) {
      if (fresh[i]!.kind === 'epoch') {
        const entry = fresh[i++]!;
        const outcome = await this.epochTurn(async () => {
          const o = await this.openEpochEntry(cid, entry, epochs, conv);
          if ('epoch' in o) contacts = await contactMap(this.db); // members fetched for it are pinned now
          return o;
        });
        if ('epoch' in outcome) {
          epochs.set(outcome.epoch.epoch, outcome.epoch);
          batch.epochs!.push(outcome.epoch);
          if (deviceSenders.length > 0) revokedDevice = await this.revokedFor(deviceSenders, contacts, page);
        }
        const d = decideEpoch(conv, entry, outcome, Date.now());
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
      const results = await Promise.all(run.map((entry) => openMessage(entry.body as Envelope, { conversationId: cid, epochs, resolveIdentity: resolvers.get(epochOf(entry))!, revokedDevice, crypto: this.crypto })));
      const admission = [...epochs.values()].map((e) => ({ epoch: e.epoch, seq: e.seq, members: e.members }));
      const d = decideMessages({ me: this.keyring.me, conversation: conv, transcript, run, results, opts, now: Date.now(), epochs: admission, myDeviceId: await page.myDeviceId() });
      // Restored history is not held in memory (a view opens what it shows again): memory
      // stays flat however long the history.
      if (opts.live) for (const [k, v] of d.plain) this.keyring.plain.set(k, v);
      batch.entries.push(...d.rows);
      batch.receipts!.push(...d.receipts);
      batch.ownChains!.push(...d.ownChains);
      acknowledge.push(...d.acknowledge);
      conv = d.conversation;
      transcript = d.transcript;
    }
    batch.conversation = conv;
    if (transcript !== transcript0) batch.transcript = transcript;
    return { batch, acknowledge };
  }

  /**
   * Check and open one epoch record (LOOKUP1..LOOKUP5, JOIN1..JOIN4, L6, L7, L9). The
   * signature is checked before any member is fetched: the creator's key is the pinned one,
   * or (epoch 0, a join) the one user fetched first; keys fetched for the record are pinned
   * only if the record opens, so nothing named only by a refused record is ever pinned.
   */
  /**
   * LOST1: has `userId` rotated to a key signed by the one pinned here? Refreshes the
   * directory once; true only when the change was a signed rotation (ACCT5), now followed.
   * Offline, unknown or any other change: false (the pending key still blocks, KEY6).
   */
  private async followRotation(userId: string): Promise<boolean> {
    try {
      const { outcome, contact } = await this.directory.refresh(userId);
      return outcome === 'changed' && contact.pending === null && contact.rotatedAt != null;
    } catch {
      return false;
    }
  }

  private async openEpochEntry(cid: string, entry: LogEntry, epochs: Map<number, EpochRow>, conv: ConversationRow): Promise<EpochOutcome> {
    let rec: EpochRecord;
    try {
      // Shape first: a body that is not an epoch record (M5) is 'malformed', never a replay.
      rec = parseEpochRecord(entry.body);
    } catch {
      return { problem: 'epoch-malformed' };
    }
    const me = this.keyring.me;
    // L7: the record this device holds for that epoch (e.g. our own re-key, stored ahead of
    // the cursor) is a duplicate; a different record for a held epoch is still refused.
    const held = epochs.get(rec.epoch);
    if (held) {
      if (held.record.sig === rec.sig && (await epochHash(held.record)) === (await epochHash(rec))) {
        return { duplicate: held.seq === entry.seq ? 'same' : 'replayed' };
      }
      return { problem: 'epoch-conflict' };
    }
    const listed = rec.members.some((m) => m.userId === me);
    const outside = epochs.size === 0 || !conv.members.includes(me);
    if (outside && rec.conversationId === cid && !listed) return { notShared: true };
    let contacts = await contactMap(this.db);
    const records = [...epochs.values()].map((e) => e.record);
    if (!listed && rec.conversationId === cid) {
      // Removed (MEMB1 for the reader): only the very next record, by a pinned member of
      // the epoch we hold, chained to it and validly signed, says so; anything else is refused.
      const pos = chainPosition(rec, records);
      const creator = (await this.keyring.resolverFor(contacts, undefined))(rec.creator);
      if (pos.kind === 'next' && creator && pos.previous.members.some((m) => m.userId === rec.creator) && rec.members.some((m) => m.userId === rec.creator)
        && rec.prevEpochHash === (await epochHash(pos.previous)) && (await verifyEpochSignature(rec, creator))) {
        // GRP5 (M1, L9): in a group, only an admin of the epoch we hold removes us.
        if (!groupChangeAllowed(pos.previous, rec)) return { problem: 'epoch-not-an-admin' };
        return { removed: { by: rec.creator, epoch: rec.epoch, members: rec.members.map((m) => m.userId) } };
      }
    }
    // Our own key is always known here (the keyring), never fetched: a restored device reads its own records chained (HIST4).
    const plan = epochLookupPlan(rec, { conversationId: cid, me, held: records, isPinned: (u) => u === me || contacts.has(u) });
    if (!plan.ok) return { problem: `epoch-${plan.reason}` };
    const fetched = new Map<string, FetchedKey>();
    const fetchAll = async (users: readonly string[]) => {
      for (const u of users) {
        try {
          fetched.set(u, await this.directory.fetchKey(u));
        } catch {
          // unknown to the directory or offline: the record will not open (unknown member)
        }
      }
    };
    try {
      await fetchAll(plan.beforeSignature);
      let pinned = await this.keyring.resolverFor(contacts, undefined);
      // Our own key as the record names it: an earlier one of ours (a rotation made here,
      // LOST2, or vouched for by the archive, HIST5), else the current one.
      const mine = (await this.keyring.resolverFor(new Map(), rec.members))(me);
      const resolve = (u: string) => (u === me && mine ? mine : pinned(u) ?? fetched.get(u)?.identity);
      const creator = resolve(rec.creator);
      if (creator === undefined) return { problem: 'epoch-unknown-sender' };
      if (!(await verifyEpochSignature(rec, creator))) {
        // LOST1: the creator may have rotated (ACCT2, "I lost a device") before re-keying. Ask
        // the directory once: only a rotation signed by the pinned key is followed (ACCT5),
        // and the record must then verify under the new key; anything else stays refused.
        // Only when the record itself names a new key for its creator (L6: a forgery under the
        // key we pinned makes no directory look-up).
        const named = rec.members.find((m) => m.userId === rec.creator)?.fingerprint;
        const pinnedFp = contacts.get(rec.creator)?.fingerprint;
        const followed = rec.creator !== me && pinnedFp !== undefined && named !== undefined && named !== pinnedFp
          ? await this.followRotation(rec.creator) : false;
        if (!followed) return { problem: 'epoch-bad-signature' };
        contacts = await contactMap(this.db);
        pinned = await this.keyring.resolverFor(contacts, undefined);
        const again = resolve(rec.creator);
        if (again === undefined || !(await verifyEpochSignature(rec, again))) return { problem: 'epoch-bad-signature' };
      }
      await fetchAll(plan.afterSignature);
      const opened = await openNextEpoch(rec, { me: this.keyring.identity, resolveIdentity: resolve, conversationId: cid, held: records, ownKey: this.ownKey });
      // GRP7: a member who is not an admin re-keys (or leaves) a group under the same name.
      const prev = epochs.get(rec.epoch - 1);
      if (prev?.record.admins !== undefined && !prev.record.admins.includes(rec.creator)
        && (await openGroupMeta(rec, opened.key)) !== (await openGroupMeta(prev.record, prev.key))) {
        return { problem: 'epoch-not-an-admin' };
      }
      // LOOKUP5: pinned (trust on first use) only now that the record opened.
      for (const key of fetched.values()) await this.directory.pin(key);
      return { epoch: { conversationId: cid, epoch: rec.epoch, key: opened.key, members: opened.members, record: rec, seq: entry.seq }, joined: opened.joined };
    } catch (error) {
      return { problem: `epoch-${error instanceof ProtocolError ? error.code : 'malformed'}` };
    }
  }
}

function groupChangeAllowed(previous: EpochRecord, record: EpochRecord): boolean {
  try {
    checkGroupChange(previous, record);
    return true;
  } catch {
    return false;
  }
}

function epochOf(entry: LogEntry): number {
  const env = entry.body as Envelope;
  return typeof env?.epoch === 'number' ? env.epoch : -1;
}
