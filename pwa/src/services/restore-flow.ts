// The restore that streams, as the app shows it (issue 18; restore.ts does the pulls): which
// conversations stay off the list until their whole log is replayed (THREATS T4 per
// conversation), the progress line and the summary on the list, and going on after a
// failure or a reload. Loaded with the restore code, never in the start chunk.
import type { Db } from '../stores/db.ts';
import type { Api } from './api.ts';
import type { Device } from './device.ts';
import { continueRestore, pendingConversations, type RestoreProgress, type RestoreStream, type RestoreSummary } from './restore.ts';

/** What the list shows of a restore: how far (summary null), then its summary until dismissed. */
export interface Restoring {
  done: number;
  total: number;
  summary: RestoreSummary | null;
}

/** What the flow needs of the Messenger. */
export interface RestoreFlowHost {
  db(): Db;
  readonly api: Api;
  /** The online services once wired (ingest, sync), or null before. */
  online(): Promise<Device> | null;
  restoring(): Restoring | null;
  setRestoring(r: Restoring | null): void;
  /** Conversations not listed yet: the Messenger leaves them out of the list and search. */
  readonly hidden: Set<string>;
  refreshSummaries(): Promise<void>;
  refreshPreviews(only: readonly string[] | undefined): Promise<void>;
  changed(): void;
}

export class RestoreFlow {
  private readonly newlyListed = new Set<string>();
  private listing: ReturnType<typeof setTimeout> | undefined;
  private tries = 0;

  constructor(private readonly host: RestoreFlowHost) {}

  /**
   * The newest conversations are in (`stream`): the rest starts once `painted` resolves (the
   * list is on screen), and the result resolves with the summary.
   */
  start(stream: RestoreStream, painted: Promise<void>, onProgress: (p: RestoreProgress) => void): Promise<RestoreSummary | null> {
    this.hide(stream.pending());
    this.host.setRestoring({ done: stream.done, total: stream.total, summary: null });
    return painted.then(() => this.run(() => stream.rest((p) => { onProgress(p); this.progress(p); }, (ids) => this.listed(ids))));
  }

  /** At start-up after a reload or a crash: the conversations of an interrupted restore, hidden. */
  async resume(): Promise<boolean> {
    const pending = await pendingConversations(this.host.db());
    this.hide(pending);
    this.host.setRestoring({ done: 0, total: 0, summary: null });
    return true;
  }

  /** Continues an interrupted restore from the stored cursors once the online code is there. */
  async continue(online: Promise<Device>): Promise<void> {
    const device = await online;
    await this.run(() => continueRestore(this.host.db(), this.host.api, device, (p) => this.progress(p), (ids) => this.listed(ids)));
  }

  private hide(ids: Iterable<string>): void {
    this.host.hidden.clear();
    for (const id of ids) this.host.hidden.add(id);
  }

  /** Runs the rest of a restore; resolves with its summary (null: none, or it stopped and continues later). */
  private async run(rest: () => Promise<RestoreSummary | null>): Promise<RestoreSummary | null> {
    const host = this.host;
    let summary: RestoreSummary | null;
    try {
      summary = await rest();
      // The list first, then the summary that counts it (never a summary over a list still missing some).
      await host.refreshSummaries().catch(() => undefined);
      const r = host.restoring();
      host.setRestoring(summary ? { done: r?.done ?? 0, total: r?.total ?? 0, summary } : null);
    } catch {
      // Offline or the service failed: the stored state (restore-state.ts) continues it, in
      // a few seconds (up to 60 tries) or at the next start; the line on the list stays meanwhile.
      const online = host.online();
      if (online && ++this.tries <= 60) setTimeout(() => void this.continue(online), 5000);
      return null;
    }
    host.changed();
    void host.refreshPreviews(undefined);
    return summary;
  }

  private progress(p: RestoreProgress): void {
    const r = this.host.restoring();
    if (!r || r.summary) return;
    this.host.setRestoring({ done: p.done, total: Math.max(p.total, p.done), summary: null });
    this.host.changed();
  }

  /** Conversations whose whole log is replayed (T4): listed from now on. */
  private listed(ids: string[]): void {
    for (const id of ids) {
      this.host.hidden.delete(id);
      this.newlyListed.add(id);
    }
    // At most one refresh of the list per 300 ms while pages come in (each reads every
    // summary), and previews opened only for the conversations new on it (each opens its
    // last messages: all of them per page cost more than the page).
    if (ids.length && !this.listing) {
      this.listing = setTimeout(() => {
        this.listing = undefined;
        const fresh = [...this.newlyListed];
        this.newlyListed.clear();
        void this.host.refreshSummaries().then(() => {
          this.host.changed();
          return this.host.refreshPreviews(fresh);
        });
      }, 300);
    }
  }
}
