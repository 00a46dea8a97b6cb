import type { SendBatchFrame, SendFrame } from '../../../../protocol/src/frames.ts';
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from '../../db/unavailable.ts';
import { appendEnvelopes, type AppendDeps } from '../../services/appender.ts';
import { OverloadedError, RateLimitedError } from '../../services/errors.ts';
import type { Connection } from './connection.ts';

/**
 * Envelopes one socket may have waiting to be stored; past it a send is answered with
 * `retryLater` (overloaded) at once, so a client that pipelines cannot queue without bound.
 */
export const MAX_SENDING_PER_SOCKET = 1000;
/** What a socket over its own bound is told to wait. */
const SOCKET_RETRY_MS = 100;

/**
 * `send` and `sendBatch` frames: the HTTP append over the open socket. The same checks in
 * the same order as POST /api/v1/messages/batch (appendEnvelopes): the session behind the
 * socket is looked up again exactly as the bearer scheme does for a request (the same
 * cache, so a revoked session stops sending within the same bound), then the caller's rate
 * limit, then per envelope protocol's parser, the size cap and sender = caller, then
 * membership, epoch and idempotency by client id in append_messages.
 */
export class Sender {
  constructor(
    private readonly deps: AppendDeps,
    /** The live session of this token hash (the bearer scheme's lookup), or null. */
    private readonly session: (tokenHash: Buffer) => Promise<{ sessionId: string } | null>,
    private readonly onError: (error: unknown) => void,
  ) {}

  handle(c: Connection, frame: SendFrame | SendBatchFrame): void {
    const { ref } = frame;
    const envelopes = frame.type === 'send' ? [frame.envelope] : frame.envelopes;
    if (c.sending + envelopes.length > MAX_SENDING_PER_SOCKET && c.sending > 0) {
      c.send({ type: 'retryLater', ref, code: 'overloaded', retryAfterMs: SOCKET_RETRY_MS });
      return;
    }
    c.sending += envelopes.length;
    void this.append(c, frame, envelopes).finally(() => { c.sending -= envelopes.length; });
  }

  private async append(c: Connection, frame: SendFrame | SendBatchFrame, envelopes: unknown[]): Promise<void> {
    const { ref } = frame;
    try {
      const session = await this.session(c.tokenHash);
      if (!session || session.sessionId !== c.user.sessionId) {
        if (c.closed) return;
        c.send({ type: 'error', code: 'unauthorized' });
        c.socket.close(4401, 'unauthorized');
        return;
      }
      const results = await appendEnvelopes(this.deps, c.user, envelopes);
      if (frame.type === 'sendBatch') {
        c.send({ type: 'sentBatch', ref, results });
        return;
      }
      const r = results[0]!;
      if (r.status === 'rejected') c.send({ type: 'sendFailed', ref, code: r.error!.code, message: r.error!.message });
      else c.send({ type: 'sent', ref, seq: r.seq!, duplicate: r.status === 'duplicate' });
    } catch (error) {
      if (error instanceof OverloadedError) c.send({ type: 'retryLater', ref, code: 'overloaded', retryAfterMs: error.retryAfterMs });
      else if (error instanceof RateLimitedError) c.send({ type: 'retryLater', ref, code: 'rate_limited', retryAfterMs: error.retryAfterSeconds * 1000 });
      else if (isDatabaseUnavailable(error)) c.send({ type: 'retryLater', ref, code: 'database_unavailable', retryAfterMs: DATABASE_RETRY_AFTER_SECONDS * 1000 });
      else {
        // Not the client's fault: HTTP's 500; nothing the client must change, it may resend.
        this.onError(error);
        c.send({ type: 'retryLater', ref, code: 'internal', retryAfterMs: DATABASE_RETRY_AFTER_SECONDS * 1000 });
      }
    }
  }
}
