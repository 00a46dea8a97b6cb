// Restore on a new device: log in with the keys from the key file, then replay the whole
// signed log through the transcript before anything new is shown (THREATS T4), and say
// what could not be recovered.
import type { Identity } from '../../../protocol/src/index.ts';
import { loadIdentity, markKeyFileConfirmed } from '../stores/account.ts';
import { listConversations } from '../stores/conversations.ts';
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

/** Everything after the key file is opened: login, adopt, replay the history. */
export async function restoreAccount(ctx: RestoreContext, identity: Identity, onProgress: (p: RestoreProgress) => void): Promise<RestoreSummary> {
  const { db, api } = ctx;
  mark('key-file-opened');
  onProgress({ stage: 'login', done: 0, total: 0 });
  const previous = await loadIdentity(db);
  if (previous && previous.userId !== identity.userId) throw new AppError('device-holds-other-account');
  await ctx.session.login(identity);
  mark('logged-in');
  const device = await ctx.adopt(identity);
  await markKeyFileConfirmed(db);
  mark('adopted');
  // HIST4, HIST5: epochs wrapped to this account's earlier keys open through its archive.
  const { loadArchive } = await import('./online.ts');
  // Unreachable or refused, the restore goes on: those epochs then say they could not be opened.
  device.ingest.ownKey = (await loadArchive({ db, api, identity, keyring: device.keyring }).catch(() => null)) ?? undefined;
  // T4: the whole signed log is replayed through the transcript before anything new is shown.
  const acknowledging = device.sync.acknowledge;
  device.sync.acknowledge = false;
  let summary: RestoreSummary | undefined;
  try {
    const { conversations } = await api.conversations();
    mark('conversations-listed');
    const total = conversations.reduce((n, c) => n + c.latestSeq, 0);
    let done = 0;
    onProgress({ stage: 'history', done, total });
    // Progress is shown at most every 100 ms (each page is stored at once; re-rendering
    // per entry cost more than the entry).
    let shownAt = 0;
    // On a new device every stored row comes through here: the summary is counted as the
    // pages are stored rather than read back (10,000 rows with their bodies took ~0.3 s).
    const tally = previous ? null : new Tally();
    const onEntries = (n: number, rows: readonly LogRow[]) => {
      if (done === 0) mark('first-page-stored');
      tally?.add(rows);
      done += n;
      const now = Date.now();
      if (now - shownAt < 100) return;
      shownAt = now;
      onProgress({ stage: 'history', done, total: Math.max(total, done) });
    };
    await device.sync.pull({ live: false, onEntries, limit: PAGE_MAX });
    mark('history-stored');
    // History recovered from the key file is not news: nothing starts out unread.
    const convs = await listConversations(db);
    for (const c of convs) await device.views.markRead(c.conversationId);
    mark('marked-read');
    onProgress({ stage: 'done', done, total: Math.max(total, done) });
    if (tally) summary = { conversations: convs.length, ...tally.result() };
  } finally {
    device.sync.acknowledge = acknowledging;
  }
  summary ??= await restoreSummary(db);
  mark('summary');
  return summary;
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
