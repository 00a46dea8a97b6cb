// Restore on a new device: log in with the keys from the key file, then replay each
// conversation's whole signed log through the transcript before it is listed (THREATS T4,
// per conversation), the most recent conversations first: the app is usable once they are
// in, while older history streams in (issue 18). Say what could not be recovered.
import type { Identity } from '../../../protocol/src/index.ts';
import { loadIdentity, markKeyFileConfirmed } from '../stores/account.ts';
import { getConversation, listConversations } from '../stores/conversations.ts';
import { clearRestoreState, completedBy, loadRestoreState, saveRestoreState, type RestoreState } from '../stores/restore-state.ts';
import type { Db, LogRow } from '../stores/db.ts';
import { getLog } from '../stores/log.ts';
import type { Api } from './api.ts';
import type { Device } from './device.ts';
import type { Session } from './session.ts';

/** The most entries the service sends in one page of POST /sync (API.md): fewer round trips. */
const PAGE_MAX = 1000;
import { AppError, warningFor, type Warning } from './warnings.ts';
import { warningText } from './warning-texts.ts';

export interface RestoreProgress {
  stage: 'key-file' | 'login' | 'history' | 'done';
  done: number;
  total: number;
}

export interface RestoreSummary {
  conversations: number;
  messages: number;
  failed: { warning: Warning; count: number }[];
}

export interface RestoreContext {
  db: Db;
  api: Api;
  session: Session;
  /** Stores the identity and wires the device's services for it. */
  adopt: (identity: Identity) => Promise<Device>;
}

/** The conversations pulled first: the most recent, at most this many… */
export const NEWEST_CONVERSATIONS = 5;

/** A restore whose newest conversations are in: the rest streams in with `rest`. */
export interface RestoreStream {
  /** Conversations not yet listed (THREATS T4: their logs are not fully replayed yet). */
  pending: () => ReadonlySet<string>;
  done: number;
  total: number;
  /**
   * The older history, in the background: `onListed` names conversations as their whole log is
   * replayed (they may be listed from then on); resolves with the summary when all is in.
   */
  rest: (onProgress: (p: RestoreProgress) => void, onListed: (ids: string[]) => void) => Promise<RestoreSummary>;
}

/**
 * Everything after the key file is opened: login, adopt, then the most recent conversations'
 * whole logs (issue 18: the app is usable as soon as they are in); the rest is `rest`.
 */
export async function restoreAccount(ctx: RestoreContext, identity: Identity, onProgress: (p: RestoreProgress) => void): Promise<RestoreStream> {
  const { db, api } = ctx;
  mark('key-file-opened');
  // The crypto workers start while this logs in (their module is in the online chunk, which
  // the restore needs next anyway; imported here, it would make the first screens wait for it).
  void import('./crypto-workers.ts').then((m) => m.warmMessageCrypto(), () => undefined);
  onProgress({ stage: 'login', done: 0, total: 0 });
  const previous = await loadIdentity(db);
  if (previous && previous.userId !== identity.userId) throw new AppError('device-holds-other-account');
  await ctx.session.login(identity);
  mark('logged-in');
  const device = await ctx.adopt(identity);
  await markKeyFileConfirmed(db);
  mark('adopted');
  await useArchive(db, api, device);
  const { conversations } = await api.conversations();
  mark('conversations-listed');
  // Most recent activity first: the service says when each latest entry was stored.
  const newestFirst = [...conversations].sort((a, b) => (b.latestAt ?? 0) - (a.latestAt ?? 0) || b.latestSeq - a.latestSeq);
  const state: RestoreState = {
    v: 1, total: conversations.reduce((n, c) => n + c.latestSeq, 0), startedAt: Date.now(),
    pending: Object.fromEntries(newestFirst.filter((c) => c.latestSeq > 0).map((c) => [c.conversationId, c.latestSeq])),
  };
  // Stored before anything is pulled: a reload from here on continues the restore (restore-state.ts).
  await saveRestoreState(db, state);
  // The newest window: the most recent conversations, as many as fit one page (at least one).
  const first: string[] = [];
  let size = 0;
  for (const c of newestFirst) {
    if (first.length >= NEWEST_CONVERSATIONS || (first.length > 0 && size + c.latestSeq > PAGE_MAX)) break;
    first.push(c.conversationId);
    size += c.latestSeq;
  }
  const run = new Run(db, device, state, previous ? null : new Tally(), onProgress);
  await run.newest(first);
  return {
    pending: () => new Set(Object.keys(state.pending)),
    get done() { return run.done; },
    total: state.total,
    rest: (p, onListed) => run.rest(p, onListed),
  };
}

/** The whole restore at once: the newest conversations, then the rest; resolves with the summary. */
export async function restoreAll(ctx: RestoreContext, identity: Identity, onProgress: (p: RestoreProgress) => void): Promise<RestoreSummary> {
  return (await restoreAccount(ctx, identity, onProgress)).rest(onProgress, () => undefined);
}

/**
 * A restore interrupted by a reload or a crash (its state is in IndexedDB): the rest of the
 * history from the stored cursors, not news either. Null when there is none to continue.
 */
export async function continueRestore(db: Db, api: Api, device: Device, onProgress: (p: RestoreProgress) => void, onListed: (ids: string[]) => void): Promise<RestoreSummary | null> {
  const state = await loadRestoreState(db);
  if (!state) return null;
  await useArchive(db, api, device);
  const run = new Run(db, device, state, null, onProgress);
  // What earlier runs stored counts as done.
  run.done = Math.min(state.total, (await listConversations(db)).reduce((n, c) => n + c.lastSeq, 0));
  return run.rest(onProgress, onListed);
}

/**
 * HIST4, HIST5: epochs wrapped to this account's earlier keys open through its archive.
 * Unreachable or refused, the restore goes on: those epochs then say they could not be opened.
 */
