// Drains the sealed outbox: over the page's open WebSocket (`sendBatch`) when it has one,
// else (and whenever the socket goes away before answering) through POST /messages/batch.
// Used by the page (at start, on `online`, on becoming visible, with backoff) and by the
// service worker's Background Sync (HTTP only). Client message ids make a double send
// (socket then HTTP, page and worker at once) harmless.
import type { BatchResult, Envelope } from '../../../protocol/src/index.ts';
import type { Db } from '../stores/db.ts';
import { loadSession } from '../stores/account.ts';
import { markResults, queued } from '../stores/outbox.ts';
import { Api, ApiError, NetworkError } from './api.ts';
import { AttachmentStore, BlobClient, attachmentDbName, sendable, uploadPending } from './attachments.ts';

export type FlushOutcome =
  | { ok: true; sent: number }
  | { ok: false; sent: number; reason: 'network' | 'unauthorized' | 'server' | 'no-session' }
  /** The service is full (`retryLater`): nothing of the batch was stored; send it again after retryAfterMs. */
  | { ok: false; sent: number; reason: 'busy'; retryAfterMs: number };

/**
 * Send envelopes over an open socket: the batch's results, or null when there is no open
 * socket. Rejects with an error carrying `retryAfterMs` when the service says to retry
 * later, with any other error when the socket went away without an answer.
 */
export type SocketSend = (envelopes: Envelope[]) => Promise<BatchResult[]> | null;

const BATCH = 500;

export async function flushOutbox(db: Db, opts: { baseUrl: string; fetch?: typeof fetch; send?: SocketSend }): Promise<FlushOutcome> {
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
    const envelopes = rows.map((r) => r.envelope);
    let results: BatchResult[] | null = null;
    const overSocket = opts.send?.(envelopes);
    if (overSocket) {
      try {
        results = await overSocket;
      } catch (e) {
        const retryAfterMs = (e as { retryAfterMs?: unknown }).retryAfterMs;
        if (typeof retryAfterMs === 'number') return { ok: false, sent, reason: 'busy', retryAfterMs };
        // The socket went away before answering: the same envelopes over HTTP.
      }
    }
    try {
      results ??= (await api.batch(envelopes)).results;
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
