// Drains the sealed outbox through POST /messages/batch. Used by the page (at start, on
// `online`, on becoming visible, with backoff) and by the service worker's Background
// Sync. Client message ids make a double send (page and worker at once) harmless.
import type { Db } from '../stores/db.ts';
import { loadSession } from '../stores/account.ts';
import { markResults, queued } from '../stores/outbox.ts';
import { Api, ApiError, NetworkError } from './api.ts';

export type FlushOutcome =
  | { ok: true; sent: number }
  | { ok: false; sent: number; reason: 'network' | 'unauthorized' | 'server' | 'no-session' };

const BATCH = 500;

export async function flushOutbox(db: Db, opts: { baseUrl: string; fetch?: typeof fetch }): Promise<FlushOutcome> {
  const session = await loadSession(db);
  if (!session) return { ok: false, sent: 0, reason: 'no-session' };
  const api = new Api({ baseUrl: opts.baseUrl, token: () => session.token, fetch: opts.fetch });
  let sent = 0;
  for (;;) {
    const rows = (await queued(db)).slice(0, BATCH);
    if (rows.length === 0) return { ok: true, sent };
    try {
      const { results } = await api.batch(rows.map((r) => r.envelope));
      if (results.length === 0) return { ok: false, sent, reason: 'server' };
      // An answer about none of the envelopes sent would leave them queued and loop for ever:
      // stop, keep them queued, and let the runner's backoff try again later.
      const answered = new Set(results.map((r) => r.clientMessageId));
      if (!rows.some((r) => answered.has(r.clientMessageId))) return { ok: false, sent, reason: 'server' };
      await markResults(db, results);
      sent += results.filter((r) => r.status !== 'rejected').length;
    } catch (e) {
      if (e instanceof NetworkError) return { ok: false, sent, reason: 'network' };
      if (e instanceof ApiError && e.status === 401) return { ok: false, sent, reason: 'unauthorized' };
      return { ok: false, sent, reason: 'server' };
    }
  }
}