async function useArchive(db: Db, api: Api, device: Device): Promise<void> {
  const { loadArchive } = await import('./online.ts');
  const identity = device.keyring.identity;
  device.ingest.ownKey = (await loadArchive({ db, api, identity, keyring: device.keyring }).catch(() => null)) ?? undefined;
}

/** The conversations still to be listed after a reload: none without an interrupted restore. */
export async function pendingConversations(db: Db): Promise<Set<string>> {
  return new Set(Object.keys((await loadRestoreState(db))?.pending ?? {}));
}

/** One restore's pulls: history is not news (no unread, no receipts), T4 per conversation. */
class Run {
  done = 0;
  private shownAt = 0;
  private saving: Promise<void> = Promise.resolve();
  private onListed: (ids: string[]) => void = () => undefined;

  constructor(
    private readonly db: Db,
    private readonly device: Device,
    private readonly state: RestoreState,
    /** On a new device every stored row comes through here: the summary is counted as the pages are stored. */
    private readonly tally: Tally | null,
    private onProgress: (p: RestoreProgress) => void,
  ) {
    // A conversation is decided (request or not) only once its whole log is in.
    device.requests.undecided = (id) => id in this.state.pending;
    // What the socket sends for them meanwhile is history too: the pull below takes it.
    device.sync.restoring = () => this.state.pending;
  }

  /** After each stored page: count, say which conversations are complete, show progress (at most every 100 ms). */
  private readonly onEntries = (n: number, rows: readonly LogRow[]) => {
    if (this.done === 0) mark('first-page-stored');
    this.tally?.add(rows);
    this.done += n;
    const listed = completedBy(this.state.pending, rows);
    if (listed.length) {
      const snapshot = { ...this.state, pending: { ...this.state.pending } };
      this.saving = this.saving.then(() => saveRestoreState(this.db, snapshot)).catch(() => undefined);
      this.onListed(listed);
    }
    const now = Date.now();
    if (now - this.shownAt < 100) return;
    this.shownAt = now;
    this.onProgress({ stage: 'history', done: this.done, total: Math.max(this.state.total, this.done) });
  };

  /** Conversations already complete on this device (a restore continued after a reload). */
  private async prune(): Promise<void> {
    for (const id of Object.keys(this.state.pending)) {
      const c = await getConversation(this.db, id);
      if (c && c.lastSeq >= this.state.pending[id]!) delete this.state.pending[id];
    }
  }

  private async quietly<T>(fn: () => Promise<T>): Promise<T> {
    const sync = this.device.sync;
    const acknowledging = sync.acknowledge;
    sync.acknowledge = false; // restored history is not news: no delivery receipts
    try {
      return await fn();
    } finally {
      sync.acknowledge = acknowledging;
    }
  }

  async newest(ids: string[]): Promise<void> {
    this.onProgress({ stage: 'history', done: 0, total: this.state.total });
    this.onListed = (listed) => {
      if (listed.includes(ids[0]!)) mark('first-conversation-stored');
    };
    await this.quietly(() => this.device.sync.pullLogs(ids, { live: false, onEntries: this.onEntries, limit: PAGE_MAX }));
    await this.saving;
    mark('newest-stored');
  }

  async rest(onProgress: (p: RestoreProgress) => void, onListed: (ids: string[]) => void): Promise<RestoreSummary> {
    this.onProgress = onProgress;
    this.onListed = onListed;
    await this.prune();
    onListed([]);
    await this.quietly(() => this.device.sync.pull({ live: false, onEntries: this.onEntries, limit: PAGE_MAX }));
    mark('history-stored');
    // The whole pull is in: every conversation it walked is complete, listed or not before.
    const left = Object.keys(this.state.pending);
    this.state.pending = {};
    if (left.length) onListed(left);
    // History recovered from the key file is not news: ingest counted nothing unread for it
    // (not live), so what is unread now came live meanwhile and stays unread.
    const convs = await listConversations(this.db);
    await this.saving;
    await clearRestoreState(this.db);
    onProgress({ stage: 'done', done: this.done, total: Math.max(this.state.total, this.done) });
    const summary = this.tally ? { conversations: convs.length, ...this.tally.result() } : await restoreSummary(this.db);
    mark('summary');
    return summary;
  }
}

/**
 * A User Timing mark per stage (`restore:<stage>`): the benchmark reads them to say where
 * a restore's time goes (bench/recovery.bench.ts). Names and times only, nothing else.
 */
function mark(stage: string): void {
  globalThis.performance?.mark?.(`restore:${stage}`);
}

/** What the device holds after a restore: conversations, readable texts, and what failed, by warning. */
export async function restoreSummary(db: Db): Promise<RestoreSummary> {
  const convs = await listConversations(db);
  const tally = new Tally();
  for (const c of convs) tally.add(await getLog(db, c.conversationId));
  return { conversations: convs.length, ...tally.result() };
}

/** Readable texts, and what failed grouped as the user reads it: one line per distinct warning. */
class Tally {
  private messages = 0;
  private readonly failed = new Map<string, { warning: Warning; count: number }>();

  add(rows: readonly LogRow[]): void {
    for (const row of rows) {
      if (row.check.ok) {
        if (row.kind === 'message' && row.check.kind === 'text') this.messages++;
      } else {
        const warning = warningFor(row.check.problem ?? 'malformed', { missing: row.check.missing });
        const key = warningText(warning);
        const f = this.failed.get(key) ?? { warning, count: 0 };
        f.count++;
        this.failed.set(key, f);
      }
    }
  }

  result(): Omit<RestoreSummary, 'conversations'> {
    return { messages: this.messages, failed: [...this.failed.values()] };
  }
}
