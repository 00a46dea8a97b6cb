// Typed client of the sync service (sync-service/API.md). Shared by the page and the
// service worker, so it depends on nothing but fetch. A network failure is its own error
// type: callers keep the message queued and try again later, nothing is lost.
import type { EpochRecord, Envelope, PublicIdentity } from '../../../protocol/src/index.ts';

export class NetworkError extends Error {
  constructor(message = 'The server cannot be reached.') {
    super(message);
    this.name = 'NetworkError';
  }
}

export class ApiError extends Error {
  status: number;
  code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

export interface KeyEntry { version: number; identity: PublicIdentity; proof: string; createdAt: string }
export interface LogEntry { conversationId: string; seq: number; kind: 'epoch' | 'message'; body: unknown; createdAt: string }
/** A POST /sync answer: with `hasMore`, ask again from `nextAfter` (null: from the first conversation). */
export interface SyncPage { entries: LogEntry[]; cursors: Record<string, number>; hasMore: boolean; nextAfter?: string | null }
export interface BatchResult {
  clientMessageId: string;
  conversationId: string;
  status: 'stored' | 'duplicate' | 'rejected';
  seq?: number;
  error?: { code: string; message: string };
}

export interface ApiOptions {
  /** Origin of the service, '' for the page's own origin. */
  baseUrl: string;
  token?: () => string | undefined;
  fetch?: typeof fetch;
}

export class Api {
  private readonly opts: ApiOptions;
  constructor(opts: ApiOptions) {
    this.opts = opts;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    const token = this.opts.token?.();
    if (token) headers.authorization = `Bearer ${token}`;
    let res: Response;
    try {
      const f = this.opts.fetch ?? fetch;
      res = await f(`${this.opts.baseUrl}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
    } catch {
      throw new NetworkError();
    }
    if (res.status === 204) return undefined as T;
    let json: unknown = null;
    try {
      json = await res.json();
    } catch {
      if (res.ok) throw new ApiError(res.status, 'bad_response', 'The server sent an answer that could not be read.');
    }
    if (!res.ok) {
      const err = (json as { error?: { code?: string; message?: string } } | null)?.error;
      // A gateway that cannot reach the service behaves like a network failure.
      if (res.status === 502 || res.status === 503 || res.status === 504) throw new NetworkError();
      throw new ApiError(res.status, err?.code ?? `http_${res.status}`, err?.message ?? `The server answered ${res.status}.`);
    }
    return json as T;
  }

  register(userName: string, identity: PublicIdentity, proof: string) {
    return this.call<{ userId: string; displayName: string; keyVersion: number }>('POST', '/users', { userName, identity, proof });
  }
  challenge(userId: string, origin: string) {
    return this.call<{ challengeId: string; nonce: string; origin: string; expiresAt: string }>('POST', '/auth/challenge', { userId, origin });
  }
  login(challengeId: string, proof: string, deviceName: string) {
    return this.call<{ token: string; sessionId: string; expiresAt: string; userId: string }>('POST', '/auth/login', { challengeId, proof, deviceName });
  }
  logout() {
    return this.call<void>('POST', '/auth/logout');
  }
  keys(userId: string) {
    return this.call<{ userId: string; displayName: string; current: KeyEntry; history: KeyEntry[] }>('GET', `/users/${encodeURIComponent(userId)}/keys`);
  }
  createConversation(epochRecord: EpochRecord) {
    return this.call<{ conversationId: string; seq: number }>('POST', '/conversations', { epochRecord });
  }
  conversations() {
    return this.call<{ conversations: { conversationId: string; latestSeq: number; latestEpoch: number; members: string[] }[] }>('GET', '/conversations');
  }
  addEpoch(conversationId: string, epochRecord: EpochRecord) {
    return this.call<{ seq: number }>('POST', `/conversations/${encodeURIComponent(conversationId)}/epochs`, { epochRecord });
  }
  batch(envelopes: Envelope[]) {
    return this.call<{ results: BatchResult[] }>('POST', '/messages/batch', { envelopes });
  }
  log(conversationId: string, after: number, limit = 500) {
    return this.call<{ entries: LogEntry[]; nextAfter: number; hasMore: boolean }>('GET', `/conversations/${encodeURIComponent(conversationId)}/log?after=${after}&limit=${limit}`);
  }
  /** THREATS L3: the service refuses new conversations from a blocked user that include us. */
  block(userId: string) {
    return this.call<{ userId: string; createdAt: string }>('POST', `/blocks/${encodeURIComponent(userId)}`);
  }
  blocks(after?: string) {
    return this.call<{ blocks: { userId: string; createdAt: string }[]; nextAfter: string | null }>('GET', `/blocks${after ? `?after=${encodeURIComponent(after)}` : ''}`);
  }
  unblock(userId: string) {
    return this.call<void>('DELETE', `/blocks/${encodeURIComponent(userId)}`);
  }
  /** One window of POST /sync (THREATS L3): the conversations in (after, until] from these cursors. */
  sync(cursors: Record<string, number>, limit?: number, window: { after?: string; until?: string } = {}) {
    return this.call<SyncPage>('POST', '/sync', { cursors, ...window, ...(limit ? { limit } : {}) });
  }
}
