// Drains the sealed outbox through POST /messages/batch. Used by the page (at start, on
// `online`, on becoming visible, with backoff) and by the service worker's Background
// Sync. Client message ids make a double send (page and worker at once) harmless.
import type { Db } from '../stores/db.ts';
import { loadSession } from '../stores/account.ts';
import { markResults, queued } from '../stores/outbox.ts';
import { Api, ApiError, NetworkError } from './api.ts';
import { AttachmentStore, BlobClient, attachmentDbName, sendable, uploadPending } from './attachments.ts';

export type FlushOutcome =
  | { ok: true; sent: number }
  | { ok: false; sent: number; reason: 'network' | 'unauthorized' | 'server' | 'no-session' };

const BATCH = 500;

export async function flushOutbox(db: Db, opts: { baseUrl: string; fetch?: typeof fetch }): Promise<FlushOutcome> {
  const session = await loadSession(db);
  if (!session) return { ok: false, sent: 0, reason: 'no-session' };
  const api = new Api({ baseUrl: opts.baseUrl, token: () => session.token, fetch: opts.fetch });
  let sent = 0;
  // Files first: a message that names a file goes only once the file is up (attachments.ts).
  const store = await AttachmentStore.open(attachmentDbName(db.name));
  let waiting: Set<string>;
  let offline: boolean;
  try {
    ({ waiting, network: offline } = await uploadPending(store, new BlobClient({ baseUrl: opts.baseUrl, token: () => session.token, fetch: opts.fetch })));
  } finally {
    store.close();
  }
  for (;;) {
    const rows = sendable(await queued(db), waiting).slice(0, BATCH);
    // Messages still waiting for their files: not done, so the runner tries again.
    if (rows.length === 0) return waiting.size === 0 ? { ok: true, sent } : { ok: false, sent, reason: offline ? 'network' : 'server' };
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
